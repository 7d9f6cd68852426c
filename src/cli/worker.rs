//! `nfa worker [--jobs N] [--once] [--metrics ADDR]`: the audit service.

use super::Env;
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::role::Action;
use crate::domain::task::{TaskKind, TaskStatus};
use crate::error::Outcome;
use crate::model::Account;
use crate::ops::worker::{Options, serve};
use crate::process::{StopSignal, StopSignals};
use crate::render::{Column, Columns, Kind};
use crate::runner::{Observer, TaskResult};
use anyhow::Result;
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many accounts to work on at once
    #[arg(short, long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
    /// Run what is due (PENDING tasks, audits), then exit: for cron
    #[arg(long)]
    once: bool,
    /// Serve GET /metrics (Prometheus text format) on this address only
    #[arg(long, value_name = "ADDR")]
    metrics: Option<std::net::SocketAddr>,
}

/// A task the worker finished, one line (or one JSON object) each.
#[derive(Debug, Clone, Serialize)]
pub struct Finished {
    pub task_id: TaskId,
    pub account_id: AccountId,
    pub account: String,
    pub kind: TaskKind,
    pub name: &'static str,
    pub status: TaskStatus,
    pub error: Option<String>,
}

impl Columns for Finished {
    const CSV: &'static [&'static str] = &[
        "task_id",
        "account_id",
        "account",
        "kind",
        "name",
        "status",
        "error",
    ];
    const COLUMNS: &'static [Column] = &[
        Column::new("task_id", "task", Kind::Id),
        Column::new("account", "account", Kind::Name),
        Column::new("name", "name", Kind::Name),
        Column::new("status", "status", Kind::Status),
        Column::new("error", "error", Kind::Text),
    ];
}

impl Finished {
    fn line(&self, now: chrono::DateTime<chrono::Utc>) -> String {
        let mut line = format!(
            "{} task {} {}: {} {}",
            crate::domain::time::format_time(now),
            self.task_id,
            self.account,
            self.name,
            self.status
        );
        if let Some(e) = &self.error {
            line.push_str(": ");
            line.push_str(e);
        }
        line
    }
}

/// What the worker shows: a line per finished task on standard output,
/// warnings on standard error.
struct Lines<'a> {
    env: &'a Env,
    header: std::sync::Mutex<bool>,
    closed: std::sync::atomic::AtomicBool,
}

impl Observer for Lines<'_> {
    fn task_started(&self, _: &Account, _: TaskKind) {}

    fn task_finished(&self, account: &Account, result: &TaskResult) {
        let item = Finished {
            task_id: result.id,
            account_id: account.id,
            account: account.name.clone(),
            kind: result.kind,
            name: result.name,
            status: result.status,
            error: result.error.clone(),
        };
        let now = self.env.clock.now();
        let mut header = self.header.lock().expect("lock");
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        if let Err(e) = self
            .env
            .out
            .stream_item(&item, &mut header, |i| i.line(now))
        {
            // Once: the worker goes on (its work is in the database).
            self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
            eprintln!(
                "warning: cannot write to standard output ({e:#}); finished tasks are no longer printed"
            );
        }
    }

    fn warn(&self, text: &str) {
        eprintln!("warning: {}", crate::render::for_terminal(text, true));
    }
}

impl crate::ops::run::Progress for Lines<'_> {
    fn account_started(&self, _: &Account, _: usize) {}
    fn account_finished(&self, _: &Account) {}
}

pub fn run(env: &Env, args: Args) -> Result<Outcome> {
    let store = env.store_for(Action::RunTasks)?;
    if store.read().settings()?.audit_every.as_secs() > 0 {
        store.authorize(Action::Audit)?;
    }
    let metrics = match args.metrics {
        Some(addr) => {
            let m = Arc::new(crate::metrics::Metrics::new(env.clock)?);
            crate::metrics::serve(addr, m.clone())?;
            Some(m)
        }
        None => None,
    };
    let signals = StopSignals::catch()?;
    let lines = Lines {
        env,
        header: std::sync::Mutex::new(false),
        closed: Default::default(),
    };
    let ended = serve(
        store,
        env.clock,
        &Options {
            jobs: args.jobs,
            once: args.once,
        },
        &signals,
        &lines,
        metrics.as_deref(),
    )?;
    match (ended.signal, ended.error) {
        (Some(StopSignal::Int), _) => Ok(Outcome::Interrupted),
        (Some(StopSignal::Term), _) => Ok(Outcome::Success),
        (None, Some(e)) => Err(e),
        (None, None) if ended.failed => Ok(Outcome::TasksFailed),
        (None, None) => Ok(Outcome::Success),
    }
}
