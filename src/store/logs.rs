//! The system log.

use super::clock::Timed;
use super::sql::{Row, Value, args};
use super::{Db, Write, bad_value, code, from_ms, ms, word};
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::log::{Level, LogEvent};
use crate::model::LogLine;
use anyhow::Result;
use chrono::{DateTime, Utc};

/// A line and what its message is worded from: its event and detail, and
/// the name of its account.
const SELECT_LOG: &str =
    "SELECT l.id, l.time, l.level, l.task_id, l.account_id, l.event, l.detail, a.name
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
        self.conn.execute(
            "INSERT INTO logs (time, level, event, task_id, account_id, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            args![
                ms(now),
                code(level),
                event.code(),
                task_id,
                account_id,
                detail
            ],
        )?;
        Ok(())
    }
}
