//! `nfa summary`.

use super::Env;
use crate::error::Outcome;
use crate::ops::summary::summary;
use crate::render::Format;
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
    Ok(Outcome::Success)
}
