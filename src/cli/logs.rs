//! `nfa logs`.

use super::{Env, parse};
use crate::domain::log::Level;
use crate::domain::time::Since;
use crate::error::Outcome;
use crate::ops::logs::LogView;
use crate::ops::{accounts, logs};
use crate::process::interrupt_flag;
use crate::render::{Column, Columns, Kind};
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
    /// Only lines of this level or more severe: ERROR, WARN or INFO (any
    /// case)
    #[arg(long, value_parser = parse::words::<Level>())]
    level: Option<Level>,
    /// Only lines written for this engineer (their login name)
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
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
        user: args.user,
        since: args.since.map(|w| w.resolve(env.clock.now())),
        after_id: None,
        oldest_first: false,
        limit: (args.limit != 0).then_some(args.limit),
    };
    if !args.follow {
        // One more than shown: whether the list was cut.
        let cut = LogFilter {
            limit: filter.limit.map(|n| n + 1),
            ..filter
        };
        let mut w = env.out.list::<LogView>()?;
        let mut more = false;
        logs::list(&store, &cut, |l| {
            if args.limit != 0 && w.count() as u64 >= args.limit {
                more = true;
                return Ok(());
            }
            w.push(&l)
        })?;
        w.finish()?;
        if more {
            env.note(&super::cut_note(args.limit));
        }
        return Ok(Outcome::Success);
    }
    let cancel = interrupt_flag()?;
    let mut header = false;
    logs::follow(&store, &filter, &cancel, |l| {
        env.out.stream_item(&l, &mut header, LogView::follow_line)
    })?;
    Ok(Outcome::Interrupted)
}

impl Columns for LogView {
    const CSV: &'static [&'static str] = &[
        "id",
        "time",
        "level",
        "task_id",
        "account_id",
        "account",
        "user",
        "message",
    ];
    /// On a terminal: no line id, the time without its year.
    const COLUMNS: &'static [Column] = &[
        Column::new("id", "id", Kind::Id).wide(),
        Column::new("time", "time", Kind::Clock),
        Column::new("level", "level", Kind::Word),
        Column::new("task_id", "task", Kind::Id).drop(3),
        Column::new("account_id", "account", Kind::Name).drop(2),
        Column::new("user", "user", Kind::Name).drop(1),
        Column::new("message", "message", Kind::Text),
    ];

    /// The table's task and account columns already say which: the
    /// message says only what happened. The account by its name, when it
    /// still exists.
    fn table_text(&self, key: &str) -> Option<String> {
        match key {
            "message" => Some(self.message.short()),
            "account_id" => self.message.account_name().map(str::to_string),
            _ => None,
        }
    }
}
