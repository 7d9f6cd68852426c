//! `nfa tasks [list] | show ID | run`.

use super::{Env, parse, run_tasks};
use crate::domain::task::{TaskKind, TaskStatus};
use crate::domain::time::Since;
use crate::error::Outcome;
use crate::ops::tasks::{RunReport, TaskView};
use crate::ops::{accounts, tasks};
use crate::render::Format;
use crate::render::{Column, Columns, Kind};
use crate::store::TaskFilter;
use anyhow::Result;

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
    /// Management tasks, newest first (automated ones only with
    /// --show-automated or the setting display-automated-tasks)
    List(ListArgs),
    /// A task, its children, and the system log lines of them all
    Show {
        /// Task id
        id: i64,
    },
    /// Run every PENDING task now
    Run {
        /// How many accounts to work on at once
        #[arg(short, long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        jobs: u16,
    },
}

#[derive(Debug, Default, clap::Args)]
struct ListArgs {
    /// Only tasks of this account (id or name)
    #[arg(long)]
    account: Option<String>,
    /// Only tasks in this status (repeatable)
    #[arg(long, value_parser = parse::words::<TaskStatus>(), value_name = "STATUS")]
    status: Vec<TaskStatus>,
    /// Only tasks of this kind (repeatable; the display name is accepted too)
    #[arg(long, value_parser = parse::words::<TaskKind>(), value_name = "KIND")]
    kind: Vec<TaskKind>,
    /// Only tasks created since WHEN: a duration (6h, 30d) or an RFC 3339 time
    #[arg(long, value_parser = parse::when, value_name = "WHEN")]
    since: Option<Since>,
    /// At most N tasks (0: no limit)
    #[arg(long, default_value_t = 50, value_name = "N")]
    limit: u64,
    /// Include the automated tasks (refresh and audit tasks)
    #[arg(long)]
    show_automated: bool,
    /// Only tasks done for this engineer (their login name)
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
}

pub fn run(env: &Env, args: Args) -> Result<Outcome> {
    let store = env.store()?;
    match args.cmd.unwrap_or(Cmd::List(args.list)) {
        Cmd::List(l) => {
            let account_id = match &l.account {
                Some(a) => Some(accounts::resolve(&store.read(), a)?.id),
                None => None,
            };
            let filter = TaskFilter {
                account_id,
                statuses: l.status,
                kinds: l.kind,
                since: l.since.map(|w| w.resolve(env.clock.now())),
                include_automated: l.show_automated,
                user: l.user,
                // One more than shown: whether the list was cut.
                limit: if l.limit == 0 { u64::MAX } else { l.limit + 1 },
            };
            let mut w = env.out.list::<TaskView>()?;
            let mut more = false;
            tasks::list(&store, filter, |t| {
                if l.limit != 0 && w.count() as u64 >= l.limit {
                    more = true;
                    return Ok(());
                }
                w.push(&t)
            })?;
            w.finish()?;
            if more {
                env.note(&super::cut_note(l.limit));
            }
        }
        Cmd::Show { id } => {
            let detail = tasks::show(&store, crate::domain::ids::TaskId(id))?;
            match env.out.format {
                Format::Table => {
                    env.out.one(&detail.task)?;
                    if !detail.children.is_empty() {
                        env.out.line("children:")?;
                        env.out.all(detail.children)?;
                    }
                    env.out.line("system log:")?;
                    env.out.all(detail.logs)?;
                }
                _ => env.out.one(&detail)?,
            }
        }
        Cmd::Run { jobs } => {
            store.authorize(crate::domain::role::Action::RunTasks)?;
            let run = run_tasks(env, &store, jobs, 0, |ctx, _| {
                tasks::run_pending(ctx, &store)
            })?;
            if run.reports.is_empty() && run.error.is_some() {
                return run.outcome(false);
            }
            if run.reports.is_empty() {
                env.note("no pending tasks");
            }
            let failed = run
                .reports
                .iter()
                .any(|r| r.task.status == TaskStatus::Error);
            env.out.all(run.reports.iter().cloned())?;
            return run.outcome(failed);
        }
    }
    Ok(Outcome::Success)
}

impl Columns for TaskView {
    const CSV: &'static [&'static str] = &[
        "id",
        "parent_id",
        "account_id",
        "account",
        "user",
        "kind",
        "name",
        "automated",
        "status",
        "decision",
        "description",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    ];
    /// On a terminal one line a task: its error when it failed, else what
    /// it does (`-o wide` or `tasks show` for both, in full).
    const COLUMNS: &'static [Column] = &[
        Column::new("id", "id", Kind::Id),
        Column::new("parent_id", "parent", Kind::Id).wide(),
        Column::new("account", "account", Kind::Name),
        Column::new("name", "task", Kind::Name).drop(3),
        Column::new("status", "status", Kind::Status),
        Column::new("created_at", "created", Kind::Age).drop(2),
        Column::new("user", "user", Kind::Name).drop(1),
        Column::new("description", "description", Kind::Text).wide(),
        Column::new("error", "error", Kind::Text).wide(),
        Column::new("detail", "detail", Kind::Text).terminal(),
    ];

    fn table_text(&self, key: &str) -> Option<String> {
        match key {
            "detail" => Some(
                self.error
                    .as_ref()
                    .or(self.description.as_ref())
                    .cloned()
                    .unwrap_or_default(),
            ),
            _ => None,
        }
    }
}

impl Columns for RunReport {
    const CSV: &'static [&'static str] = &[
        "id",
        "account_id",
        "account",
        "kind",
        "name",
        "status",
        "error",
    ];
    const COLUMNS: &'static [Column] = &[
        Column::new("id", "id", Kind::Id),
        Column::new("account", "account", Kind::Name),
        Column::new("name", "task", Kind::Name).drop(1),
        Column::new("status", "status", Kind::Status),
        Column::new("error", "error", Kind::Text),
    ];
}
