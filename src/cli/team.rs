//! `nfa team grant | revoke | list | whoami` (team mode).

use super::{Env, parse};
use crate::domain::role::{Action, Role};
use crate::error::Outcome;
use crate::ops::team;
use crate::render::{Column, Columns, Format, Kind};
use crate::store::Member;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Give a PostgreSQL login an nfa role (in place of any other it has)
    Grant {
        /// The login (an existing PostgreSQL role that can log in)
        user: String,
        /// viewer, helpdesk, engineer or admin
        #[arg(long, value_parser = parse::words::<Role>())]
        role: Role,
        /// An account the helpdesk may work on (id or name; repeatable)
        #[arg(long, value_name = "ACCOUNT")]
        account: Vec<String>,
    },
    /// Take a login's role away, or (with --account) accounts from a
    /// helpdesk's scope
    Revoke {
        /// The login
        user: String,
        /// An account to take from the helpdesk's scope (repeatable)
        #[arg(long, value_name = "ACCOUNT")]
        account: Vec<String>,
    },
    /// The logins that have an nfa role
    List,
    /// This login, its role and (helpdesk) its accounts
    Whoami,
}

pub fn run(env: &Env, args: Args) -> Result<Outcome> {
    match args.cmd {
        Cmd::Grant {
            user,
            role,
            account,
        } => {
            let store = env.store_for(Action::GrantRoles)?;
            show_one(env, team::grant(&store, &user, role, &account)?)?;
        }
        Cmd::Revoke { user, account } => {
            let store = env.store_for(Action::GrantRoles)?;
            show_one(env, team::revoke(&store, &user, &account)?)?;
        }
        Cmd::List => {
            let members = team::list(&env.store()?)?;
            match env.out.format {
                Format::Json => env.out.one(&members)?,
                _ => env.out.all(members.iter().map(MemberRow::from))?,
            }
        }
        Cmd::Whoami => show_one(env, team::whoami(&env.store()?)?)?,
    }
    Ok(Outcome::Success)
}

fn show_one(env: &Env, m: Member) -> Result<()> {
    match env.out.format {
        Format::Json => env.out.one(&m),
        _ => env.out.one(&MemberRow::from(&m)),
    }
}

/// A member as a row: the accounts in one cell.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MemberRow {
    user: String,
    role: Option<Role>,
    accounts: String,
}

impl From<&Member> for MemberRow {
    fn from(m: &Member) -> MemberRow {
        MemberRow {
            user: m.user.clone(),
            role: m.role,
            accounts: m.accounts.join(", "),
        }
    }
}

impl Columns for MemberRow {
    const CSV: &'static [&'static str] = &["user", "role", "accounts"];
    const COLUMNS: &'static [Column] = &[
        Column::new("user", "user", Kind::Name),
        Column::new("role", "role", Kind::Word),
        Column::new("accounts", "accounts", Kind::Text),
    ];
}
