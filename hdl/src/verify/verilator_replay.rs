//! Replays per-cycle stimulus on generated Verilog under Verilator and returns the outputs
//! (test only): the same stimulus through rust-hdl's simulator must give the same outputs, so
//! the hand-written Verilog leaves are checked against their Rust twins.

use std::fmt::Write as _;
use std::process::Command;

/// Builds `verilog` (top module `top`, clocked by `clock`) with a generated C++ driver and runs
/// it on `stimulus`: per cycle, the values of `inputs` (each at most 64 bits); the driver sets
/// them with the clock low, evaluates, records `outputs`, then pulses the clock. Returns the
/// outputs of every cycle. Panics if Verilator fails.
pub fn replay(
    name: &str,
    verilog: &str,
    clock: &str,
    inputs: &[&str],
    outputs: &[&str],
    stimulus: &[Vec<u64>],
) -> Vec<Vec<u64>> {
    let mut cpp = String::from(
        "#include \"Vtop.h\"\n#include \"verilated.h\"\n#include <cstdio>\n#include <cstdint>\n\
         int main(int argc, char** argv) {\n    Verilated::commandArgs(argc, argv);\n    \
         Vtop* t = new Vtop;\n    FILE* in = fopen(argv[1], \"r\");\n    FILE* out = fopen(argv[2], \"w\");\n",
    );
    writeln!(cpp, "    t->{clock} = 0;\n    t->eval();").unwrap();
    writeln!(cpp, "    unsigned long long v[{}];", inputs.len().max(1)).unwrap();
    let scan = vec!["%llu"; inputs.len()].join(" ");
    let args: String = (0..inputs.len()).map(|i| format!(", &v[{i}]")).collect();
    writeln!(
        cpp,
        "    while (fscanf(in, \"{scan}\"{args}) == {}) {{",
        inputs.len()
    )
    .unwrap();
    for (i, p) in inputs.iter().enumerate() {
        writeln!(cpp, "        t->{p} = v[{i}];").unwrap();
    }
    writeln!(cpp, "        t->eval();").unwrap();
    let fmt = vec!["%llu"; outputs.len()].join(" ");
    let outs: String = outputs
        .iter()
        .map(|o| format!(", (unsigned long long)t->{o}"))
        .collect();
    writeln!(cpp, "        fprintf(out, \"{fmt}\\n\"{outs});").unwrap();
    writeln!(
        cpp,
        "        t->{clock} = 1;\n        t->eval();\n        t->{clock} = 0;\n        t->eval();\n    }}"
    )
    .unwrap();
    cpp.push_str("    fclose(out);\n    t->final();\n    delete t;\n    return 0;\n}\n");

    let dir = std::env::temp_dir().join(format!("logattn-replay-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("top.v"), verilog).unwrap();
    std::fs::write(dir.join("main.cpp"), cpp).unwrap();
    let stim: String = stimulus
        .iter()
        .map(|row| {
            let mut l = row
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(" ");
            l.push('\n');
            l
        })
        .collect();
    std::fs::write(dir.join("stim.txt"), stim).unwrap();
    let out = Command::new("verilator")
        .current_dir(&dir)
        .args(["--cc", "top.v", "--exe", "main.cpp", "--build"])
        .args(["-Wno-WIDTH", "-Wno-DECLFILENAME"])
        .args(["--top-module", "top", "-Mdir", "obj", "-j", "2"])
        .output()
        .expect("cannot run verilator");
    assert!(
        out.status.success(),
        "{name}: verilator build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(dir.join("obj/Vtop"))
        .arg(dir.join("stim.txt"))
        .arg(dir.join("out.txt"))
        .output()
        .unwrap();
    assert!(run.status.success(), "{name}: {run:?}");
    let text = std::fs::read_to_string(dir.join("out.txt")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    text.lines()
        .map(|l| l.split(' ').map(|x| x.parse().unwrap()).collect())
        .collect()
}
