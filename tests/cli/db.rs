//! `nfa db`: info, copy, and `--db` values that are not SQLite paths.

use super::*;

/// A database with some of everything: accounts, refreshes (one failed),
/// an audit, a setting, an AD cache.
fn busy() -> Sandbox {
    let s = Sandbox::new();
    let ok = s.fixture("ok.json", &healthy());
    let bad = s.fixture("bad.json", &o365_expired());
    s.add("contoso", &ok, &["--last-activity", "2026-11-01T08:00:00Z"]);
    s.add(
        "fabrikam",
        &bad,
        &["--last-activity", "2026-11-01T08:00:00Z"],
    );
    s.json_code(3, &["refresh", "contoso", "fabrikam"]);
    s.json(&["audit", "contoso"]);
    s.json(&["settings", "set", "keep-history", "90d"]);
    s.set_partner();
    s
}

#[test]
fn info_says_backend_schema_and_sizes() {
    let s = busy();
    let info = s.json(&["db", "info"]);
    let backend = if on_postgres() { "postgres" } else { "sqlite" };
    assert_eq!(info["backend"], backend);
    assert_eq!(info["schema_version"], nfa::store::schema::LATEST);
    assert_eq!(info["accounts"], 2);
    assert_eq!(info["tasks"], 8);
    assert!(info["log_lines"].as_u64().unwrap() > 8, "{info}");
    assert!(info["bytes"].as_u64().unwrap() > 0, "{info}");
    assert_eq!(info["settings"], 1);
}

#[test]
fn a_copy_answers_every_list_as_the_original_does() {
    let s = busy();
    let copy = s.path("copy.db");
    let copy = copy.to_str().unwrap();
    let copied = s.json(&["db", "copy", "--to", copy]);
    assert_eq!(copied["tasks"], 8, "{copied}");
    let original = every_list(&s, s.db.to_str().unwrap());
    assert_eq!(every_list(&s, copy), original);
    // The copy goes on as a database of its own: the policy sees the
    // copied history (contoso refreshed at 08:00 → deduplicated).
    let again = s.json(&["--db", copy, "refresh", "contoso"]);
    assert_eq!(again["decision"], "deduplicated", "{again}");
    let next = s.json(&["--db", copy, "tasks", "--limit", "1"]);
    assert_eq!(next[0]["id"], 9, "ids go on after the copied ones: {next}");
}

#[test]
fn a_target_that_holds_data_is_refused_and_left_as_it_was() {
    let s = busy();
    let other = s.path("other.db");
    let other = other.to_str().unwrap();
    let f = s.fixture("t.json", &healthy());
    s.json(&[
        "--db",
        other,
        "accounts",
        "add",
        "northwind",
        "--source",
        &format!("fixture:{}", f.display()),
    ]);
    let before = s.json(&["--db", other, "db", "info"]);
    let err = s.fails(&["db", "copy", "--to", other], &["already holds data"]);
    assert!(err.contains(other), "{err}");
    let after = s.json(&["--db", other, "db", "info"]);
    assert_eq!(before, after);
    // Nor onto itself.
    s.fails(
        &["db", "copy", "--to", s.db.to_str().unwrap()],
        &["the database being copied"],
    );
}

#[test]
fn an_unreachable_server_is_one_line_naming_it_without_the_password() {
    let s = busy();
    // Port 1: nothing listens there.
    let url = "postgres://nfa:s3cret-pw@127.0.0.1:1/nfa?sslmode=disable";
    for args in [
        &["--db", url, "accounts", "list"][..],
        &["db", "copy", "--to", url],
    ] {
        let out = s.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let (o, e) = (stdout(&out), stderr(&out));
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        assert!(
            e.contains("cannot reach PostgreSQL at 127.0.0.1:1 (connection refused)"),
            "{e}"
        );
        assert!(e.contains("postgres://nfa:***@127.0.0.1:1"), "{e}");
        assert!(!o.contains("s3cret") && !e.contains("s3cret"), "{o}{e}");
    }
    // Nothing was created where a path would have been.
    assert!(!s.dir.path().join("postgres:").exists());
}

#[test]
fn a_password_in_the_query_string_is_hidden_like_the_one_before_the_host() {
    let s = busy();
    let url = "postgres://nfa@127.0.0.1:1/nfa?sslmode=disable&password=s3cret-q";
    for args in [
        &["--db", url, "accounts", "list"][..],
        &["--db", url, "db", "info"],
        &["db", "copy", "--to", url],
    ] {
        let out = s.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let (o, e) = (stdout(&out), stderr(&out));
        assert!(e.contains("password=***"), "{e}");
        assert!(!o.contains("s3cret") && !e.contains("s3cret"), "{o}{e}");
    }
}

#[test]
fn sslrootcert_must_be_a_regular_file_of_at_most_a_mebibyte() {
    let s = busy();
    let fifo = s.path("ca.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let big = s.path("big.pem");
    std::fs::write(&big, vec![b'A'; 2 << 20]).unwrap();
    for (file, words) in [
        (fifo.to_str().unwrap(), "not a regular file"),
        ("/dev/zero", "not a regular file"),
        (big.to_str().unwrap(), "at most 1 MiB"),
    ] {
        let url = format!("postgres://nfa@127.0.0.1:1/nfa?sslmode=verify-full&sslrootcert={file}");
        let started = Instant::now();
        let err = s.fails(&["--db", &url, "accounts", "list"], &["sslrootcert", words]);
        assert!(started.elapsed() < Duration::from_secs(5), "{file}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}

/// Every list, as scripts read it.
fn every_list(s: &Sandbox, db: &str) -> Vec<Value> {
    [
        &["accounts", "list"][..],
        &["tasks", "--show-automated", "--limit", "0"],
        &["logs", "--limit", "0"],
        &["settings"],
        &["directory", "users", "contoso"],
        &["directory", "groups", "contoso"],
        &["summary"],
        &["tasks", "show", "4"],
        &["accounts", "show", "fabrikam"],
        &["partner", "show"],
    ]
    .iter()
    .map(|args| {
        let mut all = vec!["--db", db];
        all.extend_from_slice(args);
        s.json(&all)
    })
    .collect()
}

postgres_only! {
    #[test]
    fn a_round_trip_sqlite_postgres_sqlite_answers_every_list_alike() {
        // A solo engineer's SQLite database, moved to the team's server and
        // back again.
        let mut s = busy();
        let solo = s.path("solo.db");
        let solo = solo.to_str().unwrap().to_string();
        s.json(&["db", "copy", "--to", &solo]);
        let team = PgDatabase::create();
        let back = s.path("back.db");
        let back = back.to_str().unwrap().to_string();
        let to_team = s.json(&["--db", &solo, "db", "copy", "--to", &team.url]);
        assert_eq!(to_team["backend"], "postgres", "{to_team}");
        s.json(&["--db", &team.url, "db", "copy", "--to", &back]);
        let original = every_list(&s, &solo);
        assert_eq!(every_list(&s, &team.url), original, "on PostgreSQL");
        assert_eq!(every_list(&s, &back), original, "back on SQLite");
        // Each goes on from the copied ids.
        s.at("2026-12-01T09:00:00Z");
        for db in [&team.url, &back] {
            let r = s.json_code(3, &["--db", db, "refresh", "fabrikam"]);
            assert_eq!(r["activity_id"], 9, "{db}: {r}");
        }
    }
}

#[test]
fn a_postgres_location_must_name_a_host_and_a_database_and_be_a_url() {
    let s = Sandbox::sqlite();
    for (db, words) in [
        ("postgres://nfa@127.0.0.1:5432", "names no database"),
        ("postgres://nfa@127.0.0.1:5432/", "names no database"),
        ("postgres:///nfa", "names no host"),
        (
            "host=127.0.0.1 user=nfa password=s3cret dbname=nfa",
            "key=value",
        ),
    ] {
        let err = s.fails(
            &["--db", db, "db", "info"],
            &[words, "postgres://USER@HOST:PORT/DATABASE"],
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
    // Nothing was created where a file of that name would have been.
    assert_eq!(std::fs::read_dir(s.dir.path()).unwrap().count(), 0);
}
