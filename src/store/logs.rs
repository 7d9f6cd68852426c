//! The system log.

use super::tasks::placeholders;
use super::{Db, Write, bad_value, from_db, to_db};
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::log::Level;
use crate::domain::word::Word;
use crate::model::LogLine;
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Row, params, params_from_iter};

fn log_row(r: &Row) -> rusqlite::Result<LogLine> {
    let level: String = r.get(2)?;
    Ok(LogLine {
        id: r.get(0)?,
        time: from_db(&r.get::<_, String>(1)?)?,
        level: Level::parse(&level).map_err(|_| bad_value("log level", &level))?,
        task_id: r.get(3)?,
        account_id: r.get(4)?,
        message: r.get(5)?,
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
    /// Whether fewer than 10,000 rows of `table` have `column` at or after
    /// `since` (an index-only count that stops at the bound).
    pub(super) fn few_since(
        &self,
        table: &str,
        column: &str,
        since: DateTime<Utc>,
    ) -> Result<bool> {
        const BOUND: i64 = 10_000;
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {column} >= ?1 LIMIT {BOUND})"
        );
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row([to_db(since)], |r| r.get(0))?;
        Ok(n < BOUND)
    }

    /// Log lines matching `filter`, streamed to `f`.
    pub fn for_each_log(
        &self,
        filter: &LogFilter,
        mut f: impl FnMut(LogLine) -> Result<()>,
    ) -> Result<()> {
        let (sql, args) = self.log_query(filter)?;
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        while let Some(row) = rows.next()? {
            f(log_row(row)?)?;
        }
        Ok(())
    }

    /// The query of [`Db::for_each_log`] and its values.
    pub(super) fn log_query(&self, filter: &LogFilter) -> Result<(String, Vec<Value>)> {
        let mut sql = "SELECT l.id, l.time, l.level, l.task_id, l.account_id, l.message FROM logs l WHERE 1 = 1"
            .to_string();
        let mut args: Vec<Value> = vec![];
        if let Some(id) = filter.task_id {
            sql.push_str(
                " AND l.task_id IN (SELECT ? UNION ALL SELECT id FROM tasks WHERE parent_id = ?)",
            );
            args.push(id.into());
            args.push(id.into());
        }
        if let Some(id) = filter.account_id {
            sql.push_str(" AND l.account_id = ?");
            args.push(id.into());
        }
        if let Some(level) = filter.level {
            let levels: Vec<_> = [Level::Error, Level::Warn, Level::Info]
                .into_iter()
                .filter(|l| *l <= level)
                .collect();
            // With a task or an account, their own lines are the smaller
            // set: the level is then checked, not searched (`+`).
            let column = if filter.task_id.is_some() || filter.account_id.is_some() {
                "+l.level"
            } else {
                "l.level"
            };
            sql.push_str(&format!(
                " AND {column} IN ({})",
                placeholders(levels.len())
            ));
            args.extend(levels.iter().map(|l| Value::from(l.as_str().to_string())));
        }
        if let Some(since) = filter.since {
            if self.few_since("logs", "time", since)? {
                sql.push_str(" AND likelihood(l.time >= ?, 0.001)");
            } else {
                sql.push_str(" AND l.time >= ?");
            }
            args.push(to_db(since).into());
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
    pub fn log(
        &self,
        level: Level,
        task_id: Option<TaskId>,
        account_id: Option<AccountId>,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO logs (time, level, task_id, account_id, message) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![to_db(now), level.as_str(), task_id, account_id, message])?;
        Ok(())
    }
}
