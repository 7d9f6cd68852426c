//! `nfa prune`: retention of finished history.

use crate::clock::Clock;
use crate::domain::settings::prune_cutoff;
use crate::domain::time::{Span, ser};
use crate::store::{Pruned, Store};
use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Top-level tasks deleted per transaction: small enough that a refresh
/// waiting for the lock waits only for one batch.
pub const BATCH: usize = 2_000;

/// What a prune did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct PruneReport {
    /// Finished history created before this was deleted; `null` when
    /// `keep-history` keeps everything and no `--older-than` was given.
    #[serde(serialize_with = "ser::opt_time")]
    pub cutoff: Option<DateTime<Utc>>,
    pub dry_run: bool,
    /// Refresh activities deleted.
    pub activities: u64,
    /// Tasks deleted: activities, their children and audit tasks.
    pub tasks: u64,
    pub log_lines: u64,
    pub checks: u64,
    /// How much smaller the database file became.
    pub freed_bytes: u64,
}

/// Deletes finished history older than `older_than` (else the
/// `keep-history` setting), batch by batch; with `dry_run` only counts.
pub fn prune(
    store: &Store,
    clock: Clock,
    older_than: Option<Span>,
    dry_run: bool,
) -> Result<PruneReport> {
    let keep = store.read().settings()?.keep_history;
    let cutoff = prune_cutoff(clock.now(), older_than, keep);
    let mut report = PruneReport {
        cutoff,
        dry_run,
        activities: 0,
        tasks: 0,
        log_lines: 0,
        checks: 0,
        freed_bytes: 0,
    };
    let Some(cutoff) = cutoff else {
        return Ok(report);
    };
    let mut total = Pruned::default();
    if dry_run {
        total = store.read().prune_counts(cutoff)?;
    } else {
        loop {
            let done = store.write(|db| db.prune_batch(cutoff, BATCH))?;
            if done.is_empty() {
                break;
            }
            total.add(done);
        }
        report.freed_bytes = store.reclaim()?;
    }
    report.activities = total.activities;
    report.tasks = total.tasks;
    report.log_lines = total.log_lines;
    report.checks = total.checks;
    Ok(report)
}
