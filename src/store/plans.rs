//! The query plan of every list filter, read from `EXPLAIN QUERY PLAN`, so
//! that a schema change cannot silently lose an index a list relies on.

use super::sql::Value;
use super::{LogFilter, Store, TaskFilter};
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::log::Level;
use crate::domain::task::{TaskKind, TaskStatus};
use rusqlite::params_from_iter;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&super::Location::Sqlite(dir.path().join("nfa.db"))).unwrap();
    (dir, store)
}

/// The plan's detail lines, joined.
fn plan(store: &Store, sql: &str, args: Vec<Value>) -> String {
    let conn = store.lite().unwrap();
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = stmt
        .query_map(params_from_iter(args), |r| r.get::<_, String>(3))
        .unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join(" | ")
}

fn tasks(store: &Store, filter: TaskFilter) -> String {
    let (sql, args) = store.read().task_query(&filter).unwrap();
    plan(store, &sql, args)
}

fn logs(store: &Store, filter: LogFilter) -> String {
    let (sql, args) = store.read().log_query(&filter).unwrap();
    plan(store, &sql, args)
}

#[test]
fn every_list_filter_reads_through_its_index() {
    let (_dir, s) = store();
    let base = TaskFilter {
        limit: 50,
        ..Default::default()
    };
    for (what, filter, index) in [
        ("tasks", base.clone(), "tasks_user"),
        (
            "tasks --show-automated",
            TaskFilter {
                include_automated: true,
                ..base.clone()
            },
            "INTEGER PRIMARY KEY",
        ),
        (
            "tasks --account",
            TaskFilter {
                account_id: Some(AccountId(1)),
                include_automated: true,
                ..base.clone()
            },
            "tasks_by_account",
        ),
        (
            "tasks --status",
            TaskFilter {
                statuses: vec![TaskStatus::Error],
                include_automated: true,
                ..base.clone()
            },
            "tasks_by_status",
        ),
        (
            "tasks --status --status",
            TaskFilter {
                statuses: vec![TaskStatus::Error, TaskStatus::Pending],
                include_automated: true,
                ..base.clone()
            },
            "tasks_by_status",
        ),
        (
            "tasks --since",
            TaskFilter {
                since: Some(chrono::Utc::now()),
                include_automated: true,
                ..base.clone()
            },
            "INTEGER PRIMARY KEY (rowid>?)",
        ),
        (
            "tasks --since --account",
            TaskFilter {
                since: Some(chrono::Utc::now()),
                account_id: Some(AccountId(1)),
                include_automated: true,
                ..base.clone()
            },
            "tasks_by_account (account_id=? AND id>?)",
        ),
        (
            "tasks --status ERROR --kind",
            TaskFilter {
                statuses: vec![TaskStatus::Error],
                kinds: vec![TaskKind::UpdateAdCache],
                include_automated: true,
                ..base.clone()
            },
            "tasks_by_kind_status (kind=? AND status=?)",
        ),
        (
            "tasks --kind",
            TaskFilter {
                kinds: vec![TaskKind::UpdateAdCache],
                include_automated: true,
                ..base.clone()
            },
            "INTEGER PRIMARY KEY",
        ),
    ] {
        let p = tasks(&s, filter);
        assert!(p.contains(index), "{what}: {p}");
        // Newest first straight from an index.
        assert!(!p.contains("USE TEMP B-TREE"), "{what} sorts: {p}");
    }

    let base = LogFilter {
        limit: Some(50),
        ..Default::default()
    };
    for (what, filter, index) in [
        ("logs", base.clone(), "SCAN l"),
        (
            "logs --task",
            LogFilter {
                task_id: Some(TaskId(7)),
                ..base.clone()
            },
            "logs_by_task",
        ),
        (
            "logs --task --level error",
            LogFilter {
                task_id: Some(TaskId(7)),
                level: Some(Level::Error),
                ..base.clone()
            },
            "logs_by_task",
        ),
        (
            "logs --account",
            LogFilter {
                account_id: Some(AccountId(1)),
                ..base.clone()
            },
            "logs_by_account",
        ),
        (
            "logs --account --level error",
            LogFilter {
                account_id: Some(AccountId(1)),
                level: Some(Level::Error),
                ..base.clone()
            },
            "logs_by_account",
        ),
        (
            "logs --level error",
            LogFilter {
                level: Some(Level::Error),
                ..base.clone()
            },
            "logs_by_level",
        ),
        (
            "logs --since",
            LogFilter {
                since: Some(chrono::Utc::now()),
                ..base.clone()
            },
            "INTEGER PRIMARY KEY (rowid>?)",
        ),
    ] {
        let p = logs(&s, filter);
        assert!(p.contains(index), "{what}: {p}");
        // A task's lines are few, an account's are bounded by its tasks
        // (read through them): those are sorted; every other list reads
        // newest first from its index.
        if !what.contains("--task") && !what.contains("--account") {
            assert!(!p.contains("USE TEMP B-TREE"), "{what} sorts: {p}");
        }
    }
}

#[test]
fn the_policy_reads_of_one_account_use_their_indexes() {
    let (_dir, s) = store();
    let p = plan(
        &s,
        "SELECT id FROM tasks t WHERE t.account_id = ?1 AND t.kind = 0
           AND t.decision IN (0, 1) ORDER BY t.id DESC LIMIT 1",
        vec![1.into()],
    );
    assert!(p.contains("tasks_refreshes"), "{p}");
}

#[test]
fn pruning_reads_the_oldest_tasks_by_id() {
    let (_dir, s) = store();
    let p = plan(
        &s,
        &format!("{} ORDER BY t.id LIMIT 10", super::prune::DOOMED),
        vec![0.into(), 1.into()],
    );
    assert!(!p.contains("USE TEMP B-TREE FOR ORDER BY"), "{p}");
}
