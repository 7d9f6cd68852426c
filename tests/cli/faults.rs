//! Team mode under faults, on the real server: a TCP proxy on 127.0.0.1
//! between `nfa` and PostgreSQL that can stall at connect, go silent in the
//! middle of a run, or reset every connection; a lock another host holds
//! while Ctrl-C comes; the heartbeat's own connection ended. Every wait
//! ends in bounded time, and nothing is left half-written.

use super::*;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The bytes one connection's client sent, as they came.
type Tap = Arc<Mutex<Vec<u8>>>;

/// One proxied connection: both sockets and whether it went silent.
struct Pair {
    client: TcpStream,
    server: TcpStream,
    silent: Arc<AtomicBool>,
}

/// A TCP proxy to the test server. Bounded: its threads end when it is
/// dropped (or their sockets close).
struct Proxy {
    port: u16,
    /// New connections are accepted and never answered.
    stall_new: Arc<AtomicBool>,
    /// A connection goes silent once it has sent this many bytes to the
    /// server (0: never).
    silent_after: Arc<std::sync::atomic::AtomicUsize>,
    pairs: Arc<Mutex<Vec<Pair>>>,
    stop: Arc<AtomicBool>,
    /// What each connection's client sent to the server, in order.
    sent: Arc<Mutex<Vec<Tap>>>,
}

impl Proxy {
    fn start() -> Proxy {
        let upstream = {
            let url = url::Url::parse(&std::env::var("NFA_TEST_POSTGRES").unwrap()).unwrap();
            format!(
                "{}:{}",
                url.host_str().unwrap_or("127.0.0.1"),
                url.port().unwrap_or(5432)
            )
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let proxy = Proxy {
            port: listener.local_addr().unwrap().port(),
            stall_new: Arc::new(AtomicBool::new(false)),
            silent_after: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            pairs: Arc::new(Mutex::new(vec![])),
            stop: Arc::new(AtomicBool::new(false)),
            sent: Arc::new(Mutex::new(vec![])),
        };
        let sent = proxy.sent.clone();
        let silent_after = proxy.silent_after.clone();
        let (stall_new, pairs, stop) = (
            proxy.stall_new.clone(),
            proxy.pairs.clone(),
            proxy.stop.clone(),
        );
        std::thread::spawn(move || {
            let mut held = vec![];
            while !stop.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                if stall_new.load(Ordering::SeqCst) {
                    held.push(client); // accepted, never answered
                    continue;
                }
                let server = TcpStream::connect(&upstream).unwrap();
                let silent = Arc::new(AtomicBool::new(false));
                let limit = silent_after.load(Ordering::SeqCst);
                let tap = Arc::new(Mutex::new(vec![]));
                sent.lock().unwrap().push(tap.clone());
                for (from, to, limit, tap) in [
                    (
                        client.try_clone().unwrap(),
                        server.try_clone().unwrap(),
                        limit,
                        Some(tap),
                    ),
                    (
                        server.try_clone().unwrap(),
                        client.try_clone().unwrap(),
                        0,
                        None,
                    ),
                ] {
                    let (silent, stop) = (silent.clone(), stop.clone());
                    std::thread::spawn(move || pump(from, to, &silent, &stop, limit, tap));
                }
                pairs.lock().unwrap().push(Pair {
                    client,
                    server,
                    silent,
                });
            }
        });
        proxy
    }

    /// The sandbox's database URL, through this proxy.
    fn url(&self, s: &Sandbox) -> String {
        let mut url = url::Url::parse(&s.pg.as_ref().unwrap().url).unwrap();
        url.set_port(Some(self.port)).unwrap();
        url.set_query(Some("sslmode=disable&connect_timeout=2"));
        url.to_string()
    }

    /// Every connection open now goes silent (bytes are taken and dropped,
    /// nothing is answered); new ones are still forwarded.
    fn silence_open_connections(&self) {
        for p in self.pairs.lock().unwrap().iter() {
            p.silent.store(true, Ordering::SeqCst);
        }
    }

    /// The statement name of every Parse message the clients sent ("" for
    /// an unnamed statement).
    fn parsed_names(&self) -> Vec<String> {
        self.parsed().into_iter().map(|(name, _)| name).collect()
    }

    /// Every Parse message the clients sent: the statement's name ("" for
    /// an unnamed one) and its text, read from the protocol's framing (the
    /// URL has no TLS): after the startup message, a type byte and a length.
    fn parsed(&self) -> Vec<(String, String)> {
        let mut parsed = vec![];
        for tap in self.sent.lock().unwrap().iter() {
            let bytes = tap.lock().unwrap().clone();
            let len =
                |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            if bytes.len() < 4 {
                continue;
            }
            let mut at = len(0); // the startup message
            while at + 5 <= bytes.len() {
                let (kind, n) = (bytes[at], len(at + 1));
                if kind == b'P' {
                    let body = &bytes[at + 5..(at + 1 + n).min(bytes.len())];
                    let mut words = body.split(|b| *b == 0).map(String::from_utf8_lossy);
                    let name = words.next().unwrap_or_default().into_owned();
                    let text = words.next().unwrap_or_default().into_owned();
                    parsed.push((name, text));
                }
                at += 1 + n;
            }
        }
        parsed
    }

    /// Every connection open now is reset.
    fn reset_open_connections(&self) {
        for p in self.pairs.lock().unwrap().drain(..) {
            let _ = p.client.shutdown(Shutdown::Both);
            let _ = p.server.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.reset_open_connections();
    }
}

/// Copies `from` to `to` until either closes; while `silent`, what comes
/// is dropped. Past `limit` bytes (0: none), the connection goes silent.
fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    silent: &AtomicBool,
    stop: &AtomicBool,
    limit: usize,
    tap: Option<Tap>,
) {
    let mut sent = 0;
    from.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 16 * 1024];
    while !stop.load(Ordering::SeqCst) {
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) if !silent.load(Ordering::SeqCst) => {
                sent += n;
                if let Some(tap) = &tap {
                    tap.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                if limit > 0 && sent > limit {
                    silent.store(true, Ordering::SeqCst);
                } else if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// A team sandbox with contoso over `tenant`, reached through a proxy.
fn proxied(tenant: &Value) -> (Sandbox, Proxy, String) {
    let s = Sandbox::new();
    let f = s.fixture("tenant.json", tenant);
    s.add("contoso", &f, &[]);
    let proxy = Proxy::start();
    let url = proxy.url(&s);
    (s, proxy, url)
}

postgres_only! {
    #[test]
    fn a_server_that_accepts_and_never_answers_is_given_up_within_the_connect_timeout() {
        let (s, proxy, url) = proxied(&healthy());
        proxy.stall_new.store(true, Ordering::SeqCst);
        let started = Instant::now();
        let out = s.cmd().env("NFA_DB", &url).args(["accounts", "list"]).output().unwrap();
        let waited = started.elapsed();
        let err = one_line_error(&out);
        assert!(waited < Duration::from_secs(8), "it waited {waited:?}");
        assert!(
            err.contains(&format!("cannot reach PostgreSQL at 127.0.0.1:{}", proxy.port))
                && err.contains("did not answer within 2s"),
            "{err}"
        );
    }
}

postgres_only! {
    #[test]
    fn a_path_that_goes_silent_mid_run_ends_in_bounded_time_with_its_tasks_in_error() {
        let (s, proxy, url) = proxied(&slow(2000));
        let run = s.spawn_with(
            &[
                ("NFA_DB", &url),
                ("NFA_PG_TIMEOUT", "3s"),
                ("NFA_LOCK_TIMEOUT", "1s"),
            ],
            &["refresh", "contoso"],
        );
        let _guard = KillOnDrop(run.id());
        s.wait_in_progress();
        proxy.silence_open_connections();
        let started = Instant::now();
        let out = run.wait_with_output().unwrap();
        let waited = started.elapsed();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(waited < Duration::from_secs(15), "it waited {waited:?}");
        let last = err.trim_end().lines().last().unwrap();
        assert!(
            last.starts_with("error: ") && last.contains("was lost") && last.contains("no answer for 3s"),
            "{err}"
        );
        // Through a new connection the run's tasks were ended, saying why;
        // nothing of the silent write was kept (no cache, no check).
        assert_eq!(s.unfinished().count(), 0, "{}", s.unfinished());
        let tasks = s.json(&["tasks", "--show-automated"]);
        for t in tasks.items().iter().filter(|t| t["automated"] == true) {
            assert_eq!(t["status"], "ERROR", "{t}");
            assert!(t["error"].as_str().unwrap().contains("was lost"), "{t}");
        }
        assert_eq!(s.sql_i64("SELECT count(*) FROM checks"), 0);
        assert_eq!(s.sql_i64("SELECT count(*) FROM ad_users"), 0);
    }
}

postgres_only! {
    #[test]
    fn connections_reset_mid_run_end_the_run_at_once_with_its_tasks_in_error() {
        let (s, proxy, url) = proxied(&slow(1500));
        let run = s.spawn_with(&[("NFA_DB", &url)], &["refresh", "contoso"]);
        let _guard = KillOnDrop(run.id());
        s.wait_in_progress();
        proxy.reset_open_connections();
        let started = Instant::now();
        let out = run.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
        let last = err.trim_end().lines().last().unwrap();
        assert!(last.starts_with("error: ") && last.contains("was lost"), "{err}");
        assert!(!err.contains("cannot reach"), "it was reached: {err}");
        assert_eq!(s.unfinished().count(), 0);
    }
}

postgres_only! {
    #[test]
    fn ctrl_c_while_another_host_holds_the_account_lock_exits_at_once_and_records_nothing() {
        let s = Sandbox::new();
        let f = s.fixture("tenant.json", &healthy());
        let id = s.add("contoso", &f, &[]);
        let before = s.sql_i64("SELECT count(*) FROM tasks");
        let mut other =
            postgres::Client::connect(&s.pg.as_ref().unwrap().url, postgres::NoTls).unwrap();
        let mut held = other.transaction().unwrap();
        held.execute("SELECT pg_advisory_xact_lock($1)", &[&id]).unwrap();
        let rollbacks = "SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()";
        let tried = s.sql_i64(rollbacks);
        let mut run = s.spawn(&["refresh", "contoso"]);
        let _guard = KillOnDrop(run.id());
        // It waits for the lock: tries, finds it taken, lets go, tries
        // again (the server counts the transactions it rolled back).
        let deadline = Instant::now() + Duration::from_secs(10);
        while s.sql_i64(rollbacks) < tried + 3 {
            assert!(Instant::now() < deadline, "the refresh never waited for the lock");
            assert!(run.try_wait().unwrap().is_none(), "the refresh ended without the lock");
            std::thread::sleep(Duration::from_millis(50));
        }
        let started = Instant::now();
        interrupt(&mut run);
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        // The server's wait ended too, and nothing was recorded.
        assert_eq!(
            s.sql_i64("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"),
            0
        );
        held.rollback().unwrap();
        assert_eq!(s.sql_i64("SELECT count(*) FROM tasks"), before);
    }
}

postgres_only! {
    #[test]
    fn a_run_whose_heartbeat_connection_is_ended_beats_on_and_is_not_taken_for_dead() {
        let s = Sandbox::new();
        let f = s.fixture("tenant.json", &slow(7000));
        s.add("contoso", &f, &[]);
        s.json(&["settings", "set", "heartbeat-timeout", "3s"]);
        let run = s.spawn_on("host-a", &["refresh", "contoso"]);
        let _guard = KillOnDrop(run.id());
        s.wait_in_progress();
        // The heartbeat's connection (and only it) is ended by the server.
        let deadline = Instant::now() + Duration::from_secs(10);
        while s.sql_i64(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'nfa heartbeat' AND datname = current_database()",
        ) == 0
        {
            assert!(Instant::now() < deadline, "no heartbeat connection");
            std::thread::sleep(Duration::from_millis(50));
        }
        s.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'nfa heartbeat' AND datname = current_database()",
        );
        // Past the heartbeat timeout, another host sees the run alive.
        std::thread::sleep(Duration::from_millis(4500));
        s.assert_seen_running("host-b", "contoso");
        let out = run.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

postgres_only! {
    #[test]
    fn a_copy_into_a_team_database_that_goes_silent_names_that_server() {
        let solo = Sandbox::sqlite();
        let f = solo.fixture("t.json", &healthy());
        let rows: Vec<Value> = (0..300)
            .map(|i| json!({ "name": format!("Customer {i} Holdings Limited"), "source": format!("fixture:{}", f.display()) }))
            .collect();
        let file = solo.path("accounts.json");
        std::fs::write(&file, serde_json::to_vec(&rows).unwrap()).unwrap();
        solo.json(&["accounts", "import", file.to_str().unwrap()]);
        solo.json(&["refresh", "--refreshable", "--no-run"]);
        let team = Sandbox::new();
        team.json(&["accounts", "list"]); // the schema, made directly
        let proxy = Proxy::start();
        // Past the schema check, in the middle of the rows.
        proxy.silent_after.store(60_000, Ordering::SeqCst);
        let url = proxy.url(&team);
        let out = solo
            .cmd()
            .env("NFA_PG_TIMEOUT", "2s")
            .env("NFA_LOCK_TIMEOUT", "1s")
            .args(["db", "copy", "--to", &url])
            .output()
            .unwrap();
        let err = one_line_error(&out);
        assert!(
            err.contains(&format!("PostgreSQL at 127.0.0.1:{} was lost", proxy.port)),
            "{err}"
        );
        // All or nothing: the team database holds nothing of it.
        assert_eq!(team.sql_i64("SELECT count(*) FROM accounts"), 0);
    }
}

/// The one line of standard error of a command that must exit 1.
fn one_line_error(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

postgres_only! {
    #[test]
    fn a_login_without_an_nfa_role_is_one_line_naming_the_grant() {
        let s = Sandbox::new();
        let f = s.fixture("t.json", &healthy());
        s.add("contoso", &f, &[]);
        // Rights on two tables by hand, but no nfa role.
        let login = Login::create(&s, "GRANT SELECT ON nfa_schema, logs TO ROLE;");
        let url = login.url(&s);
        let as_login = |args: &[&str]| s.cmd().env("NFA_DB", &url).args(args).output().unwrap();
        let out = as_login(&["accounts", "add", "fabrikam", "--source", &format!("fixture:{}", f.display())]);
        let err = one_line_error(&out);
        assert_eq!(
            err.trim_end(),
            format!(
                "error: user '{0}' has no nfa role in database '{1}': an admin grants one (nfa team grant {0} --role viewer)",
                login.name,
                s.pg.as_ref().unwrap().name
            )
        );
        assert_eq!(s.sql_i64("SELECT count(*) FROM accounts"), 1);
        // A table it may not read: nothing on standard output (no '[' of a
        // list that never came), one line naming the table and the fix.
        let out = as_login(&["-o", "json", "tasks"]); // (it reads the settings first)
        let err = one_line_error(&out);
        assert!(out.stdout.is_empty(), "{}", stdout(&out));
        assert!(
            err.contains(&format!("user '{}' may not use the table settings", login.name))
                && err.contains(&format!("nfa team grant {} --role", login.name)),
            "{err}"
        );
        s.sql(&format!("DROP OWNED BY {}", login.name));
    }
}

postgres_only! {
    #[test]
    fn a_copy_into_a_team_database_needs_its_admin_and_keeps_who_did_it() {
        let solo = Sandbox::sqlite();
        let f = solo.fixture("t.json", &healthy());
        solo.add("contoso", &f, &[]);
        solo.json(&["refresh", "contoso"]);
        let team = Sandbox::new();
        team.json(&["accounts", "list"]); // the schema, by its owner
        let engineer = Login::create(&team, "");
        team.json(&["team", "grant", &engineer.name, "--role", "engineer"]);
        let copy_as = |login: &Login| {
            solo.cmd()
                .args(["db", "copy", "--to", &login.url(&team)])
                .output()
                .unwrap()
        };
        let err = one_line_error(&copy_as(&engineer));
        assert!(
            err.contains(&format!("user '{}' (engineer) may not copy into this database", engineer.name)),
            "{err}"
        );
        assert_eq!(team.sql_i64("SELECT count(*) FROM accounts"), 0, "all or nothing");
        let admin = Login::create(&team, "");
        team.json(&["team", "grant", &admin.name, "--role", "admin"]);
        let out = copy_as(&admin);
        assert!(out.status.success(), "{}", stderr(&out));
        // The copied rows keep their engineer (the SQLite login), not the
        // admin who copied them; the team's new rows are its logins'.
        let users = |s: &Sandbox| -> Vec<Value> {
            s.json(&["tasks", "--show-automated"]).items().iter().map(|t| t["user"].clone()).collect()
        };
        assert_eq!(users(&team), vec![json!(suite_login()); 3]);
        assert_eq!(
            team.sql_i64(&format!("SELECT count(*) FROM logs WHERE username = '{}'", admin.name)),
            0
        );
        let refreshed = team.cmd().env("NFA_DB", admin.url(&team)).args(["-o", "json", "audit", "contoso"]).output().unwrap();
        assert!(refreshed.status.success(), "{}", stderr(&refreshed));
        assert_eq!(users(&team)[0], json!(admin.name));
    }
}

postgres_only! {
    #[test]
    fn an_emptied_schema_version_is_one_line_naming_the_fix() {
        let s = Sandbox::new();
        s.json(&["accounts", "list"]);
        s.sql("DELETE FROM nfa_schema");
        let insert = format!("INSERT INTO nfa_schema VALUES ({}, ", nfa::store::schema::LATEST);
        let err = s.fails(&["accounts", "list"], &["nfa_schema", "is empty", &insert]);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!err.contains("internal error"), "{err}");
    }
}

postgres_only! {
    #[test]
    fn a_bulk_refresh_stopped_by_an_error_shows_what_it_did_before_the_error() {
        let mut s = Sandbox::new();
        let f = s.fixture("t.json", &healthy());
        s.add("contoso", &f, &[]);
        let held_id = s.add("fabrikam", &f, &[]);
        // Another host holds fabrikam's lock for longer than the wait.
        let mut other =
            postgres::Client::connect(&s.pg.as_ref().unwrap().url, postgres::NoTls).unwrap();
        let mut held = other.transaction().unwrap();
        held.execute("SELECT pg_advisory_xact_lock($1)", &[&held_id]).unwrap();
        s.env.push(("NFA_LOCK_TIMEOUT".into(), "1s".into()));
        let out = s.run(&["-o", "json", "refresh", "contoso", "fabrikam"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("stayed locked"), "{err}");
        let done: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
        assert_eq!(done.count(), 1, "{done}");
        assert_eq!(done[0]["account"], "contoso");
        assert_eq!(done[0]["decision"], "new");
        held.rollback().unwrap();
    }
}

postgres_only! {
    #[test]
    fn a_write_sent_with_the_commit_that_fails_leaves_nothing_of_its_transaction() {
        let s = Sandbox::new();
        let f = s.fixture("t.json", &healthy());
        s.add("contoso", &f, &[]);
        let mut admin =
            postgres::Client::connect(&s.pg.as_ref().unwrap().url, postgres::NoTls).unwrap();
        // The refresh decision's log line goes out with its COMMIT (one
        // flight): the server refuses it.
        admin
            .batch_execute(
                "CREATE FUNCTION refuse_logs() RETURNS trigger LANGUAGE plpgsql
                   AS $$ BEGIN RAISE EXCEPTION 'no more log lines today'; END $$;
                 CREATE TRIGGER refuse_logs BEFORE INSERT ON logs
                   FOR EACH ROW EXECUTE FUNCTION refuse_logs();",
            )
            .unwrap();
        let dump = "SELECT count(*)::text || ' ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM tasks t";
        let tasks: String = admin.query_one(dump, &[]).unwrap().get(0);
        let accounts: String = admin
            .query_one("SELECT string_agg(t::text, '|') FROM accounts t", &[])
            .unwrap()
            .get(0);
        let out = s.run(&["refresh", "contoso"]);
        let err = one_line_error(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("no more log lines today"), "{err}");
        // Neither the activity (inserted first), nor the account's touch
        // (sent with the log line) was kept.
        assert_eq!(admin.query_one(dump, &[]).unwrap().get::<_, String>(0), tasks);
        let after: String = admin
            .query_one("SELECT string_agg(t::text, '|') FROM accounts t", &[])
            .unwrap()
            .get(0);
        assert_eq!(after, accounts);
        admin
            .batch_execute("DROP TRIGGER refuse_logs ON logs")
            .unwrap();
        assert_eq!(s.json(&["refresh", "contoso"])["decision"], "new");
    }
}

postgres_only! {
    #[test]
    fn the_accounts_named_on_the_command_line_are_found_in_one_statement() {
        let s = Sandbox::new();
        let f = s.fixture("t.json", &healthy());
        let names = ["contoso", "fabrikam", "tailspin", "northwind", "adatum"];
        for name in names {
            s.add(name, &f, &[]);
        }
        let proxy = Proxy::start();
        let mut cmd = s.cmd();
        cmd.env("NFA_DB", proxy.url(&s));
        // Named, by id, twice, in another case: five accounts.
        let out = cmd
            .args(["-o", "json", "refresh", "--no-run", "contoso", "#2", "TAILSPIN", "northwind", "adatum", "contoso"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let done: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(done.count(), 5, "{done}");
        let accounts: Vec<_> = done.items().iter().map(|r| r["account"].as_str().unwrap().to_string()).collect();
        assert_eq!(accounts, ["contoso", "fabrikam", "tailspin", "northwind", "adatum"]);
        // One lookup by name (and one by id), not one per account.
        let lookups: Vec<String> = proxy
            .parsed()
            .into_iter()
            .map(|(_, text)| text)
            .filter(|t| t.contains("FROM accounts a") && (t.contains("a.name_key") || t.contains("WHERE a.id IN")))
            .collect();
        assert_eq!(lookups.len(), 2, "{lookups:#?}");
        assert!(lookups.iter().all(|t| t.contains(" IN (")), "{lookups:#?}");
    }

    #[test]
    fn statements_used_again_are_prepared_unless_a_pooler_in_transaction_mode_may_stand_between() {
        let s = Sandbox::new();
        let f = s.fixture("t.json", &healthy());
        for name in ["contoso", "fabrikam", "tailspin"] {
            s.add(name, &f, &[]);
        }
        let run = |pooler: Option<&str>| {
            let proxy = Proxy::start();
            let mut cmd = s.cmd();
            cmd.env("NFA_DB", proxy.url(&s));
            if let Some(p) = pooler {
                cmd.env("NFA_PG_POOLER", p);
            }
            let out = cmd.args(["-o", "json", "refresh", "contoso", "fabrikam", "tailspin"]).output().unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
            let done: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(done.count(), 3, "{done}");
            proxy.parsed_names()
        };
        // Said to stand before the server itself (or a pooler in session
        // mode): the second account's decision sends the first's
        // statements again, prepared (named) then, and by name after.
        let names = run(Some("session"));
        assert!(names.iter().any(|n| !n.is_empty()), "{names:?}");
        assert!(names.iter().any(String::is_empty), "{names:?}");
        // Behind a pooler in transaction mode, never.
        let names = run(Some("transaction"));
        assert!(!names.is_empty());
        assert!(names.iter().all(String::is_empty), "{names:?}");
        // Unsaid: the proxy's port is not the one the server was reached
        // on, so something may stand between that loses them: never.
        let names = run(None);
        assert!(!names.is_empty());
        assert!(names.iter().all(String::is_empty), "{names:?}");
        // Any other value is refused, naming the two.
        let mut cmd = s.cmd();
        let out = cmd.env("NFA_PG_POOLER", "statement").args(["accounts", "list"]).output().unwrap();
        let err = one_line_error(&out);
        assert!(err.contains("NFA_PG_POOLER is 'statement'") && err.contains("'transaction'") && err.contains("'session'"), "{err}");
    }
}
