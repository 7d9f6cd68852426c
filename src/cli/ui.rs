//! `nfa ui`: the Accounts screen in the terminal (see `crate::screen`).

use super::Env;
use crate::error::Outcome;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(env: &Env, _args: Args) -> Result<Outcome> {
    crate::screen::run(env)
}
