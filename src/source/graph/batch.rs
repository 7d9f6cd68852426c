//! The directory's delta pages through Graph's JSON batching (`POST
//! /v1.0/$batch`): the users and groups runs travel in one request, each
//! answer's `@odata.nextLink` in the next one, until both runs end in their
//! `@odata.deltaLink`. A batch item answered 429 or 5xx is sent again in a
//! later batch after its own `Retry-After` (the others go on); an item that
//! fails otherwise fails the read with its own error.

use super::GraphSource;
use super::auth::Token;
use super::delta::{Entry, Page, PageError, Pages, resync_code};
use crate::process::Cancel;
use crate::secret::ExposeSecret;
use crate::source::SourceError;
use crate::source::endpoints::graph_url;
use crate::source::http::{Answer, FIRST_BACKOFF, MAX_ATTEMPTS, MAX_TOTAL, Reply, retry_after};
use serde::Deserialize;
use std::time::{Duration, Instant};

/// A bound on the pages of one run, against a service that never ends one.
const MAX_PAGES: usize = 100_000;

#[derive(Deserialize)]
struct BatchReply {
    #[serde(default)]
    responses: Vec<BatchItem>,
}

#[derive(Deserialize)]
struct BatchItem {
    #[serde(default)]
    id: String,
    #[serde(default)]
    status: u16,
    #[serde(default)]
    headers: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    body: serde_json::Value,
}

/// The wait a batch item's `Retry-After` header asks for.
fn item_retry_after(item: &BatchItem) -> Option<Duration> {
    item.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| Some(v.to_string()))
        })
        .and_then(|v| retry_after(&v, std::time::SystemTime::now()))
}

/// One run of delta pages read through batches.
struct Run<'a> {
    what: &'a str,
    /// The permission its reads need (named when Graph refuses one).
    needs: &'a str,
    /// The next page to ask for (relative to `/v1.0`); `None` once ended.
    next: Option<String>,
    page: usize,
    items: Vec<Entry>,
    delta_link: Option<String>,
    /// Attempts at the current page, and when it may be asked again.
    attempts: u32,
    backoff: Duration,
    not_before: Instant,
}

/// A page's URL relative to Graph's version (`/users/delta?…`), as a batch
/// item names it: an absolute link of Graph's is cut after `/v1.0`.
fn relative(url: &str) -> Result<String, SourceError> {
    if url.starts_with('/') {
        return Ok(url.to_string());
    }
    url.find("/v1.0/")
        .map(|at| url[at + "/v1.0".len()..].to_string())
        .ok_or_else(|| {
            SourceError::Failed(format!(
                "Microsoft Graph sent a link nfa cannot follow in a batch: {url}"
            ))
        })
}

impl GraphSource {
    /// Reads each run (`(what, permission, first URL)`) to its delta link,
    /// all runs in the same batches. `beside`: one more read (`(id, URL
    /// after /v1.0)`) carried in the first batch, for a check that follows;
    /// its answer is kept in `beside_answer` (a throttled one with its
    /// `Retry-After`: the check waits that long and asks again).
    pub(super) fn batch_pages(
        &self,
        runs: [(&str, &str, String); 2],
        mut beside: Option<(&str, &str)>,
        beside_answer: &mut Option<Answer>,
        token: &Token,
        cancel: &Cancel,
    ) -> Result<[Pages; 2], PageError> {
        let start = Instant::now();
        let mut ready = vec![];
        for (what, needs, url) in runs {
            ready.push(Run {
                what,
                needs,
                next: Some(relative(&url)?),
                page: 1,
                items: vec![],
                delta_link: None,
                attempts: 0,
                backoff: FIRST_BACKOFF,
                not_before: start,
            });
        }
        let url = format!("{}/v1.0/$batch", graph_url());
        loop {
            let pending: Vec<usize> = (0..ready.len())
                .filter(|i| ready[*i].next.is_some())
                .collect();
            if pending.is_empty() {
                break;
            }
            // Wait for the soonest item that may be asked again.
            let soonest = pending
                .iter()
                .map(|i| ready[*i].not_before)
                .min()
                .unwrap_or(start);
            let now = Instant::now();
            if soonest > now {
                if soonest.duration_since(start) > MAX_TOTAL {
                    let r = pending
                        .iter()
                        .map(|i| &ready[*i])
                        .find(|r| r.not_before == soonest);
                    let what = r.map_or("", |r| r.what);
                    return Err(SourceError::Failed(format!(
                        "Microsoft Graph {what}: throttled; gave up: the next try would pass the {}s bound",
                        MAX_TOTAL.as_secs()
                    ))
                    .into());
                }
                if !cancel.sleep(soonest - now) {
                    return Err(SourceError::Interrupted.into());
                }
            }
            let now = Instant::now();
            let asked: Vec<usize> = pending
                .into_iter()
                .filter(|i| ready[*i].not_before <= now)
                .collect();
            let mut requests: Vec<serde_json::Value> = asked
                .iter()
                .map(|i| {
                    serde_json::json!({
                        "id": ready[*i].what,
                        "method": "GET",
                        "url": ready[*i].next.as_deref().unwrap_or_default(),
                    })
                })
                .collect();
            let beside_id = beside.take().map(|(id, url)| {
                requests.push(serde_json::json!({ "id": id, "method": "GET", "url": url }));
                id
            });
            let body = serde_json::json!({ "requests": requests }).to_string();
            let reply = self.http.send("Microsoft Graph $batch", cancel, |agent| {
                agent
                    .post(&url)
                    .header(
                        "Authorization",
                        &format!("Bearer {}", token.secret.expose_secret()),
                    )
                    .header("Content-Type", "application/json")
                    .send(body.as_bytes())
            })?;
            if !reply.ok() {
                return Err(SourceError::Failed(format!(
                    "Microsoft Graph $batch: {}",
                    reply.error_text()
                ))
                .into());
            }
            let answer: BatchReply = serde_json::from_str(&reply.body).map_err(|e| {
                SourceError::Failed(format!(
                    "Microsoft Graph $batch: the answer is not a batch answer ({e})"
                ))
            })?;
            // The read beside first: a run's error below ends the loop.
            if let Some(item) =
                beside_id.and_then(|id| answer.responses.iter().find(|r| r.id == id))
            {
                *beside_answer = Some(Answer {
                    reply: Reply {
                        status: item.status,
                        body: item.body.to_string(),
                    },
                    retry_after: item_retry_after(item),
                });
            }
            for i in asked {
                let run = &mut ready[i];
                let item = answer
                    .responses
                    .iter()
                    .find(|r| r.id == run.what)
                    .ok_or_else(|| {
                        SourceError::Failed(format!(
                            "Microsoft Graph $batch: the answer has no item for {}",
                            run.what
                        ))
                    })?;
                self.take(run, item, token, start)?;
            }
        }
        let [users, groups]: [Run<'_>; 2] = ready
            .try_into()
            .map_err(|_| SourceError::Failed("a batch lost one of its runs".into()))?;
        Ok([users, groups].map(|r| Pages {
            items: r.items,
            delta_link: r.delta_link.unwrap_or_default(),
        }))
    }

    /// One batch item's answer to `run`.
    fn take(
        &self,
        run: &mut Run<'_>,
        item: &BatchItem,
        token: &Token,
        start: Instant,
    ) -> Result<(), PageError> {
        let service = format!("Microsoft Graph {}, page {}", run.what, run.page);
        let reply = Reply {
            status: item.status,
            body: item.body.to_string(),
        };
        if item.status == 410 || ((400..500).contains(&item.status) && resync_code(&reply)) {
            return Err(PageError::Resync);
        }
        if item.status == 429 || item.status >= 500 {
            run.attempts += 1;
            if run.attempts >= MAX_ATTEMPTS {
                return Err(SourceError::Failed(format!(
                    "{service}: {}, still after {MAX_ATTEMPTS} attempts in {}s",
                    reply.error_text(),
                    start.elapsed().as_secs()
                ))
                .into());
            }
            let asked = item_retry_after(item);
            run.not_before = Instant::now() + asked.unwrap_or(run.backoff);
            run.backoff = run.backoff.saturating_mul(2);
            return Ok(());
        }
        if !(200..300).contains(&item.status) {
            return Err(self.refusal(&service, &reply, token, run.needs).into());
        }
        let page: Page = serde_json::from_value(item.body.clone()).map_err(|e| {
            SourceError::Failed(format!("{service}: the answer is not a delta page ({e})"))
        })?;
        run.items.extend(page.value);
        run.attempts = 0;
        run.backoff = FIRST_BACKOFF;
        if let Some(next) = page.next_link {
            run.page += 1;
            if run.page > MAX_PAGES {
                return Err(SourceError::Failed(format!(
                    "Microsoft Graph {}: more than {MAX_PAGES} pages",
                    run.what
                ))
                .into());
            }
            run.next = Some(relative(&next)?);
        } else if let Some(link) = page.delta_link {
            run.delta_link = Some(link);
            run.next = None;
        } else {
            return Err(SourceError::Failed(format!(
                "{service}: the answer has neither @odata.nextLink nor @odata.deltaLink"
            ))
            .into());
        }
        Ok(())
    }
}
