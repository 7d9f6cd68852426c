//! HTTP for the live source: one blocking client with connect and read
//! timeouts, and retries with backoff on 429, 5xx and transport failures,
//! honouring `Retry-After`, bounded in count and in total time.

use super::SourceError;
use crate::process::Cancel;
use std::time::{Duration, Instant};
use ureq::Agent;
use ureq::http::Response;

/// How many times one request is sent at most.
pub const MAX_ATTEMPTS: u32 = 5;
/// How long one request may keep retrying, waits included.
pub const MAX_TOTAL: Duration = Duration::from_secs(60);
/// The first wait when the service gives no `Retry-After`; doubled each time.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// A response as the source reads it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// A reply with the wait its `Retry-After` asked for.
pub struct Answer {
    pub reply: Reply,
    pub retry_after: Option<Duration>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The message of a Graph / ARM error body (`{"error": {"code",
    /// "message"}}`), else the status.
    pub fn error_text(&self) -> String {
        let e = self.error_body();
        match (e.code, e.message) {
            (Some(c), Some(m)) => format!("HTTP {} {c}: {m}", self.status),
            (Some(c), None) => format!("HTTP {} {c}", self.status),
            _ => format!("HTTP {}", self.status),
        }
    }

    /// The `code` of a Graph / ARM error body.
    pub fn error_code(&self) -> Option<String> {
        self.error_body().code
    }

    fn error_body(&self) -> ErrorDetail {
        serde_json::from_str::<ErrorBody>(&self.body)
            .map(|b| b.error)
            .unwrap_or_default()
    }
}

/// The error body of Graph and ARM.
#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: ErrorDetail,
}

#[derive(serde::Deserialize, Default)]
struct ErrorDetail {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The wait a `Retry-After` header asks for: seconds, possibly fractional
/// (Graph's own sample sends `2.128`), or an HTTP-date (a date in the past
/// means no wait). `None` for anything else.
pub fn retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at: std::time::SystemTime = chrono::DateTime::parse_from_rfc2822(value).ok()?.into();
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[derive(Clone)]
pub struct Http {
    agent: Agent,
}

/// Idle connections kept per host.
const MAX_IDLE_PER_HOST: usize = 128;

/// The one agent of this process: its connection pool is shared by every
/// task and job of a run, so each host is connected to once (in production
/// one TCP and TLS handshake per host, not one per task).
fn shared_agent() -> Agent {
    static AGENT: std::sync::OnceLock<Agent> = std::sync::OnceLock::new();
    AGENT
        .get_or_init(|| {
            Agent::config_builder()
                .http_status_as_error(false)
                .timeout_connect(Some(Duration::from_secs(10)))
                .timeout_global(Some(Duration::from_secs(60)))
                // Room to keep every job's connections (a refresh holds two
                // to the sign-in host at once): ureq's default of 3 per
                // host closed and opened them again at --jobs 32.
                .max_idle_connections_per_host(MAX_IDLE_PER_HOST)
                .max_idle_connections(4 * MAX_IDLE_PER_HOST)
                .user_agent(concat!("nfa/", env!("CARGO_PKG_VERSION")))
                .build()
                .into()
        })
        .clone()
}

impl Http {
    /// A handle on the process's agent (a clone shares its pool).
    pub fn new() -> Http {
        Http {
            agent: shared_agent(),
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
        self.send_after(None, service, cancel, send)
    }

    /// [`Http::send`], with `first` (an answer had already, a batch item's:
    /// the reply and its `Retry-After`) taken as its first attempt: kept if
    /// it is an answer, else waited after and asked again as any other.
    pub fn send_after(
        &self,
        mut first: Option<Answer>,
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
            let got = match first.take() {
                Some(answer) => Ok(answer),
                None => match send(&self.agent) {
                    Ok(mut resp) => {
                        let status = resp.status().as_u16();
                        let retry_after = resp
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| retry_after(v, std::time::SystemTime::now()));
                        let body = resp.body_mut().read_to_string().map_err(|e| {
                            SourceError::Failed(format!("{service}: cannot read the answer: {e}"))
                        })?;
                        Ok(Answer {
                            reply: Reply { status, body },
                            retry_after,
                        })
                    }
                    Err(e) => Err(format!("cannot reach it ({e})")),
                },
            };
            let (why, retry_after) = match got {
                Ok(answer) if answer.reply.status != 429 && answer.reply.status < 500 => {
                    return Ok(answer.reply);
                }
                Ok(answer) => (answer.reply.error_text(), answer.retry_after),
                Err(why) => (why, None),
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

#[cfg(test)]
mod tests {
    use super::retry_after;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    #[test]
    fn retry_after_reads_seconds_fractions_and_http_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480); // 2015-10-21T07:28:00Z
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after(" 2.128 ", now),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past: no wait"
        );
        assert_eq!(retry_after("-1", now), None);
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("NaN", now), None);
        assert!(retry_after("1", SystemTime::now()).is_some());
    }
}
