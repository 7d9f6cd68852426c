//! How the live source uses the network (issue 20's first part): one
//! connection pool per run, compressed answers, one token request for
//! jobs that need the same token at once, and the two connection checks
//! at once. Counted, never timed.

use super::front::Front;
use super::mock_tenant::*;
use super::*;
use mockito::Matcher;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Points the sandbox's services at their own URLs.
fn route(s: &mut Sandbox, login: &str, graph: &str, arm: &str) {
    for (var, url) in [
        ("NFA_LOGIN_URL", login),
        ("NFA_GRAPH_URL", graph),
        ("NFA_ARM_URL", arm),
    ] {
        s.env.push((var.to_string(), url.to_string()));
    }
}

#[test]
fn a_run_keeps_its_connections_for_every_account() {
    // Three accounts refreshed one after the other (--jobs 1): one
    // connection to Graph and one to ARM for all of them, and at most two
    // to the sign-in host (its two tokens are asked for at once); each
    // refresh's Graph reads in one batch with /organization.
    let t = healthy_tenant(3);
    let (login, graph, arm) = (
        Front::to(&t.url()),
        Front::to(&t.url()),
        Front::to(&t.url()),
    );
    let mut s = t.sandbox();
    route(&mut s, &login.url, &graph.url, &arm.url);
    for name in ["c1", "c2", "c3"] {
        add_live_named(&s, name);
    }
    let r = s.json(&["refresh", "c1", "c2", "c3", "--jobs", "1"]);
    let tasks: Vec<_> = r.items().iter().flat_map(|a| a["tasks"].items()).collect();
    assert_eq!(tasks.len(), 6, "{r:#}");
    assert!(tasks.iter().all(|x| x["status"] == "COMPLETE"), "{r:#}");
    assert_eq!(
        (graph.connections(), arm.connections()),
        (1, 1),
        "one connection to Graph and to ARM for the whole run"
    );
    assert!(
        (1..=2).contains(&login.connections()),
        "the sign-in host: {} connections for three accounts",
        login.connections()
    );
    assert_eq!(
        graph.batch_sizes(),
        vec![3, 3, 3],
        "users, groups and /organization in one batch a refresh"
    );
}

/// Token mocks that answer after `delay` (so that two jobs asking at once
/// are both in flight) and count what they are asked.
fn slow_tokens(t: &mut Tenant, delay: Duration) -> Vec<Arc<AtomicUsize>> {
    [(GRAPH_SCOPE, GRAPH_TOKEN), (ARM_SCOPE, ARM_TOKEN)]
        .into_iter()
        .map(|(scope, token)| {
            let n = Arc::new(AtomicUsize::new(0));
            let seen = n.clone();
            let m = t
                .server
                .mock("POST", Tenant::token_path().as_str())
                .match_body(Matcher::AllOf(vec![
                    Matcher::UrlEncoded("client_secret".into(), SECRET.into()),
                    Matcher::UrlEncoded("scope".into(), scope.into()),
                ]))
                .with_header("content-type", "application/json")
                .with_body_from_request(move |_| {
                    seen.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(delay);
                    serde_json::json!({"token_type": "Bearer", "expires_in": 3599, "access_token": token})
                        .to_string()
                        .into_bytes()
                })
                .create();
            t.mocks.push(m);
            n
        })
        .collect()
}

#[test]
fn jobs_that_need_one_token_at_once_share_one_request() {
    let mut t = Tenant::new();
    let counts = slow_tokens(&mut t, Duration::from_millis(300));
    t.organization().subscription("Enabled");
    t.full(&[vec![user(1)]], &[group(1)], "d1");
    let s = t.sandbox();
    for name in ["a", "b", "c"] {
        add_live_named(&s, name);
    }
    let r = s.json(&["refresh", "a", "b", "c", "--jobs", "3"]);
    assert!(
        r.items().iter().all(|a| a["status_after"] == "ACTIVE"),
        "{r:#}"
    );
    let asked: Vec<usize> = counts.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    assert_eq!(
        asked,
        [1, 1],
        "one Graph and one ARM token for three jobs of one tenant"
    );
}

#[test]
fn answers_are_asked_for_compressed_and_read_so() {
    let mut t = Tenant::new();
    t.tokens().subscription("Enabled");
    t.full(&[vec![user(1), user(2)]], &[group(1)], "d1");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(br#"{"value": [{"id": "84841066-274d-4ec0-a5c1-276be684bdd3"}]}"#)
        .unwrap();
    let organization = t
        .graph_get("/v1.0/organization")
        .match_query(Matcher::UrlEncoded("$select".into(), "id".into()))
        .match_header("accept-encoding", Matcher::Regex("gzip".into()))
        .with_header("content-type", "application/json")
        .with_header("content-encoding", "gzip")
        .with_body(gz.finish().unwrap())
        .create();
    let s = t.sandbox();
    add_live(&s);
    let r = s.json(&["refresh", "c"]);
    assert!(
        r["tasks"].items().iter().all(|x| x["status"] == "COMPLETE"),
        "{r:#}"
    );
    assert_eq!(s.json(&["accounts", "show", "c"])["last_check_ok"], true);
    organization.assert();
}

/// Marks `mine` seen, then waits (at most 5 s) for `other`; says whether
/// it came.
fn meet(mine: &AtomicBool, other: &AtomicBool) -> bool {
    mine.store(true, Ordering::SeqCst);
    let start = Instant::now();
    while !other.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    other.load(Ordering::SeqCst)
}

/// ARM's subscription, answered when the request marked `other` is in
/// flight too (`mine` marks this one); `on_meet` is told whether it was.
fn meeting_subscription(
    arm: &mut Tenant,
    mine: &Arc<AtomicBool>,
    other: &Arc<AtomicBool>,
    on_meet: impl Fn(bool) + Send + Sync + 'static,
) -> mockito::Mock {
    let (a, b) = (mine.clone(), other.clone());
    arm.server
        .mock("GET", format!("/subscriptions/{SUB}").as_str())
        .match_query(Matcher::UrlEncoded(
            "api-version".into(),
            "2022-12-01".into(),
        ))
        .with_header("content-type", "application/json")
        .with_body_from_request(move |_| {
            on_meet(meet(&a, &b));
            serde_json::json!({"subscriptionId": SUB, "state": "Enabled"})
                .to_string()
                .into_bytes()
        })
        .create()
}

#[test]
fn the_microsoft_365_and_azure_checks_are_in_flight_at_once() {
    // Login, Graph and ARM on servers of their own: each answers while the
    // others wait.
    let mut login = Tenant::new();
    login.tokens();
    let mut graph = Tenant::new();
    graph.full(&[vec![user(1)]], &[group(1)], "d1");
    let mut arm = Tenant::new();
    let (org_seen, sub_seen) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (met_org, met_sub) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (a, b, m) = (org_seen.clone(), sub_seen.clone(), met_org.clone());
    let _org = graph
        .graph_get("/v1.0/organization")
        .match_query(Matcher::UrlEncoded("$select".into(), "id".into()))
        .with_header("content-type", "application/json")
        .with_body_from_request(move |_| {
            m.store(meet(&a, &b), Ordering::SeqCst);
            br#"{"value": [{"id": "84841066-274d-4ec0-a5c1-276be684bdd3"}]}"#.to_vec()
        })
        .create();
    let m = met_sub.clone();
    let _sub = meeting_subscription(&mut arm, &sub_seen, &org_seen, move |met| {
        m.store(met, Ordering::SeqCst);
    });
    let mut s = login.sandbox();
    route(&mut s, &login.url(), &graph.front.url, &arm.url());
    add_live(&s);
    let r = s.json(&["refresh", "c"]);
    assert!(
        r["tasks"].items().iter().all(|x| x["status"] == "COMPLETE"),
        "{r:#}"
    );
    assert!(
        met_org.load(Ordering::SeqCst) && met_sub.load(Ordering::SeqCst),
        "each request was answered while the other was in flight"
    );
}

#[test]
fn a_throttled_organization_in_the_batch_is_asked_again_by_the_check() {
    // /organization answered 429 inside the directory's batch: the
    // directory is read, and the check asks again after its Retry-After.
    let mut t = Tenant::new();
    t.tokens().subscription("Enabled");
    let throttled = t
        .graph_get("/v1.0/organization")
        .match_query(Matcher::UrlEncoded("$select".into(), "id".into()))
        .with_status(429)
        .with_header("retry-after", "0")
        .with_body(r#"{"error": {"code": "TooManyRequests", "message": "Too many requests"}}"#)
        .expect(1)
        .create();
    t.organization();
    t.full(&[vec![user(1), user(2)]], &[group(1)], "d1");
    let s = t.sandbox();
    add_live(&s);
    let r = s.json(&["audit", "c"]);
    assert!(
        r["tasks"].items().iter().all(|x| x["status"] == "COMPLETE"),
        "{r:#}"
    );
    throttled.assert();
    assert_eq!(t.front.batch_sizes(), [3], "one batch, /organization in it");
    assert_eq!(s.json(&["accounts", "show", "c"])["last_check_ok"], true);
}

#[test]
fn a_throttled_batch_item_is_asked_again_alone_after_its_retry_after() {
    let mut t = Tenant::new();
    t.tokens().organization().subscription("Enabled");
    let throttled = t
        .graph_get("/v1.0/users/delta")
        .match_query(Matcher::UrlEncoded("$select".into(), USERS_SELECT.into()))
        .with_status(429)
        .with_header("retry-after", "0")
        .with_body(r#"{"error": {"code": "TooManyRequests", "message": "Too many requests"}}"#)
        .expect(1)
        .create();
    t.full(&[vec![user(1), user(2)]], &[group(1)], "d1");
    let s = t.sandbox();
    add_live(&s);
    let r = s.json(&["audit", "c"]);
    assert_eq!(r["tasks"][0]["status"], "COMPLETE", "{r:#}");
    throttled.assert();
    assert_eq!(
        t.front.batch_sizes(),
        [3, 1],
        "users, groups and /organization, then users alone"
    );
    assert_eq!(s.json(&["accounts", "show", "c"])["ad_users"], 2);
}

#[test]
fn a_refresh_asks_both_tokens_at_once_then_graph_and_arm_at_once() {
    // Login, Graph and ARM on servers of their own. The two tokens are
    // asked for at once: two connections to the sign-in host (one would be
    // used again if the second request waited for the first). Then the
    // directory's batch, which carries /organization, is answered while
    // ARM is asked (each waits for the other). So two round trips one
    // after the other, as issue 20's floor has it.
    let (groups_asked, arm_asked) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let met = Arc::new(AtomicUsize::new(0));
    let mut login = Tenant::new();
    // Slow enough that the second token request is surely sent while the
    // first is answered (it would take the first one's connection again
    // only if it waited for it).
    slow_tokens(&mut login, Duration::from_millis(500));
    let sign_in = Front::to(&login.url());
    let mut graph = Tenant::new();
    graph.organization();
    graph.delta(
        "users",
        Matcher::UrlEncoded("$select".into(), USERS_SELECT.into()),
        &[vec![user(1)]],
        "d1",
    );
    let (a, b, m) = (groups_asked.clone(), arm_asked.clone(), met.clone());
    let delta_link = format!("{}/v1.0/groups/delta?$deltatoken=d1", graph.url());
    let groups = graph
        .graph_get("/v1.0/groups/delta")
        .match_query(Matcher::UrlEncoded(
            "$select".into(),
            "id,displayName".into(),
        ))
        .with_header("content-type", "application/json")
        .with_body_from_request(move |_| {
            if meet(&a, &b) {
                m.fetch_add(1, Ordering::SeqCst);
            }
            serde_json::json!({"value": [group(1)], "@odata.deltaLink": delta_link})
                .to_string()
                .into_bytes()
        })
        .create();
    let mut arm = Tenant::new();
    let m = met.clone();
    let subscription = meeting_subscription(&mut arm, &arm_asked, &groups_asked, move |met| {
        if met {
            m.fetch_add(1, Ordering::SeqCst);
        }
    });
    let mut s = login.sandbox();
    route(&mut s, &sign_in.url, &graph.front.url, &arm.url());
    add_live(&s);
    let r = s.json(&["refresh", "c"]);
    assert!(
        r["tasks"].items().iter().all(|x| x["status"] == "COMPLETE"),
        "{r:#}"
    );
    groups.assert();
    subscription.assert();
    assert_eq!(sign_in.connections(), 2, "the two tokens asked for at once");
    assert_eq!(
        graph.front.batch_sizes(),
        vec![3],
        "users, groups and /organization in one batch"
    );
    assert_eq!(
        met.load(Ordering::SeqCst),
        2,
        "the batch and the ARM read in flight at once"
    );
    let shown = s.json(&["accounts", "show", "c"]);
    assert_eq!(shown["last_check_ok"], true, "{shown:#}");
}
