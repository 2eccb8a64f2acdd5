//! # sim: cycle-accurate simulation (the Verilator harness arrives with the AttnV core).
fn main() -> anyhow::Result<()> {
    anyhow::bail!("the Verilator harness is not built yet: see issue 'AttnV datapath'")
}
