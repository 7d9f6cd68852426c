//! Hostile input from engineers, files and tenants: terminal escapes,
//! spreadsheet formulas, odd files, removed accounts, held locks.

use crate::*;
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
    let mut follow = s
        .cmd()
        .args(["logs", "--follow", "--level", "error"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _guard = KillOnDrop(follow.id());
    let line = BufReader::new(follow.stdout.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    assert!(!live_controls(&line), "{line:?}");
    assert!(line.contains("\\u{1b}]0;PWNED"), "{line}");
    let _ = std::process::Command::new("kill")
        .args(["-INT", &follow.id().to_string()])
        .status();
    assert_eq!(follow.wait().unwrap().code(), Some(130));
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
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    s.add("c", &fifo, &[]);
    let mut child = s.spawn(&["refresh", "c"]);
    let _guard = KillOnDrop(child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "refresh hangs on a FIFO"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
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
