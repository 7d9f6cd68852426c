//! The runner: takes tasks PENDING → IN_PROGRESS → COMPLETE or ERROR through
//! a tenant source, recording every step and result through the store. Each
//! step is its own short transaction, so other processes see progress and a
//! crash leaves at most one task IN_PROGRESS, which the next decision about
//! the account finds abandoned.

use crate::clock::Clock;
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::log::{Level, LogEvent};
use crate::domain::owner::Owner;
use crate::domain::task::{TaskKind, TaskStatus};
use crate::domain::tenant::DirectorySync;
use crate::domain::time::ser;
use crate::model::{Account, Task};
use crate::process::Cancel;
use crate::source::SourceError;
use crate::store::{Db, Store, Write};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The message of a task cut short by Ctrl-C.
pub const INTERRUPTED: &str = "interrupted";
/// The message of a task whose process died.
pub const ABANDONED: &str = "abandoned";

/// A task this process ran (or added), as reported to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskResult {
    pub id: TaskId,
    pub kind: TaskKind,
    pub name: &'static str,
    pub status: TaskStatus,
    pub error: Option<String>,
    #[serde(serialize_with = "ser::opt_time")]
    pub finished_at: Option<DateTime<Utc>>,
}

impl TaskResult {
    pub fn pending(id: TaskId, kind: TaskKind) -> TaskResult {
        TaskResult {
            id,
            kind,
            name: kind.display_name(),
            status: TaskStatus::Pending,
            error: None,
            finished_at: None,
        }
    }
}

/// Something to tell about a run as it goes (for the progress bars).
pub trait Observer: Sync {
    fn task_started(&self, account: &Account, kind: TaskKind);
    fn task_finished(&self, account: &Account, result: &TaskResult);
    /// Something went wrong that the run works around (a result that could
    /// not be recorded, an account removed meanwhile).
    fn warn(&self, text: &str);
}

/// An observer that shows nothing.
pub struct Silent;

impl Observer for Silent {
    fn task_started(&self, _: &Account, _: TaskKind) {}
    fn task_finished(&self, _: &Account, _: &TaskResult) {}
    fn warn(&self, _: &str) {}
}

/// An account removed (by another command) while a run worked on it: the
/// run skips it; its tasks went with it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("account '{name}' (id {id}) was removed meanwhile")]
pub struct AccountGone {
    pub id: AccountId,
    pub name: String,
}

impl AccountGone {
    pub fn of(account: &Account) -> AccountGone {
        AccountGone {
            id: account.id,
            name: account.name.clone(),
        }
    }

    /// Whether an error is (caused by) a removed account.
    pub fn is(err: &anyhow::Error) -> bool {
        err.chain()
            .any(<dyn std::error::Error + 'static>::is::<AccountGone>)
    }
}

/// A task that another process ended while this run held it (it judged
/// this run dead and ended the task "abandoned"): what that process
/// recorded stands, and this run neither runs the task nor overwrites it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("task #{0} was ended by another process meanwhile")]
pub struct TakenAway(pub TaskId);

impl TakenAway {
    pub fn is(err: &anyhow::Error) -> bool {
        err.chain()
            .any(<dyn std::error::Error + 'static>::is::<TakenAway>)
    }
}

/// The account as it is now, inside a write: a removed one is an
/// [`AccountGone`] error rather than a foreign-key failure.
fn still_there(db: &Db<'_, Write>, account: &Account) -> Result<Account> {
    // Held to the commit: the account cannot be removed in between (on
    // PostgreSQL, where a removal does not wait for the database's lock).
    db.lock_account(account.id)?;
    Ok(db
        .account(account.id)?
        .ok_or_else(|| AccountGone::of(account))?)
}

/// A tenant opened by a task, and what it was opened from.
pub struct Opened {
    key: (
        String,
        Option<crate::domain::account::Credentials>,
        Option<crate::domain::account::PartnerApp>,
    ),
    source: Box<dyn crate::source::TenantSource>,
}

pub struct Runner<'a> {
    pub store: &'a Store,
    pub clock: Clock,
    pub cancel: &'a Cancel,
    /// Raised: no task is started any more (the ones not started stay
    /// PENDING and this process's, for it to hand back); `cancel` still
    /// ends them "interrupted".
    pub stop: &'a Cancel,
    pub observer: &'a dyn Observer,
}

impl Runner<'_> {
    /// Runs `tasks` (PENDING, taken on by this process) of `account`, in
    /// order. After Ctrl-C, the task under way and every later one end in
    /// ERROR "interrupted".
    pub fn run(&self, account: &Account, tasks: &[TaskResult]) -> Result<Vec<TaskResult>> {
        // The tenant opened for one task serves the next ones while the
        // account still names the same tenant and app (what one task
        // started for the next is kept in it).
        let mut opened = None;
        tasks
            .iter()
            .enumerate()
            .take_while(|_| !self.stop.is_cancelled())
            .map(|(i, t)| {
                let check_follows = tasks[i + 1..]
                    .iter()
                    .any(|l| l.kind == TaskKind::AzureAdminAndO365Status);
                self.run_one(account, t.id, t.kind, check_follows, &mut opened)
            })
            .collect()
    }

    /// Runs one task; `check_follows`: a connection check of the account
    /// runs after it (the source may start on it: [`crate::source::TenantSource::prepare_check`]).
    fn run_one(
        &self,
        account: &Account,
        id: TaskId,
        kind: TaskKind,
        check_follows: bool,
        opened: &mut Option<Opened>,
    ) -> Result<TaskResult> {
        if self.cancel.is_cancelled() {
            return self.fail(account, id, kind, INTERRUPTED);
        }
        self.observer.task_started(account, kind);
        // The account as it is now: its cursor may have moved since the run
        // was planned.
        let current = self.store.write(|db| {
            let now = self.clock.now();
            let current = still_there(db, account)?;
            if !db.start_task(id, Owner::current(), now)? {
                return Err(TakenAway(id).into());
            }
            db.log(
                Level::Info,
                LogEvent::Started(kind),
                Some(id),
                Some(account.id),
                None,
                now,
            )?;
            // An account without an app of its own signs in with the
            // partner app: read in this same transaction.
            let partner = match current.credentials {
                None if crate::domain::tenant::SourceSpec::live_tenant(&current.source)
                    .is_some() =>
                {
                    db.partner()?
                }
                _ => None,
            };
            Ok((current, partner))
        });
        let current = match current {
            Err(e) if TakenAway::is(&e) => return self.taken_away(account, id, kind),
            other => other?,
        };
        let (account, partner) = (&current.0, current.1.as_ref());
        let key = (
            account.source.clone(),
            account.credentials.clone(),
            partner.cloned(),
        );
        let source = match opened.take() {
            Some(o) if o.key == key => o.source,
            _ => match crate::source::open(
                &account.name,
                &account.source,
                account.credentials.as_ref(),
                partner,
            ) {
                Ok(source) => source,
                Err(e) => return self.fail(account, id, kind, &e.to_string()),
            },
        };
        let source = &*opened.insert(Opened { key, source }).source;
        // The answer of the tenant, then its recording (which may fail).
        let outcome: Result<Result<TaskResult>, SourceError> = match kind {
            TaskKind::UpdateAdCache => {
                if check_follows {
                    source.prepare_check(self.cancel);
                }
                source.read_directory(account.directory_cursor.as_deref(), self.cancel)
            }
            .map(|read| {
                self.store.write(|db| {
                    let now = self.clock.now();
                    still_there(db, account)?;
                    db.apply_directory(account.id, &read.sync, read.cursor.as_deref(), now)?;
                    let note = sync_note(&read.sync);
                    finish(db, account, id, kind, None, Some(&note), now)
                })
            }),
            TaskKind::AzureAdminAndO365Status => {
                source.check_connections(self.cancel).map(|report| {
                    let failure = report.failure_message();
                    self.store.write(|db| {
                        let now = self.clock.now();
                        still_there(db, account)?;
                        db.insert_check(account.id, id, &report, now)?;
                        if let Some(g) = &report.gdap
                            && let Some(at) = crate::domain::gdap::ending_soon(
                                g.status.as_deref().unwrap_or(""),
                                g.ends_at,
                                g.auto_extend,
                                now,
                            )
                        {
                            db.log(
                                Level::Warn,
                                LogEvent::Text,
                                Some(id),
                                Some(account.id),
                                Some(&format!(
                                    "the GDAP relationship with account {} ends on {} and does not extend itself: extend it or request a new one in Partner Center",
                                    account.name,
                                    at.format("%Y-%m-%d")
                                )),
                                now,
                            )?;
                        }
                        finish(
                            db,
                            account,
                            id,
                            kind,
                            failure.as_deref(),
                            None, // LogEvent words it: CONNECTED
                            now,
                        )
                    })
                })
            }
            TaskKind::UpdatingAccountStatus => Err(SourceError::Failed(
                "an activity is not a task that runs".to_string(),
            )),
        };
        let result = match outcome {
            Ok(Ok(result)) => result,
            Ok(Err(e)) if AccountGone::is(&e) => return Err(e),
            Ok(Err(e)) if TakenAway::is(&e) => return self.taken_away(account, id, kind),
            Ok(Err(e)) => {
                // The tenant answered but the answer could not be stored:
                // the task ends ERROR with that cause, if the database
                // lets us write that much.
                let cause = format!(
                    "its result could not be recorded: {}",
                    crate::store::explain(&e, self.store.at()).unwrap_or_else(|| format!("{e:#}"))
                );
                self.observer.warn(&format!(
                    "task #{id} {} for account #{} {}: {cause}; marking it ERROR",
                    kind.display_name(),
                    account.id,
                    account.name
                ));
                return self.fail(account, id, kind, &cause);
            }
            Err(SourceError::Interrupted) => return self.fail(account, id, kind, INTERRUPTED),
            Err(SourceError::Failed(msg)) => return self.fail(account, id, kind, &msg),
        };
        self.observer.task_finished(account, &result);
        Ok(result)
    }

    fn fail(
        &self,
        account: &Account,
        id: TaskId,
        kind: TaskKind,
        error: &str,
    ) -> Result<TaskResult> {
        let result = self.store.write(|db| {
            still_there(db, account)?;
            finish(db, account, id, kind, Some(error), None, self.clock.now())
        });
        let result = match result {
            Err(e) if TakenAway::is(&e) => return self.taken_away(account, id, kind),
            other => {
                other.with_context(|| format!("task #{id} could not be marked ERROR ({error})"))?
            }
        };
        self.observer.task_finished(account, &result);
        Ok(result)
    }

    /// A task another process ended while this run held it: reported as
    /// that process recorded it, with a warning, and left as it is.
    fn taken_away(&self, account: &Account, id: TaskId, kind: TaskKind) -> Result<TaskResult> {
        let stored = self.store.read().task(id)?;
        let result = TaskResult {
            id,
            kind,
            name: kind.display_name(),
            status: stored.as_ref().map_or(TaskStatus::Error, |t| t.status),
            error: stored.as_ref().and_then(|t| t.error.clone()),
            finished_at: stored.as_ref().and_then(|t| t.finished_at),
        };
        self.observer.warn(&format!(
            "task #{id} {} for account #{} {} was ended by another process meanwhile ({}{}); this run leaves it as that process recorded it",
            kind.display_name(),
            account.id,
            account.name,
            crate::domain::word::Word::as_str(result.status),
            result.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default(),
        ));
        self.observer.task_finished(account, &result);
        Ok(result)
    }
}

/// What a directory read changed, for the log.
fn sync_note(sync: &DirectorySync) -> String {
    match sync {
        DirectorySync::Full { users, groups } => {
            format!("{} users, {} groups", users.len(), groups.len())
        }
        DirectorySync::Delta {
            users,
            groups,
            removed_users,
            removed_groups,
        } => format!(
            "delta: {} users added or changed, {} removed; {} groups added or changed, {} removed",
            users.len(),
            removed_users.len(),
            groups.len(),
            removed_groups.len()
        ),
    }
}

/// Ends a task COMPLETE (no error) or ERROR, with its log line: INFO with
/// `note`, or ERROR naming the task, the account and the error.
fn finish(
    db: &Db<'_, Write>,
    account: &Account,
    id: TaskId,
    kind: TaskKind,
    error: Option<&str>,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TaskResult> {
    let status = if error.is_some() {
        TaskStatus::Error
    } else {
        TaskStatus::Complete
    };
    // Reported as it is stored (a NUL as U+FFFD, on either backend).
    let error = error.map(crate::store::storable);
    let error = error.as_deref();
    if !db.finish_task(id, Owner::current(), status, error, now)? {
        return Err(TakenAway(id).into());
    }
    let (level, event, detail) = match error {
        Some(e) => (Level::Error, LogEvent::Failed(kind), Some(e)),
        None => (Level::Info, LogEvent::Completed(kind), note),
    };
    db.log(level, event, Some(id), Some(account.id), detail, now)?;
    Ok(TaskResult {
        id,
        kind,
        name: kind.display_name(),
        status,
        error: error.map(str::to_string),
        finished_at: Some(now),
    })
}

/// Ends in ERROR every unfinished task (of one account, or of all) that a
/// process took on and that no longer runs: "abandoned", logged. Called
/// inside the transaction that then decides about the account.
pub fn reap_abandoned(
    db: &Db<'_, Write>,
    account_id: Option<AccountId>,
    now: DateTime<Utc>,
) -> Result<Vec<TaskId>> {
    let timeout = db.settings()?.heartbeat_timeout;
    // Heartbeats are written and judged by the database's clock.
    let server_now = db.server_secs()?;
    reap_these(
        db,
        db.unfinished_tasks(account_id)?,
        server_now,
        timeout,
        now,
    )
}

/// [`reap_abandoned`] over `unfinished` (tasks read in this transaction),
/// judged at `server_now` (the database's clock) with `timeout`.
pub fn reap_these(
    db: &Db<'_, Write>,
    unfinished: Vec<Task>,
    server_now: i64,
    timeout: crate::domain::time::Span,
    now: DateTime<Utc>,
) -> Result<Vec<TaskId>> {
    let mut reaped = vec![];
    let timeout = std::time::Duration::from_secs(timeout.as_secs());
    for t in unfinished {
        let Some(owner) = &t.owner else { continue };
        if owner.is_alive(t.owner_seen_at, server_now, timeout) {
            continue;
        }
        if fail_task(db, &t, ABANDONED, owner, now)? {
            reaped.push(t.id);
        }
    }
    Ok(reaped)
}

/// Ends in ERROR, with `why`, every unfinished task this process took on:
/// "interrupted" after Ctrl-C, or the cause that stopped the run (the
/// safety net, so that no run is left half-done).
pub fn end_own(db: &Db<'_, Write>, why: &str, now: DateTime<Utc>) -> Result<Vec<TaskId>> {
    let me = Owner::current();
    let mut ended = vec![];
    for t in db.unfinished_tasks(None)? {
        if t.owner.as_ref() == Some(me) && fail_task(db, &t, why, me, now)? {
            ended.push(t.id);
        }
    }
    Ok(ended)
}

/// Ends `t` (held by `owner`) in ERROR with `why`, and logs it; false
/// when another process ended it first (then nothing is written).
fn fail_task(
    db: &Db<'_, Write>,
    t: &Task,
    why: &str,
    owner: &Owner,
    now: DateTime<Utc>,
) -> Result<bool> {
    if !db.finish_task(t.id, owner, TaskStatus::Error, Some(why), now)? {
        return Ok(false);
    }
    let detail = format!(
        "{why} (it was taken on by pid {} on {}, which {})",
        owner.pid,
        owner.host,
        match why {
            ABANDONED => "no longer runs",
            INTERRUPTED => "was interrupted",
            _ => "stopped",
        }
    );
    db.log(
        Level::Error,
        LogEvent::Ended(t.kind),
        Some(t.id),
        Some(t.account_id),
        Some(&detail),
        now,
    )?;
    Ok(true)
}
