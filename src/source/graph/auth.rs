//! Signing in: the OAuth 2.0 client-credentials flow of the Microsoft
//! identity platform, tokens reused within a process for their lifetime, and
//! refusals read as causes (AADSTS codes), never as raw JSON.

use super::GraphSource;
use crate::process::Cancel;
use crate::secret::{ExposeSecret, Secret};
use crate::source::SourceError;
use crate::source::endpoints::login_url;
use crate::source::http::Reply;
use serde::Deserialize;
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

/// The token endpoint's answer.
#[derive(Deserialize)]
struct TokenReply {
    #[serde(default)]
    access_token: Option<String>,
    /// Seconds: a number (the v2.0 endpoint) or a numeric string (the
    /// v1.0 endpoint's documented shape, `"3599"`).
    #[serde(default)]
    expires_in: Option<Seconds>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Seconds {
    Number(u64),
    Text(String),
}

impl Seconds {
    /// The number, if it is one (anything else counts as absent).
    fn get(&self) -> Option<u64> {
        match self {
            Seconds::Number(n) => Some(*n),
            Seconds::Text(t) => t.trim().parse().ok(),
        }
    }
}

/// The token endpoint's refusal.
#[derive(Deserialize, Default)]
struct TokenRefusal {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Vec<u64>,
}

impl GraphSource {
    /// A token for `scope` ("Microsoft Graph" or "Azure Resource Manager"
    /// in errors), from the cache or the token endpoint.
    pub(super) fn token(
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
        let answer: TokenReply = serde_json::from_str(&reply.body).unwrap_or(TokenReply {
            access_token: None,
            expires_in: None,
        });
        let token = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                SourceError::Failed(format!("{service} token: the answer holds no access_token"))
            })?;
        let lifetime = Duration::from_secs(
            answer
                .expires_in
                .as_ref()
                .and_then(Seconds::get)
                .unwrap_or(300),
        );
        let token = Secret::from(token);
        let until = Instant::now() + lifetime.saturating_sub(Duration::from_secs(60));
        if let Ok(mut cache) = token_cache().lock() {
            cache.insert(key, (token.clone(), until));
        }
        Ok(token)
    }
}

/// A token endpoint error as a cause, not raw JSON: the AADSTS code of
/// Microsoft's error body mapped to what it means.
pub(super) fn token_error(reply: &Reply) -> String {
    let refusal: TokenRefusal = serde_json::from_str(&reply.body).unwrap_or_default();
    let code = refusal.error_codes.first().copied().or_else(|| {
        let d = refusal.error_description.as_deref()?;
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
        Some(65_001 | 500_011) => "admin consent has not been granted to the application",
        Some(7_000_112) => "the application is disabled",
        _ => "",
    };
    let error = refusal.error.as_deref().unwrap_or("");
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
}
