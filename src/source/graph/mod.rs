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

use super::http::{Http, Reply};
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
        self.http.send(service, cancel, |agent| {
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
    fn check_microsoft(&self, cancel: &Cancel) -> Result<Microsoft, SourceError> {
        let office365 = verdict(self.check_office365(cancel))?;
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
        self.read_delta(cursor, &token, cancel)
    }

    /// The Azure check's token, fetched beside the directory read: after
    /// the Graph token (on the sign-in connection the directory read no
    /// longer needs) and while Graph answers the batch, so the check that
    /// follows waits for neither token. A failure is left for the check to
    /// meet and report (it asks again).
    fn prepare_check(&self, cancel: &Cancel) {
        let (me, cancel) = (self.clone(), cancel.clone());
        std::thread::spawn(move || {
            if me.token(GRAPH_SCOPE, "Microsoft Graph", &cancel).is_ok() {
                let _ = me.token(
                    crate::source::endpoints::ARM_SCOPE,
                    "Azure Resource Manager",
                    &cancel,
                );
            }
        });
    }

    fn check_connections(&self, cancel: &Cancel) -> Result<ConnectionReport, SourceError> {
        // Microsoft 365 (Graph, then the GDAP list) and Azure (ARM) at once:
        // their tokens and requests do not wait for each other.
        let (microsoft, azure) = std::thread::scope(|scope| {
            let azure = scope.spawn(|| verdict(self.check_azure(cancel)));
            let microsoft = self.check_microsoft(cancel);
            (microsoft, azure.join())
        });
        let azure = azure.map_err(|_| SourceError::Failed("the Azure check panicked".into()))??;
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
