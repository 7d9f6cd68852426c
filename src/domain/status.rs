//! Account status: a pure function of the facts recorded about an account,
//! the time it is read, and the thresholds of the settings.

use super::time::{Span, older_than};
use super::word::Word;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What the MSP is doing to the account (recorded, not derived).
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
pub enum Lifecycle {
    Ready,
    Provisioning,
    Upgrading,
    Deleting,
    Deleted,
}

impl Word for Lifecycle {
    const WHAT: &'static str = "lifecycle";
}

/// The one status every account has, in order of precedence.
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
pub enum AccountStatus {
    Provisioning,
    Upgrading,
    Deleting,
    Deleted,
    Disconnected,
    Dormant,
    Inactive,
    Stale,
    Active,
}

impl Word for AccountStatus {
    const WHAT: &'static str = "account status";
}

impl AccountStatus {
    /// The refresh marker: shown exactly for INACTIVE, STALE and DORMANT.
    pub fn refresh_available(self) -> bool {
        matches!(
            self,
            AccountStatus::Inactive | AccountStatus::Stale | AccountStatus::Dormant
        )
    }
}

/// The thresholds of the settings `stale-after`, `inactive-after`,
/// `dormant-after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub stale_after: Span,
    pub inactive_after: Span,
    pub dormant_after: Span,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            stale_after: Span::from_hours(24),
            inactive_after: Span::from_days(7),
            dormant_after: Span::from_days(30),
        }
    }
}

/// What the status is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountFacts {
    pub lifecycle: Lifecycle,
    /// The last management activity; `None` if there never was one.
    pub last_activity_at: Option<DateTime<Utc>>,
    /// When the AD cache was last replaced; `None` if it never was.
    pub ad_cache_updated_at: Option<DateTime<Utc>>,
    /// The outcome of the last status check; `None` if there was none.
    pub last_check_ok: Option<bool>,
}

/// The status of an account: the first row of the table of statuses (in
/// precedence order, as README.md lists them) that applies wins.
/// Every threshold is strict: "older than", never "exactly as old as".
pub fn account_status(facts: &AccountFacts, now: DateTime<Utc>, th: &Thresholds) -> AccountStatus {
    match facts.lifecycle {
        Lifecycle::Provisioning => return AccountStatus::Provisioning,
        Lifecycle::Upgrading => return AccountStatus::Upgrading,
        Lifecycle::Deleting => return AccountStatus::Deleting,
        Lifecycle::Deleted => return AccountStatus::Deleted,
        Lifecycle::Ready => {}
    }
    if facts.last_check_ok == Some(false) {
        return AccountStatus::Disconnected;
    }
    let idle_for = |span| {
        facts
            .last_activity_at
            .is_none_or(|t| older_than(t, now, span))
    };
    if idle_for(th.dormant_after) {
        return AccountStatus::Dormant;
    }
    if idle_for(th.inactive_after) {
        return AccountStatus::Inactive;
    }
    if facts
        .ad_cache_updated_at
        .is_none_or(|t| older_than(t, now, th.stale_after))
    {
        return AccountStatus::Stale;
    }
    AccountStatus::Active
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::parse_time;
    use chrono::TimeDelta;

    fn now() -> DateTime<Utc> {
        parse_time("2026-11-30T08:00:00Z").unwrap()
    }

    /// A healthy account: recent activity, fresh cache, good check.
    fn healthy() -> AccountFacts {
        AccountFacts {
            lifecycle: Lifecycle::Ready,
            last_activity_at: Some(now() - TimeDelta::hours(1)),
            ad_cache_updated_at: Some(now() - TimeDelta::hours(1)),
            last_check_ok: Some(true),
        }
    }

    fn status(f: AccountFacts) -> AccountStatus {
        account_status(&f, now(), &Thresholds::default())
    }

    #[test]
    fn a_healthy_account_is_active() {
        assert_eq!(status(healthy()), AccountStatus::Active);
        let unchecked = AccountFacts {
            last_check_ok: None,
            ..healthy()
        };
        assert_eq!(status(unchecked), AccountStatus::Active);
    }

    #[test]
    fn lifecycle_states_win_over_everything() {
        let broken = AccountFacts {
            last_activity_at: None,
            ad_cache_updated_at: None,
            last_check_ok: Some(false),
            ..healthy()
        };
        for (l, s) in [
            (Lifecycle::Provisioning, AccountStatus::Provisioning),
            (Lifecycle::Upgrading, AccountStatus::Upgrading),
            (Lifecycle::Deleting, AccountStatus::Deleting),
            (Lifecycle::Deleted, AccountStatus::Deleted),
        ] {
            assert_eq!(
                status(AccountFacts {
                    lifecycle: l,
                    ..broken
                }),
                s
            );
        }
        assert_eq!(status(broken), AccountStatus::Disconnected);
    }

    #[test]
    fn disconnected_wins_over_idle_and_stale() {
        let f = AccountFacts {
            last_activity_at: Some(now() - TimeDelta::days(60)),
            last_check_ok: Some(false),
            ..healthy()
        };
        assert_eq!(status(f), AccountStatus::Disconnected);
    }

    #[test]
    fn dormant_threshold_is_strict() {
        let at = |d| AccountFacts {
            last_activity_at: Some(now() - d),
            ..healthy()
        };
        assert_eq!(status(at(TimeDelta::days(30))), AccountStatus::Inactive);
        assert_eq!(
            status(at(TimeDelta::days(30) + TimeDelta::seconds(1))),
            AccountStatus::Dormant
        );
        let never = AccountFacts {
            last_activity_at: None,
            ..healthy()
        };
        assert_eq!(status(never), AccountStatus::Dormant);
    }

    #[test]
    fn inactive_threshold_is_strict() {
        let at = |d| AccountFacts {
            last_activity_at: Some(now() - d),
            ..healthy()
        };
        assert_eq!(status(at(TimeDelta::days(7))), AccountStatus::Active);
        assert_eq!(
            status(at(TimeDelta::days(7) + TimeDelta::seconds(1))),
            AccountStatus::Inactive
        );
    }

    #[test]
    fn inactive_wins_over_stale() {
        let f = AccountFacts {
            last_activity_at: Some(now() - TimeDelta::days(8)),
            ad_cache_updated_at: None,
            ..healthy()
        };
        assert_eq!(status(f), AccountStatus::Inactive);
    }

    #[test]
    fn stale_threshold_is_strict_and_a_missing_cache_is_stale() {
        let at = |d| AccountFacts {
            ad_cache_updated_at: Some(now() - d),
            ..healthy()
        };
        assert_eq!(status(at(TimeDelta::hours(24))), AccountStatus::Active);
        assert_eq!(
            status(at(TimeDelta::hours(24) + TimeDelta::seconds(1))),
            AccountStatus::Stale
        );
        let never = AccountFacts {
            ad_cache_updated_at: None,
            ..healthy()
        };
        assert_eq!(status(never), AccountStatus::Stale);
    }

    #[test]
    fn thresholds_come_from_the_settings() {
        let th = Thresholds {
            stale_after: Span::from_secs(60),
            ..Thresholds::default()
        };
        let f = AccountFacts {
            ad_cache_updated_at: Some(now() - TimeDelta::seconds(61)),
            ..healthy()
        };
        assert_eq!(account_status(&f, now(), &th), AccountStatus::Stale);
    }

    #[test]
    fn the_marker_is_shown_exactly_for_inactive_stale_dormant() {
        use strum::VariantArray;
        let marked: Vec<_> = AccountStatus::VARIANTS
            .iter()
            .copied()
            .filter(|s| s.refresh_available())
            .collect();
        assert_eq!(
            marked,
            [
                AccountStatus::Dormant,
                AccountStatus::Inactive,
                AccountStatus::Stale
            ]
        );
    }

    #[test]
    fn words_parse_case_insensitively() {
        assert_eq!(AccountStatus::parse("stale"), Ok(AccountStatus::Stale));
        assert!(AccountStatus::parse("fresh").is_err());
        assert_eq!(Lifecycle::parse("Deleted"), Ok(Lifecycle::Deleted));
        assert!(Lifecycle::parse("gone").is_err());
    }
}
