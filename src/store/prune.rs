//! Retention: deleting finished history older than a cutoff, in bounded
//! batches, so that a refresh never waits long for the lock.

use super::clock::Timed;
use super::sql::args;
use super::{Db, Write, ms};
use anyhow::Result;
use chrono::{DateTime, Utc};

/// The top-level tasks (refresh activities and audit tasks) that pruning
/// at `?1` would delete: created before it (below `?2`, the id
/// bound of the cutoff, unless late: see `store::clock`), finished with all
/// their children, and neither an account's newest refresh (the policy
/// needs it) nor the task that holds an account's newest check (its status
/// needs it). Codes: status 0-1 unfinished, 2-3 finished; kind 0 is the
/// activity; decisions 0-1 new and retry.
pub(super) const DOOMED: &str = "
    SELECT t.id FROM tasks t
    WHERE t.parent_id IS NULL AND t.created_at < ?1 AND (t.id < ?2 OR t.late)
      AND +t.status IN (2, 3)
      AND NOT EXISTS (SELECT 1 FROM tasks c
                      WHERE c.parent_id = t.id AND c.status IN (0, 1))
      AND t.id NOT IN (
          SELECT newest FROM (
              SELECT (SELECT max(r.id) FROM tasks r
                      WHERE r.account_id = a.id AND r.kind = 0
                        AND r.decision IN (0, 1)) AS newest
              FROM accounts a) AS n
          WHERE newest IS NOT NULL)
      AND t.id NOT IN (
          SELECT coalesce(k.parent_id, k.id) FROM accounts a
          JOIN tasks k ON k.id = (SELECT c.task_id FROM checks c
                                  WHERE c.account_id = a.id ORDER BY c.id DESC LIMIT 1))";

/// What pruning deleted (or, in a dry run, would delete).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Refresh activities.
    pub activities: u64,
    /// Tasks of every kind: activities, their children, audit tasks.
    pub tasks: u64,
    pub log_lines: u64,
    pub checks: u64,
}

impl Pruned {
    pub fn add(&mut self, other: Pruned) {
        self.activities += other.activities;
        self.tasks += other.tasks;
        self.log_lines += other.log_lines;
        self.checks += other.checks;
    }

    pub fn is_empty(&self) -> bool {
        *self == Pruned::default()
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl<M> Db<'_, M> {
    /// What pruning at `cutoff` would delete, deleting nothing.
    pub fn prune_counts(&self, cutoff: DateTime<Utc>) -> Result<Pruned> {
        let sql = format!(
            "WITH doomed(id) AS ({DOOMED}),
                  gone(id) AS (SELECT id FROM doomed
                               UNION ALL SELECT c.id FROM tasks c JOIN doomed d ON c.parent_id = d.id)
             SELECT (SELECT count(*) FROM doomed d JOIN tasks t ON t.id = d.id
                     WHERE t.kind = 0),
                    (SELECT count(*) FROM gone),
                    (SELECT count(*) FROM logs l WHERE l.task_id IN (SELECT id FROM gone))
                      + (SELECT count(*) FROM logs l WHERE l.task_id IS NULL AND l.time < ?1
                                                       AND (l.id < ?3 OR l.late)),
                    (SELECT count(*) FROM checks k WHERE k.task_id IN (SELECT id FROM gone))"
        );
        let (activities, tasks, log_lines, checks) = self.conn.query_row(
            &sql,
            args![
                ms(cutoff),
                self.id_bound(Timed::Tasks, cutoff)?,
                self.id_bound(Timed::Logs, cutoff)?,
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        Ok(Pruned {
            activities: count(activities),
            tasks: count(tasks),
            log_lines: count(log_lines),
            checks: count(checks),
        })
    }
}

impl Db<'_, Write> {
    /// Deletes at most `batch` of the oldest doomed top-level tasks with
    /// their children, log lines and check results, and at most `batch`
    /// task-less log lines older than `cutoff`. Nothing left to delete gives
    /// an empty count.
    pub fn prune_batch(&self, cutoff: DateTime<Utc>, batch: usize) -> Result<Pruned> {
        let at = ms(cutoff);
        let limit = i64::try_from(batch).unwrap_or(i64::MAX);
        self.conn.batch(
            "CREATE TEMP TABLE IF NOT EXISTS prune_top(id BIGINT PRIMARY KEY);
             CREATE TEMP TABLE IF NOT EXISTS prune_all(id BIGINT PRIMARY KEY);
             DELETE FROM prune_top; DELETE FROM prune_all;",
        )?;
        self.conn.execute(
            // Oldest first by id, so each batch reads little more than what
            // it deletes (the status is checked, not searched: `+t.status`
            // above).
            &format!("INSERT INTO prune_top {DOOMED} ORDER BY t.id LIMIT ?3"),
            args![at, self.id_bound(Timed::Tasks, cutoff)?, limit],
        )?;
        self.conn.execute(
            "INSERT INTO prune_all SELECT id FROM prune_top
             UNION SELECT c.id FROM tasks c JOIN prune_top p ON c.parent_id = p.id",
            &[],
        )?;
        let activities: i64 = self.conn.value(
            "SELECT count(*) FROM prune_top p JOIN tasks t ON t.id = p.id
             WHERE t.kind = 0",
            &[],
        )?;
        let task_lines = self.conn.execute(
            "DELETE FROM logs WHERE task_id IN (SELECT id FROM prune_all)",
            &[],
        )?;
        let checks = self.conn.execute(
            "DELETE FROM checks WHERE task_id IN (SELECT id FROM prune_all)",
            &[],
        )?;
        // Children go with their activity (ON DELETE CASCADE).
        let tasks: i64 = self.conn.value("SELECT count(*) FROM prune_all", &[])?;
        self.conn.execute(
            "DELETE FROM tasks WHERE id IN (SELECT id FROM prune_top)",
            &[],
        )?;
        let other_lines = self.conn.execute(
            "DELETE FROM logs WHERE id IN
                (SELECT id FROM logs WHERE task_id IS NULL AND time < ?1 AND (id < ?2 OR late)
                 ORDER BY id LIMIT ?3)",
            args![at, self.id_bound(Timed::Logs, cutoff)?, limit],
        )?;
        Ok(Pruned {
            activities: count(activities),
            tasks: count(tasks),
            log_lines: task_lines + other_lines,
            checks,
        })
    }
}

impl super::Store {
    /// Returns freed pages to the file system where the database allows it
    /// (`auto_vacuum = INCREMENTAL`, set on every database this build
    /// creates); the bytes the file shrank by.
    pub fn reclaim(&self) -> Result<u64> {
        // PostgreSQL's autovacuum gives space back by itself.
        let guard = self.conn();
        let Some(conn) = guard.lite() else {
            return Ok(0);
        };
        let mode: i64 = conn.pragma_query_value(None, "auto_vacuum", |r| r.get(0))?;
        if mode != 2 {
            return Ok(0);
        }
        let size = || -> Result<i64> {
            let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
            let page: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
            Ok(pages * page)
        };
        let before = size()?;
        // The pragma frees one page a step: step it to the end.
        let mut stmt = conn.prepare("PRAGMA incremental_vacuum")?;
        let mut rows = stmt.query([])?;
        while rows.next()?.is_some() {}
        drop(rows);
        drop(stmt);
        Ok(u64::try_from(before - size()?).unwrap_or(0))
    }
}
