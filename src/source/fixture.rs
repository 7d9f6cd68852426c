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

/// The largest fixture read (a directory of about a million users).
pub const MAX_FIXTURE_BYTES: u64 = 256 << 20;

/// Reads a regular file of at most `max` bytes as UTF-8 text. Anything else
/// (a FIFO, a device, a directory) is refused without blocking on it: it is
/// opened non-blocking and looked at before a byte is read.
pub fn read_regular_file(path: &std::path::Path, max: u64) -> Result<String, String> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("is not a regular file (a FIFO, device or directory is refused)".into());
    }
    if meta.len() > max {
        return Err(format!(
            "is {} bytes, more than the {} MiB limit",
            meta.len(),
            max >> 20
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > max {
        return Err(format!("is more than the {} MiB limit", max >> 20));
    }
    String::from_utf8(bytes).map_err(|e| format!("is not UTF-8 text ({e})"))
}

pub struct FixtureSource {
    path: PathBuf,
}

/// What "Update AD cache" reads of a fixture.
#[derive(Debug, Deserialize)]
struct DirectoryPart {
    #[serde(default)]
    latency_ms: u64,
    directory: Option<Directory>,
}

/// What "Checking account status" reads of a fixture (the directory, maybe
/// large, is skipped over, not built).
#[derive(Debug, Deserialize)]
struct ConnectionsPart {
    #[serde(default)]
    latency_ms: u64,
    azure: Option<Connection>,
    office365: Option<Connection>,
}

/// A part of a fixture that knows its latency.
trait Part: serde::de::DeserializeOwned {
    fn latency_ms(&self) -> u64;
}

impl Part for DirectoryPart {
    fn latency_ms(&self) -> u64 {
        self.latency_ms
    }
}

impl Part for ConnectionsPart {
    fn latency_ms(&self) -> u64 {
        self.latency_ms
    }
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

    /// Reads the file (the part a task needs), then waits its latency
    /// (interruptibly).
    fn load<P: Part>(&self, cancel: &Cancel) -> Result<P, SourceError> {
        let text = read_regular_file(&self.path, MAX_FIXTURE_BYTES).map_err(|e| self.fail(e))?;
        let fixture: P =
            serde_json::from_str(&text).map_err(|e| self.fail(format!("malformed JSON: {e}")))?;
        if !cancel.sleep(Duration::from_millis(fixture.latency_ms())) {
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
            .load::<DirectoryPart>(cancel)?
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
        let f = self.load::<ConnectionsPart>(cancel)?;
        let azure = f.azure.ok_or_else(|| self.missing("azure"))?;
        let office365 = f.office365.ok_or_else(|| self.missing("office365"))?;
        Ok(ConnectionReport {
            azure: state(azure),
            office365: state(office365),
            gdap: None,
        })
    }
}
