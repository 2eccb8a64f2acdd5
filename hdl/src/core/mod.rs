//! The zero-skipping AttnV core ([`attnv::AttnV`]) and its leaves: the code scanner, the weight
//! table, the lanes, the row sum, and the hand-written Verilog leaves rust-hdl 0.46 cannot
//! express (multipliers in DSPs or LUTs, code mask, one-hot select, bus split and join, the
//! registers synthesis must keep apart: [`replica::Replica`]).

pub mod attnv;
pub mod bus_join;
pub mod bus_split;
pub mod code_mask;
pub mod code_scanner;
pub mod lane;
pub mod lut_mul;
pub mod mul16x8;
pub mod mult18;
pub mod onehot_select;
pub mod replica;
pub mod row_sum;
pub mod v_ram;
pub mod weight_table;
