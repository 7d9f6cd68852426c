//! The refresh policy through the binary: every "Nerdio Tip" bullet of the
//! product article as its own test, plus the contract's table.

use super::*;

const MESSAGE: &str = "Update AD Cache and check Nerdio users tasks were successfully added and will be executed soon";

/// A sandbox with one account `c` over a healthy fixture.
fn one_account() -> (Sandbox, PathBuf) {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("c", &f, &[]);
    (s, f)
}

fn activities(s: &Sandbox) -> Vec<Value> {
    s.json(&["tasks", "--kind", "UpdatingAccountStatus", "--limit", "0"])
        .items()
        .clone()
}

#[test]
fn a_first_refresh_adds_both_tasks_runs_them_and_recomputes_the_status() {
    let (s, _) = one_account();
    let r = s.json(&["refresh", "c"]);
    assert_eq!(r["account_id"], 1);
    assert_eq!(r["account"], "c");
    assert_eq!(r["decision"], "new");
    assert_eq!(r["earlier_activity_id"], Value::Null);
    assert_eq!(r["earlier_status"], Value::Null);
    assert_eq!(r["message"], MESSAGE);
    assert_eq!(r["status_before"], "STALE");
    assert_eq!(r["status_after"], "ACTIVE");
    assert_eq!(
        kinds(&r["tasks"]),
        ["UpdateAdCache", "AzureAdminAndO365Status"]
    );
    for t in r["tasks"].items() {
        assert_eq!(t["status"], "COMPLETE");
        assert_eq!(t["error"], Value::Null);
        assert!(t["id"].is_i64());
    }
    let a = s.json(&["accounts", "show", "c"]);
    assert_eq!(a["ad_cache_updated_at"], NOW);
    assert_eq!(a["last_check_ok"], true);
}

#[test]
fn the_table_output_shows_the_portal_message() {
    let (s, _) = one_account();
    let out = s.run(&["refresh", "c"]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "no progress bar off a terminal: {}",
        stderr(&out)
    );
    assert!(
        stdout(&out).lines().any(|l| l.trim() == MESSAGE),
        "{}",
        stdout(&out)
    );
    let out = s.run(&["refresh", "c"]);
    assert!(
        !stdout(&out).contains(MESSAGE),
        "no message when deduplicated"
    );
}

/// Tip: "The refresh button will never be disabled."
#[test]
fn tip_the_refresh_is_never_refused() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("busy", &f, &["--lifecycle", "provisioning"]);
    s.add("fresh", &f, &[]);
    s.json(&["refresh", "fresh"]);
    // Neither an account in a lifecycle state, nor an ACTIVE one, nor a
    // repeated click is refused: each records its activity.
    for name in ["busy", "fresh", "fresh", "fresh"] {
        let r = s.json(&["refresh", name]);
        assert!(r["activity_id"].is_i64());
    }
    assert_eq!(activities(&s).len(), 5);
}

/// Tip: "If a user clicks more than once, the activity is added but its
/// description indicates that an earlier refresh task is already in
/// progress." (PENDING: tasks recorded with --no-run.)
#[test]
fn tip_a_second_click_on_a_pending_refresh_is_recorded_and_names_the_earlier_one() {
    let (mut s, _) = one_account();
    let first = s.json(&["refresh", "c", "--no-run"]);
    assert_eq!(first["decision"], "new");
    assert_eq!(first["message"], MESSAGE);
    assert!(
        first["tasks"]
            .items()
            .iter()
            .all(|t| t["status"] == "PENDING")
    );

    s.at("2026-11-30T13:59:59Z");
    let second = s.json(&["refresh", "c"]);
    assert_eq!(second["decision"], "deduplicated");
    assert_eq!(second["earlier_activity_id"], first["activity_id"]);
    assert_eq!(second["earlier_status"], "PENDING");
    assert_eq!(second["tasks"], json!([]));
    assert_eq!(second["message"], Value::Null);
    let desc = second["description"].as_str().unwrap();
    assert!(
        desc.contains(&format!("#{}", first["activity_id"])) && desc.contains("PENDING"),
        "{desc}"
    );
    let listed = activities(&s);
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed[0]["description"], desc,
        "the task list shows the description"
    );

    // Tip: 6 hours on, a PENDING earlier refresh no longer holds.
    s.at("2026-11-30T14:00:00Z");
    let third = s.json(&["refresh", "c", "--no-run"]);
    assert_eq!(third["decision"], "new");
    assert_eq!(
        third["earlier_activity_id"], first["activity_id"],
        "a deduplicated activity is never an earlier refresh"
    );
}

/// Tip: within 6 hours and the previous refresh is COMPLETE: the activity
/// is added, its description shows the earlier task, no new task.
#[test]
fn tip_complete_within_the_window_adds_no_task() {
    let (mut s, _) = one_account();
    let first = s.json(&["refresh", "c"]);
    s.at("2026-11-30T13:59:00Z");
    let r = s.json(&["refresh", "c"]);
    assert_eq!(r["decision"], "deduplicated");
    assert_eq!(r["earlier_status"], "COMPLETE");
    assert_eq!(r["earlier_activity_id"], first["activity_id"]);
    assert!(
        r["description"]
            .as_str()
            .unwrap()
            .contains(&format!("#{}", first["activity_id"]))
    );
    let all = s.json(&["tasks", "--show-automated", "--limit", "0"]);
    assert_eq!(all.count(), 4, "two activities, two refresh tasks");
    assert_eq!(all[0]["id"], r["activity_id"]);
    assert_eq!(
        all[0]["status"], "COMPLETE",
        "an activity without children is COMPLETE"
    );
    assert_eq!(all[0]["decision"], "deduplicated");
    assert_eq!(r["status_after"], "ACTIVE");
}

/// Tip: "When the refresh button is clicked 6 hours from a previously
/// completed refresh task, new refresh tasks will be added."
#[test]
fn tip_six_hours_after_a_completed_refresh_new_tasks_are_added() {
    let (mut s, _) = one_account();
    s.json(&["refresh", "c"]);
    s.at("2026-11-30T14:00:00Z");
    let r = s.json(&["refresh", "c"]);
    assert_eq!(r["decision"], "new");
    assert_eq!(r["earlier_status"], "COMPLETE");
    assert_eq!(r["tasks"].count(), 2);
}

/// Tip: within 6 hours and the previous refresh is ERROR: the tasks that
/// failed are triggered again, and only they.
#[test]
fn tip_error_within_the_window_retries_only_the_failed_kind() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &o365_expired());
    s.add("c", &f, &[]);
    let first = s.json_code(3, &["refresh", "c"]);
    assert_eq!(first["tasks"][0]["status"], "COMPLETE");
    assert_eq!(first["tasks"][1]["status"], "ERROR");
    assert!(
        first["tasks"][1]["error"]
            .as_str()
            .unwrap()
            .contains("token expired")
    );
    assert_eq!(first["status_after"], "DISCONNECTED");

    let retry = s.json_code(3, &["refresh", "c"]);
    assert_eq!(retry["decision"], "retry");
    assert_eq!(retry["earlier_status"], "ERROR");
    assert_eq!(retry["message"], MESSAGE);
    assert_eq!(kinds(&retry["tasks"]), ["AzureAdminAndO365Status"]);

    // The tenant is fixed: the retry of the retry succeeds.
    s.fixture("t.json", &healthy());
    let fixed = s.json(&["refresh", "c"]);
    assert_eq!(fixed["decision"], "retry");
    assert_eq!(fixed["earlier_activity_id"], retry["activity_id"]);
    assert_eq!(kinds(&fixed["tasks"]), ["AzureAdminAndO365Status"]);
    assert_eq!(fixed["status_after"], "ACTIVE");
    let again = s.json(&["refresh", "c"]);
    assert_eq!(again["decision"], "deduplicated");
}

#[test]
fn error_of_the_directory_retries_update_ad_cache_only() {
    let s = Sandbox::new();
    let mut broken = healthy();
    broken["directory"] = json!({ "ok": false, "error": "directory unreachable" });
    let f = s.fixture("t.json", &broken);
    s.add("c", &f, &[]);
    let first = s.json_code(3, &["refresh", "c"]);
    assert_eq!(first["tasks"][0]["error"], "directory unreachable");
    assert_eq!(
        first["status_after"], "STALE",
        "a failed sync leaves the account stale"
    );
    let r = s.json_code(3, &["refresh", "c"]);
    assert_eq!(kinds(&r["tasks"]), ["UpdateAdCache"]);
}

#[test]
fn error_outside_the_window_is_a_new_refresh() {
    let mut s = Sandbox::new();
    let f = s.fixture("t.json", &o365_expired());
    s.add("c", &f, &[]);
    s.json_code(3, &["refresh", "c"]);
    s.at("2026-11-30T14:00:00Z");
    let r = s.json_code(3, &["refresh", "c"]);
    assert_eq!(r["decision"], "new");
    assert_eq!(r["tasks"].count(), 2);
}

#[test]
fn the_window_comes_from_the_settings() {
    let (mut s, _) = one_account();
    s.json(&["settings", "set", "refresh-window", "1h"]);
    s.json(&["refresh", "c"]);
    s.at("2026-11-30T08:59:59Z");
    assert_eq!(s.json(&["refresh", "c"])["decision"], "deduplicated");
    s.at("2026-11-30T09:00:00Z");
    assert_eq!(s.json(&["refresh", "c"])["decision"], "new");
}

/// Tip: IN PROGRESS within 6 hours → activity added, no new task; the
/// contract keeps it so after the window too (a live run is never
/// duplicated).
#[test]
fn tip_in_progress_is_deduplicated_inside_and_outside_the_window() {
    let mut s = Sandbox::new();
    let f = s.fixture("t.json", &slow(2500));
    s.add("c", &f, &[]);
    let running = s.spawn(&["refresh", "c"]);
    s.wait_in_progress();
    let r = s.json(&["refresh", "c"]);
    assert_eq!(r["decision"], "deduplicated");
    assert_eq!(r["earlier_status"], "IN_PROGRESS");
    assert!(r["description"].as_str().unwrap().contains("in progress"));
    s.at("2026-12-01T08:00:00Z");
    let r = s.json(&["refresh", "c"]);
    assert_eq!(
        r["decision"], "deduplicated",
        "a live run is never duplicated"
    );
    assert_eq!(r["earlier_status"], "IN_PROGRESS");
    let out = running.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let first: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(first["decision"], "new");
    assert_eq!(first["tasks"][1]["status"], "COMPLETE");
}

/// Tip: "Audit service will run both the refresh tasks upon execution
/// irrespective of earlier task status or interval."
#[test]
fn tip_audit_ignores_the_policy_and_is_not_an_earlier_refresh() {
    let (s, _) = one_account();
    let before = s.json(&["accounts", "show", "c"]);
    let a1 = s.json(&["audit", "c"]);
    assert_eq!(
        kinds(&a1["tasks"]),
        ["UpdateAdCache", "AzureAdminAndO365Status"]
    );
    let a2 = s.json(&["audit", "c"]);
    assert_eq!(a2["tasks"].count(), 2, "audit never deduplicates");
    assert_eq!(a2["status_after"], "ACTIVE");
    let after = s.json(&["accounts", "show", "c"]);
    assert_eq!(
        after["last_activity_at"], before["last_activity_at"],
        "an audit is not management activity"
    );
    assert_eq!(after["latest_refresh"], Value::Null);

    // An audit is no earlier refresh: the first refresh is still `new`.
    let r = s.json(&["refresh", "c"]);
    assert_eq!(r["decision"], "new");
    assert_eq!(r["earlier_activity_id"], Value::Null);
    // And a refresh does not stop the audit.
    let a3 = s.json(&["audit", "c"]);
    assert_eq!(a3["tasks"].count(), 2);
    // Audit tasks are automated: hidden by default.
    let visible = s.json(&["tasks"]);
    assert_eq!(visible.count(), 1);
    assert_eq!(
        s.json(&["tasks", "--show-automated", "--limit", "0"])
            .count(),
        9
    );
}

#[test]
fn audit_all_and_exit_3_when_a_task_fails() {
    let s = Sandbox::new();
    let good = s.fixture("good.json", &healthy());
    let bad = s.fixture("bad.json", &o365_expired());
    s.add("good", &good, &[]);
    s.add("bad", &bad, &[]);
    let r = s.json_code(3, &["audit", "--all"]);
    assert_eq!(r.count(), 2);
    assert_eq!(r[1]["account"], "bad");
    assert_eq!(r[1]["tasks"][1]["status"], "ERROR");
    let r = s.json(&["audit", "good"]);
    assert!(r.is_object(), "one account named: one object");
}

#[test]
fn the_activity_is_management_activity() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("c", &f, &["--last-activity", "2026-10-01T00:00:00Z"]);
    let r = s.json(&["refresh", "c", "--no-run"]);
    assert_eq!(r["status_before"], "DORMANT");
    assert_eq!(
        r["status_after"], "STALE",
        "the activity ended the dormancy; the cache is still missing"
    );
    assert_eq!(s.json(&["accounts", "show", "c"])["last_activity_at"], NOW);
}

#[test]
fn a_missing_or_malformed_fixture_ends_the_task_in_error_naming_the_file() {
    let s = Sandbox::new();
    s.json(&[
        "accounts",
        "add",
        "missing",
        "--source",
        "fixture:nowhere.json",
    ]);
    std::fs::write(s.path("bad.json"), "{ this is not json").unwrap();
    s.json(&[
        "accounts",
        "add",
        "malformed",
        "--source",
        "fixture:bad.json",
    ]);
    std::fs::write(s.path("partial.json"), r#"{"directory": {"ok": true}}"#).unwrap();
    s.json(&[
        "accounts",
        "add",
        "partial",
        "--source",
        "fixture:partial.json",
    ]);

    let r = s.json_code(3, &["refresh", "missing"]);
    for t in r["tasks"].items() {
        assert_eq!(t["status"], "ERROR");
        assert!(t["error"].as_str().unwrap().contains("nowhere.json"), "{t}");
    }
    let r = s.json_code(3, &["refresh", "malformed"]);
    assert!(
        r["tasks"][0]["error"]
            .as_str()
            .unwrap()
            .contains("bad.json")
    );
    assert!(
        r["tasks"][0]["error"]
            .as_str()
            .unwrap()
            .contains("malformed JSON")
    );
    let r = s.json_code(3, &["refresh", "partial"]);
    assert_eq!(r["tasks"][0]["status"], "COMPLETE");
    assert!(r["tasks"][1]["error"].as_str().unwrap().contains("azure"));
    assert_eq!(
        r["status_after"], "ACTIVE",
        "an unanswered check is no verdict on the connections"
    );
}

#[test]
fn a_failed_sync_leaves_the_previous_cache() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("c", &f, &[]);
    s.json(&["audit", "c"]);
    let mut broken = healthy();
    broken["directory"] = json!({ "ok": false, "error": "Graph 503" });
    s.fixture("t.json", &broken);
    s.json_code(3, &["audit", "c"]);
    let a = s.json(&["accounts", "show", "c"]);
    assert_eq!(a["ad_users"], 2);
    assert_eq!(a["ad_cache_updated_at"], NOW);
    // A new directory replaces the old copy whole.
    let mut smaller = healthy();
    smaller["directory"]["users"] =
        json!([{ "id": "u9", "display_name": "New", "upn": "new@c.com", "enabled": true }]);
    smaller["directory"]["groups"] = json!([]);
    s.fixture("t.json", &smaller);
    s.json(&["audit", "c"]);
    let a = s.json(&["accounts", "show", "c"]);
    assert_eq!(
        (a["ad_users"].as_i64(), a["ad_groups"].as_i64()),
        (Some(1), Some(0))
    );
}

sqlite_only! {
    #[test]
    fn an_unchanged_directory_rewrites_nothing_and_a_changed_one_only_its_changes() {
        let s = Sandbox::sqlite();
        let users: Vec<Value> = (0..500)
            .map(|i| json!({"id": format!("u{i}"), "display_name": format!("User {i}"), "upn": format!("u{i}@c.com"), "enabled": true}))
            .collect();
        let mut tenant = healthy();
        tenant["directory"]["users"] = json!(users);
        let f = s.fixture("big.json", &tenant);
        s.add("c", &f, &[]);
        s.json(&["audit", "c"]);
        // Count every write to the cache from now on.
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        conn.execute_batch(
            "CREATE TABLE cache_writes(n INTEGER);
             CREATE TRIGGER w1 AFTER INSERT ON ad_users BEGIN INSERT INTO cache_writes VALUES (1); END;
             CREATE TRIGGER w2 AFTER UPDATE ON ad_users BEGIN INSERT INTO cache_writes VALUES (1); END;
             CREATE TRIGGER w3 AFTER DELETE ON ad_users BEGIN INSERT INTO cache_writes VALUES (1); END;",
        )
        .unwrap();
        let writes = || -> i64 {
            conn.query_row("SELECT count(*) FROM cache_writes", [], |r| r.get(0))
                .unwrap()
        };
        s.json(&["audit", "c"]);
        assert_eq!(writes(), 0, "an unchanged directory writes no row");

        // One renamed, one disabled, one gone, one new.
        tenant["directory"]["users"][3]["display_name"] = json!("Renamed");
        tenant["directory"]["users"][4]["enabled"] = json!(false);
        let mut list = tenant["directory"]["users"].as_array().unwrap().clone();
        list.remove(7);
        list.push(json!({"id": "new", "display_name": "New", "upn": "new@c.com", "enabled": true}));
        tenant["directory"]["users"] = json!(list);
        s.fixture("big.json", &tenant);
        s.json(&["audit", "c"]);
        assert_eq!(writes(), 4, "only the changes are written");
        let a = s.json(&["accounts", "show", "c"]);
        assert_eq!(a["ad_users"], 500);
        let name: String = conn
            .query_row(
                "SELECT display_name FROM ad_users WHERE id = 'u3'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(name, "Renamed");
    }
}
