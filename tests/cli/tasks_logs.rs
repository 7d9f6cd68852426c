//! `nfa tasks` and `nfa logs`: filters, automated tasks, log lines by task.

use super::*;
use serde_json::json;

/// Two accounts, each refreshed once at NOW, the second failing.
fn two_refreshed() -> Sandbox {
    let s = Sandbox::new();
    let good = s.fixture("good.json", &healthy());
    let bad = s.fixture("bad.json", &o365_expired());
    s.add("good", &good, &[]);
    s.add("bad", &bad, &[]);
    s.json(&["refresh", "good"]);
    s.json_code(3, &["refresh", "bad"]);
    s
}

#[test]
fn automated_tasks_are_hidden_unless_asked_for() {
    let s = two_refreshed();
    let visible = s.json(&["tasks"]);
    assert_eq!(
        kinds(&visible),
        ["UpdatingAccountStatus", "UpdatingAccountStatus"]
    );
    assert!(visible.items().iter().all(|t| t["automated"] == false));
    let all = s.json(&["tasks", "list", "--show-automated"]);
    assert_eq!(all.count(), 6);
    s.json(&["settings", "set", "display-automated-tasks", "true"]);
    assert_eq!(s.json(&["tasks"]).count(), 6, "the setting shows them too");
}

#[test]
fn task_items_carry_the_contract_fields_newest_first() {
    let s = two_refreshed();
    let all = s.json(&["tasks", "--show-automated"]);
    assert_eq!(all.ids(), [6, 5, 4, 3, 2, 1]);
    let t = &all[0];
    for key in [
        "id",
        "parent_id",
        "account_id",
        "account",
        "kind",
        "name",
        "automated",
        "status",
        "description",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    ] {
        assert!(t.get(key).is_some(), "task lacks {key}: {t}");
    }
    assert_eq!(t["name"], "Checking account status");
    assert_eq!(t["parent_id"], 4);
    assert_eq!(t["account"], "bad");
    assert_eq!(t["created_at"], NOW);
    assert_eq!(all[1]["name"], "Update AD cache");
    assert_eq!(all[2]["name"], "Updating account status");
    assert_eq!(
        all[2]["status"], "ERROR",
        "an activity's status is the aggregate of its children"
    );
    assert_eq!(all[5]["status"], "COMPLETE");
}

#[test]
fn task_filters_combine() {
    let mut s = two_refreshed();
    s.at("2026-11-30T20:00:00Z");
    s.json(&["refresh", "good"]);
    let by_account = s.json(&["tasks", "--account", "GOOD", "--show-automated"]);
    assert!(by_account.items().iter().all(|t| t["account"] == "good"));
    assert_eq!(by_account.count(), 6);
    let errors = s.json(&["tasks", "--status", "error", "--show-automated"]);
    assert_eq!(
        kinds(&errors),
        ["AzureAdminAndO365Status", "UpdatingAccountStatus"]
    );
    // Several statuses: newest first across them, with the other filters.
    let two = s.json(&[
        "tasks",
        "--status",
        "ERROR",
        "--status",
        "COMPLETE",
        "--show-automated",
        "--limit",
        "4",
    ]);
    assert_eq!(two.ids(), [9, 8, 7, 6]);
    let two = s.json(&[
        "tasks", "--status", "ERROR", "--status", "COMPLETE", "--limit", "2",
    ]);
    assert_eq!(two.ids(), [7, 4], "automated ones stay hidden");
    let two = s.json(&[
        "tasks",
        "--status",
        "ERROR",
        "--status",
        "COMPLETE",
        "--account",
        "bad",
        "--show-automated",
    ]);
    assert_eq!(two.ids(), [6, 5, 4]);
    let checks = s.json(&["tasks", "--kind", "AzureAdminAndO365Status"]);
    assert_eq!(
        checks,
        json!([]),
        "automated tasks stay hidden without --show-automated"
    );
    let checks = s.json(&[
        "tasks",
        "--kind",
        "AzureAdminAndO365Status",
        "--show-automated",
    ]);
    assert_eq!(checks.count(), 3);
    let checks = s.json(&[
        "tasks",
        "--kind",
        "Checking account status",
        "--status",
        "COMPLETE",
        "--show-automated",
    ]);
    assert_eq!(checks.count(), 2);
    let recent = s.json(&["tasks", "--since", "1h", "--show-automated"]);
    assert_eq!(recent.count(), 3);
    let in_seconds = s.json(&["tasks", "--since", "3600", "--show-automated"]);
    assert_eq!(in_seconds, recent, "a plain number is seconds");
    let recent = s.json(&["tasks", "--since", "2026-11-30T08:00:00Z"]);
    assert_eq!(recent.count(), 3);
    let limited = s.json(&["tasks", "--show-automated", "--limit", "2"]);
    assert_eq!(limited.count(), 2);
    assert_eq!(s.run(&["tasks", "--status", "DONE"]).status.code(), Some(2));
    assert_eq!(
        s.run(&["tasks", "--since", "last week"]).status.code(),
        Some(2)
    );
    s.fails(&["tasks", "--account", "nobody"], &["nobody"]);
}

#[test]
fn the_default_limit_is_fifty() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("c", &f, &[]);
    // One `new` activity with its two tasks, then 59 deduplicated ones.
    for _ in 0..60 {
        s.json(&["refresh", "c", "--no-run"]);
    }
    assert_eq!(s.json(&["tasks", "--show-automated"]).count(), 50);
    assert_eq!(
        s.json(&["tasks", "--show-automated", "--limit", "0"])
            .count(),
        62
    );
}

#[test]
fn tasks_show_has_children_and_their_log_lines() {
    let s = two_refreshed();
    let t = s.json(&["tasks", "show", "4"]);
    assert_eq!(t["id"], 4);
    assert_eq!(t["kind"], "UpdatingAccountStatus");
    assert_eq!(
        kinds(&t["children"]),
        ["UpdateAdCache", "AzureAdminAndO365Status"]
    );
    let logs = t["logs"].items();
    let task_ids: Vec<i64> = logs
        .iter()
        .map(|l| l["task_id"].as_i64().unwrap())
        .collect();
    assert!(
        task_ids.contains(&4) && task_ids.contains(&5) && task_ids.contains(&6),
        "{task_ids:?}"
    );
    assert!(
        logs.iter()
            .any(|l| l["level"] == "ERROR" && l["task_id"] == 6)
    );
    s.fails(&["tasks", "show", "999"], &["999"]);
    let out = s.run(&["tasks", "show", "4"]);
    assert!(
        stdout(&out).contains("token expired"),
        "the table shows children and log lines"
    );
}

#[test]
fn every_failure_is_logged_with_task_and_account_ids() {
    let s = two_refreshed();
    let errors = s.json(&["logs", "--level", "error"]);
    let errors = errors.items();
    assert_eq!(errors.len(), 1);
    let line = &errors[0];
    for key in ["id", "time", "level", "task_id", "account_id", "message"] {
        assert!(line.get(key).is_some(), "log line lacks {key}");
    }
    assert_eq!(line["level"], "ERROR");
    assert_eq!(line["task_id"], 6);
    assert_eq!(line["account_id"], 2);
    assert_eq!(line["time"], NOW);
    assert!(line["message"].as_str().unwrap().contains("token expired"));
    // From the log line to the task, and from the task to the log line.
    let task = s.json(&["tasks", "show", "6"]);
    assert_eq!(
        task["error"],
        "Microsoft 365 (office365) connection failed: token expired"
    );
    let by_parent = s.json(&["logs", "--task", "4"]);
    assert!(
        by_parent.items().iter().any(|l| l["id"] == line["id"]),
        "--task matches children's lines"
    );
}

#[test]
fn log_filters_combine() {
    let mut s = two_refreshed();
    let all = s.json(&["logs", "--limit", "0"]);
    assert!(all.ids().windows(2).all(|w| w[0] > w[1]), "newest first");
    let good = s.json(&["logs", "--account", "good", "--limit", "0"]);
    assert!(good.items().iter().all(|l| l["account_id"] == 1));
    assert!(!good.items().is_empty());
    let warn = s.json(&["logs", "--level", "warn", "--limit", "0"]);
    assert_eq!(warn.count(), 1, "warn and worse");
    assert_eq!(s.json(&["logs", "--limit", "3"]).count(), 3);
    s.at("2026-11-30T12:00:00Z");
    s.json(&["refresh", "good"]);
    let recent = s.json(&["logs", "--since", "1h", "--limit", "0"]);
    assert_eq!(recent.count(), 1, "the deduplicated activity's line only");
    assert_eq!(s.run(&["logs", "--level", "debug"]).status.code(), Some(2));
    let out = s.run(&["-o", "csv", "logs", "--limit", "1"]);
    assert!(stdout(&out).starts_with("id,time,level,task_id,account_id,account,user,message\n"));
}

#[test]
fn a_closed_pipe_ends_every_format_quietly() {
    use std::io::Read;
    let s = Sandbox::new();
    // Far more than a pipe holds (64 KiB), so that the writer meets the
    // closed pipe.
    let store = nfa::store::Store::open(&s.location()).unwrap();
    let now = nfa::domain::time::parse_time(NOW).unwrap();
    store
        .write(|db| {
            for i in 0..5000 {
                db.log(
                    nfa::domain::log::Level::Info,
                    nfa::domain::log::LogEvent::Text,
                    None,
                    None,
                    Some(&format!("line {i} of a long log")),
                    now,
                )?;
            }
            Ok(())
        })
        .unwrap();
    for format in ["json", "csv", "table"] {
        let mut child = s
            .cmd()
            .args(["-o", format, "logs", "--limit", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut first)
            .unwrap();
        drop(child.stdout.take()); // the reader goes away, like `| head`
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        assert!(out.stderr.is_empty(), "{format}: {}", stderr(&out));
    }
}

#[test]
fn a_long_list_fits_the_terminal_and_is_never_cut_off_one() {
    let s = Sandbox::with_failed_refresh();
    // Off a terminal: whole lines, nothing cut.
    let plain = stdout(&s.run(&["logs"]));
    assert!(!plain.contains('…'), "{plain}");
    assert!(plain.lines().any(|l| l.chars().count() > 80), "{plain}");
    // On a terminal (a pty from script(1)) of 80 columns: free text cut
    // with …, every line within the width.
    let text = s.on_terminal(80, "logs");
    assert!(text.contains('…'), "{text}");
    assert_fits(&text, 80, "logs");
}

#[test]
fn the_summary_is_the_morning_check_in_one_object() {
    let mut s = Sandbox::new();
    let ok = s.fixture("ok.json", &healthy());
    let bad = s.fixture("bad.json", &o365_expired());
    s.at("2026-11-28T08:00:00Z");
    s.add("old-failure", &bad, &[]);
    s.json_code(3, &["refresh", "old-failure"]); // failed 2 days ago: not in the last 24 h
    s.at(NOW);
    s.add("contoso", &ok, &["--last-activity", "2026-11-20T08:00:00Z"]); // INACTIVE, never cached
    s.add("tailspin", &bad, &[]);
    s.add("fabrikam", &bad, &[]);
    s.add("pending", &ok, &[]);
    s.json_code(3, &["refresh", "tailspin"]);
    s.json_code(3, &["refresh", "fabrikam"]);
    s.json(&["refresh", "pending", "--no-run"]);
    let sum = s.json(&["summary"]);
    assert_eq!(sum["accounts"], 5);
    let by: Vec<(String, i64)> = sum["by_status"]
        .items()
        .iter()
        .map(|c| {
            (
                c["status"].as_str().unwrap().to_string(),
                c["accounts"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by.len(), 9, "every status is named: {by:?}");
    let count = |st: &str| by.iter().find(|(s, _)| s == st).unwrap().1;
    assert_eq!(count("DISCONNECTED"), 3);
    assert_eq!(count("INACTIVE"), 1);
    assert_eq!(count("STALE"), 1, "pending: never cached");
    assert_eq!(sum["refresh_marker"], 2);
    let failures = sum["failures_24h"].items();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["tasks"], 2);
    assert_eq!(failures[0]["accounts"], json!(["tailspin", "fabrikam"]));
    assert!(
        failures[0]["error"]
            .as_str()
            .unwrap()
            .contains("token expired")
    );
    let oldest: Vec<&str> = sum["oldest_ad_caches"]
        .items()
        .iter()
        .map(|c| c["account"].as_str().unwrap())
        .collect();
    assert_eq!(&oldest[..2], ["contoso", "pending"], "never cached first");
    assert_eq!(
        sum["in_progress"].count(),
        2,
        "the two PENDING tasks of --no-run"
    );
    let table = stdout(&s.run(&["summary"]));
    assert!(
        table.contains("accounts: 5 (2 with the refresh marker"),
        "{table}"
    );
    assert!(
        table.contains("token expired") && table.contains("runs in progress: 2"),
        "{table}"
    );
}

#[test]
fn a_terminal_shows_how_long_ago_and_a_pipe_the_exact_time() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("contoso", &f, &["--last-activity", "2026-11-27T08:00:00Z"]);
    let on_tty = |args: &str| s.on_terminal(120, args);
    let list = on_tty("accounts list");
    assert!(list.contains("3d ago"), "{list}");
    assert!(!list.contains("2026-11-27"), "{list}");
    let show = on_tty("accounts show contoso");
    assert!(
        show.contains("2026-11-27T08:00:00Z"),
        "show keeps the exact time: {show}"
    );
    let piped = stdout(&s.run(&["accounts", "list"]));
    assert!(
        piped.contains("2026-11-27 08:00:00") && !piped.contains("ago"),
        "{piped}"
    );
}

#[test]
fn on_an_80_column_terminal_these_tables_fit() {
    let s = Sandbox::new();
    let ok = s.fixture("ok.json", &healthy());
    let bad = s.fixture("bad.json", &o365_expired());
    for (name, f) in [("contoso", &ok), ("fabrikam", &bad), ("northwind", &ok)] {
        s.add(name, f, &["--last-activity", "2026-11-01T08:00:00Z"]);
    }
    for args in [
        "refresh --refreshable",
        "audit --all",
        "accounts list",
        "logs",
        "summary",
        "directory users contoso",
    ] {
        let text = s.on_terminal(80, args);
        assert!(!text.trim().is_empty(), "{args}");
        assert_fits(&text, 80, args);
    }
}

#[test]
fn wide_shows_every_column_uncut_even_on_a_terminal() {
    let s = Sandbox::with_failed_refresh();
    let narrow = s.on_terminal(80, "tasks --show-automated");
    let wide = s.on_terminal(80, "-o wide tasks --show-automated");
    let header = |t: &str| t.lines().next().unwrap_or_default().to_string();
    assert!(
        header(&narrow).contains("detail") && !header(&narrow).contains("parent"),
        "{narrow}"
    );
    assert!(narrow.contains('…'), "{narrow}");
    // Its age shows where there is room beside 20 columns of detail.
    let roomy = s.on_terminal(100, "tasks --show-automated");
    assert!(
        roomy.contains(" ago") && !narrow.contains(" ago"),
        "{roomy}"
    );
    assert!(
        header(&wide).contains("parent") && header(&wide).contains("description"),
        "{wide}"
    );
    assert!(!wide.contains('…') && !wide.contains(" ago"), "{wide}");
    assert!(
        wide.contains("Microsoft 365 (office365) connection failed: token expired"),
        "{wide}"
    );
    // Off a terminal, table and wide are the same.
    assert_eq!(
        stdout(&s.run(&["tasks", "--show-automated"])),
        stdout(&s.run(&["-o", "wide", "tasks", "--show-automated"]))
    );
}

#[test]
fn since_finds_rows_written_under_a_clock_set_back() {
    let mut s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("contoso", &f, &[]);
    s.json(&["refresh", "contoso"]); // at 08:00
    s.at("2026-11-30T07:30:00Z"); // a clock set back: written later, older
    s.add("fabrikam", &f, &[]);
    s.json(&["refresh", "fabrikam"]);
    s.at(NOW);
    let accounts = |rows: &Value| -> Vec<String> {
        let mut a: Vec<String> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["account"].as_str().unwrap().to_string())
            .collect();
        a.dedup();
        a
    };
    let tasks = |since: &str| s.json(&["tasks", "--show-automated", "--since", since]);
    assert_eq!(accounts(&tasks("45m")), ["fabrikam", "contoso"]);
    assert_eq!(tasks("45m").as_array().unwrap().len(), 6);
    assert_eq!(accounts(&tasks("15m")), ["contoso"]);
    let lines = |since: &str| s.json(&["logs", "--since", since]);
    let count = |v: &Value, name: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|l| l["message"].as_str().unwrap().contains(name))
            .count()
    };
    assert!(count(&lines("45m"), "fabrikam") > 0);
    assert!(count(&lines("45m"), "contoso") > 0);
    assert_eq!(count(&lines("15m"), "fabrikam"), 0);
    assert!(count(&lines("15m"), "contoso") > 0);
}

#[test]
fn a_list_cut_at_its_limit_says_so_on_a_terminal_and_times_take_compound_forms() {
    let s = Sandbox::with_failed_refresh();
    assert_eq!(
        s.json(&["tasks", "--show-automated", "--limit", "2"])
            .count(),
        2
    );
    let cut = s.on_terminal(100, "tasks --show-automated --limit 2");
    assert!(
        cut.contains("the newest 2 shown, and there are more"),
        "{cut}"
    );
    let whole = s.on_terminal(100, "tasks --show-automated --limit 3");
    assert!(!whole.contains("there are more"), "{whole}");
    let logs = s.on_terminal(100, "logs --limit 1");
    assert!(logs.contains("the newest 1 shown"), "{logs}");
    // Durations in compound forms and weeks, dates in --since.
    assert_eq!(
        s.json(&["settings", "set", "refresh-window", "2h30m"])["value"],
        "150m"
    );
    assert_eq!(
        s.json(&["settings", "set", "keep-history", "2w"])["value"],
        "14d"
    );
    for since in ["1w", "1d12h", "2026-11-30"] {
        assert_eq!(
            s.json(&["tasks", "--show-automated", "--since", since])
                .count(),
            3,
            "{since}"
        );
    }
    assert_eq!(s.json(&["tasks", "--since", "2026-12-01"]).count(), 0);
}
