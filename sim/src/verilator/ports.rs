//! Ports of a Verilated model: parsing the `V<top>.h` declarations and describing each port.

use anyhow::{bail, Context, Result};

/// Direction of a top-level port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Driven by the testbench.
    Input,
    /// Driven by the model.
    Output,
    /// Bidirectional (`VL_INOUT*`).
    Inout,
}

impl Direction {
    /// The code the C++ shim uses (0, 1, 2).
    pub(crate) fn code(self) -> u32 {
        match self {
            Direction::Input => 0,
            Direction::Output => 1,
            Direction::Inout => 2,
        }
    }

    pub(crate) fn from_code(c: u32) -> Result<Self> {
        Ok(match c {
            0 => Direction::Input,
            1 => Direction::Output,
            2 => Direction::Inout,
            _ => bail!("unknown port direction code {c}"),
        })
    }
}

/// How Verilator stores a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// `CData`, up to 8 bits.
    U8,
    /// `SData`, up to 16 bits.
    U16,
    /// `IData`, up to 32 bits.
    U32,
    /// `QData`, up to 64 bits.
    U64,
    /// `VlWide`: this many 32-bit words, least significant first.
    Wide(u32),
}

impl Storage {
    /// The code the C++ shim uses (0..=4).
    pub(crate) fn code(self) -> u32 {
        match self {
            Storage::U8 => 0,
            Storage::U16 => 1,
            Storage::U32 => 2,
            Storage::U64 => 3,
            Storage::Wide(_) => 4,
        }
    }

    pub(crate) fn from_code(c: u32, width: u32) -> Result<Self> {
        Ok(match c {
            0 => Storage::U8,
            1 => Storage::U16,
            2 => Storage::U32,
            3 => Storage::U64,
            4 => Storage::Wide(width.div_ceil(32)),
            _ => bail!("unknown port storage code {c}"),
        })
    }
}

/// One top-level port of a Verilated model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortInfo {
    /// The C++ member name (Verilator escapes `$` as `__024`).
    pub name: String,
    /// Direction.
    pub dir: Direction,
    /// Width in bits (`msb - lsb + 1`).
    pub width: u32,
    /// Storage type.
    pub storage: Storage,
}

impl PortInfo {
    /// Number of 32-bit words that hold the port's value.
    pub fn words(&self) -> usize {
        self.width.div_ceil(32) as usize
    }
}

/// Parses every `VL_IN*` / `VL_OUT*` / `VL_INOUT*` declaration of a Verilator 5 model header, in
/// declaration order. Errors name the line that could not be understood.
pub fn parse_header(header: &str) -> Result<Vec<PortInfo>> {
    let mut ports = Vec::new();
    for (lineno, line) in header.lines().enumerate() {
        let t = line.trim();
        if !t.starts_with("VL_IN") && !t.starts_with("VL_OUT") {
            continue;
        }
        let port =
            parse_decl(t).with_context(|| format!("model header line {}: `{t}`", lineno + 1))?;
        ports.push(port);
    }
    if ports.is_empty() {
        bail!("no port declarations (VL_IN*/VL_OUT*) found in the model header");
    }
    Ok(ports)
}

fn parse_decl(t: &str) -> Result<PortInfo> {
    let open = t.find('(').context("no '('")?;
    let close = t.rfind(')').context("no ')'")?;
    let mac = &t[..open];
    let args: Vec<&str> = t[open + 1..close].split(',').map(str::trim).collect();
    let (dir, suffix) = if let Some(s) = mac.strip_prefix("VL_INOUT") {
        (Direction::Inout, s)
    } else if let Some(s) = mac.strip_prefix("VL_IN") {
        (Direction::Input, s)
    } else if let Some(s) = mac.strip_prefix("VL_OUT") {
        (Direction::Output, s)
    } else {
        bail!("unknown macro {mac}");
    };
    let name = args
        .first()
        .context("no port name")?
        .trim_start_matches('&')
        .to_string();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("unexpected port name {name:?}");
    }
    let num = |i: usize| -> Result<u32> {
        args.get(i)
            .with_context(|| format!("missing argument {i}"))?
            .parse::<u32>()
            .with_context(|| format!("argument {i} is not a number"))
    };
    let (msb, lsb) = (num(1)?, num(2)?);
    if lsb > msb {
        bail!("lsb {lsb} > msb {msb}");
    }
    let width = msb - lsb + 1;
    let storage = match suffix {
        "8" => Storage::U8,
        "16" => Storage::U16,
        "" => Storage::U32,
        "64" => Storage::U64,
        "W" => Storage::Wide(num(3)?),
        _ => bail!("unknown port macro {mac}"),
    };
    let max = match storage {
        Storage::U8 => 8,
        Storage::U16 => 16,
        Storage::U32 => 32,
        Storage::U64 => 64,
        Storage::Wide(w) => w * 32,
    };
    if width > max {
        bail!("width {width} does not fit {mac}");
    }
    Ok(PortInfo {
        name,
        dir,
        width,
        storage,
    })
}

/// Verilator's C++ name for a Verilog identifier (`$` becomes `__024`).
pub fn cpp_name(verilog_name: &str) -> String {
    verilog_name.replace('$', "__024")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_macros() {
        let h = "  VL_IN8(&clock,0,0);\n VL_OUT16(&sum,15,0);\n VL_IN(&a,31,0);\n VL_IN64(&i41,40,0);\n    VL_INW(&wide,99,0,4);\n VL_OUTW(&o,2111,0,66);\n int x;";
        let p = parse_header(h).unwrap();
        assert_eq!(p.len(), 6);
        assert_eq!(
            p[0],
            PortInfo {
                name: "clock".into(),
                dir: Direction::Input,
                width: 1,
                storage: Storage::U8
            }
        );
        assert_eq!(p[1].storage, Storage::U16);
        assert_eq!(p[2].storage, Storage::U32);
        assert_eq!((p[3].width, p[3].storage), (41, Storage::U64));
        assert_eq!(
            (p[4].width, p[4].storage, p[4].words()),
            (100, Storage::Wide(4), 4)
        );
        assert_eq!(
            (p[5].dir, p[5].width, p[5].words()),
            (Direction::Output, 2112, 66)
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_header("nothing here").is_err());
        let e = parse_header("VL_IN8(&x,0);").unwrap_err();
        assert!(format!("{e:#}").contains("line 1"), "{e:#}");
        assert!(parse_header("VL_IN8(&x,9,0);").is_err());
    }
}
