//! What `nfa db` needs of a database: what it holds (`db info`) and a copy
//! of all of it into another, empty one (`db copy`).

use super::sql::{Backend, Conn, Value};
use super::{Location, Store, schema};
use anyhow::{Context, Result, bail};

/// The tables of a database, their columns (the same on both backends;
/// `late` and SQLite's `clock` are derived, rebuilt by the target), and the
/// order their rows are copied in (ids ascending: parents before their
/// children, and times in id order, see `store::clock`).
const TABLES: &[(&str, &[&str], &str)] = &[
    (
        "accounts",
        &[
            "id",
            "name",
            "name_key",
            "tenant_id",
            "source",
            "lifecycle",
            "created_at",
            "last_activity_at",
            "ad_cache_updated_at",
            "ad_users",
            "ad_groups",
            "client_id",
            "client_secret_env",
            "client_secret_file",
            "subscription_id",
            "directory_cursor",
            "certificate_file",
            "certificate_key_file",
        ],
        "id",
    ),
    ("settings", &["key", "value"], "key"),
    (
        "partner",
        &[
            "id",
            "tenant_id",
            "client_id",
            "client_secret_env",
            "client_secret_file",
            "certificate_file",
            "certificate_key_file",
            "updated_at",
        ],
        "id",
    ),
    (
        "tasks",
        &[
            "id",
            "parent_id",
            "account_id",
            "kind",
            "automated",
            "origin",
            "decision",
            "status",
            "earlier_id",
            "earlier_status",
            "description",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "owner_host",
            "owner_pid",
            "owner_token",
            "owner_seen_at",
            "username",
        ],
        "id",
    ),
    (
        "logs",
        &[
            "id",
            "time",
            "level",
            "event",
            "task_id",
            "account_id",
            "detail",
            "username",
        ],
        "id",
    ),
    (
        "checks",
        &[
            "id",
            "account_id",
            "task_id",
            "checked_at",
            "azure_ok",
            "azure_error",
            "office365_ok",
            "office365_error",
            "gdap_status",
            "gdap_ends_at",
            "gdap_auto_extend",
        ],
        "id",
    ),
    (
        "ad_users",
        &["account_id", "id", "display_name", "upn", "enabled"],
        "account_id, id",
    ),
    (
        "ad_groups",
        &["account_id", "id", "display_name"],
        "account_id, id",
    ),
];

/// Rows inserted by one statement of a copy.
const BATCH: usize = 200;

/// What a database holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Contents {
    pub schema_version: usize,
    /// Bytes of the database (an SQLite file without its write-ahead log;
    /// a PostgreSQL database as `pg_database_size` counts it).
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
    /// Where this database is (for messages; a URL's password hidden).
    pub fn location(&self) -> String {
        self.location.clone()
    }

    /// Runs `f` in one read transaction: what it reads is one moment of
    /// the database, whatever other engineers write meanwhile.
    fn snapshot<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        // Held throughout: no other thread's statement comes inside.
        let conn = self.conn();
        conn.batch(match conn.backend() {
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        })?;
        let result = f();
        let _ = conn.batch("COMMIT");
        result
    }

    /// What the database holds, counted in one read transaction.
    pub fn contents(&self) -> Result<Contents> {
        self.snapshot(|| {
            let bytes: i64 = match &*self.conn() {
                Conn::Lite(c) => {
                    let page = |p: &str| -> rusqlite::Result<i64> {
                        c.pragma_query_value(None, p, |r| r.get(0))
                    };
                    page("page_count")? * page("page_size")?
                }
                Conn::Pg(_) => self
                    .conn()
                    .value("SELECT pg_database_size(current_database())", &[])?,
            };
            Ok(Contents {
                schema_version: self.user_version()?,
                bytes: u64::try_from(bytes).unwrap_or(0),
                ..counts(&self.conn())?
            })
        })
    }

    /// Copies everything this database holds into the database at `target`
    /// (an SQLite path, created if absent, or a PostgreSQL URL), ids kept,
    /// in one transaction of the target: all of it or, on any error,
    /// nothing. A target that holds anything is refused; the check and the
    /// copy are one transaction that holds the target's write lock (SQLite)
    /// or its tables' locks (PostgreSQL), so of two copies into one empty
    /// target one copies and the other is refused. An SQLite file that
    /// this call created is removed again on failure, unless it holds data
    /// by then (another copy's): a refused copy never removes what it did
    /// not write.
    pub fn copy_to(&self, target: &Location) -> Result<()> {
        let created = match target {
            // Created here, exclusively: of two copies racing to a new
            // file, one creates it.
            Location::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    let _ = std::fs::create_dir_all(dir);
                }
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(path)
                    .is_ok()
                    .then_some(path)
            }
            Location::Postgres(_) => None,
        };
        let result = self.copy_into(target);
        if let (Err(_), Some(path)) = (&result, created) {
            let still_empty = Store::open(target)
                .and_then(|s| s.contents())
                .is_ok_and(|c| c.is_empty());
            if still_empty {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.as_os_str().to_owned();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
        }
        result
    }

    fn copy_into(&self, target: &Location) -> Result<()> {
        let shown = target.shown();
        if target.same_as(&self.at) {
            bail!("--to {shown}: that is the database being copied");
        }
        let dst = Store::open(target)?;
        dst.authorize(crate::domain::role::Action::LoadDatabase)?;
        let source = self.contents()?;
        if source.schema_version != schema::LATEST {
            bail!(
                "{}: schema version {} is not this build's ({})",
                self.location,
                source.schema_version,
                schema::LATEST
            );
        }
        // The target's errors are said as the target's (its server named).
        let explained = |e: anyhow::Error| match dst.explain_pg(&e) {
            Some(text) => anyhow::anyhow!(text),
            None => e,
        };
        self.snapshot(|| {
            dst.write(|db| {
                match db.conn.lite() {
                    // Foreign keys are checked at the commit, when every
                    // row is in. (The write lock is held already.)
                    Some(c) => c.execute_batch("PRAGMA defer_foreign_keys = ON")?,
                    // No other writer until the commit: a second copy
                    // waits here, then finds this one's rows.
                    None => db.conn.batch(&format!(
                        "LOCK TABLE {} IN EXCLUSIVE MODE",
                        TABLES.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")
                    ))?,
                }
                if db.conn.backend() == Backend::Postgres {
                    // The copied rows keep their engineers: the trigger that
                    // writes the session's user is off inside this one
                    // transaction only (its owner, an admin, may do so; no
                    // other session sees it off).
                    db.conn.batch(
                        "ALTER TABLE tasks DISABLE TRIGGER tasks_username;
                         ALTER TABLE logs DISABLE TRIGGER logs_username",
                    )?;
                }
                let before = counts(&db.conn)?;
                if !before.is_empty() {
                    bail!(
                        "--to {shown}: the target already holds data ({} accounts, {} tasks, {} log lines, {} settings); copy into a new or empty database",
                        before.accounts,
                        before.tasks,
                        before.log_lines,
                        before.settings
                    );
                }
                for (table, columns, order) in TABLES {
                    copy_table(&self.conn(), &db.conn, table, columns, order)
                        .with_context(|| format!("copying the table {table}"))?;
                }
                if db.conn.backend() == Backend::Postgres {
                    // New rows go on after the ids copied.
                    for table in ["accounts", "tasks", "logs", "checks"] {
                        db.conn.batch(&format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                           coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                        ))?;
                    }
                    db.conn.batch(
                        "ALTER TABLE tasks ENABLE TRIGGER tasks_username;
                         ALTER TABLE logs ENABLE TRIGGER logs_username",
                    )?;
                }
                Ok(())
            })
            .map_err(explained)
        })?;
        if dst.backend() == Backend::Postgres {
            // Statistics for the planner, which a bulk load leaves stale.
            dst.conn().batch("ANALYZE").map_err(explained)?;
        }
        Ok(())
    }
}

/// How many rows each table holds (schema version and size left 0).
fn counts(conn: &Conn) -> Result<Contents> {
    let count = |table: &str| -> Result<u64> {
        let n: i64 = conn.value(&format!("SELECT count(*) FROM {table}"), &[])?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    Ok(Contents {
        schema_version: 0,
        bytes: 0,
        accounts: count("accounts")?,
        tasks: count("tasks")?,
        log_lines: count("logs")?,
        checks: count("checks")?,
        ad_users: count("ad_users")?,
        ad_groups: count("ad_groups")?,
        settings: count("settings")?,
    })
}

/// Copies the rows of one table, in batches of [`BATCH`] rows a statement.
fn copy_table(from: &Conn, to: &Conn, table: &str, columns: &[&str], order: &str) -> Result<()> {
    let list = columns.join(", ");
    let insert = |rows: usize| -> String {
        let width = columns.len();
        let tuples: Vec<String> = (0..rows)
            .map(|r| {
                let marks: Vec<String> =
                    (1..=width).map(|c| format!("?{}", r * width + c)).collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        format!("INSERT INTO {table} ({list}) VALUES {}", tuples.join(", "))
    };
    let full = insert(BATCH);
    let mut values: Vec<Value> = Vec::with_capacity(BATCH * columns.len());
    let mut rows = 0;
    from.for_each(
        &format!("SELECT {list} FROM {table} ORDER BY {order}"),
        &[],
        |r| {
            for i in 0..columns.len() {
                values.push(r.get(i)?);
            }
            rows += 1;
            if rows == BATCH {
                to.execute(&full, &values)?;
                values.clear();
                rows = 0;
            }
            Ok(())
        },
    )?;
    if rows > 0 {
        to.execute(&insert(rows), &values)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_knows_every_table_and_column_of_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Location::Sqlite(dir.path().join("nfa.db"))).unwrap();
        let conn = store.lite().unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'clock'
                   AND m.name <> 'workers'
                   AND p.name <> 'late'
                 ORDER BY m.name, p.name",
            )
            .unwrap();
        let columns: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut known: Vec<(String, String)> = TABLES
            .iter()
            .flat_map(|(t, cols, _)| cols.iter().map(|c| (t.to_string(), c.to_string())))
            .collect();
        known.sort_unstable();
        assert_eq!(columns, known);
    }
}
