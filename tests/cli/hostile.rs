//! Hostile input from engineers, files and tenants: terminal escapes,
//! spreadsheet formulas, odd files, removed accounts, held locks.

use super::*;
use serde_json::json;
use std::io::{BufRead, BufReader};

const EVIL: &str = "token expired\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{202e}gnp.exe";

/// Whether a text holds a byte or character that would act on a terminal.
fn live_controls(text: &str) -> bool {
    text.chars()
        .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}')
}

#[test]
fn tenant_text_reaches_people_escaped_and_scripts_intact() {
    let s = Sandbox::new();
    let mut tenant = healthy();
    tenant["office365"] = json!({ "ok": false, "error": EVIL });
    let f = s.fixture("evil.json", &tenant);
    s.add("c", &f, &[]);

    let out = s.run(&["refresh", "c"]);
    assert_eq!(out.status.code(), Some(3));
    for args in [
        &["tasks", "--show-automated"][..],
        &["tasks", "show", "1"],
        &["logs"],
        &["accounts", "show", "c"],
    ] {
        let out = s.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(!live_controls(&text), "{args:?}: {text:?}");
        assert!(
            text.contains("\\u{1b}]0;PWNED"),
            "{args:?} shows it escaped: {text}"
        );
    }
    // JSON keeps the text as it was (escaped by JSON itself).
    let tasks = s.json(&[
        "tasks",
        "--show-automated",
        "--kind",
        "AzureAdminAndO365Status",
    ]);
    assert!(tasks[0]["error"].as_str().unwrap().contains(EVIL));

    // And the follower of the log.
    let line = s.first_followed_line(&["logs", "--follow", "--level", "error"]);
    assert!(!live_controls(&line), "{line:?}");
    assert!(line.contains("\\u{1b}]0;PWNED"), "{line}");
}

#[test]
fn a_missing_fixture_path_with_escapes_is_escaped_in_errors_too() {
    let s = Sandbox::new();
    let out = s.run(&["accounts", "import", "no\u{1b}[2Jsuch.csv"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(!live_controls(&err), "{err:?}");
    assert!(err.contains("\\u{1b}[2J"), "{err}");
}

#[test]
fn csv_output_neutralises_what_a_spreadsheet_would_run() {
    let s = Sandbox::new();
    s.fixture("t.json", &healthy());
    let names = [
        "=HYPERLINK(\"http://example.invalid\",\"x\")",
        "+SUM(A1)",
        "-cmd",
        "@evil",
    ];
    for n in names {
        s.json(&["accounts", "add", "--source", "fixture:t.json", "--", n]);
    }
    let out = s.run(&["-o", "csv", "accounts"]);
    let mut rows = csv::Reader::from_reader(out.stdout.as_slice());
    let got: Vec<String> = rows
        .records()
        .map(|r| r.unwrap().get(1).unwrap().to_string())
        .collect();
    let want: Vec<String> = names.iter().map(|n| format!("'{n}")).collect();
    assert_eq!(got, want);
    // JSON and the table keep the names as they are.
    assert_eq!(s.json(&["accounts"])[0]["name"], names[0]);
    // One thing in CSV too.
    let out = s.run(&["-o", "csv", "accounts", "show", "#2"]);
    assert!(stdout(&out).contains("'+SUM(A1)"), "{}", stdout(&out));
}

#[test]
fn a_fifo_as_fixture_fails_its_task_instead_of_hanging() {
    let s = Sandbox::new();
    let fifo = s.path("tenant.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    s.add("c", &fifo, &[]);
    let mut child = s.spawn(&["refresh", "c"]);
    let _guard = KillOnDrop(child.id());
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "refresh hangs on a FIFO");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let err = r["tasks"][0]["error"].as_str().unwrap();
    assert!(
        err.contains("tenant.fifo") && err.contains("not a regular file"),
        "{err}"
    );
}

#[test]
fn an_endless_import_is_cut_off_with_a_clear_error() {
    let s = Sandbox::new();
    s.fails(
        &["accounts", "import", "/dev/zero"],
        &["/dev/zero", "larger than the 64 MiB"],
    );
    assert!(s.json(&["accounts"]).items().is_empty());
}

#[test]
fn import_reads_json_with_a_byte_order_mark_and_refuses_doubled_fields() {
    let s = Sandbox::new();
    s.fixture("t.json", &healthy());
    std::fs::write(
        s.path("bom.json"),
        "\u{feff}[{\"name\": \"bom\", \"source\": \"fixture:t.json\"}]",
    )
    .unwrap();
    let added = s.json(&["accounts", "import", "bom.json"]);
    assert_eq!(added[0]["name"], "bom");

    std::fs::write(s.path("cols.csv"), "name,source,name\na,fixture:t.json,b\n").unwrap();
    s.fails(
        &["accounts", "import", "cols.csv"],
        &["column 'name' appears twice"],
    );
    std::fs::write(
        s.path("keys.json"),
        r#"[{"name": "x", "source": "fixture:t.json"}, {"name": "y", "source": "fixture:t.json", "name": "z"}]"#,
    )
    .unwrap();
    s.fails(
        &["accounts", "import", "keys.json"],
        &["row 2", "key 'name' appears twice"],
    );
    assert_eq!(s.json(&["accounts"]).count(), 1);
}

#[test]
fn the_demo_refuses_a_directory_that_holds_files_unless_forced() {
    let s = Sandbox::new();
    let dir = s.path("mine");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("accounts.json"), "my own accounts").unwrap();
    s.fails(
        &["demo", "--dir", dir.to_str().unwrap()],
        &["not empty", "--force"],
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("accounts.json")).unwrap(),
        "my own accounts"
    );
    assert!(!dir.join("tenants").exists());
    let out = s
        .cmd()
        .args(["demo", "--quiet", "--force", "--dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let again = s
        .cmd()
        .args(["demo", "--quiet", "--force", "--dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "--force replaces the demo's own database: {}",
        stderr(&again)
    );
}

/// Holds the database's write lock, as another writer would, until dropped.
pub struct WriteLock(rusqlite::Connection);

impl WriteLock {
    pub fn take(s: &Sandbox) -> WriteLock {
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        conn.busy_timeout(Duration::from_secs(30)).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        WriteLock(conn)
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

/// Waits for a child to end, at most `secs` seconds (then fails).
fn wait_exit(child: &mut Child, secs: u64, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_account_removed_during_a_bulk_run_is_skipped_and_the_rest_finish() {
    let s = Sandbox::new();
    let fast = s.fixture("fast.json", &healthy());
    let slow = s.fixture("slow.json", &slow(1500));
    s.add("a", &fast, &[]);
    s.add("slow4", &slow, &[]);
    s.add("c", &fast, &[]);
    for args in [&["audit", "--all"][..], &["refresh", "a", "slow4", "c"]] {
        if s.json(&["accounts"]).count() < 3 {
            s.add("slow4", &slow, &[]);
        }
        let child = s.spawn(args);
        let _guard = KillOnDrop(child.id());
        s.wait_in_progress();
        s.json(&["accounts", "remove", "slow4"]);
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            err.contains("warning: account 'slow4'") && err.contains("removed meanwhile; skipped"),
            "{args:?}: {err}"
        );
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        let names: Vec<&str> = r
            .items()
            .iter()
            .map(|a| a["account"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "c"], "{args:?}: the others are reported");
        for a in r.items() {
            assert!(
                a["tasks"].items().iter().all(|t| t["status"] == "COMPLETE"),
                "{a}"
            );
        }
    }
    let left = s.unfinished();
    assert!(left.items().is_empty(), "{left}");
}

sqlite_only! {
    #[test]
    fn a_result_that_cannot_be_recorded_ends_its_task_in_error_with_the_cause() {
        let mut s = Sandbox::sqlite();
        s.env.push(("NFA_LOCK_TIMEOUT".into(), "1s".into()));
        let f = s.fixture("slow.json", &slow(800));
        s.add("c", &f, &[]);
        let mut child = s
            .cmd()
            .args(["-o", "json", "refresh", "c"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _guard = KillOnDrop(child.id());
        s.wait_in_progress();
        let lock = WriteLock::take(&s);
        // The first result cannot be written while the lock is held; nfa says
        // so, then marks the task ERROR once the lock is free.
        let mut errs = BufReader::new(child.stderr.take().unwrap()).lines();
        let warning = errs.next().unwrap().unwrap();
        assert!(
            warning.starts_with("warning: task #2") && warning.contains("could not be recorded"),
            "{warning}"
        );
        drop(lock);
        let status = wait_exit(&mut child, 60, "refresh ends");
        assert_eq!(status.code(), Some(3), "a task ended in ERROR");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut text).unwrap();
        let r: Value = serde_json::from_str(&text).unwrap();
        let error = r["tasks"][0]["error"].as_str().unwrap();
        assert!(
            error.contains("could not be recorded")
                && error.contains("locked")
                && error.contains("nfa.db"),
            "{error}"
        );
        let task = s.json(&["tasks", "show", "2"]);
        assert_eq!(task["status"], "ERROR", "{task}");
        assert!(!task["error"].as_str().unwrap().contains("abandoned"));
    }
}

sqlite_only! {
    #[test]
    fn a_database_locked_too_long_is_named_with_the_fix() {
        let mut s = Sandbox::sqlite();
        s.env.push(("NFA_LOCK_TIMEOUT".into(), "1s".into()));
        s.json(&["accounts"]);
        let _lock = WriteLock::take(&s);
        s.fails(
            &["accounts", "add", "x", "--source", "fixture:x.json"],
            &["nfa.db", "is locked", "NFA_LOCK_TIMEOUT"],
        );
        s.env.push(("NFA_LOCK_TIMEOUT".into(), "soon".into()));
        s.fails(&["accounts"], &["NFA_LOCK_TIMEOUT", "soon"]);
    }
}

sqlite_only! {
    #[test]
    fn ctrl_c_ends_a_wait_for_another_writers_lock() {
        let s = Sandbox::sqlite();
        let f = s.fixture("t.json", &healthy());
        s.add("c", &f, &[]);
        let lock = WriteLock::take(&s);
        let mut child = s.spawn(&["refresh", "c"]);
        let _guard = KillOnDrop(child.id());
        // Give it time to start and reach the lock (the default wait is 60 s).
        std::thread::sleep(Duration::from_millis(1500));
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        let status = wait_exit(&mut child, 20, "Ctrl-C is heard while waiting for the lock");
        assert_eq!(status.code(), Some(130));
        drop(lock);
        assert!(s.json(&["tasks", "--show-automated"]).items().is_empty());
    }
}

sqlite_only! {
    #[test]
    fn a_database_in_a_read_only_directory_can_still_be_read() {
        use std::os::unix::fs::PermissionsExt;
        use std::os::unix::process::CommandExt;
        let s = Sandbox::sqlite();
        let dir = s.path("share");
        std::fs::create_dir(&dir).unwrap();
        let db = dir.join("nfa.db");
        let db_arg = db.to_str().unwrap();
        s.fixture("t.json", &healthy());
        let out = s.run(&[
            "--db",
            db_arg,
            "accounts",
            "add",
            "contoso",
            "--source",
            "fixture:t.json",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let mode = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        };
        mode(s.dir.path(), 0o755);
        mode(&dir, 0o555);
        // As a user who may read but not write there (root may write anywhere).
        // A copy of the binary that any user may run, wherever the build is.
        let bin = s.path("nfa");
        std::fs::copy(env!("CARGO_BIN_EXE_nfa"), &bin).unwrap();
        mode(&bin, 0o755);
        let as_reader = |args: &[&str]| {
            let mut c = s.cmd_of(&bin);
            c.arg("--db").arg(&db).args(args);
            let root = Command::new("id").arg("-u").output().unwrap();
            if String::from_utf8_lossy(&root.stdout).trim() == "0" {
                c.uid(65534).gid(65534);
            }
            c.output().unwrap()
        };
        let out = as_reader(&["-o", "json", "accounts", "list"]);
        assert!(out.status.success(), "reads work: {}", stderr(&out));
        let list: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(list[0]["name"], "contoso");
        let out = as_reader(&["accounts", "add", "x", "--source", "fixture:t.json"]);
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.contains("cannot be written") && err.contains(db_arg),
            "{err}"
        );
        mode(&dir, 0o755);
    }
}

sqlite_only! {
    #[test]
    fn a_damaged_database_is_named_with_the_fix() {
        let s = Sandbox::sqlite();
        let f = s.fixture("t.json", &healthy());
        for i in 0..20 {
            s.add(&format!("account {i}"), &f, &[]);
        }
        // Scribble over every page but the first (the header stays valid).
        let mut bytes = std::fs::read(&s.db).unwrap();
        assert!(bytes.len() > 8192);
        for b in &mut bytes[4096..] {
            *b = 0xA5;
        }
        std::fs::write(&s.db, &bytes).unwrap();
        s.fails(&["accounts", "list"], &["nfa.db", "damaged (malformed)"]);
    }
}

#[test]
fn a_duration_too_long_says_so() {
    let s = Sandbox::new();
    let out = s.run(&["tasks", "--since", "36501d"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad flag value is a usage error"
    );
    assert!(stderr(&out).contains("too long"), "{}", stderr(&out));
    s.fails(
        &["settings", "set", "refresh-window", "99999999999999999999d"],
        &["too long"],
    );
}
