//! `Crc32`: the link's CRC-32, one byte per cycle.

use rust_hdl::prelude::*;

/// The IEEE CRC-32 of the bytes fed since the last `clear` (reflected, polynomial 0x04C11DB7,
/// initial value and final XOR 0xFFFFFFFF: `model::link::crc32`), one byte per enabled cycle.
///
/// Hand-written Verilog leaf (eight unrolled shift-XOR steps a byte), with a Rust `update`
/// twin. `crc` is the CRC of everything fed so far, valid the cycle after the last byte.
///
/// Inputs: `clock`; `reset` (synchronous: restart); `clear` (restart: with `en`, `data` is the
/// first byte of the new CRC, so a framer can restart on a candidate magic byte without losing
/// it); `en`; `data` (8 bits).
/// Outputs: `crc` (32 bits).
#[derive(LogicBlock, Default)]
pub struct Crc32 {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// Restart (start of a frame).
    pub clear: Signal<In, Bit>,
    /// Feed `data` this cycle.
    pub en: Signal<In, Bit>,
    /// The byte.
    pub data: Signal<In, Bits<8>>,
    /// The CRC so far.
    pub crc: Signal<Out, Bits<32>>,
    _state: u32,
}

/// One byte into the (uninverted) CRC register.
pub fn crc32_step(state: u32, byte: u8) -> u32 {
    let mut x = state ^ byte as u32;
    for _ in 0..8 {
        x = if x & 1 == 1 {
            (x >> 1) ^ 0xEDB8_8320
        } else {
            x >> 1
        };
    }
    x
}

impl Logic for Crc32 {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            if self.reset.val() {
                self._state = u32::MAX;
            } else if self.clear.val() {
                self._state = if self.en.val() {
                    crc32_step(u32::MAX, self.data.val().to_u64() as u8)
                } else {
                    u32::MAX
                };
            } else if self.en.val() {
                self._state = crc32_step(self._state, self.data.val().to_u64() as u8);
            }
        }
        self.crc.next = ((!self._state) as u64).into();
    }
    fn connect(&mut self) {
        self.crc.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "reg [31:0] state;
reg [31:0] next;
integer i;
initial state = 32'hFFFFFFFF;
always @(*) begin
    next = (clear ? 32'hFFFFFFFF : state) ^ {24'd0, data};
    for (i = 0; i < 8; i = i + 1)
        next = next[0] ? ((next >> 1) ^ 32'hEDB88320) : (next >> 1);
end
always @(posedge clock) begin
    if (reset | (clear & ~en))
        state <= 32'hFFFFFFFF;
    else if (en)
        state <= next;
end
always @(*) crc = ~state;
"
            .to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::crc32_step;

    #[test]
    fn rust_twin_step_is_the_link_crc() {
        for msg in [&b"123456789"[..], b"", b"logattn", &[0u8, 255, 7, 128][..]] {
            let c = !msg.iter().fold(u32::MAX, |s, &b| crc32_step(s, b));
            assert_eq!(c, model::link::crc32(msg));
        }
    }
}
