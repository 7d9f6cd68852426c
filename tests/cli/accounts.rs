//! `nfa accounts`, statuses, and the errors of the "Everywhere" section.

use super::*;
use serde_json::json;

#[test]
fn add_prints_the_new_account_and_list_shows_it() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    let added = s.json(&[
        "accounts",
        "add",
        "Contoso",
        "--source",
        &format!("fixture:{}", f.display()),
        "--tenant-id",
        "contoso.onmicrosoft.com",
    ]);
    assert_eq!(added["id"], 1);
    assert_eq!(added["name"], "Contoso");
    assert_eq!(added["tenant_id"], "contoso.onmicrosoft.com");
    assert_eq!(added["lifecycle"], "ready");
    assert_eq!(
        added["last_activity_at"], NOW,
        "being added is management activity"
    );
    assert_eq!(added["ad_cache_updated_at"], Value::Null);
    assert_eq!(added["status"], "STALE", "a cache never taken is stale");
    assert_eq!(added["refresh_available"], true);

    let list = s.json(&["accounts", "list"]);
    let a = &list[0];
    for key in [
        "id",
        "name",
        "tenant_id",
        "source",
        "status",
        "refresh_available",
        "lifecycle",
        "last_activity_at",
        "ad_cache_updated_at",
        "last_check_at",
        "last_check_ok",
        "ad_users",
        "ad_groups",
    ] {
        assert!(a.get(key).is_some(), "accounts list lacks {key}: {a}");
    }
    assert_eq!(list.count(), 1);
}

#[test]
fn a_relative_fixture_path_is_stored_absolute() {
    let s = Sandbox::new();
    s.fixture("t.json", &healthy());
    let a = s.json(&["accounts", "add", "c", "--source", "fixture:t.json"]);
    let want = format!("fixture:{}", s.path("t.json").display());
    assert_eq!(a["source"], want.as_str());
}

#[test]
fn accounts_are_found_by_id_or_case_insensitive_name() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("Contoso", &f, &[]);
    assert_eq!(s.json(&["accounts", "show", "CONTOSO"])["id"], 1);
    assert_eq!(s.json(&["accounts", "show", "1"])["name"], "Contoso");
}

#[test]
fn a_duplicate_name_is_refused_whatever_its_case() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("Contoso", &f, &[]);
    s.fails(
        &["accounts", "add", "contoso", "--source", "fixture:t.json"],
        &["already exists"],
    );
    assert_eq!(s.json(&["accounts"]).count(), 1);
}

#[test]
fn an_unknown_account_is_named_with_suggestions() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("contoso", &f, &[]);
    s.add("fabrikam", &f, &[]);
    let err = s.fails(
        &["accounts", "show", "contso"],
        &["contso", "did you mean contoso"],
    );
    assert!(!err.contains("fabrikam"), "{err}");
    let err = s.fails(&["refresh", "zzz"], &["unknown account 'zzz'"]);
    assert!(!err.contains("did you mean"), "{err}");
    s.fails(&["accounts", "show", "99"], &["99"]);
}

#[test]
fn bad_account_input_is_refused_with_exit_1() {
    let s = Sandbox::new();
    s.fails(
        &["accounts", "add", "c", "--source", "contoso.json"],
        &["--source", "fixture:PATH"],
    );
    s.fails(
        &["accounts", "add", "1234", "--source", "fixture:x.json"],
        &["all digits"],
    );
    let out = s.run(&[
        "accounts",
        "add",
        "c",
        "--source",
        "fixture:x",
        "--lifecycle",
        "sleeping",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad flag value is a usage error"
    );
    assert!(s.json(&["accounts"]).items().is_empty());
}

#[test]
fn statuses_follow_the_facts_and_the_clock() {
    let mut s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    let src = format!("fixture:{}", f.display());
    let csv = format!(
        "name,source,lifecycle,last_activity_at,ad_cache_updated_at\n\
         active,{src},ready,2026-11-30T07:00:00Z,2026-11-30T07:00:00Z\n\
         stale,{src},ready,2026-11-30T07:00:00Z,2026-11-29T07:59:59Z\n\
         inactive,{src},ready,2026-11-23T07:59:59Z,2026-11-30T07:00:00Z\n\
         dormant,{src},ready,2026-10-31T07:59:59Z,2026-11-30T07:00:00Z\n\
         provisioning,{src},provisioning,,\n\
         upgrading,{src},upgrading,,\n\
         deleting,{src},deleting,,\n\
         deleted,{src},deleted,,\n\
         edge,{src},ready,2026-11-23T08:00:00Z,2026-11-29T08:00:00Z\n"
    );
    std::fs::write(s.path("a.csv"), csv).unwrap();
    s.json(&["accounts", "import", "a.csv"]);
    let status_of = |s: &Sandbox| -> Vec<(String, String)> {
        s.json(&["accounts", "list"])
            .items()
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap().to_string(),
                    a["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let want: Vec<(String, String)> = [
        ("active", "ACTIVE"),
        ("stale", "STALE"),
        ("inactive", "INACTIVE"),
        ("dormant", "DORMANT"),
        ("provisioning", "PROVISIONING"),
        ("upgrading", "UPGRADING"),
        ("deleting", "DELETING"),
        ("deleted", "DELETED"),
        ("edge", "ACTIVE"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(
        status_of(&s),
        want,
        "thresholds are strict: exactly 7d / 24h old is not yet past"
    );

    s.at("2026-11-30T08:00:01Z");
    let edge = status_of(&s)
        .into_iter()
        .find(|(n, _)| n == "edge")
        .unwrap();
    assert_eq!(
        edge.1, "INACTIVE",
        "one second later, time alone changed the status"
    );

    let refreshable = s.json(&["accounts", "list", "--refreshable"]);
    let names: Vec<_> = refreshable
        .items()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["stale", "inactive", "dormant", "edge"]);
    assert!(
        refreshable
            .items()
            .iter()
            .all(|a| a["refresh_available"] == true)
    );

    let filtered = s.json(&[
        "accounts", "list", "--status", "stale", "--status", "DELETED",
    ]);
    let names: Vec<_> = filtered
        .items()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["stale", "deleted"]);
}

#[test]
fn disconnected_comes_from_a_failed_check_and_wins_over_idleness() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &o365_expired());
    s.add("c", &f, &["--last-activity", "2026-09-01T00:00:00Z"]);
    assert_eq!(s.json(&["accounts", "show", "c"])["status"], "DORMANT");
    s.json_code(3, &["audit", "c"]);
    let a = s.json(&["accounts", "show", "c"]);
    assert_eq!(a["status"], "DISCONNECTED");
    assert_eq!(a["refresh_available"], false);
    assert_eq!(a["last_check_ok"], false);
    assert_eq!(a["last_check"]["office365"]["ok"], false);
    assert_eq!(a["last_check"]["office365"]["error"], "token expired");
    assert_eq!(a["last_check"]["azure"]["ok"], true);
}

#[test]
fn import_reads_csv_and_json_from_files_and_stdin() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    std::fs::write(
        s.path("a.csv"),
        format!(
            "name,source,tenant_id\nalpha,fixture:{},alpha.onmicrosoft.com\n",
            f.display()
        ),
    )
    .unwrap();
    let a = s.json(&["accounts", "import", "a.csv"]);
    assert_eq!(a[0]["name"], "alpha");
    assert_eq!(a[0]["tenant_id"], "alpha.onmicrosoft.com");

    let json = json!([{ "name": "beta", "source": "fixture:t.json", "lifecycle": "upgrading",
                        "ad_cache_updated_at": "2026-11-30T07:00:00+00:00" }]);
    let out = s.run_with_stdin(
        &["-o", "json", "accounts", "import", "-"],
        &json.to_string(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let b: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(b[0]["lifecycle"], "upgrading");
    assert_eq!(b[0]["ad_cache_updated_at"], "2026-11-30T07:00:00Z");

    let out = s.run_with_stdin(
        &["-o", "json", "accounts", "import", "-"],
        "name,source\ngamma,fixture:t.json\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.json(&["accounts"]).count(), 3);
}

#[test]
fn a_bad_import_row_imports_nothing_and_names_the_row_and_field() {
    let s = Sandbox::new();
    s.fixture("t.json", &healthy());
    let csv = "name,source,lifecycle\nok1,fixture:t.json,ready\nok2,fixture:t.json,ready\nbad,fixture:t.json,sleeping\n";
    std::fs::write(s.path("a.csv"), csv).unwrap();
    s.fails(
        &["accounts", "import", "a.csv"],
        &["row 3", "lifecycle", "sleeping"],
    );

    let json = r#"[{"name": "x", "source": "fixture:t.json"}, {"name": "y", "source": "fixture:t.json", "last_activity_at": "last week"}]"#;
    std::fs::write(s.path("a.json"), json).unwrap();
    s.fails(
        &["accounts", "import", "a.json"],
        &["row 2", "last_activity_at"],
    );

    std::fs::write(
        s.path("dup.csv"),
        "name,source\nsame,fixture:t.json\nSAME,fixture:t.json\n",
    )
    .unwrap();
    s.fails(
        &["accounts", "import", "dup.csv"],
        &["row 2", "already exists"],
    );

    std::fs::write(s.path("nosource.csv"), "name\nx\n").unwrap();
    s.fails(&["accounts", "import", "nosource.csv"], &["source"]);
    s.fails(&["accounts", "import", "missing.csv"], &["missing.csv"]);

    assert!(
        s.json(&["accounts"]).items().is_empty(),
        "nothing was imported"
    );
}

#[test]
fn csv_output_quotes_names_with_commas_and_quotes() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("Contoso, \"The\" Ltd.", &f, &[]);
    let out = s.run(&["-o", "csv", "accounts", "list"]);
    assert!(out.status.success());
    let text = stdout(&out);
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("id,name,tenant_id,source,status,refresh_available")
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("1,\"Contoso, \"\"The\"\" Ltd.\",,fixture:"),
        "{row}"
    );
    assert_eq!(lines.next(), None);
    // Round trip through a CSV reader.
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let rec = r.records().next().unwrap().unwrap();
    assert_eq!(&rec[1], "Contoso, \"The\" Ltd.");
    assert_eq!(&rec[4], "STALE");
}

#[test]
fn table_output_is_for_people_and_has_no_colour_without_a_terminal() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("contoso", &f, &[]);
    let out = s.run(&["accounts", "list"]);
    let text = stdout(&out);
    assert!(
        text.contains("contoso") && text.contains("STALE") && text.contains("↻"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no escape codes when not on a terminal"
    );
    assert!(
        out.stderr.is_empty(),
        "no notes or bars off a terminal: {}",
        stderr(&out)
    );
}

#[test]
fn show_carries_the_latest_refresh() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("c", &f, &[]);
    assert_eq!(
        s.json(&["accounts", "show", "c"])["latest_refresh"],
        Value::Null
    );
    let r = s.json(&["refresh", "c"]);
    let a = s.json(&["accounts", "show", "c"]);
    assert_eq!(a["latest_refresh"]["activity_id"], r["activity_id"]);
    assert_eq!(a["latest_refresh"]["decision"], "new");
    assert_eq!(a["latest_refresh"]["status"], "COMPLETE");
    assert_eq!(a["ad_users"], 2);
    assert_eq!(a["ad_groups"], 1);
    assert_eq!(a["last_check"]["task_id"], r["tasks"][1]["id"]);
}

#[test]
fn remove_deletes_the_account_and_its_data() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("gone", &f, &[]);
    s.add("kept", &f, &[]);
    s.json(&["refresh", "gone"]);
    s.json(&["refresh", "kept"]);
    let removed = s.json(&["accounts", "remove", "GONE"]);
    assert_eq!(removed["id"], 1);
    s.fails(&["accounts", "show", "gone"], &["unknown account"]);
    let tasks = s.json(&["tasks", "--show-automated"]);
    assert!(
        tasks.items().iter().all(|t| t["account"] == "kept"),
        "{tasks}"
    );
    assert_eq!(tasks.count(), 3);
    let logs = s.json(&["logs", "--limit", "0"]);
    assert!(logs.items().iter().all(|l| l["account_id"] != 1), "{logs}");
}

#[test]
fn no_name_can_be_taken_for_an_id_so_no_command_picks_the_wrong_account() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("contoso", &f, &[]);
    for id_like in ["+1", "-1", "007", "#1"] {
        s.fails(
            &[
                "accounts",
                "add",
                "--source",
                "fixture:t.json",
                "--",
                id_like,
            ],
            &[id_like, "account id"],
        );
    }
    // The explicit form takes the id only.
    assert_eq!(s.json(&["accounts", "show", "#1"])["name"], "contoso");
    s.fails(&["accounts", "show", "#2"], &["no account has id 2"]);
    s.fails(&["accounts", "show", "#x"], &["#x"]);

    // A name stored before the rule that reads as another account's id is
    // ambiguous: refused, nothing removed.
    let legacy = s.add("legacy", &f, &[]);
    s.sql(&format!(
        "UPDATE accounts SET name = '+1', name_key = '+1' WHERE id = {legacy}"
    ));
    s.fails(&["accounts", "remove", "+1"], &["ambiguous", "#1", "#2"]);
    assert_eq!(s.json(&["accounts"]).count(), 2, "nothing was removed");
    // audit --all takes every account by id, the legacy one too.
    let r = s.json(&["audit", "--all"]);
    let audited: Vec<i64> = r
        .items()
        .iter()
        .map(|a| a["account_id"].as_i64().unwrap())
        .collect();
    assert_eq!(audited, [1, legacy]);
    let removed = s.json(&["accounts", "remove", "#2"]);
    assert_eq!(removed["name"], "+1");
    assert_eq!(s.json(&["accounts", "show", "+1"])["name"], "contoso");
}

#[test]
fn names_that_look_alike_are_one_account_and_invisible_characters_are_refused() {
    let s = Sandbox::new();
    s.fixture("t.json", &healthy());
    let nfc = "Caf\u{e9}";
    let nfd = "Cafe\u{301}";
    let added = s.json(&["accounts", "add", nfd, "--source", "fixture:t.json"]);
    assert_eq!(added["name"], nfc, "stored in NFC");
    s.fails(
        &["accounts", "add", nfc, "--source", "fixture:t.json"],
        &["already exists"],
    );
    assert_eq!(s.json(&["accounts", "show", "CAFE\u{301}"])["id"], 1);
    for (name, code) in [
        ("zero\u{200B}width", "U+200B"),
        ("\u{202E}evil", "U+202E"),
        ("bom\u{FEFF}", "U+FEFF"),
        ("bell\u{7}", "U+0007"),
    ] {
        s.fails(
            &["accounts", "add", name, "--source", "fixture:t.json"],
            &[code],
        );
    }
    assert_eq!(s.json(&["accounts"]).count(), 1);
}

#[test]
fn control_characters_in_imported_fields_are_refused() {
    let s = Sandbox::new();
    s.fixture("t.json", &healthy());
    let json = r#"[{"name": "a", "source": "fixture:t.json"},
                   {"name": "b", "source": "fixture:t.json\u0000.evil"}]"#;
    std::fs::write(s.path("nul.json"), json).unwrap();
    s.fails(
        &["accounts", "import", "nul.json"],
        &["row 2", "source", "U+0000"],
    );
    let json =
        r#"[{"name": "c", "source": "fixture:t.json", "tenant_id": "x\u001b]0;PWNED\u0007"}]"#;
    std::fs::write(s.path("esc.json"), json).unwrap();
    s.fails(
        &["accounts", "import", "esc.json"],
        &["row 1", "tenant_id", "U+001B"],
    );
    assert!(s.json(&["accounts"]).items().is_empty());
}

#[test]
fn a_name_twice_in_one_import_names_both_rows() {
    let s = Sandbox::new();
    s.fixture("t.json", &healthy());
    std::fs::write(
        s.path("dup.csv"),
        "name,source\nfirst,fixture:t.json\nsame,fixture:t.json\nSAME,fixture:t.json\n",
    )
    .unwrap();
    let err = s.fails(
        &["accounts", "import", "dup.csv"],
        &["row 3", "row 2", "already exists"],
    );
    assert!(!err.contains("id "), "no id of a rolled-back row: {err}");
}

#[test]
fn directory_lists_the_ad_cache_with_filters_in_every_format() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("contoso", &f, &[]);
    assert!(
        s.json(&["directory", "users", "contoso"])
            .items()
            .is_empty(),
        "no sync yet"
    );
    s.json(&["audit", "contoso"]);
    let users = s.json(&["directory", "users", "contoso"]);
    assert_eq!(
        users,
        json!([
            {"id": "u1", "display_name": "Ada", "upn": "ada@contoso.com", "enabled": true},
            {"id": "u2", "display_name": "Grace", "upn": "grace@contoso.com", "enabled": false}
        ])
    );
    let disabled = s.json(&["directory", "users", "#1", "--disabled"]);
    assert_eq!(disabled.ids_str(), ["u2"]);
    let found = s.json(&["directory", "users", "contoso", "--search", "ADA@"]);
    assert_eq!(found.ids_str(), ["u1"]);
    let groups = s.json(&["directory", "groups", "contoso"]);
    assert_eq!(groups, json!([{"id": "g1", "display_name": "IT"}]));
    assert!(
        s.json(&["directory", "groups", "contoso", "--search", "hr"])
            .items()
            .is_empty()
    );
    let csv = stdout(&s.run(&["-o", "csv", "directory", "users", "contoso"]));
    assert_eq!(
        csv,
        "id,display_name,upn,enabled\nu1,Ada,ada@contoso.com,true\nu2,Grace,grace@contoso.com,false\n"
    );
    let table = stdout(&s.run(&["directory", "users", "contoso"]));
    assert!(table.contains("Grace") && table.contains("UPN"), "{table}");
    s.fails(&["directory", "users", "nope"], &["unknown account 'nope'"]);
}

#[test]
fn on_a_terminal_remove_asks_first_and_yes_skips_the_question() {
    use std::io::Write;
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("contoso", &f, &[]);
    let on_tty_answering = |answer: &str, args: &str| {
        let mut child = Command::new("script")
            .args([
                "-qec",
                &format!("{} {args}", env!("CARGO_BIN_EXE_nfa")),
                "/dev/null",
            ])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NFA_DB", &s.db)
            .env("NFA_NOW", &s.now)
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .current_dir(s.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        stdin.write_all(answer.as_bytes()).unwrap();
        drop(stdin);
        stdout(&child.wait_with_output().unwrap())
    };
    let said = on_tty_answering("n\n", "accounts remove contoso");
    assert!(said.contains("remove account 'contoso' (id 1)"), "{said}");
    assert!(said.contains("nothing was removed"), "{said}");
    assert_eq!(s.json(&["accounts", "list"]).count(), 1);
    let said = on_tty_answering("y\n", "accounts remove contoso");
    assert!(said.contains("removed account contoso"), "{said}");
    assert_eq!(s.json(&["accounts", "list"]).count(), 0);
    s.add("fabrikam", &f, &[]);
    let said = on_tty_answering("", "accounts remove fabrikam --yes");
    assert!(
        !said.contains("[y/N]") && said.contains("removed account fabrikam"),
        "{said}"
    );
}

#[test]
fn fixture_paths_in_an_import_file_are_relative_to_it_and_a_missing_one_is_warned_of() {
    let s = Sandbox::new();
    let dir = s.path("imports");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("here.json"),
        serde_json::to_vec(&healthy()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("accounts.csv"),
        "name,source\ncontoso,fixture:here.json\nfabrikam,fixture:later.json\n",
    )
    .unwrap();
    // Run from the sandbox, not from the file's directory.
    let out = s.run(&["-o", "json", "accounts", "import", "imports/accounts.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let added: Value = serde_json::from_slice(&out.stdout).unwrap();
    let here = dir.join("here.json").canonicalize().unwrap();
    assert_eq!(
        Path::new(
            added[0]["source"]
                .as_str()
                .unwrap()
                .strip_prefix("fixture:")
                .unwrap()
        )
        .canonicalize()
        .unwrap(),
        here
    );
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("warning: account 'fabrikam'") && err.contains("later.json"),
        "{err}"
    );
    // The same for one added by hand.
    let out = s.run(&[
        "accounts",
        "add",
        "northwind",
        "--source",
        "fixture:nowhere.json",
    ]);
    assert!(out.status.success());
    assert!(
        stderr(&out).starts_with("warning: account 'northwind'"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        s.json_code(3, &["refresh", "contoso", "fabrikam"]).count(),
        2
    );
}
