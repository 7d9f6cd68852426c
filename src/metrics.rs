//! The audit service's `/metrics`: Prometheus' text format (0.0.4, by the
//! `prometheus` crate) over a small HTTP server (`tiny_http`) bound to the
//! one address given. Anything but `GET /metrics` is 404.

use crate::domain::task::{TaskKind, TaskStatus};
use crate::domain::word::Word;
use anyhow::{Result, anyhow};
use chrono::{DateTime, Utc};
use prometheus::{Encoder, Gauge, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// What a worker tells Prometheus.
pub struct Metrics {
    registry: Registry,
    finished: IntCounterVec,
    pending: IntGauge,
    last_audit_age: Gauge,
    up: IntGauge,
    last_audit: Mutex<Option<DateTime<Utc>>>,
    clock: crate::clock::Clock,
}

impl Metrics {
    pub fn new(clock: crate::clock::Clock) -> Result<Metrics> {
        let registry = Registry::new();
        let finished = IntCounterVec::new(
            Opts::new(
                "nfa_tasks_finished_total",
                "Tasks this worker finished, by kind and status",
            ),
            &["kind", "status"],
        )?;
        let pending = IntGauge::new("nfa_tasks_pending", "Tasks PENDING in the database")?;
        let last_audit_age = Gauge::new(
            "nfa_last_audit_age_seconds",
            "Seconds since the newest audit of any account (NaN: none yet)",
        )?;
        let up = IntGauge::new("nfa_worker_up", "1 while this worker runs")?;
        registry.register(Box::new(finished.clone()))?;
        registry.register(Box::new(pending.clone()))?;
        registry.register(Box::new(last_audit_age.clone()))?;
        registry.register(Box::new(up.clone()))?;
        up.set(1);
        last_audit_age.set(f64::NAN);
        Ok(Metrics {
            registry,
            finished,
            pending,
            last_audit_age,
            up,
            last_audit: Mutex::new(None),
            clock,
        })
    }

    pub fn task_finished(&self, kind: TaskKind, status: TaskStatus) {
        self.finished
            .with_label_values(&[kind.as_str(), status.as_str()])
            .inc();
    }

    pub fn set_pending(&self, n: u64) {
        self.pending.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub fn set_last_audit(&self, at: Option<DateTime<Utc>>) {
        *self.last_audit.lock().expect("lock") = at;
    }

    pub fn set_down(&self) {
        self.up.set(0);
    }

    /// The exposition, as of now.
    pub fn text(&self) -> Result<String> {
        let age = match *self.last_audit.lock().expect("lock") {
            Some(at) => (self.clock.now() - at).num_milliseconds() as f64 / 1000.0,
            None => f64::NAN,
        };
        self.last_audit_age.set(age);
        let mut out = vec![];
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        Ok(String::from_utf8(out)?)
    }
}

/// Serves `metrics` on `addr` from a thread of its own, for as long as the
/// process runs. An address that cannot be bound is an error naming it.
pub fn serve(addr: SocketAddr, metrics: Arc<Metrics>) -> Result<()> {
    let server = tiny_http::Server::http(addr).map_err(|e| {
        anyhow!("cannot serve metrics on {addr}: {e} (give a free address, such as 127.0.0.1:9464)")
    })?;
    std::thread::Builder::new()
        .name("nfa metrics".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                let found = *request.method() == tiny_http::Method::Get
                    && request.url().split('?').next() == Some("/metrics");
                let _ = match (found, metrics.text()) {
                    (true, Ok(text)) => request.respond(
                        tiny_http::Response::from_string(text).with_header(
                            tiny_http::Header::from_bytes(
                                &b"Content-Type"[..],
                                prometheus::TEXT_FORMAT.as_bytes(),
                            )
                            .expect("a valid header"),
                        ),
                    ),
                    (true, Err(e)) => request.respond(
                        tiny_http::Response::from_string(format!("{e:#}\n")).with_status_code(500),
                    ),
                    (false, _) => request.respond(
                        tiny_http::Response::from_string(
                            "not found: only GET /metrics is served\n",
                        )
                        .with_status_code(404),
                    ),
                };
            }
        })?;
    Ok(())
}
