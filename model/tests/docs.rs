//! The specification (`docs/numerics.md`) states what the model computes: its bounds, and the
//! definitions and rounding rules its formulas use.

use model::frontend::FrontEndParams;
use model::CoreParams;
use std::path::Path;

mod common;
use common::thousands;

fn numerics() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/numerics.md");
    let text = std::fs::read_to_string(p).unwrap();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// §2's accumulator bound is the model's (it once read 4,261,396,480).
#[test]
fn the_accumulator_bound_is_the_models() {
    let p = CoreParams::hardware(64, 512).unwrap();
    let want = format!(
        "|acc| <= 512 x 65,535 x 127 = {} < 2^32",
        thousands(p.max_acc_magnitude())
    );
    assert!(numerics().contains(&want), "numerics.md lacks {want:?}");
}

/// §6 defines every function its formulas name and says how its tables round; no table entry
/// is a tie at the default parameters, so the rounding rule cannot matter there.
#[test]
fn the_front_end_formulas_are_defined_and_their_rounding_stated() {
    let doc = numerics();
    for needle in [
        "frac_top_b(u) = (u mod 2^F) >> (F - b)",
        "`round` there rounds half away from zero",
        "`round_half_up` and the shift of step 3 are integer operations",
    ] {
        assert!(doc.contains(needle), "numerics.md lacks {needle:?}");
    }
    let fe = FrontEndParams::default();
    let (nb, nc) = (1u32 << fe.exp_table_bits, 1u32 << fe.log_table_bits);
    let one = 65536.0f64;
    let fone = (1u64 << fe.frac_bits) as f64;
    for k in 0..nb {
        let x = one * (-(k as f64 + 0.5) / nb as f64).exp2();
        assert_ne!(x.fract(), 0.5, "exp[{k}] is a tie");
    }
    for k in 0..nc {
        let x = fone * (1.0 + (k as f64 + 0.5) / nc as f64).log2();
        assert_ne!(x.fract(), 0.5, "log[{k}] is a tie");
    }
}
