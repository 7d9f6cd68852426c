//! `nfa db`: the database itself.

use super::Env;
use crate::error::Outcome;
use crate::ops::db;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Which backend, where, schema version, size and what it holds
    Info,
    /// Copy the whole database (accounts, tasks, logs, check results, AD
    /// caches, settings) to another, all or nothing, ids kept
    Copy {
        /// The target: an SQLite file path or a postgres:// URL (new or
        /// empty; one that holds data is refused)
        #[arg(long, value_name = "TARGET")]
        to: std::path::PathBuf,
    },
}

pub fn run(env: &Env, args: Args) -> Result<Outcome> {
    let store = env.store()?;
    match args.command {
        Command::Info => env.out.one(&db::info(&store)?)?,
        Command::Copy { to } => {
            store.authorize(crate::domain::role::Action::CopyDatabase)?;
            let copied = db::copy(&store, &crate::store::Location::parse(&to)?)?;
            env.note(&format!(
                "copied {} accounts, {} tasks, {} log lines to {}",
                copied.contents.accounts,
                copied.contents.tasks,
                copied.contents.log_lines,
                copied.location
            ));
            env.out.one(&copied)?;
        }
    }
    Ok(Outcome::Success)
}
