//! The database file: creation, migrations, foreign files, the stock
//! SQLite library.

use super::*;
use nfa::store::{Store, schema};

sqlite_only! {
    #[test]
    fn the_database_and_its_directory_are_created_on_first_use() {
        let s = Sandbox::sqlite();
        let nested = s.path("deep/er/nfa.db");
        let out = s.run(&["--db", nested.to_str().unwrap(), "accounts", "list"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(nested.exists());
        assert!(!s.db.exists(), "--db wins over NFA_DB");
    }
}

sqlite_only! {
    #[test]
    fn without_db_or_nfa_db_the_per_user_data_directory_is_used() {
        let s = Sandbox::sqlite();
        let out = s
            .cmd()
            .env_remove("NFA_DB")
            .args(["accounts", "list"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            s.path("home/.local/share/nfa/nfa.db").exists(),
            "XDG data directory of the (fake) home"
        );
    }
}

sqlite_only! {
    #[test]
    fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
        let s = Sandbox::sqlite();
        let bytes = b"name,source\nthis is my spreadsheet, not a database\n".repeat(100);
        std::fs::write(&s.db, &bytes).unwrap();
        s.fails(&["accounts", "list"], &["not an nfa database", "nfa.db"]);
        s.fails(
            &["accounts", "add", "x", "--source", "fixture:x.json"],
            &["not an nfa database"],
        );
        assert_eq!(std::fs::read(&s.db).unwrap(), bytes);
        assert!(!s.path("nfa.db-wal").exists() && !s.path("nfa.db-journal").exists());
    }
}

sqlite_only! {
    #[test]
    fn the_first_schema_version_migrates_to_the_current_one() {
        let s = Sandbox::sqlite();
        {
            let store = Store::open_at(&s.location(), 1).unwrap();
            assert_eq!(store.user_version().unwrap(), 1);
        }
        // An account written by the version-1 build.
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        conn.execute(
            "INSERT INTO accounts (name, name_key, source, created_at, last_activity_at)
             VALUES ('Old', 'old', 'fixture:/nowhere.json', '2026-11-01T00:00:00.000Z', '2026-11-29T00:00:00.000Z')",
            [],
        )
        .unwrap();
        assert!(
            conn.prepare("SELECT * FROM tasks").is_err(),
            "version 1 has no tasks table"
        );
        drop(conn);

        let a = s.json(&["accounts", "show", "old"]);
        assert_eq!(a["name"], "Old");
        assert_eq!(a["last_activity_at"], "2026-11-29T00:00:00Z");
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(usize::try_from(v).unwrap(), schema::LATEST);
        // The migrated database works for the refresh engine.
        let r = s.json_code(3, &["refresh", "old"]);
        assert_eq!(r["decision"], "new");
        assert!(
            r["tasks"][0]["error"]
                .as_str()
                .unwrap()
                .contains("/nowhere.json")
        );
    }
}

sqlite_only! {
    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let s = Sandbox::sqlite();
        s.json(&["accounts", "list"]);
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        s.fails(&["accounts", "list"], &["newer nfa", "99"]);
    }
}

sqlite_only! {
    #[test]
    fn the_stock_sqlite_library_reads_the_file() {
        let s = Sandbox::sqlite();
        let f = s.fixture("t.json", &healthy());
        s.add("contoso", &f, &[]);
        s.json(&["refresh", "contoso"]);
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let fk: i64 = conn
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(fk, 0);
        let users: i64 = conn
            .query_row("SELECT count(*) FROM ad_users", [], |r| r.get(0))
            .unwrap();
        assert_eq!(users, 2);
        // And the sqlite3 shell, where the machine has one.
        if let Ok(out) = Command::new("sqlite3")
            .arg(&s.db)
            .arg("PRAGMA integrity_check;")
            .output()
        {
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
        }
    }
}

sqlite_only! {
    #[test]
    fn names_stored_before_nfc_are_found_in_any_form_after_the_migration() {
        let s = Sandbox::sqlite();
        drop(Store::open_at(&s.location(), 3).unwrap());
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        for (name, key) in [
            ("Cafe\u{301}", "cafe\u{301}"),
            ("Caf\u{e9}", "caf\u{e9}"),
            ("Zu\u{308}rich", "zu\u{308}rich"),
        ] {
            conn.execute(
                "INSERT INTO accounts (name, name_key, source, created_at) VALUES (?1, ?2, 'fixture:/x.json', '2026-11-01T00:00:00.000Z')",
                [name, key],
            )
            .unwrap();
        }
        drop(conn);
        assert_eq!(s.json(&["accounts", "show", "Z\u{fc}rich"])["id"], 3);
        // Two names that differ only in form keep working by id, and the log
        // asks to rename one.
        let warn = s.json(&["logs", "--level", "warn"]);
        assert!(
            warn.items()
                .iter()
                .any(|l| l["message"].as_str().unwrap().contains("rename one")),
            "{warn}"
        );
        assert_eq!(s.json(&["accounts", "show", "#1"])["name"], "Cafe\u{301}");
    }
}

/// The bytes of the database file and whether a WAL or journal was made.
fn file_state(s: &Sandbox) -> (Vec<u8>, bool) {
    let side = ["nfa.db-wal", "nfa.db-shm", "nfa.db-journal"]
        .iter()
        .any(|f| s.path(f).exists());
    (std::fs::read(&s.db).unwrap(), side)
}

sqlite_only! {
    #[test]
    fn sqlite_files_that_are_not_ours_are_refused_before_a_byte_is_written() {
        // An unrelated SQLite database (rollback journal, as sqlite3 makes it).
        let s = Sandbox::sqlite();
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        conn.execute_batch("CREATE TABLE foo(x); INSERT INTO foo VALUES (1);")
            .unwrap();
        drop(conn);
        let before = file_state(&s);
        s.fails(&["accounts", "list"], &["not an nfa database", "foo"]);
        s.fails(
            &["accounts", "add", "x", "--source", "fixture:x.json"],
            &["not an nfa database"],
        );
        assert_eq!(file_state(&s), before, "left untouched, no WAL");

        // Another application's database (application_id set).
        let s = Sandbox::new();
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        conn.pragma_update(None, "application_id", 0x4750_4b47)
            .unwrap();
        drop(conn);
        let before = file_state(&s);
        s.fails(
            &["accounts", "list"],
            &["another application", "0x47504b47"],
        );
        assert_eq!(file_state(&s), before);

        // A schema version that no nfa writes.
        let s = Sandbox::new();
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        conn.pragma_update(None, "user_version", -1).unwrap();
        drop(conn);
        let err = s.fails(&["accounts", "list"], &["schema version -1"]);
        assert!(!err.contains("18446744073709551615"), "{err}");
    }
}

sqlite_only! {
    #[test]
    fn a_newer_database_is_refused_before_it_is_switched_to_wal() {
        let s = Sandbox::sqlite();
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        conn.execute_batch("CREATE TABLE accounts(id INTEGER PRIMARY KEY);")
            .unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let before = file_state(&s);
        s.fails(
            &["accounts", "list"],
            &["newer nfa", "99", "left untouched"],
        );
        assert_eq!(file_state(&s), before);
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete", "not switched to WAL");
    }
}

sqlite_only! {
    #[test]
    fn db_takes_a_path_not_an_sqlite_uri() {
        let s = Sandbox::sqlite();
        let target = s.path("x.db");
        let uri = format!("file:{}", target.display());
        s.fails(&["--db", &uri, "accounts", "list"], &["not an SQLite URI"]);
        s.fails(
            &[
                "--db",
                "file:x?mode=memory",
                "accounts",
                "add",
                "a",
                "--source",
                "fixture:t.json",
            ],
            &["not an SQLite URI"],
        );
        assert!(!target.exists());
        assert!(!s.path("file:").exists(), "no stray directory");
        assert_eq!(
            std::fs::read_dir(s.dir.path()).unwrap().count(),
            0,
            "nothing was created"
        );
    }
}

sqlite_only! {
    #[test]
    fn a_new_database_says_it_is_an_nfa_database() {
        let s = Sandbox::sqlite();
        s.json(&["accounts", "list"]);
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        let app: i64 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(app, schema::APPLICATION_ID);
    }
}

/// `nfa ARGS` against a copy of `tests/cli/data/v4.db` (made by the release
/// that wrote schema version 4), as of 2026-11-03.
fn on_v4_copy(s: &mut Sandbox, args: &[&str]) -> String {
    if !s.db.exists() {
        std::fs::copy(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/data/v4.db"),
            &s.db,
        )
        .unwrap();
    }
    s.at("2026-11-03T00:00:00Z");
    let out = s.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

sqlite_only! {
    #[test]
    fn a_database_of_the_schema_4_release_migrates_in_place_and_reads_the_same() {
        let mut s = Sandbox::sqlite();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/data/v4");
        for (file, args) in [
            (
                "accounts-list.json",
                &["-o", "json", "accounts", "list"][..],
            ),
            (
                "tasks-all.json",
                &["-o", "json", "tasks", "--show-automated", "--limit", "0"],
            ),
            ("tasks.json", &["-o", "json", "tasks", "--limit", "0"]),
            ("logs.json", &["-o", "json", "logs", "--limit", "0"]),
            ("settings.json", &["-o", "json", "settings"]),
            ("tasks-show-1.json", &["-o", "json", "tasks", "show", "1"]),
            ("tasks-show-7.json", &["-o", "json", "tasks", "show", "7"]),
            (
                "accounts-show-1.json",
                &["-o", "json", "accounts", "show", "#1"],
            ),
            (
                "accounts-show-2.json",
                &["-o", "json", "accounts", "show", "#2"],
            ),
            (
                "accounts-show-3.json",
                &["-o", "json", "accounts", "show", "#3"],
            ),
            (
                "accounts-show-4.json",
                &["-o", "json", "accounts", "show", "#4"],
            ),
            (
                "tasks-all.csv",
                &["-o", "csv", "tasks", "--show-automated", "--limit", "0"],
            ),
            ("logs.csv", &["-o", "csv", "logs", "--limit", "0"]),
        ] {
            let want = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
            assert_eq!(on_v4_copy(&mut s, args), want, "{file}");
        }
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(usize::try_from(v).unwrap(), schema::LATEST);
        drop(conn);
        // And it goes on working: the policy sees the migrated history (the
        // window was set to 4h in that database; contoso's last refresh, left
        // PENDING, is older than that).
        let r: Value = serde_json::from_str(&on_v4_copy(
            &mut s,
            &["-o", "json", "refresh", "fabrikam", "--no-run"],
        ))
        .unwrap();
        assert_eq!(r["decision"], "new", "{r}");
        assert_eq!(r["earlier_status"], "ERROR", "{r}");
    }
}
