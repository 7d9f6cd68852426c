//! Tenant sources: where the two refresh tasks get their answers. Every
//! source sits behind [`TenantSource`]; the runner knows nothing else.
//!
//! The trait is shaped for a network source as much as for a file: each
//! call may be slow (it can be interrupted through [`Cancel`]), may fail
//! with a message meant for the system log, and a directory read may
//! return either a full copy or a delta over the previous one.

pub mod endpoints;
mod fixture;
pub mod graph;
mod http;

pub use fixture::FixtureSource;
pub use graph::GraphSource;

use crate::domain::account::{Credentials, PartnerApp};
pub use crate::domain::tenant::{
    ConnectionReport, ConnectionState, DirGroup, DirUser, DirectoryRead, DirectorySync, SourceSpec,
};
use crate::process::Cancel;

/// Why a source could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The run was interrupted (Ctrl-C) while waiting for the tenant.
    #[error("interrupted")]
    Interrupted,
    /// The tenant (or the file standing for it) could not be asked or
    /// answered with an error; the message is for the system log.
    #[error("{0}")]
    Failed(String),
}

/// A customer's tenant, as the two refresh tasks see it.
pub trait TenantSource: Send + Sync {
    /// Reads the directory (users and groups), for "Update AD cache":
    /// changes since `cursor` where the source can, else a full copy.
    fn read_directory(
        &self,
        cursor: Option<&str>,
        cancel: &Cancel,
    ) -> Result<DirectoryRead, SourceError>;

    /// Tests the Azure admin and Microsoft 365 connections, for "Checking
    /// account status". A broken connection is a report, not an error; an
    /// error means the source could not tell.
    fn check_connections(&self, cancel: &Cancel) -> Result<ConnectionReport, SourceError>;

    /// Told before a directory read that a connection check follows it:
    /// a source may start on what the check will need (the live source
    /// fetches its Azure token meanwhile). Nothing by default.
    fn prepare_check(&self, _cancel: &Cancel) {}

    /// Whether the directory can be read, without reading it all (for
    /// `nfa accounts test`).
    fn probe_directory(&self, cancel: &Cancel) -> Result<(), SourceError> {
        self.read_directory(None, cancel).map(|_| ())
    }
}

/// The source that answers for an account: its parsed source and, for a
/// live one, its own app registration, else the partner app (`account`
/// names it in errors).
pub fn open(
    account: &str,
    source: &str,
    credentials: Option<&Credentials>,
    partner: Option<&PartnerApp>,
) -> Result<Box<dyn TenantSource>, SourceError> {
    let spec = SourceSpec::parse(source, std::path::Path::new("/")).map_err(SourceError::Failed)?;
    Ok(match spec {
        SourceSpec::Fixture(p) => Box::new(FixtureSource::new(p)),
        SourceSpec::Graph { tenant } => match (credentials, partner) {
            (Some(creds), _) => Box::new(GraphSource::new(tenant, creds.clone())),
            (None, Some(p)) => Box::new(GraphSource::with_partner(tenant, p.clone())),
            (None, None) => {
                return Err(SourceError::Failed(format!(
                    "account {account} has no app of its own and no partner app is set: run nfa partner set, or give the account --client-id and a credential"
                )));
            }
        },
    })
}

/// Checks a certificate credential's files as a sign-in would read them
/// (now, by the system clock: the service checks the certificate by its
/// own).
pub fn check_certificate(
    cert: &std::path::Path,
    key: Option<&std::path::Path>,
) -> Result<(), graph::assertion::CertError> {
    graph::assertion::Signer::load(cert, key, std::time::SystemTime::now()).map(|_| ())
}

/// Signs in to the partner tenant with the partner app (`nfa partner
/// test`): a Graph token, and then the GDAP list's first page.
pub fn test_partner(partner: &PartnerApp, cancel: &Cancel) -> Result<usize, SourceError> {
    graph::relationships(partner, cancel).map(|r| r.len())
}
