//! `nfa prune`.

use super::Env;
use crate::domain::time::{Span, format_time, parse_span};
use crate::error::Outcome;
use crate::ops::prune::prune;
use crate::render::Format;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Delete finished history older than this (default: the keep-history
    /// setting)
    #[arg(long, value_parser = parse_span, value_name = "DURATION")]
    older_than: Option<Span>,
    /// Only say what would be deleted
    #[arg(long)]
    dry_run: bool,
}

pub fn run(env: &Env, args: Args) -> Result<Outcome> {
    let store = match args.dry_run {
        true => env.store()?,
        false => env.store_for(crate::domain::role::Action::Prune)?,
    };
    let report = prune(&store, env.clock, args.older_than, args.dry_run)?;
    match env.out.format {
        Format::Table => env.out.line(&match report.cutoff {
            None => {
                "keep-history is 0 (keep everything): nothing pruned; give --older-than DURATION"
                    .to_string()
            }
            Some(cutoff) => format!(
                "{} {} activities ({} tasks), {} log lines and {} check results older than {}{}",
                if report.dry_run {
                    "would delete"
                } else {
                    "deleted"
                },
                report.activities,
                report.tasks,
                report.log_lines,
                report.checks,
                format_time(cutoff),
                if report.freed_bytes > 0 {
                    format!("; the database shrank by {} KiB", report.freed_bytes / 1024)
                } else {
                    String::new()
                }
            ),
        })?,
        _ => env.out.one(&report)?,
    }
    Ok(Outcome::Success)
}
