//! What a tenant is made of, as values: its directory, the state of its
//! connections, and the source an account reads it from. Pure: the sources
//! that fetch these live in `crate::source`.

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
    /// Absent in a delta: unchanged; absent in a full copy: enabled.
    #[serde(default)]
    pub enabled: Option<bool>,
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
    /// The changes since the cursor the read started from: objects added or
    /// changed (fields left out are unchanged) and objects removed.
    Delta {
        users: Vec<DirUser>,
        groups: Vec<DirGroup>,
        removed_users: Vec<String>,
        removed_groups: Vec<String>,
    },
}

/// A directory read and where the next one should start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryRead {
    pub sync: DirectorySync,
    /// Opaque to everything but the source; stored with the cache.
    pub cursor: Option<String>,
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
    /// For an account signed in with the partner app: what its GDAP
    /// relationships give (its status is recorded with the check).
    pub gdap: Option<super::gdap::Access>,
}

impl ConnectionReport {
    pub fn ok(&self) -> bool {
        self.azure.ok && self.office365.ok
    }

    /// Names every failing connection (as people and as the fixture
    /// format call it) and its error.
    pub fn failure_message(&self) -> Option<String> {
        let mut parts = vec![];
        for (name, c) in [
            ("Azure (azure)", &self.azure),
            ("Microsoft 365 (office365)", &self.office365),
        ] {
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

/// Whether `granted` (a token's `roles` claim) lacks every application
/// permission of Microsoft Graph that gives `needed`: the permission
/// itself, its `ReadWrite` form, or for directory objects the
/// `Directory.*` ones.
pub fn permission_missing(needed: &str, granted: &[String]) -> bool {
    let mut enough = vec![needed.to_string(), needed.replace(".Read.", ".ReadWrite.")];
    if ["User.Read.All", "Group.Read.All", "Organization.Read.All"].contains(&needed) {
        enough.extend([
            "Directory.Read.All".into(),
            "Directory.ReadWrite.All".into(),
        ]);
    }
    !granted
        .iter()
        .any(|g| enough.iter().any(|e| e.eq_ignore_ascii_case(g)))
}

/// A source as written on an account: `fixture:PATH` or `graph:TENANT_ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    Fixture(PathBuf),
    /// A live Microsoft Graph / Azure Resource Manager connection.
    Graph {
        tenant: String,
    },
}

impl SourceSpec {
    /// The tenant of a stored live source (`graph:TENANT_ID`), without
    /// parsing it again.
    pub fn live_tenant(stored: &str) -> Option<&str> {
        stored.strip_prefix("graph:")
    }

    /// Parses a source; a relative fixture path is taken from `cwd`.
    pub fn parse(text: &str, cwd: &Path) -> Result<SourceSpec, String> {
        let t = text.trim();
        let (scheme, rest) = t.split_once(':').ok_or_else(|| {
            format!("invalid source '{text}' (expected fixture:PATH or graph:TENANT_ID)")
        })?;
        match scheme {
            "fixture" if !rest.is_empty() => {
                Ok(SourceSpec::Fixture(absolute(Path::new(rest), cwd)))
            }
            "fixture" => Err(format!(
                "invalid source '{text}': fixture: needs a file path"
            )),
            "graph" if valid_tenant(rest) => Ok(SourceSpec::Graph {
                tenant: rest.to_string(),
            }),
            "graph" => Err(format!(
                "invalid source '{text}': graph: needs a tenant id (a GUID or a domain such as contoso.onmicrosoft.com)"
            )),
            _ => Err(format!(
                "invalid source '{text}' (expected fixture:PATH or graph:TENANT_ID)"
            )),
        }
    }

    /// Whether the source is a live connection (and so needs credentials).
    pub fn is_live(&self) -> bool {
        matches!(self, SourceSpec::Graph { .. })
    }

    /// The form stored on the account.
    pub fn canonical(&self) -> String {
        match self {
            SourceSpec::Fixture(p) => format!("fixture:{}", p.display()),
            SourceSpec::Graph { tenant } => format!("graph:{tenant}"),
        }
    }
}

/// A tenant id goes into a URL path: letters, digits, `-` and `.` only.
fn valid_tenant(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 256
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
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
        let graph = SourceSpec::parse("graph:contoso.onmicrosoft.com", cwd).unwrap();
        assert_eq!(graph.canonical(), "graph:contoso.onmicrosoft.com");
        assert!(SourceSpec::parse("graph:", cwd).is_err());
        assert!(SourceSpec::parse("graph:a/../b", cwd).is_err());
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
            gdap: None,
        };
        assert!(!r.ok());
        assert_eq!(
            r.failure_message().unwrap(),
            "Microsoft 365 (office365) connection failed: token expired"
        );
    }
}
