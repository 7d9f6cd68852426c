//! `nfa demo`.

use super::Env;
use crate::error::Outcome;
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to create the demo (default: a new temporary directory)
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn run(_env: &Env, _args: Args) -> Result<Outcome> {
    Ok(Outcome::Success)
}
