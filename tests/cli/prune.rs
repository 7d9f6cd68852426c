//! Retention: `nfa prune`, the `keep-history` setting, and `audit --all`.

use super::*;

fn ids(tasks: &Value) -> Vec<i64> {
    let mut v = tasks.ids();
    v.sort_unstable();
    v
}

/// Three accounts with a history spread over the year.
fn history(s: &mut Sandbox) {
    let ok = s.fixture("ok.json", &healthy());
    let bad = s.fixture("bad.json", &o365_expired());
    s.at("2026-01-01T00:00:00Z");
    s.add("a", &ok, &[]); // account 1
    s.add("b", &bad, &[]); // account 2
    s.add("c", &ok, &[]); // account 3
    s.json(&["refresh", "a"]); // activity 1, tasks 2-3
    s.json_code(3, &["refresh", "b"]); // activity 4, tasks 5-6 (6 fails)
    s.json(&["audit", "c"]); // audit tasks 7-8
    s.at("2026-03-01T00:00:00Z");
    s.json(&["refresh", "a"]); // activity 9, tasks 10-11: a's newest check
    s.json_code(3, &["refresh", "b"]); // activity 12, tasks 13-14: b's newest refresh
    s.at("2026-06-01T00:00:00Z");
    s.json(&["refresh", "a", "--no-run"]); // activity 15, tasks 16-17 PENDING: a's newest refresh
    s.at(NOW);
}

#[test]
fn prune_deletes_finished_history_but_never_what_the_policy_or_a_status_needs() {
    let mut s = Sandbox::new();
    history(&mut s);
    let before = s.json(&["tasks", "--show-automated", "--limit", "0"]);
    assert_eq!(before.count(), 17);

    let dry = s.json(&["prune", "--older-than", "30d", "--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["cutoff"], "2026-10-31T08:00:00Z");
    assert_eq!(
        s.json(&["tasks", "--show-automated", "--limit", "0"]),
        before,
        "a dry run deletes nothing"
    );

    let done = s.json(&["prune", "--older-than", "30d"]);
    for key in ["activities", "tasks", "log_lines", "checks"] {
        assert_eq!(done[key], dry[key], "{key}: the dry run told the truth");
    }
    // Deleted: a's first refresh (1-3), b's first (4-6), c's directory
    // audit (7). Kept: c's check audit (8, c's newest check), a's second
    // refresh (9-11, a's newest check), b's second (12-14, b's newest
    // refresh), a's pending one (15-17).
    assert_eq!(done["activities"], 2);
    assert_eq!(done["tasks"], 7);
    assert_eq!(done["checks"], 2, "the checks of tasks 3 and 6");
    let left = s.json(&["tasks", "--show-automated", "--limit", "0"]);
    assert_eq!(ids(&left), [8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    // Their log lines went with them, and so did the old lines of no task.
    let logs = s.json(&["logs", "--limit", "0"]);
    for l in logs.items() {
        let task = l["task_id"].as_i64();
        assert!(task.is_none_or(|t| t >= 8), "{l}");
        assert!(task.is_some(), "the 'account added' lines were older: {l}");
    }
    s.fails(&["tasks", "show", "1"], &["1"]);
    // Statuses are as they were: b still DISCONNECTED by its newest check.
    assert_eq!(s.json(&["accounts", "show", "b"])["status"], "DISCONNECTED");
    assert_eq!(s.json(&["accounts", "show", "c"])["last_check_ok"], true);
    // And the policy still sees each account's newest refresh.
    let r = s.json(&["refresh", "b", "--no-run"]);
    assert_eq!(r["earlier_activity_id"], 12, "{r}");
    // Pruning again finds nothing more of that age.
    let again = s.json(&["prune", "--older-than", "30d"]);
    assert_eq!(again["tasks"], 0);
}

#[test]
fn keep_history_is_the_default_and_zero_keeps_everything() {
    let mut s = Sandbox::new();
    history(&mut s);
    let none = s.json(&["prune"]);
    assert_eq!(none["cutoff"], Value::Null);
    assert_eq!(none["tasks"], 0);
    let out = s.run(&["prune"]);
    assert!(
        stdout(&out).contains("keep-history is 0"),
        "{}",
        stdout(&out)
    );

    s.json(&["settings", "set", "keep-history", "200d"]);
    // 200 days before now: 2026-05-14, so only January and March go.
    let r = s.json(&["prune", "--dry-run"]);
    assert_eq!(r["cutoff"], "2026-05-14T08:00:00Z");
    assert_eq!(r["tasks"], 7);
    s.fails(
        &["settings", "set", "keep-history", "forever"],
        &["keep-history"],
    );
}

#[test]
fn the_nightly_audit_prunes_as_keep_history_asks() {
    let mut s = Sandbox::new();
    let ok = s.fixture("ok.json", &healthy());
    s.at("2026-01-01T00:00:00Z");
    for i in 0..40 {
        s.add(&format!("account {i}"), &ok, &[]);
    }
    for when in [
        "2026-01-01T00:00:00Z",
        "2026-02-01T00:00:00Z",
        "2026-03-01T00:00:00Z",
    ] {
        s.at(when);
        s.json(&["audit", "--all"]);
    }
    assert_eq!(
        s.json(&["tasks", "--show-automated", "--limit", "0"])
            .count(),
        240
    );
    // Without keep-history the audit prunes nothing.
    s.at("2026-03-02T00:00:00Z");
    s.json(&["audit", "--all"]);
    assert_eq!(
        s.json(&["tasks", "--show-automated", "--limit", "0"])
            .count(),
        320
    );
    // With it, the audit keeps 10 days: January and February go; the
    // audits of 1, 2 and 3 March remain.
    s.json(&["settings", "set", "keep-history", "10d"]);
    s.at("2026-03-03T00:00:00Z");
    s.json(&["audit", "--all"]);
    let left = s.json(&["tasks", "--show-automated", "--limit", "0"]);
    assert_eq!(left.count(), 240);
}

sqlite_only! {
    #[test]
    fn pruning_returns_space_to_the_file_system() {
        let mut s = Sandbox::sqlite();
        let ok = s.fixture("ok.json", &healthy());
        s.at("2026-01-01T00:00:00Z");
        for i in 0..60 {
            s.add(&format!("account {i}"), &ok, &[]);
        }
        for day in 1..=6 {
            s.at(&format!("2026-01-0{day}T00:00:00Z"));
            s.json(&["audit", "--all"]);
        }
        s.at(NOW);
        let before = std::fs::metadata(&s.db).unwrap().len();
        let r = s.json(&["prune", "--older-than", "1d"]);
        let after = std::fs::metadata(&s.db).unwrap().len();
        assert!(r["tasks"].as_u64().unwrap() >= 600, "{r}");
        let freed = r["freed_bytes"].as_u64().unwrap();
        assert!(freed >= 64 * 1024, "the freed pages go back: {r}");
        assert!(
            after + freed / 2 <= before,
            "the file shrank: {before} -> {after} ({r})"
        );
    }
}
