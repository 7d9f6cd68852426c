//! `nfa completions SHELL`.

use crate::error::Outcome;
use anyhow::Result;
use clap::CommandFactory;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(args: &Args) -> Result<Outcome> {
    let mut cmd = super::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "nfa", &mut std::io::stdout());
    Ok(Outcome::Success)
}
