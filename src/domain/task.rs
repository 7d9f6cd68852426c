//! Task kinds, task statuses and the aggregate status of an activity.

use super::word::Word;
use serde::Serialize;

/// What a task does.
/// Its word is the kind's internal name; its display name (what the portal
/// shows) is accepted too.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
)]
#[strum(ascii_case_insensitive)]
pub enum TaskKind {
    /// The "Updating account status" activity a refresh records.
    #[strum(
        to_string = "UpdatingAccountStatus",
        serialize = "Updating account status"
    )]
    UpdatingAccountStatus,
    /// Read the tenant's directory into the AD cache.
    #[strum(to_string = "UpdateAdCache", serialize = "Update AD cache")]
    UpdateAdCache,
    /// "Checking account status": the Azure and Microsoft 365 connections.
    #[strum(
        to_string = "AzureAdminAndO365Status",
        serialize = "Checking account status"
    )]
    AzureAdminAndO365Status,
}

/// The two refresh tasks, in the order they run.
pub const REFRESH_KINDS: [TaskKind; 2] =
    [TaskKind::UpdateAdCache, TaskKind::AzureAdminAndO365Status];

impl Word for TaskKind {
    const WHAT: &'static str = "task kind";
}

impl TaskKind {
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
}

/// `in-progress` and `in progress` are accepted for IN_PROGRESS.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE", ascii_case_insensitive)]
pub enum TaskStatus {
    Pending,
    #[strum(
        to_string = "IN_PROGRESS",
        serialize = "in-progress",
        serialize = "in progress"
    )]
    InProgress,
    Complete,
    Error,
}

impl Word for TaskStatus {
    const WHAT: &'static str = "task status";
}

impl TaskStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, TaskStatus::Complete | TaskStatus::Error)
    }
}

/// Why a task was created.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Origin {
    /// By a user's refresh (the activity and its children).
    Refresh,
    /// By the audit service.
    Audit,
}

impl Word for Origin {
    const WHAT: &'static str = "task origin";
}

impl TaskKind {
    /// What a task of this kind does, as its description says (the audit's
    /// tasks say "Audit service").
    pub fn description(self, origin: Origin) -> &'static str {
        match (origin, self) {
            (Origin::Audit, _) => "Audit service",
            (_, TaskKind::UpdateAdCache) => "Read the tenant's users and groups into the AD cache",
            (_, TaskKind::AzureAdminAndO365Status) => {
                "Check the Azure admin and Microsoft 365 connections"
            }
            (_, TaskKind::UpdatingAccountStatus) => super::log::NEW_ACTIVITY,
        }
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
