//! The fixture source: a JSON file that describes a tenant, read afresh on
//! every task.

use super::{
    ConnectionReport, ConnectionState, DirGroup, DirUser, DirectoryRead, DirectorySync,
    SourceError, TenantSource,
};
use crate::process::Cancel;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

pub struct FixtureSource {
    path: PathBuf,
}

#[derive(Debug, Deserialize)]
struct Fixture {
    #[serde(default)]
    latency_ms: u64,
    azure: Option<Connection>,
    office365: Option<Connection>,
    directory: Option<Directory>,
}

#[derive(Debug, Deserialize)]
struct Connection {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Directory {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    users: Vec<DirUser>,
    #[serde(default)]
    groups: Vec<DirGroup>,
}

impl FixtureSource {
    pub fn new(path: PathBuf) -> FixtureSource {
        FixtureSource { path }
    }

    fn fail(&self, problem: impl std::fmt::Display) -> SourceError {
        SourceError::Failed(format!("fixture {}: {problem}", self.path.display()))
    }

    /// Reads the file, then waits its latency (interruptibly).
    fn load(&self, cancel: &Cancel) -> Result<Fixture, SourceError> {
        let text = std::fs::read_to_string(&self.path).map_err(|e| self.fail(e))?;
        let fixture: Fixture =
            serde_json::from_str(&text).map_err(|e| self.fail(format!("malformed JSON: {e}")))?;
        if !cancel.sleep(Duration::from_millis(fixture.latency_ms)) {
            return Err(SourceError::Interrupted);
        }
        Ok(fixture)
    }

    fn missing(&self, key: &str) -> SourceError {
        self.fail(format!("has no \"{key}\" entry"))
    }
}

fn state(c: Connection) -> ConnectionState {
    ConnectionState {
        ok: c.ok,
        error: if c.ok { None } else { c.error },
    }
}

impl TenantSource for FixtureSource {
    fn read_directory(
        &self,
        _cursor: Option<&str>,
        cancel: &Cancel,
    ) -> Result<DirectoryRead, SourceError> {
        let dir = self
            .load(cancel)?
            .directory
            .ok_or_else(|| self.missing("directory"))?;
        if !dir.ok {
            let why = dir
                .error
                .unwrap_or_else(|| "directory unreachable".to_string());
            return Err(SourceError::Failed(why));
        }
        Ok(DirectoryRead {
            sync: DirectorySync::Full {
                users: dir.users,
                groups: dir.groups,
            },
            cursor: None,
        })
    }

    fn check_connections(&self, cancel: &Cancel) -> Result<ConnectionReport, SourceError> {
        let f = self.load(cancel)?;
        let azure = f.azure.ok_or_else(|| self.missing("azure"))?;
        let office365 = f.office365.ok_or_else(|| self.missing("office365"))?;
        Ok(ConnectionReport {
            azure: state(azure),
            office365: state(office365),
        })
    }
}
