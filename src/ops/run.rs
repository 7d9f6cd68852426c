//! Running tasks as a command: Ctrl-C caught, a heartbeat while the run
//! goes on, `jobs` accounts at once, progress told to a [`Progress`], and
//! no run left half-done: whatever this process took on and did not finish
//! ends in ERROR with the reason (Ctrl-C, or the cause that stopped it).

use crate::clock::Clock;
use crate::domain::owner::{Owner, heartbeat_every};
use crate::error::Outcome;
use crate::model::Account;
use crate::process::{Cancel, interrupt_flag};
use crate::runner::{INTERRUPTED, Observer, end_own};
use crate::store::{Location, Store, explain};
use anyhow::Result;

/// What a run tells as it goes, beyond its tasks ([`Observer`]): when an
/// account's tasks start and end (for progress bars).
pub trait Progress: Observer {
    /// `tasks` tasks of `account` are about to run.
    fn account_started(&self, account: &Account, tasks: usize);
    /// The account is done (or skipped).
    fn account_finished(&self, account: &Account);
}

/// What the operations that run tasks share.
pub struct RunContext<'a> {
    pub db: &'a Location,
    pub clock: Clock,
    pub cancel: &'a Cancel,
    pub progress: &'a dyn Progress,
    /// Worker threads for several accounts (at least 1).
    pub jobs: usize,
    /// Raised when no new work is to be taken, while the work under way
    /// goes on (a worker told to stop; Ctrl-C raises `cancel` instead).
    pub stop: &'a Cancel,
}

impl RunContext<'_> {
    /// Whether new work is still to be taken.
    pub fn taking_work(&self) -> bool {
        !self.cancel.is_cancelled() && !self.stop.is_cancelled()
    }
}

/// What a command that runs tasks ran, whether Ctrl-C cut it short, and
/// the error that stopped it, if one did (the reports are of the work done
/// before it: shown, then the error).
pub struct Run<R> {
    pub reports: Vec<R>,
    pub interrupted: bool,
    pub error: Option<anyhow::Error>,
}

impl<R> Run<R> {
    /// Exit 130 after Ctrl-C, else the error that stopped the run (exit
    /// 1, once its reports are shown), else 3 if a task ended in ERROR,
    /// else 0.
    pub fn outcome(self, any_error: bool) -> Result<Outcome> {
        if self.interrupted {
            Ok(Outcome::Interrupted)
        } else if let Some(e) = self.error {
            Err(e)
        } else if any_error {
            Ok(Outcome::TasksFailed)
        } else {
            Ok(Outcome::Success)
        }
    }
}

/// Runs `work` as a command that runs tasks: Ctrl-C handled, progress bars
/// on a terminal, `jobs` accounts at once. After Ctrl-C, whatever this
/// process took on and did not finish ends in ERROR "interrupted"; the
/// reports of the accounts done are kept.
pub fn run_tasks<R>(
    store: &Store,
    clock: Clock,
    jobs: u16,
    progress: &dyn Progress,
    work: impl FnOnce(&RunContext<'_>) -> super::Done<R>,
) -> Result<Run<R>> {
    run_tasks_with(store, clock, jobs, progress, &interrupt_flag()?, work)
}

/// [`run_tasks`] stopped by `cancel` instead of Ctrl-C's handler (the
/// screen, where Ctrl-C is a key).
pub fn run_tasks_with<R>(
    store: &Store,
    clock: Clock,
    jobs: u16,
    progress: &dyn Progress,
    cancel: &Cancel,
    work: impl FnOnce(&RunContext<'_>) -> super::Done<R>,
) -> Result<Run<R>> {
    let db = store.at().clone();
    let beat = heartbeat_every(std::time::Duration::from_secs(
        store.read().settings()?.heartbeat_timeout.as_secs(),
    ));
    let never = Cancel::new();
    let ctx = RunContext {
        db: &db,
        clock,
        cancel,
        progress,
        jobs: jobs.into(),
        stop: &never,
    };
    let result = std::thread::scope(|scope| {
        // Dropping `running` (when the work ends, however it ends) stops
        // the heartbeat at once.
        let (running, stopped) = std::sync::mpsc::channel::<()>();
        scope.spawn(|| heartbeat(&db, beat, stopped, &|_| Ok(())));
        let done = work(&ctx);
        drop(running);
        done
    });
    let interrupted = cancel.is_cancelled();
    // Whatever this process took on and did not finish ends in ERROR: the
    // interruption or the cause that stopped the run.
    let why = match (&result.error, interrupted) {
        (_, true) => Some(INTERRUPTED.to_string()),
        (Some(e), false) => Some(format!(
            "the run stopped: {}",
            explain(e, &db).unwrap_or_else(|| format!("{e:#}"))
        )),
        (None, false) => None,
    };
    if let Some(why) = why {
        let end = |store: &Store| store.write(|db| end_own(db, &why, clock.now()));
        // A connection to a server that was lost is opened again for this.
        let ended = end(store).or_else(|e| match store.connection_lost() {
            true => end(&Store::open(&db)?),
            false => Err(e),
        });
        match (ended, &result.error) {
            (Ok(_), _) => {}
            (Err(e), Some(_)) => {
                progress.warn(&format!(
                    "the tasks this run took on could not be marked ERROR either ({}); the next command marks them abandoned",
                    explain(&e, &db).unwrap_or_else(|| format!("{e:#}"))
                ));
            }
            (Err(e), None) if interrupted => progress.warn(&format!(
                "after Ctrl-C, the tasks this run took on could not be marked interrupted ({e:#}); the next command marks them abandoned"
            )),
            (Err(e), None) => return Err(e),
        }
    }
    Ok(Run {
        reports: result.items,
        interrupted,
        error: result.error,
    })
}

/// While a run goes on, marks this process's unfinished tasks as seen every
/// `beat` ([`heartbeat_every`]), so that a process on
/// another host can tell a live run from an abandoned one. The heartbeat
/// has a connection of its own; when that one is lost (a restart, a
/// failover, a terminated backend) or a beat fails, it connects again at
/// once and beats once more, so a run that goes on is not taken for dead.
/// A beat that fails twice is skipped: the run itself reports database
/// trouble.
pub(super) fn heartbeat(
    db: &Location,
    beat: std::time::Duration,
    stopped: std::sync::mpsc::Receiver<()>,
    also: &dyn Fn(&crate::store::Db<'_, crate::store::Write>) -> Result<()>,
) {
    use std::sync::mpsc::RecvTimeoutError;
    let mut store: Option<Store> = None;
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(beat) {
        // Twice at most a beat: the second time on a new connection.
        for _ in 0..2 {
            if store.as_ref().is_none_or(Store::connection_lost) {
                store = Store::open(db)
                    .and_then(|s| s.name_session("nfa heartbeat").map(|()| s))
                    .ok();
            }
            let Some(s) = &store else { break };
            match s.write(|db| {
                db.heartbeat(Owner::current())?;
                also(db)
            }) {
                Ok(()) => break,
                Err(_) => store = None,
            }
        }
    }
}
