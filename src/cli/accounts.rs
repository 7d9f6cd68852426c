//! `nfa accounts list | show | add | import | remove`.

use super::{Env, parse};
use crate::domain::role::Action;
use crate::domain::status::{AccountStatus, Lifecycle};
use crate::domain::time::format_time;
use crate::domain::word::Word;
use crate::error::Outcome;
use crate::ops::accounts::{AccountView, ConnectionTest};
use crate::ops::partner::Discovered;
use crate::ops::{accounts, import, partner};
use crate::render::Format;
use crate::render::{Column, Columns, Kind};
use anyhow::{Context, Result, anyhow, bail};
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
    /// Test the account's connections (directory, Microsoft 365, Azure)
    /// without recording anything; exit 1 if one fails
    Test {
        /// Account id or name (case-insensitive)
        account: String,
    },
    /// The partner tenant's customers, found through its GDAP
    /// relationships (with --import: added as accounts, all or nothing)
    #[command(
        after_long_help = "Examples:\n  nfa accounts discover\n  nfa accounts discover --status expiring\n  nfa accounts discover --import"
    )]
    Discover {
        /// Add every customer with an active or expiring relationship that
        /// is not an account yet (as graph:TENANT_ID, named by its display
        /// name); all or nothing
        #[arg(long)]
        import: bool,
        /// Only customers whose relationship is in this status (active,
        /// expiring, approvalPending, expired, …; repeatable)
        #[arg(long, value_name = "STATUS")]
        status: Vec<String>,
    },
    /// Delete an account and all its data
    Remove {
        /// Account id or name (case-insensitive)
        account: String,
        /// Do not ask (on a terminal, nfa asks before it removes)
        #[arg(short, long)]
        yes: bool,
    },
}

#[derive(Debug, Default, clap::Args)]
struct ListArgs {
    /// Only accounts in this status (repeatable)
    #[arg(long, value_parser = parse::words::<AccountStatus>(), value_name = "STATUS")]
    status: Vec<AccountStatus>,
    /// Only accounts with the refresh marker (INACTIVE, STALE, DORMANT)
    #[arg(long)]
    refreshable: bool,
}

#[derive(Debug, clap::Args)]
struct AddArgs {
    /// The account's name (unique, case-insensitive)
    name: String,
    /// Where its tenant data comes from: fixture:PATH or graph:TENANT_ID
    #[arg(long)]
    source: String,
    /// The customer's tenant id
    #[arg(long)]
    tenant_id: Option<String>,
    /// ready, provisioning, upgrading, deleting or deleted
    #[arg(long, value_parser = parse::words::<Lifecycle>(), default_value = "ready")]
    lifecycle: Lifecycle,
    /// Time of the last management activity (RFC 3339; default now)
    #[arg(long, value_parser = parse::time, value_name = "TIME")]
    last_activity: Option<DateTime<Utc>>,
    /// graph: the application (client) id of the app registration
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// graph: the environment variable that holds the client secret
    #[arg(long, value_name = "VAR", conflicts_with = "client_secret_file")]
    client_secret_env: Option<String>,
    /// graph: the file (mode 600) that holds the client secret
    #[arg(long, value_name = "PATH", conflicts_with = "certificate_file")]
    client_secret_file: Option<String>,
    /// graph: the PEM certificate (RSA) of the app registration; may hold
    /// the key too
    #[arg(long, value_name = "PEM", conflicts_with = "client_secret_env")]
    certificate_file: Option<String>,
    /// graph: the PEM private key of the certificate (mode 600)
    #[arg(long, value_name = "KEY", requires = "certificate_file")]
    certificate_key_file: Option<String>,
    /// graph: the Azure subscription to check
    #[arg(long, value_name = "SUBSCRIPTION_ID")]
    subscription: Option<String>,
}

pub fn run(env: &Env, args: Args) -> Result<Outcome> {
    let now = env.clock.now();
    match args.cmd.unwrap_or(Cmd::List(args.list)) {
        Cmd::List(l) => {
            let store = env.store()?;
            let mut w = env.out.list::<AccountView>()?;
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
            let lifecycle = a.lifecycle.as_str();
            let last_activity = a.last_activity.map(format_time);
            let field = |k: &str| -> Option<&str> {
                match k {
                    "name" => Some(&a.name),
                    "source" => Some(&a.source),
                    "tenant_id" => a.tenant_id.as_deref(),
                    "lifecycle" => Some(lifecycle),
                    "last_activity_at" => last_activity.as_deref(),
                    "client_id" => a.client_id.as_deref(),
                    "client_secret_env" => a.client_secret_env.as_deref(),
                    "client_secret_file" => a.client_secret_file.as_deref(),
                    "certificate_file" => a.certificate_file.as_deref(),
                    "certificate_key_file" => a.certificate_key_file.as_deref(),
                    "subscription_id" => a.subscription.as_deref(),
                    _ => None,
                }
            };
            let new = import::account_from_fields(field, &cwd, now).map_err(|e| {
                let flag = match e.field.as_str() {
                    "name" => "NAME".to_string(),
                    "subscription_id" => "--subscription".to_string(),
                    "last_activity_at" => "--last-activity".to_string(),
                    f => format!("--{}", f.replace('_', "-")),
                };
                anyhow!("{flag}: {}", e.message)
            })?;
            let store = env.store_for(Action::AddAccounts)?;
            let added =
                accounts::add_all(&store, now, std::slice::from_ref(&new), |_| String::new())?;
            warn_missing_fixtures(env, &added);
            warn_no_partner(env, &store, &[new])?;
            env.out.one(&added[0])?;
        }
        Cmd::Import { file } => {
            let text = read_input(&file)?;
            // Paths inside a file are relative to that file, as a
            // manifest's are (standard input: the current directory).
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            let base = match file.to_str() {
                Some("-") => cwd,
                _ => cwd.join(file.parent().unwrap_or(std::path::Path::new(""))),
            };
            let rows = import::parse(&text, &base, now)
                .with_context(|| format!("import {}", file.display()))?;
            let store = env.store_for(Action::AddAccounts)?;
            let added = accounts::add_all(&store, now, &rows, import::row_label)
                .with_context(|| format!("import {}", file.display()))?;
            env.note(&format!("imported {} accounts", added.len()));
            warn_missing_fixtures(env, &added);
            warn_no_partner(env, &store, &rows)?;
            env.out.all(added)?;
        }
        Cmd::Test { account } => {
            let store = env.store_for(Action::TestAccounts)?;
            let cancel = crate::process::interrupt_flag()?;
            let report = accounts::test(&store, &account, &cancel)?;
            if cancel.is_cancelled() {
                return Ok(Outcome::Interrupted);
            }
            match env.out.format {
                Format::Table => env.out.all(report.connections.iter().cloned())?,
                _ => env.out.one(&report)?,
            }
            if !report.ok {
                let failed = report.connections.iter().filter(|c| !c.ok).count();
                bail!(
                    "{failed} of {} connections of {} failed",
                    report.connections.len(),
                    report.account
                );
            }
        }
        Cmd::Discover { import, status } => {
            let statuses = partner::statuses(&status)?;
            let cancel = crate::process::interrupt_flag()?;
            if import {
                let store = env.store_for(Action::AddAccounts)?;
                let added = partner::import(&store, now, &cancel, &statuses);
                if cancel.is_cancelled() {
                    return Ok(Outcome::Interrupted);
                }
                let added = added?;
                env.note(&format!("imported {} accounts", added.len()));
                env.out.all(added)?;
            } else {
                let store = env.store()?;
                let found = partner::discover(&store, &cancel, &statuses);
                if cancel.is_cancelled() {
                    return Ok(Outcome::Interrupted);
                }
                env.out.all(found?)?;
            }
        }
        Cmd::Remove { account, yes } => {
            let store = env.store_for(Action::RemoveAccounts)?;
            if !yes && !confirm_removal(&store, &account)? {
                anyhow::bail!("nothing was removed (answer y to remove it, or pass --yes)");
            }
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

/// The text of a file, or of standard input for `-`, of at most
/// [`import::MAX_IMPORT_BYTES`] (a pipe or `/dev/zero` cannot fill the
/// memory).
pub fn read_input(file: &std::path::Path) -> Result<String> {
    let (name, reader): (String, Box<dyn Read>) = if file.as_os_str() == "-" {
        ("standard input".into(), Box::new(std::io::stdin()))
    } else {
        let f =
            std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
        if f.metadata().is_ok_and(|m| m.is_dir()) {
            bail!("cannot read {}: it is a directory", file.display());
        }
        (file.display().to_string(), Box::new(f))
    };
    let max = import::MAX_IMPORT_BYTES;
    let mut bytes = vec![];
    reader
        .take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    if bytes.len() as u64 > max {
        bail!(
            "{name} is larger than the {} MiB an import may be; split it",
            max >> 20
        );
    }
    String::from_utf8(bytes).map_err(|e| anyhow!("{name} is not UTF-8 text: {e}"))
}

impl Columns for AccountView {
    const CSV: &'static [&'static str] = &[
        "id",
        "name",
        "tenant_id",
        "source",
        "status",
        "refresh_available",
        "lifecycle",
        "last_activity_at",
        "ad_cache_updated_at",
        "last_check_at",
        "last_check_ok",
        "ad_users",
        "ad_groups",
        "created_at",
    ];
    const COLUMNS: &'static [Column] = &[
        Column::new("id", "id", Kind::Id),
        Column::new("name", "name", Kind::Name),
        Column::new("status", "status", Kind::Status),
        Column::new("refresh_available", "↻", Kind::Marker),
        Column::new("last_activity_at", "activity", Kind::Age).drop(4),
        Column::new("ad_cache_updated_at", "cache", Kind::Age).drop(3),
        Column::new("last_check_ok", "conn", Kind::Flag).drop(5),
        Column::new("ad_users", "users", Kind::Count).drop(2),
        Column::new("ad_groups", "groups", Kind::Count).drop(1),
    ];
}

impl Columns for Discovered {
    const CSV: &'static [&'static str] = &[
        "tenant_id",
        "display_name",
        "relationship",
        "ends_at",
        "auto_extend",
        "roles",
        "account",
    ];
    const COLUMNS: &'static [Column] = &[
        Column::new("display_name", "customer", Kind::Name),
        Column::new("relationship", "gdap", Kind::Word),
        Column::new("ends_at", "ends", Kind::Time).drop(2),
        Column::new("auto_extend", "extends", Kind::Flag).drop(3),
        Column::new("account", "account", Kind::Id),
        Column::new("tenant_id", "tenant", Kind::Id).drop(4),
        Column::new("roles", "roles", Kind::Text).drop(1).wide(),
    ];

    fn table_text(&self, key: &str) -> Option<String> {
        (key == "roles").then(|| self.roles.join(", "))
    }
}

impl Columns for ConnectionTest {
    const CSV: &'static [&'static str] = &["connection", "ok", "error"];
    const COLUMNS: &'static [Column] = &[
        Column::new("connection", "connection", Kind::Id),
        Column::new("ok", "works", Kind::Flag),
        Column::new("error", "why not", Kind::Text),
    ];
}

/// On a terminal, asks before an account and all its data go; elsewhere
/// (a script, cron) the command is the answer, as the contract says.
fn confirm_removal(store: &crate::store::Store, wanted: &str) -> Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Ok(true);
    }
    let a = accounts::resolve(&store.read(), wanted)?;
    let mut err = std::io::stderr().lock();
    write!(
        err,
        "remove account '{}' (id {}) with its tasks, log lines, checks and AD cache? [y/N] ",
        crate::render::for_terminal(&a.name, false),
        a.id
    )?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}

/// A `warning:` line for each added account whose fixture file does not
/// exist (yet): it was added all the same, the file may come later.
fn warn_missing_fixtures(env: &Env, added: &[AccountView]) {
    for a in added {
        if let Some(path) = a.source.strip_prefix("fixture:")
            && !std::path::Path::new(path).exists()
            && !env.quiet
        {
            eprintln!(
                "warning: account '{}': its fixture file {} does not exist (yet); its tasks fail until it does",
                crate::render::for_terminal(&a.name, false),
                crate::render::for_terminal(path, false)
            );
        }
    }
}

/// A `warning:` line when live accounts without an app of their own were
/// added and no partner app is set to sign in to them.
fn warn_no_partner(
    env: &Env,
    store: &crate::store::Store,
    added: &[crate::domain::account::NewAccount],
) -> Result<()> {
    let without: Vec<&str> = added
        .iter()
        .filter(|a| {
            a.credentials.is_none()
                && crate::domain::tenant::SourceSpec::live_tenant(&a.source).is_some()
        })
        .map(|a| a.name.as_str())
        .collect();
    if without.is_empty() || env.quiet || store.read().partner()?.is_some() {
        return Ok(());
    }
    eprintln!(
        "warning: {} {} no app of its own and no partner app is set: its tasks fail until one is (nfa partner set), or give it --client-id and a credential",
        crate::render::for_terminal(&without.join(", "), false),
        if without.len() == 1 { "has" } else { "have" }
    );
    Ok(())
}
