//! What a refresh or audit decision reads, in one flight: on PostgreSQL
//! the transaction's BEGIN, the account's lock and these reads go out
//! together and come back together (one round trip where six reads one
//! after the other took six), the reads as one statement whose answer is
//! one JSON value ([`PG_INPUTS`]); on SQLite six statements.

use super::accounts::{SELECT_ACCOUNT, account_columns, account_row};
use super::sql::{Backend, Cells, Query, Row, Value, args, pg_server_secs};
use super::tasks::{SELECT_FEW_TASKS, TASK_ACCOUNT_NAME, task_columns, task_row};
use super::{Db, Write};
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::settings::Settings;
use crate::model::{Account, Task};
use anyhow::{Result, anyhow};

/// The facts a decision about one account starts from.
pub struct DecisionInputs {
    pub settings: Settings,
    /// `None` when the account was removed meanwhile.
    pub account: Option<Account>,
    /// Its PENDING and IN_PROGRESS tasks, oldest first.
    pub unfinished: Vec<Task>,
    /// The database's clock (seconds), which heartbeats are judged by.
    pub server_secs: i64,
    /// Its latest refresh that was `new` or `retry`, with that activity's
    /// tasks.
    pub earlier: Option<(Task, Vec<Task>)>,
    /// On PostgreSQL, when asked for, the id the decision's activity is to
    /// have (`Db::insert_task_as`), taken from the tasks' identity in the
    /// same read: its INSERT then needs no answer and goes out with the
    /// COMMIT, one round trip fewer. Taken only while the transaction
    /// holds the account's lock (a read that found it taken, and is rolled
    /// back, takes none, but for the moment the lock came free between
    /// the two). `None` on SQLite, where an INSERT costs no round trip.
    pub activity_id: Option<TaskId>,
}

/// The account's latest refresh that was `new` or `retry`, as `tasks e`.
macro_rules! latest_from {
    () => {
        " FROM tasks e WHERE e.account_id = ?1 AND e.kind = 0
                         AND e.decision IN (0, 1) ORDER BY e.id DESC LIMIT 1"
    };
}

/// The id of the account's latest refresh that was `new` or `retry`.
macro_rules! latest {
    () => {
        concat!("(SELECT e.id", latest_from!(), ")")
    };
}

/// The id a decision's activity is to have, taken under the account's lock
/// only (held already, it is had again at once), from the tasks' sequence
/// named `?2` (`Conn::task_sequence`): PostgreSQL.
macro_rules! activity_id {
    () => {
        "CASE WHEN pg_try_advisory_xact_lock(?1)
              THEN nextval(CAST(?2 AS regclass)) END"
    };
}

/// PostgreSQL's read of a decision's inputs: one statement, one row, one
/// JSON array of what SQLite reads in six (the settings as `[key, value]`
/// pairs, the server's clock, the account's row, its unfinished tasks'
/// rows, the latest refresh's row with its children's rows as
/// `[row, [child, …]]`; a row is an array of the columns `account_row` and
/// `task_row` read, a missing one null). Each statement answered costs the
/// server about as much as a small read itself: as one statement, the six
/// reads took about a fifth less of the server's time of a decision
/// (pgbench of the decision's statements, 32 clients, on this project's
/// machine). Its sixth value is the activity's id ([`activity_id`]) or
/// null (`$activity`).
///
/// Each scan of an index in a plan is set up at every execution, scanned or
/// not (PostgreSQL allocates a large scan state for each, each time): the
/// read has six, where the six reads as subqueries of the same shape as
/// SQLite's had eleven. A
/// task's account name is not read (the account's is filled in:
/// [`TASK_ACCOUNT_NAME`]), the latest refresh is found once, its row read
/// by the same scan (`latest_from!`), and the account's latest
/// check by one scan of `checks_by_account` (as `account_from`'s
/// `max(id)` finds it).
macro_rules! pg_inputs {
    ($activity:expr) => {
        concat!(
            "SELECT CAST(json_build_array(",
            "(SELECT json_agg(json_build_array(key, value) ORDER BY key) FROM settings), ",
            pg_server_secs!(),
            ", ",
            "(SELECT json_build_array(",
            account_columns!(),
            ") FROM accounts a LEFT JOIN LATERAL (SELECT * FROM checks k",
            " WHERE k.account_id = a.id ORDER BY k.id DESC LIMIT 1) c ON true",
            " WHERE a.id = ?1), ",
            "(SELECT json_agg(json_build_array(",
            task_columns!("NULL"),
            ") ORDER BY t.id)",
            " FROM tasks t WHERE t.account_id = ?1 AND t.status IN (0, 1)), ",
            "(SELECT json_build_array(json_build_array(",
            task_columns!("e", "NULL"),
            "), (SELECT json_agg(json_build_array(",
            task_columns!("NULL"),
            ") ORDER BY t.id) FROM tasks t WHERE t.parent_id = e.id))",
            latest_from!(),
            "), ",
            $activity,
            ") AS text)"
        )
    };
}

/// [`pg_inputs`] of a refresh, which takes its activity's id.
const PG_INPUTS_REFRESH: &str = pg_inputs!(activity_id!());
/// [`pg_inputs`] of an audit, which adds no activity.
const PG_INPUTS: &str = pg_inputs!("NULL");

/// [`PG_INPUTS`]'s answer.
#[derive(serde::Deserialize)]
struct PgInputs(
    Option<Vec<(String, String)>>,
    i64,
    Option<Cells>,
    Option<Vec<Cells>>,
    Option<(Cells, Option<Vec<Cells>>)>,
    Option<i64>,
);

impl Db<'_, Write> {
    /// Reads [`DecisionInputs`] of `account_id` (after the caller's
    /// `lock_account`, which goes out with them); `activity`: whether the
    /// decision adds an activity (a refresh), whose id is then taken on
    /// PostgreSQL ([`DecisionInputs::activity_id`]).
    pub fn decision_inputs(&self, account_id: AccountId, activity: bool) -> Result<DecisionInputs> {
        if self.conn.backend() == Backend::Postgres {
            return self.decision_inputs_pg(account_id, activity);
        }
        let id: &[Value] = args![account_id];
        let mut pairs: Vec<(String, String)> = vec![];
        let mut account = None;
        let mut unfinished = vec![];
        let mut server_secs = None;
        let mut activity = None;
        let mut children = vec![];
        let latest = latest!();
        let account_sql = format!("{SELECT_ACCOUNT} WHERE a.id = ?1");
        let unfinished_sql = format!(
            "{SELECT_FEW_TASKS} WHERE t.account_id = ?1 AND t.status IN (0, 1) ORDER BY t.id"
        );
        let clock_sql = format!("SELECT {}", self.conn.server_secs());
        let activity_sql = format!("{SELECT_FEW_TASKS} WHERE t.id = {latest}");
        let children_sql = format!("{SELECT_FEW_TASKS} WHERE t.parent_id = {latest} ORDER BY t.id");
        self.conn.read_together(&mut [
            Query {
                sql: "SELECT key, value FROM settings ORDER BY key",
                args: &[],
                on_row: &mut |r| {
                    pairs.push((r.get(0)?, r.get(1)?));
                    Ok(())
                },
            },
            Query {
                sql: &account_sql,
                args: id,
                on_row: &mut |r| {
                    account = Some(account_row(r)?);
                    Ok(())
                },
            },
            Query {
                sql: &unfinished_sql,
                args: id,
                on_row: &mut |r| {
                    unfinished.push(task_row(r)?);
                    Ok(())
                },
            },
            Query {
                sql: &clock_sql,
                args: &[],
                on_row: &mut |r| {
                    server_secs = Some(r.get(0)?);
                    Ok(())
                },
            },
            Query {
                sql: &activity_sql,
                args: id,
                on_row: &mut |r| {
                    activity = Some(task_row(r)?);
                    Ok(())
                },
            },
            Query {
                sql: &children_sql,
                args: id,
                on_row: &mut |r| {
                    children.push(task_row(r)?);
                    Ok(())
                },
            },
        ])?;
        let settings = Settings::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| anyhow!(e))?;
        Ok(DecisionInputs {
            settings,
            account,
            unfinished,
            server_secs: server_secs.ok_or_else(|| anyhow!("the database's clock was not read"))?,
            earlier: activity.map(|a| (a, children)),
            activity_id: None,
        })
    }

    /// [`Db::decision_inputs`] on PostgreSQL: [`PG_INPUTS`].
    fn decision_inputs_pg(&self, account_id: AccountId, activity: bool) -> Result<DecisionInputs> {
        let sql = if activity {
            PG_INPUTS_REFRESH
        } else {
            PG_INPUTS
        };
        let json: String = if activity {
            let tasks = self.conn.task_sequence()?;
            self.conn.value(sql, args![account_id, tasks])?
        } else {
            self.conn.value(sql, args![account_id])?
        };
        let PgInputs(pairs, server_secs, account, unfinished, latest, activity_id) =
            serde_json::from_str(&json).map_err(|e| {
                anyhow!("the server's answer to a decision's read is not as nfa wrote it: {e}")
            })?;
        let settings = Settings::from_pairs(
            pairs
                .iter()
                .flatten()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .map_err(|e| anyhow!(e))?;
        let account = account
            .map(|c| account_row(&Row::Values(&c.values())))
            .transpose()?;
        // Its tasks' account name is its own (not read again).
        let name = account
            .as_ref()
            .map_or(Value::Null, |a: &Account| Value::Text(a.name.clone()));
        let task = |c: &Cells| {
            let mut values = c.values();
            if let Some(v) = values.get_mut(TASK_ACCOUNT_NAME) {
                *v = name.clone();
            }
            task_row(&Row::Values(&values))
        };
        let tasks = |cs: Option<Vec<Cells>>| -> Result<Vec<Task>> {
            cs.iter().flatten().map(task).collect()
        };
        Ok(DecisionInputs {
            settings,
            account,
            unfinished: tasks(unfinished)?,
            server_secs,
            earlier: match latest {
                Some((a, children)) => Some((task(&a)?, tasks(children)?)),
                None => None,
            },
            activity_id: activity_id.map(TaskId),
        })
    }
}
