//! The C++ shim: generated per model from `shim.cpp.in`, it exposes the Verilated class through
//! `extern "C"` functions that [`super::VerilatedModel`] loads.

use super::ports::PortInfo;
use std::fmt::Write;

/// Version of the shim ABI; part of the cache key, checked at load time.
pub const SHIM_VERSION: u32 = 1;

const TEMPLATE: &str = include_str!("shim.cpp.in");

/// The shim's C++ source for the model class `class_name` (`V<top>`) with these ports.
pub fn generate(class_name: &str, ports: &[PortInfo]) -> String {
    let mut table = String::new();
    let mut ptrs = String::new();
    for (i, p) in ports.iter().enumerate() {
        let _ = writeln!(
            table,
            "    {{\"{}\", {}, {}, {}}},",
            p.name,
            p.dir.code(),
            p.width,
            p.storage.code()
        );
        let _ = writeln!(
            ptrs,
            "    s->ports[{i}] = static_cast<void*>(&s->model->{});",
            p.name
        );
    }
    if ports.is_empty() {
        // A zero-length array is not valid C++; the table is never read when NUM_PORTS is 0.
        table.push_str("    {\"\", 0, 0, 0},\n");
    }
    TEMPLATE
        .replace("@SHIM_VERSION@", &SHIM_VERSION.to_string())
        .replace("@CLASS@", class_name)
        .replace("@PORT_TABLE@", table.trim_end())
        .replace("@NUM_PORTS@", &ports.len().to_string())
        .replace("@PORT_PTRS@", ptrs.trim_end())
}
