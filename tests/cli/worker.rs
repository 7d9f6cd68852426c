//! The audit service, `nfa worker`: every task run once across workers and
//! `tasks run`, the periodic audit once per account and period, shutdown,
//! a killed worker's claims, a lost connection, `/metrics`.

use super::*;
use std::collections::BTreeMap;
use std::io::{Read, Write as _};

/// `n` accounts over the fixture `f`, imported in one command, and a
/// refresh of them all that leaves their tasks PENDING: `2 n` tasks.
fn pending_accounts(s: &Sandbox, n: usize, f: &Path) {
    let rows: Vec<Value> = (0..n)
        .map(
            |i| json!({ "name": format!("c{i:03}"), "source": format!("fixture:{}", f.display()) }),
        )
        .collect();
    let file = s.path("accounts.json");
    std::fs::write(&file, serde_json::to_vec(&rows).unwrap()).unwrap();
    s.json(&["accounts", "import", file.to_str().unwrap()]);
    s.json(&["refresh", "--refreshable", "--no-run"]);
    assert_eq!(pending(s), 2 * i64::try_from(n).unwrap());
}

fn pending(s: &Sandbox) -> i64 {
    s.sql_i64("SELECT count(*) FROM tasks WHERE status = 0 AND kind <> 0")
}

/// How many "started" log lines each task has.
fn starts_per_task(s: &Sandbox) -> BTreeMap<i64, usize> {
    let mut starts = BTreeMap::new();
    for l in s.json(&["logs", "--limit", "0", "--level", "info"]).items() {
        let m = l["message"].as_str().unwrap();
        if m.starts_with("task #") && m.contains(" started") {
            *starts.entry(l["task_id"].as_i64().unwrap()).or_default() += 1;
        }
    }
    starts
}

/// The JSON lines a worker printed.
fn lines(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Waits until `cond` holds (20 s at most).
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn three_workers_and_a_tasks_run_start_every_pending_task_exactly_once() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &slow(20));
    pending_accounts(&s, 150, &f);
    let mut children: Vec<Child> = ["w1", "w2", "w3"]
        .iter()
        .map(|h| s.spawn_on(h, &["worker", "--once", "--jobs", "2"]))
        .collect();
    children.push(s.spawn_on("runner", &["tasks", "run", "--jobs", "2"]));
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outs {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    }
    assert_eq!(pending(&s), 0, "nothing left");
    let starts = starts_per_task(&s);
    assert_eq!(starts.len(), 300, "every task started");
    assert!(starts.values().all(|n| *n == 1), "{starts:?}");
    // What each process reports it ran: 300 in all, no task twice, and
    // the work spread over more than one process.
    let mut reported: Vec<i64> = vec![];
    let mut busy = 0;
    for (i, o) in outs.iter().enumerate() {
        let ids: Vec<i64> = match i {
            3 => serde_json::from_slice::<Value>(&o.stdout)
                .unwrap()
                .items()
                .iter()
                .map(|t| t["id"].as_i64().unwrap())
                .collect(),
            _ => lines(o)
                .iter()
                .map(|l| {
                    assert_eq!(l["status"], "COMPLETE", "{l}");
                    l["task_id"].as_i64().unwrap()
                })
                .collect(),
        };
        busy += usize::from(!ids.is_empty());
        reported.extend(ids);
    }
    reported.sort_unstable();
    let before = reported.len();
    reported.dedup();
    assert_eq!((before, reported.len()), (300, 300));
    assert!(busy > 1, "one process did all the work");
}

#[test]
fn the_periodic_audit_runs_each_account_once_a_period_across_workers() {
    let mut s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    for i in 0..20 {
        s.add(&format!("c{i:02}"), &f, &[]);
    }
    let audits =
        |s: &Sandbox| s.sql_i64("SELECT count(*) FROM tasks WHERE origin = 1 AND kind = 1");
    // Off by default: a worker runs nothing.
    let out = s.spawn(&["worker", "--once"]).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(audits(&s), 0);
    s.json(&["settings", "set", "audit-every", "1h"]);
    let run_three = |s: &Sandbox| {
        let children: Vec<Child> = ["w1", "w2", "w3"]
            .iter()
            .map(|h| s.spawn_on(h, &["worker", "--once", "--jobs", "2"]))
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        }
    };
    run_three(&s);
    assert_eq!(audits(&s), 20, "each account once, not once per worker");
    assert_eq!(pending(&s), 0, "and run");
    // Within the period: nothing is due.
    s.at("2026-11-30T08:59:00Z");
    run_three(&s);
    assert_eq!(audits(&s), 20);
    // The next period: each account once more.
    s.at("2026-11-30T09:00:01Z");
    run_three(&s);
    assert_eq!(audits(&s), 40);
    let audit = s.json(&["tasks", "--show-automated", "--limit", "1"]);
    assert_eq!(audit[0]["description"], "Audit service", "{audit}");
    assert_eq!(
        audit[0]["parent_id"],
        Value::Null,
        "an audit has no activity"
    );
}

#[test]
fn sigterm_lets_the_running_task_finish_and_leaves_the_rest_pending() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &slow(1500));
    pending_accounts(&s, 3, &f);
    let worker = s.spawn(&["worker"]);
    let _guard = KillOnDrop(worker.id());
    s.wait_in_progress();
    signal(&worker, "-TERM");
    let out = worker.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let done = lines(&out);
    assert_eq!(done.len(), 1, "the running task finished: {done:?}");
    assert_eq!(done[0]["status"], "COMPLETE");
    assert_eq!(pending(&s), 5, "the rest stay PENDING");
    // ... and nobody's: the account's next task was handed back.
    assert_eq!(
        s.sql_i64("SELECT count(*) FROM tasks WHERE status = 0 AND owner_host IS NOT NULL"),
        0
    );
    s.fixture("t.json", &healthy());
    assert_eq!(s.json(&["tasks", "run"]).count(), 5);
    assert_eq!(
        s.json(&["summary"])["workers"],
        json!([]),
        "a stopped worker is not listed"
    );
}

#[test]
fn past_the_grace_a_running_task_ends_interrupted_and_ctrl_c_exits_130() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &slow(20_000));
    pending_accounts(&s, 1, &f);
    s.json(&["settings", "set", "shutdown-grace", "1s"]);
    let worker = s.spawn(&["worker"]);
    let _guard = KillOnDrop(worker.id());
    s.wait_in_progress();
    signal(&worker, "-INT");
    let out = worker.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let done = lines(&out);
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0]["status"], "ERROR");
    assert_eq!(done[0]["error"], "interrupted");
    assert_eq!(pending(&s), 1, "the check was never started");
    assert_eq!(
        s.sql_i64("SELECT count(*) FROM tasks WHERE status IN (0, 1) AND owner_host IS NOT NULL"),
        0,
        "and is nobody's"
    );
}

#[test]
fn a_killed_worker_leaves_its_unstarted_claim_to_another() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &slow(20_000));
    pending_accounts(&s, 1, &f);
    let mut first = s.spawn(&["worker"]);
    s.wait_in_progress();
    // The account's two tasks are the first worker's: one running, one
    // claimed and not started.
    assert_eq!(
        s.sql_i64("SELECT count(*) FROM tasks WHERE kind <> 0 AND owner_host IS NOT NULL"),
        2
    );
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    s.fixture("t.json", &healthy());
    let out = s.spawn(&["worker", "--once"]).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let done = lines(&out);
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0]["kind"], "AzureAdminAndO365Status");
    assert_eq!(done[0]["status"], "COMPLETE");
    let dead = s.json(&["tasks", "--show-automated", "--kind", "UpdateAdCache"]);
    assert_eq!(dead[0]["status"], "ERROR");
    assert_eq!(dead[0]["error"], "abandoned");
    assert_eq!(s.unfinished(), json!([]));
}

#[test]
fn a_waiting_worker_runs_a_refresh_left_pending_and_is_listed_in_the_summary() {
    let mut s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("contoso", &f, &[]);
    let worker = s.spawn_on("audit-1", &["worker", "--jobs", "2"]);
    let _guard = KillOnDrop(worker.id());
    wait_until("the worker is listed", || {
        s.json(&["summary"])["workers"].count() == 1
    });
    let w = &s.json(&["summary"])["workers"][0];
    assert_eq!(w["host"], "audit-1");
    assert_eq!(w["pid"], worker.id());
    assert_eq!(w["jobs"], 2);
    s.at("2026-12-01T08:00:00Z");
    let r = s.json(&["refresh", "contoso", "--no-run"]);
    assert_eq!(r["decision"], "new");
    wait_until("the worker ran the refresh", || {
        s.json(&["tasks", "--limit", "1"])[0]["status"] == "COMPLETE"
    });
    signal(&worker, "-TERM");
    let out = worker.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&out).len(), 2);
}

#[test]
fn worker_once_exits_3_when_a_task_failed_and_prints_lines_for_people() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &o365_expired());
    pending_accounts(&s, 1, &f);
    let out = s.run(&["worker", "--once"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains("c000: Update AD cache COMPLETE"),
        "{text}"
    );
    assert!(
        lines[1].contains("c000: Checking account status ERROR: "),
        "{text}"
    );
    assert!(lines[1].contains("token expired"), "{text}");
}

#[test]
fn metrics_are_served_in_the_prometheus_text_format_and_nothing_else() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    pending_accounts(&s, 1, &f);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let worker = s.spawn(&["worker", "--metrics", &addr]);
    let _guard = KillOnDrop(worker.id());
    let get = |method: &str, path: &str| -> Option<(u16, String)> {
        let mut c = std::net::TcpStream::connect(&addr).ok()?;
        write!(
            c,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut text = String::new();
        c.read_to_string(&mut text).ok()?;
        let status = text.split(' ').nth(1)?.parse().ok()?;
        Some((status, text.split_once("\r\n\r\n")?.1.to_string()))
    };
    let mut body = String::new();
    wait_until("both tasks are counted", || {
        match get("GET", "/metrics") {
            Some((200, b)) => body = b,
            _ => return false,
        }
        // (What is pending is counted once a second.)
        body.contains(
            r#"nfa_tasks_finished_total{kind="AzureAdminAndO365Status",status="COMPLETE"} 1"#,
        ) && body.contains("nfa_tasks_pending 0")
    });
    // Line by line: comments, or a name, its labels and a number.
    let mut names = std::collections::BTreeSet::new();
    for line in body.lines() {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect(line);
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        let name = series.split('{').next().unwrap();
        names.insert(name.to_string());
        match name {
            "nfa_worker_up" => assert_eq!(value, 1.0),
            "nfa_tasks_pending" => assert_eq!(value, 0.0, "{body}"),
            "nfa_last_audit_age_seconds" => assert!(value.is_nan(), "no audit yet: {body}"),
            "nfa_tasks_finished_total" => assert_eq!(value, 1.0, "{line}"),
            other => panic!("unexpected series {other}"),
        }
    }
    assert_eq!(names.len(), 4, "{body}");
    assert!(body.contains(r#"nfa_tasks_finished_total{kind="UpdateAdCache",status="COMPLETE"} 1"#));
    assert_eq!(get("GET", "/").map(|r| r.0), Some(404));
    assert_eq!(get("GET", "/metrics/x").map(|r| r.0), Some(404));
    assert_eq!(get("POST", "/metrics").map(|r| r.0), Some(404));
    // A taken address is one line, exit 1.
    s.fails(
        &["worker", "--metrics", &addr],
        &["cannot serve metrics on", &addr],
    );
    let bad = s.run(&["worker", "--metrics", "localhost"]);
    assert_eq!(bad.status.code(), Some(2), "a usage error");
    assert!(
        stderr(&bad).contains("invalid value 'localhost'"),
        "{}",
        stderr(&bad)
    );
    // The first worker still serves, and stops on SIGTERM as ever.
    assert_eq!(get("GET", "/metrics").map(|r| r.0), Some(200));
    signal(&worker, "-TERM");
    let out = worker.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

postgres_only! {
    #[test]
    fn a_worker_whose_connection_is_ended_connects_again_and_runs_no_task_twice() {
        let mut s = Sandbox::new();
        let f = s.fixture("t.json", &slow(300));
        pending_accounts(&s, 4, &f);
        let worker = s.spawn(&["worker", "--jobs", "2"]);
        let _guard = KillOnDrop(worker.id());
        s.wait_in_progress();
        s.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'nfa worker' AND datname = current_database()",
        );
        wait_until("the first tasks are done", || pending(&s) == 0 && s.unfinished().count() == 0);
        // It goes on: a refresh left pending later is run too.
        s.at("2026-12-01T08:00:00Z");
        s.fixture("t.json", &healthy());
        let r = s.json(&["refresh", "c000", "--no-run"]);
        assert_eq!(r["decision"], "new", "{r}");
        wait_until("the new refresh ran", || {
            s.json(&["tasks", "--limit", "1"])[0]["status"] == "COMPLETE"
        });
        signal(&worker, "-TERM");
        let out = worker.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let err = stderr(&out);
        // One line for the connection, one for each task under way then.
        assert_eq!(err.matches("warning: lost the database connection").count(), 1, "{err}");
        assert!(
            err.lines().all(|l| l.starts_with("warning: lost the database connection")
                || l.contains("its result could not be recorded")),
            "{err}"
        );
        assert!(starts_per_task(&s).values().all(|n| *n == 1));
    }
}
