//! `nfa settings`, and the clock, help, version and completions.

use super::*;

#[test]
fn settings_list_their_defaults() {
    let s = Sandbox::new();
    let list = s.json(&["settings"]);
    let pairs: Vec<(String, String)> = list
        .items()
        .iter()
        .map(|s| {
            (
                s["key"].as_str().unwrap().to_string(),
                s["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("display-automated-tasks", "false"),
        ("refresh-window", "6h"),
        ("stale-after", "24h"),
        ("inactive-after", "7d"),
        ("dormant-after", "30d"),
        ("keep-history", "0s"),
        ("heartbeat-timeout", "90s"),
        ("audit-every", "0s"),
        ("shutdown-grace", "30s"),
    ];
    assert_eq!(pairs.len(), want.len());
    for (k, v) in want {
        assert!(
            pairs.contains(&(k.to_string(), v.to_string())),
            "{k} = {v} missing from {pairs:?}"
        );
    }
}

#[test]
fn set_validates_normalizes_and_get_reads_back() {
    let s = Sandbox::new();
    let set = s.json(&["settings", "set", "refresh-window", "7200"]);
    assert_eq!(set["value"], "2h");
    let out = s.run(&["settings", "get", "refresh-window"]);
    assert_eq!(
        stdout(&out).trim(),
        "2h",
        "table output of get is the bare value"
    );
    assert_eq!(
        s.json(&["settings", "get", "refresh-window"])["value"],
        "2h"
    );
    s.json(&["settings", "set", "display-automated-tasks", "true"]);
    assert_eq!(
        s.json(&["settings", "get", "display-automated-tasks"])["value"],
        "true"
    );
}

#[test]
fn an_unknown_key_or_invalid_value_changes_nothing() {
    let s = Sandbox::new();
    s.json(&["settings", "set", "stale-after", "12h"]);
    s.fails(
        &["settings", "set", "colour", "blue"],
        &["unknown setting 'colour'"],
    );
    s.fails(&["settings", "get", "colour"], &["colour"]);
    s.fails(
        &["settings", "set", "stale-after", "soon"],
        &["stale-after", "soon"],
    );
    s.fails(
        &["settings", "set", "stale-after", "1.5h"],
        &["stale-after"],
    );
    s.fails(
        &["settings", "set", "display-automated-tasks", "maybe"],
        &["display-automated-tasks"],
    );
    assert_eq!(s.json(&["settings", "get", "stale-after"])["value"], "12h");
    assert_eq!(
        s.json(&["settings", "get", "display-automated-tasks"])["value"],
        "false"
    );
}

#[test]
fn thresholds_come_from_the_settings() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("c", &f, &[]);
    s.json(&["refresh", "c"]);
    assert_eq!(s.json(&["accounts", "show", "c"])["status"], "ACTIVE");
    s.json(&["settings", "set", "stale-after", "0s"]);
    s.json(&["settings", "set", "inactive-after", "0s"]);
    assert_eq!(
        s.json(&["accounts", "show", "c"])["status"],
        "ACTIVE",
        "strict: exactly 0s old is not older"
    );
    let mut s = s;
    s.at("2026-11-30T08:00:01Z");
    assert_eq!(s.json(&["accounts", "show", "c"])["status"], "INACTIVE");
}

#[test]
fn a_malformed_nfa_now_is_an_error() {
    let mut s = Sandbox::new();
    s.at("yesterday");
    s.fails(&["accounts", "list"], &["NFA_NOW", "yesterday"]);
    s.at("2026-13-01T00:00:00Z");
    s.fails(&["settings"], &["NFA_NOW"]);
    assert!(!s.db.exists(), "nothing was written");
}

#[test]
fn help_version_and_usage_errors() {
    let s = Sandbox::new();
    let out = s.run(&["--help"]);
    assert!(out.status.success());
    for cmd in [
        "accounts",
        "refresh",
        "audit",
        "tasks",
        "logs",
        "settings",
        "demo",
        "completions",
    ] {
        assert!(stdout(&out).contains(cmd), "--help lacks {cmd}");
        let sub = s.run(&[cmd, "--help"]);
        assert!(sub.status.success(), "nfa {cmd} --help");
    }
    let out = s.run(&["--version"]);
    assert!(stdout(&out).starts_with("nfa "), "{}", stdout(&out));
    assert_eq!(s.run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        s.run(&["refresh"]).status.code(),
        Some(2),
        "refresh needs accounts or --refreshable"
    );
    assert_eq!(s.run(&["-o", "yaml", "accounts"]).status.code(), Some(2));
}

#[test]
fn completions_are_printed_for_each_shell() {
    let s = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = s.run(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        assert!(
            stdout(&out).contains("refresh"),
            "{shell} completion lacks subcommands"
        );
    }
    assert!(!s.db.exists(), "completions need no database");
}

#[test]
fn global_options_also_come_after_the_subcommand() {
    let s = Sandbox::new();
    let other = s.path("other.db");
    let out = s
        .cmd()
        .args([
            "settings",
            "get",
            "refresh-window",
            "-o",
            "json",
            "-q",
            "--db",
            other.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["value"], "6h");
    assert!(
        other.exists() && !s.db.exists(),
        "--db after the subcommand is honoured"
    );
}
