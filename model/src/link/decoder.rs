//! [`Decoder`]: a streaming decoder of request or response frames.

use super::wire::*;

/// Which frames a [`Decoder`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Requests (the board's side).
    Requests,
    /// Responses (the host's side).
    Responses,
}

/// What a [`Decoder`] found.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A request whose header CRC and frame CRC are good.
    Request(Request),
    /// A response whose header CRC and frame CRC are good.
    Response(Response),
    /// A magic followed by a header that failed its CRC or names an unknown version, kind or
    /// status; the decoder hunts again from the byte after the header.
    BadHeader,
    /// A good header whose frame CRC failed (seq and kind from the header); nothing of it is
    /// used.
    BadCrc { seq: u16, kind: u8 },
    /// A good header announcing more payload than the decoder accepts; its payload and CRC
    /// are skipped unread.
    Overflow {
        seq: u16,
        kind: u8,
        payload_len: u32,
    },
    /// A frame whose CRCs are good but whose payload does not match its header (`header`: the
    /// request header, when decoding requests).
    Malformed {
        seq: u16,
        kind: u8,
        why: String,
        header: Option<RequestHeader>,
    },
}

#[derive(Clone, Copy, Debug)]
enum State {
    Hunt,
    Header,
    Payload { need: usize },
    Skip { left: usize },
}

/// A streaming frame decoder: feed bytes as they arrive, take events as frames complete.
///
/// It hunts for the two magic bytes, reads the fixed header, checks its CRC, then reads the
/// payload and the frame CRC. After anything bad it hunts again from the next unread byte (it
/// never re-reads bytes it consumed, as a hardware framer cannot): a dropped or extra byte
/// therefore costs the damaged frame and, at most, the frame it ran into.
#[derive(Clone, Debug)]
pub struct Decoder {
    dir: Direction,
    max_payload: usize,
    state: State,
    frame: Vec<u8>,
    last: Option<u8>,
}

impl Decoder {
    /// A decoder of `dir` frames accepting payloads up to `max_payload` bytes.
    pub fn new(dir: Direction, max_payload: usize) -> Self {
        Self {
            dir,
            max_payload,
            state: State::Hunt,
            frame: Vec::new(),
            last: None,
        }
    }

    fn magic(&self) -> [u8; 2] {
        match self.dir {
            Direction::Requests => REQ_MAGIC,
            Direction::Responses => RSP_MAGIC,
        }
    }

    fn header_len(&self) -> usize {
        match self.dir {
            Direction::Requests => REQ_HEADER_LEN,
            Direction::Responses => RSP_HEADER_LEN,
        }
    }

    /// Consumes `bytes` and returns the events of every frame completed by them, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        for &b in bytes {
            match self.state {
                State::Hunt => {
                    let m = self.magic();
                    if self.last == Some(m[0]) && b == m[1] {
                        self.frame.clear();
                        self.frame.extend_from_slice(&m);
                        self.state = State::Header;
                        self.last = None;
                    } else {
                        self.last = Some(b);
                    }
                }
                State::Header => {
                    self.frame.push(b);
                    if self.frame.len() == self.header_len() {
                        self.state = self.header_done(&mut events);
                    }
                }
                State::Payload { need } => {
                    self.frame.push(b);
                    if self.frame.len() == need {
                        self.frame_done(&mut events);
                        self.state = State::Hunt;
                    }
                }
                State::Skip { left } => {
                    self.state = if left <= 1 {
                        State::Hunt
                    } else {
                        State::Skip { left: left - 1 }
                    };
                }
            }
        }
        events
    }

    fn header_done(&mut self, events: &mut Vec<Event>) -> State {
        let h = &self.frame;
        let hl = self.header_len();
        let ok = h[2] == VERSION && crc32(&h[..hl - 4]) == le32(&h[hl - 4..hl]);
        let (seq, kind, len) = match self.dir {
            Direction::Requests => (le16(&h[4..]), h[3], le32(&h[36..40])),
            Direction::Responses => (le16(&h[4..]), h[6], le32(&h[16..20])),
        };
        let known = match self.dir {
            Direction::Requests => Kind::from_u8(kind).is_some(),
            Direction::Responses => Status::from_u8(h[3]).is_some(),
        };
        if !ok || !known {
            events.push(Event::BadHeader);
            return State::Hunt;
        }
        if len as usize > self.max_payload {
            events.push(Event::Overflow {
                seq,
                kind,
                payload_len: len,
            });
            return State::Skip {
                left: len as usize + 4,
            };
        }
        State::Payload {
            need: hl + len as usize + 4,
        }
    }

    fn frame_done(&mut self, events: &mut Vec<Event>) {
        let f = &self.frame;
        let hl = self.header_len();
        let body = f.len() - 4;
        let (seq, kind) = match self.dir {
            Direction::Requests => (le16(&f[4..]), f[3]),
            Direction::Responses => (le16(&f[4..]), f[6]),
        };
        if crc32(&f[..body]) != le32(&f[body..]) {
            events.push(Event::BadCrc { seq, kind });
            return;
        }
        let payload = &f[hl..body];
        let ev = match self.dir {
            Direction::Requests => {
                let h = RequestHeader::decode(&f[..hl]).expect("checked in header_done");
                Request::from_frame(&h, payload).map_or_else(
                    |why| Event::Malformed {
                        seq,
                        kind,
                        why,
                        header: Some(h),
                    },
                    Event::Request,
                )
            }
            Direction::Responses => Response::from_frame(&f[..hl], payload).map_or_else(
                |why| Event::Malformed {
                    seq,
                    kind,
                    why,
                    header: None,
                },
                Event::Response,
            ),
        };
        events.push(ev);
    }
}
