//! Tenant sources: where the two refresh tasks get their answers. Every
//! source sits behind [`TenantSource`]; the runner knows nothing else.
//!
//! The trait is shaped for a network source as much as for a file: each
//! call may be slow (it can be interrupted through [`Cancel`]), may fail
//! with a message meant for the system log, and a directory read may
//! return either a full copy or a delta over the previous one.

mod fixture;

pub use fixture::FixtureSource;

use crate::process::Cancel;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A user of the tenant's directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirUser {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub upn: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// A group of the tenant's directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirGroup {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// What a directory read returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectorySync {
    /// The whole directory: it replaces the cached copy.
    Full {
        users: Vec<DirUser>,
        groups: Vec<DirGroup>,
    },
}

/// The state of one connection of the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionState {
    pub ok: bool,
    pub error: Option<String>,
}

/// The answer of the "Checking account status" task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionReport {
    pub azure: ConnectionState,
    pub office365: ConnectionState,
}

impl ConnectionReport {
    pub fn ok(&self) -> bool {
        self.azure.ok && self.office365.ok
    }

    /// Names every failing connection and its error.
    pub fn failure_message(&self) -> Option<String> {
        let mut parts = vec![];
        for (name, c) in [("Azure", &self.azure), ("Microsoft 365", &self.office365)] {
            if !c.ok {
                parts.push(format!(
                    "{name} connection failed: {}",
                    c.error.as_deref().unwrap_or("no reason given")
                ));
            }
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

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
    /// Reads the directory (users and groups), for "Update AD cache".
    fn read_directory(&self, cancel: &Cancel) -> Result<DirectorySync, SourceError>;

    /// Tests the Azure admin and Microsoft 365 connections, for "Checking
    /// account status". A broken connection is a report, not an error; an
    /// error means the source could not tell.
    fn check_connections(&self, cancel: &Cancel) -> Result<ConnectionReport, SourceError>;
}

/// A source as written on an account: `fixture:PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    Fixture(PathBuf),
}

impl SourceSpec {
    /// Parses a source; a relative fixture path is taken from `cwd`.
    pub fn parse(text: &str, cwd: &Path) -> Result<SourceSpec, String> {
        let t = text.trim();
        let (scheme, rest) = t
            .split_once(':')
            .ok_or_else(|| format!("invalid source '{text}' (expected fixture:PATH)"))?;
        match scheme {
            "fixture" if !rest.is_empty() => {
                Ok(SourceSpec::Fixture(absolute(Path::new(rest), cwd)))
            }
            "fixture" => Err(format!(
                "invalid source '{text}': fixture: needs a file path"
            )),
            "graph" => Err(format!(
                "invalid source '{text}': live graph: sources are not supported by this build yet (use fixture:PATH)"
            )),
            _ => Err(format!("invalid source '{text}' (expected fixture:PATH)")),
        }
    }

    /// The form stored on the account.
    pub fn canonical(&self) -> String {
        match self {
            SourceSpec::Fixture(p) => format!("fixture:{}", p.display()),
        }
    }

    /// The source that answers for this spec.
    pub fn open(&self) -> Box<dyn TenantSource> {
        match self {
            SourceSpec::Fixture(p) => Box::new(FixtureSource::new(p.clone())),
        }
    }
}

/// `path` made absolute against `cwd`, with `.` and `..` resolved
/// lexically (the file need not exist yet).
fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    use std::path::Component;
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_paths_are_stored_absolute() {
        let cwd = Path::new("/home/ada/work");
        let s = SourceSpec::parse("fixture:tenants/../t/contoso.json", cwd).unwrap();
        assert_eq!(s.canonical(), "fixture:/home/ada/work/t/contoso.json");
        let s = SourceSpec::parse("fixture:/srv/x.json", cwd).unwrap();
        assert_eq!(s.canonical(), "fixture:/srv/x.json");
    }

    #[test]
    fn other_sources_are_refused_clearly() {
        let cwd = Path::new("/");
        assert!(SourceSpec::parse("fixture:", cwd).is_err());
        assert!(
            SourceSpec::parse("contoso.json", cwd)
                .unwrap_err()
                .contains("fixture:PATH")
        );
        assert!(
            SourceSpec::parse("graph:abc", cwd)
                .unwrap_err()
                .contains("not supported")
        );
    }

    #[test]
    fn failure_message_names_each_failing_connection() {
        let r = ConnectionReport {
            azure: ConnectionState {
                ok: true,
                error: None,
            },
            office365: ConnectionState {
                ok: false,
                error: Some("token expired".into()),
            },
        };
        assert!(!r.ok());
        assert_eq!(
            r.failure_message().unwrap(),
            "Microsoft 365 connection failed: token expired"
        );
    }
}
