//! Task kinds, task statuses and the aggregate status of an activity.

use serde::Serialize;
use std::fmt;

/// What a task does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TaskKind {
    /// The "Updating account status" activity a refresh records.
    UpdatingAccountStatus,
    /// Read the tenant's directory into the AD cache.
    UpdateAdCache,
    /// "Checking account status": the Azure and Microsoft 365 connections.
    AzureAdminAndO365Status,
}

/// The two refresh tasks, in the order they run.
pub const REFRESH_KINDS: [TaskKind; 2] =
    [TaskKind::UpdateAdCache, TaskKind::AzureAdminAndO365Status];

impl TaskKind {
    pub const ALL: [TaskKind; 3] = [
        TaskKind::UpdatingAccountStatus,
        TaskKind::UpdateAdCache,
        TaskKind::AzureAdminAndO365Status,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::UpdatingAccountStatus => "UpdatingAccountStatus",
            TaskKind::UpdateAdCache => "UpdateAdCache",
            TaskKind::AzureAdminAndO365Status => "AzureAdminAndO365Status",
        }
    }

    /// The name the portal shows.
    pub fn display_name(self) -> &'static str {
        match self {
            TaskKind::UpdatingAccountStatus => "Updating account status",
            TaskKind::UpdateAdCache => "Update AD cache",
            TaskKind::AzureAdminAndO365Status => "Checking account status",
        }
    }

    /// Whether every task of this kind is automated (the refresh tasks,
    /// whether a refresh or the audit added them).
    pub fn is_automated(self) -> bool {
        self != TaskKind::UpdatingAccountStatus
    }

    /// Accepts the kind (any case) or its display name.
    pub fn parse(text: &str) -> Result<TaskKind, String> {
        let t = text.trim();
        TaskKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(t) || k.display_name().eq_ignore_ascii_case(t))
            .ok_or_else(|| {
                format!(
                    "invalid task kind '{text}' (expected one of UpdatingAccountStatus, UpdateAdCache, AzureAdminAndO365Status)"
                )
            })
    }
}

impl fmt::Display for TaskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatus {
    Pending,
    InProgress,
    Complete,
    Error,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 4] = [
        TaskStatus::Pending,
        TaskStatus::InProgress,
        TaskStatus::Complete,
        TaskStatus::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "PENDING",
            TaskStatus::InProgress => "IN_PROGRESS",
            TaskStatus::Complete => "COMPLETE",
            TaskStatus::Error => "ERROR",
        }
    }

    /// Case-insensitive; `in-progress` and `in progress` are accepted too.
    pub fn parse(text: &str) -> Result<TaskStatus, String> {
        let t = text.trim().replace(['-', ' '], "_");
        TaskStatus::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(&t))
            .ok_or_else(|| {
                format!("invalid task status '{text}' (expected one of PENDING, IN_PROGRESS, COMPLETE, ERROR)")
            })
    }

    pub fn is_finished(self) -> bool {
        matches!(self, TaskStatus::Complete | TaskStatus::Error)
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status of an activity from its children's: COMPLETE if all are
/// COMPLETE (or there are none), PENDING if all are PENDING, ERROR if all have
/// finished and any is ERROR, IN_PROGRESS otherwise.
pub fn aggregate(children: &[TaskStatus]) -> TaskStatus {
    if children.iter().all(|s| *s == TaskStatus::Complete) {
        TaskStatus::Complete
    } else if children.iter().all(|s| *s == TaskStatus::Pending) {
        TaskStatus::Pending
    } else if children.iter().all(|s| s.is_finished()) {
        TaskStatus::Error
    } else {
        TaskStatus::InProgress
    }
}

#[cfg(test)]
mod tests {
    use super::TaskStatus::*;
    use super::*;

    #[test]
    fn aggregate_follows_the_contract() {
        assert_eq!(aggregate(&[]), Complete);
        assert_eq!(aggregate(&[Complete, Complete]), Complete);
        assert_eq!(aggregate(&[Pending, Pending]), Pending);
        assert_eq!(aggregate(&[Complete, Error]), Error);
        assert_eq!(aggregate(&[Error]), Error);
        assert_eq!(aggregate(&[Complete, Pending]), InProgress);
        assert_eq!(aggregate(&[Error, Pending]), InProgress);
        assert_eq!(aggregate(&[InProgress, Pending]), InProgress);
        assert_eq!(aggregate(&[Complete, InProgress]), InProgress);
    }

    #[test]
    fn kinds_and_statuses_parse() {
        assert_eq!(
            TaskKind::parse("updateadcache"),
            Ok(TaskKind::UpdateAdCache)
        );
        assert_eq!(
            TaskKind::parse("Checking account status"),
            Ok(TaskKind::AzureAdminAndO365Status)
        );
        assert!(TaskKind::parse("Reboot").is_err());
        assert_eq!(TaskStatus::parse("in-progress"), Ok(InProgress));
        assert_eq!(TaskStatus::parse("error"), Ok(Error));
        assert!(TaskStatus::parse("DONE").is_err());
    }
}
