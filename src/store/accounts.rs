//! Accounts, their AD cache and their check results.

use super::sql::{Arg, Row, Value, args};
use super::{Db, Write, bad_value, from_db, from_ms, ms, opt_from_db, opt_from_ms, to_db};
use crate::domain::account::{
    AppCredential, Credentials, NewAccount, PartnerApp, SecretRef, name_key,
};
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::status::Lifecycle;
use crate::domain::tenant::{ConnectionReport, ConnectionState, DirGroup, DirUser, DirectorySync};
use crate::domain::word::Word;
use crate::model::{Account, Check, GdapState};
use anyhow::Result;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// How many ids or names one lookup query carries (far under SQLite's
/// 32,766 and PostgreSQL's 65,535 parameters).
const LOOKUP_CHUNK: usize = 500;

/// The columns of an account as [`account_row`] reads them, and where they
/// come from: macros, so that statements are made of them at compile
/// time (`store::decision` builds PostgreSQL's one read of a decision of
/// the same columns).
macro_rules! account_columns {
    () => {
        "a.id, a.name, a.tenant_id, a.source, a.lifecycle, a.created_at,
           a.last_activity_at, a.ad_cache_updated_at, a.ad_users, a.ad_groups,
           c.task_id, c.checked_at, c.azure_ok, c.azure_error, c.office365_ok, c.office365_error,
           a.client_id, a.client_secret_env, a.client_secret_file, a.subscription_id, a.directory_cursor,
           a.certificate_file, a.certificate_key_file, c.gdap_status, c.gdap_ends_at, c.gdap_auto_extend"
    };
}
macro_rules! account_from {
    () => {
        "accounts a
    LEFT JOIN checks c ON c.id = (SELECT max(id) FROM checks WHERE account_id = a.id)"
    };
}
pub(super) use account_columns;

pub(super) const SELECT_ACCOUNT: &str = concat!(
    "\n    SELECT ",
    account_columns!(),
    "\n    FROM ",
    account_from!()
);

pub(super) fn account_row(r: &Row<'_>) -> Result<Account> {
    let lifecycle: String = r.get(4)?;
    let checked_at: Option<i64> = r.get(11)?;
    let last_check = match checked_at {
        Some(at) => Some(Check {
            task_id: r.get(10)?,
            checked_at: from_ms(at)?,
            azure: ConnectionState {
                ok: r.get(12)?,
                error: r.get(13)?,
            },
            office365: ConnectionState {
                ok: r.get(14)?,
                error: r.get(15)?,
            },
            gdap: match r.get::<Option<String>>(23)? {
                Some(status) => Some(GdapState {
                    status,
                    ends_at: opt_from_ms(r.get(24)?)?,
                    auto_extend: r.get::<Option<bool>>(25)?.unwrap_or(false),
                }),
                None => None,
            },
        }),
        None => None,
    };
    let credentials = match r.get::<Option<String>>(16)? {
        Some(client_id) => Some(Credentials {
            client_id,
            credential: credential(r.get(17)?, r.get(18)?, r.get(21)?, r.get(22)?)?,
            subscription_id: r.get(19)?,
        }),
        None => None,
    };
    Ok(Account {
        id: r.get(0)?,
        name: r.get(1)?,
        tenant_id: r.get(2)?,
        source: r.get(3)?,
        lifecycle: Lifecycle::parse(&lifecycle).map_err(|_| bad_value("lifecycle", &lifecycle))?,
        created_at: from_db(&r.get::<String>(5)?)?,
        last_activity_at: opt_from_db(r.get(6)?)?,
        ad_cache_updated_at: opt_from_db(r.get(7)?)?,
        ad_users: r.get(8)?,
        ad_groups: r.get(9)?,
        last_check,
        credentials,
        directory_cursor: r.get(20)?,
    })
}

/// An app's credential from its stored columns (secret variable, secret
/// file, certificate file, certificate key file).
fn credential(
    env: Option<String>,
    file: Option<String>,
    cert: Option<String>,
    key: Option<String>,
) -> Result<AppCredential> {
    Ok(match (env, file, cert) {
        (Some(v), _, _) => AppCredential::Secret(SecretRef::Env(v)),
        (None, Some(f), _) => AppCredential::Secret(SecretRef::File(f.into())),
        (None, None, Some(c)) => AppCredential::Certificate {
            cert: c.into(),
            key: key.map(Into::into),
        },
        (None, None, None) => {
            return Err(bad_value("credentials", "client id without a credential"));
        }
    })
}

/// The columns of a credential: secret variable, secret file, certificate
/// file, certificate key file.
fn credential_columns(c: &AppCredential) -> [Option<String>; 4] {
    let path = |p: &std::path::Path| p.display().to_string();
    [
        c.secret().and_then(SecretRef::env_var).map(str::to_string),
        c.secret().and_then(SecretRef::file).map(path),
        c.certificate().map(path),
        c.certificate_key().map(path),
    ]
}

impl<M> Db<'_, M> {
    /// The partner app, when one is set.
    pub fn partner(&self) -> Result<Option<PartnerApp>> {
        self.conn.query_opt(
            "SELECT tenant_id, client_id, client_secret_env, client_secret_file,
                    certificate_file, certificate_key_file
             FROM partner WHERE id = 1",
            &[],
            |r| {
                Ok(PartnerApp {
                    tenant_id: r.get(0)?,
                    client_id: r.get(1)?,
                    credential: credential(r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)?,
                })
            },
        )
    }

    pub fn account(&self, id: AccountId) -> Result<Option<Account>> {
        let sql = format!("{SELECT_ACCOUNT} WHERE a.id = ?1");
        self.conn.query_opt(&sql, args![id], account_row)
    }

    /// By [`name_key`]: case and Unicode form do not matter.
    pub fn account_by_name(&self, name: &str) -> Result<Option<Account>> {
        let sql = format!("{SELECT_ACCOUNT} WHERE a.name_key = ?1");
        self.conn
            .query_opt(&sql, args![name_key(name)], account_row)
    }

    /// The accounts among these ids and these names ([`name_key`]s), in
    /// one query per [`LOOKUP_CHUNK`] of each: a list of accounts named on
    /// the command line is found in one round trip, not one per name.
    pub fn accounts_among(&self, ids: &[AccountId], keys: &[String]) -> Result<Vec<Account>> {
        let mut out = vec![];
        let mut among = |column: &str, values: Vec<Value>| -> Result<()> {
            let marks: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
            let sql = format!(
                "{SELECT_ACCOUNT} WHERE a.{column} IN ({})",
                marks.join(", ")
            );
            out.extend(self.conn.query_vec(&sql, &values, account_row)?);
            Ok(())
        };
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            among("id", chunk.iter().map(Arg::value).collect())?;
        }
        for chunk in keys.chunks(LOOKUP_CHUNK) {
            among("name_key", chunk.iter().map(Arg::value).collect())?;
        }
        Ok(out)
    }

    pub fn account_names(&self) -> Result<Vec<String>> {
        self.conn
            .query_vec("SELECT name FROM accounts ORDER BY id", &[], |r| r.get(0))
    }

    /// Every account in id order, streamed to `f`.
    pub fn for_each_account(&self, mut f: impl FnMut(Account) -> Result<()>) -> Result<()> {
        let sql = format!("{SELECT_ACCOUNT} ORDER BY a.id");
        self.conn.for_each(&sql, &[], |r| f(account_row(r)?))
    }
}

impl Db<'_, Write> {
    /// Inserts an account; `None` (nothing written) when an account of
    /// that name ([`name_key`]) exists — also one that another engineer
    /// added a moment ago, in a transaction this one had to wait for.
    pub fn insert_account(&self, a: &NewAccount, now: DateTime<Utc>) -> Result<Option<AccountId>> {
        let [env, file, cert, key] = a
            .credentials
            .as_ref()
            .map(|c| credential_columns(&c.credential))
            .unwrap_or_default();
        let id = self.conn.query_opt(
            "INSERT INTO accounts (name, name_key, tenant_id, source, lifecycle, created_at,
                                       last_activity_at, ad_cache_updated_at, client_id,
                                       client_secret_env, client_secret_file, subscription_id,
                                       certificate_file, certificate_key_file)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                 ON CONFLICT (name_key) DO NOTHING
                 RETURNING id",
            args![
                a.name,
                name_key(&a.name),
                a.tenant_id,
                a.source,
                a.lifecycle.as_str(),
                to_db(now),
                a.last_activity_at.map(to_db),
                a.ad_cache_updated_at.map(to_db),
                a.credentials.as_ref().map(|c| c.client_id.as_str()),
                env,
                file,
                a.credentials
                    .as_ref()
                    .and_then(|c| c.subscription_id.as_deref()),
                cert,
                key,
            ],
            |r| r.get::<i64>(0),
        )?;
        Ok(id.map(AccountId))
    }

    /// Recomputes every account's name key by [`name_key`] (a migration).
    /// Two names that differ only in Unicode form keep their old keys, and
    /// a WARN line asks to rename one.
    pub(super) fn renormalize_name_keys(&self) -> Result<()> {
        let rows: Vec<(AccountId, String, String)> =
            self.conn
                .query_vec("SELECT id, name, name_key FROM accounts", &[], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        for (id, name, old) in rows {
            let key = name_key(&name);
            if key == old {
                continue;
            }
            let taken: Option<AccountId> = self.conn.query_opt(
                "SELECT id FROM accounts WHERE name_key = ?1",
                args![key],
                |r| r.get(0),
            )?;
            match taken {
                None => {
                    self.conn.execute(
                        "UPDATE accounts SET name_key = ?2 WHERE id = ?1",
                        args![id, key],
                    )?;
                }
                Some(other) => {
                    let msg = format!(
                        "accounts #{other} and #{id} have names that differ only in Unicode form or case; rename one (nfa accounts remove/add)"
                    );
                    // The system log as schema version 4 has it (this runs
                    // in that migration).
                    self.conn.execute("INSERT INTO logs (time, level, account_id, message) VALUES (?1, 'WARN', ?2, ?3)", args![to_db(Utc::now()), id, msg],
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Deletes an account with its tasks, cache, checks and log lines.
    pub fn remove_account(&self, id: AccountId) -> Result<()> {
        // Not while a run records a result of the account.
        self.lock_account(id)?;
        self.conn
            .execute("DELETE FROM accounts WHERE id = ?1", args![id])?;
        Ok(())
    }

    /// Records management activity on the account (on PostgreSQL with the
    /// next statement, beside the other writes deferred: a refresh touches
    /// its account once, and nothing else of its transaction writes the
    /// account's row).
    pub fn touch_activity(&self, id: AccountId, now: DateTime<Utc>) -> Result<()> {
        self.conn.defer_beside(
            "UPDATE accounts SET last_activity_at = ?2 WHERE id = ?1",
            args![id, to_db(now)],
        )
    }

    /// Applies a directory read to the AD cache of an account, with the
    /// cursor for the next read, inside the caller's transaction (so a
    /// failure leaves the previous copy and cursor): a full copy replaces the
    /// cache, a delta adds, changes and removes objects.
    pub fn apply_directory(
        &self,
        account_id: AccountId,
        sync: &DirectorySync,
        cursor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        match sync {
            DirectorySync::Full { users, groups } => {
                self.replace_users(account_id, users)?;
                self.replace_groups(account_id, groups)?;
            }
            DirectorySync::Delta {
                users,
                groups,
                removed_users,
                removed_groups,
            } => {
                // Fields a delta leaves out (None) keep their cached value.
                let upsert = "INSERT INTO ad_users (account_id, id, display_name, upn, enabled) VALUES (?1, ?2, ?3, ?4, coalesce(?5, 1))
                     ON CONFLICT (account_id, id) DO UPDATE SET
                        display_name = coalesce(excluded.display_name, ad_users.display_name),
                        upn = coalesce(excluded.upn, ad_users.upn),
                        enabled = coalesce(?5, ad_users.enabled)";
                for u in users {
                    self.conn.execute(
                        upsert,
                        args![account_id, u.id, u.display_name, u.upn, u.enabled],
                    )?;
                }
                let upsert = "INSERT INTO ad_groups (account_id, id, display_name) VALUES (?1, ?2, ?3)
                     ON CONFLICT (account_id, id) DO UPDATE SET display_name = coalesce(excluded.display_name, ad_groups.display_name)";
                for g in groups {
                    self.conn
                        .execute(upsert, args![account_id, g.id, g.display_name])?;
                }
                let del = "DELETE FROM ad_users WHERE account_id = ?1 AND id = ?2";
                for id in removed_users {
                    self.conn.execute(del, args![account_id, id])?;
                }
                let del = "DELETE FROM ad_groups WHERE account_id = ?1 AND id = ?2";
                for id in removed_groups {
                    self.conn.execute(del, args![account_id, id])?;
                }
            }
        }
        // The counts without recounting the cache where they are known: a
        // full copy is the cache now (its ids are distinct), an empty delta
        // changed nothing; only a delta with changes is counted again.
        let stamp = "UPDATE accounts SET ad_cache_updated_at = ?2, directory_cursor = ?3";
        match sync {
            DirectorySync::Full { users, groups } => self.conn.execute(
                &format!("{stamp}, ad_users = ?4, ad_groups = ?5 WHERE id = ?1"),
                args![
                    account_id,
                    to_db(now),
                    cursor,
                    i64::try_from(users.len()).unwrap_or(i64::MAX),
                    i64::try_from(groups.len()).unwrap_or(i64::MAX)
                ],
            )?,
            DirectorySync::Delta {
                users,
                groups,
                removed_users,
                removed_groups,
            } if users.is_empty()
                && groups.is_empty()
                && removed_users.is_empty()
                && removed_groups.is_empty() =>
            {
                self.conn.execute(
                    &format!("{stamp} WHERE id = ?1"),
                    args![account_id, to_db(now), cursor],
                )?
            }
            DirectorySync::Delta { .. } => self.conn.execute(
                &format!(
                    "{stamp}, ad_users = (SELECT count(*) FROM ad_users WHERE account_id = ?1),
                            ad_groups = (SELECT count(*) FROM ad_groups WHERE account_id = ?1)
                     WHERE id = ?1"
                ),
                args![account_id, to_db(now), cursor],
            )?,
        };
        Ok(())
    }

    /// Makes the cached users of an account exactly `users`, writing only
    /// what changed: an unchanged directory writes no row. The cache is
    /// read once, compared in place against the new copy (no copy of it
    /// is made).
    fn replace_users(&self, account_id: AccountId, users: &[DirUser]) -> Result<()> {
        // In a full copy an absent `enabled` means enabled.
        let mut want: HashMap<&str, &DirUser> = users.iter().map(|u| (u.id.as_str(), u)).collect();
        let mut gone: Vec<String> = vec![];
        let mut changed: Vec<&DirUser> = vec![];
        self.conn.for_each(
            "SELECT id, display_name, upn, enabled FROM ad_users WHERE account_id = ?1",
            args![account_id],
            |r| {
                let id: String = r.get(0)?;
                match want.remove(id.as_str()) {
                    None => gone.push(id),
                    Some(u) => {
                        let same = r.get::<Option<String>>(1)? == u.display_name
                            && r.get::<Option<String>>(2)? == u.upn
                            && r.get::<bool>(3)? == u.enabled.unwrap_or(true);
                        if !same {
                            changed.push(u);
                        }
                    }
                }
                Ok(())
            },
        )?;
        let put = "INSERT INTO ad_users (account_id, id, display_name, upn, enabled) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (account_id, id) DO UPDATE SET
                display_name = excluded.display_name, upn = excluded.upn, enabled = excluded.enabled";
        for u in changed.into_iter().chain(want.into_values()) {
            self.conn.execute(
                put,
                args![
                    account_id,
                    u.id,
                    u.display_name,
                    u.upn,
                    u.enabled.unwrap_or(true)
                ],
            )?;
        }
        let del = "DELETE FROM ad_users WHERE account_id = ?1 AND id = ?2";
        for id in gone {
            self.conn.execute(del, args![account_id, id])?;
        }
        Ok(())
    }

    /// [`Db::replace_users`] for groups.
    fn replace_groups(&self, account_id: AccountId, groups: &[DirGroup]) -> Result<()> {
        let mut have: HashMap<String, Option<String>> = self
            .conn
            .query_vec(
                "SELECT id, display_name FROM ad_groups WHERE account_id = ?1",
                args![account_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .into_iter()
            .collect();
        let put = "INSERT INTO ad_groups (account_id, id, display_name) VALUES (?1, ?2, ?3)
             ON CONFLICT (account_id, id) DO UPDATE SET display_name = excluded.display_name";
        for g in groups {
            if have.remove(&g.id).as_ref() != Some(&g.display_name) {
                self.conn
                    .execute(put, args![account_id, g.id, g.display_name])?;
            }
        }
        let del = "DELETE FROM ad_groups WHERE account_id = ?1 AND id = ?2";
        for id in have.keys() {
            self.conn.execute(del, args![account_id, id])?;
        }
        Ok(())
    }

    pub fn insert_check(
        &self,
        account_id: AccountId,
        task_id: TaskId,
        report: &ConnectionReport,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let gdap = report.gdap.as_ref();
        self.conn.execute("INSERT INTO checks (account_id, task_id, checked_at, azure_ok, azure_error, office365_ok, office365_error,
                                    gdap_status, gdap_ends_at, gdap_auto_extend)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", args![
                account_id,
                task_id,
                ms(now),
                report.azure.ok,
                report.azure.error,
                report.office365.ok,
                report.office365.error,
                // "none": read, and the customer has no relationship.
                gdap.map(|g| g.status.as_deref().unwrap_or("none")),
                gdap.and_then(|g| g.ends_at).map(ms),
                gdap.map(|g| g.auto_extend),
            ])?;
        Ok(())
    }

    /// Sets the partner app (replacing the one set before).
    pub fn set_partner(&self, p: &PartnerApp, now: DateTime<Utc>) -> Result<()> {
        let [env, file, cert, key] = credential_columns(&p.credential);
        self.conn.execute(
            "INSERT INTO partner (id, tenant_id, client_id, client_secret_env, client_secret_file,
                                  certificate_file, certificate_key_file, updated_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET
                 tenant_id = excluded.tenant_id, client_id = excluded.client_id,
                 client_secret_env = excluded.client_secret_env,
                 client_secret_file = excluded.client_secret_file,
                 certificate_file = excluded.certificate_file,
                 certificate_key_file = excluded.certificate_key_file,
                 updated_at = excluded.updated_at",
            args![p.tenant_id, p.client_id, env, file, cert, key, ms(now)],
        )?;
        Ok(())
    }
}
