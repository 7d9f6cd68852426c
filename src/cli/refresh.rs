//! `nfa refresh` and `nfa audit`.

use super::{Env, run_tasks};
use crate::domain::role::Action;
use crate::error::Outcome;
use crate::model::Account;
use crate::ops::refresh::AuditReport;
use crate::ops::refresh::{RefreshOptions, RefreshReport, audit, refresh};
use crate::ops::run::Run;
use crate::ops::{AccountRun, accounts};
use crate::render::{Column, Columns, Format, Kind};
use crate::runner::TaskResult;
use crate::store::Store;
use anyhow::Result;
use serde::Serialize;
use std::io::BufRead;

#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["accounts", "refreshable"]))]
pub struct RefreshArgs {
    /// Account ids or names; - reads them from standard input, one a line
    accounts: Vec<String>,
    /// Refresh every account that carries the refresh marker
    #[arg(long, conflicts_with = "accounts")]
    refreshable: bool,
    /// Record the activity and its tasks but leave the tasks PENDING
    /// (`nfa tasks run` runs them)
    #[arg(long)]
    no_run: bool,
    /// How many accounts to work on at once
    #[arg(short, long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
}

#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["accounts", "all"]))]
pub struct AuditArgs {
    /// Account ids or names; - reads them from standard input, one a line
    accounts: Vec<String>,
    /// Audit every account
    #[arg(long, conflicts_with = "accounts")]
    all: bool,
    /// How many accounts to work on at once
    #[arg(short, long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
}

/// The accounts named on the command line (or on standard input for `-`);
/// any unknown one refuses the whole call before anything is written.
fn named_accounts(store: &Store, names: &[String]) -> Result<Vec<Account>> {
    let mut wanted = vec![];
    for n in names {
        if n == "-" {
            for line in std::io::stdin().lock().lines() {
                let line = line?;
                if !line.trim().is_empty() {
                    wanted.push(line.trim().to_string());
                }
            }
        } else {
            wanted.push(n.clone());
        }
    }
    accounts::resolve_all(store, &wanted)
}

/// One object for one named account; an array otherwise.
fn single(names: &[String]) -> bool {
    names.len() == 1 && names[0] != "-"
}

/// A task row of the human summary.
#[derive(Serialize)]
struct TaskRow<'a> {
    account: &'a str,
    #[serde(flatten)]
    task: &'a TaskResult,
}

impl Columns for TaskRow<'_> {
    const CSV: &'static [&'static str] = &["account", "id", "kind", "status", "error"];
    const COLUMNS: &'static [Column] = &[
        Column::new("account", "account", Kind::Name),
        Column::new("id", "task", Kind::Id),
        Column::new("name", "name", Kind::Name).drop(1),
        Column::new("status", "status", Kind::Status),
        Column::new("error", "error", Kind::Text),
    ];
}

pub fn run_refresh(env: &Env, args: RefreshArgs) -> Result<Outcome> {
    let store = env.store_for(Action::Refresh)?;
    let targets = if args.refreshable {
        accounts::select(&store, env.clock.now(), true)?
    } else {
        named_accounts(&store, &args.accounts)?
    };
    if targets.is_empty() {
        env.note("no account to refresh");
    }
    // A bulk run (not exactly one named account) is summed up once, with
    // the portal's sentence once, however many accounts it came down to.
    let several = !single(&args.accounts);
    let opts = RefreshOptions {
        no_run: args.no_run,
    };
    let run = run_tasks(env, &store, args.jobs, targets.len(), |ctx, progress| {
        // One account: the portal's sentence as soon as it is decided.
        // Several: one summary once they are done (see `show_reports`).
        let on_planned = |r: &RefreshReport| {
            if env.out.format == Format::Table && !several {
                progress.println(r.message.as_deref().unwrap_or(&r.description));
            }
        };
        refresh(ctx, &store, &targets, &opts, &on_planned)
    })?;
    show_reports(env, single(&args.accounts), run)
}

pub fn run_audit(env: &Env, args: AuditArgs) -> Result<Outcome> {
    let store = env.store_for(Action::Audit)?;
    let targets = if args.all {
        accounts::select(&store, env.clock.now(), false)?
    } else {
        named_accounts(&store, &args.accounts)?
    };
    if targets.is_empty() {
        env.note("no account to audit");
    }
    let run = run_tasks(env, &store, args.jobs, targets.len(), |ctx, _| {
        audit(ctx, &store, &targets)
    })?;
    // The nightly `audit --all` keeps the history as long as keep-history
    // says (nothing when it is 0).
    if args.all && !run.interrupted && run.error.is_none() {
        let pruned = crate::ops::prune::prune(&store, env.clock, None, false)?;
        if pruned.tasks + pruned.log_lines > 0 {
            env.note(&format!(
                "pruned {} tasks and {} log lines older than keep-history",
                pruned.tasks, pruned.log_lines
            ));
        }
    }
    show_reports(env, single(&args.accounts), run)
}

/// A line of the summary of a run over several accounts.
#[derive(Serialize)]
struct BulkRow<'a> {
    account: &'a str,
    decision: Option<crate::domain::policy::Decision>,
    status: String,
    /// The first failed task (`nfa tasks show` it) and its error.
    task: Option<crate::domain::ids::TaskId>,
    error: Option<String>,
}

/// A line of the summary of an audit: a [`BulkRow`] without a decision
/// (an audit decides nothing).
#[derive(Serialize)]
#[serde(transparent)]
struct AuditRow<'a>(BulkRow<'a>);

impl Columns for AuditRow<'_> {
    const CSV: &'static [&'static str] = &["account", "status", "task", "error"];
    const COLUMNS: &'static [Column] = &[
        Column::new("account", "account", Kind::Name),
        Column::new("status", "status", Kind::Status),
        Column::new("task", "failed task", Kind::Id).drop(1),
        Column::new("error", "error", Kind::Text),
    ];
}

impl Columns for BulkRow<'_> {
    const CSV: &'static [&'static str] = &["account", "decision", "status", "task", "error"];
    const COLUMNS: &'static [Column] = &[
        Column::new("account", "account", Kind::Name),
        Column::new("decision", "decision", Kind::Word).drop(1),
        Column::new("status", "status", Kind::Status),
        Column::new("task", "failed task", Kind::Id).drop(2),
        Column::new("error", "error", Kind::Text),
    ];
}

impl Columns for RefreshReport {
    const CSV: &'static [&'static str] = &[
        "account_id",
        "account",
        "activity_id",
        "decision",
        "earlier_activity_id",
        "earlier_status",
        "message",
        "description",
        "status_before",
        "status_after",
        "tasks",
    ];
    /// On a terminal: the status change in one column, and the earlier
    /// activity only as the description words it.
    const COLUMNS: &'static [Column] = &[
        Column::new("account", "account", Kind::Name),
        Column::new("activity_id", "activity", Kind::Id).drop(1),
        Column::new("decision", "decision", Kind::Word).drop(2),
        Column::new("earlier_activity_id", "earlier", Kind::Id).wide(),
        Column::new("earlier_status", "earlier status", Kind::Status).wide(),
        Column::new("status_before", "before", Kind::Status).wide(),
        Column::new("status_after", "after", Kind::Status).wide(),
        Column::new("status", "status", Kind::Status).terminal(),
        Column::new("description", "description", Kind::Text),
    ];

    fn table_text(&self, key: &str) -> Option<String> {
        (key == "status").then(|| self.status_change())
    }
}

impl Columns for AuditReport {
    const CSV: &'static [&'static str] = &[
        "account_id",
        "account",
        "status_before",
        "status_after",
        "tasks",
    ];
    const COLUMNS: &'static [Column] = &[
        Column::new("account", "account", Kind::Name),
        Column::new("status_before", "before", Kind::Status).wide(),
        Column::new("status_after", "after", Kind::Status).wide(),
        Column::new("status", "status", Kind::Status).terminal(),
    ];

    fn table_text(&self, key: &str) -> Option<String> {
        (key == "status").then(|| self.status_change())
    }
}

/// Several accounts, for people: what was decided, counted once (with the
/// portal's sentence once), then a line an account: its decision, its
/// status before → after, and its first failed task with the error.
fn bulk_summary<R: AccountRun>(env: &Env, reports: &[R]) -> Result<()> {
    use crate::domain::policy::Decision;
    use crate::domain::word::Word;
    let count = |d: Decision| reports.iter().filter(|r| r.decision() == Some(d)).count();
    let decided: Vec<String> = [Decision::New, Decision::Retry, Decision::Deduplicated]
        .into_iter()
        .filter(|d| count(*d) > 0)
        .map(|d| format!("{} {}", count(d), d.as_str()))
        .collect();
    let n = reports.len();
    if n == 0 {
        return Ok(()); // said on standard error (a terminal's note)
    }
    let accounts = if n == 1 { "account" } else { "accounts" };
    if decided.is_empty() {
        env.out.line(&format!("{n} {accounts} audited"))?;
    } else {
        env.out
            .line(&format!("{n} {accounts}: {}", decided.join(", ")))?;
        if count(Decision::New) + count(Decision::Retry) > 0 {
            env.out.line(crate::ops::refresh::TASKS_ADDED)?;
        }
    }
    let rows = reports.iter().map(|r| {
        let failed = r
            .tasks()
            .iter()
            .find(|t| t.status == crate::domain::task::TaskStatus::Error);
        BulkRow {
            account: r.account(),
            decision: r.decision(),
            status: r.status_change(),
            task: failed.map(|t| t.id),
            error: failed.map(|t| format!("{}: {}", t.name, t.error.as_deref().unwrap_or(""))),
        }
    });
    if decided.is_empty() {
        env.out.all(rows.map(AuditRow))
    } else {
        env.out.all(rows)
    }
}

/// Renders the reports of a refresh or an audit (one object for one named
/// account) and tells the outcome.
fn show_reports<R: Columns + AccountRun + Clone>(
    env: &Env,
    one: bool,
    run: Run<R>,
) -> Result<Outcome> {
    let reports = &run.reports;
    if reports.is_empty() && run.error.is_some() {
        // Nothing was done before the error: it alone is said.
        return run.outcome(false);
    }
    if one && reports.is_empty() && !run.interrupted {
        anyhow::bail!("the account was removed during the run; nothing was reported");
    }
    match env.out.format {
        Format::Json if one && reports.len() == 1 => env.out.one(&reports[0])?,
        Format::Table if !one => bulk_summary(env, reports)?,
        Format::Table => {
            env.out.all(reports.iter().cloned())?;
            if reports.iter().any(|r| !r.tasks().is_empty()) {
                let rows = reports.iter().flat_map(|r| {
                    r.tasks().iter().map(|t| TaskRow {
                        account: r.account(),
                        task: t,
                    })
                });
                env.out.all(rows)?;
            }
        }
        _ => env.out.all(reports.iter().cloned())?,
    }
    let failed = reports.iter().any(AccountRun::any_error);
    run.outcome(failed)
}
