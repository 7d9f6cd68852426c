//! The query layer: one connection type over both backends, so that the
//! store's SQL is written once. Statements are written in SQLite's form
//! with `?N` (or `?`) placeholders; on PostgreSQL they are rewritten once
//! to `$N` (and an SQLite-only `INDEXED BY` hint is dropped) and sent
//! unnamed, one round trip each ([`Pg`]); rusqlite's statement cache keeps
//! them prepared on SQLite.
//!
//! Values cross as [`Value`] (on PostgreSQL bound as text, of whatever
//! type the server gives the parameter, so an integer parameter fits an
//! `int4`, `int8` or `boolean` column alike) and are read back with
//! [`Row::get`].

use anyhow::{Context, Result, anyhow};
use std::cell::RefCell;
use std::collections::HashMap;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type};

/// [`Conn::server_secs`] on PostgreSQL, for statements made at compile
/// time (`store::decision`).
macro_rules! pg_server_secs {
    () => {
        "CAST(floor(extract(epoch FROM clock_timestamp())) AS bigint)"
    };
}
pub(super) use pg_server_secs;

/// A value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// What can be bound as a parameter.
pub trait Arg {
    fn value(&self) -> Value;
}

impl Arg for Value {
    fn value(&self) -> Value {
        self.clone()
    }
}
impl Arg for i64 {
    fn value(&self) -> Value {
        Value::Int(*self)
    }
}
impl Arg for u32 {
    fn value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl Arg for bool {
    fn value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl Arg for str {
    fn value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl Arg for String {
    fn value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl<T: Arg + ?Sized> Arg for &T {
    fn value(&self) -> Value {
        (**self).value()
    }
}
impl<T: Arg> Arg for Option<T> {
    fn value(&self) -> Value {
        self.as_ref().map_or(Value::Null, Arg::value)
    }
}
impl Arg for crate::domain::ids::AccountId {
    fn value(&self) -> Value {
        Value::Int(self.0)
    }
}
impl Arg for crate::domain::ids::TaskId {
    fn value(&self) -> Value {
        Value::Int(self.0)
    }
}
macro_rules! value_from {
    ($($t:ty),*) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Value {
                v.value()
            }
        })*
    };
}
value_from!(
    i64,
    crate::domain::ids::AccountId,
    crate::domain::ids::TaskId
);

/// The parameters of a statement: `args![a, b]`.
macro_rules! args {
    ($($a:expr),* $(,)?) => {
        &[$($crate::store::sql::Arg::value(&$a)),*][..]
    };
}
pub(crate) use args;

/// What a column can be read as.
pub trait Col: Sized {
    fn lite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self>;
    fn from_value(v: Value) -> Result<Self>;
}

fn mismatch<T>(v: &Value) -> Result<T> {
    Err(anyhow!(
        "unexpected value {v:?} of type {} in the database",
        std::any::type_name::<T>()
    ))
}

impl Col for i64 {
    fn lite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        r.get(i)
    }
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::Int(n) => Ok(n),
            v => mismatch(&v),
        }
    }
}
impl Col for u32 {
    fn lite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        r.get(i)
    }
    fn from_value(v: Value) -> Result<Self> {
        let n = i64::from_value(v)?;
        u32::try_from(n).map_err(|_| anyhow!("unexpected number {n} in the database"))
    }
}
impl Col for bool {
    fn lite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        r.get(i)
    }
    fn from_value(v: Value) -> Result<Self> {
        Ok(i64::from_value(v)? != 0)
    }
}
impl Col for String {
    fn lite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        r.get(i)
    }
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::Text(s) => Ok(s),
            v => mismatch(&v),
        }
    }
}
impl Col for Value {
    fn lite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        use rusqlite::types::ValueRef;
        Ok(match r.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => Value::Int(n),
            ValueRef::Real(x) => Value::Real(x),
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                Value::Text(String::from_utf8_lossy(t).into_owned())
            }
        })
    }
    fn from_value(v: Value) -> Result<Self> {
        Ok(v)
    }
}
impl<T: Col + rusqlite::types::FromSql> Col for Option<T> {
    fn lite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        // One read of the column (this is on the path of every listed row).
        r.get(i)
    }
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}
macro_rules! col_id {
    ($t:ty) => {
        impl rusqlite::types::FromSql for $t {
            fn column_result(
                v: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                i64::column_result(v).map(Self)
            }
        }
        impl Col for $t {
            fn lite(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
                r.get(i).map(Self)
            }
            fn from_value(v: Value) -> Result<Self> {
                i64::from_value(v).map(Self)
            }
        }
    };
}
col_id!(crate::domain::ids::AccountId);
col_id!(crate::domain::ids::TaskId);

/// A row of a result, of either backend.
pub enum Row<'r> {
    Lite(&'r rusqlite::Row<'r>),
    Pg(&'r tokio_postgres::Row),
    /// Values already read: a row of several reads that PostgreSQL answered
    /// in one JSON value ([`Cells`]).
    Values(&'r [Value]),
}

impl Row<'_> {
    /// Column `i` (0-based) as a `T`.
    pub fn get<T: Col>(&self, i: usize) -> Result<T> {
        match self {
            Row::Lite(r) => Ok(T::lite(r, i)?),
            Row::Pg(r) => {
                let Any(v) = r.try_get(i)?;
                T::from_value(v).with_context(|| format!("column {i}"))
            }
            Row::Values(vs) => {
                let v = vs
                    .get(i)
                    .cloned()
                    .ok_or_else(|| anyhow!("column {i} is missing from a row of {}", vs.len()))?;
                T::from_value(v).with_context(|| format!("column {i}"))
            }
        }
    }
}

/// One row as PostgreSQL's `json_build_array` of its columns writes it:
/// each column's value as [`Any`] reads it (`bigint` a number, `text` a
/// string, `boolean` 0 or 1, NULL null), for [`Row::Values`].
#[derive(Debug, Default, PartialEq, serde::Deserialize)]
#[serde(transparent)]
pub struct Cells(Vec<Cell>);

impl Cells {
    /// The row, to read with the same functions as any other.
    pub fn values(&self) -> Vec<Value> {
        self.0.iter().map(|c| c.0.clone()).collect()
    }
}

#[derive(Debug, PartialEq)]
struct Cell(Value);

impl<'de> serde::Deserialize<'de> for Cell {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        struct Scalar;
        impl serde::de::Visitor<'_> for Scalar {
            type Value = Cell;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a column's value (null, a number, a string or a boolean)")
            }
            fn visit_unit<E>(self) -> Result<Cell, E> {
                Ok(Cell(Value::Null))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Cell, E> {
                Ok(Cell(Value::Int(i64::from(v))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Cell, E> {
                Ok(Cell(Value::Int(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Cell, E> {
                i64::try_from(v)
                    .map(|v| Cell(Value::Int(v)))
                    .map_err(|_| E::custom(format!("{v} does not fit a bigint")))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Cell, E> {
                Ok(Cell(Value::Real(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Cell, E> {
                Ok(Cell(Value::Text(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Cell, E> {
                Ok(Cell(Value::Text(v)))
            }
        }
        d.deserialize_any(Scalar)
    }
}

/// One read of [`Conn::read_together`]: a statement, its parameters, and
/// what to do with each row.
pub struct Query<'a> {
    pub sql: &'a str,
    pub args: &'a [Value],
    pub on_row: &'a mut dyn FnMut(&Row<'_>) -> Result<()>,
}

/// Which database a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An open connection.
pub enum Conn {
    Lite(rusqlite::Connection),
    Pg(Box<Pg>),
}

/// A PostgreSQL connection. A statement is sent unnamed the first time,
/// its parameters typed by the server and bound as text, in one flight
/// with its Bind and Execute: one round trip a statement. One used a
/// second time is prepared within that flight and sent by name from then
/// on (planned once), unless a pooler that cannot track prepared
/// statements may stand between ([`super::pg::Pooler`], [`Stmt`]).
/// Statements
/// whose answer is not needed at once (a transaction's BEGIN, a write that
/// returns nothing) wait in `deferred` and go out with the next statement,
/// pipelined: the server runs them in order, and the first error is the
/// one reported.
pub struct Pg {
    wire: super::wire::Wire,
    /// Each statement this connection has sent, by its SQLite text.
    known: RefCell<HashMap<String, Known>>,
    /// Whether a statement used again is prepared (named) on the server;
    /// not under a pooler in transaction mode (`NFA_PG_POOLER`, or found
    /// at opening: [`super::pg::Pooler`]).
    prepare: std::cell::Cell<bool>,
    /// How many are (or are about to be).
    prepared: std::cell::Cell<usize>,
    deferred: RefCell<Vec<Deferred>>,
    /// Statements to prepare with the next flight (SQLite's text, ours).
    to_prepare: RefCell<Vec<(String, std::sync::Arc<str>)>>,
    /// Whether a lock asked for without waiting goes out at once, alone
    /// (a transaction run again because it found the lock taken: it does
    /// not send its reads again until it holds it).
    lock_alone: std::cell::Cell<bool>,
    /// Whether the transaction under way wrote a log line (its COMMIT is
    /// then followed by a notification: [`Conn::commit`]).
    logged: std::cell::Cell<bool>,
    /// The sequence of the tasks' ids, as `pg_get_serial_sequence` names
    /// it, once known ([`Conn::task_sequence`]).
    task_sequence: RefCell<Option<String>>,
}

/// The most statements one connection keeps prepared (the others are sent
/// unnamed): texts built with a varying number of values are not kept.
const MAX_PREPARED: usize = 128;

/// The most writes deferred beside each other that go out as one statement
/// (many log lines of one transaction go as several, so that statements of
/// a few shapes only are kept prepared).
const MAX_BESIDE: usize = 4;

/// A statement this connection has sent.
struct Known {
    text: std::sync::Arc<str>,
    uses: u32,
    prepared: Option<tokio_postgres::Statement>,
}

/// A statement as it goes out.
#[derive(Clone)]
enum Stmt {
    /// Its text, with its values: Parse, Bind, Execute in one flight, and
    /// planned each time.
    Unnamed(std::sync::Arc<str>),
    /// Prepared on this connection (at its second use): Bind and Execute,
    /// planned once for all (a generic plan, where the server finds it as
    /// good).
    Named(tokio_postgres::Statement),
}

/// [`Stmt`]'s requests (`client` is the connection's).
impl Stmt {
    async fn query(
        &self,
        client: &tokio_postgres::Client,
        args: &[Value],
    ) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
        match self {
            Stmt::Unnamed(text) => client.query_typed(text, &typed(args)).await,
            Stmt::Named(st) => client.query(st, &bound(args)).await,
        }
    }

    async fn query_opt(
        &self,
        client: &tokio_postgres::Client,
        args: &[Value],
    ) -> Result<Option<tokio_postgres::Row>, tokio_postgres::Error> {
        match self {
            Stmt::Unnamed(text) => client.query_typed_opt(text, &typed(args)).await,
            Stmt::Named(st) => client.query_opt(st, &bound(args)).await,
        }
    }

    async fn execute(
        &self,
        client: &tokio_postgres::Client,
        args: &[Value],
    ) -> Result<u64, tokio_postgres::Error> {
        match self {
            Stmt::Unnamed(text) => client.execute_typed(text, &typed(args)).await,
            Stmt::Named(st) => client.execute(st, &bound(args)).await,
        }
    }

    async fn query_raw(
        &self,
        client: &tokio_postgres::Client,
        args: &[Value],
    ) -> Result<tokio_postgres::RowStream, tokio_postgres::Error> {
        match self {
            Stmt::Unnamed(text) => client.query_typed_raw(text, typed(args)).await,
            Stmt::Named(st) => client.query_raw(st, args.iter()).await,
        }
    }
}

/// A prepared statement's parameters (each bound as text, [`Value`]).
fn bound(args: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

/// A statement sent with the next one.
enum Deferred {
    /// The BEGIN of the transaction under way (with its `SET LOCAL`s).
    Begin(String),
    /// The BEGIN with an account's lock asked for without waiting, in one
    /// simple query (one answer where two took two): its row says whether
    /// the lock was had, as [`Deferred::Try`]'s.
    BeginTry(String),
    Statement(Stmt, Vec<Value>),
    /// A write that may go out as one statement with the writes deferred
    /// beside it ([`Conn::defer_beside`]): SQLite's text and its values.
    Beside(String, Vec<Value>),
    /// A statement whose one row's one column says whether it got what it
    /// asked for (`pg_try_advisory_xact_lock`): false ends the flight in
    /// [`Busy`].
    Try(Stmt, Vec<Value>),
}

/// An account's lock asked for without waiting, the lock's key `?1`
/// ([`Conn::try_advisory_lock`]). The transaction that takes it is a
/// decision's, whose statements are reads and writes of a few rows by key:
/// its prepared statements are planned generically at once
/// (`plan_cache_mode`, for this transaction only) rather than planned again
/// for each of their first five executions, as PostgreSQL does by default
/// (the decision's read took the server about 3 ms to plan each time).
const TRY_LOCK: &str = "SELECT pg_try_advisory_xact_lock(?1), \
                        set_config('plan_cache_mode', 'force_generic_plan', true)";

/// A lock another transaction holds, asked for without waiting
/// ([`Conn::try_advisory_lock`]): the transaction is to be rolled back (letting go
/// of the connection) and run again a little later; [`super::Store::write`]
/// does so until `NFA_LOCK_TIMEOUT` has passed.
#[derive(Debug)]
pub struct Busy;

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a lock is held by another nfa")
    }
}

impl std::error::Error for Busy {}

/// A deferred statement under way: whether it got what it asked for.
type Flight<'a> = std::pin::Pin<Box<dyn Future<Output = Result<bool, tokio_postgres::Error>> + 'a>>;

/// A statement's parameters as `query_typed` takes them: every type left
/// to the server ([`Value`] is bound as text).
fn typed(args: &[Value]) -> Vec<(&(dyn ToSql + Sync), Type)> {
    args.iter()
        .map(|a| (a as &(dyn ToSql + Sync), Type::UNKNOWN))
        .collect()
}

impl Pg {
    /// A connection that keeps no statement prepared until
    /// [`Conn::keep_statements`] says it may.
    pub fn new(wire: super::wire::Wire) -> Pg {
        Pg {
            wire,
            known: RefCell::new(HashMap::new()),
            prepare: std::cell::Cell::new(false),
            prepared: std::cell::Cell::new(0),
            deferred: RefCell::new(vec![]),
            to_prepare: RefCell::new(vec![]),
            lock_alone: std::cell::Cell::new(false),
            logged: std::cell::Cell::new(false),
            task_sequence: RefCell::new(None),
        }
    }

    /// Sends what waits to go out if a lock asked for without waiting is
    /// among it, so that the lock is known to be held before anything is
    /// committed (sent with the COMMIT, a lock found taken would be known
    /// only once the transaction had committed without it).
    fn settle_tries(&self) -> Result<()> {
        let tries = self
            .deferred
            .borrow()
            .iter()
            .any(|d| matches!(d, Deferred::Try(..) | Deferred::BeginTry(_)));
        if tries {
            self.wait(async { Ok(()) })?;
        }
        Ok(())
    }

    /// Whether the connection is gone (the server ended it: a restart, a
    /// failover; or it stopped answering).
    pub fn is_closed(&self) -> bool {
        self.wire.is_closed()
    }

    /// Waits up to `step` for a notification of a channel this connection
    /// LISTENs to; whether one (or more) came.
    pub fn wait_for_notification(&self, step: std::time::Duration) -> Result<bool> {
        self.wire.wait_for_notification(step)
    }

    /// One statement as it is to go out ([`Pg::stmts`]).
    fn stmt(&self, sql: &str) -> Result<Stmt> {
        Ok(self.stmts(&[sql])?.remove(0))
    }

    /// The statements `sqls` (SQLite's text) as they are to go out: by
    /// name once prepared; a statement used for the second time is
    /// prepared with the next flight (no round trip of its own), and sent
    /// by name from its third use on.
    fn stmts(&self, sqls: &[&str]) -> Result<Vec<Stmt>> {
        let mut out = Vec::with_capacity(sqls.len());
        let mut known = self.known.borrow_mut();
        for sql in sqls {
            if !known.contains_key(*sql) {
                let text = to_postgres(sql)?.into();
                known.insert(
                    (*sql).to_owned(),
                    Known {
                        text,
                        uses: 0,
                        prepared: None,
                    },
                );
            }
            let k = known.get_mut(*sql).expect("inserted above");
            k.uses = k.uses.saturating_add(1);
            match &k.prepared {
                Some(st) => out.push(Stmt::Named(st.clone())),
                None => {
                    if self.prepare.get() && k.uses == 2 && self.prepared.get() < MAX_PREPARED {
                        self.prepared.set(self.prepared.get() + 1);
                        self.to_prepare
                            .borrow_mut()
                            .push(((*sql).to_owned(), k.text.clone()));
                    }
                    out.push(Stmt::Unnamed(k.text.clone()));
                }
            }
        }
        Ok(out)
    }

    /// `deferred` with each run of writes deferred beside each other
    /// ([`Deferred::Beside`]) made one statement: the first ones as
    /// data-modifying `WITH` queries of the last (`WITH w0 AS (INSERT …),
    /// w1 AS (INSERT …) UPDATE …`), their placeholders numbered on. One
    /// statement is one answer from the server where each took one (the
    /// server's work of an answer, a flush, a wake of this process).
    fn fold(&self, deferred: Vec<Deferred>) -> Result<Vec<Deferred>> {
        if !deferred.iter().any(|d| matches!(d, Deferred::Beside(..))) {
            return Ok(deferred);
        }
        let mut out = Vec::with_capacity(deferred.len());
        let mut run: Vec<(String, Vec<Value>)> = vec![];
        let end_run = |run: &mut Vec<(String, Vec<Value>)>, out: &mut Vec<Deferred>| {
            if run.is_empty() {
                return Ok(());
            }
            let (sql, args) = together(std::mem::take(run))?;
            out.push(Deferred::Statement(self.stmt(&sql)?, args));
            anyhow::Ok(())
        };
        for d in deferred {
            match d {
                Deferred::Beside(sql, args) => {
                    if run.len() == MAX_BESIDE {
                        end_run(&mut run, &mut out)?;
                    }
                    run.push((sql, args));
                }
                other => {
                    end_run(&mut run, &mut out)?;
                    out.push(other);
                }
            }
        }
        end_run(&mut run, &mut out)?;
        Ok(out)
    }

    /// Waits for `request`'s answer, sending the deferred statements
    /// before it in the same flight; the first of their errors, if any.
    fn wait<T>(
        &self,
        request: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T> {
        let deferred = std::mem::take(&mut *self.deferred.borrow_mut());
        let deferred = self.fold(deferred)?;
        let to_prepare = std::mem::take(&mut *self.to_prepare.borrow_mut());
        if deferred.is_empty() && to_prepare.is_empty() {
            return self.wire.wait(request);
        }
        let client = &self.wire.client;
        // Statements to keep prepared, in the same flight: one that fails
        // (a transaction the server has ended) is simply not kept.
        let prepares =
            futures_util::future::join_all(to_prepare.iter().map(|(_, text)| client.prepare(text)));
        let earlier = futures_util::future::join_all(deferred.iter().map(|d| -> Flight<'_> {
            match d {
                Deferred::Begin(sql) => {
                    Box::pin(async move { client.batch_execute(sql).await.map(|_| true) })
                }
                Deferred::BeginTry(sql) => Box::pin(async move {
                    let answer = client.simple_query(sql).await?;
                    Ok(answer.iter().any(|m| {
                        matches!(m, tokio_postgres::SimpleQueryMessage::Row(r) if r.get(0) == Some("t"))
                    }))
                }),
                Deferred::Statement(st, args) => {
                    Box::pin(async move { st.execute(client, args).await.map(|_| true) })
                }
                Deferred::Beside(..) => unreachable!("folded into statements above"),
                Deferred::Try(st, args) => Box::pin(async move {
                    let rows = st.query(client, args).await?;
                    Ok(rows
                        .first()
                        .and_then(|r| r.get::<_, Option<bool>>(0))
                        .unwrap_or(false))
                }),
            }
        }));
        // Polled in order, so sent in order: the prepares, the deferred,
        // then `request`.
        let (prepared, (earlier, answer)) = self.wire.wait(async {
            Ok(
                futures_util::future::join(prepares, futures_util::future::join(earlier, request))
                    .await,
            )
        })?;
        {
            let mut known = self.known.borrow_mut();
            for ((sql, _), st) in to_prepare.into_iter().zip(prepared) {
                if let (Ok(st), Some(k)) = (st, known.get_mut(&sql)) {
                    k.prepared = Some(st);
                }
            }
        }
        for e in earlier {
            if !e? {
                // What ran after it ran without the lock: the caller rolls
                // the transaction back (never a COMMIT: see `batch`).
                return Err(Busy.into());
            }
        }
        Ok(answer?)
    }
}

impl Conn {
    pub fn backend(&self) -> Backend {
        match self {
            Conn::Lite(_) => Backend::Sqlite,
            Conn::Pg(_) => Backend::Postgres,
        }
    }

    /// The engineer a new task or log line is recorded for, as the client
    /// says it: on SQLite the operating-system login; on PostgreSQL
    /// nothing, for the server writes its session user itself (a trigger
    /// of schema 7 that no client value overrides).
    pub fn engineer(&self) -> Option<&'static str> {
        match self {
            Conn::Lite(_) => Some(crate::process::login_name()),
            Conn::Pg(_) => None,
        }
    }

    /// What ends a `SELECT` that takes rows to change them: on PostgreSQL
    /// `FOR UPDATE SKIP LOCKED` (rows another transaction is taking are
    /// passed over, not waited for and then taken again); nothing on SQLite,
    /// whose write lock already makes the writer alone.
    pub fn skip_locked(&self) -> &'static str {
        match self {
            Conn::Lite(_) => "",
            Conn::Pg(_) => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// The database's clock in whole seconds since the Unix epoch, as an
    /// SQL expression: the one clock every host sharing the database reads
    /// (PostgreSQL's `clock_timestamp()`, not the transaction's start).
    pub fn server_secs(&self) -> &'static str {
        match self {
            Conn::Lite(_) => "unixepoch()",
            Conn::Pg(_) => pg_server_secs!(),
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas, ATTACH).
    pub fn lite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Conn::Lite(c) => Some(c),
            Conn::Pg(_) => None,
        }
    }

    /// Runs statements without parameters or results.
    pub fn batch(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Lite(c) => c.execute_batch(sql)?,
            Conn::Pg(p) => {
                p.settle_tries()?;
                p.wait(p.wire.client.batch_execute(sql))?;
            }
        }
        Ok(())
    }

    /// Starts a write transaction: on SQLite `BEGIN IMMEDIATE` (the write
    /// lock, taken now); on PostgreSQL `BEGIN` with the lock wait of this
    /// transaction, sent with its first statement.
    pub fn begin(&self, lock_wait_ms: u128) -> Result<()> {
        match self {
            Conn::Lite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Conn::Pg(p) => p.deferred.borrow_mut().push(Deferred::Begin(format!(
                "BEGIN; SET LOCAL lock_timeout = {lock_wait_ms}"
            ))),
        }
        Ok(())
    }

    /// Notes that the transaction under way wrote a log line
    /// (PostgreSQL: see [`Conn::commit`]).
    pub fn wrote_log(&self) {
        if let Conn::Pg(p) = self {
            p.logged.set(true);
        }
    }

    /// Commits the write transaction under way. On PostgreSQL, when it
    /// wrote a log line, `notify` (a statement of a transaction of its
    /// own) goes out right after the COMMIT, in the same flight: its
    /// answer does not change the COMMIT's (the commit happened or not
    /// before it runs), and it holds no lock of the COMMIT's.
    pub fn commit(&self, notify: &str) -> Result<()> {
        let Conn::Pg(p) = self else {
            return self.batch("COMMIT");
        };
        if !p.logged.replace(false) {
            return self.batch("COMMIT");
        }
        p.settle_tries()?;
        let client = &p.wire.client;
        let both = format!("COMMIT; {notify}");
        p.wait(async {
            // One simple query, one answer. The COMMIT's CommandComplete
            // comes first: an error before it is the COMMIT's, one after
            // it the notification's, which does not change the COMMIT's.
            use futures_util::StreamExt;
            let mut answer = std::pin::pin!(client.simple_query_raw(&both).await?);
            let mut committed = false;
            while let Some(message) = answer.next().await {
                match message {
                    Ok(tokio_postgres::SimpleQueryMessage::CommandComplete(_)) => committed = true,
                    Ok(_) => {}
                    Err(e) if !committed => return Err(e),
                    Err(_) => break,
                }
            }
            Ok(())
        })
    }

    /// Ends the write transaction under way, its changes undone. On
    /// PostgreSQL, a transaction whose BEGIN was never sent is simply
    /// forgotten, with whatever waited to go with it.
    pub fn rollback(&self) -> Result<()> {
        if let Conn::Pg(p) = self {
            p.logged.set(false);
            let deferred = std::mem::take(&mut *p.deferred.borrow_mut());
            if deferred
                .iter()
                .any(|d| matches!(d, Deferred::Begin(_) | Deferred::BeginTry(_)))
            {
                return Ok(());
            }
        }
        self.batch("ROLLBACK")
    }

    /// Runs one statement whose answer is not needed now: on PostgreSQL
    /// sent with the next statement (its error, if any, is that
    /// statement's); at once on SQLite.
    pub fn defer(&self, sql: &str, args: &[Value]) -> Result<()> {
        match self {
            Conn::Lite(_) => self.execute(sql, args).map(drop),
            Conn::Pg(p) => {
                let st = p.stmt(sql)?;
                p.deferred
                    .borrow_mut()
                    .push(Deferred::Statement(st, args.to_vec()));
                Ok(())
            }
        }
    }

    /// [`Conn::defer`] of a write that may go out as one statement with the
    /// other writes deferred beside it, one after the other (on PostgreSQL
    /// a data-modifying `WITH` query of theirs, [`Pg::fold`]): an INSERT of
    /// a new row, or an UPDATE of a row no other write of the transaction
    /// touches, that reads nothing another writes (they all see the same
    /// snapshot).
    pub fn defer_beside(&self, sql: &str, args: &[Value]) -> Result<()> {
        match self {
            Conn::Lite(_) => self.execute(sql, args).map(drop),
            Conn::Pg(p) => {
                p.deferred
                    .borrow_mut()
                    .push(Deferred::Beside(sql.to_owned(), args.to_vec()));
                Ok(())
            }
        }
    }

    /// Asks for the advisory lock `key` without waiting
    /// (`pg_try_advisory_xact_lock`): on PostgreSQL sent with the next
    /// statement (right after the BEGIN, in the BEGIN's own simple query);
    /// if the lock was not free, that statement's answer is [`Busy`]
    /// instead. The same statement has the transaction's prepared
    /// statements planned generically from their first execution
    /// ([`TRY_LOCK`]). PostgreSQL only (SQLite's write lock is taken at
    /// BEGIN).
    pub fn try_advisory_lock(&self, key: i64) -> Result<()> {
        let Conn::Pg(p) = self else {
            return Ok(());
        };
        {
            let mut deferred = p.deferred.borrow_mut();
            if let [Deferred::Begin(begin)] = deferred.as_mut_slice() {
                // An integer, written by nfa: nothing to quote.
                let lock = TRY_LOCK.replace("?1", &key.to_string());
                let both = format!("{begin}; {lock}");
                deferred[0] = Deferred::BeginTry(both);
            } else {
                let st = p.stmts(&[TRY_LOCK])?.remove(0);
                deferred.push(Deferred::Try(st, vec![Value::Int(key)]));
            }
        }
        if p.lock_alone.get() {
            p.wait(async { Ok(()) })?;
        }
        Ok(())
    }

    /// Whether [`Conn::try_advisory_lock`] sends its lock at once, alone, rather
    /// than with the next statement: for a transaction run again because
    /// it found the lock taken (its tries then cost one short round trip).
    pub fn lock_alone(&self, alone: bool) {
        if let Conn::Pg(p) = self {
            p.lock_alone.set(alone);
        }
    }

    /// Runs `queries` (reads), each row of each given to its callback in
    /// order: on PostgreSQL all in one flight.
    pub fn read_together(&self, queries: &mut [Query<'_>]) -> Result<()> {
        match self {
            Conn::Lite(_) => {
                for q in queries {
                    self.for_each(q.sql, q.args, &mut *q.on_row)?;
                }
            }
            Conn::Pg(p) => {
                let sqls: Vec<&str> = queries.iter().map(|q| q.sql).collect();
                let stmts = p.stmts(&sqls)?;
                let client = &p.wire.client;
                let all = futures_util::future::try_join_all(
                    stmts
                        .iter()
                        .zip(queries.iter())
                        .map(|(st, q)| st.query(client, q.args)),
                );
                let answers = p.wait(all)?;
                for (q, rows) in queries.iter_mut().zip(answers) {
                    for r in &rows {
                        (q.on_row)(&Row::Pg(r))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether statements used again are kept prepared from now on
    /// (PostgreSQL; before any is).
    pub fn keep_statements(&self, keep: bool) {
        if let Conn::Pg(p) = self {
            p.prepare.set(keep);
        }
    }

    /// PostgreSQL only: runs `sql` (statements without parameters) in one
    /// round trip with the simple query protocol; the text of the last row
    /// it returned (`None` on SQLite, or when no row came).
    pub fn pg_simple_row(&self, sql: &str) -> Result<Option<Vec<Option<String>>>> {
        let Conn::Pg(p) = self else {
            return Ok(None);
        };
        let messages = p.wait(p.wire.client.simple_query(sql))?;
        Ok(messages.iter().rev().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
            }
            _ => None,
        }))
    }

    /// PostgreSQL: the sequence of the tasks' ids (its name, qualified,
    /// as `pg_get_serial_sequence('tasks', 'id')` gives it), which the
    /// schema check reads when the connection opens
    /// ([`Conn::know_task_sequence`]): found by name when used, where
    /// `pg_get_serial_sequence` searches the catalog's dependencies at
    /// each call (about 2 % of the server's time of a refresh decision).
    /// Asked for here if it was not read then.
    pub fn task_sequence(&self) -> Result<String> {
        let Conn::Pg(p) = self else {
            return Err(crate::error::internal(
                "the tasks' sequence is PostgreSQL's",
            ));
        };
        if let Some(name) = p.task_sequence.borrow().clone() {
            return Ok(name);
        }
        let name: String = self.value("SELECT pg_get_serial_sequence('tasks', 'id')", &[])?;
        self.know_task_sequence(&name);
        Ok(name)
    }

    /// Keeps the name of the tasks' sequence ([`Conn::task_sequence`]).
    pub fn know_task_sequence(&self, name: &str) {
        if let Conn::Pg(p) = self {
            *p.task_sequence.borrow_mut() = Some(name.to_owned());
        }
    }

    /// Runs one statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, args: &[Value]) -> Result<u64> {
        match self {
            Conn::Lite(c) => {
                let n = c
                    .prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(args))?;
                Ok(u64::try_from(n).unwrap_or(0))
            }
            Conn::Pg(p) => {
                let st = p.stmt(sql)?;
                p.wait(st.execute(&p.wire.client, args))
            }
        }
    }

    /// Calls `f` on each row of the result, in order, as the rows come.
    pub fn for_each(
        &self,
        sql: &str,
        args: &[Value],
        mut f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        match self {
            Conn::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
                while let Some(r) = rows.next()? {
                    f(&Row::Lite(r))?;
                }
            }
            Conn::Pg(p) => {
                use futures_util::StreamExt;
                let st = p.stmt(sql)?;
                let rows = p.wait(st.query_raw(&p.wire.client, args))?;
                let mut rows = std::pin::pin!(rows);
                // Each row is a wait of its own: a long result streams
                // for as long as the server keeps sending.
                while let Some(r) = p.wire.wait(async { rows.next().await.transpose() })? {
                    f(&Row::Pg(&r))?;
                }
            }
        }
        Ok(())
    }

    /// Every row of the result, each made a `T` by `f`.
    pub fn query_vec<T>(
        &self,
        sql: &str,
        args: &[Value],
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = vec![];
        self.for_each(sql, args, |r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of the result, if any.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        args: &[Value],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        match self {
            Conn::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
                match rows.next()? {
                    Some(r) => Ok(Some(f(&Row::Lite(r))?)),
                    None => Ok(None),
                }
            }
            Conn::Pg(p) => {
                let st = p.stmt(sql)?;
                let row = p.wait(st.query_opt(&p.wire.client, args))?;
                row.map(|r| f(&Row::Pg(&r))).transpose()
            }
        }
    }

    /// The one row of the result.
    pub fn query_row<T>(
        &self,
        sql: &str,
        args: &[Value],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        match self.query_opt(sql, args, f)? {
            Some(v) => Ok(v),
            None => Err(crate::error::internal(format!(
                "a query that returns a row returned none: {sql}"
            ))),
        }
    }

    /// The single value of a one-row, one-column result.
    pub fn value<T: Col>(&self, sql: &str, args: &[Value]) -> Result<T> {
        self.query_row(sql, args, |r| r.get(0))
    }
}

/// An SQLite statement in PostgreSQL's form, read token by token: `?N`
/// becomes `$N`, and a bare `?` the number after the largest so far (as
/// SQLite numbers it: `?2, ?` is `$2, $3`); an `INDEXED BY name` hint goes.
/// Quoted text (`'…'`), quoted identifiers (`"…"`), `--` and `/* */`
/// comments and `::` casts are left as they are. Refused, rather than
/// mistranslated: named parameters (`:a`, `@a`, `$a`), `?0`, dollar-quoted
/// text, and an unterminated quote or comment.
pub fn to_postgres(sql: &str) -> Result<String> {
    renumber(sql, 0, '$')
}

/// `sql` (SQLite's text) with each placeholder numbered `shift` more and
/// written after `mark`: `$` for PostgreSQL ([`to_postgres`], which also
/// drops an `INDEXED BY` hint), `?` for SQLite's text again.
fn renumber(sql: &str, shift: u32, mark: char) -> Result<String> {
    let refuse = |what: &str| {
        crate::error::internal(format!("cannot translate for PostgreSQL ({what}): {sql}"))
    };
    let mut out = String::with_capacity(sql.len() + 8);
    let mut largest = 0u32;
    let mut chars = sql.char_indices().peekable();
    let word_before = |i: usize| {
        sql[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    };
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|(_, n)| *n);
        match c {
            '\'' | '"' => {
                // To the closing quote; a doubled quote is one inside.
                out.push(c);
                loop {
                    match chars.next() {
                        Some((_, q)) if q == c => {
                            out.push(q);
                            if chars.peek().map(|(_, n)| *n) == Some(c) {
                                out.push(c);
                                chars.next();
                            } else {
                                break;
                            }
                        }
                        Some((_, other)) => out.push(other),
                        None => return Err(refuse("an unterminated quote")),
                    }
                }
            }
            '-' if next == Some('-') => {
                let end = sql[i..].find('\n').map_or(sql.len(), |n| i + n);
                out.push_str(&sql[i..end]);
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            '/' if next == Some('*') => {
                let Some(close) = sql[i + 2..].find("*/") else {
                    return Err(refuse("an unterminated comment"));
                };
                let end = i + 2 + close + 2;
                out.push_str(&sql[i..end]);
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            ':' if next == Some(':') => {
                out.push_str("::");
                chars.next();
            }
            '?' => {
                let mut digits = String::new();
                while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = if digits.is_empty() {
                    largest + 1
                } else {
                    match digits.parse::<u32>() {
                        Ok(n) if n > 0 => n,
                        _ => return Err(refuse("a parameter numbered 0 or past 2^32")),
                    }
                };
                largest = largest.max(n);
                let Some(n) = n.checked_add(shift) else {
                    return Err(refuse("a parameter numbered past 2^32"));
                };
                out.push(mark);
                out.push_str(&n.to_string());
            }
            ':' | '@' | '$'
                if next.is_some_and(|n| n.is_alphanumeric() || n == '_' || n == '$') =>
            {
                return Err(refuse(if c == '$' && !word_before(i) {
                    "a named parameter or dollar-quoted text"
                } else {
                    "a named parameter"
                }));
            }
            'I' if mark == '$' && !word_before(i) && sql[i..].starts_with("INDEXED BY ") => {
                // Skip the hint and the index's name.
                let rest = &sql[i + "INDEXED BY ".len()..];
                let name = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                let space = usize::from(rest[name..].starts_with(' '));
                for _ in 0.."INDEXED BY ".len() - 1 + name + space {
                    chars.next();
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Writes (SQLite's text, with their values) as one statement: the last
/// one's, with each before it a data-modifying `WITH` query, its
/// placeholders numbered after the values before it. All of them see the
/// same snapshot and none sees another's rows, so they must be writes that
/// read nothing another writes and write no row another does
/// ([`Conn::defer_beside`]).
fn together(mut parts: Vec<(String, Vec<Value>)>) -> Result<(String, Vec<Value>)> {
    if parts.len() == 1 {
        return Ok(parts.remove(0));
    }
    let mut sql = String::from("WITH ");
    let mut values = vec![];
    let last = parts.len() - 1;
    for (i, (part, args)) in parts.into_iter().enumerate() {
        let shift = u32::try_from(values.len())?;
        let part = renumber(&part, shift, '?')?;
        if i < last {
            sql.push_str(&format!("w{i} AS ({part}), "));
        } else {
            // (`WITH … ,` before it: drop the last comma.)
            sql.truncate(sql.len() - 2);
            sql.push(' ');
            sql.push_str(&part);
        }
        values.extend(args);
    }
    Ok((sql, values))
}

/// Text as both backends store it: a NUL character (which PostgreSQL's
/// `text` cannot hold, and which tenant data or an error message may carry)
/// becomes U+FFFD, the replacement character, on SQLite too, so that both
/// engines store, show and copy the same text.
pub fn storable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        std::borrow::Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Value::Real(x) => ToSqlOutput::Borrowed(ValueRef::Real(*x)),
            Value::Text(s) => match storable(s) {
                std::borrow::Cow::Borrowed(s) => {
                    ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
                }
                std::borrow::Cow::Owned(s) => ToSqlOutput::from(s),
            },
        })
    }
}

/// A value bound as text, parsed by the server as the type it gave the
/// parameter (as `psql` or an untyped literal would be): an integer fits
/// an `int4`, `int8`, `float8` or `boolean` parameter alike.
impl ToSql for Value {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut tokio_postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => return Ok(IsNull::Yes),
            Value::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Value::Real(x) if x.is_nan() => out.extend_from_slice(b"NaN"),
            Value::Real(x) if x.is_infinite() => {
                out.extend_from_slice(if *x > 0.0 { b"Infinity" } else { b"-Infinity" });
            }
            Value::Real(x) => out.extend_from_slice(x.to_string().as_bytes()),
            Value::Text(s) => out.extend_from_slice(storable(s).as_bytes()),
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, _: &Type) -> tokio_postgres::types::Format {
        tokio_postgres::types::Format::Text
    }

    tokio_postgres::types::to_sql_checked!();
}

/// Any column read as a [`Value`].
struct Any(Value);

impl<'a> FromSql<'a> for Any {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Any(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Value::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::BOOL => Value::Int(i64::from(bool::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::OID => Value::Int(i64::from(u32::from_sql(ty, raw)?)),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                Value::Text(String::from_sql(ty, raw)?)
            }
            ref other => return Err(format!("a column of type {other} is not read by nfa").into()),
        }))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Any(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::{Cells, Value, to_postgres, together};

    #[test]
    fn a_row_of_json_reads_as_the_same_values_as_a_row_of_columns() {
        let row: Cells = serde_json::from_str(
            r#"[7, -9223372036854775808, 9223372036854775807, "caf\u00e9 \"x\"", null, true, false, 1.5]"#,
        )
        .unwrap();
        assert_eq!(
            row.values(),
            [
                Value::Int(7),
                Value::Int(i64::MIN),
                Value::Int(i64::MAX),
                Value::Text("café \"x\"".into()),
                Value::Null,
                Value::Int(1),
                Value::Int(0),
                Value::Real(1.5),
            ]
        );
        // Nothing is made up: a value out of a bigint's range, or a
        // column that is not one value, is refused.
        assert!(serde_json::from_str::<Cells>("[9223372036854775808]").is_err());
        assert!(serde_json::from_str::<Cells>("[[1]]").is_err());
        assert!(serde_json::from_str::<Cells>(r#"[{"a": 1}]"#).is_err());
    }

    fn pg(sql: &str) -> String {
        to_postgres(sql).unwrap()
    }

    #[test]
    fn writes_beside_each_other_become_one_statement_their_placeholders_numbered_on() {
        let parts = vec![
            (
                "INSERT INTO tasks (id, description) VALUES (?2, ?1)".to_string(),
                vec![Value::Text("it's ?1".into()), Value::Int(7)],
            ),
            (
                "UPDATE accounts SET last_activity_at = ?2 WHERE id = ?1".to_string(),
                vec![Value::Int(3), Value::Text("t".into())],
            ),
            (
                "INSERT INTO logs (detail, task_id) VALUES ('?1 -- stays', ?1)".to_string(),
                vec![Value::Int(7)],
            ),
        ];
        let (sql, values) = together(parts).unwrap();
        assert_eq!(
            sql,
            "WITH w0 AS (INSERT INTO tasks (id, description) VALUES (?2, ?1)), \
             w1 AS (UPDATE accounts SET last_activity_at = ?4 WHERE id = ?3) \
             INSERT INTO logs (detail, task_id) VALUES ('?1 -- stays', ?5)"
        );
        assert_eq!(values.len(), 5);
        assert!(matches!(values[4], Value::Int(7)));
        assert_eq!(
            pg(&sql),
            "WITH w0 AS (INSERT INTO tasks (id, description) VALUES ($2, $1)), \
             w1 AS (UPDATE accounts SET last_activity_at = $4 WHERE id = $3) \
             INSERT INTO logs (detail, task_id) VALUES ('?1 -- stays', $5)"
        );
        // One write alone is itself.
        let one = vec![(
            "DELETE FROM logs WHERE id = ?1".to_string(),
            vec![Value::Int(1)],
        )];
        assert_eq!(
            together(one).unwrap().0.as_str(),
            "DELETE FROM logs WHERE id = ?1"
        );
    }

    #[test]
    fn placeholders_become_numbered_and_hints_go() {
        assert_eq!(
            pg("SELECT ?1, ?2 FROM t WHERE a = ?1"),
            "SELECT $1, $2 FROM t WHERE a = $1"
        );
        assert_eq!(
            pg("WHERE a = ? AND b = ? LIMIT ?"),
            "WHERE a = $1 AND b = $2 LIMIT $3"
        );
        assert_eq!(
            pg("SELECT min(id) FROM logs INDEXED BY logs_late WHERE late"),
            "SELECT min(id) FROM logs WHERE late"
        );
    }

    #[test]
    fn a_bare_placeholder_follows_the_largest_number_as_sqlite_numbers_it() {
        assert_eq!(pg("VALUES (?2, ?, ?1, ?)"), "VALUES ($2, $3, $1, $4)");
    }

    #[test]
    fn quoted_text_identifiers_and_comments_are_left_alone() {
        assert_eq!(pg("SELECT '?' || ?"), "SELECT '?' || $1");
        assert_eq!(pg("SELECT 'it''s ?1', ?"), "SELECT 'it''s ?1', $1");
        assert_eq!(
            pg(r#"SELECT "odd?col" FROM t WHERE a = ?"#),
            r#"SELECT "odd?col" FROM t WHERE a = $1"#
        );
        assert_eq!(pg(r#"SELECT "a""?" FROM t"#), r#"SELECT "a""?" FROM t"#);
        assert_eq!(
            pg("SELECT ? -- ?2 is not a parameter\n, ?"),
            "SELECT $1 -- ?2 is not a parameter\n, $2"
        );
        assert_eq!(pg("SELECT /* ?9 */ ?"), "SELECT /* ?9 */ $1");
        assert_eq!(
            pg("SELECT table_name::text FROM t"),
            "SELECT table_name::text FROM t"
        );
        assert_eq!(
            pg("SELECT 'INDEXED BY x' FROM t"),
            "SELECT 'INDEXED BY x' FROM t"
        );
        assert_eq!(pg("SELECT NOTINDEXED BY_x"), "SELECT NOTINDEXED BY_x");
        assert_eq!(pg("SELECT 'é' || ?"), "SELECT 'é' || $1");
    }

    #[test]
    fn what_cannot_be_translated_is_refused() {
        for sql in [
            "SELECT :name",
            "SELECT @name",
            "SELECT $name",
            "SELECT $1",
            "SELECT $$text$$",
            "SELECT $tag$text$tag$",
            "SELECT ?0",
            "SELECT 'open",
            r#"SELECT "open"#,
            "SELECT /* open",
        ] {
            let e = to_postgres(sql).unwrap_err().to_string();
            assert!(e.contains("cannot translate"), "{sql}: {e}");
        }
    }

    #[test]
    fn a_nul_in_text_is_stored_as_the_replacement_character() {
        assert_eq!(super::storable("token\0expired"), "token\u{FFFD}expired");
        assert!(matches!(
            super::storable("plain"),
            std::borrow::Cow::Borrowed("plain")
        ));
    }
}
