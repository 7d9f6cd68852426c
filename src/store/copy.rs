//! What `nfa db` needs of a database: what it holds (`db info`) and a copy
//! of all of it into another, empty one (`db copy`).

use super::{Store, schema};
use anyhow::{Context, Result, bail};
use std::path::Path;

/// The tables of a database and the order their rows are copied in (ids
/// ascending, so that times stay in id order: see `store::clock`, whose
/// `clock` table the copy's own inserts rebuild).
const TABLES: &[(&str, &str)] = &[
    ("accounts", "ORDER BY id"),
    ("settings", ""),
    ("tasks", "ORDER BY id"),
    ("logs", "ORDER BY id"),
    ("checks", "ORDER BY id"),
    ("ad_users", ""),
    ("ad_groups", ""),
];

/// What a database holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Contents {
    pub schema_version: usize,
    /// Bytes of the database file (its write-ahead log excluded).
    pub bytes: u64,
    pub accounts: u64,
    pub tasks: u64,
    pub log_lines: u64,
    pub checks: u64,
    pub ad_users: u64,
    pub ad_groups: u64,
    pub settings: u64,
}

impl Contents {
    /// Whether it holds nothing at all.
    pub fn is_empty(&self) -> bool {
        self.accounts
            + self.tasks
            + self.log_lines
            + self.checks
            + self.ad_users
            + self.ad_groups
            + self.settings
            == 0
    }
}

impl Store {
    /// Where this database is (for messages).
    pub fn location(&self) -> String {
        self.path.display().to_string()
    }

    /// What the database holds, counted in one read transaction.
    pub fn contents(&self) -> Result<Contents> {
        let count = |table: &str| -> Result<u64> {
            let n: i64 =
                self.conn
                    .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        let page = |pragma: &str| -> Result<i64> {
            Ok(self.conn.pragma_query_value(None, pragma, |r| r.get(0))?)
        };
        self.conn.execute_batch("BEGIN")?;
        let contents = (|| {
            Ok(Contents {
                schema_version: self.user_version()?,
                bytes: u64::try_from(page("page_count")? * page("page_size")?).unwrap_or(0),
                accounts: count("accounts")?,
                tasks: count("tasks")?,
                log_lines: count("logs")?,
                checks: count("checks")?,
                ad_users: count("ad_users")?,
                ad_groups: count("ad_groups")?,
                settings: count("settings")?,
            })
        })();
        self.conn.execute_batch("COMMIT")?;
        contents
    }

    /// Copies everything this database holds into the SQLite database at
    /// `target` (created if absent), ids kept, in one transaction of the
    /// target: all of it or, on any error, nothing (a file this call
    /// created is removed again). A target that holds anything is refused.
    pub fn copy_to(&self, target: &Path) -> Result<()> {
        let created = !target.exists();
        let result = self.copy_into(target);
        if result.is_err() && created {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = target.as_os_str().to_owned();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
        result
    }

    fn copy_into(&self, target: &Path) -> Result<()> {
        if std::path::absolute(target).ok() == std::path::absolute(&self.path).ok() {
            bail!(
                "--to {}: that is the database being copied",
                target.display()
            );
        }
        let dst = Store::open(target)?;
        let before = dst.contents()?;
        if !before.is_empty() {
            bail!(
                "--to {}: the target already holds data ({} accounts, {} tasks, {} log lines, {} settings); copy into a new or empty database",
                target.display(),
                before.accounts,
                before.tasks,
                before.log_lines,
                before.settings
            );
        }
        let source = self.contents()?;
        if source.schema_version != schema::LATEST {
            bail!(
                "{}: schema version {} is not this build's ({})",
                self.path.display(),
                source.schema_version,
                schema::LATEST
            );
        }
        drop(dst);
        let path = target
            .to_str()
            .with_context(|| format!("--to {}: not a UTF-8 path", target.display()))?;
        self.conn
            .execute("ATTACH DATABASE ?1 AS copy_target", [path])?;
        let copied = self.write(|_| {
            // Foreign keys are checked at the commit, when every row is in.
            self.conn.execute_batch("PRAGMA defer_foreign_keys = ON")?;
            for (table, order) in TABLES {
                self.conn.execute_batch(&format!(
                    "INSERT INTO copy_target.{table} SELECT * FROM main.{table} {order}"
                ))?;
            }
            Ok(())
        });
        let detached = self.conn.execute_batch("DETACH DATABASE copy_target");
        copied?;
        detached?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_knows_every_table_of_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("nfa.db")).unwrap();
        let mut stmt = store
            .conn
            .prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'table'
                 AND name NOT LIKE 'sqlite_%' AND name <> 'clock' ORDER BY name",
            )
            .unwrap();
        let tables: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut known: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
        known.sort_unstable();
        assert_eq!(tables, known);
    }
}
