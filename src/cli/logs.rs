//! `nfa logs`.

use super::{Env, parse};
use crate::domain::log::Level;
use crate::domain::time::Since;
use crate::error::Outcome;
use crate::ops::{accounts, logs};
use crate::process::interrupt_flag;
use crate::store::LogFilter;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only lines of this task and of its children
    #[arg(long, value_name = "ID")]
    task: Option<i64>,
    /// Only lines of this account (id or name)
    #[arg(long)]
    account: Option<String>,
    /// Only lines of this level or more severe: error, warn, info
    #[arg(long, value_parser = parse::words::<Level>())]
    level: Option<Level>,
    /// Only lines since WHEN: a duration (6h, 30d) or an RFC 3339 time
    #[arg(long, value_parser = parse::when, value_name = "WHEN")]
    since: Option<Since>,
    /// At most N lines (0: no limit)
    #[arg(long, default_value_t = 50, value_name = "N")]
    limit: u64,
    /// Print the latest lines oldest first, then new lines as they are
    /// written, until Ctrl-C (JSON output: one object a line)
    #[arg(short, long)]
    follow: bool,
}

pub fn run(env: &Env, args: Args) -> Result<Outcome> {
    let store = env.store()?;
    let account_id = match &args.account {
        Some(a) => Some(accounts::resolve(&store.read(), a)?.id),
        None => None,
    };
    let filter = LogFilter {
        task_id: args.task.map(crate::domain::ids::TaskId),
        account_id,
        level: args.level,
        since: args.since.map(|w| w.resolve(env.clock.now())),
        after_id: None,
        oldest_first: false,
        limit: (args.limit != 0).then_some(args.limit),
    };
    if !args.follow {
        let mut w = env.out.list::<logs::LogView>()?;
        logs::list(&store, &filter, |l| w.push(&l))?;
        w.finish()?;
        return Ok(Outcome::Success);
    }
    let cancel = interrupt_flag()?;
    let mut header = false;
    logs::follow(&store, &filter, &cancel, |l| {
        env.out
            .stream_item(&l, &mut header, logs::LogView::follow_line)
    })?;
    Ok(Outcome::Interrupted)
}
