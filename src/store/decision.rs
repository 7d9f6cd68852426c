//! What a refresh or audit decision reads, in one flight: on PostgreSQL
//! the transaction's BEGIN, the account's lock and these reads go out
//! together and come back together (one round trip where six reads one
//! after the other took six).

use super::accounts::{SELECT_ACCOUNT, account_row};
use super::sql::{Query, Value, args};
use super::tasks::{SELECT_TASK, task_row};
use super::{Db, Write};
use crate::domain::ids::AccountId;
use crate::domain::settings::Settings;
use crate::model::{Account, Task};
use anyhow::{Result, anyhow};

/// The facts a decision about one account starts from.
pub struct DecisionInputs {
    pub settings: Settings,
    /// `None` when the account was removed meanwhile.
    pub account: Option<Account>,
    /// Its PENDING and IN_PROGRESS tasks, oldest first.
    pub unfinished: Vec<Task>,
    /// The database's clock (seconds), which heartbeats are judged by.
    pub server_secs: i64,
    /// Its latest refresh that was `new` or `retry`, with that activity's
    /// tasks.
    pub earlier: Option<(Task, Vec<Task>)>,
}

impl Db<'_, Write> {
    /// Reads [`DecisionInputs`] of `account_id` (after the caller's
    /// `lock_account`, which goes out with them).
    pub fn decision_inputs(&self, account_id: AccountId) -> Result<DecisionInputs> {
        let id: &[Value] = args![account_id];
        let mut pairs: Vec<(String, String)> = vec![];
        let mut account = None;
        let mut unfinished = vec![];
        let mut server_secs = None;
        let mut activity = None;
        let mut children = vec![];
        let latest = "(SELECT e.id FROM tasks e WHERE e.account_id = ?1 AND e.kind = 0
                         AND e.decision IN (0, 1) ORDER BY e.id DESC LIMIT 1)";
        let account_sql = format!("{SELECT_ACCOUNT} WHERE a.id = ?1");
        let unfinished_sql =
            format!("{SELECT_TASK} WHERE t.account_id = ?1 AND t.status IN (0, 1) ORDER BY t.id");
        let clock_sql = format!("SELECT {}", self.conn.server_secs());
        let activity_sql = format!("{SELECT_TASK} WHERE t.id = {latest}");
        let children_sql = format!("{SELECT_TASK} WHERE t.parent_id = {latest} ORDER BY t.id");
        self.conn.read_together(&mut [
            Query {
                sql: "SELECT key, value FROM settings ORDER BY key",
                args: &[],
                on_row: &mut |r| {
                    pairs.push((r.get(0)?, r.get(1)?));
                    Ok(())
                },
            },
            Query {
                sql: &account_sql,
                args: id,
                on_row: &mut |r| {
                    account = Some(account_row(r)?);
                    Ok(())
                },
            },
            Query {
                sql: &unfinished_sql,
                args: id,
                on_row: &mut |r| {
                    unfinished.push(task_row(r)?);
                    Ok(())
                },
            },
            Query {
                sql: &clock_sql,
                args: &[],
                on_row: &mut |r| {
                    server_secs = Some(r.get(0)?);
                    Ok(())
                },
            },
            Query {
                sql: &activity_sql,
                args: id,
                on_row: &mut |r| {
                    activity = Some(task_row(r)?);
                    Ok(())
                },
            },
            Query {
                sql: &children_sql,
                args: id,
                on_row: &mut |r| {
                    children.push(task_row(r)?);
                    Ok(())
                },
            },
        ])?;
        let settings = Settings::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| anyhow!(e))?;
        Ok(DecisionInputs {
            settings,
            account,
            unfinished,
            server_secs: server_secs.ok_or_else(|| anyhow!("the database's clock was not read"))?,
            earlier: activity.map(|a| (a, children)),
        })
    }
}
