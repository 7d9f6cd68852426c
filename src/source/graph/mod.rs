//! The live source: Microsoft Graph for the directory and Microsoft 365,
//! Azure Resource Manager for the Azure admin check, signed in with the
//! OAuth 2.0 client-credentials flow of the Microsoft identity platform.
//!
//! - [`auth`]: tokens (client credentials), and sign-in refusals as causes;
//! - [`delta`]: the directory through delta queries;
//! - [`arm`]: the connection checks.
//!
//! The client secret is read from its variable or file when a token is
//! needed, and neither it nor any token is ever written anywhere: not to
//! output, logs, task errors, the database, or `Debug` output.

mod arm;
mod auth;
mod delta;

use super::http::{Http, Reply};
use super::{ConnectionReport, ConnectionState, DirectoryRead, SourceError, TenantSource};
use crate::domain::account::Credentials;
use crate::process::Cancel;
use crate::secret::{ExposeSecret, Secret};
use crate::source::endpoints::{GRAPH_SCOPE, graph_url};

pub struct GraphSource {
    tenant: String,
    creds: Credentials,
    http: Http,
}

impl GraphSource {
    pub fn new(tenant: String, creds: Credentials) -> GraphSource {
        GraphSource {
            tenant,
            creds,
            http: Http::new(),
        }
    }

    /// GET with a bearer token.
    fn get(
        &self,
        service: &str,
        url: &str,
        token: &Secret,
        cancel: &Cancel,
    ) -> Result<Reply, SourceError> {
        self.http.send(service, cancel, |agent| {
            agent
                .get(url)
                .header(
                    "Authorization",
                    &format!("Bearer {}", token.expose_secret()),
                )
                .call()
        })
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

impl TenantSource for GraphSource {
    fn read_directory(
        &self,
        cursor: Option<&str>,
        cancel: &Cancel,
    ) -> Result<DirectoryRead, SourceError> {
        let token = self.token(GRAPH_SCOPE, "Microsoft Graph", cancel)?;
        self.read_delta(cursor, &token, cancel)
    }

    fn check_connections(&self, cancel: &Cancel) -> Result<ConnectionReport, SourceError> {
        let office365 = verdict(self.check_office365(cancel))?;
        let azure = verdict(self.check_azure(cancel))?;
        Ok(ConnectionReport {
            azure: state(azure),
            office365: state(office365),
        })
    }

    fn probe_directory(&self, cancel: &Cancel) -> Result<(), SourceError> {
        let token = self.token(GRAPH_SCOPE, "Microsoft Graph", cancel)?;
        let url = format!("{}/v1.0/users?$top=1&$select=id", graph_url());
        let reply = self.get("Microsoft Graph users", &url, &token, cancel)?;
        if reply.ok() {
            Ok(())
        } else {
            Err(SourceError::Failed(format!(
                "Microsoft Graph users: {}",
                reply.error_text()
            )))
        }
    }
}
