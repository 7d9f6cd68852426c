//! Signing in: the OAuth 2.0 client-credentials flow of the Microsoft
//! identity platform, with a client secret or a certificate (a client
//! assertion, [`super::assertion`]); tokens reused within a process for
//! their lifetime; refusals read as causes (AADSTS codes), never as raw
//! JSON; and the application permissions a token carries (its `roles`
//! claim), to name the one a refused request lacked.

use super::GraphSource;
use super::assertion::Signer;
use crate::domain::account::AppCredential;
use crate::process::Cancel;
use crate::secret::{ExposeSecret, Secret};
use crate::source::SourceError;
use crate::source::endpoints::login_url;
use crate::source::http::Reply;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// An access token and the application permissions it carries (`None`:
/// the token cannot be read, so nothing is known of them).
#[derive(Clone)]
pub(super) struct Token {
    pub secret: Secret,
    pub roles: Option<Vec<String>>,
    /// The tenant id (`tid`) the token was issued in.
    pub tid: Option<String>,
}

impl Token {
    /// Whether the token is known to lack every permission that gives
    /// `needed` (a `.ReadWrite.` or `Directory.` one does too).
    pub fn lacks(&self, needed: &str) -> bool {
        self.roles
            .as_ref()
            .is_some_and(|roles| crate::domain::tenant::permission_missing(needed, roles))
    }
}

/// The `roles` and `tid` claims of a JWT access token: its payload is read, never
/// verified (the token is the service's to check; nfa only reads what was
/// granted, to explain a refusal).
fn claims_of(token: &str) -> Option<(Vec<String>, Option<String>)> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    #[derive(Deserialize)]
    struct Claims {
        #[serde(default)]
        roles: Vec<String>,
        #[serde(default)]
        tid: Option<String>,
    }
    serde_json::from_slice::<Claims>(&bytes)
        .ok()
        .map(|c| (c.roles, c.tid))
}

/// Tokens of this process by tenant, app and resource, with the time they
/// stop being reused (their lifetime less a minute). Each key has a slot
/// of its own, locked while its token is fetched: jobs that need the same
/// token at once wait for the one request in flight instead of each
/// sending their own.
type Slot = Arc<Mutex<Option<(Token, Instant)>>>;
type TokenCache = Mutex<HashMap<(String, String, &'static str), Slot>>;

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
    /// A token of the app for `scope` in the tenant signed in to.
    pub(super) fn token(
        &self,
        scope: &'static str,
        service: &str,
        cancel: &Cancel,
    ) -> Result<Token, SourceError> {
        self.token_at(&self.tenant, scope, service, cancel)
    }

    /// A token of the app for `scope` ("Microsoft Graph" or "Azure
    /// Resource Manager" in errors) in `tenant`, from the cache or the
    /// token endpoint.
    pub(super) fn token_at(
        &self,
        tenant: &str,
        scope: &'static str,
        service: &str,
        cancel: &Cancel,
    ) -> Result<Token, SourceError> {
        let key = (tenant.to_string(), self.app.client_id.clone(), scope);
        let slot: Slot = token_cache()
            .lock()
            .map_err(|_| SourceError::Failed("the token cache is poisoned".into()))?
            .entry(key)
            .or_default()
            .clone();
        let mut slot = slot
            .lock()
            .map_err(|_| SourceError::Failed("the token cache is poisoned".into()))?;
        if let Some((t, until)) = slot.as_ref()
            && Instant::now() < *until
        {
            return Ok(t.clone());
        }
        let url = format!("{}/{tenant}/oauth2/v2.0/token", login_url());
        let client_id = self.app.client_id.as_str();
        let reply = match &self.app.credential {
            AppCredential::Secret(r) => {
                let secret = crate::secret::read(r).map_err(SourceError::Failed)?;
                self.http
                    .send(&format!("{service} token"), cancel, |agent| {
                        agent.post(&url).send_form([
                            ("client_id", client_id),
                            ("client_secret", secret.expose_secret()),
                            ("scope", scope),
                            ("grant_type", "client_credentials"),
                        ])
                    })?
            }
            AppCredential::Certificate { cert, key } => {
                let signer = Signer::load(cert, key.as_deref(), std::time::SystemTime::now())
                    .map_err(|e| SourceError::Failed(e.to_string()))?;
                let first = signer
                    .assertion(client_id, &url, std::time::SystemTime::now())
                    .map_err(SourceError::Failed)?;
                self.http
                    .send(&format!("{service} token"), cancel, |agent| {
                        // A fresh assertion (a new jti) for every attempt; the
                        // first one if signing again fails.
                        let assertion = signer
                            .assertion(client_id, &url, std::time::SystemTime::now())
                            .unwrap_or_else(|_| first.clone());
                        agent.post(&url).send_form([
                            ("client_id", client_id),
                            (
                                "client_assertion_type",
                                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                            ),
                            ("client_assertion", assertion.expose_secret()),
                            ("scope", scope),
                            ("grant_type", "client_credentials"),
                        ])
                    })?
            }
        };
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
        let claims = claims_of(&token);
        let token = Token {
            roles: claims.as_ref().map(|c| c.0.clone()),
            tid: claims.and_then(|c| c.1),
            secret: Secret::from(token),
        };
        let until = Instant::now() + lifetime.saturating_sub(Duration::from_secs(60));
        *slot = Some((token.clone(), until));
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
        Some(700_027) => {
            "the client assertion's signature is not valid for the app: upload this certificate to the app registration (Certificates & secrets)"
        }
        Some(700_024) => {
            "the client assertion is outside its valid time range: check this machine's clock"
        }
        Some(700_021) => "the client assertion was not made for this client id",
        Some(700_023) => "the client assertion's audience is not this tenant's token endpoint",
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
