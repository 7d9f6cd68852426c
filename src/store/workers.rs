//! The audit service's rows: the workers that run (each beating like a
//! run), the claims a dead process left unstarted, and the accounts whose
//! periodic audit is due.

use super::sql::args;
use super::{Db, Write, from_ms, ms, opt_from_ms};
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::owner::Owner;
use anyhow::Result;
use chrono::{DateTime, Utc};

/// A worker seen in the last `heartbeat-timeout`, as `nfa summary` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LiveWorker {
    pub host: String,
    pub pid: u32,
    pub user: Option<String>,
    pub jobs: u32,
    #[serde(serialize_with = "crate::domain::time::ser::time")]
    pub started_at: DateTime<Utc>,
    /// By the database's clock.
    #[serde(serialize_with = "crate::domain::time::ser::time")]
    pub last_seen_at: DateTime<Utc>,
}

/// The PENDING tasks a process took on and has not started: the claim's
/// task and its owner (for the rescuer, which judges the owner).
#[derive(Debug, Clone)]
pub struct Unstarted {
    pub id: TaskId,
    pub owner: Owner,
    pub seen_at: Option<i64>,
}

impl<K> Db<'_, K> {
    /// The workers heard from within `timeout` seconds (the database's
    /// clock), oldest first.
    pub fn live_workers(&self, timeout: i64) -> Result<Vec<LiveWorker>> {
        let now = self.conn.server_secs();
        self.conn.query_vec(
            &format!(
                "SELECT host, pid, username, jobs, started_at, seen_at FROM workers
                 WHERE seen_at >= {now} - ?1 ORDER BY started_at, host, pid"
            ),
            args![timeout],
            |r| {
                Ok(LiveWorker {
                    host: r.get(0)?,
                    pid: u32::try_from(r.get::<i64>(1)?).unwrap_or(0),
                    user: r.get(2)?,
                    jobs: u32::try_from(r.get::<i64>(3)?).unwrap_or(0),
                    started_at: from_ms(r.get(4)?)?,
                    last_seen_at: from_ms(r.get::<i64>(5)?.saturating_mul(1000))?,
                })
            },
        )
    }

    /// Every PENDING task that a process took on (a claim not started).
    pub fn unstarted_claims(&self) -> Result<Vec<Unstarted>> {
        self.conn.query_vec(
            "SELECT id, owner_host, owner_pid, owner_token, owner_seen_at FROM tasks
             WHERE status = 0 AND owner_host IS NOT NULL ORDER BY id",
            &[],
            |r| {
                Ok(Unstarted {
                    id: r.get(0)?,
                    owner: Owner {
                        host: r.get(1)?,
                        pid: u32::try_from(r.get::<i64>(2)?).unwrap_or(0),
                        token: r.get(3)?,
                    },
                    seen_at: r.get(4)?,
                })
            },
        )
    }

    /// For every account, its id and when it was last audited (`None`:
    /// never), in id order: one index probe an account.
    pub fn last_audits(&self) -> Result<Vec<(AccountId, Option<DateTime<Utc>>)>> {
        self.conn.query_vec(
            "SELECT a.id, (SELECT max(t.created_at) FROM tasks t
                           WHERE t.account_id = a.id AND t.origin = 1)
             FROM accounts a ORDER BY a.id",
            &[],
            |r| Ok((r.get(0)?, opt_from_ms(r.get(1)?)?)),
        )
    }

    /// When `account` was last audited (`None`: never).
    pub fn last_audit(&self, account: AccountId) -> Result<Option<DateTime<Utc>>> {
        opt_from_ms(self.conn.value(
            "SELECT max(created_at) FROM tasks WHERE account_id = ?1 AND origin = 1",
            args![account],
        )?)
    }

    /// Whether a PENDING task waits that no process has taken on (what
    /// `claim_next` would take).
    pub fn claimable(&self) -> Result<bool> {
        let n: i64 = self.conn.value(
            "SELECT count(*) FROM (SELECT 1 FROM tasks
             WHERE status = 0 AND kind <> 0 AND owner_host IS NULL LIMIT 1) AS t",
            &[],
        )?;
        Ok(n > 0)
    }

    /// How many tasks are PENDING to be run (an activity is not run: its
    /// status is its children's).
    pub fn pending_count(&self) -> Result<u64> {
        let n: i64 = self.conn.value(
            "SELECT count(*) FROM tasks WHERE status = 0 AND kind <> 0",
            &[],
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

impl Db<'_, Write> {
    /// Records this worker (or marks it seen again): by the database's
    /// clock, as a heartbeat.
    pub fn worker_seen(&self, me: &Owner, jobs: u32, started: DateTime<Utc>) -> Result<()> {
        let now = self.conn.server_secs();
        let user = self.conn.engineer();
        let n = self.conn.execute(
            &format!(
                "UPDATE workers SET seen_at = {now}
                 WHERE host = ?1 AND pid = ?2 AND token = ?3"
            ),
            args![me.host, me.pid, me.token],
        )?;
        if n == 0 {
            self.conn.execute(
                &format!(
                    "INSERT INTO workers (host, pid, token, username, jobs, started_at, seen_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, {now})"
                ),
                args![me.host, me.pid, me.token, user, jobs, ms(started)],
            )?;
        }
        Ok(())
    }

    /// This worker stopped: its row goes, and so do those of workers not
    /// heard from for `timeout` seconds (dead ones, kept only for that).
    pub fn worker_gone(&self, me: &Owner, timeout: i64) -> Result<()> {
        let now = self.conn.server_secs();
        self.conn.execute(
            &format!(
                "DELETE FROM workers WHERE (host = ?1 AND pid = ?2 AND token = ?3)
                    OR seen_at < {now} - ?4"
            ),
            args![me.host, me.pid, me.token, timeout],
        )?;
        Ok(())
    }

    /// A claim handed back: the task is PENDING and nobody's again, if it
    /// still is as `claim` was read (unstarted, the same owner, not seen
    /// since: another process may have ended it or handed it back first,
    /// or the owner beaten meanwhile); whether it was.
    pub fn release_claim(&self, claim: &Unstarted) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE tasks SET owner_host = NULL, owner_pid = NULL, owner_token = NULL,
                owner_seen_at = NULL
             WHERE id = ?1 AND status = 0
               AND owner_host = ?2 AND owner_pid = ?3 AND owner_token = ?4
               AND owner_seen_at IS NOT DISTINCT FROM ?5",
            args![
                claim.id,
                claim.owner.host,
                claim.owner.pid,
                claim.owner.token,
                claim.seen_at
            ],
        )?;
        Ok(n == 1)
    }

    /// Hands back every claim of `owner` not started: how many.
    pub fn release_own_claims(&self, owner: &Owner) -> Result<u64> {
        self.conn.execute(
            "UPDATE tasks SET owner_host = NULL, owner_pid = NULL, owner_token = NULL,
                owner_seen_at = NULL
             WHERE status = 0 AND owner_host = ?1 AND owner_pid = ?2 AND owner_token = ?3",
            args![owner.host, owner.pid, owner.token],
        )
    }
}
