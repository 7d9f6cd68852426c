//! Operations: what each command does, composed of the rules of
//! [`crate::domain`], the [`crate::store`] and the [`crate::runner`]. They
//! return plain serializable results; the command modules render them.

pub mod accounts;
pub mod db;
pub mod directory;
pub mod import;
pub mod logs;
pub mod partner;
pub mod prune;
pub mod refresh;
pub mod run;
pub mod settings;
pub mod summary;
pub mod tasks;
pub mod team;
pub mod worker;

pub use run::RunContext;

use crate::domain::policy::Decision;
use crate::domain::status::AccountStatus;
use crate::domain::task::TaskStatus;
use crate::model::Account;
use crate::runner::{AccountGone, Runner, TaskResult};
use crate::store::Store;
use anyhow::{Result, anyhow};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Runs the tasks (PENDING, taken on by this process) of one account, with
/// its progress bar.
pub fn run_account(
    ctx: &RunContext<'_>,
    store: &Store,
    account: &Account,
    tasks: &[TaskResult],
) -> Result<Vec<TaskResult>> {
    ctx.progress.account_started(account, tasks.len());
    let runner = Runner {
        store,
        clock: ctx.clock,
        cancel: ctx.cancel,
        stop: ctx.stop,
        observer: ctx.progress,
    };
    let results = runner.run(account, tasks);
    ctx.progress.account_finished(account);
    results
}

/// Runs the work of one account of a bulk run; an account removed meanwhile
/// is skipped with a warning (its tasks went with it), and the run goes on.
pub fn skip_if_gone<R>(
    ctx: &RunContext<'_>,
    account: &Account,
    work: impl FnOnce() -> Result<R>,
) -> Result<Option<R>> {
    match work() {
        Ok(r) => Ok(Some(r)),
        Err(e) if AccountGone::is(&e) => {
            ctx.progress.account_finished(account);
            ctx.progress.warn(&format!("{e:#}; skipped"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// What a run reports about one account.
pub trait AccountRun {
    fn account(&self) -> &str;
    fn tasks(&self) -> &[TaskResult];
    /// The account's status before the run and after it.
    fn statuses(&self) -> (AccountStatus, AccountStatus);
    /// What a refresh decided (an audit decides nothing).
    fn decision(&self) -> Option<Decision> {
        None
    }

    fn any_error(&self) -> bool {
        self.tasks().iter().any(|t| t.status == TaskStatus::Error)
    }

    /// The status as people read it: `STALE → ACTIVE`, or one word when
    /// the run did not change it.
    fn status_change(&self) -> String {
        use crate::domain::word::Word;
        match self.statuses() {
            (before, after) if before == after => before.as_str().to_string(),
            (before, after) => format!("{} → {}", before.as_str(), after.as_str()),
        }
    }
}

/// What a run over several pieces of work did: the results of the pieces
/// done, and the error that stopped it, if one did (the results are then
/// still shown, before the error).
pub struct Done<R> {
    pub items: Vec<R>,
    pub error: Option<anyhow::Error>,
}

impl<R> Done<R> {
    pub fn map<S>(self, f: impl FnMut(R) -> S) -> Done<S> {
        Done {
            items: self.items.into_iter().map(f).collect(),
            error: self.error,
        }
    }
}

impl<R> Done<Option<R>> {
    /// The results, without the pieces that gave none (an account removed
    /// meanwhile).
    pub fn flatten(self) -> Done<R> {
        Done {
            items: self.items.into_iter().flatten().collect(),
            error: self.error,
        }
    }
}

/// Runs `f` over `items` on up to `jobs` threads, all on the command's
/// connection to the database (`own`); results keep the order of `items`. After
/// Ctrl-C no new item is started. The first error stops new work and is
/// returned, with the results of the others once they finished theirs
/// (unless Ctrl-C came).
pub fn parallel<T: Sync, R: Send>(
    ctx: &RunContext<'_>,
    own: &Store,
    items: &[T],
    f: impl Fn(&Store, &T) -> Result<R> + Sync,
) -> Done<R> {
    let picker = Picker::new(items.len());
    // Items put off once because another engineer's transaction held
    // their account: done after the others (then waiting for the lock).
    let later: Mutex<std::collections::VecDeque<usize>> = Mutex::default();
    let jobs = ctx.jobs.clamp(1, items.len().max(1));
    let mut done = drain(
        ctx,
        own,
        jobs,
        |_| {
            if let Some(i) = picker.take() {
                return Ok(Some((i, true)));
            }
            Ok(later.lock().expect("lock").pop_front().map(|i| (i, false)))
        },
        |store, (i, first)| {
            let r = match first {
                true => crate::store::give_up_if_busy(|| f(store, &items[i])),
                false => f(store, &items[i]),
            };
            match r {
                // Nothing of it was done: the thread takes the next one,
                // and this one comes back when the queue is empty (the
                // thread that put it off is still there to take it).
                // Another engineer going through the same list is just
                // ahead: going on at the next item would find the lock of
                // each taken in turn, so the run goes on elsewhere.
                Err(e) if first && crate::store::is_busy(&e) => {
                    later.lock().expect("lock").push_back(i);
                    picker.jump(random_below(items.len()));
                    Ok(None)
                }
                r => Ok(Some((i, r?))),
            }
        },
    );
    let mut items: Vec<(usize, R)> = std::mem::take(&mut done.items)
        .into_iter()
        .flatten()
        .collect();
    items.sort_unstable_by_key(|(i, _)| *i);
    Done {
        items: items.into_iter().map(|(_, r)| r).collect(),
        error: done.error,
    }
}

/// Which item a job of [`parallel`] takes next: the first one not yet
/// taken from a cursor on, in the order given, so that a run alone does
/// its items in order; [`Picker::jump`] moves the cursor (the items passed
/// over are taken when it comes round to them). Each item is taken once.
struct Picker {
    taken: Vec<AtomicBool>,
    cursor: AtomicUsize,
    left: AtomicUsize,
}

impl Picker {
    fn new(n: usize) -> Picker {
        Picker {
            taken: (0..n).map(|_| AtomicBool::new(false)).collect(),
            cursor: AtomicUsize::new(0),
            left: AtomicUsize::new(n),
        }
    }

    /// The next item to do, None once every one is taken.
    fn take(&self) -> Option<usize> {
        let n = self.taken.len();
        if self.left.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let start = self.cursor.load(Ordering::SeqCst);
        for k in 0..n {
            let i = (start + k) % n;
            if !self.taken[i].swap(true, Ordering::SeqCst) {
                self.left.fetch_sub(1, Ordering::SeqCst);
                // Unless another job moved it meanwhile.
                let _ = self.cursor.compare_exchange(
                    start,
                    (i + 1) % n,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                );
                return Some(i);
            }
        }
        None
    }

    /// Goes on from item `to`.
    fn jump(&self, to: usize) {
        self.cursor
            .store(to % self.taken.len().max(1), Ordering::SeqCst);
    }
}

/// A number below `n` (0 when `n` is 0) that differs between processes and
/// calls: where a run that met another engineer's goes on.
fn random_below(n: usize) -> usize {
    let n = u64::try_from(n.max(1)).unwrap_or(u64::MAX);
    usize::try_from(crate::process::random_u64() % n).unwrap_or(0)
}

/// Runs `f` on each piece of work that `next` hands out (inside each
/// thread, on the shared connection `own`), on up to `jobs` threads, until
/// `next` has no more; the results in the order they were done. After
/// Ctrl-C no new work is taken. The first error stops new work and is
/// returned, with the results of the others once they finished theirs
/// (unless Ctrl-C came: then it is what the interruption caused).
pub fn drain<T, R: Send>(
    ctx: &RunContext<'_>,
    own: &Store,
    jobs: usize,
    next: impl Fn(&Store) -> Result<Option<T>> + Sync,
    f: impl Fn(&Store, T) -> Result<R> + Sync,
) -> Done<R> {
    let results: Mutex<Vec<R>> = Mutex::new(vec![]);
    let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    // One thread's work, on `store`, until there is no more (or an error
    // or Ctrl-C stops it).
    let work = |store: &Store| loop {
        if !ctx.taking_work() || first_error.lock().expect("lock").is_some() {
            return;
        }
        let outcome = match next(store) {
            Ok(Some(work)) => f(store, work),
            Ok(None) => return,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(r) => results.lock().expect("lock").push(r),
            Err(e) => {
                first_error.lock().expect("lock").get_or_insert(e);
                return;
            }
        }
    };
    if jobs <= 1 {
        work(own);
    } else {
        // Every job on the command's own connection: each statement, and
        // each write transaction, holds it briefly; waiting on a tenant
        // never does.
        std::thread::scope(|s| {
            for _ in 0..jobs {
                s.spawn(|| work(own));
            }
        });
    }
    let error = match first_error.into_inner() {
        // After Ctrl-C an error is what the interruption caused (a lock
        // wait given up): the work done is reported, as after any error.
        Ok(e) => e.filter(|_| !ctx.cancel.is_cancelled()),
        Err(_) => Some(anyhow!("a worker thread panicked")),
    };
    match results.into_inner() {
        Ok(items) => Done { items, error },
        Err(_) => Done {
            items: vec![],
            error: Some(anyhow!("a worker thread panicked")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::Picker;
    use proptest::prelude::*;

    fn all(p: &Picker) -> Vec<usize> {
        std::iter::from_fn(|| p.take()).collect()
    }

    #[test]
    fn a_run_alone_takes_its_items_in_order() {
        assert_eq!(all(&Picker::new(5)), [0, 1, 2, 3, 4]);
        assert_eq!(all(&Picker::new(0)), Vec::<usize>::new());
    }

    #[test]
    fn after_a_jump_it_goes_on_there_and_comes_round_to_the_items_passed_over() {
        let p = Picker::new(6);
        assert_eq!(p.take(), Some(0));
        p.jump(4);
        assert_eq!(all(&p), [4, 5, 1, 2, 3]);
    }

    proptest! {
        /// Whatever the jumps, and from however many threads, every item
        /// is taken exactly once.
        #[test]
        fn every_item_is_taken_once(n in 0usize..60, jumps in proptest::collection::vec(0usize..100, 0..20), threads in 1usize..4) {
            let p = Picker::new(n);
            let taken = std::sync::Mutex::new(vec![]);
            std::thread::scope(|s| {
                for t in 0..threads {
                    let (p, taken, jumps) = (&p, &taken, &jumps);
                    s.spawn(move || {
                        let mut k = t;
                        while let Some(i) = p.take() {
                            taken.lock().unwrap().push(i);
                            if let Some(to) = jumps.get(k) {
                                p.jump(*to);
                            }
                            k += threads;
                        }
                    });
                }
            });
            let mut taken = taken.into_inner().unwrap();
            taken.sort_unstable();
            prop_assert_eq!(taken, (0..n).collect::<Vec<_>>());
        }
    }
}
