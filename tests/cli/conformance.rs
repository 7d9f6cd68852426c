//! The store's conformance suite (River's `riverdrivertest` is the model):
//! what every statement must mean on both engines, under races — run
//! through the real binary in both builds of the suite, SQLite's and
//! PostgreSQL's. Concurrent claims, copies, decisions on a removed run,
//! names taken at once, ordering with NULLs and ties, times, long and odd
//! text.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

/// `count` accounts named `c00`, `c01`, … over one fixture, imported in one
/// command; each refreshed `--no-run`, so that two PENDING tasks each wait
/// for a runner.
fn pending_accounts(s: &Sandbox, count: usize, tenant: &Value) {
    let f = s.fixture("t.json", tenant);
    let rows: Vec<Value> = (0..count)
        .map(
            |i| json!({ "name": format!("c{i:02}"), "source": format!("fixture:{}", f.display()) }),
        )
        .collect();
    let file = s.path("accounts.json");
    std::fs::write(&file, serde_json::to_vec(&rows).unwrap()).unwrap();
    s.json(&["accounts", "import", file.to_str().unwrap()]);
    let r = s.json(&["refresh", "--refreshable", "--no-run"]);
    assert_eq!(r.count(), count, "{r}");
}

/// How many "started" log lines each task has.
fn starts_per_task(s: &Sandbox) -> BTreeMap<i64, usize> {
    let mut starts = BTreeMap::new();
    for l in s.json(&["logs", "--limit", "0", "--level", "info"]).items() {
        if l["message"]
            .as_str()
            .unwrap()
            .contains(" started for account ")
        {
            *starts.entry(l["task_id"].as_i64().unwrap()).or_default() += 1;
        }
    }
    starts
}

#[test]
fn three_concurrent_task_runs_start_every_task_once_and_share_the_work() {
    let s = Sandbox::new();
    pending_accounts(&s, 40, &slow(25));
    let pending: BTreeSet<i64> = s
        .unfinished()
        .items()
        .iter()
        .filter(|t| t["automated"] == true)
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(pending.len(), 80);
    let runs: Vec<Child> = (0..3)
        .map(|i| s.spawn_with(&[("NFA_HOST", &format!("host-{i}"))], &["tasks", "run"]))
        .collect();
    let mut ran: Vec<Vec<i64>> = vec![];
    for run in runs {
        let out = run.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let reports: Value = serde_json::from_slice(&out.stdout).unwrap();
        ran.push(reports.ids());
    }
    let all: Vec<i64> = ran.iter().flatten().copied().collect();
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), distinct.len(), "a task was reported by two runs");
    assert_eq!(distinct, pending, "every PENDING task ran");
    assert!(
        ran.iter().filter(|r| !r.is_empty()).count() >= 2,
        "the work was shared, not taken whole by one run: {:?}",
        ran.iter().map(Vec::len).collect::<Vec<_>>()
    );
    let starts = starts_per_task(&s);
    assert_eq!(starts.len(), 80);
    assert!(starts.values().all(|n| *n == 1), "{starts:?}");
    assert_eq!(s.unfinished().count(), 0);
    // Each check ran once: one check row a task of that kind.
    assert_eq!(s.sql_i64("SELECT count(*) FROM checks"), 40);
}

#[test]
fn two_copies_into_one_new_file_copy_once_and_the_refused_one_removes_nothing() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("contoso", &f, &[]);
    s.json(&["refresh", "contoso"]);
    for round in 0..8 {
        let target = s.path(&format!("backup-{round}.db"));
        let to = target.to_str().unwrap();
        let copies: Vec<Child> = (0..2)
            .map(|_| s.spawn(&["db", "copy", "--to", to]))
            .collect();
        let outs: Vec<Output> = copies
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let mut codes: Vec<i32> = outs.iter().map(|o| o.status.code().unwrap()).collect();
        codes.sort_unstable();
        assert_eq!(
            codes,
            [0, 1],
            "round {round}: {:?}",
            outs.iter().map(stderr).collect::<Vec<_>>()
        );
        let refused = outs.iter().find(|o| !o.status.success()).unwrap();
        assert!(
            stderr(refused).contains("already holds data"),
            "{}",
            stderr(refused)
        );
        // The copy that won is there, whole.
        assert!(
            target.exists(),
            "round {round}: the refused copy removed the file"
        );
        let copied = s
            .cmd()
            .env("NFA_DB", &target)
            .args(["-o", "json", "accounts", "list"])
            .output()
            .unwrap();
        assert!(copied.status.success(), "{}", stderr(&copied));
        let copied: Value = serde_json::from_slice(&copied.stdout).unwrap();
        assert_eq!(copied.count(), 1, "round {round}: {copied}");
    }
}

postgres_only! {
    #[test]
    fn two_solo_databases_copied_at_once_into_one_team_database_give_one_copy() {
        for round in 0..5 {
            let team = PgDatabase::create();
            let solos: Vec<Sandbox> = (0..2)
                .map(|i| {
                    let s = Sandbox::sqlite();
                    let f = s.fixture("t.json", &healthy());
                    s.add(&format!("solo-{i}"), &f, &[]);
                    s.json(&["refresh", &format!("solo-{i}")]);
                    s
                })
                .collect();
            let copies: Vec<Child> = solos
                .iter()
                .map(|s| s.spawn(&["db", "copy", "--to", &team.url]))
                .collect();
            let mut codes: Vec<i32> = copies
                .into_iter()
                .map(|c| c.wait_with_output().unwrap().status.code().unwrap())
                .collect();
            codes.sort_unstable();
            assert_eq!(codes, [0, 1], "round {round}");
            let names = solos[0]
                .cmd()
                .env("NFA_DB", &team.url)
                .args(["-o", "json", "accounts", "list"])
                .output()
                .unwrap();
            let names: Value = serde_json::from_slice(&names.stdout).unwrap();
            assert_eq!(names.count(), 1, "round {round}: one database's accounts, not both: {names}");
        }
    }
}

#[test]
fn eight_engineers_adding_one_name_at_once_make_one_account() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    let source = format!("fixture:{}", f.display());
    for round in 0..3 {
        let name = format!("Contoso {round}");
        let adds: Vec<Child> = (0..8)
            .map(|_| s.spawn(&["accounts", "add", &name, "--source", &source]))
            .collect();
        let outs: Vec<Output> = adds
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        assert_eq!(
            outs.iter().filter(|o| o.status.success()).count(),
            1,
            "round {round}"
        );
        for o in outs.iter().filter(|o| !o.status.success()) {
            assert_eq!(o.status.code(), Some(1));
            let err = stderr(o);
            assert!(
                err.starts_with("error: ")
                    && err.contains(&format!("an account named '{name}' already exists (id ")),
                "{err}"
            );
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }
    assert_eq!(s.json(&["accounts", "list"]).count(), 3);
}

#[test]
fn a_run_whose_task_another_host_ended_leaves_what_that_host_recorded() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &slow(2500));
    s.add("contoso", &f, &[]);
    let run = s.spawn(&["refresh", "contoso"]);
    let _guard = KillOnDrop(run.id());
    let running = s.wait_in_progress();
    let id = running[0]["id"].as_i64().unwrap();
    // Another host found this run silent and ended its tasks (what the
    // reaper writes: ERROR, the owner cleared).
    s.sql(
        "UPDATE tasks SET status = 3, error = 'abandoned', finished_at = 0, owner_host = NULL,
             owner_pid = NULL, owner_token = NULL, owner_seen_at = NULL
         WHERE status IN (0, 1) AND parent_id IS NOT NULL",
    );
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("was ended by another process meanwhile"),
        "{}",
        stderr(&out)
    );
    let task = s.json(&["tasks", "show", &id.to_string()]);
    assert_eq!(task["status"], "ERROR", "{task}");
    assert_eq!(task["error"], "abandoned", "not overwritten: {task}");
    // Neither the cache nor a check was recorded by the run that lost it.
    let a = s.json(&["accounts", "show", "contoso"]);
    assert_eq!(a["ad_cache_updated_at"], Value::Null, "{a}");
    assert_eq!(s.sql_i64("SELECT count(*) FROM checks"), 0);
    let starts = starts_per_task(&s);
    assert!(starts.values().all(|n| *n <= 1), "{starts:?}");
}

#[test]
fn a_host_whose_clock_runs_slow_is_not_taken_for_dead() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &slow(6000));
    s.add("contoso", &f, &[]);
    s.json(&["settings", "set", "heartbeat-timeout", "3s"]);
    // Host A's clock is 150 s behind (and it keeps no NFA_NOW).
    let mut a = s.cmd();
    a.env_remove("NFA_NOW")
        .env("NFA_HOST", "host-a")
        .env("NFA_TEST_CLOCK_SKEW", "-150")
        .args(["-o", "json", "refresh", "contoso"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let run = a.spawn().unwrap();
    let _guard = KillOnDrop(run.id());
    s.wait_in_progress();
    // Past the heartbeat timeout: host A has beaten several times.
    std::thread::sleep(Duration::from_millis(4500));
    s.assert_seen_running("host-b", "contoso");
    let out = run.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        done["tasks"]
            .items()
            .iter()
            .all(|t| t["status"] == "COMPLETE"),
        "{done}"
    );
}

#[test]
fn users_without_a_name_sort_last_and_ties_by_id_on_both_engines() {
    let s = Sandbox::new();
    let mut tenant = healthy();
    tenant["directory"]["users"] = json!([
        { "id": "u3", "upn": "nameless@contoso.com", "enabled": true },
        { "id": "u2", "display_name": "ada", "upn": "ada2@contoso.com", "enabled": true },
        { "id": "u1", "display_name": "Ada", "upn": "ada1@contoso.com", "enabled": true },
        { "id": "u0", "display_name": "Zoë", "upn": "zoe@contoso.com", "enabled": true },
        { "id": "u4", "display_name": "bob", "upn": "bob@contoso.com", "enabled": true },
    ]);
    let f = s.fixture("t.json", &tenant);
    s.add("contoso", &f, &[]);
    s.json(&["refresh", "contoso"]);
    let users = s.json(&["directory", "users", "contoso"]);
    assert_eq!(users.ids_str(), ["u1", "u2", "u4", "u0", "u3"], "{users}");
}

#[test]
fn times_keep_their_milliseconds_in_utc_on_both_engines() {
    let mut s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.at("2026-11-30T09:15:30.123+01:00");
    s.add(
        "contoso",
        &f,
        &["--last-activity", "2026-11-01T00:00:00.5Z"],
    );
    let r = s.json(&["refresh", "contoso"]);
    let task = s.json(&["tasks", "show", &r["activity_id"].to_string()]);
    assert_eq!(task["created_at"], "2026-11-30T08:15:30.123Z", "{task}");
    let a = s.json(&["accounts", "show", "contoso"]);
    assert_eq!(a["last_activity_at"], "2026-11-30T08:15:30.123Z", "{a}");
    assert_eq!(a["ad_cache_updated_at"], "2026-11-30T08:15:30.123Z", "{a}");
}

#[test]
fn long_and_odd_text_means_the_same_on_both_engines() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    // Names: 200 characters are fine, more are refused alike.
    let longest = "Ω".repeat(199) + "x";
    s.add(&longest, &f, &[]);
    let source = format!("fixture:{}", f.display());
    let err = s.fails(
        &["accounts", "add", &"n".repeat(3000), "--source", &source],
        &["3000 characters", "at most 200"],
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // Quotes, placeholders, comment and dollar signs reach the database as
    // text, not as SQL.
    let odd = "O'Brien \"&\" ?1 $1 -- /* ; 🦀";
    s.add(odd, &f, &[]);
    assert_eq!(s.json(&["accounts", "show", odd])["name"], odd);
    // A long error and a NUL in tenant text: stored alike (the NUL as
    // U+FFFD, which PostgreSQL's text can hold).
    let mut tenant = healthy();
    tenant["office365"] =
        json!({ "ok": false, "error": format!("token\u{0}expired {}", "x".repeat(10_000)) });
    tenant["directory"]["users"][0]["display_name"] = json!("Ada\u{0}Lovelace");
    let bad = s.fixture("nul.json", &tenant);
    s.add("nul", &bad, &[]);
    let r = s.json_code(3, &["refresh", "nul"]);
    let check = r["tasks"]
        .items()
        .iter()
        .find(|t| t["kind"] == "AzureAdminAndO365Status")
        .unwrap();
    assert_eq!(
        r["tasks"][0]["status"], "COMPLETE",
        "the cache was stored: {r}"
    );
    let error = check["error"].as_str().unwrap();
    assert!(error.contains("token\u{FFFD}expired xxxx"), "{error}");
    let stored = s.json(&["tasks", "show", &check["id"].to_string()]);
    assert_eq!(stored["error"], check["error"]);
    assert!(stored["error"].as_str().unwrap().len() > 10_000);
    let users = s.json(&["directory", "users", "nul"]);
    assert_eq!(users[0]["display_name"], "Ada\u{FFFD}Lovelace", "{users}");
}
