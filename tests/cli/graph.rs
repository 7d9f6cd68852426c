//! The live source against the mock tenant of [`crate::mock_tenant`].

use super::mock_tenant::*;
use super::*;
use mockito::Matcher;
use serde_json::json;

#[test]
fn a_live_account_needs_credentials_and_a_private_secret_file() {
    let t = Tenant::new();
    let s = t.sandbox();
    let src = format!("graph:{TENANT}");
    s.fails(
        &[
            "accounts",
            "add",
            "c",
            "--source",
            &src,
            "--client-secret-env",
            "NFA_TEST_SECRET",
        ],
        &["--client-secret-env", "needs client_id"],
    );
    s.fails(
        &[
            "accounts",
            "add",
            "c",
            "--source",
            &src,
            "--client-id",
            CLIENT,
        ],
        &["client-secret"],
    );
    s.fails(
        &[
            "accounts",
            "add",
            "c",
            "--source",
            "fixture:x.json",
            "--client-id",
            CLIENT,
        ],
        &["graph: sources only"],
    );
    let secret = s.path("secret.txt");
    std::fs::write(&secret, SECRET).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let args = [
        "accounts",
        "add",
        "c",
        "--source",
        &src,
        "--client-id",
        CLIENT,
        "--client-secret-file",
        "secret.txt",
    ];
    s.fails(&args, &["readable by group or others", "0644", "chmod 600"]);
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    s.json(&args);
    let a = s.json(&["accounts", "show", "c"]);
    assert_eq!(a["source"], src.as_str());
    assert_eq!(a["client_id"], CLIENT);
    assert_eq!(
        a["client_secret_file"],
        secret.display().to_string().as_str()
    );
    assert_eq!(a["client_secret_env"], Value::Null);
    assert!(
        !s.stored_text().contains(SECRET),
        "the secret is never stored"
    );

    // Opened up after being added: the task refuses it too.
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o640)).unwrap();
    let r = s.json_code(3, &["refresh", "c"]);
    assert!(
        r["tasks"][0]["error"]
            .as_str()
            .unwrap()
            .contains("readable by group or others")
    );
}

#[test]
fn import_takes_the_live_fields() {
    let t = Tenant::new();
    let s = t.sandbox();
    let csv = format!(
        "name,source,client_id,client_secret_env,subscription_id\nlive,graph:{TENANT},{CLIENT},NFA_TEST_SECRET,{SUB}\n"
    );
    std::fs::write(s.path("a.csv"), csv).unwrap();
    s.json(&["accounts", "import", "a.csv"]);
    assert_eq!(
        s.json(&["accounts", "show", "live"])["subscription_id"],
        SUB
    );
    std::fs::write(
        s.path("b.csv"),
        format!("name,source,client_id\nbad,graph:{TENANT},{CLIENT}\n"),
    )
    .unwrap();
    s.fails(
        &["accounts", "import", "b.csv"],
        &["row 1", "client_secret_env", "certificate_file"],
    );
}

#[test]
fn a_refresh_of_a_live_account_syncs_and_checks_with_one_token_per_resource() {
    let mut t = healthy_tenant(3);
    // Each token is fetched once and reused by both tasks.
    for m in t.mocks.drain(..2) {
        m.expect(1);
    }
    let s = t.sandbox();
    add_live(&s);
    let r = s.json(&["refresh", "c"]);
    assert_eq!(r["decision"], "new");
    assert!(
        r["tasks"].items().iter().all(|x| x["status"] == "COMPLETE"),
        "{r}"
    );
    assert_eq!(r["status_after"], "ACTIVE");
    let a = s.json(&["accounts", "show", "c"]);
    assert_eq!(
        (a["ad_users"].as_i64(), a["ad_groups"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(a["last_check"]["azure"]["ok"], true);
    assert_eq!(a["last_check"]["office365"]["ok"], true);
}

#[test]
fn a_full_sync_reads_100000_users_in_pages_of_999() {
    let mut t = Tenant::new();
    t.tokens().organization().subscription("Enabled");
    let pages: Vec<Vec<Value>> = (0..100_000)
        .collect::<Vec<usize>>()
        .chunks(999)
        .map(|c| c.iter().map(|i| user(*i)).collect())
        .collect();
    assert_eq!(pages.len(), 101);
    t.full(&pages, &[group(1)], "d1");
    let s = t.sandbox();
    add_live(&s);
    let r = s.json(&["audit", "c"]);
    assert_eq!(r["tasks"][0]["status"], "COMPLETE", "{r}");
    let a = s.json(&["accounts", "show", "c"]);
    assert_eq!(a["ad_users"], 100_000);
    for m in &t.mocks {
        m.assert();
    }
}

#[test]
fn an_incremental_sync_applies_adds_changes_and_removals() {
    let mut t = healthy_tenant(3);
    let s = t.sandbox();
    add_live(&s);
    s.json(&["audit", "c"]);
    assert_eq!(cached_users(&s).len(), 3);

    let changed = json!({"id": "u1", "displayName": "User One Renamed"});
    let disabled = json!({"id": "u0", "accountEnabled": false});
    let removed = json!({"id": "u2", "@removed": {"reason": "deleted"}});
    t.changes(
        "d1",
        vec![user(7), changed, disabled, removed],
        vec![json!({"id": "g1", "@removed": {"reason": "changed"}})],
        "d2",
    );
    s.json(&["audit", "c"]);
    let users = cached_users(&s);
    assert_eq!(
        users,
        [
            ("u0".to_string(), Some("User 0".to_string()), false),
            ("u1".to_string(), Some("User One Renamed".to_string()), true),
            ("u7".to_string(), Some("User 7".to_string()), true),
        ],
        "added u7, renamed u1 (other fields kept), disabled u0, removed u2"
    );
    assert_eq!(s.json(&["accounts", "show", "c"])["ad_groups"], 1);
    let logs = s.json(&["logs", "--limit", "0"]);
    assert!(
        logs.items()
            .iter()
            .any(|l| l["message"].as_str().unwrap().contains("delta"))
    );

    // The next sync starts from the new delta link.
    t.changes("d2", vec![], vec![], "d3");
    s.json(&["audit", "c"]);
    assert_eq!(cached_users(&s).len(), 3);
    // An empty delta keeps the counts (it does not recount them).
    let a = s.json(&["accounts", "show", "c"]);
    assert_eq!(
        (a["ad_users"].as_i64(), a["ad_groups"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(
        s.sql_i64("SELECT count(*) FROM ad_users WHERE account_id = 1"),
        3
    );
}

#[test]
fn an_expired_delta_token_falls_back_to_a_full_sync() {
    let mut t = healthy_tenant(3);
    let s = t.sandbox();
    add_live(&s);
    s.json(&["audit", "c"]);
    let gone = t
        .graph_get("/v1.0/users/delta")
        .match_query(Matcher::UrlEncoded("$deltatoken".into(), "d1".into()))
        .with_status(410)
        .with_header("content-type", "application/json")
        .with_body(json!({"error": {"code": "syncStateNotFound", "message": "The sync state was not found."}}).to_string())
        .create();
    // The fresh full copy: two users now.
    t.full(&[vec![user(10), user(11)]], &[group(9)], "f1");
    let r = s.json(&["audit", "c"]);
    assert_eq!(r["tasks"][0]["status"], "COMPLETE", "{r}");
    gone.assert();
    let ids: Vec<String> = cached_users(&s).into_iter().map(|u| u.0).collect();
    assert_eq!(ids, ["u10", "u11"], "the full copy replaced the cache");
}

#[test]
fn a_sync_failing_on_page_50_leaves_the_previous_cache_and_delta_link() {
    let mut t = healthy_tenant(3);
    let s = t.sandbox();
    add_live(&s);
    s.json(&["audit", "c"]);
    // The next delta run breaks on its 50th page, every time.
    let pages: Vec<Vec<Value>> = (0..60).map(|p| vec![user(1000 + p)]).collect();
    t.delta(
        "users",
        Matcher::UrlEncoded("$deltatoken".into(), "d1".into()),
        &pages,
        "d2",
    );
    let page_50 = t.mocks.remove(t.mocks.len() - 11);
    page_50.remove();
    let broken = t
        .graph_get("/v1.0/users/delta")
        .match_query(skiptoken("users", "d2", 49))
        .with_status(503)
        .with_header("retry-after", "0")
        .with_body(
            json!({"error": {"code": "serviceNotAvailable", "message": "Service unavailable"}})
                .to_string(),
        )
        .expect(5)
        .create();
    let r = s.json_code(3, &["audit", "c"]);
    let err = r["tasks"][0]["error"].as_str().unwrap();
    assert!(
        err.contains("Microsoft Graph users, page 50") && err.contains("503"),
        "{err}"
    );
    assert!(err.contains("5 attempts"), "the retries are bounded: {err}");
    broken.assert();
    assert_eq!(cached_users(&s).len(), 3, "the previous cache is intact");
    // The delta link was kept: the next sync asks for d1 again.
    let again = t
        .graph_get("/v1.0/users/delta")
        .match_query(Matcher::UrlEncoded("$deltatoken".into(), "d1".into()))
        .with_status(410)
        .with_body(
            json!({"error": {"code": "resyncRequired", "message": "Resync required."}}).to_string(),
        )
        .create();
    t.full(&[vec![user(5)]], &[], "f2");
    s.json(&["audit", "c"]);
    again.assert();
}

#[test]
fn retry_after_is_honoured_on_429() {
    let mut t = Tenant::new();
    t.tokens().subscription("Enabled");
    let throttled = t
        .graph_get("/v1.0/organization")
        .match_query(Matcher::UrlEncoded("$select".into(), "id".into()))
        .with_status(429)
        .with_header("retry-after", "1")
        .with_body(
            json!({"error": {"code": "TooManyRequests", "message": "Too many requests"}})
                .to_string(),
        )
        .expect(1)
        .create();
    t.organization();
    t.full(&[vec![user(1)]], &[], "d1");
    let s = t.sandbox();
    add_live(&s);
    let r = s.json(&["audit", "c"]);
    throttled.assert();
    assert!(r["tasks"][1]["status"] == "COMPLETE", "{r}");
}

#[test]
fn endless_throttling_gives_up_with_a_clear_error() {
    let mut t = Tenant::new();
    t.tokens().subscription("Enabled");
    t.graph_get("/v1.0/organization")
        .match_query(Matcher::UrlEncoded("$select".into(), "id".into()))
        .with_status(429)
        .with_header("retry-after", "0")
        .with_body(
            json!({"error": {"code": "TooManyRequests", "message": "Too many requests"}})
                .to_string(),
        )
        .expect(5)
        .create();
    let s = t.sandbox();
    add_live(&s);
    let r = s.json_code(3, &["audit", "c"]);
    let err = r["tasks"][1]["error"].as_str().unwrap();
    assert!(
        err.contains("Microsoft 365") && err.contains("429") && err.contains("5 attempts"),
        "{err}"
    );
}

#[test]
fn token_errors_name_their_cause() {
    for (status, error, code, description, cause) in [
        (
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided.",
            "the client secret is invalid",
        ),
        (
            401,
            "invalid_client",
            7000222,
            "The provided client secret keys are expired.",
            "the client secret has expired",
        ),
        (
            400,
            "invalid_request",
            90002,
            "Tenant 'contoso.onmicrosoft.com' not found.",
            "the tenant was not found",
        ),
        (
            400,
            "invalid_client",
            65001,
            "The user or administrator has not consented.",
            "admin consent",
        ),
    ] {
        let mut t = Tenant::new();
        t.token_error(status, error, code, description);
        let s = t.sandbox();
        add_live(&s);
        let r = s.json_code(3, &["refresh", "c"]);
        for task in r["tasks"].items() {
            let e = task["error"].as_str().unwrap();
            assert!(
                e.contains(cause) && e.contains(&format!("AADSTS{code}")),
                "{e}"
            );
            assert!(
                !e.contains("error_description") && !e.contains("Trace ID"),
                "no raw JSON: {e}"
            );
        }
        assert_eq!(r["status_after"], "DISCONNECTED");
    }
}

#[test]
fn a_disabled_subscription_disconnects_the_account() {
    let mut t = Tenant::new();
    t.tokens().organization().subscription("Disabled");
    t.full(&[vec![user(1)]], &[], "d1");
    let s = t.sandbox();
    add_live(&s);
    let r = s.json_code(3, &["refresh", "c"]);
    assert_eq!(r["tasks"][0]["status"], "COMPLETE");
    let e = r["tasks"][1]["error"].as_str().unwrap();
    assert!(
        e.contains("Azure (azure) connection failed") && e.contains(SUB) && e.contains("Disabled"),
        "{e}"
    );
    let a = s.json(&["accounts", "show", "c"]);
    assert_eq!(a["status"], "DISCONNECTED");
    assert_eq!(a["last_check"]["office365"]["ok"], true);
    assert_eq!(a["last_check"]["azure"]["ok"], false);
}

#[test]
fn accounts_test_reports_each_connection_and_records_nothing() {
    let mut t = Tenant::new();
    t.tokens().organization().subscription("Warned");
    let m = t
        .graph_get("/v1.0/users")
        .match_query(Matcher::UrlEncoded("$top".into(), "1".into()))
        .with_body(json!({"value": [{"id": "u1"}]}).to_string())
        .create();
    let s = t.sandbox();
    add_live(&s);
    let before = s.json(&["logs", "--limit", "0"]);
    let out = s.run(&["-o", "json", "accounts", "test", "c"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failing connection fails the test"
    );
    assert!(stderr(&out).contains("1 of 3"), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_name = |n: &str| {
        report["connections"]
            .items()
            .iter()
            .find(|c| c["connection"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("directory")["ok"], true);
    assert_eq!(by_name("office365")["ok"], true);
    assert_eq!(by_name("azure")["ok"], false);
    assert!(
        by_name("azure")["error"]
            .as_str()
            .unwrap()
            .contains("Warned")
    );
    m.assert();
    assert_eq!(s.json(&["tasks", "--show-automated"]), json!([]));
    assert_eq!(s.json(&["logs", "--limit", "0"]), before);
    assert_eq!(
        s.json(&["accounts", "show", "c"])["last_check"],
        Value::Null
    );
}

/// Sets the secret `nfa` finds in `NFA_TEST_SECRET`.
fn use_secret(s: &mut Sandbox, secret: &str) {
    s.env.retain(|(k, _)| k != "NFA_TEST_SECRET");
    s.env
        .push(("NFA_TEST_SECRET".to_string(), secret.to_string()));
}

fn decided(r: &Value) -> (&str, Option<&str>) {
    (
        r["decision"].as_str().unwrap(),
        r["earlier_status"].as_str(),
    )
}

#[test]
fn every_policy_case_holds_for_a_live_account() {
    let mut t = healthy_tenant(2);
    t.changes("d1", vec![], vec![], "d1");
    let mut s = t.sandbox();
    add_live(&s);
    // none → new; COMPLETE inside the window → deduplicated
    assert_eq!(decided(&s.json(&["refresh", "c"])), ("new", None));
    assert_eq!(
        decided(&s.json(&["refresh", "c"])),
        ("deduplicated", Some("COMPLETE"))
    );
    // COMPLETE at the window → new; PENDING inside → deduplicated
    s.at("2026-11-30T14:00:00Z");
    assert_eq!(
        decided(&s.json(&["refresh", "c", "--no-run"])),
        ("new", Some("COMPLETE"))
    );
    assert_eq!(
        decided(&s.json(&["refresh", "c"])),
        ("deduplicated", Some("PENDING"))
    );
    // PENDING at the window → new
    s.at("2026-11-30T20:00:00Z");
    assert_eq!(
        decided(&s.json(&["refresh", "c", "--no-run"])),
        ("new", Some("PENDING"))
    );
    assert_eq!(s.json(&["tasks", "run"]).count(), 4);
    // The secret stops working: a new refresh fails, inside the window
    // only the failed kinds retry, at the window it is new again.
    use_secret(&mut s, "wrong");
    t.token_error(
        401,
        "invalid_client",
        7000215,
        "Invalid client secret provided.",
    );
    let refusal = t.mocks.pop().unwrap();
    s.at("2026-12-01T02:00:00Z");
    assert_eq!(
        decided(&s.json_code(3, &["refresh", "c"])),
        ("new", Some("COMPLETE"))
    );
    let r = s.json_code(3, &["refresh", "c"]);
    assert_eq!(decided(&r), ("retry", Some("ERROR")));
    assert_eq!(r["tasks"].count(), 2);
    s.at("2026-12-01T08:00:00Z");
    assert_eq!(
        decided(&s.json_code(3, &["refresh", "c"])),
        ("new", Some("ERROR"))
    );
    use_secret(&mut s, SECRET);
    refusal.remove();
    let r = s.json(&["refresh", "c"]);
    assert_eq!(decided(&r), ("retry", Some("ERROR")));
    assert_eq!(r["status_after"], "ACTIVE");
}

#[test]
fn a_live_refresh_in_progress_is_never_duplicated() {
    let mut t = Tenant::new();
    t.tokens().subscription("Enabled");
    t.full(&[vec![user(1)]], &[], "d1");
    // Microsoft 365 takes its time to answer.
    let slow = t
        .graph_get("/v1.0/organization")
        .match_query(Matcher::UrlEncoded("$select".into(), "id".into()))
        .with_chunked_body(|w| {
            std::thread::sleep(Duration::from_millis(2500));
            w.write_all(br#"{"value": [{"id": "84841066-274d-4ec0-a5c1-276be684bdd3"}]}"#)
        })
        .create();
    let mut s = t.sandbox();
    add_live(&s);
    let running = s.spawn(&["refresh", "c"]);
    s.wait_in_progress();
    assert_eq!(
        decided(&s.json(&["refresh", "c"])),
        ("deduplicated", Some("IN_PROGRESS"))
    );
    s.at("2026-12-01T08:00:00Z");
    assert_eq!(
        decided(&s.json(&["refresh", "c"])),
        ("deduplicated", Some("IN_PROGRESS"))
    );
    let out = running.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    slow.assert();
}

#[test]
fn the_secret_and_the_tokens_never_appear_anywhere() {
    let mut t = healthy_tenant(2);
    t.changes("d1", vec![user(9)], vec![], "d2");
    let mut s = t.sandbox();
    add_live(&s);
    let mut seen = String::new();
    let mut run = |s: &Sandbox, args: &[&str]| {
        let out = s.run(args);
        seen.push_str(&stdout(&out));
        seen.push_str(&stderr(&out));
    };
    run(&s, &["refresh", "c"]);
    run(&s, &["-o", "json", "audit", "c"]);
    run(&s, &["-o", "json", "accounts", "test", "c"]);
    // Failing runs: a bad secret, then a tenant that answers 500.
    s.env.retain(|(k, _)| k != "NFA_TEST_SECRET");
    s.env
        .push(("NFA_TEST_SECRET".to_string(), format!("{SECRET}-old")));
    t.token_error(
        401,
        "invalid_client",
        7000215,
        "Invalid client secret provided.",
    );
    s.at("2026-12-01T08:00:00Z");
    run(&s, &["-o", "json", "refresh", "c"]);
    run(
        &s,
        &["-o", "csv", "tasks", "--show-automated", "--limit", "0"],
    );
    run(&s, &["-o", "json", "logs", "--limit", "0"]);
    run(&s, &["-o", "json", "accounts", "show", "c"]);
    run(&s, &["tasks", "show", "1"]);
    assert!(seen.contains("AADSTS7000215"), "the failing run did fail");
    let mut files = String::new();
    for f in ["nfa.db", "nfa.db-wal"] {
        if let Ok(bytes) = std::fs::read(s.path(f)) {
            files.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    for needle in [
        SECRET,
        GRAPH_TOKEN,
        ARM_TOKEN,
        "graph-token-payload",
        "arm-token-payload",
    ] {
        assert!(!seen.contains(needle), "{needle} appeared in output");
        assert!(!files.contains(needle), "{needle} appeared in the database");
    }
}

#[test]
fn delta_entries_apply_in_order_the_last_for_an_id_wins() {
    // The initial round itself removes u2 after sending it.
    let mut t = Tenant::new();
    t.tokens().organization().subscription("Enabled");
    t.full(
        &[
            vec![user(1), user(2)],
            vec![
                json!({"id": "u2", "@removed": {"reason": "deleted"}}),
                user(3),
            ],
        ],
        &[group(1)],
        "d1",
    );
    let s = t.sandbox();
    add_live(&s);
    s.json(&["audit", "c"]);
    let ids: Vec<String> = cached_users(&s).into_iter().map(|u| u.0).collect();
    assert_eq!(ids, ["u1", "u3"], "@removed in the initial round drops u2");

    // A delta that removes u1 and then restores it, and renames u3 twice.
    t.changes(
        "d1",
        vec![
            json!({"id": "u1", "@removed": {"reason": "deleted"}}),
            json!({"id": "u3", "displayName": "First"}),
            json!({"id": "u1", "displayName": "User 1 restored"}),
            json!({"id": "u3", "displayName": "Second"}),
        ],
        vec![],
        "d2",
    );
    s.json(&["audit", "c"]);
    assert_eq!(
        cached_users(&s),
        [
            ("u1".to_string(), Some("User 1 restored".to_string()), true),
            ("u3".to_string(), Some("Second".to_string()), true),
        ],
        "the restored user stays; the last rename wins"
    );
}

#[test]
fn a_sync_state_error_under_any_4xx_starts_a_full_sync() {
    for status in [400, 403, 404] {
        let mut t = healthy_tenant(3);
        let s = t.sandbox();
        add_live(&s);
        s.json(&["audit", "c"]);
        let gone = t
            .graph_get("/v1.0/users/delta")
            .match_query(Matcher::UrlEncoded("$deltatoken".into(), "d1".into()))
            .with_status(status)
            .with_header("content-type", "application/json")
            .with_body(json!({"error": {"code": "syncStateNotFound", "message": "The sync state was not found."}}).to_string())
            .create();
        t.full(&[vec![user(10)]], &[group(9)], "f1");
        let r = s.json(&["audit", "c"]);
        assert_eq!(r["tasks"][0]["status"], "COMPLETE", "HTTP {status}: {r}");
        gone.assert();
        let ids: Vec<String> = cached_users(&s).into_iter().map(|u| u.0).collect();
        assert_eq!(
            ids,
            ["u10"],
            "HTTP {status}: the full copy replaced the cache"
        );
    }
}

#[test]
fn retry_after_in_fractional_seconds_or_as_a_date_is_honoured() {
    // A wait past the 60 s bound of one request: honoured, the request is
    // given up at once rather than retried a moment later.
    let later = (chrono::Utc::now() + chrono::TimeDelta::minutes(5))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    for value in ["61.5", later.as_str()] {
        let mut t = Tenant::new();
        t.tokens().subscription("Enabled");
        let throttled = t
            .graph_get("/v1.0/organization")
            .match_query(Matcher::UrlEncoded("$select".into(), "id".into()))
            .with_status(429)
            .with_header("retry-after", value)
            .with_body(
                json!({"error": {"code": "TooManyRequests", "message": "Too many requests"}})
                    .to_string(),
            )
            // In the directory's batch; the check takes that answer as its
            // first attempt and gives up without asking again.
            .expect(1)
            .create();
        t.full(&[vec![user(1)]], &[], "d1");
        let s = t.sandbox();
        add_live(&s);
        let r = s.json_code(3, &["audit", "c"]);
        let err = r["tasks"][1]["error"].as_str().unwrap();
        assert!(
            err.contains("gave up after 1 attempts") && err.contains("60s bound"),
            "Retry-After: {value}: {err}"
        );
        throttled.assert();
    }
}
