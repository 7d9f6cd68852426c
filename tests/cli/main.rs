//! Integration tests: the real `nfa` binary against a temporary database,
//! with `NFA_NOW` for time and fixture files for tenants. Nothing here
//! touches the network or the user's own data directory.
//!
//! This file is the suite of two test crates: `tests/cli_sqlite.rs` (the
//! `cli` target) and `tests/cli_postgres.rs`. Each defines the macros
//! `sqlite_only!` and `postgres_only!` before it includes this module: a
//! test wrapped in the other backend's macro is compiled with `#[ignore]`,
//! so it is reported as ignored there, never counted as passed.

mod accounts;
mod conformance;
mod db;
mod demo;
mod faults;
mod front;
mod graph;
mod hostile;
mod mock_partner;
mod mock_tenant;
mod network;
mod partner;
mod prune;
mod refresh;
mod roles;
mod runs;
mod screen;
mod settings;
mod snapshots;
mod store;
mod tasks_logs;
mod team;
mod worker;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const NOW: &str = "2026-11-30T08:00:00Z";

/// Whether this build of the suite runs on PostgreSQL
/// (`tests/cli_postgres.rs`) rather than SQLite (`tests/cli`).
pub fn on_postgres() -> bool {
    env!("CARGO_CRATE_NAME") == "cli_postgres"
}

/// A login role of one test, dropped with what it was granted.
pub struct Login {
    pub name: String,
}

impl Login {
    pub fn create(s: &Sandbox, grants: &str) -> Login {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "nfa_login_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        s.sql(&format!(
            "CREATE ROLE {name} LOGIN; {}",
            grants.replace("ROLE", &name)
        ));
        Login { name }
    }

    pub fn url(&self, s: &Sandbox) -> String {
        let mut url = url::Url::parse(&s.pg.as_ref().unwrap().url).unwrap();
        url.set_username(&self.name).unwrap();
        url.to_string()
    }
}

impl Drop for Login {
    fn drop(&mut self) {
        let url = PgDatabase::url_of("postgres");
        if let Ok(mut admin) = postgres::Client::connect(&url, postgres::NoTls) {
            // Its grants went with the test's database, or go now.
            let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", self.name));
        }
    }
}

/// The login the suite's commands record: on PostgreSQL the user of
/// `NFA_TEST_POSTGRES` (the server writes it), and the same name on SQLite
/// (`root` without a server).
pub fn suite_login() -> String {
    std::env::var("NFA_TEST_POSTGRES")
        .ok()
        .and_then(|u| url::Url::parse(&u).ok())
        .map(|u| u.username().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "root".to_string())
}

/// A sandbox: a temporary directory holding the fixtures and a fake home
/// (so the real data directory is never reached), and the database: a file
/// there, or on PostgreSQL a database of its own, dropped at the end.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    /// The database: a path, or a `postgres://` URL.
    pub db: PathBuf,
    pub now: String,
    /// More environment for every command (service URLs, secrets).
    pub env: Vec<(String, String)>,
    pub pg: Option<PgDatabase>,
}

/// A database of one test on the PostgreSQL server of
/// `NFA_TEST_POSTGRES`, dropped when the test ends.
pub struct PgDatabase {
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    /// The server's URL (from `NFA_TEST_POSTGRES`) with another database.
    pub fn url_of(name: &str) -> String {
        let base = std::env::var("NFA_TEST_POSTGRES")
            .expect("the PostgreSQL half of the tests needs NFA_TEST_POSTGRES");
        let mut url = url::Url::parse(&base).expect("NFA_TEST_POSTGRES is a URL");
        url.set_path(name);
        url.to_string()
    }

    fn admin() -> postgres::Client {
        let url = PgDatabase::url_of("postgres");
        postgres::Client::connect(&url, postgres::NoTls).unwrap_or_else(|e| {
            panic!("cannot reach the PostgreSQL server of NFA_TEST_POSTGRES ({url}): {e}")
        })
    }

    /// A new, empty database.
    pub fn create() -> PgDatabase {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "nfa_test_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PgDatabase::admin();
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin.batch_execute(&sql).expect("create a test database");
        }
        PgDatabase {
            url: PgDatabase::url_of(&name),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let mut admin = PgDatabase::admin();
        let _ = admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
        PgDatabase::drop_roles_of(&mut admin, &self.name);
    }
}

impl PgDatabase {
    /// Drops the group roles nfa made for database `name` (cluster-wide
    /// objects, which outlive the database): `<name>_nfa_<tag>_<role>`.
    pub fn drop_roles_of(admin: &mut postgres::Client, name: &str) {
        let pattern = format!("{}\\_nfa\\_%", name.replace('_', "\\_"));
        let roles: Vec<String> = admin
            .query(
                "SELECT rolname::text FROM pg_roles WHERE rolname LIKE $1",
                &[&pattern],
            )
            .map(|rows| rows.iter().map(|r| r.get(0)).collect())
            .unwrap_or_default();
        for role in roles {
            let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS \"{role}\""));
        }
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

impl Sandbox {
    /// A sandbox on this suite's backend.
    pub fn new() -> Sandbox {
        if on_postgres() {
            let mut s = Sandbox::sqlite();
            let pg = PgDatabase::create();
            s.db = PathBuf::from(&pg.url);
            s.pg = Some(pg);
            s
        } else {
            Sandbox::sqlite()
        }
    }

    /// A sandbox whose database is an SQLite file, whatever the suite's
    /// backend.
    pub fn sqlite() -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("nfa.db");
        Sandbox {
            dir,
            db,
            now: NOW.to_string(),
            env: vec![],
            pg: None,
        }
    }

    /// Runs SQL statements (literal values only) on the sandbox's
    /// database, whichever its backend: for tests that fake what another
    /// host or an older build wrote.
    pub fn sql(&self, sql: &str) {
        match &self.pg {
            Some(pg) => postgres::Client::connect(&pg.url, postgres::NoTls)
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
            None => rusqlite::Connection::open(&self.db)
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
        }
    }

    /// The rows of a query on the sandbox's database, each column as JSON
    /// (integers, booleans as 0/1, text, null).
    pub fn sql_rows(&self, sql: &str) -> Vec<Vec<Value>> {
        match &self.pg {
            Some(pg) => {
                use postgres::types::Type;
                let mut client = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
                client
                    .query(sql, &[])
                    .unwrap()
                    .iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| match *r.columns()[i].type_() {
                                Type::INT8 => json!(r.get::<_, Option<i64>>(i)),
                                Type::INT4 => json!(r.get::<_, Option<i32>>(i)),
                                Type::BOOL => json!(r.get::<_, Option<bool>>(i).map(i64::from)),
                                _ => json!(r.get::<_, Option<String>>(i)),
                            })
                            .collect()
                    })
                    .collect()
            }
            None => {
                use rusqlite::types::ValueRef;
                let conn = rusqlite::Connection::open(&self.db).unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                let n = stmt.column_count();
                stmt.query_map([], |r| {
                    Ok((0..n)
                        .map(|i| match r.get_ref(i).unwrap() {
                            ValueRef::Null => Value::Null,
                            ValueRef::Integer(v) => json!(v),
                            ValueRef::Real(v) => json!(v),
                            ValueRef::Text(t) | ValueRef::Blob(t) => {
                                json!(String::from_utf8_lossy(t))
                            }
                        })
                        .collect())
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
            }
        }
    }

    /// The one integer a query answers.
    pub fn sql_i64(&self, sql: &str) -> i64 {
        self.sql_rows(sql)[0][0].as_i64().expect("an integer")
    }

    /// Everything the database holds, as text: to check that a secret is
    /// stored nowhere (the file's bytes; on PostgreSQL every row).
    pub fn stored_text(&self) -> String {
        match &self.pg {
            Some(_) => [
                "accounts",
                "settings",
                "tasks",
                "logs",
                "checks",
                "ad_users",
                "ad_groups",
                "partner",
            ]
            .iter()
            .flat_map(|t| self.sql_rows(&format!("SELECT x::text FROM {t} x")))
            .map(|r| r[0].to_string())
            .collect::<Vec<_>>()
            .join("\n"),
            None => String::from_utf8_lossy(&std::fs::read(&self.db).unwrap()).into_owned(),
        }
    }

    /// The database, as the library opens it.
    pub fn location(&self) -> nfa::store::Location {
        nfa::store::Location::parse(&self.db).expect("the sandbox's database")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Sets "now" for the next commands.
    pub fn at(&mut self, now: &str) -> &mut Self {
        self.now = now.to_string();
        self
    }

    /// `nfa` with this sandbox's database, clock and home.
    pub fn cmd(&self) -> Command {
        self.cmd_of(Path::new(env!("CARGO_BIN_EXE_nfa")))
    }

    /// [`Sandbox::cmd`] with another copy of the binary.
    pub fn cmd_of(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path().join("home"))
            .env("XDG_DATA_HOME", self.dir.path().join("home/.local/share"))
            .env("NFA_DB", &self.db)
            .env("NFA_NOW", &self.now)
            .env("NO_COLOR", "1")
            // Who did it, on SQLite, as the PostgreSQL half's login says it
            // (snapshots are shared): `NFA_TEST_LOGIN` stands in for the OS
            // login (`who.rs` checks the real one).
            .env("NFA_TEST_LOGIN", suite_login())
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run nfa")
    }

    /// Runs with `stdin` as standard input.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .cmd()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn nfa");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().expect("wait nfa")
    }

    /// Runs `nfa -o json ARGS`, expects exit `code`, parses standard output.
    pub fn json_code(&self, code: i32, args: &[&str]) -> Value {
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert_eq!(
            out.status.code(),
            Some(code),
            "nfa {all:?}\nstderr: {}\nstdout: {}",
            stderr(&out),
            stdout(&out)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("nfa {all:?}: bad JSON ({e}): {}", stdout(&out)))
    }

    /// Runs `nfa -o json ARGS`, expecting success.
    pub fn json(&self, args: &[&str]) -> Value {
        self.json_code(0, args)
    }

    /// Expects exit 1 with a message on standard error that contains every
    /// one of `needles`, and nothing on standard output.
    pub fn fails(&self, args: &[&str], needles: &[&str]) -> String {
        let out = self.run(args);
        let err = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "nfa {args:?} should fail; stderr: {err}"
        );
        assert!(err.starts_with("error: "), "{err}");
        for n in needles {
            assert!(err.contains(n), "stderr of nfa {args:?} lacks {n:?}: {err}");
        }
        assert!(out.stdout.is_empty(), "stdout: {}", stdout(&out));
        err
    }

    /// Sets a partner app (its secret in `NFA_PARTNER_SECRET`, never read:
    /// for tests of what is stored and who may set it).
    pub fn set_partner(&self) -> Value {
        self.json(&[
            "partner",
            "set",
            "--tenant-id",
            "partner.onmicrosoft.com",
            "--client-id",
            "app",
            "--client-secret-env",
            "NFA_PARTNER_SECRET",
        ])
    }

    /// Writes a fixture tenant file and returns its path.
    pub fn fixture(&self, name: &str, value: &Value) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, serde_json::to_vec_pretty(value).unwrap()).unwrap();
        p
    }

    /// Adds an account over a fixture; returns its id.
    pub fn add(&self, name: &str, fixture: &Path, extra: &[&str]) -> i64 {
        let source = format!("fixture:{}", fixture.display());
        let mut args = vec!["accounts", "add", name, "--source", &source];
        args.extend_from_slice(extra);
        self.json(&args)["id"].as_i64().expect("id")
    }

    /// Starts `nfa ARGS` in the background (JSON output).
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.spawn_with(&[], args)
    }

    /// [`Sandbox::spawn`] with more environment.
    pub fn spawn_with(&self, env: &[(&str, &str)], args: &[&str]) -> Child {
        self.cmd()
            .envs(env.iter().copied())
            .args(["-o", "json"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn nfa")
    }

    /// [`Sandbox::spawn`] as an engineer on another host (`NFA_HOST`).
    pub fn spawn_on(&self, host: &str, args: &[&str]) -> Child {
        self.spawn_with(&[("NFA_HOST", host)], args)
    }

    /// `nfa -o json ARGS` as an engineer on another host; its JSON.
    pub fn json_on(&self, host: &str, args: &[&str]) -> Value {
        let out = self.spawn_on(host, args).wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Asserts that an engineer on `host` sees the refresh of `account`
    /// under way elsewhere as alive: a refresh there is deduplicated by it.
    pub fn assert_seen_running(&self, host: &str, account: &str) {
        let r = self.json_on(host, &["refresh", account, "--no-run"]);
        assert_eq!(r["decision"], "deduplicated", "{r}");
        assert_eq!(r["earlier_status"], "IN_PROGRESS", "{r}");
    }

    /// The standard output of `nfa ARGS` (space-separated) run on a
    /// terminal `columns` wide: a pty from script(1).
    pub fn on_terminal(&self, columns: u16, args: &str) -> String {
        let nfa = env!("CARGO_BIN_EXE_nfa");
        let out = Command::new("script")
            .args(["-qec", &format!("{nfa} {args}"), "/dev/null"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NFA_DB", &self.db)
            .env("NFA_NOW", &self.now)
            .env("NO_COLOR", "1")
            .env("COLUMNS", columns.to_string())
            .env("TERM", "dumb")
            .current_dir(self.dir.path())
            .output()
            .expect("script(1)");
        stdout(&out)
    }

    /// The first line `nfa ARGS` (a `logs --follow`) prints, after which
    /// it is interrupted and must end with 130.
    pub fn first_followed_line(&self, args: &[&str]) -> String {
        use std::io::{BufRead, BufReader};
        let mut follow = self
            .cmd()
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let _guard = KillOnDrop(follow.id());
        let line = BufReader::new(follow.stdout.take().unwrap())
            .lines()
            .next()
            .unwrap()
            .unwrap();
        Command::new("kill")
            .args(["-INT", &follow.id().to_string()])
            .status()
            .unwrap();
        assert_eq!(follow.wait().unwrap().code(), Some(130), "{args:?}");
        line
    }

    /// A sandbox with one account, contoso, whose Microsoft 365 token has
    /// expired, refreshed once (its check ended in ERROR: exit 3).
    pub fn with_failed_refresh() -> Sandbox {
        let s = Sandbox::new();
        let f = s.fixture("t.json", &o365_expired());
        s.add("contoso", &f, &[]);
        s.json_code(3, &["refresh", "contoso"]);
        s
    }

    /// Every task left PENDING or IN_PROGRESS.
    pub fn unfinished(&self) -> Value {
        self.json(&[
            "tasks",
            "--show-automated",
            "--status",
            "IN_PROGRESS",
            "--status",
            "PENDING",
            "--limit",
            "0",
        ])
    }

    /// Waits until some automated task is IN_PROGRESS.
    pub fn wait_in_progress(&self) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let tasks = self.json(&["tasks", "--show-automated", "--status", "IN_PROGRESS"]);
            if !tasks.items().is_empty() {
                return tasks;
            }
            assert!(Instant::now() < deadline, "no task went IN_PROGRESS");
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A tenant whose every check passes.
pub fn healthy() -> Value {
    json!({
        "tenant_id": "contoso.onmicrosoft.com",
        "latency_ms": 0,
        "azure": { "ok": true },
        "office365": { "ok": true },
        "directory": {
            "ok": true,
            "users": [
                { "id": "u1", "display_name": "Ada", "upn": "ada@contoso.com", "enabled": true },
                { "id": "u2", "display_name": "Grace", "upn": "grace@contoso.com", "enabled": false }
            ],
            "groups": [ { "id": "g1", "display_name": "IT" } ]
        }
    })
}

/// `healthy()` with `latency_ms` set.
pub fn slow(ms: u64) -> Value {
    let mut v = healthy();
    v["latency_ms"] = json!(ms);
    v
}

/// `healthy()` whose Microsoft 365 token has expired.
pub fn o365_expired() -> Value {
    let mut v = healthy();
    v["office365"] = json!({ "ok": false, "error": "token expired" });
    v
}

/// Reading a JSON array in assertions.
pub trait Items {
    /// The items of an array (panics on anything else).
    fn items(&self) -> &Vec<Value>;

    fn count(&self) -> usize {
        self.items().len()
    }

    /// The `id` of every item, when ids are text.
    fn ids_str(&self) -> Vec<&str> {
        self.items()
            .iter()
            .map(|t| t["id"].as_str().unwrap())
            .collect()
    }

    /// The `id` of every item.
    fn ids(&self) -> Vec<i64> {
        self.items()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    }
}

impl Items for Value {
    fn items(&self) -> &Vec<Value> {
        self.as_array()
            .unwrap_or_else(|| panic!("not an array: {self}"))
    }
}

/// The kinds of a JSON list of tasks.
pub fn kinds(tasks: &Value) -> Vec<String> {
    tasks
        .items()
        .iter()
        .map(|t| t["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Interrupts a background `nfa` as Ctrl-C does; it must end with 130.
pub fn interrupt(child: &mut Child) {
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
}

/// Ends a background `nfa` when the test ends, however it ends.
pub struct KillOnDrop(pub u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.0.to_string())
            .stderr(Stdio::null())
            .status();
    }
}

/// Asserts that every line `nfa ARGS` printed on a terminal is at most
/// `width` columns wide, but the portal's sentence (the contract's words:
/// the terminal wraps it).
pub fn assert_fits(text: &str, width: usize, args: &str) {
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if !line.starts_with("Update AD Cache and check") {
            let w = unicode_width::UnicodeWidthStr::width(line);
            assert!(w <= width, "nfa {args}: {w} columns: {line}");
        }
    }
}
