//! `nfa accounts`: views with their status, lookup by id or name, add and
//! remove.

use crate::domain::account::{AccountRef, AppCredential, NewAccount, SecretRef, name_key};
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::log::{Level, LogEvent};
use crate::domain::names::suggest;
use crate::domain::policy::Decision;
use crate::domain::settings::Settings;
use crate::domain::status::{AccountStatus, Lifecycle, account_status};
use crate::domain::task::TaskStatus;
use crate::domain::tenant::{ConnectionState, SourceSpec};
use crate::domain::time::ser;
use crate::model::Account;
use crate::store::{Db, Store};
use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// An account as every output shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub id: AccountId,
    pub name: String,
    pub tenant_id: Option<String>,
    pub source: String,
    pub status: AccountStatus,
    pub refresh_available: bool,
    pub lifecycle: Lifecycle,
    #[serde(serialize_with = "ser::opt_time")]
    pub last_activity_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser::opt_time")]
    pub ad_cache_updated_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser::opt_time")]
    pub last_check_at: Option<DateTime<Utc>>,
    pub last_check_ok: Option<bool>,
    pub ad_users: i64,
    pub ad_groups: i64,
    #[serde(serialize_with = "ser::time")]
    pub created_at: DateTime<Utc>,
}

impl AccountView {
    pub fn new(a: &Account, settings: &Settings, now: DateTime<Utc>) -> AccountView {
        let status = account_status(&a.facts(), now, &settings.thresholds);
        AccountView {
            id: a.id,
            name: a.name.clone(),
            tenant_id: a.tenant_id.clone(),
            source: a.source.clone(),
            status,
            refresh_available: status.refresh_available(),
            lifecycle: a.lifecycle,
            last_activity_at: a.last_activity_at,
            ad_cache_updated_at: a.ad_cache_updated_at,
            last_check_at: a.last_check.as_ref().map(|c| c.checked_at),
            last_check_ok: a.last_check.as_ref().map(super::super::model::Check::ok),
            ad_users: a.ad_users,
            ad_groups: a.ad_groups,
            created_at: a.created_at,
        }
    }
}

/// `accounts show`: the view plus the app registration of a live account,
/// the latest refresh and the last check.
#[derive(Debug, Clone, Serialize)]
pub struct AccountDetail {
    #[serde(flatten)]
    pub account: AccountView,
    pub client_id: Option<String>,
    pub client_secret_env: Option<String>,
    pub client_secret_file: Option<String>,
    pub certificate_file: Option<String>,
    pub certificate_key_file: Option<String>,
    pub subscription_id: Option<String>,
    /// Which app signs in to a live account: `own` (its own registration)
    /// or `partner` (the partner app); `null` for a fixture.
    pub app: Option<&'static str>,
    /// The status of the customer's most useful GDAP relationship at the
    /// last check (`none`: it has none); `null` when not signed in with
    /// the partner app.
    pub gdap_status: Option<String>,
    #[serde(serialize_with = "ser::opt_time")]
    pub gdap_ends_at: Option<DateTime<Utc>>,
    pub latest_refresh: Option<RefreshSummary>,
    pub last_check: Option<CheckView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RefreshSummary {
    pub activity_id: TaskId,
    pub decision: Option<Decision>,
    pub status: TaskStatus,
    pub description: Option<String>,
    #[serde(serialize_with = "ser::time")]
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    pub task_id: Option<TaskId>,
    #[serde(serialize_with = "ser::time")]
    pub checked_at: DateTime<Utc>,
    pub ok: bool,
    pub azure: ConnectionState,
    pub office365: ConnectionState,
}

/// Finds an account by id (`#12`, or a plain number) or by name (case and
/// Unicode form do not matter). No name may read as a number, so a plain
/// number is an id; should a name stored before that rule match it too, the
/// argument is refused as ambiguous rather than guessed. The error names
/// what was asked for and suggests close names.
pub fn resolve<M>(db: &Db<'_, M>, wanted: &str) -> Result<Account> {
    resolve_in(&Asked(db), wanted)
}

/// Where [`resolve_in`] looks accounts up.
trait Lookup {
    fn by_id(&self, id: AccountId) -> Result<Option<Account>>;
    fn by_name(&self, name: &str) -> Result<Option<Account>>;
    /// Every name, for the suggestions of an unknown one.
    fn names(&self) -> Result<Vec<String>>;
}

/// The database, asked each time.
struct Asked<'a, 'b, M>(&'a Db<'b, M>);

impl<M> Lookup for Asked<'_, '_, M> {
    fn by_id(&self, id: AccountId) -> Result<Option<Account>> {
        self.0.account(id)
    }
    fn by_name(&self, name: &str) -> Result<Option<Account>> {
        self.0.account_by_name(name)
    }
    fn names(&self) -> Result<Vec<String>> {
        self.0.account_names()
    }
}

/// The accounts of a whole list, fetched at once ([`Db::accounts_among`])
/// for every id and name the list can mean: what is not there is not in
/// the database.
struct Fetched<'a, 'b, M> {
    db: &'a Db<'b, M>,
    by_id: HashMap<AccountId, Account>,
    by_key: HashMap<String, Account>,
}

impl<M> Lookup for Fetched<'_, '_, M> {
    fn by_id(&self, id: AccountId) -> Result<Option<Account>> {
        Ok(self.by_id.get(&id).cloned())
    }
    fn by_name(&self, name: &str) -> Result<Option<Account>> {
        Ok(self.by_key.get(&name_key(name)).cloned())
    }
    fn names(&self) -> Result<Vec<String>> {
        self.db.account_names()
    }
}

fn resolve_in(db: &impl Lookup, wanted: &str) -> Result<Account> {
    let w = wanted.trim();
    match AccountRef::parse(w).map_err(|e| anyhow!("unknown account: {e}"))? {
        AccountRef::Id(id) => db
            .by_id(id)?
            .ok_or_else(|| anyhow!("unknown account: no account has id {id}")),
        AccountRef::Number(id) => match (db.by_id(id)?, db.by_name(w)?) {
            (Some(a), Some(b)) if a.id != b.id => bail!(
                "'{w}' is ambiguous: it is the id of account '{}' and the name of account id {}; write #{} or #{}",
                a.name,
                b.id,
                a.id,
                b.id
            ),
            (Some(a), _) | (None, Some(a)) => Ok(a),
            (None, None) => bail!("unknown account '{w}': no account has id {id}"),
        },
        AccountRef::Name(name) => {
            if let Some(a) = db.by_name(&name)? {
                return Ok(a);
            }
            let names = db.names()?;
            let close = suggest(&name, names.iter().map(String::as_str));
            let message = if close.is_empty() {
                format!("unknown account '{name}'")
            } else {
                format!(
                    "unknown account '{name}' (did you mean {}?)",
                    close.join(", ")
                )
            };
            Err(crate::error::hinted(
                message,
                vec!["nfa accounts list shows the accounts, with their ids".to_string()],
            ))
        }
    }
}

/// Resolves several accounts, refusing the whole list if any is unknown;
/// an account named twice is kept once. Every account the list can mean
/// is fetched first, in one query (on PostgreSQL one round trip, not one
/// per name); each item then resolves as [`resolve`] would.
pub fn resolve_all(store: &Store, wanted: &[String]) -> Result<Vec<Account>> {
    let db = store.read();
    let (mut ids, mut keys) = (vec![], vec![]);
    for w in wanted {
        let w = w.trim();
        match AccountRef::parse(w) {
            Ok(AccountRef::Id(id)) => ids.push(id),
            Ok(AccountRef::Number(id)) => {
                ids.push(id);
                keys.push(name_key(w));
            }
            Ok(AccountRef::Name(name)) => keys.push(name_key(&name)),
            // Refused with its reason when its turn comes.
            Err(_) => {}
        }
    }
    ids.sort_unstable();
    ids.dedup();
    keys.sort_unstable();
    keys.dedup();
    let mut fetched = Fetched {
        db: &db,
        by_id: HashMap::new(),
        by_key: HashMap::new(),
    };
    for a in db.accounts_among(&ids, &keys)? {
        fetched.by_key.insert(name_key(&a.name), a.clone());
        fetched.by_id.insert(a.id, a);
    }
    let mut out: Vec<Account> = vec![];
    for w in wanted {
        let a = resolve_in(&fetched, w)?;
        if !out.iter().any(|o| o.id == a.id) {
            out.push(a);
        }
    }
    Ok(out)
}

/// Every account (with `refreshable`, only those with the refresh marker),
/// in id order.
pub fn select(store: &Store, now: DateTime<Utc>, refreshable: bool) -> Result<Vec<Account>> {
    let db = store.read();
    let settings = db.settings()?;
    let mut out = vec![];
    db.for_each_account(|a| {
        if !refreshable || account_status(&a.facts(), now, &settings.thresholds).refresh_available()
        {
            out.push(a);
        }
        Ok(())
    })?;
    Ok(out)
}

/// Streams the accounts whose status is one of `statuses` (all if empty)
/// and, with `refreshable`, that carry the refresh marker.
pub fn list(
    store: &Store,
    now: DateTime<Utc>,
    statuses: &[AccountStatus],
    refreshable: bool,
    mut f: impl FnMut(AccountView) -> Result<()>,
) -> Result<()> {
    let db = store.read();
    let settings = db.settings()?;
    db.for_each_account(|a| {
        let v = AccountView::new(&a, &settings, now);
        if (statuses.is_empty() || statuses.contains(&v.status))
            && (!refreshable || v.refresh_available)
        {
            f(v)?;
        }
        Ok(())
    })
}

pub fn show(store: &Store, now: DateTime<Utc>, wanted: &str) -> Result<AccountDetail> {
    let db = store.read();
    let settings = db.settings()?;
    let a = resolve(&db, wanted)?;
    let latest_refresh = db.latest_activity(a.id)?.map(|t| RefreshSummary {
        activity_id: t.id,
        decision: t.decision,
        status: t.status,
        description: t.description,
        created_at: t.created_at,
    });
    let last_check = a.last_check.clone().map(|c| CheckView {
        task_id: c.task_id,
        checked_at: c.checked_at,
        ok: c.ok(),
        azure: c.azure,
        office365: c.office365,
    });
    let creds = a.credentials.as_ref();
    let credential = creds.map(|c| &c.credential);
    let secret = credential.and_then(AppCredential::secret);
    let path = |p: &std::path::Path| p.display().to_string();
    let gdap = a.last_check.as_ref().and_then(|c| c.gdap.as_ref());
    Ok(AccountDetail {
        account: AccountView::new(&a, &settings, now),
        client_id: creds.map(|c| c.client_id.clone()),
        client_secret_env: secret.and_then(SecretRef::env_var).map(str::to_string),
        client_secret_file: secret.and_then(SecretRef::file).map(path),
        certificate_file: credential.and_then(AppCredential::certificate).map(path),
        certificate_key_file: credential
            .and_then(AppCredential::certificate_key)
            .map(path),
        subscription_id: creds.and_then(|c| c.subscription_id.clone()),
        app: match (SourceSpec::live_tenant(&a.source).is_some(), creds) {
            (false, _) => None,
            (true, Some(_)) => Some("own"),
            (true, None) => Some("partner"),
        },
        gdap_status: gdap.map(|g| g.status.clone()),
        gdap_ends_at: gdap.and_then(|g| g.ends_at),
        latest_refresh,
        last_check,
    })
}

/// Adds accounts in one transaction: all or none. `label(i)` names the
/// i-th account in a duplicate-name error.
pub fn add_all(
    store: &Store,
    now: DateTime<Utc>,
    accounts: &[NewAccount],
    label: impl Fn(usize) -> String,
) -> Result<Vec<AccountView>> {
    // A name twice in one batch is named by its rows, before anything is
    // written (no id of a rolled-back insert is ever shown).
    let mut seen = HashMap::new();
    for (i, a) in accounts.iter().enumerate() {
        if let Some(first) = seen.insert(name_key(&a.name), i) {
            bail!(
                "{}an account named '{}' already exists in this import ({})",
                label(i),
                a.name,
                label(first).trim_end_matches(": ")
            );
        }
    }
    let ids = store.write(|db| {
        let mut ids = vec![];
        for (i, a) in accounts.iter().enumerate() {
            // The name is taken when the insert finds it so (not by an
            // earlier look: another engineer may be adding it right now).
            let Some(id) = db.insert_account(a, now)? else {
                let (name, id) = match db.account_by_name(&a.name)? {
                    Some(e) => (e.name, format!(" (id {})", e.id)),
                    None => (a.name.clone(), String::new()),
                };
                bail!("{}an account named '{name}' already exists{id}", label(i));
            };
            db.log(
                Level::Info,
                LogEvent::AccountAdded,
                None,
                Some(id),
                None,
                now,
            )?;
            ids.push(id);
        }
        Ok(ids)
    })?;
    let db = store.read();
    let settings = db.settings()?;
    ids.into_iter()
        .map(|id| {
            let a = db
                .account(id)?
                .ok_or_else(|| anyhow::anyhow!("account {id} vanished"))?;
            Ok(AccountView::new(&a, &settings, now))
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Removed {
    pub id: AccountId,
    pub name: String,
    pub removed: bool,
}

pub fn remove(store: &Store, now: DateTime<Utc>, wanted: &str) -> Result<Removed> {
    store.write(|db| {
        let a = resolve(db, wanted)?;
        db.remove_account(a.id)?;
        // The account's own lines go with it: this one names it in full.
        db.log(
            Level::Info,
            LogEvent::Text,
            None,
            None,
            Some(&format!(
                "account #{} {} removed with its data",
                a.id, a.name
            )),
            now,
        )?;
        Ok(Removed {
            id: a.id,
            name: a.name,
            removed: true,
        })
    })
}

/// One connection as `accounts test` found it.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionTest {
    pub connection: &'static str,
    pub ok: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    pub account_id: AccountId,
    pub account: String,
    pub source: String,
    pub ok: bool,
    pub connections: Vec<ConnectionTest>,
}

/// A dry connection test: asks the tenant what the two refresh tasks would
/// ask, and records nothing.
pub fn test(store: &Store, wanted: &str, cancel: &crate::process::Cancel) -> Result<TestReport> {
    let a = resolve(&store.read(), wanted)?;
    let partner = match a.credentials {
        None => store.read().partner()?,
        Some(_) => None,
    };
    let connections =
        match crate::source::open(&a.name, &a.source, a.credentials.as_ref(), partner.as_ref()) {
            Err(e) => vec![ConnectionTest {
                connection: "source",
                ok: false,
                error: Some(e.to_string()),
            }],
            Ok(source) => {
                let directory = source.probe_directory(cancel);
                let report = source.check_connections(cancel);
                let mut out = vec![ConnectionTest {
                    connection: "directory",
                    ok: directory.is_ok(),
                    error: directory.err().map(|e| e.to_string()),
                }];
                match report {
                    Ok(r) => {
                        out.push(ConnectionTest {
                            connection: "office365",
                            ok: r.office365.ok,
                            error: r.office365.error,
                        });
                        out.push(ConnectionTest {
                            connection: "azure",
                            ok: r.azure.ok,
                            error: r.azure.error,
                        });
                    }
                    Err(e) => out.push(ConnectionTest {
                        connection: "check",
                        ok: false,
                        error: Some(e.to_string()),
                    }),
                }
                out
            }
        };
    Ok(TestReport {
        account_id: a.id,
        ok: connections.iter().all(|c| c.ok),
        account: a.name,
        source: a.source,
        connections,
    })
}
