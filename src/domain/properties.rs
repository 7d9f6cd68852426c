//! Property tests of the pure rules: what must hold for every input, not
//! only for the examples of the unit tests.

use super::policy::{Decision, EarlierRefresh, decide};
use super::status::{AccountFacts, AccountStatus, Lifecycle, Thresholds, account_status};
use super::task::{REFRESH_KINDS, TaskKind, TaskStatus, aggregate};
use super::time::{Span, parse_span};
use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use strum::VariantArray;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000 + secs, 0).unwrap()
}

fn task_status() -> impl Strategy<Value = TaskStatus> {
    prop::sample::select(TaskStatus::VARIANTS)
}

/// A refresh's children: one or both kinds, each in any status.
fn children() -> impl Strategy<Value = Vec<(TaskKind, TaskStatus)>> {
    (
        prop::option::of(task_status()),
        prop::option::of(task_status()),
    )
        .prop_filter_map("at least one child", |(a, b)| {
            let v: Vec<_> = REFRESH_KINDS
                .into_iter()
                .zip([a, b])
                .filter_map(|(k, s)| s.map(|s| (k, s)))
                .collect();
            (!v.is_empty()).then_some(v)
        })
}

fn facts() -> impl Strategy<Value = AccountFacts> {
    (
        prop::sample::select(Lifecycle::VARIANTS),
        prop::option::of(-10_000_000i64..0),
        prop::option::of(-10_000_000i64..0),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(lifecycle, activity, cache, check)| AccountFacts {
            lifecycle,
            last_activity_at: activity.map(at),
            ad_cache_updated_at: cache.map(at),
            last_check_ok: check,
        })
}

/// Where a status stands in the precedence table.
fn rank(s: AccountStatus) -> usize {
    AccountStatus::VARIANTS
        .iter()
        .position(|v| *v == s)
        .unwrap()
}

proptest! {
    #[test]
    fn durations_round_trip_through_their_written_form(secs in 0u64..=36_500 * 86_400) {
        let span = Span::from_secs(secs);
        prop_assert_eq!(parse_span(&span.to_string()), Ok(span));
    }

    #[test]
    fn the_aggregate_does_not_depend_on_the_order_of_the_children(
        mut statuses in prop::collection::vec(task_status(), 0..6),
        seed in any::<u64>(),
    ) {
        let before = aggregate(&statuses);
        // A deterministic shuffle from the seed.
        let n = statuses.len();
        for i in (1..n).rev() {
            let j = usize::try_from(seed.rotate_left(u32::try_from(i).unwrap()) % (i as u64 + 1)).unwrap();
            statuses.swap(i, j);
        }
        prop_assert_eq!(aggregate(&statuses), before);
    }

    #[test]
    fn the_policy_holds_over_any_history(
        earlier in prop::option::of(children()),
        age in 0i64..1_000_000,
        window in 1u64..500_000,
    ) {
        let now = at(0);
        let window = Span::from_secs(window);
        let earlier = earlier.map(|children| EarlierRefresh {
            activity_id: super::ids::TaskId(7),
            created_at: now - TimeDelta::seconds(age),
            children,
        });
        let plan = decide(earlier.as_ref(), now, window);
        let within = TimeDelta::seconds(age) < window.to_delta();
        match &earlier {
            None => {
                prop_assert_eq!(plan.decision, Decision::New);
                prop_assert_eq!(plan.earlier, None);
            }
            Some(e) => {
                prop_assert_eq!(plan.earlier, Some((super::ids::TaskId(7), e.status())));
                // A live run is never duplicated.
                if e.status() == TaskStatus::InProgress {
                    prop_assert_eq!(plan.decision, Decision::Deduplicated);
                }
                // Past the window, only a run in progress holds a refresh back.
                if !within && e.status() != TaskStatus::InProgress {
                    prop_assert_eq!(plan.decision, Decision::New);
                }
                if plan.decision == Decision::Retry {
                    prop_assert!(within && e.status() == TaskStatus::Error);
                    let failed: Vec<_> = e.children.iter()
                        .filter(|(_, s)| *s == TaskStatus::Error)
                        .map(|(k, _)| *k)
                        .collect();
                    prop_assert_eq!(&plan.kinds, &failed);
                }
            }
        }
        match plan.decision {
            Decision::New => prop_assert_eq!(&plan.kinds, &REFRESH_KINDS.to_vec()),
            Decision::Retry => prop_assert!(!plan.kinds.is_empty()),
            Decision::Deduplicated => prop_assert!(plan.kinds.is_empty()),
        }
    }

    #[test]
    fn as_time_passes_a_status_only_moves_down_the_idle_ladder(
        facts in facts(),
        t1 in 0i64..10_000_000,
        later in 0i64..10_000_000,
    ) {
        let th = Thresholds::default();
        let s1 = account_status(&facts, at(t1), &th);
        let s2 = account_status(&facts, at(t1 + later), &th);
        // ACTIVE → STALE → INACTIVE → DORMANT, never back without a write.
        prop_assert!(rank(s2) <= rank(s1), "{:?} at t1, {:?} later", s1, s2);
    }
}
