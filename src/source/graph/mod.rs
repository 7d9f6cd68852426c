//! The live source: Microsoft Graph for the directory and Microsoft 365,
//! Azure Resource Manager for the Azure admin check, signed in with the
//! OAuth 2.0 client-credentials flow of the Microsoft identity platform.
//!
//! - [`auth`]: tokens (client credentials: a secret or a certificate), and
//!   sign-in refusals as causes;
//! - [`assertion`]: certificate credentials (the signed client assertion);
//! - [`delta`]: the directory through delta queries;
//! - [`arm`]: the connection checks;
//! - [`gdap`]: the partner tenant's GDAP relationships.
//!
//! An account signs in with its own app registration, or without one with
//! the partner app (`nfa partner set`) in the customer's tenant, and then
//! its check also reads the customer's GDAP relationships.
//!
//! The client secret and the certificate's key are read from where they
//! are when a token is needed, and neither they nor any token are ever
//! written anywhere: not to output, logs, task errors, the database, or
//! `Debug` output.

mod arm;
pub mod assertion;
mod auth;
mod batch;
mod delta;
mod gdap;

pub use gdap::relationships;

use super::http::{Answer, Http, Reply};
use super::{ConnectionReport, ConnectionState, DirectoryRead, SourceError, TenantSource};
use crate::domain::account::{AppCredential, Credentials, PartnerApp};
use crate::process::Cancel;
use crate::secret::ExposeSecret;
use crate::source::endpoints::{GRAPH_SCOPE, graph_url};
use auth::Token;

/// The app that signs in: a client id and its credential.
#[derive(Debug, Clone)]
struct App {
    client_id: String,
    credential: AppCredential,
}

#[derive(Clone)]
pub struct GraphSource {
    /// The tenant signed in to.
    tenant: String,
    app: App,
    /// The subscription "Checking account status" checks (an own app's).
    subscription_id: Option<String>,
    /// Signed in with the partner app: its tenant and app, for the GDAP
    /// relationships of this customer.
    partner: Option<PartnerApp>,
    http: Http,
    /// What the directory read fetched for the check that follows it.
    ahead: std::sync::Arc<std::sync::Mutex<Ahead>>,
}

/// The check's reads started before the check (when the runner says one
/// follows the directory read: [`TenantSource::prepare_check`]): the Azure
/// check runs from the start, its token asked for beside Graph's, and
/// `/organization` travels in the directory's first batch. Each is taken
/// once by the check; what is missing it asks for itself.
#[derive(Default)]
struct Ahead {
    check_follows: bool,
    organization: Option<Answer>,
    azure: Option<std::sync::mpsc::Receiver<Result<Result<(), String>, SourceError>>>,
}

impl GraphSource {
    /// A tenant signed in to with the account's own app.
    pub fn new(tenant: String, creds: Credentials) -> GraphSource {
        GraphSource {
            tenant,
            app: App {
                client_id: creds.client_id,
                credential: creds.credential,
            },
            subscription_id: creds.subscription_id,
            partner: None,
            http: Http::new(),
            ahead: Default::default(),
        }
    }

    /// A customer's tenant signed in to with the partner app.
    pub fn with_partner(tenant: String, partner: PartnerApp) -> GraphSource {
        GraphSource {
            tenant,
            app: App {
                client_id: partner.client_id.clone(),
                credential: partner.credential.clone(),
            },
            subscription_id: None,
            partner: Some(partner),
            http: Http::new(),
            ahead: Default::default(),
        }
    }

    /// GET with a bearer token.
    fn get(
        &self,
        service: &str,
        url: &str,
        token: &Token,
        cancel: &Cancel,
    ) -> Result<Reply, SourceError> {
        self.get_after(None, service, url, token, cancel)
    }

    /// [`GraphSource::get`], with an answer had already taken as its
    /// first attempt ([`Http::send_after`]).
    fn get_after(
        &self,
        first: Option<Answer>,
        service: &str,
        url: &str,
        token: &Token,
        cancel: &Cancel,
    ) -> Result<Reply, SourceError> {
        self.http.send_after(first, service, cancel, |agent| {
            agent
                .get(url)
                .header(
                    "Authorization",
                    &format!("Bearer {}", token.secret.expose_secret()),
                )
                .call()
        })
    }

    /// A refused request as a cause: the application permission it needed
    /// when the token shows the app lacks it, else the service's error.
    fn refusal(&self, service: &str, reply: &Reply, token: &Token, needed: &str) -> SourceError {
        let error = reply.error_text();
        if matches!(reply.status, 401 | 403) && token.lacks(needed) {
            SourceError::Failed(format!(
                "{service}: the app lacks the application permission {needed} in tenant {}: grant admin consent for it (Entra admin center, Enterprise applications, the app, Permissions) ({error})",
                self.tenant
            ))
        } else {
            SourceError::Failed(format!("{service}: {error}"))
        }
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

/// What the Microsoft 365 side of a check found: the connection, the GDAP
/// access (partner app), and why GDAP breaks the connection.
type Microsoft = (
    Result<(), String>,
    Option<crate::domain::gdap::Access>,
    Option<String>,
);

impl GraphSource {
    /// The Microsoft 365 connection and, for the partner app, the
    /// customer's GDAP relationships: none active, and Microsoft 365 is
    /// broken for it. A list that cannot be read is a broken connection too
    /// (with its cause), not a check that could not tell.
    fn check_microsoft(
        &self,
        organization: Option<Answer>,
        cancel: &Cancel,
    ) -> Result<Microsoft, SourceError> {
        let office365 = verdict(self.check_office365(organization, cancel))?;
        let (gdap, broken) = match &self.partner {
            None => (None, None),
            Some(p) => match self.access(p, cancel) {
                Ok(a) => {
                    let why = a.broken.clone();
                    (Some(a), why)
                }
                Err(SourceError::Interrupted) => return Err(SourceError::Interrupted),
                Err(SourceError::Failed(m)) => (None, Some(m)),
            },
        };
        Ok((office365, gdap, broken))
    }
}

impl TenantSource for GraphSource {
    fn read_directory(
        &self,
        cursor: Option<&str>,
        cancel: &Cancel,
    ) -> Result<DirectoryRead, SourceError> {
        let token = self.token(GRAPH_SCOPE, "Microsoft Graph", cancel)?;
        let check_follows = self.ahead.lock().is_ok_and(|a| a.check_follows);
        let beside = check_follows.then_some(("organization", arm::ORGANIZATION));
        let mut organization = None;
        let read = self.read_delta(cursor, (beside, &mut organization), &token, cancel);
        if let Ok(mut a) = self.ahead.lock() {
            a.organization = organization;
        }
        read
    }

    /// The check that follows starts now: the Azure check (its token asked
    /// for beside Graph's, on a second sign-in connection, then the ARM
    /// read while Graph answers the directory's batch), and `/organization`
    /// goes in that batch. So a refresh is two round trips one after the
    /// other: the tokens, then Graph's batch and ARM's read.
    fn prepare_check(&self, cancel: &Cancel) {
        let (tx, rx) = std::sync::mpsc::channel();
        let (me, cancel) = (self.clone(), cancel.clone());
        std::thread::spawn(move || {
            let _ = tx.send(verdict(me.check_azure(&cancel)));
        });
        if let Ok(mut a) = self.ahead.lock() {
            a.check_follows = true;
            a.azure = Some(rx);
        }
    }

    fn check_connections(&self, cancel: &Cancel) -> Result<ConnectionReport, SourceError> {
        let ahead = self
            .ahead
            .lock()
            .map(|mut a| std::mem::take(&mut *a))
            .unwrap_or_default();
        // Microsoft 365 (Graph, then the GDAP list) and Azure (ARM) at once:
        // their tokens and requests do not wait for each other.
        let panicked = || SourceError::Failed("the Azure check panicked".into());
        let (microsoft, azure) = std::thread::scope(|scope| match ahead.azure {
            Some(started) => {
                let microsoft = self.check_microsoft(ahead.organization, cancel);
                (microsoft, started.recv().map_err(|_| panicked()))
            }
            None => {
                let azure = scope.spawn(|| verdict(self.check_azure(cancel)));
                let microsoft = self.check_microsoft(ahead.organization, cancel);
                (microsoft, azure.join().map_err(|_| panicked()))
            }
        });
        let azure = azure??;
        let (office365, gdap, broken) = microsoft?;
        let office365 = match (broken, office365) {
            (Some(why), Ok(())) => Err(why),
            (Some(why), Err(e)) if why != e => Err(format!("{why}; {e}")),
            (_, r) => r,
        };
        Ok(ConnectionReport {
            azure: state(azure),
            office365: state(office365),
            gdap,
        })
    }

    fn probe_directory(&self, cancel: &Cancel) -> Result<(), SourceError> {
        let token = self.token(GRAPH_SCOPE, "Microsoft Graph", cancel)?;
        let url = format!("{}/v1.0/users?$top=1&$select=id", graph_url());
        let reply = self.get("Microsoft Graph users", &url, &token, cancel)?;
        if reply.ok() {
            Ok(())
        } else {
            Err(self.refusal("Microsoft Graph users", &reply, &token, "User.Read.All"))
        }
    }
}
