//! Fills a database with many accounts, refreshes (an activity and its two
//! tasks), audit tasks and log lines, through the store's own API, for
//! measuring the list commands on a big database (see benches/lists.sh).
//!
//!     cargo run --release --example seed -- PATH [TASKS] [ACCOUNTS]

use anyhow::{Context, Result};
use chrono::TimeDelta;
use nfa::domain::account::NewAccount;
use nfa::domain::log::{Level, LogEvent};
use nfa::domain::policy::Decision;
use nfa::domain::status::Lifecycle;
use nfa::domain::task::Origin;
use nfa::domain::task::{TaskKind, TaskStatus};
use nfa::domain::time::parse_time;
use nfa::store::{NewTask, Store};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().context("usage: seed PATH [TASKS] [ACCOUNTS]")?;
    let tasks: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let accounts: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1_000);
    let store = Store::open(&nfa::store::Location::parse(std::path::Path::new(&path))?)?;
    let start = parse_time("2026-01-01T00:00:00Z").map_err(anyhow::Error::msg)?;
    // Spread the tasks evenly up to 2026-11-30T08:00:00Z.
    let span = u64::try_from(TimeDelta::hours(8016).num_seconds())?;
    let refreshes = tasks / 3;
    let batch = 100_000;
    store.write(|db| {
        for i in 0..accounts {
            let a = NewAccount {
                name: format!("account-{i:05}"),
                source: "fixture:/dev/null".to_string(),
                tenant_id: None,
                lifecycle: Lifecycle::Ready,
                last_activity_at: Some(start),
                ad_cache_updated_at: None,
                credentials: None,
            };
            db.insert_account(&a, start)?;
        }
        Ok(())
    })?;
    let mut done = 0;
    while done < refreshes {
        let end = (done + batch).min(refreshes);
        store.write(|db| {
            for r in done..end {
                let account_id = nfa::domain::ids::AccountId(i64::try_from(r % accounts + 1)?);
                let now = start + TimeDelta::seconds(i64::try_from(r * span / refreshes)?);
                let failed = r % 50 == 0;
                let activity = db.insert_task(
                    &NewTask {
                        parent_id: None,
                        account_id,
                        kind: TaskKind::UpdatingAccountStatus,
                        automated: false,
                        origin: Origin::Refresh,
                        decision: Some(Decision::New),
                        status: if failed {
                            TaskStatus::Error
                        } else {
                            TaskStatus::Complete
                        },
                        description: Some("Update AD cache, check Azure and O365 status"),
                        earlier: None,
                        owner: None,
                    },
                    now,
                )?;
                // The log lines a real run writes.
                db.log(
                    Level::Info,
                    LogEvent::Activity(Decision::New),
                    Some(activity),
                    Some(account_id),
                    None,
                    now,
                )?;
                for kind in [TaskKind::UpdateAdCache, TaskKind::AzureAdminAndO365Status] {
                    let id = db.insert_task(
                        &NewTask {
                            parent_id: Some(activity),
                            account_id,
                            kind,
                            automated: true,
                            origin: Origin::Refresh,
                            decision: None,
                            status: TaskStatus::Pending,
                            description: None,
                            earlier: None,
                            owner: Some(nfa::domain::owner::Owner::current()),
                        },
                        now,
                    )?;
                    let error = (failed && kind == TaskKind::AzureAdminAndO365Status)
                        .then_some("token expired");
                    let status = if error.is_some() {
                        TaskStatus::Error
                    } else {
                        TaskStatus::Complete
                    };
                    db.finish_task(id, nfa::domain::owner::Owner::current(), status, error, now)?;
                    let level = if error.is_some() {
                        Level::Error
                    } else {
                        Level::Info
                    };
                    db.log(
                        Level::Info,
                        LogEvent::Started(kind),
                        Some(id),
                        Some(account_id),
                        None,
                        now,
                    )?;
                    let (event, detail) = match error {
                        Some(e) => (LogEvent::Failed(kind), Some(e)),
                        None => (LogEvent::Completed(kind), note(kind)),
                    };
                    db.log(level, event, Some(id), Some(account_id), detail, now)?;
                }
            }
            Ok(())
        })?;
        done = end;
        eprintln!("{done} refreshes ({} tasks)", done * 3);
    }
    Ok(())
}

/// The note a finished task logs, as the runner writes it.
fn note(kind: TaskKind) -> Option<&'static str> {
    match kind {
        TaskKind::UpdateAdCache => Some("2 users, 1 groups"),
        _ => None, // worded when read
    }
}
