//! The wire to a PostgreSQL server, with every wait bounded: the client
//! (`tokio-postgres`) driven on a runtime of this connection's own, so that
//! each wait for the server — connecting, signing in, a statement, a row, a
//! notification — is given up after a limit instead of hanging, and Ctrl-C
//! ends it at once (the server is asked to cancel the statement, so a lock
//! wait ends there too).
//!
//! - Connecting and signing in: the URL's `connect_timeout` (default 10 s),
//!   the whole startup included (a server that accepts TCP and never
//!   answers is given up, not waited for).
//! - An answer: [`answer_limit`] (`NFA_PG_TIMEOUT`, default 60 s, and at
//!   least the lock wait and 2 s more); past it the connection is taken
//!   for lost ("no answer for 60 s") and never used again.
//! - TCP keepalives (idle 10 s, every 5 s, 3 probes) and `TCP_USER_TIMEOUT`
//!   (30 s) find a path that went silent below the client too.
//! - After Ctrl-C a new wait gets at most [`AFTER_INTERRUPT`] (to record
//!   what the interruption ended), and a wait under way ends at once.

use anyhow::Result;
use futures_util::Stream;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio_postgres::{AsyncMessage, Client, Notification};

/// How long a wait may still take once Ctrl-C was pressed.
pub const AFTER_INTERRUPT: Duration = Duration::from_secs(1);
/// How long nfa waits for an answer unless `NFA_PG_TIMEOUT` says otherwise.
const ANSWER: Duration = Duration::from_secs(60);
/// How often a wait looks whether Ctrl-C was pressed.
const INTERRUPT_STEP: Duration = Duration::from_millis(50);

/// The longest wait for the server's answer to one request:
/// `NFA_PG_TIMEOUT` (a duration; default 60 s), and never less than the
/// lock wait (`NFA_LOCK_TIMEOUT`) and 2 s more, so that a statement that
/// waits for a lock is not taken for a lost connection.
pub fn answer_limit() -> Result<Duration> {
    static LIMIT: super::EnvSpan = std::sync::OnceLock::new();
    let limit = super::env_span(&LIMIT, "NFA_PG_TIMEOUT", ANSWER)?;
    Ok(limit.max(super::lock_timeout()? + Duration::from_secs(2)))
}

/// A wait that did not end with the server's answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WaitError {
    /// The server said nothing for the whole limit: the connection is
    /// taken for lost.
    #[error("no answer from PostgreSQL for {0}s")]
    Silent(u64),
    /// Ctrl-C (the server was asked to cancel the statement).
    #[error("interrupted")]
    Interrupted,
    /// The server accepted the connection but did not finish the startup
    /// (TLS, sign-in) within the connect timeout.
    #[error("PostgreSQL did not answer the connection within {0}s")]
    NoStartup(u64),
}

type Messages = Pin<Box<dyn Stream<Item = Result<AsyncMessage, tokio_postgres::Error>> + Send>>;

/// How a cancel request reaches the server (the connection's TLS).
#[derive(Clone)]
pub enum CancelTls {
    Plain,
    Rustls(tokio_postgres_rustls::MakeRustlsConnect),
}

/// One connection to the server.
pub struct Wire {
    rt: tokio::runtime::Runtime,
    pub client: Client,
    messages: RefCell<Messages>,
    notifications: RefCell<VecDeque<Notification>>,
    /// Why the connection is taken for lost (a silent wait), once it is.
    lost: Cell<Option<u64>>,
    answer: Duration,
    cancel: CancelTls,
}

impl Wire {
    /// Connects with `config` and `tls`, the startup bounded by the
    /// config's connect timeout.
    pub fn connect<T>(config: &tokio_postgres::Config, tls: T, cancel: CancelTls) -> Result<Wire>
    where
        T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket> + 'static,
        T::Stream: Send + 'static,
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let limit = config
            .get_connect_timeout()
            .copied()
            .unwrap_or(Duration::from_secs(10));
        let connecting =
            rt.block_on(async { tokio::time::timeout(limit, config.connect(tls)).await });
        let (client, mut connection) = match connecting {
            Ok(done) => done?,
            Err(_) => return Err(WaitError::NoStartup(limit.as_secs()).into()),
        };
        let messages: Messages = Box::pin(futures_util::stream::poll_fn(move |cx| {
            connection.poll_message(cx)
        }));
        Ok(Wire {
            rt,
            client,
            messages: RefCell::new(messages),
            notifications: RefCell::new(VecDeque::new()),
            lost: Cell::new(None),
            answer: answer_limit()?,
            cancel,
        })
    }

    /// Whether the connection is gone: the server ended it, or a wait
    /// found it silent.
    pub fn is_closed(&self) -> bool {
        self.lost.get().is_some() || self.client.is_closed()
    }

    /// Waits for `request`'s answer, driving the connection meanwhile.
    pub fn wait<T>(
        &self,
        request: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T> {
        let mut request = std::pin::pin!(request);
        self.drive(self.limit(), |cx, _| request.as_mut().poll(cx))?
            .map_err(Into::into)
    }

    /// Waits up to `step` for a notification (LISTEN); whether one came.
    /// Every notification that came meanwhile is taken.
    pub fn wait_for_notification(&self, step: Duration) -> Result<bool> {
        // (A timer is made inside its runtime.)
        let mut sleep = {
            let _inside = self.rt.enter();
            std::pin::pin!(tokio::time::sleep(step))
        };
        let came = self.drive(step + self.limit(), |cx, notes| {
            if !notes.is_empty() {
                notes.clear();
                return Poll::Ready(true);
            }
            sleep.as_mut().poll(cx).map(|()| false)
        });
        match came {
            // Ctrl-C while listening is the caller's to see (a follower
            // ends with 130), not a failed wait.
            Err(e) if matches!(e.downcast_ref(), Some(WaitError::Interrupted)) => Ok(false),
            other => other,
        }
    }

    /// The limit of a wait starting now.
    fn limit(&self) -> Duration {
        if crate::process::interrupted() {
            AFTER_INTERRUPT.min(self.answer)
        } else {
            self.answer
        }
    }

    /// Polls `until` while the connection's messages are read, until it is
    /// ready, the connection fails, `limit` passes or Ctrl-C comes.
    fn drive<R>(
        &self,
        limit: Duration,
        mut until: impl FnMut(&mut Context<'_>, &mut VecDeque<Notification>) -> Poll<R>,
    ) -> Result<R> {
        if let Some(secs) = self.lost.get() {
            // Said as the wait that found it so.
            return Err(WaitError::Silent(secs).into());
        }
        let late = crate::process::interrupted();
        enum End<R> {
            Ready(R),
            Failed(tokio_postgres::Error),
            Silent,
            Interrupted,
        }
        let end = self.rt.block_on(async {
            // Made at the first Pending only: most waits (a row already
            // received) are ready at once and need no timer.
            let mut deadline: Option<Pin<Box<tokio::time::Sleep>>> = None;
            let mut tick: Option<tokio::time::Interval> = None;
            std::future::poll_fn(|cx| {
                let mut messages = self.messages.borrow_mut();
                let mut notes = self.notifications.borrow_mut();
                loop {
                    match messages.as_mut().poll_next(cx) {
                        Poll::Ready(Some(Ok(AsyncMessage::Notification(n)))) => notes.push_back(n),
                        Poll::Ready(Some(Ok(_))) => {}
                        // The request fails with the connection's error.
                        Poll::Ready(Some(Err(e))) => return Poll::Ready(End::Failed(e)),
                        Poll::Ready(None) | Poll::Pending => break,
                    }
                }
                if let Poll::Ready(r) = until(cx, &mut notes) {
                    return Poll::Ready(End::Ready(r));
                }
                let deadline = deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if deadline.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(End::Silent);
                }
                if !late {
                    let tick = tick.get_or_insert_with(|| tokio::time::interval(INTERRUPT_STEP));
                    while tick.poll_tick(cx).is_ready() {
                        if crate::process::interrupted() {
                            return Poll::Ready(End::Interrupted);
                        }
                    }
                }
                Poll::Pending
            })
            .await
        });
        match end {
            End::Ready(r) => Ok(r),
            End::Failed(e) => Err(e.into()),
            End::Silent => {
                self.lost.set(Some(limit.as_secs()));
                Err(WaitError::Silent(limit.as_secs()).into())
            }
            End::Interrupted => {
                self.cancel_statement();
                Err(WaitError::Interrupted.into())
            }
        }
    }

    /// Asks the server to cancel the statement under way (a lock wait
    /// ends there), waiting at most a second for it to be sent.
    fn cancel_statement(&self) {
        let token = self.client.cancel_token();
        let cancel = async {
            match &self.cancel {
                CancelTls::Plain => token.cancel_query(tokio_postgres::NoTls).await,
                CancelTls::Rustls(tls) => token.cancel_query(tls.clone()).await,
            }
        };
        let _ = self
            .rt
            .block_on(async { tokio::time::timeout(AFTER_INTERRUPT, cancel).await });
    }
}
