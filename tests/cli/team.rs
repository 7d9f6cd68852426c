//! Team mode on PostgreSQL: what only a shared server has — engineers on
//! several hosts, their migrations, their connections and its errors. (The
//! rest of the suite runs on PostgreSQL too, in `tests/cli_postgres.rs`.)
//! Each test is reported as ignored in the SQLite build of the suite.

use super::*;

/// A team's database (these tests are `postgres_only!`: ignored in the
/// SQLite build of the suite, where they have nothing to say).
fn team() -> Sandbox {
    assert!(on_postgres(), "a team test runs in the PostgreSQL build");
    Sandbox::new()
}

/// [`team`] with one account, contoso, over `tenant`; and its id.
fn team_with_contoso(tenant: &Value) -> (Sandbox, i64) {
    let s = team();
    let f = s.fixture("tenant.json", tenant);
    let id = s.add("contoso", &f, &[]);
    (s, id)
}

postgres_only! {
    #[test]
    fn eight_engineers_on_eight_hosts_refreshing_one_account_give_one_new() {
        let (s, _) = team_with_contoso(&slow(1000));
        let engineers: Vec<Child> = (0..8)
            .map(|i| s.spawn_on(&format!("host-{i}"), &["refresh", "contoso"]))
            .collect();
        let mut decisions: Vec<String> = engineers
            .into_iter()
            .map(|c| {
                let out = c.wait_with_output().unwrap();
                assert!(out.status.success(), "{}", stderr(&out));
                let r: Value = serde_json::from_slice(&out.stdout).unwrap();
                r["decision"].as_str().unwrap().to_string()
            })
            .collect();
        decisions.sort();
        assert_eq!(decisions[..7], ["deduplicated"; 7]);
        assert_eq!(decisions[7], "new");
        // One refresh's two checks ran, once.
        let tasks = s.json(&["tasks", "--show-automated", "--limit", "0"]);
        assert_eq!(
            tasks
                .items()
                .iter()
                .filter(|t| t["automated"] == true)
                .count(),
            2
        );
    }
}

postgres_only! {
    #[test]
    fn a_killed_run_on_another_host_is_abandoned_once_its_heartbeat_stops() {
        let (s, _) = team_with_contoso(&slow(60_000));
        s.json(&["settings", "set", "heartbeat-timeout", "3s"]);
        let mut run = s.spawn_on("host-a", &["refresh", "contoso"]);
        let _guard = KillOnDrop(run.id());
        s.wait_in_progress();
        // While host A beats (every second), host B sees its run alive.
        std::thread::sleep(Duration::from_secs(4));
        let r = s.json_on("host-b", &["refresh", "contoso"]);
        assert_eq!(r["decision"], "deduplicated", "{r}");
        assert_eq!(r["earlier_status"], "IN_PROGRESS", "{r}");
        // kill -9: no chance to record anything; the heartbeat stops.
        Command::new("kill")
            .args(["-KILL", &run.id().to_string()])
            .status()
            .unwrap();
        run.wait().unwrap();
        std::thread::sleep(Duration::from_secs(5));
        let r = s.json_on("host-b", &["refresh", "contoso", "--no-run"]);
        assert_eq!(r["decision"], "retry", "silent past the limit: {r}");
        assert_eq!(r["earlier_status"], "ERROR", "{r}");
        let lines = s.json(&["logs", "--level", "error"]);
        assert!(
            lines
                .items()
                .iter()
                .any(|l| l["message"].as_str().unwrap().contains("host-a")),
            "the abandoned run is logged with its host: {lines}"
        );
    }
}

postgres_only! {
    #[test]
    fn engineers_starting_a_new_nfa_at_once_migrate_the_database_once() {
        let s = team();
        let starts: Vec<Child> = (0..8)
            .map(|i| s.spawn_on(&format!("host-{i}"), &["accounts", "list"]))
            .collect();
        for c in starts {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
            assert_eq!(stdout(&out).trim(), "[]");
        }
        assert_eq!(s.sql_i64("SELECT count(*) FROM nfa_schema"), 1);
        let info = s.json(&["db", "info"]);
        assert_eq!(info["schema_version"], nfa::store::schema::LATEST, "{info}");
    }
}

postgres_only! {
    #[test]
    fn a_database_a_newer_nfa_migrated_is_refused() {
        let s = team();
        s.json(&["accounts", "list"]);
        s.sql("UPDATE nfa_schema SET version = 99");
        s.fails(
            &["accounts", "list"],
            &["written by a newer nfa", "schema version 99", "upgrade nfa"],
        );
        // And a database of another application's tables is not taken over.
        let other = PgDatabase::create();
        let mut o = Sandbox::sqlite();
        o.db = PathBuf::from(&other.url);
        o.pg = Some(other);
        o.sql("CREATE TABLE invoices (id int)");
        o.fails(&["accounts", "list"], &["not an nfa database", "invoices"]);
        assert_eq!(
            o.sql_i64("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
            1
        );
    }
}

/// Runs `nfa accounts list` on `url`; its one-line error (exit 1).
fn one_line_error(s: &Sandbox, url: &str) -> String {
    let out = s.run(&["--db", url, "accounts", "list"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("s3cret"), "the password leaked: {err}");
    err
}

postgres_only! {
    #[test]
    fn the_errors_a_team_meets_are_one_line_and_name_the_fix() {
        let mut s = team();
        s.json(&["accounts", "list"]);
        // A password from the environment is never shown either.
        s.env.push(("PGPASSWORD".into(), "s3cret-from-env".into()));
        let server = "127.0.0.1:5432";
        // This server trusts every role it knows: an unknown one is how it
        // refuses a login.
        let err = one_line_error(
            &s,
            &format!("postgres://nobody_here:s3cret@{server}/postgres"),
        );
        assert!(err.contains("refused user 'nobody_here'"), "{err}");
        assert!(err.contains("password"), "{err}");
        let err = one_line_error(&s, &format!("postgres://root@{server}/nfa_no_such_db"));
        assert!(err.contains("has no database 'nfa_no_such_db'"), "{err}");
        assert!(err.contains("CREATE DATABASE"), "{err}");
        // A role that may log in but was granted nothing on nfa's tables.
        let role = format!("nfa_reader_{}", std::process::id());
        s.sql(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN"
        ));
        let mut url = url::Url::parse(&s.pg.as_ref().unwrap().url).unwrap();
        url.set_username(&role).unwrap();
        url.set_password(Some("s3cret")).unwrap();
        let err = one_line_error(&s, url.as_str());
        assert!(err.contains(&format!("user '{role}' has no nfa role")), "{err}");
        assert!(err.contains(&format!("nfa team grant {role} --role viewer")), "{err}");
        s.sql(&format!("DROP OWNED BY {role}; DROP ROLE {role}"));
        // sslmode=require verifies the certificate: this server's is
        // self-signed.
        let err = one_line_error(
            &s,
            &format!("{}?sslmode=require", s.pg.as_ref().unwrap().url),
        );
        assert!(
            err.contains("TLS to PostgreSQL at 127.0.0.1:5432 failed"),
            "{err}"
        );
        assert!(err.contains("certificate"), "{err}");
        // Unreachable: tests/cli/db.rs (no server needed).
    }
}

postgres_only! {
    #[test]
    fn a_follower_is_woken_by_the_server_not_by_polling() {
        let (s, _) = team_with_contoso(&healthy());
        let mut follow = s
            .cmd()
            .args(["logs", "--follow", "--limit", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let _guard = KillOnDrop(follow.id());
        // The follower's session: once it waits, it sends nothing (a poll
        // would start a query every 250 ms).
        let last_query = || -> Vec<Vec<Value>> {
            s.sql_rows(
                "SELECT query_start::text FROM pg_stat_activity
                 WHERE application_name = 'nfa' AND datname = current_database()",
            )
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while last_query().len() != 1 {
            assert!(Instant::now() < deadline, "the follower never connected");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(500));
        let before = last_query();
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(last_query(), before, "the follower polled meanwhile");
        s.json(&["refresh", "contoso"]);
        use std::io::{BufRead, BufReader};
        // The backlog (the account added), then the refresh's first line.
        let line = BufReader::new(follow.stdout.take().unwrap())
            .lines()
            .map(Result::unwrap)
            .find(|l| !l.contains("account added"))
            .unwrap();
        assert!(line.contains("Updating account status"), "{line}");
        interrupt(&mut follow);
    }
}

postgres_only! {
    #[test]
    fn a_connection_lost_in_the_middle_of_a_run_ends_its_tasks_in_error() {
        let (s, _) = team_with_contoso(&slow(3000));
        let run = s.spawn(&["refresh", "contoso"]);
        let _guard = KillOnDrop(run.id());
        s.wait_in_progress();
        // The server ends the run's sessions (a failover, a network cut).
        s.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'nfa' AND datname = current_database()",
        );
        let out = run.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        let last = err.trim_end().lines().last().unwrap();
        assert!(
            last.starts_with("error: ") && last.contains("was lost"),
            "{err}"
        );
        // Nothing is left IN_PROGRESS: the run's tasks ended ERROR, saying why.
        assert_eq!(s.unfinished().count(), 0);
        let tasks = s.json(&["tasks", "--show-automated"]);
        for t in tasks.items() {
            assert_eq!(t["status"], "ERROR", "{t}");
        }
        let checks = &tasks.items()[0];
        assert!(
            checks["error"].as_str().unwrap().contains("was lost"),
            "{checks}"
        );
    }
}

postgres_only! {
    #[test]
    fn an_account_locked_too_long_by_another_host_is_named_with_the_fix() {
        let (mut s, id) = team_with_contoso(&healthy());
        s.add("fabrikam", &s.path("tenant.json"), &[]);
        // Another host's transaction holds contoso's lock and does not end.
        let mut other =
            postgres::Client::connect(&s.pg.as_ref().unwrap().url, postgres::NoTls).unwrap();
        let mut held = other.transaction().unwrap();
        held.execute("SELECT pg_advisory_xact_lock($1)", &[&id])
            .unwrap();
        s.env.push(("NFA_LOCK_TIMEOUT".into(), "1s".into()));
        let err = s.fails(
            &["refresh", "contoso"],
            &["stayed locked", "1s", "NFA_LOCK_TIMEOUT"],
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        // Another account is not held up by it.
        assert_eq!(s.json(&["refresh", "fabrikam"])["decision"], "new");
        held.rollback().unwrap();
        assert_eq!(s.json(&["refresh", "contoso"])["decision"], "new");
    }
}

postgres_only! {
    #[test]
    fn a_deadlock_between_two_engineers_is_retried_unseen() {
        use nfa::domain::ids::AccountId;
        use nfa::store::Store;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let s = team();
        let f = s.fixture("tenant.json", &healthy());
        let one = s.add("contoso", &f, &[]);
        let two = s.add("fabrikam", &f, &[]);
        let attempts = AtomicUsize::new(0);
        // Two writers change two accounts' rows in opposite orders: the
        // server ends one of them as a deadlock (40P01), and nfa runs it
        // again.
        let writer = |first: i64, second: i64| {
            let store = Store::open(&s.location()).unwrap();
            let now = chrono::Utc::now();
            store.write(|db| {
                attempts.fetch_add(1, Ordering::SeqCst);
                // (A write whose answer is not needed goes out with the
                // next statement: a read sends it.)
                db.touch_activity(AccountId(first), now)?;
                db.server_secs()?;
                std::thread::sleep(Duration::from_millis(300));
                db.touch_activity(AccountId(second), now)?;
                db.server_secs().map(drop)
            })
        };
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| writer(one, two));
            let b = scope.spawn(|| writer(two, one));
            (a.join().unwrap(), b.join().unwrap())
        });
        assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
        assert_eq!(
            attempts.load(Ordering::SeqCst),
            3,
            "one of the two ran again"
        );
    }
}

postgres_only! {
    #[test]
    fn two_engineers_taking_two_accounts_locks_in_opposite_orders_both_get_through() {
        use nfa::domain::ids::AccountId;
        use nfa::store::Store;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let s = team();
        Store::open(&s.location()).unwrap();
        let attempts = AtomicUsize::new(0);
        // An account's lock is asked for without waiting on the server: the
        // one that finds it taken lets go of its own and tries again.
        let writer = |first: i64, second: i64| {
            let store = Store::open(&s.location()).unwrap();
            store.write(|db| {
                attempts.fetch_add(1, Ordering::SeqCst);
                db.lock_account(AccountId(first))?;
                db.server_secs()?;
                std::thread::sleep(Duration::from_millis(300));
                db.lock_account(AccountId(second))?;
                db.server_secs().map(drop)
            })
        };
        let started = Instant::now();
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| writer(1, 2));
            let b = scope.spawn(|| writer(2, 1));
            (a.join().unwrap(), b.join().unwrap())
        });
        assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
        assert!(attempts.load(Ordering::SeqCst) >= 3, "one of the two ran again");
        // No deadlock detection (a second, deadlock_timeout) was waited for.
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    }
}

postgres_only! {
    #[test]
    fn a_server_out_of_connections_is_waited_for_and_then_named() {
        use std::io::BufRead;
        let s = Sandbox::new();
        s.json(&["accounts", "list"]);
        // A login allowed one connection, and the test holds it.
        let login = Login::create(&s, "ALTER USER ROLE CONNECTION LIMIT 1");
        s.json(&["team", "grant", &login.name, "--role", "viewer"]);
        let held = postgres::Client::connect(&login.url(&s), postgres::NoTls).unwrap();
        let out = s
            .cmd()
            .env("NFA_DB", login.url(&s))
            .env("NFA_LOCK_TIMEOUT", "1s")
            .args(["accounts", "list"])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert!(lines[0].starts_with("warning: ") && lines[0].contains("too many connections"), "{err}");
        assert!(lines[1].starts_with("error: ") && lines[1].contains("max_connections"), "{err}");

        // Let go while it waits: it goes on.
        let mut child = s
            .cmd()
            .env("NFA_DB", login.url(&s))
            .env("NFA_LOCK_TIMEOUT", "60s")
            .args(["-o", "json", "accounts", "list"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.contains("waiting up to 60s"), "{first}");
        drop(held);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(stdout(&out).trim(), "[]");
    }
}

postgres_only! {
    #[test]
    fn the_quick_open_takes_only_the_schema_of_the_current_schema() {
        // nfa's tables in another schema on the search path, the current
        // schema empty: the quick open must not take them (the full check
        // reads the current schema only, and makes nfa's tables there).
        let s = Sandbox::new();
        let f = s.fixture("t.json", &healthy());
        s.add("contoso", &f, &[]);
        let name = s.pg.as_ref().unwrap().name.clone();
        s.sql(&format!(
            "ALTER SCHEMA public RENAME TO elsewhere; CREATE SCHEMA public;
             ALTER DATABASE {name} SET search_path = public, elsewhere"
        ));
        assert_eq!(s.json(&["accounts", "list"]), serde_json::json!([]));
        let here = s.sql_i64(
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public' AND tablename = 'nfa_schema'",
        );
        assert_eq!(here, 1, "the full check made nfa's schema in the current schema");
    }
}

postgres_only! {
    #[test]
    fn a_run_of_one_account_works_on_the_commands_own_connection() {
        let s = Sandbox::new();
        let f = s.fixture("slow.json", &slow(3000));
        s.add("contoso", &f, &[]);
        let running = s.spawn(&["refresh", "contoso", "--jobs", "8"]);
        s.wait_in_progress();
        // The process's connections to this database (the backends of
        // the commands that just ended may linger a moment: look again).
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut seen = vec![];
        while Instant::now() < deadline {
            seen.push(s.sql_i64(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            ));
            if seen.last() == Some(&1) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(seen.last(), Some(&1), "one connection, not one more for its one job: {seen:?}");
        let out = running.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

/// The TCP connections process `pid` holds to the server's `port` (its
/// socket inodes matched against the kernel's table).
fn connections_of(pid: u32, port: u16) -> usize {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0; // it has ended
    };
    let inodes: std::collections::HashSet<String> = fds
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().into_owned();
            Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .collect();
    let remote = format!(":{port:04X}");
    ["tcp", "tcp6"]
        .iter()
        .filter_map(|t| std::fs::read_to_string(format!("/proc/{pid}/net/{t}")).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter(|l| {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    // rem_address ends with the port; state 01 = established
                    f.len() > 9 && f[2].ends_with(&remote) && f[3] == "01" && inodes.contains(f[9])
                })
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .count()
}

postgres_only! {
    #[test]
    fn sixteen_engineers_running_eight_jobs_each_hold_at_most_two_connections_each() {
        let s = team();
        let f = s.fixture("slow.json", &slow(1500));
        for i in 0..8 {
            s.add(&format!("tenant-{i}"), &f, &[]);
        }
        let port: u16 = s.pg.as_ref().unwrap().url.rsplit(':').next().unwrap()
            .split('/').next().unwrap().parse().unwrap();
        let runs: Vec<Child> = (0..16)
            .map(|i| s.spawn_on(&format!("host-{i}"), &["audit", "--all", "--jobs", "8"]))
            .collect();
        let mut most = vec![0; runs.len()];
        let mut total_most = 0;
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            for (m, run) in most.iter_mut().zip(&runs) {
                *m = (*m).max(connections_of(run.id(), port));
            }
            total_most = total_most.max(s.sql_i64(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            ));
            std::thread::sleep(Duration::from_millis(100));
        }
        for run in runs {
            let out = run.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        }
        // Each was seen connected (the count sees connections), none with
        // more than two: its own, shared by its eight jobs, and the
        // heartbeat's.
        assert!(most.iter().all(|m| (1..=2).contains(m)), "{most:?}");
        assert!(total_most <= 32, "{total_most} connections at once");
        // 16 audits of 8 accounts, two tasks each, every one run.
        assert_eq!(
            s.sql_i64("SELECT count(*) FROM tasks WHERE status = 2 AND origin = 1"),
            16 * 8 * 2
        );
    }
}

postgres_only! {
    #[test]
    fn a_log_line_is_notified_once_committed_by_nfa_not_inside_the_writing_transaction() {
        let (s, _) = team_with_contoso(&healthy());
        // No trigger of `logs` notifies: a NOTIFY inside a transaction
        // holds the server's one notification lock from its COMMIT until
        // the commit is on disk, and every engineer's writes took turns.
        let notifying = s.sql_i64(
            "SELECT count(*) FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
             WHERE t.tgrelid = 'logs'::regclass AND p.prosrc LIKE '%notify%'",
        );
        assert_eq!(notifying, 0, "a trigger of logs notifies");
        let url = &s.pg.as_ref().unwrap().url;
        use postgres::fallible_iterator::FallibleIterator;
        let mut listener = postgres::Client::connect(url, postgres::NoTls).unwrap();
        listener.batch_execute("LISTEN nfa_logs").unwrap();
        s.json(&["refresh", "contoso"]);
        let mut notes = listener.notifications();
        let note = notes
            .timeout_iter(Duration::from_secs(20))
            .next()
            .unwrap()
            .expect("a refresh's log lines were never notified");
        assert_eq!(note.channel(), "nfa_logs");
        // A write that logged nothing notifies nothing.
        while notes
            .timeout_iter(Duration::from_millis(300))
            .next()
            .unwrap()
            .is_some()
        {}
        drop(notes);
        s.json(&["settings", "set", "refresh-window", "7200"]);
        let late = listener
            .notifications()
            .timeout_iter(Duration::from_millis(500))
            .next()
            .unwrap();
        assert!(late.is_none(), "a write without a log line notified: {late:?}");
    }
}

postgres_only! {
    #[test]
    fn a_refresh_decision_reads_no_other_accounts_row() {
        // Tables never analyzed (a new team database, a server without
        // autovacuum): the plans of the statements kept prepared are made
        // from the default estimates.
        let s = team();
        let f = s.fixture("t.json", &healthy());
        let mut csv = String::from("name,source\n");
        for i in 0..400 {
            csv.push_str(&format!("customer-{i},fixture:{}\n", f.display()));
        }
        let list = s.path("accounts.csv");
        std::fs::write(&list, csv).unwrap();
        s.json(&["accounts", "import", list.to_str().unwrap()]);
        // Every account refreshed twice: 1,600 tasks, enough for the
        // default estimates to make a join of the tasks of one refresh
        // with their accounts a hash join over all of them.
        let all: String = (0..400).map(|i| format!("customer-{i}\n")).collect();
        for _ in 0..2 {
            let o = s.run_with_stdin(&["-q", "refresh", "-", "--jobs", "2"], &all);
            assert!(o.status.success(), "{}", stderr(&o));
        }
        let names: String = (0..40).map(|i| format!("customer-{i}\n")).collect();
        let scanned = || {
            s.sql_i64("SELECT coalesce(seq_tup_read, 0) FROM pg_stat_user_tables WHERE relname = 'accounts'")
        };
        let before = scanned();
        let o = s.run_with_stdin(&["-q", "-o", "json", "refresh", "-", "--jobs", "1"], &names);
        assert!(o.status.success(), "{}", stderr(&o));
        let decided: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(decided.as_array().unwrap().len(), 40);
        assert!(decided.as_array().unwrap().iter().all(|r| r["decision"] == "deduplicated"));
        // At most one scan, finding the 40 names (10 % of the table); a
        // plan that joins a task to its account by reading the accounts
        // table reads 400 rows in each decision (16,400 in all, seen).
        let read = scanned() - before;
        assert!(read <= 400, "40 decisions read {read} rows of accounts by full scans");
    }
}

postgres_only! {
    #[test]
    fn a_refresh_takes_its_activity_id_beforehand_and_nothing_else_takes_one() {
        // On PostgreSQL a refresh takes its activity's id in its read, under
        // the account's lock (its INSERT then goes out with the COMMIT); an
        // audit, which adds no activity, takes none: with nobody else
        // writing, the ids stay consecutive.
        let (s, _) = team_with_contoso(&healthy());
        let audit = s.json(&["audit", "contoso"]);
        let ids = |report: &Value| -> Vec<i64> {
            let tasks = report["tasks"].as_array().unwrap();
            tasks.iter().map(|t| t["id"].as_i64().unwrap()).collect()
        };
        assert_eq!(ids(&audit), [1, 2], "{audit}");
        let new = s.json(&["refresh", "contoso", "--no-run"]);
        assert_eq!(new["decision"], "new", "{new}");
        assert_eq!(new["activity_id"], 3, "{new}");
        assert_eq!(ids(&new), [4, 5], "{new}");
        s.sql("UPDATE accounts SET last_activity_at = NULL");
        let again = s.json(&["refresh", "contoso", "--no-run"]);
        assert_eq!(again["decision"], "deduplicated", "{again}");
        assert_eq!(again["activity_id"], 6, "{again}");
        // The activity, its log line and the account's touch were all
        // recorded (they went out with the COMMIT).
        let shown = s.json(&["tasks", "show", "6"]);
        assert_eq!(shown["id"], 6, "{shown}");
        assert_eq!(
            s.sql_i64("SELECT count(*) FROM logs WHERE task_id = 6"),
            1,
            "the deduplicated refresh's log line"
        );
        assert_eq!(
            s.sql_i64("SELECT count(*) FROM accounts WHERE last_activity_at IS NOT NULL"),
            1,
            "the deduplicated refresh's touch"
        );
        assert_eq!(s.sql_i64("SELECT max(id) FROM tasks"), 6);
        assert_eq!(s.sql_i64("SELECT last_value FROM tasks_id_seq"), 6, "no id taken and left unused");
    }
}

postgres_only! {
    #[test]
    fn a_refresh_finds_the_tasks_sequence_by_whatever_name_it_has() {
        // nfa reads the name of the tasks' sequence when it opens the
        // database and takes a refresh's id from it by that name: a
        // sequence renamed (by a restore, a DBA) is found all the same.
        let (s, _) = team_with_contoso(&healthy());
        s.sql("ALTER SEQUENCE tasks_id_seq RENAME TO nfa_task_ids");
        let new = s.json(&["refresh", "contoso", "--no-run"]);
        assert_eq!(new["decision"], "new", "{new}");
        assert_eq!(new["activity_id"], 1, "{new}");
        s.sql("UPDATE accounts SET last_activity_at = NULL");
        let again = s.json(&["refresh", "contoso", "--no-run"]);
        assert_eq!(again["decision"], "deduplicated", "{again}");
        assert_eq!(again["activity_id"], 4, "{again}");
        assert_eq!(s.sql_i64("SELECT last_value FROM nfa_task_ids"), 4, "the ids came from it");
    }
}
