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
