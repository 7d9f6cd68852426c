//! The partner tenant's GDAP relationships: `GET
//! /v1.0/tenantRelationships/delegatedAdminRelationships`, every page (300
//! a page, Graph's most), both item types (`delegatedAdminRelationship`
//! and `resellerDelegatedAdminRelationship`). Read with the partner app in
//! the partner tenant, once per process and partner app: every account's
//! check in a run reads the same list.

use super::GraphSource;
use crate::domain::account::PartnerApp;
use crate::domain::gdap::{Access, Relationship, access, nonzero_duration};
use crate::process::Cancel;
use crate::source::SourceError;
use crate::source::endpoints::{GRAPH_SCOPE, graph_url};
use chrono::SubsecRound;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The permission the list needs, in the partner tenant.
pub const PERMISSION: &str = "DelegatedAdminRelationship.Read.All";
/// The fields nfa reads of a relationship.
const SELECT: &str = "$select=id,customer,status,endDateTime,autoExtendDuration,accessDetails";
/// A bound on the pages of one list.
const MAX_PAGES: usize = 10_000;

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    value: Vec<Item>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(default)]
    id: String,
    #[serde(default)]
    customer: Option<CustomerPart>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    end_date_time: Option<String>,
    #[serde(default)]
    auto_extend_duration: Option<String>,
    #[serde(default)]
    access_details: Option<AccessDetails>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomerPart {
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccessDetails {
    #[serde(default)]
    unified_roles: Vec<RolePart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RolePart {
    #[serde(default)]
    role_definition_id: Option<String>,
}

type ListCache = Mutex<HashMap<(String, String), Arc<Vec<Relationship>>>>;

fn list_cache() -> &'static ListCache {
    static CACHE: OnceLock<ListCache> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// Every GDAP relationship of the partner tenant. The list is read once
/// per process: a second caller (another job of the run) waits for the
/// first one's read and shares it.
pub fn relationships(
    partner: &PartnerApp,
    cancel: &Cancel,
) -> Result<Arc<Vec<Relationship>>, SourceError> {
    let key = (partner.tenant_id.clone(), partner.client_id.clone());
    let mut cache = list_cache()
        .lock()
        .map_err(|_| SourceError::Failed("the GDAP list cache is poisoned".into()))?;
    if let Some(list) = cache.get(&key) {
        return Ok(list.clone());
    }
    let source = GraphSource::with_partner(partner.tenant_id.clone(), partner.clone());
    let list = Arc::new(source.read_relationships(cancel)?);
    cache.insert(key, list.clone());
    Ok(list)
}

impl GraphSource {
    /// What the GDAP relationships of this customer give the partner app.
    pub(super) fn access(
        &self,
        partner: &PartnerApp,
        cancel: &Cancel,
    ) -> Result<Access, SourceError> {
        // The customer by its tenant id: the source's, or the one its
        // token was issued in (a source may name the tenant by a domain).
        let tid = self.token(GRAPH_SCOPE, "Microsoft Graph", cancel)?.tid;
        let all = relationships(partner, cancel)?;
        let is_customer = |t: &str| {
            t.eq_ignore_ascii_case(&self.tenant)
                || tid.as_deref().is_some_and(|id| t.eq_ignore_ascii_case(id))
        };
        let mine: Vec<Relationship> = all
            .iter()
            .filter(|r| is_customer(&r.customer_tenant))
            .cloned()
            .collect();
        Ok(access(&mine))
    }

    /// Reads every page of the list, in the tenant signed in to (the
    /// partner's).
    fn read_relationships(&self, cancel: &Cancel) -> Result<Vec<Relationship>, SourceError> {
        let service = "Microsoft Graph delegatedAdminRelationships";
        let token = self.token(GRAPH_SCOPE, "Microsoft Graph", cancel)?;
        let mut url = format!(
            "{}/v1.0/tenantRelationships/delegatedAdminRelationships?$top=300&{SELECT}",
            graph_url()
        );
        let mut out = vec![];
        for page in 1..=MAX_PAGES {
            let what = format!("{service}, page {page}");
            let reply = self.get(&what, &url, &token, cancel)?;
            if matches!(reply.status, 401 | 403) {
                return Err(SourceError::Failed(format!(
                    "{what}: the partner app needs the application permission {PERMISSION} in the partner tenant {} (grant admin consent for it) ({})",
                    self.tenant,
                    reply.error_text()
                )));
            }
            if !reply.ok() {
                return Err(SourceError::Failed(format!(
                    "{what}: {}",
                    reply.error_text()
                )));
            }
            let p: Page = serde_json::from_str(&reply.body).map_err(|e| {
                SourceError::Failed(format!(
                    "{what}: the answer is not a list of relationships ({e})"
                ))
            })?;
            for item in p.value {
                out.push(
                    relationship(item).map_err(|e| SourceError::Failed(format!("{what}: {e}")))?,
                );
            }
            match p.next_link {
                Some(next) => url = next,
                None => return Ok(out),
            }
        }
        Err(SourceError::Failed(format!(
            "{service}: more than {MAX_PAGES} pages"
        )))
    }
}

fn relationship(item: Item) -> Result<Relationship, String> {
    let customer = item.customer.unwrap_or(CustomerPart {
        tenant_id: None,
        display_name: None,
    });
    let tenant = customer
        .tenant_id
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| format!("relationship {} names no customer tenant", item.id))?;
    let ends_at = match item.end_date_time.as_deref() {
        None | Some("") => None,
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|e| format!("relationship {}: endDateTime '{t}': {e}", item.id))?
                .with_timezone(&chrono::Utc)
                // to the millisecond, as nfa stores times
                .trunc_subsecs(3),
        ),
    };
    Ok(Relationship {
        customer_name: customer.display_name.unwrap_or_else(|| tenant.clone()),
        customer_tenant: tenant,
        status: item.status.unwrap_or_else(|| "unknown".into()),
        ends_at,
        auto_extend: item
            .auto_extend_duration
            .as_deref()
            .is_some_and(nonzero_duration),
        role_ids: item
            .access_details
            .map(|a| {
                a.unified_roles
                    .into_iter()
                    .filter_map(|r| r.role_definition_id)
                    .collect()
            })
            .unwrap_or_default(),
        id: item.id,
    })
}
