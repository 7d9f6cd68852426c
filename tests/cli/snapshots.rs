//! Snapshot tests (insta) of what people read: every `--help`, and the
//! human table output of the list, show and run commands. A change to any
//! of them shows up as a diff to review (`cargo insta review`).

/// A snapshot, named alike in both builds of the suite (SQLite's and
/// PostgreSQL's, whose module paths differ): the same files check both.
macro_rules! snap {
    ($name:expr, $value:expr $(,)?) => {{
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!(format!("cli__snapshots__{}", $name), $value));
    }};
}

use super::*;

const COMMANDS: &[&[&str]] = &[
    &[],
    &["accounts"],
    &["accounts", "list"],
    &["accounts", "show"],
    &["accounts", "add"],
    &["accounts", "import"],
    &["accounts", "test"],
    &["accounts", "discover"],
    &["accounts", "remove"],
    &["refresh"],
    &["audit"],
    &["tasks"],
    &["tasks", "list"],
    &["tasks", "show"],
    &["tasks", "run"],
    &["logs"],
    &["settings"],
    &["settings", "list"],
    &["settings", "get"],
    &["settings", "set"],
    &["prune"],
    &["worker"],
    &["ui"],
    &["summary"],
    &["directory"],
    &["directory", "users"],
    &["directory", "groups"],
    &["db"],
    &["db", "info"],
    &["db", "copy"],
    &["team"],
    &["partner"],
    &["partner", "set"],
    &["partner", "show"],
    &["partner", "test"],
    &["team", "grant"],
    &["team", "revoke"],
    &["team", "list"],
    &["team", "whoami"],
    &["demo"],
    &["completions"],
];

#[test]
fn every_help_text() {
    let s = Sandbox::new();
    for cmd in COMMANDS {
        let mut args = cmd.to_vec();
        args.push("--help");
        let out = s.run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let name = if cmd.is_empty() {
            "help".to_string()
        } else {
            format!("help-{}", cmd.join("-"))
        };
        snap!(name, stdout(&out));
    }
}

/// The output of `nfa ARGS` (table, no colour, not a terminal) with the
/// sandbox's path written as `[SANDBOX]`.
fn table(s: &Sandbox, args: &[&str], code: i32) -> String {
    let out = s.run(args);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
    stdout(&out).replace(s.dir.path().to_str().unwrap(), "[SANDBOX]")
}

/// Three accounts: contoso (healthy, STALE), fabrikam (Microsoft 365 token
/// expired, INACTIVE), northwind (healthy, DORMANT).
fn three_accounts() -> Sandbox {
    let s = Sandbox::new();
    let healthy = s.fixture("healthy.json", &healthy());
    let expired = s.fixture("expired.json", &o365_expired());
    s.add(
        "contoso",
        &healthy,
        &["--tenant-id", "contoso.onmicrosoft.com"],
    );
    s.add(
        "fabrikam",
        &expired,
        &["--last-activity", "2026-11-20T08:00:00Z"],
    );
    s.add(
        "northwind",
        &healthy,
        &["--last-activity", "2026-10-01T08:00:00Z"],
    );
    s
}

#[test]
fn the_human_tables() {
    let s = three_accounts();
    snap!("accounts-list", table(&s, &["accounts", "list"], 0));
    snap!("refresh-one", table(&s, &["refresh", "contoso"], 0));
    snap!(
        "refresh-several",
        table(&s, &["refresh", "fabrikam", "northwind"], 3)
    );
    snap!(
        "refresh-deduplicated",
        table(&s, &["refresh", "contoso"], 0)
    );
    snap!("audit-one", table(&s, &["audit", "northwind"], 0));
    snap!("tasks", table(&s, &["tasks"], 0));
    snap!(
        "tasks-show-automated",
        table(&s, &["tasks", "--show-automated"], 0)
    );
    snap!("tasks-show", table(&s, &["tasks", "show", "4"], 0));
    snap!("logs", table(&s, &["logs"], 0));
    snap!(
        "accounts-show",
        table(&s, &["accounts", "show", "fabrikam"], 0)
    );
    snap!("accounts-list-after", table(&s, &["accounts", "list"], 0));
    snap!("audit-all", table(&s, &["audit", "--all"], 3));
    snap!("settings", table(&s, &["settings"], 0));
    snap!("summary", table(&s, &["summary"], 0));
    snap!(
        "directory-users",
        table(&s, &["directory", "users", "contoso"], 0)
    );
}

/// The human views as a terminal of `width` columns shows them (a pty from
/// script(1)), each line checked to fit.
fn on_terminal(width: u16) -> Vec<(&'static str, String)> {
    let s = three_accounts();
    let views = [
        ("refresh-one", "refresh contoso"),
        ("refresh-several", "refresh fabrikam northwind"),
        ("accounts-list", "accounts list"),
        ("tasks", "tasks --show-automated"),
        ("logs", "logs"),
        ("summary", "summary"),
        ("directory-users", "directory users contoso"),
    ];
    views
        .into_iter()
        .map(|(name, args)| {
            let text = s.on_terminal(width, args).replace('\r', "");
            assert_fits(&text, usize::from(width), args);
            (name, text)
        })
        .collect()
}

#[test]
fn the_human_views_at_80_and_120_columns() {
    for width in [80, 120] {
        for (name, text) in on_terminal(width) {
            snap!(format!("{name}-{width}"), text);
        }
    }
}

#[test]
fn colour_comes_when_asked_and_never_in_json_or_csv() {
    let s = Sandbox::with_failed_refresh();
    let esc = |args: &[&str]| stdout(&s.run(args)).contains('\u{1b}');
    // The sandbox sets NO_COLOR and is no terminal: auto means none.
    assert!(!esc(&["accounts", "list"]));
    assert!(!esc(&["--color", "never", "tasks", "--show-automated"]));
    assert!(
        esc(&["--color", "always", "accounts", "list"]),
        "DISCONNECTED in red"
    );
    assert!(esc(&["--color", "always", "tasks", "--show-automated"]));
    assert!(
        esc(&["--color", "always", "tasks", "show", "1"]),
        "one thing too"
    );
    assert!(!esc(&[
        "--color",
        "always",
        "-o",
        "json",
        "tasks",
        "--show-automated"
    ]));
    assert!(!esc(&[
        "--color",
        "always",
        "-o",
        "csv",
        "tasks",
        "--show-automated"
    ]));
    let colored = stdout(&s.run(&["--color", "always", "accounts", "list"]));
    assert!(
        colored.contains("\u{1b}[31mDISCONNECTED\u{1b}[39m"),
        "{colored:?}"
    );
    assert_eq!(
        s.run(&["--color", "sometimes", "accounts"]).status.code(),
        Some(2)
    );
}

/// Accounts named as MSPs name them (10, 28 and 60 characters), one whose
/// check fails with a 200-character error, each refreshed.
fn real_names() -> Sandbox {
    let s = Sandbox::new();
    let ok = s.fixture("ok.json", &healthy());
    let mut failing = healthy();
    failing["office365"] = json!({ "ok": false, "error": format!("token expired: {}", "AADSTS700082 the refresh token has expired due to inactivity ".repeat(4)).chars().take(200).collect::<String>() });
    let bad = s.fixture("bad.json", &failing);
    for (name, f) in [
        ("Contoso AG", &ok),
        ("Customer 12 Holdings Limited", &bad),
        (
            "Northwind Traders International Holdings and Subsidiaries 60",
            &ok,
        ),
    ] {
        s.add(name, f, &["--last-activity", "2026-11-01T08:00:00Z"]);
    }
    s.json_code(3, &["refresh", "--refreshable"]);
    s
}

#[test]
fn every_view_fits_60_to_120_columns_with_real_names() {
    let s = real_names();
    let views = [
        "refresh --refreshable",
        "refresh 2",
        "audit --all",
        "accounts list",
        "tasks",
        "tasks --show-automated",
        "logs",
        "summary",
        "directory users 1",
        "settings",
        "tasks run",
    ];
    for width in [60, 80, 100, 120] {
        for args in views {
            let text = s.on_terminal(width, args).replace('\r', "");
            assert!(!text.trim().is_empty() || args == "tasks run", "{args}");
            assert_fits(&text, usize::from(width), &format!("{args} at {width}"));
        }
    }
    // The essential columns stay at 60: the id, the name (cut), the status.
    let list = s.on_terminal(60, "accounts list").replace('\r', "");
    let header = list.lines().next().unwrap();
    assert!(
        header.contains("id") && header.contains("name") && header.contains("status"),
        "{list}"
    );
    assert!(
        list.contains("Northwind Traders") && list.contains('…'),
        "{list}"
    );
    for width in [60, 120] {
        snap!(
            format!("real-names-tasks-{width}"),
            s.on_terminal(width, "tasks --show-automated")
                .replace('\r', "")
        );
        snap!(
            format!("real-names-refresh-{width}"),
            s.on_terminal(width, "audit --all").replace('\r', "")
        );
    }
}

#[test]
fn a_bulk_run_says_the_portal_sentence_once_even_for_one_account_and_nothing_for_none() {
    let s = Sandbox::new();
    let f = s.fixture("ok.json", &healthy());
    s.add("contoso", &f, &[]);
    // --refreshable comes down to one account (a new one is STALE).
    let text = s.on_terminal(80, "refresh --refreshable");
    assert_eq!(
        text.matches("Update AD Cache and check").count(),
        1,
        "{text}"
    );
    assert!(text.contains("1 account: 1 new"), "{text}");
    // Nothing left to refresh or audit: nothing on standard output, the
    // note on a terminal only.
    let out = s.run(&["refresh", "--refreshable"]);
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{}",
        stdout(&out)
    );
    assert!(
        s.on_terminal(80, "refresh --refreshable")
            .contains("no account to refresh")
    );
    s.json(&["accounts", "remove", "contoso", "--yes"]);
    let out = s.run(&["audit", "--all"]);
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{}",
        stdout(&out)
    );
    assert!(
        s.on_terminal(80, "audit --all")
            .contains("no account to audit")
    );
}

/// Standard error of `nfa ARGS`, with the sandbox's directory as
/// `[SANDBOX]`; the exit code must be `code`.
fn error_of(s: &Sandbox, code: i32, args: &[&str]) -> String {
    let out = s.run(args);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
    assert!(out.stdout.is_empty(), "{args:?}: {}", stdout(&out));
    stderr(&out).replace(s.dir.path().to_str().unwrap(), "[SANDBOX]")
}

#[test]
fn errors_read_as_one_line_then_their_hints() {
    let s = three_accounts();
    let bad_import = s.path("bad.csv");
    std::fs::write(
        &bad_import,
        "name,source\nok,fixture:x.json\n,fixture:y.json\n",
    )
    .unwrap();
    let not_db = s.path("notes.txt");
    std::fs::write(&not_db, "not a database, my notes\n").unwrap();
    let cases: Vec<(&str, i32, Vec<String>)> = vec![
        (
            "unknown-account-close",
            1,
            vec!["refresh".into(), "contosso".into()],
        ),
        (
            "unknown-account",
            1,
            vec!["accounts".into(), "show".into(), "zzz".into()],
        ),
        (
            "unknown-task",
            1,
            vec!["tasks".into(), "show".into(), "999".into()],
        ),
        (
            "unknown-setting-close",
            1,
            vec!["settings".into(), "get".into(), "refresh-windw".into()],
        ),
        (
            "unknown-setting",
            1,
            vec!["settings".into(), "get".into(), "colour".into()],
        ),
        (
            "bad-duration",
            1,
            vec![
                "settings".into(),
                "set".into(),
                "refresh-window".into(),
                "6x".into(),
            ],
        ),
        (
            "bad-boolean",
            1,
            vec![
                "settings".into(),
                "set".into(),
                "display-automated-tasks".into(),
                "maybe".into(),
            ],
        ),
        (
            "duplicate-name",
            1,
            vec![
                "accounts".into(),
                "add".into(),
                "CONTOSO".into(),
                "--source".into(),
                "fixture:x.json".into(),
            ],
        ),
        (
            "bad-import-row",
            1,
            vec![
                "accounts".into(),
                "import".into(),
                bad_import.to_string_lossy().into_owned(),
            ],
        ),
        (
            "not-a-database",
            1,
            vec![
                "--db".into(),
                not_db.to_string_lossy().into_owned(),
                "accounts".into(),
                "list".into(),
            ],
        ),
        (
            "sqlite-uri",
            1,
            vec![
                "--db".into(),
                "file:nfa.db".into(),
                "accounts".into(),
                "list".into(),
            ],
        ),
        (
            "postgres-unreachable",
            1,
            vec![
                "--db".into(),
                "postgres://nfa:pw@127.0.0.1:1/nfa?sslmode=disable".into(),
                "accounts".into(),
                "list".into(),
            ],
        ),
        (
            "bad-since",
            2,
            vec!["tasks".into(), "--since".into(), "yesterday-ish".into()],
        ),
        ("unknown-subcommand", 2, vec!["acounts".into()]),
        (
            "bad-status",
            2,
            vec![
                "accounts".into(),
                "list".into(),
                "--status".into(),
                "HAPPY".into(),
            ],
        ),
    ];
    for (name, code, args) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let text = error_of(&s, code, &args);
        if code == 1 {
            let first = text.lines().next().unwrap_or_default();
            assert!(first.starts_with("error: "), "{name}: {text}");
            assert!(
                text.lines().skip(1).all(|l| l.starts_with("hint: ")),
                "{name}: one error line, then hints: {text}"
            );
        }
        snap!(format!("error-{name}"), text);
    }
    // Bad input in the environment is an error too, never ignored.
    let out = s
        .cmd()
        .env("NFA_NOW", "yesterday")
        .args(["accounts", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    snap!("error-bad-nfa-now", stderr(&out));
}

#[test]
fn demo_and_completions_do_not_offer_options_they_would_ignore() {
    let s = Sandbox::new();
    let help = |args: &[&str]| stdout(&s.run(args));
    let demo = help(&["demo", "--help"]);
    assert!(!demo.contains("--db"), "{demo}");
    let completions = help(&["completions", "--help"]);
    for flag in ["--db", "--output", "--quiet", "--color"] {
        assert!(!completions.contains(flag), "{flag}: {completions}");
    }
    // Given all the same, they change nothing there.
    let out = s.run(&["completions", "bash", "-o", "json"]);
    assert!(out.status.success() && stdout(&out).contains("refresh"));
    // Elsewhere the global options stay global.
    assert!(help(&["tasks", "--help"]).contains("--db"));
}

sqlite_only! {
    #[test]
    fn a_locked_database_and_a_fixture_that_is_not_json_read_as_one_line() {
        let mut s = Sandbox::sqlite();
        s.env.push(("NFA_LOCK_TIMEOUT".into(), "1s".into()));
        s.json(&["accounts", "list"]);
        {
            let _lock = hostile::WriteLock::take(&s);
            snap!(
                "error-locked-database",
                error_of(&s, 1, &["accounts", "add", "x", "--source", "fixture:x.json"])
            );
        }
        // A fixture that is not JSON fails its task, naming the file: the
        // run says so in its table, and the system log keeps the line.
        std::fs::write(s.path("broken.json"), "{ not json").unwrap();
        s.add("broken", &s.path("broken.json"), &[]);
        s.json_code(3, &["refresh", "broken"]);
        let line = s.json(&["logs", "--level", "error", "--limit", "1"])[0]["message"]
            .as_str()
            .unwrap()
            .replace(s.dir.path().to_str().unwrap(), "[SANDBOX]");
        snap!("error-bad-fixture", line);
    }
}
