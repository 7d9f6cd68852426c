//! `nfa directory users | groups`.

use super::Env;
use crate::error::Outcome;
use crate::ops::directory;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// The users in the account's AD cache, by name
    Users {
        /// Account id or name
        account: String,
        /// Only disabled users
        #[arg(long)]
        disabled: bool,
        /// Only users whose name, UPN or id contains TEXT (any case)
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
    },
    /// The groups in the account's AD cache, by name
    Groups {
        /// Account id or name
        account: String,
        /// Only groups whose name or id contains TEXT (any case)
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
    },
}

pub fn run(env: &Env, args: Args) -> Result<Outcome> {
    let store = env.store()?;
    match args.cmd {
        Cmd::Users {
            account,
            disabled,
            search,
        } => {
            let mut w = env.out.list::<directory::UserView>()?;
            directory::users(&store, &account, disabled, search.as_deref(), |u| {
                w.push(&u)
            })?;
            w.finish()?;
        }
        Cmd::Groups { account, search } => {
            let mut w = env.out.list::<directory::GroupView>()?;
            directory::groups(&store, &account, search.as_deref(), |g| w.push(&g))?;
            w.finish()?;
        }
    }
    Ok(Outcome::Success)
}
