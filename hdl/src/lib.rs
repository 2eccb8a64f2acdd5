//! # hdl: logattn hardware in rust-hdl (the AttnV core arrives with its issue).
