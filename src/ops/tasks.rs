//! `nfa tasks`: list, show, run.

use super::{Done, RunContext, run_account, skip_if_gone};
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::owner::Owner;
use crate::domain::policy::Decision;
use crate::domain::task::{TaskKind, TaskStatus};
use crate::domain::time::ser;
use crate::model::{Account, Task};
use crate::ops::logs::LogView;
use crate::runner::{TaskResult, reap_abandoned};
use crate::store::{LogFilter, Store, TaskFilter};
use anyhow::{Result, anyhow};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    pub id: TaskId,
    pub parent_id: Option<TaskId>,
    pub account_id: AccountId,
    pub account: String,
    /// The engineer it was done for (null: before anyone was recorded).
    pub user: Option<String>,
    pub kind: TaskKind,
    pub name: &'static str,
    pub automated: bool,
    pub status: TaskStatus,
    pub decision: Option<Decision>,
    pub description: Option<String>,
    pub error: Option<String>,
    #[serde(serialize_with = "ser::time")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "ser::opt_time")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser::opt_time")]
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Task> for TaskView {
    fn from(t: Task) -> TaskView {
        TaskView {
            id: t.id,
            parent_id: t.parent_id,
            account_id: t.account_id,
            account: t.account,
            user: t.user,
            kind: t.kind,
            name: t.kind.display_name(),
            automated: t.automated,
            status: t.status,
            decision: t.decision,
            description: t.description,
            error: t.error,
            created_at: t.created_at,
            started_at: t.started_at,
            finished_at: t.finished_at,
        }
    }
}

/// Streams the tasks of `filter`, newest first. Automated tasks are shown
/// when asked for, or when the setting `display-automated-tasks` is true.
pub fn list(
    store: &Store,
    mut filter: TaskFilter,
    f: impl FnMut(TaskView) -> Result<()>,
) -> Result<()> {
    let db = store.read();
    filter.include_automated |= db.settings()?.display_automated_tasks;
    if !filter.include_automated
        && !filter.kinds.is_empty()
        && filter.kinds.iter().all(|k| k.is_automated())
    {
        return Ok(()); // only hidden kinds were asked for
    }
    let mut f = f;
    db.for_each_task(&filter, |t| f(t.into()))
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskDetail {
    #[serde(flatten)]
    pub task: TaskView,
    pub children: Vec<TaskView>,
    /// The system log lines of the task and of its children, oldest first.
    pub logs: Vec<LogView>,
}

pub fn show(store: &Store, id: TaskId) -> Result<TaskDetail> {
    let db = store.read();
    let task = db.task(id)?.ok_or_else(|| {
        crate::error::hinted(
            format!("unknown task {id}"),
            vec!["nfa tasks --show-automated lists the newest tasks, with their ids".to_string()],
        )
    })?;
    let children = db.children(id)?.into_iter().map(TaskView::from).collect();
    let mut logs = vec![];
    let filter = LogFilter {
        task_id: Some(id),
        oldest_first: true,
        ..LogFilter::default()
    };
    db.for_each_log(&filter, |l| {
        logs.push(l.into());
        Ok(())
    })?;
    Ok(TaskDetail {
        task: task.into(),
        children,
        logs,
    })
}

/// The one claim mechanism of `nfa tasks run` and `nfa worker`: takes on,
/// for `me`, the PENDING tasks of one account that no process holds
/// (`Db::claim_next`), and reads the account, in one transaction (an
/// account removed meanwhile takes its tasks with it); `None` when there
/// is nothing to take.
pub fn claim_one(store: &Store, me: &Owner) -> Result<Option<(Account, Vec<TaskResult>)>> {
    store.write(|db| {
        let Some((account_id, tasks)) = db.claim_next(me)? else {
            return Ok(None);
        };
        let account = db
            .account(account_id)?
            .ok_or_else(|| anyhow!("account {account_id} vanished"))?;
        let tasks = tasks
            .into_iter()
            .map(|(id, kind)| TaskResult::pending(id, kind))
            .collect();
        Ok(Some((account, tasks)))
    })
}

/// A task run by `nfa tasks run`.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub account_id: AccountId,
    pub account: String,
    #[serde(flatten)]
    pub task: TaskResult,
}

/// Runs every PENDING task now: first ends abandoned runs, then, on up to
/// `ctx.jobs` threads, takes on the PENDING tasks of one account that no
/// process holds (`claim_next`: each task is taken by one process, however
/// many run at once), runs them, and takes the next, until none is left.
/// The reports in task order.
pub fn run_pending(ctx: &RunContext<'_>, store: &Store) -> Done<RunReport> {
    let me = Owner::current();
    if let Err(e) = store.write(|db| reap_abandoned(db, None, ctx.clock.now())) {
        return Done {
            items: vec![],
            error: Some(e),
        };
    }
    let claim = |store: &Store| claim_one(store, me);
    let mut done = super::drain(ctx, store, ctx.jobs, claim, |store, (account, tasks)| {
        skip_if_gone(ctx, &account, || {
            let results = run_account(ctx, store, &account, &tasks)?;
            Ok(results
                .into_iter()
                .map(|task| RunReport {
                    account_id: account.id,
                    account: account.name.clone(),
                    task,
                })
                .collect::<Vec<_>>())
        })
    })
    .flatten();
    let mut reports: Vec<RunReport> = done.items.drain(..).flatten().collect();
    reports.sort_by_key(|r| r.task.id);
    Done {
        items: reports,
        error: done.error,
    }
}
