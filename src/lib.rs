//! `nfa`: a command-line tool for MSP engineers who run Nerdio-for-Azure
//! customer accounts. The binary in `main.rs` only parses arguments and maps
//! errors to exit codes; everything else lives in this library:
//!
//! - [`domain`]: pure, I/O-free rules (statuses, the refresh policy, tasks);
//! - [`store`]: the only module that knows SQL;
//! - [`source`]: tenant sources behind one trait (fixture files for now);
//! - [`runner`]: executes tasks through a source and records their results;
//! - [`ops`]: operations that compose the store, the rules and the runner;
//! - [`render`]: table / json / csv output in one place, [`ui`]: progress
//!   bars on standard error;
//! - [`screen`]: `nfa ui`, the Accounts screen (ratatui), over [`ops`];
//! - [`model`]: the plain records the store returns;
//! - [`cli`]: one thin module per command group.

pub mod cli;
pub mod clock;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod model;
pub mod ops;
pub mod process;
pub mod render;
pub mod runner;
pub mod screen;
pub mod secret;
pub mod source;
pub mod store;
pub mod ui;
