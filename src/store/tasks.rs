//! Management tasks.

use super::clock::Timed;
use super::sql::{Arg, Row, Value, args};
use super::{Db, Write, code, from_ms, ms, opt_from_ms, word};
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::owner::Owner;
use crate::domain::policy::{Decision, activity_description};
use crate::domain::task::Origin;
use crate::domain::task::{TaskKind, TaskStatus, aggregate};
use crate::domain::word::Word;
use crate::model::Task;
use anyhow::Result;
use chrono::{DateTime, Utc};

/// The columns of a task (of `tasks t`, or of `tasks $t`) as [`task_row`]
/// reads them, the account's name as `$name`: a macro, so that statements
/// are made of it at compile time (as `accounts::account_columns`).
macro_rules! task_columns {
    ($name:literal) => {
        $crate::store::tasks::task_columns!("t", $name)
    };
    ($t:literal, $name:literal) => {
        concat!(
            $t,
            ".id, ",
            $t,
            ".parent_id, ",
            $t,
            ".account_id, ",
            $name,
            ", ",
            $t,
            ".kind, ",
            $t,
            ".automated, ",
            $t,
            ".status, ",
            $t,
            ".decision, ",
            $t,
            ".description, ",
            $t,
            ".error, ",
            $t,
            ".created_at, ",
            $t,
            ".started_at, ",
            $t,
            ".finished_at, ",
            $t,
            ".owner_host, ",
            $t,
            ".owner_pid, ",
            $t,
            ".owner_token, ",
            $t,
            ".owner_seen_at, ",
            $t,
            ".origin, ",
            $t,
            ".earlier_id, ",
            $t,
            ".earlier_status, ",
            $t,
            ".username"
        )
    };
}

/// Where [`task_columns`] has a task's account name.
pub(super) const TASK_ACCOUNT_NAME: usize = 3;

pub(super) const SELECT_TASK: &str = concat!(
    "\n    SELECT ",
    task_columns!("a.name"),
    "\n    FROM tasks t JOIN accounts a ON a.id = t.account_id"
);

/// The columns of [`SELECT_FEW_TASKS`]: the account's name by its key.
macro_rules! few_task_columns {
    () => {
        $crate::store::tasks::task_columns!(
            "(SELECT a.name FROM accounts a WHERE a.id = t.account_id)"
        )
    };
}
pub(super) use task_columns;

/// [`SELECT_TASK`] for reads of a few tasks found by key (an id, a parent,
/// one account's): the account's name looked up by its key for each row,
/// so that no plan joins them by reading every account. PostgreSQL's
/// generic plan of a statement kept prepared, made from the default
/// estimates of tables not yet analyzed, read the whole accounts table to
/// join the two children of one refresh (a decision read every account).
pub(super) const SELECT_FEW_TASKS: &str =
    concat!("\n    SELECT ", few_task_columns!(), "\n    FROM tasks t");

/// The description a task has when none is stored: the usual one of its
/// kind, or of its activity's decision (a retry's is always stored: it
/// names the kinds retried).
fn usual_description(
    kind: TaskKind,
    origin: Origin,
    decision: Option<Decision>,
    earlier: Option<(TaskId, TaskStatus)>,
) -> Option<String> {
    match (kind, decision) {
        (TaskKind::UpdatingAccountStatus, Some(Decision::Retry)) => None,
        (TaskKind::UpdatingAccountStatus, Some(Decision::Deduplicated)) if earlier.is_none() => {
            None
        }
        (TaskKind::UpdatingAccountStatus, Some(d)) => Some(activity_description(d, earlier, &[])),
        (kind, _) => Some(kind.description(origin).to_string()),
    }
}

pub(super) fn task_row(r: &Row<'_>) -> Result<Task> {
    let kind: TaskKind = word(r.get(4)?)?;
    let decision: Option<Decision> = r.get::<Option<i64>>(7)?.map(word).transpose()?;
    let origin: Origin = word(r.get(17)?)?;
    let earlier = match (r.get::<Option<TaskId>>(18)?, r.get::<Option<i64>>(19)?) {
        (Some(id), Some(status)) => Some((id, word(status)?)),
        _ => None,
    };
    let host: Option<String> = r.get(13)?;
    let stored: Option<String> = r.get(8)?;
    Ok(Task {
        id: r.get(0)?,
        parent_id: r.get(1)?,
        account_id: r.get(2)?,
        account: r.get(3)?,
        kind,
        automated: r.get(5)?,
        status: word(r.get(6)?)?,
        decision,
        description: stored.or_else(|| usual_description(kind, origin, decision, earlier)),
        error: r.get(9)?,
        created_at: from_ms(r.get(10)?)?,
        started_at: opt_from_ms(r.get(11)?)?,
        finished_at: opt_from_ms(r.get(12)?)?,
        owner: match host {
            Some(host) => Some(Owner {
                host,
                pid: r.get(14)?,
                token: r.get(15)?,
            }),
            None => None,
        },
        owner_seen_at: r.get(16)?,
        user: r.get(20)?,
    })
}

/// A closed-vocabulary value as an SQL literal (the planner can then match
/// partial indexes; the values come from enums, never from input).
fn literals<W: Word>(words: &[W]) -> String {
    words
        .iter()
        .map(|w| code(*w).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The filters of `nfa tasks list`.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub account_id: Option<AccountId>,
    pub statuses: Vec<TaskStatus>,
    pub kinds: Vec<TaskKind>,
    pub since: Option<DateTime<Utc>>,
    pub include_automated: bool,
    /// Only the tasks done for this engineer.
    pub user: Option<String>,
    pub limit: u64,
}

/// What a claim took on: one account's tasks (id and kind), oldest first.
pub type Claimed = (AccountId, Vec<(TaskId, TaskKind)>);

/// A task to insert.
#[derive(Debug, Clone)]
pub struct NewTask<'a> {
    pub parent_id: Option<TaskId>,
    pub account_id: AccountId,
    pub kind: TaskKind,
    pub automated: bool,
    pub origin: Origin,
    pub decision: Option<Decision>,
    pub status: TaskStatus,
    pub description: Option<&'a str>,
    /// For an activity: the earlier refresh the policy saw.
    pub earlier: Option<(TaskId, TaskStatus)>,
    /// The process that takes the task on to run, if one does now.
    pub owner: Option<&'a Owner>,
}

/// With statuses that are all rare (not COMPLETE), the term that lets the
/// planner use the partial status index.
fn rare(statuses: &[TaskStatus]) -> &'static str {
    if statuses.contains(&TaskStatus::Complete) {
        ""
    } else {
        " AND t.status <> 2"
    }
}

impl<M> Db<'_, M> {
    pub fn task(&self, id: TaskId) -> Result<Option<Task>> {
        let sql = format!("{SELECT_FEW_TASKS} WHERE t.id = ?1");
        self.conn.query_opt(&sql, args![id], task_row)
    }

    /// The children of a task, oldest first.
    pub fn children(&self, parent_id: TaskId) -> Result<Vec<Task>> {
        let sql = format!("{SELECT_FEW_TASKS} WHERE t.parent_id = ?1 ORDER BY t.id");
        self.conn.query_vec(&sql, args![parent_id], task_row)
    }

    /// Tasks matching `filter`, newest first, streamed to `f`.
    pub fn for_each_task(
        &self,
        filter: &TaskFilter,
        mut f: impl FnMut(Task) -> Result<()>,
    ) -> Result<()> {
        let (sql, args) = self.task_query(filter)?;
        self.conn.for_each(&sql, &args, |r| f(task_row(r)?))
    }

    /// The query of [`Db::for_each_task`] and its values.
    pub(super) fn task_query(&self, filter: &TaskFilter) -> Result<(String, Vec<Value>)> {
        // Every filter but the status, as `AND …` terms with their values.
        let mut terms = String::new();
        let mut args: Vec<Value> = vec![];
        if !filter.include_automated {
            terms.push_str(" AND t.automated = 0");
        }
        if let Some(id) = filter.account_id {
            terms.push_str(" AND t.account_id = ?");
            args.push(id.into());
        }
        if !filter.kinds.is_empty() {
            terms.push_str(&format!(" AND t.kind IN ({})", literals(&filter.kinds)));
        }
        if let Some(user) = &filter.user {
            terms.push_str(" AND t.username = ?");
            args.push(user.value());
        }
        if let Some(since) = filter.since {
            // Ids follow creation times (but for late rows): the range of
            // ids that can be that recent bounds every plan.
            terms.push_str(" AND t.id >= ? AND t.created_at >= ?");
            args.push(self.first_id_since(Timed::Tasks, since)?.into());
            args.push(ms(since).into());
        }
        let limit = Value::from(i64::try_from(filter.limit).unwrap_or(i64::MAX));
        let (sql, args) = match filter.statuses.as_slice() {
            [] => (
                format!("{SELECT_TASK} WHERE 1 = 1{terms} ORDER BY t.id DESC LIMIT ?"),
                {
                    let mut a = args;
                    a.push(limit);
                    a
                },
            ),
            // One status: its (status, id) index gives the newest first. With
            // an account, that account's own tasks are the smaller set.
            statuses if filter.account_id.is_some() || statuses.len() == 1 => (
                format!(
                    "{SELECT_TASK} WHERE t.status IN ({}){}{terms} ORDER BY t.id DESC LIMIT ?",
                    literals(statuses),
                    rare(statuses)
                ),
                {
                    let mut a = args;
                    a.push(limit);
                    a
                },
            ),
            [_] => unreachable!("matched above"),
            // Several: the newest of each status through that index, merged,
            // rather than every task of those statuses sorted.
            several => {
                let mut union = vec![];
                let mut all = vec![];
                for st in several {
                    union.push(format!(
                        "SELECT id FROM (SELECT t.id FROM tasks t WHERE t.status = {}{}{terms} ORDER BY t.id DESC LIMIT ?) AS s",
                        code(*st),
                        rare(std::slice::from_ref(st))
                    ));
                    all.extend(args.iter().cloned());
                    all.push(limit.clone());
                }
                all.push(limit);
                let sql = format!(
                    "{SELECT_TASK} WHERE t.id IN ({}) ORDER BY t.id DESC LIMIT ?",
                    union.join(" UNION ALL ")
                );
                (sql, all)
            }
        };
        Ok((sql, args))
    }

    /// The newest activity of the account that triggered tasks, with its
    /// children. (Codes: kind 0 is the activity, decisions 0 and 1 are new
    /// and retry.)
    pub fn earlier_refresh(&self, account_id: AccountId) -> Result<Option<(Task, Vec<Task>)>> {
        let sql = format!(
            "{SELECT_FEW_TASKS} WHERE t.account_id = ?1 AND t.kind = 0
               AND t.decision IN (0, 1) ORDER BY t.id DESC LIMIT 1"
        );
        let Some(activity) = self.conn.query_opt(&sql, args![account_id], task_row)? else {
            return Ok(None);
        };
        let children = self.children(activity.id)?;
        Ok(Some((activity, children)))
    }

    /// The error, account name and end of every task (not an activity: its
    /// status is its children's) that ended in ERROR since `since` (status 3
    /// through its partial index).
    pub fn errors_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, String, DateTime<Utc>)>> {
        self.conn.query_vec(
            "SELECT coalesce(t.error, ''), a.name, t.finished_at FROM tasks t
             JOIN accounts a ON a.id = t.account_id
             WHERE t.status = 3 AND t.status <> 2 AND t.kind <> 0 AND t.finished_at >= ?1",
            args![ms(since)],
            |r| Ok((r.get(0)?, r.get(1)?, from_ms(r.get(2)?)?)),
        )
    }

    /// The newest activity of the account, whatever it decided.
    pub fn latest_activity(&self, account_id: AccountId) -> Result<Option<Task>> {
        let sql = format!(
            "{SELECT_FEW_TASKS} WHERE t.account_id = ?1 AND t.kind = 0 ORDER BY t.id DESC LIMIT 1"
        );
        self.conn.query_opt(&sql, args![account_id], task_row)
    }

    /// PENDING and IN_PROGRESS tasks (of one account, or of all), oldest
    /// first.
    pub fn unfinished_tasks(&self, account_id: Option<AccountId>) -> Result<Vec<Task>> {
        let sql = match account_id {
            Some(_) => format!(
                "{SELECT_FEW_TASKS} WHERE t.account_id = ?1 AND t.status IN (0, 1) ORDER BY t.id"
            ),
            None => {
                format!("{SELECT_TASK} WHERE t.status IN (0, 1) ORDER BY t.id")
            }
        };
        match account_id {
            Some(id) => self.conn.query_vec(&sql, args![id], task_row),
            None => self.conn.query_vec(&sql, &[], task_row),
        }
    }
}

impl Db<'_, Write> {
    pub fn insert_task(&self, t: &NewTask<'_>, now: DateTime<Utc>) -> Result<TaskId> {
        let (sql, args) = self.task_insert(t, now, None);
        Ok(TaskId(
            self.conn.value(&format!("{sql} RETURNING id"), &args)?,
        ))
    }

    /// [`Db::insert_task`] of a task whose id was taken for it beforehand
    /// (`DecisionInputs::activity_id`), when there is one: nothing needs
    /// to come back, so on PostgreSQL the row goes out with the next
    /// statement (the COMMIT's flight), as one statement with the writes
    /// deferred beside it (a new row, which reads nothing).
    pub fn insert_task_as(
        &self,
        id: Option<TaskId>,
        t: &NewTask<'_>,
        now: DateTime<Utc>,
    ) -> Result<TaskId> {
        let Some(id) = id else {
            return self.insert_task(t, now);
        };
        let (sql, args) = self.task_insert(t, now, Some(id));
        self.conn.defer_beside(&sql, &args)?;
        Ok(id)
    }

    /// The INSERT of a new task and its values (the id given, or the
    /// table's next).
    fn task_insert(
        &self,
        t: &NewTask<'_>,
        now: DateTime<Utc>,
        id: Option<TaskId>,
    ) -> (String, Vec<Value>) {
        let finished = t.status.is_finished().then(|| ms(now));
        // The usual description is worded when read, not stored.
        let usual = usual_description(t.kind, t.origin, t.decision, t.earlier);
        let description = t.description.filter(|d| usual.as_deref() != Some(*d));
        let seen = self.conn.server_secs();
        let (id_column, id_value) = match id {
            Some(_) => ("id, ", "?17, "),
            None => ("", ""),
        };
        let sql = format!(
            "INSERT INTO tasks ({id_column}parent_id, account_id, kind, automated, origin, decision, status,
                                description, created_at, finished_at, owner_host, owner_pid, owner_token,
                                owner_seen_at, earlier_id, earlier_status, username)
             VALUES ({id_value}?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                     CASE WHEN CAST(?11 AS TEXT) IS NULL THEN NULL ELSE {seen} END, ?14, ?15, ?16)"
        );
        let mut values = args![
            t.parent_id,
            t.account_id,
            code(t.kind),
            t.automated,
            code(t.origin),
            t.decision.map(code),
            code(t.status),
            description,
            ms(now),
            finished,
            t.owner.map(|o| o.host.as_str()),
            t.owner.map(|o| o.pid),
            t.owner.map(|o| o.token.as_str()),
            t.earlier.map(|(id, _)| id),
            t.earlier.map(|(_, s)| code(s)),
            self.conn.engineer(),
        ]
        .to_vec();
        values.extend(id.map(|i| Arg::value(&i)));
        (sql, values)
    }

    /// Takes on, for `owner`, the PENDING tasks of one account that no
    /// process has taken (the account of the oldest such task): its id and
    /// the tasks, oldest first; `None` when there is nothing to take. A
    /// task is taken once: on SQLite under the write lock, on PostgreSQL
    /// with `FOR UPDATE SKIP LOCKED`, so concurrent runners take different
    /// tasks instead of waiting for one another's rows and taking them
    /// again (the owner is part of the claim's condition).
    pub fn claim_next(&self, owner: &Owner) -> Result<Option<Claimed>> {
        let skip = self.conn.skip_locked();
        let free = "status = 0 AND status <> 2 AND kind <> 0 AND owner_host IS NULL";
        let Some(account) = self.conn.query_opt(
            &format!("SELECT account_id FROM tasks WHERE {free} ORDER BY id LIMIT 1{skip}"),
            &[],
            |r| r.get::<AccountId>(0),
        )?
        else {
            return Ok(None);
        };
        let seen = self.conn.server_secs();
        let mut claimed = self.conn.query_vec(
            &format!(
                "UPDATE tasks SET owner_host = ?2, owner_pid = ?3, owner_token = ?4, owner_seen_at = {seen}
                 WHERE {free} AND id IN (SELECT id FROM tasks WHERE account_id = ?1 AND {free}{skip})
                 RETURNING id, kind"
            ),
            args![account, owner.host, owner.pid, owner.token],
            |r| Ok((r.get::<TaskId>(0)?, word::<TaskKind>(r.get(1)?)?)),
        )?;
        claimed.sort_unstable_by_key(|(id, _)| *id);
        Ok(Some((account, claimed)))
    }

    /// The heartbeat of a running process: marks its unfinished tasks as
    /// seen now (by the database's clock, not this host's: hosts whose
    /// clocks differ still agree on how long ago a run was heard from).
    pub fn heartbeat(&self, owner: &Owner) -> Result<()> {
        let seen = self.conn.server_secs();
        self.conn.execute(
            &format!(
                "UPDATE tasks SET owner_seen_at = {seen}
                 WHERE status IN (0, 1)
                   AND owner_host = ?1 AND owner_pid = ?2 AND owner_token = ?3"
            ),
            args![owner.host, owner.pid, owner.token],
        )?;
        Ok(())
    }

    /// The database's clock, in seconds since the Unix epoch: what
    /// heartbeats are written and judged by.
    pub fn server_secs(&self) -> Result<i64> {
        self.conn
            .value(&format!("SELECT {}", self.conn.server_secs()), &[])
    }

    /// PENDING → IN_PROGRESS, if the task is still PENDING and `owner`'s;
    /// false if another process ended it meanwhile (it found this run
    /// silent and ended it "abandoned"): the run must not run it.
    pub fn start_task(&self, id: TaskId, owner: &Owner, now: DateTime<Utc>) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE tasks SET status = 1, started_at = ?2
             WHERE id = ?1 AND status = 0 AND owner_host = ?3 AND owner_pid = ?4 AND owner_token = ?5",
            args![id, ms(now), owner.host, owner.pid, owner.token],
        )?;
        if n == 0 {
            return Ok(false);
        }
        self.sync_parent_of(id, now)?;
        Ok(true)
    }

    /// Ends a task of `owner` COMPLETE or ERROR, and brings its parent's
    /// aggregate status up to date; false (nothing written) if the task is
    /// no longer unfinished and `owner`'s: another process ended it first,
    /// and what it recorded stands.
    pub fn finish_task(
        &self,
        id: TaskId,
        owner: &Owner,
        status: TaskStatus,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        debug_assert!(status.is_finished());
        let n = self.conn.execute(
            // The owner is only needed while the task runs.
            "UPDATE tasks SET status = ?2, error = ?3, finished_at = ?4, owner_host = NULL,
                owner_pid = NULL, owner_token = NULL, owner_seen_at = NULL
             WHERE id = ?1 AND status IN (0, 1)
               AND owner_host = ?5 AND owner_pid = ?6 AND owner_token = ?7",
            args![
                id,
                code(status),
                error,
                ms(now),
                owner.host,
                owner.pid,
                owner.token
            ],
        )?;
        if n == 0 {
            return Ok(false);
        }
        self.sync_parent_of(id, now)?;
        Ok(true)
    }

    /// Recomputes the status of the parent of task `id` from its children.
    fn sync_parent_of(&self, id: TaskId, now: DateTime<Utc>) -> Result<()> {
        let (parent, account): (Option<TaskId>, AccountId) = self.conn.query_row(
            "SELECT parent_id, account_id FROM tasks WHERE id = ?1",
            args![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let Some(parent) = parent else { return Ok(()) };
        // Another host may be ending a sibling at this moment.
        self.lock_account(account)?;
        let statuses = self.conn.query_vec(
            "SELECT status FROM tasks WHERE parent_id = ?1",
            args![parent],
            |r| word::<TaskStatus>(r.get(0)?),
        )?;
        let status = aggregate(&statuses);
        let now = ms(now);
        self.conn.execute(
            "UPDATE tasks SET status = ?2,
                started_at = CASE WHEN ?4 = 0 THEN started_at ELSE coalesce(started_at, ?3) END,
                finished_at = CASE WHEN ?4 IN (2, 3) THEN ?3 ELSE NULL END
             WHERE id = ?1",
            // The status twice: PostgreSQL gives a parameter one type, and
            // a column (bigint) and a literal (integer) would ask two.
            args![parent, code(status), now, code(status)],
        )?;
        Ok(())
    }
}
