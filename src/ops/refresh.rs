//! `nfa refresh` and `nfa audit`.
//!
//! A refresh decides and records in one write transaction (reap abandoned
//! runs of the account, find the earlier refresh, apply the policy, insert
//! the activity and its tasks, mark management activity), then runs the
//! tasks it added in this process.

use super::{AccountRun, Done, RunContext, parallel, run_account, skip_if_gone};
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::log::{Level, LogEvent, NEW_ACTIVITY};
use crate::domain::owner::Owner;
use crate::domain::policy::{Decision, EarlierRefresh, decide};
use crate::domain::status::{AccountStatus, account_status};
use crate::domain::task::Origin;
use crate::domain::task::{REFRESH_KINDS, TaskKind, TaskStatus};
use crate::model::Account;
use crate::runner::{AccountGone, TaskResult, reap_these};
use crate::store::{NewTask, Store};
use anyhow::Result;
use serde::Serialize;

/// What the portal says when refresh tasks were added.
pub const TASKS_ADDED: &str = "Update AD Cache and check Nerdio users tasks were successfully added and will be executed soon";

#[derive(Debug, Clone, Serialize)]
pub struct RefreshReport {
    pub account_id: AccountId,
    pub account: String,
    pub activity_id: TaskId,
    pub decision: Decision,
    pub earlier_activity_id: Option<TaskId>,
    pub earlier_status: Option<TaskStatus>,
    /// [`TASKS_ADDED`] on `new` and `retry`; `null` when deduplicated.
    pub message: Option<String>,
    /// The activity's description.
    pub description: String,
    pub status_before: AccountStatus,
    pub status_after: AccountStatus,
    /// The tasks this call added (empty when deduplicated).
    pub tasks: Vec<TaskResult>,
}

impl AccountRun for RefreshReport {
    fn account(&self) -> &str {
        &self.account
    }
    fn tasks(&self) -> &[TaskResult] {
        &self.tasks
    }
    fn statuses(&self) -> (AccountStatus, AccountStatus) {
        (self.status_before, self.status_after)
    }
    fn decision(&self) -> Option<Decision> {
        Some(self.decision)
    }
}

/// Options of `nfa refresh`.
pub struct RefreshOptions {
    /// Record the activity and its tasks, but leave the tasks PENDING.
    pub no_run: bool,
}

/// Refreshes each account (in parallel with `ctx.jobs`). `on_planned` is
/// called once an account's decision is recorded, before its tasks run.
pub fn refresh(
    ctx: &RunContext<'_>,
    own: &Store,
    accounts: &[Account],
    opts: &RefreshOptions,
    on_planned: &(dyn Fn(&RefreshReport) + Sync),
) -> Done<RefreshReport> {
    parallel(ctx, own, accounts, |store, account| {
        skip_if_gone(ctx, account, || {
            let mut report = plan(store, ctx, account, opts.no_run)?;
            on_planned(&report);
            if !opts.no_run && !report.tasks.is_empty() {
                let fresh = store
                    .read()
                    .account(account.id)?
                    .ok_or_else(|| gone(account))?;
                report.tasks = run_account(ctx, store, &fresh, &report.tasks)?;
                report.status_after = status_now(store, ctx, account)?;
            } else {
                // Nothing ran: the status is the one the decision left.
                ctx.progress.account_finished(account);
            }
            Ok(report)
        })
    })
    .flatten()
}

fn gone(account: &Account) -> anyhow::Error {
    AccountGone::of(account).into()
}

fn status_now(store: &Store, ctx: &RunContext<'_>, account: &Account) -> Result<AccountStatus> {
    let db = store.read();
    let a = db.account(account.id)?.ok_or_else(|| gone(account))?;
    Ok(account_status(
        &a.facts(),
        ctx.clock.now(),
        &db.settings()?.thresholds,
    ))
}

/// The atomic decide-and-insert of one refresh.
fn plan(
    store: &Store,
    ctx: &RunContext<'_>,
    account: &Account,
    no_run: bool,
) -> Result<RefreshReport> {
    store.write(|db| {
        // The decision of one account is taken by one engineer at a time,
        // on any host; other accounts' go on meanwhile.
        db.lock_account(account.id)?;
        let now = ctx.clock.now();
        // Everything it decides from, read at once (one round trip).
        let inputs = db.decision_inputs(account.id, true)?;
        let settings = inputs.settings;
        let account = inputs.account.ok_or_else(|| gone(account))?;
        let reaped = reap_these(
            db,
            inputs.unfinished,
            inputs.server_secs,
            settings.heartbeat_timeout,
            now,
        )?;
        // A task it ended "abandoned" may be one of the earlier refresh's.
        let earlier = match reaped.is_empty() {
            true => inputs.earlier,
            false => db.earlier_refresh(account.id)?,
        };
        let status_before = account_status(&account.facts(), now, &settings.thresholds);
        let earlier = earlier.map(|(activity, children)| EarlierRefresh {
            activity_id: activity.id,
            created_at: activity.created_at,
            children: children.iter().map(|c| (c.kind, c.status)).collect(),
        });
        let plan = decide(earlier.as_ref(), now, settings.refresh_window);
        let description = plan.description();
        let activity_id = db.insert_task_as(
            inputs.activity_id,
            &NewTask {
                parent_id: None,
                account_id: account.id,
                kind: TaskKind::UpdatingAccountStatus,
                automated: false,
                origin: Origin::Refresh,
                decision: Some(plan.decision),
                status: if plan.kinds.is_empty() {
                    TaskStatus::Complete
                } else {
                    TaskStatus::Pending
                },
                description: Some(&description),
                earlier: plan.earlier,
                owner: None,
            },
            now,
        )?;
        let owner = (!no_run).then(Owner::current);
        let mut tasks = vec![];
        for kind in &plan.kinds {
            let id = db.insert_task(
                &NewTask {
                    parent_id: Some(activity_id),
                    account_id: account.id,
                    kind: *kind,
                    automated: true,
                    origin: Origin::Refresh,
                    decision: None,
                    status: TaskStatus::Pending,
                    description: Some(kind.description(Origin::Refresh)),
                    earlier: None,
                    owner,
                },
                now,
            )?;
            tasks.push(TaskResult::pending(id, *kind));
        }
        db.touch_activity(account.id, now)?;
        // The log line is worded from its facts; only an unusual
        // description is stored with it.
        let detail = (description != NEW_ACTIVITY).then_some(description.as_str());
        db.log(
            Level::Info,
            LogEvent::Activity(plan.decision),
            Some(activity_id),
            Some(account.id),
            detail,
            now,
        )?;
        // The account as this transaction left it (it holds the account's
        // lock, and only `touch_activity` changed it): no second read.
        let status_after = {
            let mut facts = account.facts();
            facts.last_activity_at = Some(now);
            account_status(&facts, now, &settings.thresholds)
        };
        Ok(RefreshReport {
            account_id: account.id,
            account: account.name.clone(),
            activity_id,
            decision: plan.decision,
            earlier_activity_id: plan.earlier.map(|(id, _)| id),
            earlier_status: plan.earlier.map(|(_, s)| s),
            message: plan
                .decision
                .triggers_tasks()
                .then(|| TASKS_ADDED.to_string()),
            description,
            status_before,
            status_after,
            tasks,
        })
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub account_id: AccountId,
    pub account: String,
    pub status_before: AccountStatus,
    pub status_after: AccountStatus,
    pub tasks: Vec<TaskResult>,
}

impl AccountRun for AuditReport {
    fn account(&self) -> &str {
        &self.account
    }
    fn tasks(&self) -> &[TaskResult] {
        &self.tasks
    }
    fn statuses(&self) -> (AccountStatus, AccountStatus) {
        (self.status_before, self.status_after)
    }
}

/// The audit service: runs both refresh tasks for each account now,
/// ignoring the policy. Its tasks are automated, have no activity, are
/// never an earlier refresh, and are not management activity.
pub fn audit(ctx: &RunContext<'_>, own: &Store, accounts: &[Account]) -> Done<AuditReport> {
    parallel(ctx, own, accounts, |store, account| {
        skip_if_gone(ctx, account, || audit_one(ctx, store, account))
    })
    .flatten()
}

/// Adds an audit of `account`: both refresh tasks, PENDING, automated, of
/// origin audit, taken on by `owner` (this process, which runs them next)
/// or by nobody (for whichever worker claims them), and logs it.
pub fn add_audit(
    db: &crate::store::Db<'_, crate::store::Write>,
    account: AccountId,
    owner: Option<&Owner>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<TaskResult>> {
    let mut tasks = vec![];
    for kind in REFRESH_KINDS {
        let id = db.insert_task(
            &NewTask {
                parent_id: None,
                account_id: account,
                kind,
                automated: true,
                origin: Origin::Audit,
                decision: None,
                status: TaskStatus::Pending,
                description: Some(kind.description(Origin::Audit)),
                earlier: None,
                owner,
            },
            now,
        )?;
        tasks.push(TaskResult::pending(id, kind));
    }
    db.log(
        Level::Info,
        LogEvent::AuditAdded,
        None,
        Some(account),
        None,
        now,
    )?;
    Ok(tasks)
}

fn audit_one(ctx: &RunContext<'_>, store: &Store, account: &Account) -> Result<AuditReport> {
    let (before, tasks) = store.write(|db| {
        db.lock_account(account.id)?;
        let now = ctx.clock.now();
        let inputs = db.decision_inputs(account.id, false)?;
        let settings = inputs.settings;
        let a = inputs.account.ok_or_else(|| gone(account))?;
        let before = account_status(&a.facts(), now, &settings.thresholds);
        let tasks = add_audit(db, a.id, Some(Owner::current()), now)?;
        Ok((before, tasks))
    })?;
    let tasks = run_account(ctx, store, account, &tasks)?;
    Ok(AuditReport {
        account_id: account.id,
        account: account.name.clone(),
        status_before: before,
        status_after: status_now(store, ctx, account)?,
        tasks,
    })
}
