//! The pure rules of `nfa`: no I/O, no database, no clock reads. Everything
//! here takes "now" as an argument, so it is testable at its boundaries.

pub mod account;
pub mod gdap;
pub mod ids;
pub mod log;
pub mod names;
pub mod owner;
pub mod policy;
#[cfg(test)]
mod properties;
pub mod role;
pub mod settings;
pub mod status;
pub mod task;
pub mod tenant;
pub mod time;
pub mod word;
