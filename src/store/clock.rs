//! "Since T" without an index on time: ids follow time for every row but
//! the late ones (schema migration 6), so the rows at or after T are an id
//! range found by a binary search, plus late rows read through their own
//! small index.

use super::sql::{Backend, args};
use super::{Db, ms};
use anyhow::Result;
use chrono::{DateTime, Utc};

/// A table whose rows carry the time they were written.
#[derive(Debug, Clone, Copy)]
pub(super) enum Timed {
    /// `tasks.created_at`
    Tasks,
    /// `logs.time`
    Logs,
}

impl Timed {
    fn sql(self, template: &str) -> String {
        let (table, column) = match self {
            Timed::Tasks => ("tasks", "created_at"),
            Timed::Logs => ("logs", "time"),
        };
        template
            .replace("{table}", table)
            .replace("{column}", column)
    }
}

/// The first id and the last, each its own query: SQLite answers one min()
/// or max() from an end of the ids, but both at once by reading them all.
const FIRST: &str = "SELECT min(id) FROM {table}";
const LAST: &str = "SELECT max(id) FROM {table}";
/// The first row at or after an id that is not late.
const PROBE: &str =
    "SELECT id, {column} FROM {table} WHERE id >= ?1 AND NOT late ORDER BY id LIMIT 1";
/// The first late row at or after a time, through the late rows' own index
/// (not the ids, which would read the whole table when no row is late).
const LATE: &str =
    "SELECT min(id) FROM {table} INDEXED BY {table}_late WHERE late AND {column} >= ?1";

impl<M> Db<'_, M> {
    /// One past the id of the last row that is not late and is older than
    /// `t` (the first id when there is none): every row that is not late
    /// and has a smaller id is older than `t`, and every one from it on is
    /// not. About 25 probes by id at 10 M rows.
    pub(super) fn id_bound(&self, what: Timed, t: DateTime<Utc>) -> Result<i64> {
        let at = ms(t);
        let end = |sql: &str| -> Result<Option<i64>> { self.conn.value(&what.sql(sql), &[]) };
        let first = end(FIRST)?;
        if self.conn.backend() == Backend::Postgres {
            // Every row is late there (schema::PG_MIGRATIONS): no row is
            // bounded by its id.
            return Ok(first.unwrap_or(1));
        }
        let last = end(LAST)?;
        let (Some(mut lo), Some(last)) = (first, last) else {
            return Ok(1);
        };
        let mut hi = last + 1;
        let probe = what.sql(PROBE);
        // Invariant: rows that are not late below `lo` are older than `t`;
        // the first one at or after `hi` (if any) is not.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let next: Option<(i64, i64)> = self
                .conn
                .query_opt(&probe, args![mid], |r| Ok((r.get(0)?, r.get(1)?)))?;
            match next {
                Some((id, time)) if time < at => lo = id + 1,
                _ => hi = mid,
            }
        }
        Ok(lo)
    }

    /// The smallest id a row whose time is `t` or later can have, late rows
    /// included.
    pub(super) fn first_id_since(&self, what: Timed, t: DateTime<Utc>) -> Result<i64> {
        let bound = self.id_bound(what, t)?;
        if self.conn.backend() == Backend::Postgres {
            // The first id: the time term of the query, over its own index,
            // selects the rows (the planner picks by its statistics).
            return Ok(bound);
        }
        let late: Option<i64> = self.conn.value(&what.sql(LATE), args![ms(t)])?;
        Ok(late.map_or(bound, |l| l.min(bound)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Location, Store};
    use proptest::prelude::*;

    /// Writes log lines at these times (Unix ms), in this order.
    fn write_logs(store: &Store, times: &[i64]) {
        for t in times {
            store
                .lite()
                .unwrap()
                .execute(
                    "INSERT INTO logs (time, level, event) VALUES (?1, 2, 0)",
                    [t],
                )
                .unwrap();
        }
    }

    /// The ids of the late log lines.
    fn late_logs(store: &Store) -> Vec<i64> {
        store
            .lite()
            .unwrap()
            .prepare("SELECT id FROM logs WHERE late ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn migrating_marks_the_late_rows_of_an_existing_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nfa.db");
        let old = Store::open_at(&Location::Sqlite(path.clone()), 5).unwrap();
        write_logs(&old, &[10, 30, 20, 30, 5, 40, 35]);
        drop(old);
        let store = Store::open(&Location::Sqlite(path.clone())).unwrap();
        assert_eq!(late_logs(&store), [3, 5, 7]);
        // And the clock goes on from the latest time written.
        write_logs(&store, &[39]);
        let last = late_logs(&store).last() == Some(&8);
        assert!(last, "39 after 40 is late");
    }

    #[test]
    fn a_clock_set_forward_makes_only_its_own_rows_late() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nfa.db");
        let now = Utc::now().timestamp_millis();
        let year = 365 * 86_400_000;
        // Written before the migration, and after it.
        let old = Store::open_at(&Location::Sqlite(path.clone()), 5).unwrap();
        write_logs(&old, &[now - 2000, now + year, now - 1000]);
        drop(old);
        let store = Store::open(&Location::Sqlite(path.clone())).unwrap();
        assert_eq!(late_logs(&store), [2], "only the row a year ahead");
        write_logs(&store, &[now + 2 * year, now, now + 1000]);
        assert_eq!(late_logs(&store), [2, 4]);
        let at = DateTime::<Utc>::from_timestamp_millis(now - 1500).unwrap();
        let db = store.read();
        assert_eq!(db.id_bound(Timed::Logs, at).unwrap(), 2);
        assert_eq!(db.first_id_since(Timed::Logs, at).unwrap(), 2);
    }

    #[test]
    fn every_query_reads_from_an_end_or_an_index_never_the_whole_table() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Location::Sqlite(dir.path().join("nfa.db"))).unwrap();
        for what in [Timed::Tasks, Timed::Logs] {
            for sql in [FIRST, LAST, PROBE, LATE] {
                let sql = what.sql(sql);
                let args: &[i64] = if sql.contains("?1") { &[1] } else { &[] };
                let plan: String = store
                    .lite()
                    .unwrap()
                    .query_row(
                        &format!("EXPLAIN QUERY PLAN {sql}"),
                        rusqlite::params_from_iter(args),
                        |r| r.get(3),
                    )
                    .unwrap();
                assert!(plan.starts_with("SEARCH"), "{sql}: {plan}");
            }
        }
        // Both ends at once would read every id.
        let both: String = store
            .lite()
            .unwrap()
            .query_row(
                "EXPLAIN QUERY PLAN SELECT min(id), max(id) FROM tasks",
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(both.starts_with("SCAN"), "{both}");
    }

    const FUTURE: i64 = 4_000_000_000_000;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever order times were written in (clocks set back included),
        /// the id bounds select exactly the rows at or after a time, and
        /// exactly those before it.
        #[test]
        fn id_bounds_are_exact_for_any_order_of_times(
            // Past times, and some far ahead of the real clock (2096).
            times in proptest::collection::vec(
                prop_oneof![4 => 0i64..50, 1 => FUTURE..FUTURE + 50],
                0..60,
            ),
            at in prop_oneof![-1i64..52, FUTURE - 1..FUTURE + 52],
        ) {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(&Location::Sqlite(dir.path().join("nfa.db"))).unwrap();
            write_logs(&store, &times);
            let t = DateTime::<Utc>::from_timestamp_millis(at).unwrap();
            let db = store.read();
            let since = db.first_id_since(Timed::Logs, t).unwrap();
            let bound = db.id_bound(Timed::Logs, t).unwrap();
            let ids = |sql: &str, arg: i64| -> Vec<i64> {
                let conn = store.lite().unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                stmt.query_map([at, arg], |r| r.get(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            };
            let expected_since: Vec<i64> = (1..)
                .zip(&times)
                .filter(|(_, t)| **t >= at)
                .map(|(id, _)| id)
                .collect();
            let expected_before: Vec<i64> = (1..)
                .zip(&times)
                .filter(|(_, t)| **t < at)
                .map(|(id, _)| id)
                .collect();
            prop_assert_eq!(
                ids("SELECT id FROM logs WHERE time >= ?1 AND id >= ?2 ORDER BY id", since),
                expected_since
            );
            prop_assert_eq!(
                ids("SELECT id FROM logs WHERE time < ?1 AND (id < ?2 OR late) ORDER BY id", bound),
                expected_before
            );
        }
    }
}
