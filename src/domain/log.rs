//! The system log: its levels, and the events its lines tell.

use super::ids::{AccountId, TaskId};
use super::policy::Decision;
use super::task::TaskKind;
use super::word::Word;
use std::fmt;
use strum::VariantArray;

/// A log level, most severe first; `warning` is accepted for WARN.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
)]
#[serde(rename_all = "UPPERCASE")]
#[strum(serialize_all = "UPPERCASE", ascii_case_insensitive)]
pub enum Level {
    Error,
    #[strum(to_string = "WARN", serialize = "warning")]
    Warn,
    Info,
}

impl Word for Level {
    const WHAT: &'static str = "log level";
}

/// What a line of the system log tells, as facts: the line is stored as its
/// event, task, account and a detail (an error, a note), and worded when it
/// is read, rather than stored as a sentence repeated a million times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogEvent {
    /// A line whose whole message is its detail (and every line written
    /// before messages were stored as facts).
    Text,
    /// An account was added.
    AccountAdded,
    /// A refresh recorded its activity with this decision; the detail is the
    /// activity's description when it is not the usual one.
    Activity(Decision),
    /// The audit service added its two tasks.
    AuditAdded,
    Started(TaskKind),
    /// The detail is the note of what the task did.
    Completed(TaskKind),
    /// The detail is the error.
    Failed(TaskKind),
    /// A task ended by someone else than its run (abandoned, interrupted);
    /// the detail says why.
    Ended(TaskKind),
}

/// What a passed "Checking account status" says (worded, not stored).
pub const CONNECTED: &str = "Azure and Microsoft 365 connected";

/// The description of an activity that adds both refresh tasks.
pub const NEW_ACTIVITY: &str = "Update AD cache, check Azure and O365 status";

impl LogEvent {
    /// The event's number as stored (part of the schema: never renumber).
    pub fn code(self) -> i64 {
        let index = |w: usize| i64::try_from(w).unwrap_or(i64::MAX);
        match self {
            LogEvent::Text => 0,
            LogEvent::AccountAdded => 1,
            LogEvent::AuditAdded => 2,
            LogEvent::Activity(d) => 10 + index(d as usize),
            LogEvent::Started(k) => 20 + index(k as usize),
            LogEvent::Completed(k) => 30 + index(k as usize),
            LogEvent::Failed(k) => 40 + index(k as usize),
            LogEvent::Ended(k) => 50 + index(k as usize),
        }
    }

    pub fn from_code(code: i64) -> Option<LogEvent> {
        let kind = |i: i64| TaskKind::VARIANTS.get(usize::try_from(i).ok()?).copied();
        let decision = |i: i64| Decision::VARIANTS.get(usize::try_from(i).ok()?).copied();
        Some(match code {
            0 => LogEvent::Text,
            1 => LogEvent::AccountAdded,
            2 => LogEvent::AuditAdded,
            10..=19 => LogEvent::Activity(decision(code - 10)?),
            20..=29 => LogEvent::Started(kind(code - 20)?),
            30..=39 => LogEvent::Completed(kind(code - 30)?),
            40..=49 => LogEvent::Failed(kind(code - 40)?),
            50..=59 => LogEvent::Ended(kind(code - 50)?),
            _ => return None,
        })
    }

    /// The line as people read it, from its facts.
    pub fn message(
        self,
        task: Option<TaskId>,
        account: Option<(AccountId, &str)>,
        detail: Option<&str>,
    ) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_message(&mut out, task, account, detail);
        out
    }

    /// [`message`](LogEvent::message), written to `f` (no String of its
    /// own: `nfa logs` words millions of lines straight into its output).
    pub fn write_message(
        self,
        f: &mut impl fmt::Write,
        task: Option<TaskId>,
        account: Option<(AccountId, &str)>,
        detail: Option<&str>,
    ) -> fmt::Result {
        let t = Maybe(task);
        let a = AccountName(account);
        let detail_or = |none| detail.unwrap_or(none);
        match self {
            LogEvent::Text => f.write_str(detail_or("")),
            LogEvent::AccountAdded => write!(f, "account {a} added"),
            LogEvent::AuditAdded => write!(f, "audit of account {a}: 2 tasks added"),
            LogEvent::Activity(d) => write!(
                f,
                "activity #{t} Updating account status for account {a}: {} ({})",
                d.as_str(),
                detail_or(NEW_ACTIVITY)
            ),
            LogEvent::Started(k) => {
                write!(f, "task #{t} {} started for account {a}", k.display_name())
            }
            LogEvent::Completed(k) => {
                write!(f, "task #{t} {} complete for account {a}", k.display_name())?;
                match completion_note(k, detail) {
                    Some(n) => write!(f, ": {n}"),
                    None => Ok(()),
                }
            }
            LogEvent::Failed(k) => write!(
                f,
                "task #{t} {} failed for account {a}: {}",
                k.display_name(),
                detail_or("")
            ),
            LogEvent::Ended(k) => write!(
                f,
                "task #{t} {} for account {a}: {}",
                k.display_name(),
                detail_or("")
            ),
        }
    }

    /// The line without the task and account it names (for a table whose
    /// columns show them).
    pub fn short(self, detail: Option<&str>) -> String {
        let with = |head: String| match detail {
            Some(d) => format!("{head}: {d}"),
            None => head,
        };
        match self {
            LogEvent::Text => detail.unwrap_or_default().to_string(),
            LogEvent::AccountAdded => "account added".to_string(),
            LogEvent::AuditAdded => "audit: 2 tasks added".to_string(),
            LogEvent::Activity(d) => format!(
                "Updating account status: {} ({})",
                d.as_str(),
                detail.unwrap_or(NEW_ACTIVITY)
            ),
            LogEvent::Started(k) => format!("{} started", k.display_name()),
            LogEvent::Completed(k) => match completion_note(k, detail) {
                Some(n) => format!("{} complete: {n}", k.display_name()),
                None => format!("{} complete", k.display_name()),
            },
            LogEvent::Failed(k) => with(format!("{} failed", k.display_name())),
            LogEvent::Ended(k) => with(k.display_name().to_string()),
        }
    }
}

/// A task id, or `?` when the line has none.
struct Maybe(Option<TaskId>);

impl fmt::Display for Maybe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(t) => write!(f, "{t}"),
            None => f.write_str("?"),
        }
    }
}

/// `#3 contoso`, or `#? ?` for an account that is gone.
struct AccountName<'a>(Option<(AccountId, &'a str)>);

impl fmt::Display for AccountName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some((id, name)) => write!(f, "#{id} {name}"),
            None => f.write_str("#? ?"),
        }
    }
}

/// What a finished task says it did: its note, or for a passed check the
/// words it always says.
fn completion_note(kind: TaskKind, detail: Option<&str>) -> Option<&str> {
    detail.or((kind == TaskKind::AzureAdminAndO365Status).then_some(CONNECTED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_reads_back_from_its_code() {
        let mut all = vec![LogEvent::Text, LogEvent::AccountAdded, LogEvent::AuditAdded];
        for k in TaskKind::VARIANTS {
            all.extend([
                LogEvent::Started(*k),
                LogEvent::Completed(*k),
                LogEvent::Failed(*k),
                LogEvent::Ended(*k),
            ]);
        }
        all.extend(Decision::VARIANTS.iter().map(|d| LogEvent::Activity(*d)));
        for e in all {
            assert_eq!(LogEvent::from_code(e.code()), Some(e), "{e:?}");
        }
        assert_eq!(LogEvent::from_code(99), None);
        // The stored numbers are part of the schema.
        assert_eq!(
            LogEvent::Failed(TaskKind::AzureAdminAndO365Status).code(),
            42
        );
        assert_eq!(LogEvent::Activity(Decision::Deduplicated).code(), 12);
    }

    #[test]
    fn lines_are_worded_as_they_always_were() {
        let a = Some((AccountId(3), "northwind"));
        let t = Some(TaskId(9));
        assert_eq!(
            LogEvent::Completed(TaskKind::UpdateAdCache).message(t, a, Some("2 users, 1 groups")),
            "task #9 Update AD cache complete for account #3 northwind: 2 users, 1 groups"
        );
        assert_eq!(
            LogEvent::Activity(Decision::New).message(t, a, None),
            "activity #9 Updating account status for account #3 northwind: new (Update AD cache, check Azure and O365 status)"
        );
        assert_eq!(
            LogEvent::AccountAdded.message(None, a, None),
            "account #3 northwind added"
        );
        assert_eq!(
            LogEvent::Completed(TaskKind::AzureAdminAndO365Status).short(None),
            "Checking account status complete: Azure and Microsoft 365 connected"
        );
        assert_eq!(
            LogEvent::Failed(TaskKind::UpdateAdCache).short(Some("unreachable")),
            "Update AD cache failed: unreachable"
        );
    }
}
