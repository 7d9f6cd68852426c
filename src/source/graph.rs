//! The live source: Microsoft Graph for the directory and Microsoft 365,
//! Azure Resource Manager for the Azure admin check, signed in with the
//! OAuth 2.0 client-credentials flow of the Microsoft identity platform.
//!
//! The client secret is read from its variable or file when a token is
//! needed, and neither it nor any token is ever written anywhere: not to
//! output, logs, task errors, the database, or `Debug` output.

use super::endpoints::{ARM_SCOPE, GRAPH_SCOPE, arm_url, graph_url, login_url};
use super::http::{Http, Reply};
use super::{
    ConnectionReport, ConnectionState, DirGroup, DirUser, DirectoryRead, DirectorySync,
    SourceError, TenantSource,
};
use crate::domain::account::Credentials;
use crate::process::Cancel;
use crate::secret::{ExposeSecret, Secret};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Tokens of this process by tenant, app and resource, with the time they
/// stop being reused (their lifetime less a minute).
type TokenCache = Mutex<HashMap<(String, String, &'static str), (Secret, Instant)>>;

fn token_cache() -> &'static TokenCache {
    static CACHE: OnceLock<TokenCache> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

pub struct GraphSource {
    tenant: String,
    creds: Credentials,
    http: Http,
}

/// Where the next directory read starts: the delta links of Graph.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    users: String,
    groups: String,
}

/// Why a run of delta pages stopped.
enum PageError {
    /// Graph no longer knows the delta token: start over with a full sync.
    Resync,
    Source(SourceError),
}

impl From<SourceError> for PageError {
    fn from(e: SourceError) -> Self {
        PageError::Source(e)
    }
}

/// The objects of a delta run and the link for the next run.
struct Pages {
    items: Vec<Value>,
    delta_link: String,
}

const USERS_SELECT: &str = "$select=id,displayName,userPrincipalName,accountEnabled";
const GROUPS_SELECT: &str = "$select=id,displayName";
/// A bound on the pages of one run, against a service that never ends one.
const MAX_PAGES: usize = 100_000;

impl GraphSource {
    pub fn new(tenant: String, creds: Credentials) -> GraphSource {
        GraphSource {
            tenant,
            creds,
            http: Http::new(),
        }
    }

    /// A token for `scope` ("Microsoft Graph" or "Azure Resource Manager"
    /// in errors), from the cache or the token endpoint.
    fn token(
        &self,
        scope: &'static str,
        service: &str,
        cancel: &Cancel,
    ) -> Result<Secret, SourceError> {
        let key = (self.tenant.clone(), self.creds.client_id.clone(), scope);
        if let Some((t, until)) = token_cache().lock().ok().and_then(|c| c.get(&key).cloned())
            && Instant::now() < until
        {
            return Ok(t);
        }
        let secret = crate::secret::read(&self.creds.secret).map_err(SourceError::Failed)?;
        let url = format!("{}/{}/oauth2/v2.0/token", login_url(), self.tenant);
        let reply = self
            .http
            .send(&format!("{service} token"), cancel, |agent| {
                agent.post(&url).send_form([
                    ("client_id", self.creds.client_id.as_str()),
                    ("client_secret", secret.expose_secret()),
                    ("scope", scope),
                    ("grant_type", "client_credentials"),
                ])
            })?;
        if !reply.ok() {
            return Err(SourceError::Failed(format!(
                "{service} token: {}",
                token_error(&reply)
            )));
        }
        let v: Value = serde_json::from_str(&reply.body).unwrap_or_default();
        let token = v["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                SourceError::Failed(format!("{service} token: the answer holds no access_token"))
            })?;
        let lifetime = Duration::from_secs(v["expires_in"].as_u64().unwrap_or(300));
        let token = Secret::from(token);
        let until = Instant::now() + lifetime.saturating_sub(Duration::from_secs(60));
        if let Ok(mut cache) = token_cache().lock() {
            cache.insert(key, (token.clone(), until));
        }
        Ok(token)
    }

    /// GET with a bearer token.
    fn get(
        &self,
        service: &str,
        url: &str,
        token: &Secret,
        cancel: &Cancel,
    ) -> Result<Reply, SourceError> {
        self.http.send(service, cancel, |agent| {
            agent
                .get(url)
                .header(
                    "Authorization",
                    &format!("Bearer {}", token.expose_secret()),
                )
                .call()
        })
    }

    /// Follows `@odata.nextLink` from `url` to the final `@odata.deltaLink`.
    fn delta_pages(
        &self,
        what: &str,
        url: &str,
        token: &Secret,
        cancel: &Cancel,
    ) -> Result<Pages, PageError> {
        let service = format!("Microsoft Graph {what}");
        let mut items = vec![];
        let mut url = url.to_string();
        for page in 1..=MAX_PAGES {
            let reply = self.get(&format!("{service}, page {page}"), &url, token, cancel)?;
            if reply.status == 410 || ((400..500).contains(&reply.status) && resync_code(&reply)) {
                return Err(PageError::Resync);
            }
            if !reply.ok() {
                return Err(SourceError::Failed(format!(
                    "{service}, page {page}: {}",
                    reply.error_text()
                ))
                .into());
            }
            let mut v: Value = serde_json::from_str(&reply.body).map_err(|e| {
                SourceError::Failed(format!(
                    "{service}, page {page}: the answer is not JSON ({e})"
                ))
            })?;
            if let Some(Value::Array(values)) = v.get_mut("value").map(Value::take) {
                items.extend(values);
            }
            if let Some(next) = v["@odata.nextLink"].as_str() {
                url = next.to_string();
            } else if let Some(delta) = v["@odata.deltaLink"].as_str() {
                return Ok(Pages {
                    items,
                    delta_link: delta.to_string(),
                });
            } else {
                return Err(SourceError::Failed(format!(
                    "{service}, page {page}: the answer has neither @odata.nextLink nor @odata.deltaLink"
                ))
                .into());
            }
        }
        Err(SourceError::Failed(format!("{service}: more than {MAX_PAGES} pages")).into())
    }

    fn full_sync(&self, token: &Secret, cancel: &Cancel) -> Result<DirectoryRead, SourceError> {
        let base = graph_url();
        let users = self.delta_pages(
            "users",
            &format!("{base}/v1.0/users/delta?{USERS_SELECT}"),
            token,
            cancel,
        );
        let users = unresync(users)?;
        let groups = self.delta_pages(
            "groups",
            &format!("{base}/v1.0/groups/delta?{GROUPS_SELECT}"),
            token,
            cancel,
        );
        let groups = unresync(groups)?;
        let cursor = Cursor {
            users: users.delta_link,
            groups: groups.delta_link,
        };
        let (users, _) = split_users(users.items);
        let (groups, _) = split_groups(groups.items);
        Ok(DirectoryRead {
            sync: DirectorySync::Full { users, groups },
            cursor: serde_json::to_string(&cursor).ok(),
        })
    }
}

/// A full sync starts without a token: Graph cannot ask to resync it.
fn unresync(r: Result<Pages, PageError>) -> Result<Pages, SourceError> {
    r.map_err(|e| match e {
        PageError::Resync => {
            SourceError::Failed("Microsoft Graph asked to resync a full sync".to_string())
        }
        PageError::Source(e) => e,
    })
}

/// Whether a 4xx from a delta link means "the delta token is no longer
/// valid" (Graph's `syncStateNotFound`, `resyncRequired`, …).
fn resync_code(reply: &Reply) -> bool {
    let v: Value = serde_json::from_str(&reply.body).unwrap_or_default();
    let code = v["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    [
        "syncstatenotfound",
        "resyncrequired",
        "syncstateinvalid",
        "invaliddeltatoken",
    ]
    .iter()
    .any(|c| code.contains(c))
}

/// The objects of a delta run added or changed, and the ids of those
/// removed (`@removed`). Entries are applied in order, as Graph documents:
/// the same object may come several times, each time with what changed
/// (`merge` folds a later entry into an earlier one), and the last word on
/// an id wins: an object removed and then restored is kept, one sent and
/// then removed is dropped.
fn split<T>(
    items: Vec<Value>,
    make: impl Fn(String, &Value) -> T,
    merge: impl Fn(&mut T, T),
) -> (Vec<T>, Vec<String>) {
    let mut order: Vec<(String, Option<T>)> = vec![];
    let mut at: HashMap<String, usize> = HashMap::new();
    for v in items {
        let Some(id) = v["id"].as_str().map(str::to_string) else {
            continue;
        };
        let entry = (v.get("@removed").is_none()).then(|| make(id.clone(), &v));
        match at.get(&id) {
            None => {
                at.insert(id.clone(), order.len());
                order.push((id, entry));
            }
            Some(&i) => match (&mut order[i].1, entry) {
                (Some(earlier), Some(later)) => merge(earlier, later),
                (slot, later) => *slot = later,
            },
        }
    }
    let mut kept = vec![];
    let mut removed = vec![];
    for (id, entry) in order {
        match entry {
            Some(t) => kept.push(t),
            None => removed.push(id),
        }
    }
    (kept, removed)
}

fn split_users(items: Vec<Value>) -> (Vec<DirUser>, Vec<String>) {
    split(
        items,
        |id, v| DirUser {
            id,
            display_name: v["displayName"].as_str().map(str::to_string),
            upn: v["userPrincipalName"].as_str().map(str::to_string),
            enabled: v["accountEnabled"].as_bool(),
        },
        |a, b| {
            a.display_name = b.display_name.or(a.display_name.take());
            a.upn = b.upn.or(a.upn.take());
            a.enabled = b.enabled.or(a.enabled);
        },
    )
}

fn split_groups(items: Vec<Value>) -> (Vec<DirGroup>, Vec<String>) {
    split(
        items,
        |id, v| DirGroup {
            id,
            display_name: v["displayName"].as_str().map(str::to_string),
        },
        |a, b| a.display_name = b.display_name.or(a.display_name.take()),
    )
}

/// A token endpoint error as a cause, not raw JSON: the AADSTS code of
/// Microsoft's error body mapped to what it means.
fn token_error(reply: &Reply) -> String {
    let v: Value = serde_json::from_str(&reply.body).unwrap_or_default();
    let code = v["error_codes"][0].as_u64().or_else(|| {
        let d = v["error_description"].as_str()?;
        d.strip_prefix("AADSTS")?
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    });
    let cause = match code {
        Some(7_000_215) => "the client secret is invalid",
        Some(7_000_222) => "the client secret has expired",
        Some(700_016) => "the application (client id) was not found in the tenant",
        Some(90_002) => "the tenant was not found",
        Some(900_023) => "the tenant id is not valid",
        Some(65_001) | Some(500_011) => "admin consent has not been granted to the application",
        Some(7_000_112) => "the application is disabled",
        _ => "",
    };
    let error = v["error"].as_str().unwrap_or("");
    match (cause, code) {
        ("", Some(c)) => format!(
            "the sign-in was refused: {error} (AADSTS{c}, HTTP {})",
            reply.status
        ),
        ("", None) => format!("the sign-in was refused (HTTP {})", reply.status),
        (cause, Some(c)) => format!("{cause} (AADSTS{c})"),
        (cause, None) => cause.to_string(),
    }
}

fn state(r: Result<(), String>) -> ConnectionState {
    match r {
        Ok(()) => ConnectionState {
            ok: true,
            error: None,
        },
        Err(e) => ConnectionState {
            ok: false,
            error: Some(e),
        },
    }
}

/// A connection failure is a report; only an interruption stops the check.
fn verdict(r: Result<(), SourceError>) -> Result<Result<(), String>, SourceError> {
    match r {
        Ok(()) => Ok(Ok(())),
        Err(SourceError::Interrupted) => Err(SourceError::Interrupted),
        Err(SourceError::Failed(m)) => Ok(Err(m)),
    }
}

impl GraphSource {
    fn check_office365(&self, cancel: &Cancel) -> Result<(), SourceError> {
        let token = self.token(GRAPH_SCOPE, "Microsoft Graph", cancel)?;
        let reply = self.get(
            "Microsoft Graph",
            &format!("{}/v1.0/organization", graph_url()),
            &token,
            cancel,
        )?;
        if reply.ok() {
            Ok(())
        } else {
            Err(SourceError::Failed(format!(
                "Microsoft Graph /organization: {}",
                reply.error_text()
            )))
        }
    }

    fn check_azure(&self, cancel: &Cancel) -> Result<(), SourceError> {
        let token = self.token(ARM_SCOPE, "Azure Resource Manager", cancel)?;
        let service = "Azure Resource Manager";
        match &self.creds.subscription_id {
            Some(sub) => {
                let url = format!("{}/subscriptions/{sub}?api-version=2022-12-01", arm_url());
                let reply = self.get(service, &url, &token, cancel)?;
                let fail =
                    |why: String| Err(SourceError::Failed(format!("subscription {sub}: {why}")));
                match reply.status {
                    200 => {
                        let v: Value = serde_json::from_str(&reply.body).unwrap_or_default();
                        match v["state"].as_str() {
                            Some("Enabled") => Ok(()),
                            Some(other) => fail(format!("is {other}, not Enabled")),
                            None => fail("the answer gives no state".to_string()),
                        }
                    }
                    404 => fail("not found".to_string()),
                    401 | 403 => fail(format!(
                        "no access; grant the app Reader on it ({})",
                        reply.error_text()
                    )),
                    _ => fail(reply.error_text()),
                }
            }
            None => {
                let url = format!("{}/subscriptions?api-version=2022-12-01", arm_url());
                let reply = self.get(service, &url, &token, cancel)?;
                if !reply.ok() {
                    return Err(SourceError::Failed(format!(
                        "{service}: {}",
                        reply.error_text()
                    )));
                }
                let v: Value = serde_json::from_str(&reply.body).unwrap_or_default();
                if v["value"].as_array().is_some_and(|a| !a.is_empty()) {
                    Ok(())
                } else {
                    Err(SourceError::Failed(
                        "the app sees no subscription; grant it Reader on one".to_string(),
                    ))
                }
            }
        }
    }
}

impl TenantSource for GraphSource {
    fn read_directory(
        &self,
        cursor: Option<&str>,
        cancel: &Cancel,
    ) -> Result<DirectoryRead, SourceError> {
        let token = self.token(GRAPH_SCOPE, "Microsoft Graph", cancel)?;
        let Some(cursor) = cursor.and_then(|c| serde_json::from_str::<Cursor>(c).ok()) else {
            return self.full_sync(&token, cancel);
        };
        let delta = (|| {
            let users = self.delta_pages("users", &cursor.users, &token, cancel)?;
            let groups = self.delta_pages("groups", &cursor.groups, &token, cancel)?;
            Ok::<_, PageError>((users, groups))
        })();
        match delta {
            Ok((users, groups)) => {
                let next = Cursor {
                    users: users.delta_link,
                    groups: groups.delta_link,
                };
                let (users, removed_users) = split_users(users.items);
                let (groups, removed_groups) = split_groups(groups.items);
                Ok(DirectoryRead {
                    sync: DirectorySync::Delta {
                        users,
                        groups,
                        removed_users,
                        removed_groups,
                    },
                    cursor: serde_json::to_string(&next).ok(),
                })
            }
            Err(PageError::Resync) => self.full_sync(&token, cancel),
            Err(PageError::Source(e)) => Err(e),
        }
    }

    fn check_connections(&self, cancel: &Cancel) -> Result<ConnectionReport, SourceError> {
        let office365 = verdict(self.check_office365(cancel))?;
        let azure = verdict(self.check_azure(cancel))?;
        Ok(ConnectionReport {
            azure: state(azure),
            office365: state(office365),
        })
    }

    fn probe_directory(&self, cancel: &Cancel) -> Result<(), SourceError> {
        let token = self.token(GRAPH_SCOPE, "Microsoft Graph", cancel)?;
        let url = format!("{}/v1.0/users?$top=1&$select=id", graph_url());
        let reply = self.get("Microsoft Graph users", &url, &token, cancel)?;
        if reply.ok() {
            Ok(())
        } else {
            Err(SourceError::Failed(format!(
                "Microsoft Graph users: {}",
                reply.error_text()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            body: body.to_string(),
        }
    }

    #[test]
    fn token_errors_name_their_cause() {
        let body = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Trace ID: x","error_codes":[7000215]}"#;
        assert_eq!(
            token_error(&reply(401, body)),
            "the client secret is invalid (AADSTS7000215)"
        );
        let body = r#"{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found."}"#;
        assert_eq!(
            token_error(&reply(400, body)),
            "the tenant was not found (AADSTS90002)"
        );
        let body = r#"{"error":"invalid_grant","error_codes":[12345]}"#;
        assert!(token_error(&reply(400, body)).contains("AADSTS12345"));
        assert_eq!(
            token_error(&reply(502, "<html>")),
            "the sign-in was refused (HTTP 502)"
        );
    }

    #[test]
    fn removed_entries_are_told_apart() {
        let items = vec![
            serde_json::json!({"id": "u1", "displayName": "Ada", "accountEnabled": true}),
            serde_json::json!({"id": "u2", "@removed": {"reason": "deleted"}}),
            serde_json::json!({"displayName": "no id"}),
        ];
        let (users, removed) = split_users(items);
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].enabled, Some(true));
        assert_eq!(users[0].upn, None);
        assert_eq!(removed, ["u2"]);
    }

    #[test]
    fn delta_entries_apply_in_order_and_the_last_word_wins() {
        let items = vec![
            serde_json::json!({"id": "u1", "@removed": {"reason": "deleted"}}),
            serde_json::json!({"id": "u2", "displayName": "Bo", "accountEnabled": true}),
            serde_json::json!({"id": "u1", "displayName": "Ada restored"}),
            serde_json::json!({"id": "u2", "@removed": {"reason": "deleted"}}),
            serde_json::json!({"id": "u3", "displayName": "Cy"}),
            serde_json::json!({"id": "u3", "accountEnabled": false}),
        ];
        let (users, removed) = split_users(items);
        let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["u1", "u3"], "u1 restored, u2 removed last");
        assert_eq!(removed, ["u2"]);
        assert_eq!(users[0].display_name.as_deref(), Some("Ada restored"));
        assert_eq!(users[1].display_name.as_deref(), Some("Cy"), "merged");
        assert_eq!(users[1].enabled, Some(false));
    }
}
