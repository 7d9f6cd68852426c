//! `nfa accounts list | show | add | import | remove`.

use super::{Env, parse};
use crate::domain::account::{NewAccount, validate_name};
use crate::domain::status::{AccountStatus, Lifecycle};
use crate::error::Outcome;
use crate::ops::{accounts, import};
use crate::render::Format;
use crate::source::SourceSpec;
use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Utc};
use std::io::Read;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    list: ListArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Accounts with their status and refresh marker (↻)
    List(ListArgs),
    /// One account: its facts, latest refresh and last check
    Show {
        /// Account id or name (case-insensitive)
        account: String,
    },
    /// Add an account
    Add(AddArgs),
    /// Import accounts from CSV (header row) or JSON (array of objects);
    /// all or nothing
    Import {
        /// The file, or - for standard input
        file: PathBuf,
    },
    /// Delete an account and all its data
    Remove {
        /// Account id or name (case-insensitive)
        account: String,
    },
}

#[derive(Debug, Default, clap::Args)]
struct ListArgs {
    /// Only accounts in this status (repeatable)
    #[arg(long, value_parser = parse::account_status, value_name = "STATUS")]
    status: Vec<AccountStatus>,
    /// Only accounts with the refresh marker (INACTIVE, STALE, DORMANT)
    #[arg(long)]
    refreshable: bool,
}

#[derive(Debug, clap::Args)]
struct AddArgs {
    /// The account's name (unique, case-insensitive)
    name: String,
    /// Where its tenant data comes from: fixture:PATH
    #[arg(long)]
    source: String,
    /// The customer's tenant id
    #[arg(long)]
    tenant_id: Option<String>,
    /// ready, provisioning, upgrading, deleting or deleted
    #[arg(long, value_parser = parse::lifecycle, default_value = "ready")]
    lifecycle: Lifecycle,
    /// Time of the last management activity (RFC 3339; default now)
    #[arg(long, value_parser = parse::time, value_name = "TIME")]
    last_activity: Option<DateTime<Utc>>,
}

pub fn run(env: &Env, args: Args) -> Result<Outcome> {
    let now = env.clock.now();
    match args.cmd.unwrap_or(Cmd::List(args.list)) {
        Cmd::List(l) => {
            let store = env.store()?;
            let mut w = env.out.list::<accounts::AccountView>()?;
            accounts::list(&store, now, &l.status, l.refreshable, |v| w.push(&v))?;
            w.finish()?;
        }
        Cmd::Show { account } => {
            let store = env.store()?;
            let detail = accounts::show(&store, now, &account)?;
            env.out.one(&detail)?;
        }
        Cmd::Add(a) => {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            let new = NewAccount {
                name: validate_name(&a.name).map_err(|e| anyhow!("invalid account name: {e}"))?,
                source: SourceSpec::parse(&a.source, &cwd)
                    .map_err(|e| anyhow!("--source: {e}"))?
                    .canonical(),
                tenant_id: a.tenant_id.filter(|t| !t.trim().is_empty()),
                lifecycle: a.lifecycle,
                last_activity_at: Some(a.last_activity.unwrap_or(now)),
                ad_cache_updated_at: None,
            };
            let store = env.store()?;
            let added = accounts::add_all(&store, now, &[new], |_| String::new())?;
            env.out.one(&added[0])?;
        }
        Cmd::Import { file } => {
            let text = read_input(&file)?;
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            let rows = import::parse(&text, &cwd, now)
                .with_context(|| format!("import {}", file.display()))?;
            let store = env.store()?;
            let added = accounts::add_all(&store, now, &rows, import::row_label)
                .with_context(|| format!("import {}", file.display()))?;
            env.note(&format!("imported {} accounts", added.len()));
            env.out.all(added)?;
        }
        Cmd::Remove { account } => {
            let store = env.store()?;
            let removed = accounts::remove(&store, now, &account)?;
            match env.out.format {
                Format::Table => env.out.line(&format!(
                    "removed account {} (id {})",
                    removed.name, removed.id
                ))?,
                _ => env.out.one(&removed)?,
            }
        }
    }
    Ok(Outcome::Success)
}

/// The text of a file, or of standard input for `-`.
pub fn read_input(file: &std::path::Path) -> Result<String> {
    if file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read standard input")?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
    }
}
