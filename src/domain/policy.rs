//! The refresh policy: the "Nerdio Tip" bullets of the product article, made
//! precise by the table of the contract.

use super::ids::TaskId;
use super::task::{REFRESH_KINDS, TaskKind, TaskStatus, aggregate};
use super::time::Span;
use super::word::Word;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What a refresh does beyond recording its activity.
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
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Decision {
    /// Add both refresh tasks.
    New,
    /// Add again only the kinds that ended in ERROR in the earlier refresh.
    Retry,
    /// Add no task: an earlier refresh makes it unnecessary.
    Deduplicated,
}

impl Word for Decision {
    const WHAT: &'static str = "decision";
}

impl Decision {
    /// Whether an activity with this decision triggered tasks (and so can be
    /// an earlier refresh).
    pub fn triggers_tasks(self) -> bool {
        self != Decision::Deduplicated
    }
}

/// The newest activity of the account that triggered tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierRefresh {
    pub activity_id: TaskId,
    pub created_at: DateTime<Utc>,
    pub children: Vec<(TaskKind, TaskStatus)>,
}

impl EarlierRefresh {
    pub fn status(&self) -> TaskStatus {
        let statuses: Vec<_> = self.children.iter().map(|(_, s)| *s).collect();
        aggregate(&statuses)
    }
}

/// What to do about one refresh call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub decision: Decision,
    /// The kinds of task to add, in the order they run.
    pub kinds: Vec<TaskKind>,
    /// The earlier refresh's activity id and status, if there was one.
    pub earlier: Option<(TaskId, TaskStatus)>,
}

impl Plan {
    /// The description the activity carries in the task list.
    pub fn description(&self) -> String {
        activity_description(self.decision, self.earlier, &self.kinds)
    }
}

/// The description of an activity: what it decided about the earlier
/// refresh it saw (`kinds`: the kinds a retry added again).
pub fn activity_description(
    decision: Decision,
    earlier: Option<(TaskId, TaskStatus)>,
    kinds: &[TaskKind],
) -> String {
    let names = || {
        kinds
            .iter()
            .map(|k| k.display_name())
            .collect::<Vec<_>>()
            .join(" and ")
    };
    match (decision, earlier) {
        (Decision::Deduplicated, Some((id, status))) => {
            let state = match status {
                TaskStatus::Pending => "is already pending",
                TaskStatus::InProgress => "is already in progress",
                _ => "was completed",
            };
            format!("An earlier refresh task (activity #{id}, {status}) {state}; no new task added")
        }
        (Decision::Retry, Some((id, _))) => {
            format!(
                "Retrying {} after the earlier refresh task (activity #{id}, ERROR) failed",
                names()
            )
        }
        _ => super::log::NEW_ACTIVITY.to_string(),
    }
}

/// Decides a refresh from the earlier refresh (if any), now, and the
/// `refresh-window` setting:
///
/// | earlier refresh | age < window   | age >= window  |
/// |-----------------|----------------|----------------|
/// | none            | new            | new            |
/// | PENDING         | deduplicated   | new            |
/// | IN_PROGRESS     | deduplicated   | deduplicated   |
/// | COMPLETE        | deduplicated   | new            |
/// | ERROR           | retry          | new            |
pub fn decide(earlier: Option<&EarlierRefresh>, now: DateTime<Utc>, window: Span) -> Plan {
    let Some(earlier) = earlier else {
        return Plan {
            decision: Decision::New,
            kinds: REFRESH_KINDS.to_vec(),
            earlier: None,
        };
    };
    let status = earlier.status();
    let within = now - earlier.created_at < window.to_delta();
    let (decision, kinds) = match (status, within) {
        (TaskStatus::InProgress, _) => (Decision::Deduplicated, vec![]),
        (TaskStatus::Pending | TaskStatus::Complete, true) => (Decision::Deduplicated, vec![]),
        (TaskStatus::Error, true) => {
            let failed = REFRESH_KINDS
                .into_iter()
                .filter(|k| {
                    earlier
                        .children
                        .iter()
                        .any(|(ck, cs)| ck == k && *cs == TaskStatus::Error)
                })
                .collect();
            (Decision::Retry, failed)
        }
        (_, false) => (Decision::New, REFRESH_KINDS.to_vec()),
    };
    Plan {
        decision,
        kinds,
        earlier: Some((earlier.activity_id, status)),
    }
}

#[cfg(test)]
mod tests {
    use super::TaskKind::*;
    use super::TaskStatus::*;
    use super::*;
    use crate::domain::time::parse_time;
    use chrono::TimeDelta;

    fn now() -> DateTime<Utc> {
        parse_time("2026-11-30T08:00:00Z").unwrap()
    }

    fn earlier(age: TimeDelta, children: &[(TaskKind, TaskStatus)]) -> EarlierRefresh {
        EarlierRefresh {
            activity_id: TaskId(7),
            created_at: now() - age,
            children: children.to_vec(),
        }
    }

    fn decide_at(age: TimeDelta, children: &[(TaskKind, TaskStatus)]) -> Plan {
        decide(Some(&earlier(age, children)), now(), Span::from_hours(6))
    }

    const JUST_INSIDE: TimeDelta = TimeDelta::minutes(6 * 60 - 1);
    const AT_WINDOW: TimeDelta = TimeDelta::hours(6);
    const JUST_OUTSIDE: TimeDelta = TimeDelta::minutes(6 * 60 + 1);

    #[test]
    fn no_earlier_refresh_means_new() {
        let p = decide(None, now(), Span::from_hours(6));
        assert_eq!(p.decision, Decision::New);
        assert_eq!(p.kinds, [UpdateAdCache, AzureAdminAndO365Status]);
        assert_eq!(p.earlier, None);
    }

    #[test]
    fn pending_is_deduplicated_inside_the_window_and_new_outside() {
        let kids = [(UpdateAdCache, Pending), (AzureAdminAndO365Status, Pending)];
        let p = decide_at(JUST_INSIDE, &kids);
        assert_eq!(
            (p.decision, p.kinds.len(), p.earlier),
            (Decision::Deduplicated, 0, Some((TaskId(7), Pending)))
        );
        assert_eq!(decide_at(AT_WINDOW, &kids).decision, Decision::New);
        assert_eq!(decide_at(JUST_OUTSIDE, &kids).decision, Decision::New);
    }

    #[test]
    fn in_progress_is_always_deduplicated() {
        let kids = [
            (UpdateAdCache, Complete),
            (AzureAdminAndO365Status, InProgress),
        ];
        for age in [JUST_INSIDE, AT_WINDOW, JUST_OUTSIDE, TimeDelta::days(3)] {
            let p = decide_at(age, &kids);
            assert_eq!(p.decision, Decision::Deduplicated, "age {age}");
            assert_eq!(p.earlier, Some((TaskId(7), InProgress)));
        }
    }

    #[test]
    fn complete_is_deduplicated_inside_the_window_and_new_outside() {
        let kids = [
            (UpdateAdCache, Complete),
            (AzureAdminAndO365Status, Complete),
        ];
        assert_eq!(
            decide_at(JUST_INSIDE, &kids).decision,
            Decision::Deduplicated
        );
        let p = decide_at(AT_WINDOW, &kids);
        assert_eq!((p.decision, p.kinds.len()), (Decision::New, 2));
        assert_eq!(decide_at(JUST_OUTSIDE, &kids).decision, Decision::New);
    }

    #[test]
    fn error_retries_only_the_failed_kinds_inside_the_window() {
        let kids = [(UpdateAdCache, Complete), (AzureAdminAndO365Status, Error)];
        let p = decide_at(JUST_INSIDE, &kids);
        assert_eq!(p.decision, Decision::Retry);
        assert_eq!(p.kinds, [AzureAdminAndO365Status]);
        assert_eq!(p.earlier, Some((TaskId(7), Error)));

        let both = [(UpdateAdCache, Error), (AzureAdminAndO365Status, Error)];
        assert_eq!(
            decide_at(JUST_INSIDE, &both).kinds,
            [UpdateAdCache, AzureAdminAndO365Status]
        );
    }

    #[test]
    fn error_outside_the_window_is_a_new_refresh() {
        let kids = [(UpdateAdCache, Error), (AzureAdminAndO365Status, Complete)];
        let p = decide_at(AT_WINDOW, &kids);
        assert_eq!((p.decision, p.kinds.len()), (Decision::New, 2));
        assert_eq!(decide_at(JUST_OUTSIDE, &kids).decision, Decision::New);
    }

    #[test]
    fn descriptions_name_the_earlier_activity_and_its_status() {
        let kids = [(UpdateAdCache, Pending), (AzureAdminAndO365Status, Pending)];
        let d = decide_at(JUST_INSIDE, &kids).description();
        assert!(d.contains("#7") && d.contains("PENDING"), "{d}");
        let kids = [(UpdateAdCache, Complete), (AzureAdminAndO365Status, Error)];
        let d = decide_at(JUST_INSIDE, &kids).description();
        assert!(
            d.contains("#7") && d.contains("Checking account status"),
            "{d}"
        );
    }
}
