//! The hardware's cycle behaviour, mirrored cycle by cycle (counts only, no data), so that every
//! stall-free run in the simulator takes exactly the cycles predicted here.
//!
//! - [`core`]: the AttnV core alone (a job of code rows): [`job_cycles`], [`CoreTiming`].
//! - [`head`]: the whole head (front end, sequencing, core): [`head_cycles`],
//!   [`head_compute_cycles`] (what a board reports), [`head_breakdown`].

pub mod core;
pub mod head;

pub use self::core::*;
pub use self::head::*;
