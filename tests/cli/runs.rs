//! Runs across processes: concurrent refreshes, killed and interrupted
//! runs, several accounts, `tasks run`.

use super::*;
use std::time::Duration;

#[test]
fn eight_concurrent_refreshes_of_a_fast_failing_account_give_one_new_and_then_retries() {
    let s = Sandbox::new();
    let f = s.fixture("bad.json", &o365_expired());
    s.add("bad", &f, &[]);
    let children: Vec<_> = (0..8).map(|_| s.spawn(&["refresh", "bad"])).collect();
    let mut decisions = vec![];
    for c in children {
        let out = c.wait_with_output().unwrap();
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        decisions.push(r["decision"].as_str().unwrap().to_string());
    }
    // As if serial: one new; each later one sees the newest run still
    // under way (deduplicated) or already ended in ERROR (retry).
    assert_eq!(
        decisions.iter().filter(|d| *d == "new").count(),
        1,
        "{decisions:?}"
    );
    assert!(
        decisions
            .iter()
            .all(|d| ["new", "retry", "deduplicated"].contains(&d.as_str())),
        "{decisions:?}"
    );
    let retries = decisions.iter().filter(|d| *d == "retry").count();
    let tasks = s.json(&["tasks", "--show-automated", "--limit", "0"]);
    let automated = tasks
        .items()
        .iter()
        .filter(|t| t["automated"] == true)
        .count();
    assert_eq!(automated, 2 + retries, "a retry adds only the failed check");
}

#[test]
fn eight_concurrent_refreshes_of_one_account_behave_as_if_serial() {
    let s = Sandbox::new();
    let f = s.fixture("slow.json", &slow(1500));
    s.add("slow", &f, &[]);
    let children: Vec<_> = (0..8).map(|_| s.spawn(&["refresh", "slow"])).collect();
    let mut decisions = vec![];
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        decisions.push(r["decision"].as_str().unwrap().to_string());
    }
    decisions.sort();
    let mut want = vec!["deduplicated".to_string(); 7];
    want.push("new".to_string());
    want.sort();
    assert_eq!(decisions, want);
    let tasks = s.json(&["tasks", "--show-automated", "--limit", "0"]);
    let tasks = tasks.items();
    assert_eq!(
        tasks
            .iter()
            .filter(|t| t["kind"] == "UpdatingAccountStatus")
            .count(),
        8
    );
    assert_eq!(tasks.iter().filter(|t| t["automated"] == true).count(), 2);
    assert!(tasks.iter().all(|t| t["status"] == "COMPLETE"), "{tasks:?}");
}

#[test]
fn six_engineers_refreshing_twelve_accounts_at_once_report_in_their_order_with_one_new_each() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &slow(50));
    let names: Vec<String> = (1..=12).map(|i| format!("customer-{i:02}")).collect();
    for n in &names {
        s.add(n, &f, &[]);
    }
    // On PostgreSQL a job that finds an account's lock taken (another
    // engineer deciding about it) does another account first and comes
    // back to it: the report keeps the order asked for all the same.
    let mut args = vec!["refresh", "--jobs", "3"];
    args.extend(names.iter().map(String::as_str));
    let children: Vec<_> = (0..6).map(|_| s.spawn(&args)).collect();
    let mut new = std::collections::BTreeMap::<String, usize>::new();
    let mut dedup = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        let order: Vec<&str> = r
            .items()
            .iter()
            .map(|x| x["account"].as_str().unwrap())
            .collect();
        assert_eq!(order, names.iter().map(String::as_str).collect::<Vec<_>>());
        for x in r.items() {
            match x["decision"].as_str().unwrap() {
                "new" => {
                    *new.entry(x["account"].as_str().unwrap().to_string())
                        .or_default() += 1;
                }
                "deduplicated" => dedup += 1,
                other => panic!("{other}: {x}"),
            }
        }
    }
    assert_eq!(new.len(), 12, "{new:?}");
    assert!(new.values().all(|n| *n == 1), "{new:?}");
    assert_eq!(dedup, 5 * 12);
}

#[test]
fn a_slow_account_does_not_hold_up_the_refresh_of_another() {
    let s = Sandbox::new();
    let slow_tenant = s.fixture("slow.json", &slow(20_000));
    let quick_tenant = s.fixture("quick.json", &healthy());
    s.add("slow", &slow_tenant, &[]);
    s.add("quick", &quick_tenant, &[]);
    let mut slow_run = s.spawn(&["refresh", "slow"]);
    let _guard = KillOnDrop(slow_run.id());
    s.wait_in_progress();
    // While the slow account's check runs (20 s), another process refreshes
    // another account to the end: it neither waits for the slow one nor
    // is refused.
    let quick = s.json(&["refresh", "quick"]);
    assert_eq!(quick["decision"], "new");
    assert!(
        quick["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "COMPLETE"),
        "{quick}"
    );
    let still = s.json(&[
        "tasks",
        "--show-automated",
        "--account",
        "slow",
        "--status",
        "IN_PROGRESS",
    ]);
    assert!(
        !still.items().is_empty(),
        "the slow run was still under way when the quick one had finished"
    );
    interrupt(&mut slow_run);
}

#[test]
fn a_killed_run_is_found_abandoned_and_then_retried() {
    let s = Sandbox::new();
    let f = s.fixture("slow.json", &slow(5000));
    s.add("c", &f, &[]);
    let mut running = s.spawn(&["refresh", "c"]);
    s.wait_in_progress();
    running.kill().unwrap(); // SIGKILL: no chance to clean up
    running.wait().unwrap();
    let stuck = s.json(&["tasks", "--show-automated", "--status", "IN_PROGRESS"]);
    let stuck: Vec<&Value> = stuck
        .items()
        .iter()
        .filter(|t| t["automated"] == true)
        .collect();
    assert_eq!(stuck.len(), 1, "the dead run left its task IN_PROGRESS");
    let dead_id = stuck[0]["id"].as_i64().unwrap();

    s.fixture("slow.json", &healthy());
    let r = s.json(&["refresh", "c"]);
    assert_eq!(r["decision"], "retry");
    assert_eq!(r["earlier_status"], "ERROR");
    assert_eq!(
        kinds(&r["tasks"]),
        ["UpdateAdCache", "AzureAdminAndO365Status"],
        "both were taken on and lost"
    );
    let dead = s.json(&["tasks", "show", &dead_id.to_string()]);
    assert_eq!(dead["status"], "ERROR");
    assert_eq!(dead["error"], "abandoned");
    let logs = s.json(&["logs", "--task", &dead_id.to_string(), "--level", "error"]);
    assert!(
        logs[0]["message"].as_str().unwrap().contains("abandoned"),
        "{logs}"
    );
    assert_eq!(logs[0]["account_id"], 1);
    let left = s.unfinished();
    assert_eq!(left, json!([]));
}

#[test]
fn ctrl_c_ends_the_run_with_130_and_leaves_no_task_in_progress() {
    let s = Sandbox::new();
    let f = s.fixture("slow.json", &slow(5000));
    s.add("c", &f, &[]);
    let running = s.spawn(&["refresh", "c"]);
    s.wait_in_progress();
    let status = Command::new("kill")
        .args(["-INT", &running.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = running.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["tasks"][0]["error"], "interrupted");
    assert_eq!(r["tasks"][1]["error"], "interrupted");
    let tasks = s.json(&["tasks", "--show-automated"]);
    assert!(
        tasks.items().iter().all(|t| t["status"] == "ERROR"),
        "{tasks}"
    );
    let errors = s.json(&["logs", "--level", "error"]);
    assert_eq!(errors.count(), 2);
    // The next refresh sees ERROR and retries.
    s.fixture("slow.json", &healthy());
    assert_eq!(s.json(&["refresh", "c"])["decision"], "retry");
}

#[test]
fn no_run_leaves_tasks_pending_for_tasks_run() {
    let s = Sandbox::new();
    let good = s.fixture("good.json", &healthy());
    let bad = s.fixture("bad.json", &o365_expired());
    s.add("good", &good, &[]);
    s.add("bad", &bad, &[]);
    s.json(&["refresh", "good", "bad", "--no-run"]);
    assert_eq!(
        s.json(&["tasks", "--status", "PENDING"]).count(),
        2,
        "both activities pending"
    );
    let ran = s.json_code(3, &["tasks", "run", "--jobs", "2"]);
    let ran = ran.items();
    assert_eq!(ran.len(), 4);
    assert_eq!(ran.iter().filter(|t| t["status"] == "ERROR").count(), 1);
    assert!(
        ran.iter()
            .all(|t| t["account"].is_string() && t["kind"].is_string())
    );
    let activities = s.json(&["tasks"]);
    let statuses: Vec<_> = activities
        .items()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["ERROR", "COMPLETE"],
        "activities follow their children"
    );
    assert_eq!(s.json(&["tasks", "run"]), json!([]), "nothing left to run");
}

#[test]
fn several_accounts_by_name_stdin_and_refreshable() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &slow(200));
    for n in ["a", "b", "c", "d"] {
        s.add(n, &f, &[]);
    }
    s.json(&["refresh", "d"]);
    let r = s.json(&["refresh", "a", "B", "--jobs", "2"]);
    let names: Vec<_> = r
        .items()
        .iter()
        .map(|x| x["account"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"], "input order, one object each");

    let out = s.run_with_stdin(&["-o", "json", "refresh", "-"], "c\n\n4\n");
    assert!(out.status.success(), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r[0]["decision"], "new");
    assert_eq!(r[1]["decision"], "deduplicated");

    let mut s = s;
    s.at("2026-12-02T08:00:00Z");
    let r = s.json(&["refresh", "--refreshable", "--jobs", "3"]);
    assert_eq!(r.count(), 4, "all are stale two days on");
    assert!(
        r.items()
            .iter()
            .all(|x| x["decision"] == "new" && x["status_after"] == "ACTIVE")
    );
    assert_eq!(s.json(&["refresh", "--refreshable"]), json!([]));
}

#[test]
fn the_json_pipeline_of_the_readme_works() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("a", &f, &[]);
    s.add("b", &f, &[]);
    let list = s.run(&["-o", "json", "accounts", "list", "--refreshable"]);
    let names: Vec<String> = serde_json::from_slice::<Value>(&list.stdout)
        .unwrap()
        .items()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    let out = s.run_with_stdin(&["-q", "refresh", "-"], &(names.join("\n") + "\n"));
    assert!(out.status.success());
    assert_eq!(s.json(&["accounts", "list", "--refreshable"]), json!([]));
}

#[test]
fn an_unknown_account_in_a_list_refreshes_none() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("a", &f, &[]);
    s.fails(&["refresh", "a", "nope"], &["nope"]);
    assert_eq!(s.json(&["tasks"]), json!([]));
}

#[test]
fn logs_follow_prints_new_lines_as_they_come() {
    use std::io::{BufRead, BufReader};
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("a", &f, &[]);
    let mut follow = s
        .cmd()
        .args(["-o", "json", "logs", "--follow"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Should an assertion fail, the follower must not outlive the test.
    let pid = follow.id();
    let _guard = KillOnDrop(pid);
    let mut lines = BufReader::new(follow.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert!(first["message"].as_str().unwrap().contains("added"));
    std::thread::sleep(Duration::from_millis(100));
    s.json(&["refresh", "a"]);
    // The activity, then start and end of each of its two tasks.
    let mut seen = vec![];
    while seen.len() < 5 {
        let l: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        seen.push(l);
    }
    assert!(
        seen.windows(2)
            .all(|w| w[0]["id"].as_i64() < w[1]["id"].as_i64()),
        "oldest first"
    );
    assert!(
        seen[0]["message"]
            .as_str()
            .unwrap()
            .contains("Updating account status")
    );
    interrupt(&mut follow);
}

#[test]
fn logs_follow_for_people_says_task_and_account_once() {
    let s = Sandbox::with_failed_refresh();
    let line = s.first_followed_line(&["logs", "--follow", "--level", "error"]);
    assert_eq!(
        line,
        "2026-11-30T08:00:00Z ERROR [task 3 contoso] Checking account status failed: \
         Microsoft 365 (office365) connection failed: token expired"
    );
}

#[test]
fn a_run_on_another_host_counts_while_its_heartbeat_is_recent() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("c", &f, &[]);
    let first = s.json(&["refresh", "c", "--no-run"]);
    let running = first["tasks"][0]["id"].as_i64().unwrap();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let wall = i64::try_from(wall).unwrap();
    // As if a process on another host had taken both tasks on and started one.
    s.sql(&format!(
        "UPDATE tasks SET owner_host = 'other-host', owner_pid = 4242, owner_token = 'boot:1', owner_seen_at = {}
         WHERE parent_id IS NOT NULL",
        wall - 10
    ));
    // 1: IN_PROGRESS
    s.sql(&format!(
        "UPDATE tasks SET status = 1 WHERE id = {running} OR parent_id IS NULL"
    ));

    let r = s.json(&["refresh", "c"]);
    assert_eq!(r["decision"], "deduplicated", "heard from 10 s ago: alive");
    assert_eq!(r["earlier_status"], "IN_PROGRESS");

    s.sql(&format!(
        "UPDATE tasks SET owner_seen_at = {} WHERE owner_host = 'other-host'",
        wall - 600
    ));
    let r = s.json(&["refresh", "c"]);
    assert_eq!(r["decision"], "retry", "silent for 10 minutes: abandoned");
    assert_eq!(r["earlier_status"], "ERROR");
    assert_eq!(
        kinds(&r["tasks"]),
        ["UpdateAdCache", "AzureAdminAndO365Status"]
    );
    let lines = s.json(&[
        "logs",
        "--task",
        &first["activity_id"].to_string(),
        "--level",
        "error",
    ]);
    assert_eq!(lines.count(), 2);
    assert!(lines[0]["message"].as_str().unwrap().contains("other-host"));
}

#[test]
fn the_heartbeat_marks_only_the_unfinished_tasks_of_its_process() {
    use nfa::domain::owner::Owner;
    use nfa::domain::task::Origin;
    use nfa::domain::task::{TaskKind, TaskStatus};
    use nfa::store::{NewTask, Store};
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("c", &f, &[]);
    let store = Store::open(&s.location()).unwrap();
    let me = Owner::current();
    let other = Owner {
        pid: me.pid + 1,
        ..me.clone()
    };
    let now = nfa::domain::time::parse_time(NOW).unwrap();
    let ids: Vec<i64> = [
        (me, TaskStatus::Pending),
        (me, TaskStatus::Complete),
        (&other, TaskStatus::Pending),
    ]
    .iter()
    .map(|(owner, status)| {
        let t = NewTask {
            parent_id: None,
            account_id: nfa::domain::ids::AccountId(1),
            kind: TaskKind::UpdateAdCache,
            automated: true,
            origin: Origin::Audit,
            decision: None,
            status: *status,
            description: None,
            earlier: None,
            owner: Some(owner),
        };
        store.write(|db| db.insert_task(&t, now)).unwrap().0
    })
    .collect();
    s.sql("UPDATE tasks SET owner_seen_at = 1");
    store.write(|db| db.heartbeat(me)).unwrap();
    let seen =
        |id: i64| -> i64 { s.sql_i64(&format!("SELECT owner_seen_at FROM tasks WHERE id = {id}")) };
    assert!(
        seen(ids[0]) > 1_000_000_000,
        "its unfinished task was marked"
    );
    assert_eq!(seen(ids[1]), 1, "a finished task is left alone");
    assert_eq!(seen(ids[2]), 1, "another process's task is left alone");
}
