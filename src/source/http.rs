//! HTTP for the live source: one blocking client with connect and read
//! timeouts, and retries with backoff on 429, 5xx and transport failures,
//! honouring `Retry-After`, bounded in count and in total time.

use super::SourceError;
use crate::process::Cancel;
use std::time::{Duration, Instant};
use ureq::Agent;
use ureq::http::Response;

/// How many times one request is sent at most.
const MAX_ATTEMPTS: u32 = 5;
/// How long one request may keep retrying, waits included.
const MAX_TOTAL: Duration = Duration::from_secs(60);
/// The first wait when the service gives no `Retry-After`; doubled each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// A response as the source reads it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The message of a Graph / ARM error body (`{"error": {"code",
    /// "message"}}`), else the status.
    pub fn error_text(&self) -> String {
        let v: serde_json::Value = serde_json::from_str(&self.body).unwrap_or_default();
        let code = v["error"]["code"].as_str();
        let msg = v["error"]["message"].as_str();
        match (code, msg) {
            (Some(c), Some(m)) => format!("HTTP {} {c}: {m}", self.status),
            (Some(c), None) => format!("HTTP {} {c}", self.status),
            _ => format!("HTTP {}", self.status),
        }
    }
}

pub struct Http {
    agent: Agent,
}

impl Http {
    pub fn new() -> Http {
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(60)))
            .user_agent(concat!("nfa/", env!("CARGO_PKG_VERSION")))
            .build();
        Http {
            agent: config.into(),
        }
    }

    /// Sends the request `send` builds (again on each attempt) and returns
    /// the first answer that is neither 429 nor 5xx; `service` names the
    /// service in errors. The body is read in full.
    pub fn send(
        &self,
        service: &str,
        cancel: &Cancel,
        send: impl Fn(&Agent) -> Result<Response<ureq::Body>, ureq::Error>,
    ) -> Result<Reply, SourceError> {
        let start = Instant::now();
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=MAX_ATTEMPTS {
            if cancel.is_cancelled() {
                return Err(SourceError::Interrupted);
            }
            let (why, retry_after) = match send(&self.agent) {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let body = resp.body_mut().read_to_string().map_err(|e| {
                        SourceError::Failed(format!("{service}: cannot read the answer: {e}"))
                    })?;
                    let reply = Reply { status, body };
                    if status != 429 && status < 500 {
                        return Ok(reply);
                    }
                    (reply.error_text(), retry_after)
                }
                Err(e) => (format!("cannot reach it ({e})"), None),
            };
            if attempt == MAX_ATTEMPTS {
                return Err(SourceError::Failed(format!(
                    "{service}: {why}, still after {MAX_ATTEMPTS} attempts in {}s",
                    start.elapsed().as_secs()
                )));
            }
            let wait = retry_after.unwrap_or(backoff);
            let left = MAX_TOTAL.saturating_sub(start.elapsed());
            if wait > left {
                return Err(SourceError::Failed(format!(
                    "{service}: {why}; gave up after {attempt} attempts: the next try would pass the {}s bound",
                    MAX_TOTAL.as_secs()
                )));
            }
            if !cancel.sleep(wait) {
                return Err(SourceError::Interrupted);
            }
            backoff = backoff.saturating_mul(2);
        }
        unreachable!("the last attempt returns")
    }
}
