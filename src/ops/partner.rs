//! Partner mode: the partner's own multi-tenant app (`nfa partner set /
//! show / test`) and its customers found through GDAP (`nfa accounts
//! discover [--import]`).

use super::accounts::{AccountView, add_all};
use super::import::check_credential;
use crate::domain::account::{
    AppCredential, CredentialFields, NewAccount, PartnerApp, SecretRef, optional, validate_name,
};
use crate::domain::gdap::{Customer, STATUSES, customers, grants_access};
use crate::domain::ids::AccountId;
use crate::domain::status::Lifecycle;
use crate::domain::time::ser;
use crate::process::Cancel;
use crate::store::Store;
use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// The partner app as shown: ids, paths and variable names, never a secret.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerView {
    pub tenant_id: String,
    pub client_id: String,
    /// `client_secret` or `certificate`.
    pub credential: &'static str,
    pub client_secret_env: Option<String>,
    pub client_secret_file: Option<String>,
    pub certificate_file: Option<String>,
    pub certificate_key_file: Option<String>,
}

impl PartnerView {
    pub fn new(p: &PartnerApp) -> PartnerView {
        let c = &p.credential;
        let path = |p: &std::path::Path| p.display().to_string();
        PartnerView {
            tenant_id: p.tenant_id.clone(),
            client_id: p.client_id.clone(),
            credential: match c {
                AppCredential::Secret(_) => "client_secret",
                AppCredential::Certificate { .. } => "certificate",
            },
            client_secret_env: c.secret().and_then(SecretRef::env_var).map(str::to_string),
            client_secret_file: c.secret().and_then(SecretRef::file).map(path),
            certificate_file: c.certificate().map(path),
            certificate_key_file: c.certificate_key().map(path),
        }
    }
}

/// The partner app from its flags: a tenant id, a client id and exactly one
/// credential, whose files are checked now.
pub fn partner_from(
    tenant_id: &str,
    client_id: &str,
    fields: &CredentialFields<'_>,
    cwd: &std::path::Path,
) -> Result<PartnerApp> {
    let flag = |f: &str| format!("--{}", f.replace('_', "-"));
    let tenant_id = optional(Some(tenant_id))
        .ok_or_else(|| anyhow!("--tenant-id: the partner tenant's id is empty"))?;
    let client_id = optional(Some(client_id))
        .ok_or_else(|| anyhow!("--client-id: the partner app's client id is empty"))?;
    for (name, value) in [("--tenant-id", tenant_id), ("--client-id", client_id)] {
        if value
            .chars()
            .any(|c| c.is_control() || c == '/' || c.is_whitespace())
        {
            bail!("{name}: '{}' is not an id", value.escape_debug());
        }
    }
    let credential = fields
        .credential(cwd)
        .map_err(|e| anyhow!("{}: {}", flag(&e.field), e.message))?
        .ok_or_else(|| {
            anyhow!(
                "the partner app needs a credential: --client-secret-file, --client-secret-env or --certificate-file"
            )
        })?;
    check_credential(&credential).map_err(|e| anyhow!("{}: {}", flag(&e.field), e.message))?;
    Ok(PartnerApp {
        tenant_id: tenant_id.to_string(),
        client_id: client_id.to_string(),
        credential,
    })
}

pub fn set(store: &Store, now: DateTime<Utc>, p: &PartnerApp) -> Result<PartnerView> {
    store.write(|db| db.set_partner(p, now))?;
    Ok(PartnerView::new(p))
}

/// The partner app, or the error that says how to set one.
pub fn get(store: &Store) -> Result<PartnerApp> {
    store.read().partner()?.ok_or_else(|| {
        anyhow!(
            "no partner app is set: run nfa partner set --tenant-id PARTNER_TENANT --client-id ID --certificate-file PEM (or --client-secret-file F)"
        )
    })
}

/// What `nfa partner test` found.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerTest {
    #[serde(flatten)]
    pub partner: PartnerView,
    pub signed_in: bool,
    /// GDAP relationships the partner tenant lists.
    pub relationships: usize,
}

/// Signs in to the partner tenant and reads its GDAP relationships.
pub fn test(store: &Store, cancel: &Cancel) -> Result<PartnerTest> {
    let p = get(store)?;
    let n = crate::source::test_partner(&p, cancel)
        .map_err(|e| anyhow!("the partner app could not sign in to {}: {e}", p.tenant_id))?;
    Ok(PartnerTest {
        partner: PartnerView::new(&p),
        signed_in: true,
        relationships: n,
    })
}

/// One customer tenant found through GDAP.
#[derive(Debug, Clone, Serialize)]
pub struct Discovered {
    pub tenant_id: String,
    pub display_name: String,
    /// The status of its most useful relationship (`active` before
    /// `expiring` before the others).
    pub relationship: String,
    #[serde(serialize_with = "ser::opt_time")]
    pub ends_at: Option<DateTime<Utc>>,
    pub auto_extend: bool,
    pub roles: Vec<String>,
    /// The nfa account with that tenant id.
    pub account: Option<AccountId>,
}

/// Checks `--status` words against Graph's documented statuses.
pub fn statuses(words: &[String]) -> Result<Vec<String>> {
    words
        .iter()
        .map(|w| {
            STATUSES
                .iter()
                .find(|s| s.eq_ignore_ascii_case(w.trim()))
                .map(|s| (*s).to_string())
                .ok_or_else(|| {
                    anyhow!(
                        "--status: unknown GDAP relationship status '{}' (expected one of: {})",
                        w.escape_debug(),
                        STATUSES.join(", ")
                    )
                })
        })
        .collect()
}

/// The partner tenant's customers, one item per customer tenant, with the
/// account each is (`statuses`: only customers whose relationship is one
/// of them; all when empty).
pub fn discover(store: &Store, cancel: &Cancel, statuses: &[String]) -> Result<Vec<Discovered>> {
    let p = get(store)?;
    let rels = crate::source::graph::relationships(&p, cancel).map_err(|e| {
        anyhow!(
            "the GDAP relationships of {} could not be read: {e}",
            p.tenant_id
        )
    })?;
    let mut by_tenant: HashMap<String, AccountId> = HashMap::new();
    store.read().for_each_account(|a| {
        let tenant = crate::domain::tenant::SourceSpec::live_tenant(&a.source)
            .map(str::to_string)
            .into_iter()
            .chain(a.tenant_id.clone());
        for t in tenant {
            by_tenant.entry(t.to_lowercase()).or_insert(a.id);
        }
        Ok(())
    })?;
    Ok(customers(&rels)
        .into_iter()
        .filter(|c| {
            statuses.is_empty()
                || statuses
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(&c.relationship))
        })
        .map(|c: Customer| Discovered {
            account: by_tenant.get(&c.tenant_id.to_lowercase()).copied(),
            tenant_id: c.tenant_id,
            display_name: c.display_name,
            relationship: c.relationship,
            ends_at: c.ends_at,
            auto_extend: c.auto_extend,
            roles: c.roles,
        })
        .collect())
}

/// Adds, all or nothing, every discovered customer with an `active` or
/// `expiring` relationship that is not yet an account, as a
/// `graph:TENANT_ID` account (signed in with the partner app) named by its
/// display name.
pub fn import(
    store: &Store,
    now: DateTime<Utc>,
    cancel: &Cancel,
    statuses: &[String],
) -> Result<Vec<AccountView>> {
    let found: Vec<Discovered> = discover(store, cancel, statuses)?
        .into_iter()
        .filter(|d| d.account.is_none() && grants_access(&d.relationship))
        .collect();
    let label = |d: &Discovered| {
        format!(
            "customer {} ({})",
            d.tenant_id,
            d.display_name.escape_debug()
        )
    };
    let mut rows = vec![];
    for d in &found {
        let name = validate_name(&d.display_name).map_err(|e| {
            anyhow!(
                "{}: {e}; nothing was imported (add it by hand under another name: nfa accounts add NAME --source graph:{})",
                label(d),
                d.tenant_id
            )
        })?;
        let source = crate::domain::tenant::SourceSpec::parse(
            &format!("graph:{}", d.tenant_id),
            std::path::Path::new("/"),
        )
        .map_err(|e| anyhow!("{}: {e}; nothing was imported", label(d)))?;
        rows.push(NewAccount {
            name,
            source: source.canonical(),
            tenant_id: Some(d.tenant_id.clone()),
            lifecycle: Lifecycle::Ready,
            last_activity_at: Some(now),
            ad_cache_updated_at: None,
            credentials: None,
        });
    }
    add_all(store, now, &rows, |i| format!("{}: ", label(&found[i])))
        .map_err(|e| anyhow!("{e:#}; nothing was imported"))
}
