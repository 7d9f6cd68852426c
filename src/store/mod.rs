//! The store: the only module that knows SQL and the schema, on either
//! backend — an SQLite file, or a PostgreSQL database shared by a team
//! (`pg.rs`); the statements are written once (`sql.rs`).
//!
//! Reads go through [`Store::read`]; every write goes through
//! [`Store::write`], one transaction: on SQLite `BEGIN IMMEDIATE`, which
//! takes the write lock up front, so concurrent `nfa` processes behave as if
//! they ran one after the other; on PostgreSQL the writes of one account are
//! serialized by [`Db::lock_account`] and other accounts' go on. An error
//! (or a crash) leaves nothing half-written.

mod accounts;
mod clock;
mod copy;
mod decision;
mod directory;
mod location;
mod logs;
pub mod pg;
#[cfg(test)]
mod plans;
mod prune;
pub mod schema;
mod settings;
pub mod sql;
mod tasks;
mod team;
pub mod wire;
mod workers;
pub use workers::{LiveWorker, Unstarted};

pub use copy::Contents;
pub use location::Location;
pub use logs::LogFilter;
pub use prune::Pruned;
pub use sql::{Backend, storable};
pub use tasks::{NewTask, TaskFilter};
pub use team::Member;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::{Connection, OpenFlags};
use sql::{Conn, args};
use std::marker::PhantomData;
use std::path::Path;
use std::time::Duration;

/// How long a writer waits for another process's write lock, unless
/// `NFA_LOCK_TIMEOUT` says otherwise.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a writer may still wait once Ctrl-C was pressed (to record
/// what the interruption ended).
const BUSY_AFTER_INTERRUPT: Duration = Duration::from_secs(1);
/// One step of the lock wait.
const BUSY_STEP: Duration = Duration::from_millis(10);
/// How often a PostgreSQL write transaction is tried again after a
/// serialization failure or a deadlock before the error is shown.
const PG_RETRIES: u32 = 20;
/// The advisory lock key of migrating a PostgreSQL database (the account
/// locks are the account ids, which are positive).
const MIGRATION_LOCK: i64 = -0x6e66_6101;

/// The lock wait: `NFA_LOCK_TIMEOUT` (a duration such as `90s` or `5m`),
/// else [`BUSY_TIMEOUT`]. A malformed value is an error, never ignored.
pub fn lock_timeout() -> Result<Duration> {
    static TIMEOUT: EnvSpan = std::sync::OnceLock::new();
    env_span(&TIMEOUT, "NFA_LOCK_TIMEOUT", BUSY_TIMEOUT)
}

/// A duration read once from the environment (`90s`, `5m`, …).
pub(crate) type EnvSpan = std::sync::OnceLock<Result<Duration, String>>;

/// The duration in `var` (read once into `cell`), else `default`; a
/// malformed value is an error naming the variable, never ignored.
pub(crate) fn env_span(cell: &'static EnvSpan, var: &str, default: Duration) -> Result<Duration> {
    cell.get_or_init(|| match std::env::var(var) {
        Err(_) => Ok(default),
        Ok(v) => crate::domain::time::parse_span(&v)
            .map(|s| Duration::from_secs(s.as_secs()))
            .map_err(|e| format!("{var}: {e}")),
    })
    .clone()
    .map_err(|e| anyhow!(e))
}

/// SQLite's busy handler: waits in short steps for another writer, up to
/// the lock timeout, and gives up within a second of Ctrl-C, so that an
/// interrupted command never waits for a lock it no longer wants.
fn busy_wait(attempt: i32) -> bool {
    let waited = BUSY_STEP * u32::try_from(attempt).unwrap_or(u32::MAX);
    let limit = if crate::process::interrupted() {
        BUSY_AFTER_INTERRUPT.min(lock_timeout().unwrap_or(BUSY_TIMEOUT))
    } else {
        lock_timeout().unwrap_or(BUSY_TIMEOUT)
    };
    if waited >= limit {
        return false;
    }
    std::thread::sleep(BUSY_STEP);
    true
}

/// An open database: an SQLite file, or a PostgreSQL database (team mode).
pub struct Store {
    /// The connection, shared by the threads of a run (`--jobs`): each
    /// statement, and each write transaction whole, holds it; a thread
    /// may take it again while it holds it (a read inside a write).
    shared: parking_lot::ReentrantMutex<Conn>,
    /// Where it is (what a worker thread opens again).
    at: Location,
    /// Where it is, as messages show it (a URL's password hidden).
    location: String,
    /// Who this session is, once asked (team mode).
    identity: std::sync::OnceLock<Member>,
    /// How long a write waits for a lock ([`lock_timeout`]; PostgreSQL
    /// sets it in each transaction, for no session state outlives one).
    lock_wait_ms: u128,
    /// How many more writes ask for their account's lock alone first
    /// (PostgreSQL): set when a lock was found taken, as when a team
    /// refreshes the same accounts at once, so that the tries that find it
    /// taken again do not send their reads for nothing.
    contended: std::sync::atomic::AtomicU8,
}

/// How many writes after a lock found taken ask for their lock alone.
const CONTENDED_WRITES: u8 = 16;

// The threads of a run share one store (and so one connection).
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Store>();
};

/// Marker of a read-only view.
pub struct Read;
/// Marker of a view inside a write transaction.
pub struct Write;

/// A view of the database: reads on every view, writes only inside
/// [`Store::write`].
pub struct Db<'a, M = Read> {
    conn: parking_lot::ReentrantMutexGuard<'a, Conn>,
    _mode: PhantomData<M>,
}

impl Store {
    /// The connection, for this thread until the guard goes.
    fn conn(&self) -> parking_lot::ReentrantMutexGuard<'_, Conn> {
        self.shared.lock()
    }

    /// Opens (creating if needed) the database at `at` and brings its
    /// schema up to date. A file that is not an SQLite database, or a
    /// database written by a newer `nfa`, is refused and left untouched.
    pub fn open(at: &Location) -> Result<Store> {
        Store::open_at(at, schema::LATEST)
    }

    /// Opens the database and migrates it up to schema version `version`
    /// only: for tests that need a database of an older build.
    pub fn open_at(at: &Location, version: usize) -> Result<Store> {
        match at {
            Location::Postgres(target) => Store::open_postgres(target, version),
            Location::Sqlite(path) => Store::open_sqlite(path, version),
        }
    }

    fn open_sqlite(path: &Path, version: usize) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| {
                format!("cannot create the database directory {}", dir.display())
            })?;
        }
        check_header(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        lock_timeout()?;
        let mut conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        conn.busy_handler(Some(busy_wait))?;
        conn.set_prepared_statement_cache_capacity(64);
        let store = Store::sqlite(conn, path);
        match store.identify().and_then(|()| store.configure(version)) {
            Ok(()) => Ok(store),
            Err(e) if read_only(&e) && path.exists() => {
                drop(store);
                Store::open_read_only(path, version)
            }
            Err(e) => Err(e.context(format!("database {}", path.display()))),
        }
    }

    fn sqlite(conn: Connection, path: &Path) -> Store {
        Store {
            shared: parking_lot::ReentrantMutex::new(Conn::Lite(conn)),
            at: Location::Sqlite(path.to_path_buf()),
            location: path.display().to_string(),
            identity: std::sync::OnceLock::new(),
            lock_wait_ms: 0,
            contended: Default::default(),
        }
    }

    /// The SQLite file (the store is on SQLite whenever this is called).
    fn file(&self) -> &Path {
        match &self.at {
            Location::Sqlite(p) => p,
            Location::Postgres(_) => Path::new(""),
        }
    }

    /// Connects to a PostgreSQL database and brings its schema up to date
    /// (under a lock: engineers starting a new nfa at once migrate once).
    fn open_postgres(target: &pg::Target, version: usize) -> Result<Store> {
        // A lock (an account's, the migration's) is waited for as long as
        // SQLite's write lock is, then given up with a clear error.
        let wait = lock_timeout()?.as_millis().max(1);
        let pooler = pg::Pooler::from_env()?;
        let wire = target.connect()?;
        // Statements are kept once it is known that nothing stands between
        // that could lose them (below, in the first query).
        let store = Store {
            shared: parking_lot::ReentrantMutex::new(Conn::Pg(Box::new(sql::Pg::new(wire)))),
            at: Location::Postgres(Box::new(target.clone())),
            location: target.shown.clone(),
            identity: std::sync::OnceLock::new(),
            lock_wait_ms: wait,
            contended: Default::default(),
        };
        // The usual case in one round trip: a schema of this build's (its
        // table in this schema), and who this session is. Anything else (a
        // new or older schema, a login without a role, another
        // application's tables) takes the path below, which says it well.
        // And the port the server was reached on: whether a pooler may
        // stand between (`pg::Pooler::keeps`).
        let keeps =
            |port: Option<&str>| pooler.keeps(port.and_then(|p| p.parse().ok()), target.port());
        let quick = store.conn().pg_simple_row(
            "SELECT s.version::text,
                    (c.relnamespace = (SELECT n.oid FROM pg_namespace n
                                       WHERE n.nspname = current_schema()))::text,
                    session_user::text, nfa_role(), inet_server_port()::text,
                    pg_get_serial_sequence('tasks', 'id')
             FROM nfa_schema s, pg_class c WHERE c.oid = 'nfa_schema'::regclass",
        );
        if let Ok(Some(row)) = quick
            && let [Some(v), Some(here), Some(user), role, port, tasks] = row.as_slice()
            && here == "true"
            && let Ok(v) = v.parse::<usize>()
            && (version..=schema::LATEST).contains(&v)
        {
            store.preset_identity(user, role.as_deref())?;
            if let Some(tasks) = tasks {
                store.conn().know_task_sequence(tasks);
            }
            store.conn().keep_statements(keeps(port.as_deref()));
            return Ok(store);
        }
        // Any other case (a new database, a migration, a refusal) asks
        // the port alone, first.
        if let Ok(Some(row)) = store
            .conn()
            .pg_simple_row("SELECT inet_server_port()::text")
        {
            store
                .conn()
                .keep_statements(keeps(row.first().cloned().flatten().as_deref()));
        }
        store
            .pg_migrate(version)
            .map_err(|e| match store.explain_pg(&e) {
                _ if e.is::<team::Refusal>() => e,
                Some(text) => anyhow!(text),
                None => e.context(format!("database {}", store.location)),
            })?;
        Ok(store)
    }

    /// The PostgreSQL schema: refused when another application's tables
    /// are there or a newer nfa wrote it; migrated otherwise.
    fn pg_migrate(&self, target: usize) -> Result<()> {
        if self.user_version()? >= target {
            return self.pg_check_version();
        }
        let first = schema::PG_MIGRATIONS.first().map_or(0, |(v, _)| *v);
        if target < first {
            bail!("a PostgreSQL database starts at schema version {first}");
        }
        let from = self.user_version()?;
        self.write_raw(|db| {
            db.conn
                .execute("SELECT pg_advisory_xact_lock(?1)", args![MIGRATION_LOCK])?;
            // Another engineer's nfa may have migrated while we waited.
            let current = self.user_version()?;
            if current == 0 {
                let tables: Vec<String> = db.conn.query_vec(
                    "SELECT tablename::text FROM pg_catalog.pg_tables
                     WHERE schemaname = current_schema() ORDER BY 1 LIMIT 4",
                    &[],
                    |r| r.get(0),
                )?;
                refuse_foreign(&self.location, "", &tables, "a new, empty database")?;
            }
            for (version, sql) in schema::PG_MIGRATIONS {
                if *version > current && *version <= target {
                    db.conn
                        .batch(sql)
                        .with_context(|| format!("migration to schema version {version}"))?;
                }
            }
            if current < target {
                db.conn.execute(
                    "UPDATE nfa_schema SET version = ?1",
                    args![i64::try_from(target)?],
                )?;
            }
            Ok(())
        })
        .map_err(|e| {
            if !team::insufficient_privilege(&e) || from == 0 {
                return e;
            }
            let user = match &self.at {
                Location::Postgres(t) => t.user().to_string(),
                Location::Sqlite(_) => String::new(),
            };
            anyhow!(
                "{} is at schema version {from} and this nfa needs {target}: only an admin of it (its owner) may upgrade it, which user '{user}' is not; run this nfa once as an admin, or keep the older nfa meanwhile",
                self.location
            )
        })?;
        self.pg_check_version()
    }

    fn pg_check_version(&self) -> Result<()> {
        let current = self.user_version()?;
        if current > schema::LATEST {
            bail!(
                "{} was written by a newer nfa (schema version {current}; this build knows up to {}): upgrade nfa; it was left untouched",
                self.location,
                schema::LATEST
            );
        }
        Ok(())
    }

    /// Opens a database that this process may read but not write (a
    /// read-only file or directory, e.g. a copy on a read-only share): the
    /// commands that only read work, the others say the file cannot be
    /// written. No one can write a WAL database whose directory admits no
    /// new file, so it is opened as immutable.
    fn open_read_only(path: &Path, version: usize) -> Result<Store> {
        let absolute = std::path::absolute(path)
            .with_context(|| format!("cannot resolve the path {}", path.display()))?;
        let mut uri = String::from("file:");
        for c in absolute.to_string_lossy().chars() {
            match c {
                '%' => uri.push_str("%25"),
                '?' => uri.push_str("%3f"),
                '#' => uri.push_str("%23"),
                c => uri.push(c),
            }
        }
        uri.push_str("?immutable=1");
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&uri, flags)
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        let store = Store::sqlite(conn, path);
        store
            .identify()
            .with_context(|| format!("database {}", path.display()))?;
        let current = store.user_version()?;
        if current < version {
            bail!(
                "the database {} needs an upgrade of its schema (version {current} to {version}) but cannot be written: check the permissions of the file and of its directory",
                path.display()
            );
        }
        Ok(store)
    }

    /// The SQLite connection (the store is on SQLite whenever this is
    /// called: pragmas and files are SQLite's).
    fn lite(&self) -> Result<parking_lot::MappedReentrantMutexGuard<'_, Connection>> {
        parking_lot::ReentrantMutexGuard::try_map(self.conn(), Conn::lite).map_err(|_| {
            crate::error::internal(format!("an SQLite operation on {}", self.location))
        })
    }

    /// Refuses, before anything is written to it, an SQLite file that is not
    /// an nfa database or that a newer nfa wrote.
    fn identify(&self) -> Result<()> {
        // One read snapshot: another nfa may be creating the schema of
        // this new file at this moment, and its version and its tables
        // must be seen at the same moment (both or neither).
        self.conn().batch("BEGIN")?;
        let result = self.identify_in_snapshot();
        let _ = self.conn().batch("COMMIT");
        result
    }

    fn identify_in_snapshot(&self) -> Result<()> {
        let conn = self.lite()?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let app: i64 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        if app != 0 && app != schema::APPLICATION_ID {
            bail!(
                "{} is an SQLite database of another application (application_id {app:#x}), not an nfa database; it was left untouched",
                self.file().display()
            );
        }
        if version < 0 {
            bail!(
                "{} has schema version {version}, which no nfa writes: it is not an nfa database; it was left untouched",
                self.file().display()
            );
        }
        if usize::try_from(version).is_ok_and(|v| v > schema::LATEST) {
            bail!(
                "{} was written by a newer nfa (schema version {version}; this build knows up to {}): upgrade nfa; it was left untouched",
                self.file().display(),
                schema::LATEST
            );
        }
        if version == 0 {
            let tables: Vec<String> = self.conn().query_vec(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name LIMIT 4",
                &[],
                |r| r.get(0),
            )?;
            refuse_foreign(
                &self.location,
                " an SQLite database but",
                &tables,
                "a new file with --db",
            )?;
        }
        Ok(())
    }

    /// Where the store is: what a worker thread opens again.
    pub fn at(&self) -> &Location {
        &self.at
    }

    pub fn backend(&self) -> Backend {
        self.conn().backend()
    }

    /// Names this connection for the server's administrators
    /// (`application_name` in `pg_stat_activity`: `nfa` unless said so);
    /// nothing on SQLite.
    pub fn name_session(&self, name: &'static str) -> Result<()> {
        if self.backend() == Backend::Postgres {
            self.conn()
                .batch(&format!("SET application_name = '{name}'"))?;
        }
        Ok(())
    }

    /// Whether the connection to the database was lost (only a server's
    /// can be): a new [`Store::open`] may reach it again.
    pub fn connection_lost(&self) -> bool {
        match &*self.conn() {
            Conn::Lite(_) => false,
            Conn::Pg(p) => p.is_closed(),
        }
    }

    fn configure(&self, version: usize) -> Result<()> {
        let conn = self.lite()?;
        conn.pragma_update(None, "foreign_keys", true)?;
        if self.user_version()? == 0 {
            // A new database (identify refused any other with version 0):
            // pruned pages can go back to the file system. Only takes
            // effect before the first table.
            conn.pragma_update(None, "auto_vacuum", "incremental")?;
        }
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            conn.pragma_update(None, "journal_mode", "wal")?;
        }
        conn.pragma_update(None, "synchronous", "normal")?;
        self.migrate_to(version)
    }

    /// Applies the migrations up to `target`. A database newer than this
    /// build is refused.
    fn migrate_to(&self, target: usize) -> Result<()> {
        let conn = self.lite()?;
        let current = self.user_version()?;
        if current > schema::LATEST {
            bail!(
                "{} was written by a newer nfa (schema version {current}; this build knows up to {}): upgrade nfa",
                self.file().display(),
                schema::LATEST
            );
        }
        if current >= target {
            return Ok(());
        }
        // Rebuilding a table follows SQLite's recipe: foreign keys off
        // (a no-op inside a transaction, so set here), checked before the
        // commit, on again after.
        let rebuilds = current < schema::COMPACT && target >= schema::COMPACT;
        if rebuilds {
            conn.pragma_update(None, "foreign_keys", false)?;
        }
        let result = self.write(|db| {
            // Another process may have migrated while we waited for the lock.
            let current = self.user_version()?;
            for (i, sql) in schema::MIGRATIONS
                .iter()
                .enumerate()
                .take(target)
                .skip(current)
            {
                db.conn
                    .batch(sql)
                    .with_context(|| format!("migration to schema version {}", i + 1))?;
                if i + 1 == schema::NAME_KEYS_NFC {
                    db.renormalize_name_keys()?;
                }
            }
            if current < target {
                let broken: i64 = db
                    .conn
                    .value("SELECT count(*) FROM pragma_foreign_key_check", &[])?;
                if broken > 0 {
                    bail!("the migration would leave {broken} rows pointing at nothing");
                }
                conn.pragma_update(None, "user_version", i64::try_from(target)?)?;
                conn.pragma_update(None, "application_id", schema::APPLICATION_ID)?;
            }
            Ok(())
        });
        if rebuilds {
            conn.pragma_update(None, "foreign_keys", true)?;
        }
        result
    }

    /// The schema version (0: a new database).
    pub fn user_version(&self) -> Result<usize> {
        let v: i64 = match &*self.conn() {
            Conn::Lite(c) => c.pragma_query_value(None, "user_version", |r| r.get(0))?,
            Conn::Pg(_) => {
                // A query of the catalog, not to_regclass(): after waiting
                // for the migration lock this must see the tables another
                // engineer's nfa just made.
                // pg_tables, not information_schema, which lists only the
                // tables the user has a right on.
                let exists: i64 = self.conn().value(
                    "SELECT count(*) FROM pg_catalog.pg_tables
                     WHERE schemaname = current_schema() AND tablename = 'nfa_schema'",
                    &[],
                )?;
                if exists == 0 {
                    0
                } else {
                    let version = self
                        .conn()
                        .query_opt("SELECT version FROM nfa_schema", &[], |r| r.get::<i64>(0))
                        .map_err(|e| match &self.at {
                            // Every nfa role reads it: a login that may
                            // not has none.
                            Location::Postgres(t) if team::insufficient_privilege(&e) => {
                                anyhow::Error::new(team::Refusal(crate::domain::role::no_role(
                                    t.user(),
                                    t.dbname(),
                                )))
                            }
                            _ => e,
                        })?;
                    match version {
                        Some(v) => v,
                        None => bail!(
                            "{} has nfa's tables but its schema version (table nfa_schema) is empty: the database was damaged by hand; restore it from a backup, or put back its row (INSERT INTO nfa_schema VALUES ({}, {}))",
                            self.location,
                            schema::LATEST,
                            schema::APPLICATION_ID
                        ),
                    }
                }
            }
        };
        usize::try_from(v).map_err(|_| anyhow!("schema version {v} is not one nfa writes"))
    }

    /// A read-only view.
    pub fn read(&self) -> Db<'_, Read> {
        Db {
            conn: self.conn(),
            _mode: PhantomData,
        }
    }

    /// Runs `f` in one write transaction: committed if it returns `Ok`,
    /// rolled back otherwise. On SQLite the transaction takes the write
    /// lock up front (`BEGIN IMMEDIATE`), so writers run one after the
    /// other; on PostgreSQL writers of different accounts run at once (see
    /// [`Db::lock_account`]), and a transaction that the server ended by a
    /// serialization failure or a deadlock is run again, unseen.
    ///
    /// A write the server refused for want of a right (team mode) is said
    /// as a refusal of the session's role (`team::refused`).
    pub fn write<T>(&self, f: impl FnMut(&Db<'_, Write>) -> Result<T>) -> Result<T> {
        self.write_raw(f).map_err(|e| self.refused(e))
    }

    /// [`Store::write`] with the server's refusals as they are.
    fn write_raw<T>(&self, mut f: impl FnMut(&Db<'_, Write>) -> Result<T>) -> Result<T> {
        let give_up_if_busy = GIVE_UP_IF_BUSY.with(|g| g.replace(false));
        let mut attempt = 0;
        let mut busy = Backoff::new(Duration::from_millis(
            u64::try_from(self.lock_wait_ms).unwrap_or(u64::MAX),
        ));
        use std::sync::atomic::Ordering::Relaxed;
        // Lately a lock was found taken: ask for this one alone first too.
        let mut found_busy = self.contended.load(Relaxed) > 0;
        loop {
            match self.write_once(&mut f, found_busy) {
                Err(e) if attempt < PG_RETRIES && retryable(&e) => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
                }
                // An account's lock was taken: the connection is let go
                // (another job of this process may use it) while waiting.
                Err(e) if e.downcast_ref::<sql::Busy>().is_some() => {
                    self.contended.store(CONTENDED_WRITES, Relaxed);
                    if give_up_if_busy || !busy.sleep() {
                        return Err(e);
                    }
                    found_busy = true;
                }
                result => {
                    let _ = self
                        .contended
                        .fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1));
                    return result;
                }
            }
        }
    }

    /// One try of [`Store::write`]; `lock_alone`: see [`Conn::lock_alone`].
    fn write_once<T>(
        &self,
        f: &mut impl FnMut(&Db<'_, Write>) -> Result<T>,
        lock_alone: bool,
    ) -> Result<T> {
        // Held from BEGIN to COMMIT: no other thread's statement comes
        // between.
        let conn = self.conn();
        conn.begin(self.lock_wait_ms)?;
        let db = Db {
            conn: self.conn(),
            _mode: PhantomData,
        };
        conn.lock_alone(lock_alone);
        let result = f(&db);
        conn.lock_alone(false);
        match result {
            Ok(v) => {
                if let Err(e) = conn.commit(logs::NOTIFY_LOGS) {
                    let _ = conn.rollback();
                    return Err(e);
                }
                Ok(v)
            }
            Err(e) => {
                let _ = conn.rollback();
                Err(e)
            }
        }
    }

    /// [`explain`] for this store.
    pub(super) fn explain_pg(&self, err: &anyhow::Error) -> Option<String> {
        match &self.at {
            Location::Postgres(target) => target.explain_any(err),
            Location::Sqlite(_) => None,
        }
    }
}

impl Db<'_, Write> {
    /// Takes the lock of one account until the transaction ends: the
    /// refresh decision and the task updates of an account run one at a
    /// time, on any number of hosts, while other accounts' go on. (On
    /// SQLite the transaction already holds the database's write lock.)
    pub fn lock_account(&self, id: crate::domain::ids::AccountId) -> Result<()> {
        if self.conn.backend() == Backend::Postgres {
            // Sent with the transaction's first read, which the server
            // runs after it. Not waited for on the server: a job waiting
            // there would hold the connection its sibling jobs share; the
            // transaction is run again instead (`Store::write`).
            self.conn.try_advisory_lock(id.0)?;
        }
        Ok(())
    }
}

thread_local! {
    /// Whether this thread's next write gives up at once, with [`sql::Busy`],
    /// if it finds an account's lock taken ([`give_up_if_busy`]).
    static GIVE_UP_IF_BUSY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, whose first write (only) gives up at once with an error that
/// [`is_busy`] knows if it finds an account's lock taken by another
/// transaction, instead of trying again until `NFA_LOCK_TIMEOUT`: for a
/// run over many accounts, which does another account meanwhile.
pub fn give_up_if_busy<R>(f: impl FnOnce() -> R) -> R {
    GIVE_UP_IF_BUSY.with(|g| g.set(true));
    let r = f();
    GIVE_UP_IF_BUSY.with(|g| g.set(false));
    r
}

/// Whether `err` is a write that gave up on a taken lock
/// ([`give_up_if_busy`]).
pub fn is_busy(err: &anyhow::Error) -> bool {
    err.chain()
        .any(<dyn std::error::Error + 'static>::is::<sql::Busy>)
}

/// The waits between tries of a lock another transaction holds: short at
/// first (a decision holds an account for a few milliseconds), doubling up
/// to 50 ms, with jitter so that the waiters do not come back together; no
/// more once `limit` has passed since the first.
struct Backoff {
    started: std::time::Instant,
    limit: Duration,
    next: Duration,
}

impl Backoff {
    fn new(limit: Duration) -> Backoff {
        Backoff {
            started: std::time::Instant::now(),
            limit,
            next: Duration::from_millis(2),
        }
    }

    /// Sleeps before the next try; false when the time is up.
    fn sleep(&mut self) -> bool {
        let left = self.limit.saturating_sub(self.started.elapsed());
        if left.is_zero() || crate::process::interrupted() {
            return false;
        }
        let jitter = 0.5 + rand_fraction();
        let wait = self.next.mul_f64(jitter).min(left);
        std::thread::sleep(wait);
        self.next = (self.next * 2).min(Duration::from_millis(50));
        true
    }
}

/// A number in [0, 1) that differs between processes and calls (jitter,
/// not secrecy).
fn rand_fraction() -> f64 {
    (crate::process::random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Refuses a new (version 0) database that holds another application's
/// `tables`.
fn refuse_foreign(location: &str, what: &str, tables: &[String], instead: &str) -> Result<()> {
    if tables.is_empty() {
        return Ok(());
    }
    bail!(
        "{location} is{what} not an nfa database (it holds the table{} {}); it was left untouched: give nfa {instead}",
        if tables.len() > 1 { "s" } else { "" },
        tables.join(", ")
    )
}

/// Whether PostgreSQL ended a transaction that may simply be run again: a
/// serialization failure (40001) or a deadlock (40P01).
fn retryable(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<tokio_postgres::Error>()
            .and_then(tokio_postgres::Error::code)
            .is_some_and(|c| {
                *c == tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED
            })
    })
}

/// Whether an error is SQLite's "this file cannot be written".
fn read_only(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        matches!(
            e.downcast_ref::<rusqlite::Error>(),
            Some(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::ReadOnly
        )
    })
}

/// Says what a database error means for the user, naming the database and
/// the fix: a lock held too long, a full disk, a damaged or read-only file.
/// `None` for errors that are not the database's.
pub fn explain(err: &anyhow::Error, at: &Location) -> Option<String> {
    use rusqlite::ErrorCode::*;
    let path = match at {
        Location::Postgres(target) => return target.explain_any(err),
        Location::Sqlite(path) => path,
    };
    let code = err
        .chain()
        .find_map(|e| match e.downcast_ref::<rusqlite::Error>() {
            Some(rusqlite::Error::SqliteFailure(f, _)) => Some(f.code),
            _ => None,
        })?;
    let db = path.display();
    Some(match code {
        DatabaseBusy | DatabaseLocked => {
            let waited = lock_timeout().unwrap_or(BUSY_TIMEOUT).as_secs();
            format!(
                "the database {db} is locked: another nfa process kept writing for more than {waited}s; try again (NFA_LOCK_TIMEOUT sets the wait)"
            )
        }
        DiskFull => format!(
            "the disk that holds the database {db} is full: free some space and run the command again"
        ),
        DatabaseCorrupt | NotADatabase => format!(
            "the database {db} is damaged (malformed): restore it from a backup (sqlite3's .recover may save its data)"
        ),
        ReadOnly | CannotOpen | PermissionDenied => format!(
            "the database {db} cannot be written: check the permissions of the file and of its directory"
        ),
        SystemIoFailure => format!("the database {db} could not be read or written (I/O error)"),
        _ => return None,
    })
}

/// Refuses an existing, non-empty file that is not an SQLite database,
/// before SQLite gets a chance to touch it.
fn check_header(path: &Path) -> Result<()> {
    use std::io::Read as _;
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(anyhow!(e).context(format!("cannot open the database {}", path.display())));
        }
    };
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        bail!("{} is a directory, not a database file", path.display());
    }
    let mut header = Vec::with_capacity(16);
    file.by_ref()
        .take(16)
        .read_to_end(&mut header)
        .with_context(|| format!("cannot read the database {}", path.display()))?;
    if !header.is_empty() && header != b"SQLite format 3\0" {
        bail!(
            "{} is not an nfa database (not an SQLite file); it was left untouched",
            path.display()
        );
    }
    Ok(())
}

/// Task, log and check times are stored as Unix milliseconds.
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| bad_value("time", &ms.to_string()))
}

pub(crate) fn opt_from_ms(ms: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    ms.map(from_ms).transpose()
}

/// A word of a closed vocabulary as stored: its position in the enum (part
/// of the schema: `store::tests` pins them, so an enum is never reordered
/// unnoticed).
pub(crate) fn code<W: crate::domain::word::Word>(w: W) -> i64 {
    let i = W::VARIANTS.iter().position(|v| *v == w).unwrap_or(0);
    i64::try_from(i).unwrap_or(0)
}

/// The word stored as `code`.
pub(crate) fn word<W: crate::domain::word::Word>(code: i64) -> Result<W> {
    usize::try_from(code)
        .ok()
        .and_then(|i| W::VARIANTS.get(i).copied())
        .ok_or_else(|| bad_value(W::WHAT, &code.to_string()))
}

/// Times are stored as fixed-width RFC 3339 UTC text with milliseconds, so
/// that they sort as text and read well in the `sqlite3` shell.
pub(crate) fn to_db(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(crate) fn from_db(text: &str) -> Result<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.3fZ")
        .map(|n| n.and_utc())
        .or_else(|_| DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)))
        .map_err(|_| bad_value("time", text))
}

pub(crate) fn opt_from_db(text: Option<String>) -> Result<Option<DateTime<Utc>>> {
    text.as_deref().map(from_db).transpose()
}

/// A value stored as text that failed to parse back (a corrupted row).
pub(crate) fn bad_value(what: &str, value: &str) -> anyhow::Error {
    anyhow!("unexpected {what} '{value}' in the database")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_codes_of_the_vocabularies_never_move() {
        use crate::domain::log::Level;
        use crate::domain::policy::Decision;
        use crate::domain::task::{Origin, TaskKind, TaskStatus};
        // The numbers the schema's SQL uses (schema.rs, tasks.rs, prune.rs).
        assert_eq!(code(TaskKind::UpdatingAccountStatus), 0);
        assert_eq!(code(TaskKind::UpdateAdCache), 1);
        assert_eq!(code(TaskKind::AzureAdminAndO365Status), 2);
        assert_eq!(code(TaskStatus::Pending), 0);
        assert_eq!(code(TaskStatus::InProgress), 1);
        assert_eq!(code(TaskStatus::Complete), 2);
        assert_eq!(code(TaskStatus::Error), 3);
        assert_eq!(code(Decision::New), 0);
        assert_eq!(code(Decision::Retry), 1);
        assert_eq!(code(Decision::Deduplicated), 2);
        assert_eq!(code(Origin::Refresh), 0);
        assert_eq!(code(Origin::Audit), 1);
        assert_eq!(code(Level::Error), 0);
        assert_eq!(code(Level::Warn), 1);
        assert_eq!(code(Level::Info), 2);
        assert_eq!(word::<TaskStatus>(3).unwrap(), TaskStatus::Error);
        assert!(word::<TaskStatus>(4).is_err());
    }

    #[test]
    fn stored_times_round_trip_and_sort_as_text() {
        let a = from_db("2026-11-30T08:00:00.000Z").unwrap();
        let b = from_db("2026-11-30T08:00:00.500Z").unwrap();
        assert_eq!(to_db(a), "2026-11-30T08:00:00.000Z");
        assert!(to_db(a) < to_db(b));
        assert!(from_db("yesterday").is_err());
    }
}

#[cfg(test)]
mod explain_tests {
    use super::explain;
    use rusqlite::ffi;

    fn sqlite(code: i32) -> anyhow::Error {
        anyhow::Error::from(rusqlite::Error::SqliteFailure(ffi::Error::new(code), None))
            .context("task #3")
    }

    #[test]
    fn database_errors_name_the_file_and_the_fix() {
        let path = &super::Location::Sqlite("/srv/nfa/team.db".into());
        for (code, words) in [
            (ffi::SQLITE_BUSY, "locked"),
            (ffi::SQLITE_FULL, "disk"),
            (ffi::SQLITE_CORRUPT, "malformed"),
            (ffi::SQLITE_NOTADB, "malformed"),
            (ffi::SQLITE_READONLY, "cannot be written"),
        ] {
            let text = explain(&sqlite(code), path).unwrap();
            assert!(
                text.contains("/srv/nfa/team.db") && text.contains(words),
                "{text}"
            );
        }
        assert_eq!(explain(&anyhow::anyhow!("unknown account 'x'"), path), None);
    }
}
