//! `nfa directory users | groups`.

use super::Env;
use crate::error::Outcome;
use crate::ops::directory;
use crate::ops::directory::{GroupView, UserView};
use crate::render::{Column, Columns, Kind};
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
            let mut w = env.out.list::<UserView>()?;
            directory::users(&store, &account, disabled, search.as_deref(), |u| {
                w.push(&u)
            })?;
            w.finish()?;
        }
        Cmd::Groups { account, search } => {
            let mut w = env.out.list::<GroupView>()?;
            directory::groups(&store, &account, search.as_deref(), |g| w.push(&g))?;
            w.finish()?;
        }
    }
    Ok(Outcome::Success)
}

impl Columns for UserView {
    const CSV: &'static [&'static str] = &["id", "display_name", "upn", "enabled"];
    const COLUMNS: &'static [Column] = &[
        Column::new("display_name", "name", Kind::Name),
        Column::new("upn", "UPN", Kind::Name),
        Column::new("enabled", "enabled", Kind::Flag).drop(2),
        Column::new("id", "id", Kind::Id).drop(1),
    ];
}

impl Columns for GroupView {
    const CSV: &'static [&'static str] = &["id", "display_name"];
    const COLUMNS: &'static [Column] = &[
        Column::new("display_name", "name", Kind::Name),
        Column::new("id", "id", Kind::Id),
    ];
}
