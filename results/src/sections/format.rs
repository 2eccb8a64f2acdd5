//! Numbers and tables as the page writes them.

use std::fmt::Write;

/// `1234567` as `1,234,567`.
pub fn thou(x: u64) -> String {
    let s = x.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Microseconds, as µs or ms.
pub fn us(x: f64) -> String {
    if x >= 1000.0 {
        format!("{:.2} ms", x / 1e3)
    } else {
        format!("{x:.1} µs")
    }
}

/// Microjoules, as µJ or mJ.
pub fn uj(x: f64) -> String {
    if x >= 1000.0 {
        format!("{:.2} mJ", x / 1e3)
    } else {
        format!("{x:.1} µJ")
    }
}

/// `a / b` as a factor: `18.2x`, `5278x`, or `1/2.9` when below one.
pub fn x(a: f64, b: f64) -> String {
    let r = a / b;
    if r >= 100.0 {
        format!("{r:.0}x")
    } else if r >= 1.0 {
        format!("{r:.1}x")
    } else {
        format!("1/{:.1}", 1.0 / r)
    }
}

/// A markdown table; a `|` in a cell is escaped.
pub fn md_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| c.replace('|', "\\|")).collect();
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
    s.trim_end().to_string()
}

/// A fraction as a percentage with one decimal: `12.3%`.
pub fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}
