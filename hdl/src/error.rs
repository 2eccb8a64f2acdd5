//! [`HdlError`]: why a design cannot be built or checked.

use crate::configs::Build;

/// Why `hdl` cannot build or check a design; the message names the problem.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum HdlError {
    /// (D, N_MAX) is not among the compiled configurations of `build`.
    #[error(
        "{block}: no compiled {what} for D = {d} and N_MAX = {n_max} (supported (D, N_MAX): {list:?})",
        what = if *build == Build::CodesBoard { "codes board" } else { "configuration" },
        list = build.supported()
    )]
    NotCompiled {
        /// The block asked for, as messages name it.
        block: &'static str,
        build: Build,
        d: usize,
        n_max: usize,
    },
    /// (D, N_MAX) is compiled, but its front end is not built for P keys a cycle.
    #[error(
        "{block}: P = {p} keys per cycle is not built for D = {d} and N_MAX = {n_max} (supported P: {supported:?})"
    )]
    KeysPerCycle {
        /// The block asked for, as messages name it.
        block: &'static str,
        d: usize,
        n_max: usize,
        p: usize,
        supported: &'static [usize],
    },
    /// No configuration of `build` is compiled for head dimension `d`.
    #[error("{}", no_width(*build, *d))]
    NoWidth { build: Build, d: usize },
    /// Parameters the hardware is not built for (W, k, a front end's settings, ...).
    #[error("{0}")]
    Unbuildable(String),
    /// A board or design name that does not exist, or a design a board cannot carry.
    #[error("{0}")]
    Board(String),
    /// Verilator rejected generated Verilog, or could not be run.
    #[error("{0}")]
    Lint(String),
    /// The model refused the parameters.
    #[error(transparent)]
    Model(#[from] model::ModelError),
}

fn no_width(build: Build, d: usize) -> String {
    match build {
        Build::Core => format!(
            "head dimension d = {d} is not a configured core width; supported: {:?}",
            build.widths()
        ),
        Build::Head => format!(
            "d = {d}: the on-chip head is built for D in {:?}",
            build.widths()
        ),
        Build::CodesBoard => format!(
            "d = {d}: the simulated codes boards are built for (D, N_MAX) in {:?}",
            build.supported()
        ),
    }
}
