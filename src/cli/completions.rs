//! `nfa completions SHELL`.

use crate::error::Outcome;
use anyhow::Result;
use clap::CommandFactory;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
    // The global options mean nothing to a completion script: they are
    // not offered here (these shadow them in the help; a value given, or
    // NFA_DB, reaches them and is left alone).
    #[arg(long, hide = true)]
    #[allow(dead_code)]
    db: Option<std::path::PathBuf>,
    // (Of the global options' types: clap hands a value given here up to
    // the global option of the same name.)
    #[arg(short, long, hide = true, value_enum)]
    #[allow(dead_code)]
    output: Option<crate::render::Output>,
    #[arg(short, long, hide = true)]
    #[allow(dead_code)]
    quiet: bool,
    #[arg(long, hide = true, value_enum)]
    #[allow(dead_code)]
    color: Option<crate::render::ColorChoice>,
}

pub fn run(args: &Args) -> Result<Outcome> {
    let mut cmd = super::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "nfa", &mut std::io::stdout());
    Ok(Outcome::Success)
}
