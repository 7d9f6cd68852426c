//! "Checking account status" against a live tenant: Microsoft 365 through
//! Graph's `/organization`, the Azure admin connection through Azure
//! Resource Manager (the account's subscription, or any the app can see).

use super::GraphSource;
use crate::process::Cancel;
use crate::source::SourceError;
use crate::source::endpoints::{ARM_SCOPE, GRAPH_SCOPE, arm_url, graph_url};
use crate::source::http::Answer;
use serde::Deserialize;

/// The Microsoft 365 check's read (after Graph's `/v1.0`).
pub(super) const ORGANIZATION: &str = "/organization?$select=id";

/// `GET /subscriptions/{id}`: its state.
#[derive(Deserialize, Default)]
struct Subscription {
    #[serde(default)]
    state: Option<String>,
}

/// `GET /subscriptions`: the ones the app sees.
#[derive(Deserialize, Default)]
struct Subscriptions {
    #[serde(default)]
    value: Vec<serde::de::IgnoredAny>,
}

impl GraphSource {
    /// `ahead`: `/organization`'s answer when it came in the directory
    /// read's batch (else it is asked for now; a throttled one is asked
    /// again after its `Retry-After`).
    pub(super) fn check_office365(
        &self,
        ahead: Option<Answer>,
        cancel: &Cancel,
    ) -> Result<(), SourceError> {
        let token = self.token(GRAPH_SCOPE, "Microsoft Graph", cancel)?;
        let reply = self.get_after(
            ahead,
            "Microsoft Graph",
            &format!("{}/v1.0{ORGANIZATION}", graph_url()),
            &token,
            cancel,
        )?;
        if reply.ok() {
            Ok(())
        } else {
            Err(self.refusal(
                "Microsoft Graph /organization",
                &reply,
                &token,
                "Organization.Read.All",
            ))
        }
    }

    pub(super) fn check_azure(&self, cancel: &Cancel) -> Result<(), SourceError> {
        let token = self.token(ARM_SCOPE, "Azure Resource Manager", cancel)?;
        let service = "Azure Resource Manager";
        match &self.subscription_id {
            Some(sub) => {
                let url = format!("{}/subscriptions/{sub}?api-version=2022-12-01", arm_url());
                let reply = self.get(service, &url, &token, cancel)?;
                let fail =
                    |why: String| Err(SourceError::Failed(format!("subscription {sub}: {why}")));
                match reply.status {
                    200 => {
                        let s: Subscription = serde_json::from_str(&reply.body).unwrap_or_default();
                        match s.state.as_deref() {
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
                let seen: Subscriptions = serde_json::from_str(&reply.body).unwrap_or_default();
                if seen.value.is_empty() {
                    Err(SourceError::Failed(
                        "the app sees no subscription; grant it Reader on one".to_string(),
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }
}
