//! Who did it and who may: the `user` of tasks and log lines on both
//! backends, the four roles of a team database enforced by PostgreSQL
//! (through nfa and through a raw connection of the same login), `nfa
//! team`, and `NFA_PG_PASSWORD_COMMAND`.

use super::*;

/// The one line of standard error of a command that must exit 1.
fn one_line(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

/// The error of a command that must exit 1 (its hints allowed).
fn error_of(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

#[test]
fn tasks_and_log_lines_record_who_did_it_and_filter_by_it() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("contoso", &f, &[]);
    s.json(&["refresh", "contoso"]);
    let me = json!(suite_login());
    let tasks = s.json(&["tasks", "--show-automated"]);
    assert_eq!(tasks.count(), 3);
    assert!(tasks.items().iter().all(|t| t["user"] == me), "{tasks}");
    let logs = s.json(&["logs", "--limit", "0"]);
    assert!(logs.items().iter().all(|l| l["user"] == me), "{logs}");
    assert!(
        logs.items().iter().all(|l| l["account"] == "contoso"),
        "{logs}"
    );
    assert_eq!(
        s.json(&["tasks", "--show-automated", "--user", &suite_login()])
            .count(),
        3
    );
    assert_eq!(s.json(&["tasks", "--user", "somebody-else"]).count(), 0);
    assert_eq!(s.json(&["logs", "--user", "somebody-else"]).count(), 0);
    assert_eq!(
        s.json(&["logs", "--user", &suite_login(), "--limit", "0"])
            .count(),
        logs.count()
    );
    let out = s.run(&["-o", "csv", "tasks"]);
    assert!(
        stdout(&out).starts_with("id,parent_id,account_id,account,user,kind,"),
        "{}",
        stdout(&out)
    );
}

sqlite_only! {
    #[test]
    fn on_sqlite_the_user_is_the_operating_system_login_and_team_is_refused() {
        let s = Sandbox::new();
        let f = s.fixture("t.json", &healthy());
        let who = Command::new("id").arg("-un").output().unwrap();
        let login = String::from_utf8(who.stdout).unwrap().trim().to_string();
        // The real login: without the suite's stand-in.
        let out = s.cmd().env_remove("NFA_TEST_LOGIN").args(["accounts", "add", "contoso", "--source", &format!("fixture:{}", f.display())]).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let out = s.cmd().env_remove("NFA_TEST_LOGIN").args(["-o", "json", "refresh", "contoso"]).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let tasks = s.json(&["tasks", "--show-automated"]);
        assert!(tasks.items().iter().all(|t| t["user"] == json!(login)), "{tasks} vs {login}");
        for args in [&["team", "whoami"][..], &["team", "list"], &["team", "grant", "carol", "--role", "viewer"]] {
            let err = one_line(&s.run(args));
            assert!(err.contains("nfa team needs a team database (PostgreSQL)"), "{err}");
        }
    }
}

/// A team database with contoso (in carol's scope) and fabrikam, a refresh
/// of each, and one login per role (plus one with none).
#[cfg_attr(not(nfa_pg_tests), allow(dead_code))]
struct Team {
    s: Sandbox,
    viewer: Login,
    helpdesk: Login,
    engineer: Login,
    admin: Login,
    nobody: Login,
}

#[cfg_attr(not(nfa_pg_tests), allow(dead_code))]
impl Team {
    fn new() -> Team {
        let s = Sandbox::new();
        let f = s.fixture("t.json", &healthy());
        s.add("contoso", &f, &[]);
        s.add("fabrikam", &f, &[]);
        s.json(&["refresh", "contoso", "fabrikam"]);
        let t = Team {
            viewer: Login::create(&s, ""),
            helpdesk: Login::create(&s, ""),
            engineer: Login::create(&s, ""),
            admin: Login::create(&s, ""),
            nobody: Login::create(&s, ""),
            s,
        };
        t.s.json(&["team", "grant", &t.viewer.name, "--role", "viewer"]);
        t.s.json(&[
            "team",
            "grant",
            &t.helpdesk.name,
            "--role",
            "helpdesk",
            "--account",
            "contoso",
        ]);
        t.s.json(&["team", "grant", &t.engineer.name, "--role", "engineer"]);
        t.s.json(&["team", "grant", &t.admin.name, "--role", "admin"]);
        t.s.set_partner();
        t
    }

    fn as_login(&self, login: &Login, args: &[&str]) -> Output {
        self.s
            .cmd()
            .env("NFA_DB", login.url(&self.s))
            .args(args)
            .output()
            .unwrap()
    }

    fn raw(&self, login: &Login) -> postgres::Client {
        postgres::Client::connect(&login.url(&self.s), postgres::NoTls).unwrap()
    }

    /// Every row of every table, as the suite's own login reads them.
    fn dump(&self) -> String {
        let mut admin =
            postgres::Client::connect(&self.s.pg.as_ref().unwrap().url, postgres::NoTls).unwrap();
        let mut out = String::new();
        for t in [
            "accounts",
            "settings",
            "tasks",
            "logs",
            "checks",
            "ad_users",
            "ad_groups",
            "nfa_scope",
            "partner",
            "workers",
        ] {
            let row = admin
                .query_one(&format!("SELECT count(*)::text || ' ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {t} t"), &[])
                .unwrap();
            out.push_str(&format!("{t}: {}\n", row.get::<_, String>(0)));
        }
        let members = admin
            .query_one("SELECT count(*) FROM pg_auth_members am JOIN nfa_roles r ON r.grp::oid = am.roleid", &[])
            .unwrap();
        out.push_str(&format!("members: {}\n", members.get::<_, i64>(0)));
        out
    }
}

postgres_only! {
    #[test]
    fn every_role_may_what_the_contract_says_and_a_refusal_writes_nothing() {
        let t = Team::new();
        // No role at all: every command, one line naming the grant.
        for args in [&["accounts", "list"][..], &["refresh", "contoso"], &["tasks"]] {
            let before = t.dump();
            let err = one_line(&t.as_login(&t.nobody, args));
            assert!(err.contains(&format!("user '{0}' has no nfa role", t.nobody.name)), "{err}");
            assert_eq!(t.dump(), before);
        }
        let f = t.s.path("t.json");
        let source = format!("fixture:{}", f.display());
        let reads: &[&[&str]] = &[
            &["accounts", "list"],
            &["accounts", "show", "contoso"],
            &["tasks", "--show-automated"],
            &["tasks", "show", "1"],
            &["logs"],
            &["settings"],
            &["settings", "get", "refresh-window"],
            &["summary"],
            &["directory", "users", "contoso"],
            &["db", "info"],
            &["team", "whoami"],
            &["team", "list"],
            &["partner", "show"],
            &["prune", "--older-than", "1d", "--dry-run"],
        ];
        // (the command, the roles that may, what the refusal names)
        let writes: &[(&[&str], &[&str], &str)] = &[
            (&["refresh", "contoso"], &["helpdesk", "engineer", "admin"], "refresh accounts"),
            (&["accounts", "test", "contoso"], &["helpdesk", "engineer", "admin"], "test accounts"),
            (&["tasks", "run"], &["helpdesk", "engineer", "admin"], "run tasks"),
            (&["worker", "--once"], &["helpdesk", "engineer", "admin"], "run tasks"),
            (&["audit", "contoso"], &["engineer", "admin"], "audit accounts"),
            (&["accounts", "add", "NAME", "--source", &source], &["engineer", "admin"], "add accounts"),
            (&["settings", "set", "refresh-window", "2h"], &["admin"], "change settings"),
            (&["partner", "set", "--tenant-id", "p2", "--client-id", "app2", "--client-secret-env", "X"],
             &["admin"], "set the partner app"),
            (&["prune", "--older-than", "1d"], &["admin"], "prune the history"),
            (&["team", "grant", "NOBODY", "--role", "viewer"], &["admin"], "grant or revoke roles"),
            (&["accounts", "remove", "fabrikam", "--yes"], &["admin"], "remove accounts"),
        ];
        for (role, login) in [("viewer", &t.viewer), ("helpdesk", &t.helpdesk), ("engineer", &t.engineer), ("admin", &t.admin)] {
            for args in reads {
                let out = t.as_login(login, &[&["-o", "json"], *args].concat());
                assert!(out.status.success(), "{role} {args:?}: {}", stderr(&out));
            }
            for (args, may, action) in writes {
                let name = format!("new-{role}");
                let args: Vec<&str> = args
                    .iter()
                    .map(|a| match *a {
                        "NAME" => name.as_str(),
                        "NOBODY" => t.nobody.name.as_str(),
                        a => a,
                    })
                    .collect();
                let before = t.dump();
                let out = t.as_login(login, &[&["-o", "json"], &args[..]].concat());
                if may.contains(&role) {
                    assert!(out.status.success(), "{role} {args:?}: {}", stderr(&out));
                } else {
                    let err = one_line(&out);
                    assert!(
                        err.contains(&format!("user '{}' ({role}) may not {action}", login.name)),
                        "{role} {args:?}: {err}"
                    );
                    assert_eq!(t.dump(), before, "{role} {args:?} wrote something");
                }
            }
        }
    }
}

postgres_only! {
    #[test]
    fn a_helpdesk_sees_and_works_on_its_accounts_only() {
        let mut t = Team::new();
        t.s.at("2026-12-30T08:00:00Z");
        let t = t;
        let h = &t.helpdesk;
        let json = |args: &[&str]| -> Value {
            let out = t.as_login(h, &[&["-o", "json"], args].concat());
            assert!(out.status.success(), "{args:?}: {}", stderr(&out));
            serde_json::from_slice(&out.stdout).unwrap()
        };
        let accounts = json(&["accounts", "list"]);
        assert_eq!(accounts.count(), 1, "{accounts}");
        assert_eq!(accounts[0]["name"], "contoso");
        assert_eq!(json(&["summary"])["accounts"], 1);
        let tasks = json(&["tasks", "--show-automated", "--limit", "0"]);
        assert!(tasks.count() > 0 && tasks.items().iter().all(|x| x["account"] == "contoso"), "{tasks}");
        let logs = json(&["logs", "--limit", "0"]);
        assert!(logs.count() > 0 && logs.items().iter().all(|x| x["account"] == "contoso"), "{logs}");
        assert_eq!(json(&["db", "info"])["accounts"], 1);
        let me = json(&["team", "whoami"]);
        assert_eq!(me, json!({ "user": h.name, "role": "helpdesk", "accounts": ["contoso"] }));
        // The other account does not exist for it.
        for args in [&["accounts", "show", "fabrikam"][..], &["refresh", "fabrikam"], &["tasks", "--account", "fabrikam"]] {
            let err = error_of(&t.as_login(h, args));
            assert!(err.contains("unknown account 'fabrikam'"), "{err}");
        }
        // Its refresh is recorded under its login; tasks run takes only its
        // accounts' tasks.
        t.s.json(&["refresh", "fabrikam", "--no-run"]);
        let out = t.as_login(h, &["-o", "json", "refresh", "contoso", "--no-run"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let ran = t.as_login(h, &["-o", "json", "tasks", "run"]);
        assert!(ran.status.success(), "{}", stderr(&ran));
        let ran: Value = serde_json::from_slice(&ran.stdout).unwrap();
        assert_eq!(ran.count(), 2, "{ran}");
        assert!(ran.items().iter().all(|r| r["account"] == "contoso"), "{ran}");
        let mine = t.s.json(&["tasks", "--show-automated", "--user", &h.name]);
        assert_eq!(mine.count(), 3, "{mine}");
        assert_eq!(t.s.json(&["tasks", "--status", "PENDING", "--show-automated"]).count(), 3, "fabrikam's activity and its two tasks wait");
        // So does a worker of its: a later refresh of each, the worker
        // runs contoso's only.
        let later = |args: &[&str]| {
            t.s.cmd().env("NFA_NOW", "2026-12-30T20:00:00Z").env("NFA_DB", h.url(&t.s)).args(args).output().unwrap()
        };
        let out = later(&["-o", "json", "refresh", "contoso", "--no-run"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let ran = later(&["-o", "json", "worker", "--once"]);
        assert!(ran.status.success(), "{}", stderr(&ran));
        let ran: Vec<Value> = stdout(&ran).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(ran.len(), 2, "{ran:?}");
        assert!(ran.iter().all(|r| r["account"] == "contoso" && r["status"] == "COMPLETE"), "{ran:?}");
        assert_eq!(t.s.json(&["tasks", "--status", "PENDING", "--show-automated"]).count(), 3, "fabrikam's still wait");
        // A copy out of the database would be partial: refused.
        let err = one_line(&t.as_login(h, &["db", "copy", "--to", t.s.path("out.db").to_str().unwrap()]));
        assert!(err.contains("(helpdesk) may not copy the whole database"), "{err}");
    }
}

postgres_only! {
    #[test]
    fn the_same_logins_through_a_raw_connection_can_do_no_more() {
        let t = Team::new();
        let contoso = 1_i64;
        let fabrikam = 2_i64;
        let refused = |r: Result<u64, postgres::Error>, what: &str| {
            let e = r.expect_err(what);
            assert_eq!(e.code(), Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE), "{what}: {e}");
        };
        let insert = "INSERT INTO tasks (account_id, kind, automated, origin, status, created_at, username)
                      VALUES ($1, 0, 0, $2, 2, 0, 'mallory')";
        // Helpdesk: its accounts' rows only; no deletes, no audits, no
        // other account, no settings.
        let mut h = t.raw(&t.helpdesk);
        let n: i64 = h.query_one("SELECT count(*) FROM accounts", &[]).unwrap().get(0);
        assert_eq!(n, 1);
        let others: i64 = h.query_one("SELECT count(*) FROM tasks WHERE account_id <> $1", &[&contoso]).unwrap().get(0);
        assert_eq!(others, 0, "another account's tasks");
        let logs: i64 = h.query_one("SELECT count(*) FROM logs WHERE account_id IS DISTINCT FROM $1", &[&contoso]).unwrap().get(0);
        assert_eq!(logs, 0, "another account's log lines");
        refused(h.execute("DELETE FROM accounts", &[]), "helpdesk deletes accounts");
        refused(h.execute("DELETE FROM tasks", &[]), "helpdesk deletes tasks");
        refused(h.execute("UPDATE settings SET value = '1h'", &[]), "helpdesk changes settings");
        refused(h.execute("UPDATE accounts SET name = 'x'", &[]), "helpdesk renames");
        refused(h.execute(insert, &[&fabrikam, &0_i64]), "helpdesk writes another account's task");
        refused(h.execute(insert, &[&contoso, &1_i64]), "helpdesk audits");
        // A client naming another user still records the session's login.
        let row = h
            .query_one(&format!("{insert} RETURNING username"), &[&contoso, &0_i64])
            .unwrap();
        assert_eq!(row.get::<_, String>(0), t.helpdesk.name);
        refused(h.execute("UPDATE tasks SET username = 'mallory'", &[]), "helpdesk rewrites who");
        // Viewer: reads every row, writes nothing.
        let mut v = t.raw(&t.viewer);
        let n: i64 = v.query_one("SELECT count(DISTINCT account_id) FROM tasks", &[]).unwrap().get(0);
        assert_eq!(n, 2);
        refused(v.execute(insert, &[&contoso, &0_i64]), "viewer writes a task");
        refused(v.execute("UPDATE accounts SET last_activity_at = NULL", &[]), "viewer touches");
        refused(v.execute("INSERT INTO nfa_scope SELECT login, 2 FROM nfa_scope", &[]), "viewer widens a scope");
        // Engineer: account work, but no removals, pruning, settings,
        // scopes or roles.
        let mut e = t.raw(&t.engineer);
        refused(e.execute("DELETE FROM accounts", &[]), "engineer removes");
        refused(e.execute("DELETE FROM logs", &[]), "engineer prunes");
        refused(e.execute("UPDATE settings SET value = '1h'", &[]), "engineer changes settings");
        refused(e.execute("DELETE FROM nfa_scope", &[]), "engineer narrows a scope");
        refused(e.execute("UPDATE partner SET client_id = 'mallory'", &[]), "engineer changes the partner app");
        refused(h.execute("DELETE FROM partner", &[]), "helpdesk removes the partner app");
        let apps: i64 = v.query_one("SELECT count(*) FROM partner", &[]).unwrap().get(0);
        assert_eq!(apps, 1, "every role reads the partner app");
        let grp: String = e.query_one("SELECT grp::text FROM nfa_roles WHERE name = 'admin'", &[]).unwrap().get(0);
        let grant = e.batch_execute(&format!("GRANT {grp} TO {}", t.engineer.name)).unwrap_err();
        assert_eq!(grant.code(), Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE), "{grant}");
        let row = e.query_one(&format!("{insert} RETURNING username"), &[&fabrikam, &1_i64]).unwrap();
        assert_eq!(row.get::<_, String>(0), t.engineer.name, "an audit task, recorded as its login");
    }
}

postgres_only! {
    #[test]
    fn team_grant_revoke_and_their_errors() {
        let t = Team::new();
        let s = &t.s;
        let list = s.json(&["team", "list"]);
        let role_of = |list: &Value, user: &str| {
            list.items().iter().find(|m| m["user"] == user).map(|m| m["role"].clone())
        };
        assert_eq!(role_of(&list, &t.viewer.name), Some(json!("viewer")));
        assert_eq!(role_of(&list, &suite_login()), Some(json!("admin")), "the schema's owner: {list}");
        assert_eq!(role_of(&list, &t.nobody.name), None);
        // One role at a time: a new one replaces the old.
        let now = s.json(&["team", "grant", &t.viewer.name, "--role", "engineer"]);
        assert_eq!(now, json!({ "user": t.viewer.name, "role": "engineer", "accounts": [] }));
        assert_eq!(role_of(&s.json(&["team", "list"]), &t.viewer.name), Some(json!("engineer")));
        // A helpdesk's scope grows and narrows.
        let now = s.json(&["team", "grant", &t.helpdesk.name, "--role", "helpdesk", "--account", "fabrikam"]);
        assert_eq!(now["accounts"], json!(["contoso", "fabrikam"]));
        let now = s.json(&["team", "revoke", &t.helpdesk.name, "--account", "contoso"]);
        assert_eq!(now["accounts"], json!(["fabrikam"]));
        let out = t.as_login(&t.helpdesk, &["-o", "json", "accounts", "list"]);
        let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(seen.count(), 1);
        assert_eq!(seen[0]["name"], "fabrikam");
        // Revoked: no role, no scope.
        let now = s.json(&["team", "revoke", &t.helpdesk.name]);
        assert_eq!(now, json!({ "user": t.helpdesk.name, "role": null, "accounts": [] }));
        assert_eq!(s.sql_i64("SELECT count(*) FROM nfa_scope"), 0);
        let err = one_line(&t.as_login(&t.helpdesk, &["accounts", "list"]));
        assert!(err.contains("has no nfa role"), "{err}");
        // Errors: one line, nothing written.
        let before = t.dump();
        let err = one_line(&s.run(&["team", "grant", "no_such_login_anywhere", "--role", "viewer"]));
        assert!(err.contains("PostgreSQL has no login 'no_such_login_anywhere'") && err.contains("CREATE ROLE"), "{err}");
        let err = one_line(&s.run(&["team", "grant", &t.nobody.name, "--role", "viewer", "--account", "contoso"]));
        assert!(err.contains("--account scopes a helpdesk"), "{err}");
        let err = error_of(&s.run(&["team", "grant", &t.nobody.name, "--role", "helpdesk", "--account", "nowhere"]));
        assert!(err.contains("unknown account 'nowhere'"), "{err}");
        let err = one_line(&s.run(&["team", "revoke", &t.nobody.name]));
        assert!(err.contains("has no nfa role: nothing to revoke"), "{err}");
        let err = one_line(&s.run(&["team", "revoke", &t.engineer.name, "--account", "contoso"]));
        assert!(err.contains("--account narrows a helpdesk's scope"), "{err}");
        let err = one_line(&s.run(&["team", "grant", &suite_login(), "--role", "viewer"]));
        assert!(err.contains("may not change their own role"), "{err}");
        let group: String = s.sql_rows("SELECT grp::text FROM nfa_roles WHERE name = 'viewer'")[0][0].as_str().unwrap().to_string();
        let err = one_line(&s.run(&["team", "grant", &group, "--role", "viewer"]));
        assert!(err.contains("is a group role, not a login"), "{err}");
        assert_eq!(t.dump(), before);
        // A role that is not one of the four: a usage error naming them.
        let out = s.run(&["team", "grant", &t.nobody.name, "--role", "owner"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("viewer, helpdesk, engineer, admin"), "{}", stderr(&out));
        // Another admin may grant too.
        let out = t.as_login(&t.admin, &["-o", "json", "team", "grant", &t.nobody.name, "--role", "viewer"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

postgres_only! {
    #[test]
    fn the_password_command_runs_for_each_connection_and_its_output_stays_secret() {
        let t = Team::new();
        let login = &t.viewer;
        let script = |name: &str, body: &str| -> PathBuf {
            let p = t.s.path(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700)).unwrap();
            p
        };
        let runs = t.s.path("runs");
        let ok = script("ok.sh", &format!("echo run >> {}\necho 'tok-s3cret-123'", runs.display()));
        let with = |cmd: &Path, args: &[&str]| {
            t.s.cmd()
                .env("NFA_DB", login.url(&t.s))
                .env("NFA_PG_PASSWORD_COMMAND", cmd)
                .args(args)
                .output()
                .unwrap()
        };
        let out = with(&ok, &["-o", "json", "team", "whoami"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(!stdout(&out).contains("tok-s3cret") && !stderr(&out).contains("tok-s3cret"));
        assert_eq!(std::fs::read_to_string(&runs).unwrap().lines().count(), 1, "once per connection");
        let failing = script("fail.sh", "echo 'tok-s3cret-456'\necho 'az: please run az login' >&2\nexit 3");
        let out = with(&failing, &["accounts", "list"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("az: please run az login"), "its own message: {err}");
        assert!(err.contains("error: NFA_PG_PASSWORD_COMMAND failed (exit status 3)"), "{err}");
        assert!(!err.contains("tok-s3cret") && out.stdout.is_empty(), "{err}");
        let silent = script("empty.sh", "exit 0");
        let err = one_line(&with(&silent, &["accounts", "list"]));
        assert!(err.contains("NFA_PG_PASSWORD_COMMAND printed no password"), "{err}");
    }
}

postgres_only! {
    #[test]
    fn two_admins_granting_one_login_at_once_leave_it_one_role() {
        let t = Team::new();
        for _ in 0..5 {
            let spawn = |role: &str| {
                t.s.cmd()
                    .args(["-o", "json", "team", "grant", &t.nobody.name, "--role", role])
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap()
            };
            let (mut a, mut b) = (spawn("viewer"), spawn("engineer"));
            assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
            let roles = t.s.sql_i64(&format!(
                "SELECT count(*) FROM pg_auth_members am JOIN nfa_roles r ON r.grp::oid = am.roleid
                 WHERE am.member = (SELECT oid FROM pg_roles WHERE rolname = '{}')",
                t.nobody.name
            ));
            assert_eq!(roles, 1, "one role, whichever came last");
        }
    }
}
