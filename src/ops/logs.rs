//! `nfa logs`: the system log.

use crate::domain::ids::{AccountId, TaskId};
use crate::domain::log::{Level, LogEvent};
use crate::domain::time::ser;
use crate::domain::word::Word;
use crate::model::LogLine;
use crate::process::Cancel;
use crate::store::{LogFilter, Store};
use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct LogView {
    pub id: i64,
    #[serde(serialize_with = "ser::time")]
    pub time: DateTime<Utc>,
    pub level: Level,
    pub task_id: Option<TaskId>,
    pub account_id: Option<AccountId>,
    /// The account's name (null: no account, or one removed since).
    pub account: Option<String>,
    /// The engineer it was written for (null: before anyone was recorded).
    pub user: Option<String>,
    pub message: Message,
}

/// A line's message, worded as it is written out (no String per line).
#[derive(Debug, Clone)]
pub struct Message {
    event: LogEvent,
    task_id: Option<TaskId>,
    account: Option<(AccountId, String)>,
    detail: Option<String>,
}

impl Message {
    /// The name of the account it is about (while the account exists).
    pub fn account_name(&self) -> Option<&str> {
        self.account.as_ref().map(|(_, n)| n.as_str())
    }

    /// Without the task and account it names.
    pub fn short(&self) -> String {
        self.event.short(self.detail.as_deref())
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let account = self.account.as_ref().map(|(id, name)| (*id, name.as_str()));
        self.event
            .write_message(f, self.task_id, account, self.detail.as_deref())
    }
}

impl Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl LogView {
    /// The line `logs --follow` prints for people: time, level, which task
    /// of which account, and what happened (each said once).
    pub fn follow_line(&self) -> String {
        let task = self.task_id.map(|t| format!("task {t}"));
        let account = self.message.account.as_ref().map(|(_, name)| name.clone());
        let about = match (task, account) {
            (Some(t), Some(a)) => format!("[{t} {a}] "),
            (Some(one), None) | (None, Some(one)) => format!("[{one}] "),
            (None, None) => String::new(),
        };
        format!(
            "{} {:<5} {about}{}",
            crate::domain::time::format_time(self.time),
            self.level.as_str(),
            self.message.short()
        )
    }
}

impl From<LogLine> for LogView {
    fn from(l: LogLine) -> LogView {
        LogView {
            id: l.id,
            time: l.time,
            level: l.level,
            task_id: l.task_id,
            account_id: l.account_id,
            account: l.account_id.and(l.account.clone()),
            user: l.user,
            message: Message {
                event: l.event,
                task_id: l.task_id,
                account: l.account_id.zip(l.account),
                detail: l.detail,
            },
        }
    }
}

/// Streams the lines of `filter`.
pub fn list(
    store: &Store,
    filter: &LogFilter,
    mut f: impl FnMut(LogView) -> Result<()>,
) -> Result<()> {
    store.read().for_each_log(filter, |l| f(l.into()))
}

/// `--follow`: the last `limit` lines oldest first, then new lines as they
/// are written, until cancelled.
pub fn follow(
    store: &Store,
    filter: &LogFilter,
    cancel: &Cancel,
    mut f: impl FnMut(LogView) -> Result<()>,
) -> Result<()> {
    store.listen_for_logs()?;
    let mut backlog = vec![];
    list(
        store,
        &LogFilter {
            oldest_first: false,
            ..filter.clone()
        },
        |l| {
            backlog.push(l);
            Ok(())
        },
    )?;
    let mut last = backlog.first().map(|l| l.id).unwrap_or(0);
    if backlog.is_empty() {
        // Start after the newest line of the whole log, not at the start.
        store.read().for_each_log(
            &LogFilter {
                limit: Some(1),
                ..LogFilter::default()
            },
            |l| {
                last = l.id;
                Ok(())
            },
        )?;
    }
    for l in backlog.into_iter().rev() {
        f(l)?;
    }
    let tail = LogFilter {
        after_id: None,
        oldest_first: true,
        limit: None,
        ..filter.clone()
    };
    while store.wait_for_logs(&|| cancel.is_cancelled())? {
        list(
            store,
            &LogFilter {
                after_id: Some(last),
                ..tail.clone()
            },
            |l| {
                last = l.id;
                f(l)
            },
        )?;
    }
    Ok(())
}
