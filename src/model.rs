//! Plain records as the store returns them.

use crate::domain::account::Credentials;
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::log::{Level, LogEvent};
use crate::domain::owner::Owner;
use crate::domain::policy::Decision;
use crate::domain::status::{AccountFacts, Lifecycle};
use crate::domain::task::{TaskKind, TaskStatus};
use crate::domain::tenant::ConnectionState;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub tenant_id: Option<String>,
    pub source: String,
    pub lifecycle: Lifecycle,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub ad_cache_updated_at: Option<DateTime<Utc>>,
    pub ad_users: i64,
    pub ad_groups: i64,
    pub last_check: Option<Check>,
    pub credentials: Option<Credentials>,
    /// Where the next directory read starts (opaque to all but the source).
    pub directory_cursor: Option<String>,
}

impl Account {
    pub fn facts(&self) -> AccountFacts {
        AccountFacts {
            lifecycle: self.lifecycle,
            last_activity_at: self.last_activity_at,
            ad_cache_updated_at: self.ad_cache_updated_at,
            last_check_ok: self.last_check.as_ref().map(Check::ok),
        }
    }
}

/// The result of one "Checking account status" task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub task_id: Option<TaskId>,
    pub checked_at: DateTime<Utc>,
    pub azure: ConnectionState,
    pub office365: ConnectionState,
    /// For an account signed in with the partner app: its GDAP
    /// relationships as the check read them.
    pub gdap: Option<GdapState>,
}

/// A check's reading of the GDAP relationships (`status` "none": there is
/// no relationship).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GdapState {
    pub status: String,
    pub ends_at: Option<DateTime<Utc>>,
    pub auto_extend: bool,
}

impl Check {
    pub fn ok(&self) -> bool {
        self.azure.ok && self.office365.ok
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: TaskId,
    pub parent_id: Option<TaskId>,
    pub account_id: AccountId,
    pub account: String,
    pub kind: TaskKind,
    pub automated: bool,
    pub status: TaskStatus,
    /// For activities: what the refresh decided.
    pub decision: Option<Decision>,
    pub description: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub owner: Option<Owner>,
    /// Wall-clock seconds of the owner's last heartbeat.
    pub owner_seen_at: Option<i64>,
    /// The engineer it was done for (`None`: written before schema 7).
    pub user: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub id: i64,
    pub time: DateTime<Utc>,
    pub level: Level,
    pub task_id: Option<TaskId>,
    pub account_id: Option<AccountId>,
    /// What happened, worded when shown (`LogEvent::message`).
    pub event: LogEvent,
    pub detail: Option<String>,
    /// The name of the account, if it still exists.
    pub account: Option<String>,
    /// The engineer it was written for (`None`: before schema 7).
    pub user: Option<String>,
}
