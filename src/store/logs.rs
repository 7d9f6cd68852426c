//! The system log.

use super::clock::Timed;
use super::sql::{Arg, Backend, Conn, Row, Value, args};
use super::{Db, Write, bad_value, code, from_ms, ms, word};
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::log::{Level, LogEvent};
use crate::model::LogLine;
use anyhow::Result;
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

/// A line and what its message is worded from: its event and detail, and
/// the name of its account.
const SELECT_LOG: &str =
    "SELECT l.id, l.time, l.level, l.task_id, l.account_id, l.event, l.detail, a.name, l.username
    FROM logs l LEFT JOIN accounts a ON a.id = l.account_id";

fn log_row(r: &Row<'_>) -> Result<LogLine> {
    let task_id: Option<TaskId> = r.get(3)?;
    let account_id: Option<AccountId> = r.get(4)?;
    let code: i64 = r.get(5)?;
    let event =
        LogEvent::from_code(code).ok_or_else(|| bad_value("log event", &code.to_string()))?;
    Ok(LogLine {
        id: r.get(0)?,
        time: from_ms(r.get(1)?)?,
        level: word(r.get(2)?)?,
        task_id,
        account_id,
        event,
        detail: r.get(6)?,
        account: r.get(7)?,
        user: r.get(8)?,
    })
}

/// The filters of `nfa logs`.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Lines of this task and of its children.
    pub task_id: Option<TaskId>,
    pub account_id: Option<AccountId>,
    /// Lines of this level or more severe.
    pub level: Option<Level>,
    /// Only lines written for this engineer.
    pub user: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// Only lines written after this one (for `--follow`).
    pub after_id: Option<i64>,
    /// Oldest first instead of newest first.
    pub oldest_first: bool,
    pub limit: Option<u64>,
}

impl<M> Db<'_, M> {
    /// Log lines matching `filter`, streamed to `f`.
    pub fn for_each_log(
        &self,
        filter: &LogFilter,
        mut f: impl FnMut(LogLine) -> Result<()>,
    ) -> Result<()> {
        let (sql, args) = self.log_query(filter)?;
        self.conn.for_each(&sql, &args, |r| f(log_row(r)?))
    }

    /// The query of [`Db::for_each_log`] and its values.
    pub(super) fn log_query(&self, filter: &LogFilter) -> Result<(String, Vec<Value>)> {
        let mut sql = format!("{SELECT_LOG} WHERE 1 = 1");
        let mut args: Vec<Value> = vec![];
        if let Some(id) = filter.task_id {
            sql.push_str(
                " AND l.task_id IN (SELECT CAST(? AS BIGINT) UNION ALL SELECT id FROM tasks WHERE parent_id = ?)",
            );
            args.push(id.into());
            args.push(id.into());
        }
        if let Some(id) = filter.account_id {
            // The account's task lines through its tasks; its lines of no
            // task (added, audited) through their own small index.
            sql.push_str(
                " AND (l.task_id IN (SELECT id FROM tasks WHERE account_id = ?)
                       OR (l.task_id IS NULL AND l.account_id = ?))",
            );
            args.push(id.into());
            args.push(id.into());
        }
        if let Some(user) = &filter.user {
            sql.push_str(" AND l.username = ?");
            args.push(user.value());
        }
        // Levels are stored most severe first (0 ERROR, 1 WARN, 2 INFO):
        // "this level or more severe" is `level <= code`; INFO is every line.
        if let Some(level) = filter.level.filter(|l| *l != Level::Info) {
            let codes: Vec<String> = (0..=code(level)).map(|c| c.to_string()).collect();
            let codes = codes.join(", ");
            if filter.task_id.is_some() || filter.account_id.is_some() {
                // A task's or an account's own lines are the smaller set:
                // the level is checked, not searched (`+`).
                sql.push_str(&format!(" AND +l.level IN ({codes})"));
            } else {
                // The term `level < 2` lets the partial index serve.
                sql.push_str(&format!(" AND l.level IN ({codes}) AND l.level < 2"));
            }
        }
        if let Some(since) = filter.since {
            // Ids follow times (but for late rows): see `store::clock`.
            sql.push_str(" AND l.id >= ? AND l.time >= ?");
            args.push(self.first_id_since(Timed::Logs, since)?.into());
            args.push(ms(since).into());
        }
        if let Some(after) = filter.after_id {
            sql.push_str(" AND l.id > ?");
            args.push(after.into());
        }
        sql.push_str(if filter.oldest_first {
            " ORDER BY l.id ASC"
        } else {
            " ORDER BY l.id DESC"
        });
        if let Some(limit) = filter.limit {
            sql.push_str(" LIMIT ?");
            args.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        }
        Ok((sql, args))
    }
}

impl Db<'_, Write> {
    /// Writes a line of the system log: its event and detail, worded when
    /// read (`LogEvent::message`).
    pub fn log(
        &self,
        level: Level,
        event: LogEvent,
        task_id: Option<TaskId>,
        account_id: Option<AccountId>,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // Nothing comes back: on PostgreSQL it goes out with the next
        // statement (or the COMMIT, which is then followed by
        // `NOTIFY_LOGS`), as one statement with the writes deferred beside
        // it (a new row, which reads nothing).
        self.conn.wrote_log();
        self.conn.defer_beside(
            "INSERT INTO logs (time, level, event, task_id, account_id, detail, username)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            args![
                ms(now),
                code(level),
                event.code(),
                task_id,
                account_id,
                detail,
                self.conn.engineer()
            ],
        )
    }
}

/// What follows the COMMIT of a transaction that wrote a log line on
/// PostgreSQL: a notification of `nfa_logs` (it wakes `logs --follow`, the
/// screen and the workers), in a transaction of its own whose commit does
/// not wait for the disk. A notification in the writing transaction itself
/// (the trigger of schema 6 to 9) made every such COMMIT take the server's
/// one notification lock and keep it until its commit record was on disk:
/// the commits of every engineer and worker went one at a time.
pub(super) const NOTIFY_LOGS: &str =
    "SELECT set_config('synchronous_commit', 'off', true), pg_notify('nfa_logs', '')";

/// How often `logs --follow` looks for new lines on SQLite, which cannot
/// tell another process that it wrote.
const POLL: Duration = Duration::from_millis(250);
/// On PostgreSQL a new line wakes the follower (LISTEN/NOTIFY); it still
/// looks this often, should a notification ever be lost with a connection.
const SAFETY_LOOK: Duration = Duration::from_secs(30);
/// How often a wait checks whether it should stop (Ctrl-C).
const STOP_STEP: Duration = Duration::from_millis(50);

impl super::Store {
    /// Asks to be told of new log lines (PostgreSQL: `LISTEN nfa_logs`,
    /// which every committed write of a log line notifies: [`NOTIFY_LOGS`]); call it before reading what
    /// is there, so that nothing written meanwhile is missed.
    pub fn listen_for_logs(&self) -> Result<()> {
        if self.conn().backend() == Backend::Postgres {
            self.conn().batch("LISTEN nfa_logs")?;
        }
        Ok(())
    }

    /// Whether a new log line was notified since the last look
    /// (PostgreSQL; never on SQLite, where the caller polls): a look that
    /// holds the connection a moment only.
    pub fn logs_notified(&self) -> Result<bool> {
        match &*self.conn() {
            Conn::Lite(_) => Ok(false),
            Conn::Pg(pg) => pg.wait_for_notification(Duration::from_millis(1)),
        }
    }

    /// Whether another connection may have written since the last look:
    /// on PostgreSQL a notified log line (as [`Self::logs_notified`]), on
    /// SQLite a change of `PRAGMA data_version`, which moves whenever any
    /// other connection commits to the file. `mark` keeps the last version
    /// seen (None before the first look, which counts as a change).
    pub fn changed_since(&self, mark: &mut Option<i64>) -> Result<bool> {
        if let Conn::Lite(c) = &*self.conn() {
            let now: i64 = c.query_row("PRAGMA data_version", [], |r| r.get(0))?;
            return Ok(mark.replace(now) != Some(now));
        }
        self.logs_notified()
    }

    /// Waits until new log lines may be there: woken by PostgreSQL's
    /// notification, or after a short poll on SQLite. False when `stop`
    /// said to stop first.
    pub fn wait_for_logs(&self, stop: &dyn Fn() -> bool) -> Result<bool> {
        let until = Instant::now()
            + match *self.conn() {
                Conn::Lite(_) => POLL,
                Conn::Pg(_) => SAFETY_LOOK,
            };
        loop {
            if stop() {
                return Ok(false);
            }
            match &*self.conn() {
                Conn::Lite(_) => std::thread::sleep(STOP_STEP),
                Conn::Pg(pg) => {
                    // One look serves every line written meanwhile.
                    if pg.wait_for_notification(STOP_STEP)? {
                        return Ok(true);
                    }
                }
            }
            if Instant::now() >= until {
                return Ok(true);
            }
        }
    }
}
