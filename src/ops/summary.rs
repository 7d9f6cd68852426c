//! `nfa summary`: the morning check on one screen.

use crate::domain::status::{AccountStatus, account_status};
use crate::domain::task::TaskKind;
use crate::domain::time::ser;
use crate::store::Store;
use anyhow::Result;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use strum::VariantArray;

/// How many of the oldest AD caches the summary names.
const OLDEST: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Every account.
    pub accounts: usize,
    /// Accounts per status, every status named (in precedence order).
    pub by_status: Vec<StatusCount>,
    /// Accounts with the refresh marker (INACTIVE, STALE, DORMANT).
    pub refresh_marker: usize,
    /// Tasks that ended in ERROR in the last 24 hours, by error, most
    /// frequent first.
    pub failures_24h: Vec<Failure>,
    /// The accounts whose AD cache is oldest (never taken first).
    pub oldest_ad_caches: Vec<CacheAge>,
    /// Tasks PENDING or IN_PROGRESS.
    pub in_progress: Vec<Running>,
    /// Partner-app accounts whose GDAP relationship (at the last check)
    /// ends within 30 days, soonest first.
    pub gdap_ending: Vec<GdapEnding>,
    /// The workers (`nfa worker`) heard from within `heartbeat-timeout`.
    pub workers: Vec<crate::store::LiveWorker>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GdapEnding {
    pub account_id: crate::domain::ids::AccountId,
    pub account: String,
    pub relationship: String,
    #[serde(serialize_with = "ser::time")]
    pub ends_at: DateTime<Utc>,
    pub auto_extend: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusCount {
    pub status: AccountStatus,
    pub accounts: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub error: String,
    pub tasks: usize,
    pub accounts: Vec<String>,
    #[serde(serialize_with = "ser::time")]
    pub last_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CacheAge {
    pub account_id: crate::domain::ids::AccountId,
    pub account: String,
    #[serde(serialize_with = "ser::opt_time")]
    pub ad_cache_updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Running {
    pub id: crate::domain::ids::TaskId,
    pub account: String,
    pub kind: TaskKind,
    pub name: &'static str,
    pub status: crate::domain::task::TaskStatus,
    #[serde(serialize_with = "ser::opt_time")]
    pub started_at: Option<DateTime<Utc>>,
}

pub fn summary(store: &Store, now: DateTime<Utc>) -> Result<Summary> {
    let db = store.read();
    let settings = db.settings()?;
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    let mut caches = vec![];
    let mut accounts = 0;
    let mut marker = 0;
    let mut ending = vec![];
    db.for_each_account(|a| {
        if let Some(g) = a.last_check.as_ref().and_then(|c| c.gdap.as_ref())
            && let Some(at) = crate::domain::gdap::ends_within_warning(&g.status, g.ends_at, now)
        {
            ending.push(GdapEnding {
                account_id: a.id,
                account: a.name.clone(),
                relationship: g.status.clone(),
                ends_at: at,
                auto_extend: g.auto_extend,
            });
        }
        let status = account_status(&a.facts(), now, &settings.thresholds);
        let rank = AccountStatus::VARIANTS
            .iter()
            .position(|s| *s == status)
            .unwrap_or(0);
        *counts.entry(rank).or_default() += 1;
        accounts += 1;
        marker += usize::from(status.refresh_available());
        caches.push(CacheAge {
            account_id: a.id,
            account: a.name,
            ad_cache_updated_at: a.ad_cache_updated_at,
        });
        Ok(())
    })?;
    // Never taken sorts first, then oldest.
    caches.sort_by_key(|c| (c.ad_cache_updated_at.is_some(), c.ad_cache_updated_at));
    caches.truncate(OLDEST);
    let by_status = AccountStatus::VARIANTS
        .iter()
        .enumerate()
        .map(|(i, s)| StatusCount {
            status: *s,
            accounts: counts.get(&i).copied().unwrap_or(0),
        })
        .collect();
    let mut failures: Vec<Failure> = vec![];
    for (error, account, at) in db.errors_since(now - TimeDelta::hours(24))? {
        match failures.iter_mut().find(|f| f.error == error) {
            Some(f) => {
                f.tasks += 1;
                f.last_at = f.last_at.max(at);
                if !f.accounts.contains(&account) {
                    f.accounts.push(account);
                }
            }
            None => failures.push(Failure {
                error,
                tasks: 1,
                accounts: vec![account],
                last_at: at,
            }),
        }
    }
    failures.sort_by(|a, b| b.tasks.cmp(&a.tasks).then(b.last_at.cmp(&a.last_at)));
    let in_progress = db
        .unfinished_tasks(None)?
        .into_iter()
        .filter(|t| t.kind != TaskKind::UpdatingAccountStatus)
        .map(|t| Running {
            id: t.id,
            account: t.account,
            kind: t.kind,
            name: t.kind.display_name(),
            status: t.status,
            started_at: t.started_at,
        })
        .collect();
    Ok(Summary {
        accounts,
        by_status,
        refresh_marker: marker,
        failures_24h: failures,
        oldest_ad_caches: caches,
        in_progress,
        gdap_ending: {
            ending.sort_by_key(|e| (e.ends_at, e.account_id));
            ending
        },
        workers: db.live_workers(
            i64::try_from(settings.heartbeat_timeout.as_secs()).unwrap_or(i64::MAX),
        )?,
    })
}
