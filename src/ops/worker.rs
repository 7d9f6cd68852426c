//! The audit service (`nfa worker`): runs the PENDING tasks of every
//! account as they appear, and, with `audit-every`, audits each account
//! once a period, on any number of hosts against one database.
//!
//! - **One claim mechanism** with `nfa tasks run` ([`super::tasks::claim_one`]:
//!   an account's unclaimed PENDING tasks, `FOR UPDATE SKIP LOCKED` on
//!   PostgreSQL, the write lock on SQLite), on `jobs` threads that share
//!   the process's connection; a thread that finds nothing sleeps until it
//!   is woken: by a notification (PostgreSQL's `LISTEN nfa_logs`: every
//!   refresh, audit and task writes a log line) or a short poll (SQLite).
//! - **The periodic audit** is a claim per account and period: under the
//!   account's lock, the account's newest audit is read again and, if it is
//!   older than the period, the audit's tasks are added (PENDING, nobody's),
//!   in one transaction; whichever worker claims them runs them. Two
//!   workers due at once: one adds, the other finds the audit it added.
//! - **The rescuer**: PENDING tasks taken on by a process that no longer
//!   runs (the liveness rule of runs) are handed back, PENDING and nobody's,
//!   for another worker; tasks it left IN_PROGRESS end "abandoned".
//! - **Shutdown**: SIGTERM or Ctrl-C: no new claim, no new task started
//!   (an account's next task is handed back); the running ones get
//!   `shutdown-grace`, then end "interrupted".
//! - **A lost connection**: a one-line warning, then the worker connects
//!   again with a growing pause (`--once`: the error, exit 1). What this
//!   worker had under way is ended ERROR (it cannot tell whether the result
//!   was recorded) and its unstarted claims are handed back, so nothing is
//!   run twice.

use super::run::{Progress, RunContext};
use super::tasks::claim_one;
use crate::clock::Clock;
use crate::domain::ids::AccountId;
use crate::domain::owner::{Owner, heartbeat_every};
use crate::domain::task::TaskKind;
use crate::metrics::Metrics;
use crate::model::Account;
use crate::process::{Cancel, StopSignal, StopSignals};
use crate::runner::{INTERRUPTED, Observer, TaskResult, end_own, reap_abandoned};
use crate::store::{Store, explain};
use anyhow::Result;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How a worker runs.
pub struct Options {
    pub jobs: u16,
    /// Run what is due, then exit.
    pub once: bool,
}

/// How the worker ended.
pub struct Ended {
    /// The signal that stopped it (`None`: `--once` ran out of work).
    pub signal: Option<StopSignal>,
    /// A task it ran ended in ERROR.
    pub failed: bool,
    /// What stopped a `--once` run (the database, say).
    pub error: Option<anyhow::Error>,
}

/// How often a worker looks after the shared work: hands back dead
/// processes' claims, adds the audits that are due, counts what is pending.
const UPKEEP: Duration = Duration::from_secs(1);
/// How often idle jobs look for work without being woken (SQLite has no
/// notifications; on PostgreSQL a lost one is found this late at worst).
const POLL_LITE: Duration = Duration::from_millis(250);
const POLL_PG: Duration = Duration::from_secs(2);
/// How often the waker looks at signals and notifications.
const STEP: Duration = Duration::from_millis(50);
/// The pause before connecting again grows to this.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Runs the worker until a signal (or, with `--once`, until nothing is
/// due), on `first` (the command's connection) and, once it is lost, on
/// new ones.
pub fn serve(
    first: Store,
    clock: Clock,
    opts: &Options,
    signals: &StopSignals,
    progress: &dyn Progress,
    metrics: Option<&Metrics>,
) -> Result<Ended> {
    let at = first.at().clone();
    let me = Owner::current();
    let started = clock.now();
    let settings = first.read().settings()?;
    let jobs = u32::from(opts.jobs.max(1));
    let stop = Cancel::new();
    let cancel = Cancel::new();
    let counting = Counting {
        inner: progress,
        metrics,
        failed: AtomicBool::new(false),
    };
    let ctx = RunContext {
        db: &at,
        clock,
        cancel: &cancel,
        progress: &counting,
        jobs: jobs as usize,
        stop: &stop,
    };
    // Seen at once, so that `nfa summary` lists it from the start.
    first.write(|db| db.worker_seen(me, jobs, started))?;
    let beat = heartbeat_every(Duration::from_secs(settings.heartbeat_timeout.as_secs()));
    let finished = Cancel::new();
    let grace = Duration::from_secs(settings.shutdown_grace.as_secs());
    let mut error = None;
    std::thread::scope(|scope| {
        let (running, stopped) = std::sync::mpsc::channel::<()>();
        let heartbeat = scope.spawn(|| {
            super::run::heartbeat(&at, beat, stopped, &|db| db.worker_seen(me, jobs, started));
        });
        scope.spawn(|| watch_signals(signals, &stop, &cancel, &finished, grace));
        let mut store = Some(first);
        let mut pause = Duration::from_secs(1);
        loop {
            let s = match store.take() {
                Some(s) => s,
                None => match Store::open(&at) {
                    Ok(s) => s,
                    Err(e) if opts.once => {
                        error = Some(e);
                        break;
                    }
                    Err(e) => {
                        progress.warn(&format!(
                            "cannot connect to the database ({}); trying again in {}s",
                            explain(&e, &at).unwrap_or_else(|| format!("{e:#}")),
                            pause.as_secs()
                        ));
                        if !stop.sleep(pause) {
                            break;
                        }
                        pause = (pause * 2).min(MAX_BACKOFF);
                        continue;
                    }
                },
            };
            match session(&s, &ctx, opts, me, metrics) {
                Ok(()) => break,
                Err(e) => {
                    let why = explain(&e, &at).unwrap_or_else(|| format!("{e:#}"));
                    tidy(&s, &ctx, &format!("the run stopped: {why}"));
                    if !ctx.taking_work() {
                        // A signal came: the error is what stopping caused.
                        break;
                    }
                    if opts.once {
                        error = Some(e);
                        break;
                    }
                    let lost = s.connection_lost();
                    progress.warn(&format!(
                        "{} ({why}); going on in {}s",
                        match lost {
                            true => "lost the database connection",
                            false => "the worker's work failed",
                        },
                        pause.as_secs()
                    ));
                    if !stop.sleep(pause) {
                        break;
                    }
                    pause = (pause * 2).min(MAX_BACKOFF);
                    if !lost {
                        store = Some(s);
                    }
                    continue;
                }
            }
        }
        // The end: the heartbeat stops first (a beat after the row went
        // would write it again), what was not started is handed back, what
        // is still this process's ends ERROR, and the worker is gone.
        drop(running);
        let _ = heartbeat.join();
        let s = Store::open(&at);
        if let Ok(s) = &s {
            tidy(s, &ctx, INTERRUPTED);
            let timeout = i64::try_from(settings.heartbeat_timeout.as_secs()).unwrap_or(i64::MAX);
            let _ = s.write(|db| db.worker_gone(me, timeout));
        }
        finished.cancel();
    });
    if let Some(m) = metrics {
        m.set_down();
    }
    Ok(Ended {
        signal: signals.came(),
        failed: counting.failed.load(Ordering::SeqCst),
        error,
    })
}

/// After a session: this process's unstarted claims handed back, and what
/// it still holds (a task under way when the connection was lost, or
/// when the grace ran out) ended ERROR with `why`.
fn tidy(store: &Store, ctx: &RunContext<'_>, why: &str) {
    let me = Owner::current();
    let run = |s: &Store| {
        s.write(|db| {
            db.release_own_claims(me)?;
            end_own(db, why, ctx.clock.now())
        })
    };
    let done = run(store).or_else(|e| match store.connection_lost() {
        true => run(&Store::open(ctx.db)?),
        false => Err(e),
    });
    if let Err(e) = done {
        ctx.progress.warn(&format!(
            "the tasks this worker took on could not be handed back or ended ({}); the next command marks them abandoned",
            explain(&e, ctx.db).unwrap_or_else(|| format!("{e:#}"))
        ));
    }
}

/// The first signal stops new work; once `grace` (`shutdown-grace` as the
/// worker started) has passed,
/// the tasks still running are interrupted. Ends when the worker has.
fn watch_signals(
    signals: &StopSignals,
    stop: &Cancel,
    cancel: &Cancel,
    finished: &Cancel,
    grace: Duration,
) {
    let mut deadline: Option<Instant> = None;
    while !finished.is_cancelled() {
        match deadline {
            None if signals.came().is_some() => {
                stop.cancel();
                deadline = Some(Instant::now() + grace);
            }
            Some(d) if Instant::now() >= d && !cancel.is_cancelled() => {
                cancel.cancel();
                crate::process::mark_interrupted();
            }
            _ => {}
        }
        std::thread::sleep(STEP);
    }
}

/// Wakes the idle jobs: a generation that grows, and a condition variable.
#[derive(Default)]
struct Wake {
    generation: Mutex<u64>,
    cond: Condvar,
}

impl Wake {
    fn now(&self) -> u64 {
        *self.generation.lock().expect("lock")
    }

    fn all(&self) {
        *self.generation.lock().expect("lock") += 1;
        self.cond.notify_all();
    }

    /// Waits until woken after `seen`, or `up_to` at most.
    fn wait_past(&self, seen: u64, up_to: Duration) {
        let g = self.generation.lock().expect("lock");
        let _ = self
            .cond
            .wait_timeout_while(g, up_to, |g| *g == seen)
            .expect("lock");
    }
}

/// The worker on one connection: upkeep, then `jobs` threads claiming and
/// running, woken when work may be there, until a signal (or `--once`'s
/// end); the first error ends the session.
fn session(
    store: &Store,
    ctx: &RunContext<'_>,
    opts: &Options,
    me: &Owner,
    metrics: Option<&Metrics>,
) -> Result<()> {
    store.name_session("nfa worker")?;
    store.listen_for_logs()?;
    upkeep(store, ctx, metrics)?;
    let wake = Wake::default();
    let failed: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let working = AtomicUsize::new(ctx.jobs);
    let poll = match store.backend() {
        crate::store::sql::Backend::Sqlite => POLL_LITE,
        crate::store::sql::Backend::Postgres => POLL_PG,
    };
    let job = || {
        while ctx.taking_work() && failed.lock().expect("lock").is_none() {
            let seen = wake.now();
            let outcome = claim_one(store, me).and_then(|claimed| match claimed {
                Some((account, tasks)) => super::skip_if_gone(ctx, &account, || {
                    super::run_account(ctx, store, &account, &tasks)
                })
                .map(|_| true),
                None => Ok(false),
            });
            match outcome {
                Ok(true) => {}
                Ok(false) if opts.once => break,
                Ok(false) => wake.wait_past(seen, poll),
                Err(e) => {
                    failed.lock().expect("lock").get_or_insert(e);
                    break;
                }
            }
        }
        working.fetch_sub(1, Ordering::SeqCst);
        wake.all();
    };
    std::thread::scope(|s| {
        for _ in 0..ctx.jobs {
            s.spawn(job);
        }
        // This thread wakes the jobs and looks after the shared work.
        let mut next_upkeep = Instant::now() + UPKEEP;
        let mut next_look = Instant::now() + poll;
        while working.load(Ordering::SeqCst) > 0 {
            if !ctx.taking_work() || failed.lock().expect("lock").is_some() {
                wake.all();
                std::thread::sleep(STEP);
                continue;
            }
            if opts.once {
                std::thread::sleep(STEP);
                continue;
            }
            let woken = match store.logs_notified() {
                Ok(w) => w,
                Err(e) => {
                    failed.lock().expect("lock").get_or_insert(e);
                    continue;
                }
            };
            let now = Instant::now();
            let mut look = woken || now >= next_look;
            if now >= next_upkeep {
                if let Err(e) = upkeep(store, ctx, metrics) {
                    failed.lock().expect("lock").get_or_insert(e);
                    continue;
                }
                next_upkeep = now + UPKEEP;
                look = true;
            }
            if look {
                next_look = now + poll;
                match store.read().claimable() {
                    Ok(true) => wake.all(),
                    Ok(false) => {}
                    Err(e) => {
                        failed.lock().expect("lock").get_or_insert(e);
                        continue;
                    }
                }
            }
            std::thread::sleep(STEP);
        }
    });
    match failed.into_inner().expect("lock") {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The shared work, every [`UPKEEP`]: claims of processes that no longer
/// run handed back, their tasks under way ended "abandoned", the audits
/// that are due added, and what `/metrics` reports read.
fn upkeep(store: &Store, ctx: &RunContext<'_>, metrics: Option<&Metrics>) -> Result<()> {
    let settings = store.read().settings()?;
    let timeout = Duration::from_secs(settings.heartbeat_timeout.as_secs());
    store.write(|db| {
        let server_now = db.server_secs()?;
        for u in db.unstarted_claims()? {
            if !u.owner.is_alive(u.seen_at, server_now, timeout) {
                db.release_claim(&u)?;
            }
        }
        reap_abandoned(db, None, ctx.clock.now()).map(drop)
    })?;
    let every = settings.audit_every;
    if every.as_secs() == 0 && metrics.is_none() {
        return Ok(());
    }
    let now = ctx.clock.now();
    let audits = store.read().last_audits()?;
    if let Some(m) = metrics {
        m.set_last_audit(audits.iter().filter_map(|(_, at)| *at).max());
        m.set_pending(store.read().pending_count()?);
    }
    if every.as_secs() == 0 || !ctx.taking_work() {
        return Ok(());
    }
    let cutoff = now - every.to_delta();
    for (id, last) in audits {
        if !is_due(last, cutoff) {
            continue;
        }
        add_audit_if_due(store, id, cutoff, now)?;
    }
    Ok(())
}

/// An account last audited at `last` is due when that was before
/// `cutoff` (now less the period), or never.
fn is_due(last: Option<DateTime<Utc>>, cutoff: DateTime<Utc>) -> bool {
    last.is_none_or(|t| t < cutoff)
}

/// The claim of an account's audit for this period: under the account's
/// lock its newest audit is read again; still due, the audit is added.
/// Another process holding the lock (auditing or refreshing it): left for
/// the next look.
fn add_audit_if_due(
    store: &Store,
    id: AccountId,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    let added = crate::store::give_up_if_busy(|| {
        store.write(|db| {
            db.lock_account(id)?;
            if db.account(id)?.is_none() || !is_due(db.last_audit(id)?, cutoff) {
                return Ok(());
            }
            super::refresh::add_audit(db, id, None, now).map(drop)
        })
    });
    match added {
        Err(e) if crate::store::is_busy(&e) => Ok(()),
        other => other,
    }
}

/// The worker's observer: the command's, and the counts of `/metrics`.
struct Counting<'a> {
    inner: &'a dyn Progress,
    metrics: Option<&'a Metrics>,
    failed: AtomicBool,
}

impl Observer for Counting<'_> {
    fn task_started(&self, account: &Account, kind: TaskKind) {
        self.inner.task_started(account, kind);
    }

    fn task_finished(&self, account: &Account, result: &TaskResult) {
        if result.status == crate::domain::task::TaskStatus::Error {
            self.failed.store(true, Ordering::SeqCst);
        }
        if let Some(m) = self.metrics {
            m.task_finished(result.kind, result.status);
        }
        self.inner.task_finished(account, result);
    }

    fn warn(&self, text: &str) {
        self.inner.warn(text);
    }
}

impl Progress for Counting<'_> {
    fn account_started(&self, account: &Account, tasks: usize) {
        self.inner.account_started(account, tasks);
    }

    fn account_finished(&self, account: &Account) {
        self.inner.account_finished(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_is_due_only_once_its_period_has_passed() {
        let t = crate::domain::time::parse_time("2026-12-01T00:00:00Z").unwrap();
        let hour = chrono::TimeDelta::hours(1);
        assert!(is_due(None, t), "never audited");
        assert!(is_due(Some(t - hour), t - chrono::TimeDelta::seconds(1)));
        assert!(!is_due(Some(t), t), "exactly the period: not yet (strict)");
        assert!(!is_due(Some(t + hour), t));
    }
}
