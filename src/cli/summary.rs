//! `nfa summary`.

use super::Env;
use crate::error::Outcome;
use crate::ops::summary::summary;
use crate::ops::summary::{CacheAge, Failure, GdapEnding, Running, StatusCount};
use crate::render::Format;
use crate::render::{Column, Columns, Kind};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(env: &Env, _args: Args) -> Result<Outcome> {
    let store = env.store()?;
    let s = summary(&store, env.clock.now())?;
    if env.out.format != Format::Table {
        env.out.one(&s)?;
        return Ok(Outcome::Success);
    }
    env.out.line(&format!(
        "accounts: {} ({} with the refresh marker ↻)",
        s.accounts, s.refresh_marker
    ))?;
    env.out
        .all(s.by_status.iter().filter(|c| c.accounts > 0).cloned())?;
    env.out.line(&format!(
        "\ntasks failed in the last 24 h: {}",
        s.failures_24h.iter().map(|f| f.tasks).sum::<usize>()
    ))?;
    if !s.failures_24h.is_empty() {
        env.out.all(s.failures_24h.iter().cloned())?;
    }
    env.out.line("\noldest AD caches:")?;
    env.out.all(s.oldest_ad_caches.iter().cloned())?;
    env.out
        .line(&format!("\nruns in progress: {}", s.in_progress.len()))?;
    if !s.in_progress.is_empty() {
        env.out.all(s.in_progress.iter().cloned())?;
    }
    env.out.line(&format!("\nworkers: {}", s.workers.len()))?;
    if !s.workers.is_empty() {
        env.out.all(s.workers.iter().cloned())?;
    }
    if !s.gdap_ending.is_empty() {
        env.out.line(&format!(
            "\nGDAP relationships ending within 30 days: {}",
            s.gdap_ending.len()
        ))?;
        env.out.all(s.gdap_ending.iter().cloned())?;
    }
    Ok(Outcome::Success)
}

impl Columns for StatusCount {
    const CSV: &'static [&'static str] = &["status", "accounts"];
    const COLUMNS: &'static [Column] = &[
        Column::new("status", "status", Kind::Status),
        Column::new("accounts", "accounts", Kind::Count),
    ];
}

impl Columns for Failure {
    const CSV: &'static [&'static str] = &["error", "tasks", "accounts", "last_at"];
    const COLUMNS: &'static [Column] = &[
        Column::new("tasks", "tasks", Kind::Count),
        Column::new("last_at", "last", Kind::Age).drop(1),
        Column::new("accounts", "accounts", Kind::Name),
        Column::new("error", "error", Kind::Text),
    ];

    /// The accounts that failed so, by name.
    fn table_text(&self, key: &str) -> Option<String> {
        (key == "accounts").then(|| self.accounts.join(", "))
    }
}

impl Columns for CacheAge {
    const CSV: &'static [&'static str] = &["account_id", "account", "ad_cache_updated_at"];
    const COLUMNS: &'static [Column] = &[
        Column::new("account", "account", Kind::Name),
        Column::new("ad_cache_updated_at", "AD cache", Kind::Age),
    ];
}

impl Columns for Running {
    const CSV: &'static [&'static str] = &["id", "account", "kind", "name", "status", "started_at"];
    const COLUMNS: &'static [Column] = &[
        Column::new("id", "task", Kind::Id),
        Column::new("account", "account", Kind::Name),
        Column::new("name", "name", Kind::Name).drop(1),
        Column::new("status", "status", Kind::Status),
        Column::new("started_at", "started", Kind::Age).drop(2),
    ];
}

impl Columns for GdapEnding {
    const CSV: &'static [&'static str] = &[
        "account_id",
        "account",
        "relationship",
        "ends_at",
        "auto_extend",
    ];
    const COLUMNS: &'static [Column] = &[
        Column::new("account", "account", Kind::Name),
        Column::new("relationship", "gdap", Kind::Word).drop(1),
        Column::new("ends_at", "ends", Kind::Time),
        Column::new("auto_extend", "extends", Kind::Flag).drop(2),
    ];
}

impl Columns for crate::store::LiveWorker {
    const CSV: &'static [&'static str] =
        &["host", "pid", "user", "jobs", "started_at", "last_seen_at"];
    const COLUMNS: &'static [Column] = &[
        Column::new("host", "host", Kind::Name),
        Column::new("pid", "pid", Kind::Id),
        Column::new("user", "user", Kind::Name).drop(2),
        Column::new("jobs", "jobs", Kind::Count).drop(3),
        Column::new("started_at", "started", Kind::Age).drop(1),
        Column::new("last_seen_at", "last seen", Kind::Age),
    ];
}
