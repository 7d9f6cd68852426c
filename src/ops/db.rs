//! `nfa db`: what the database is and holds, and moving all of it to
//! another database.

use crate::store::{Contents, Store};
use anyhow::{Result, bail};
use serde::Serialize;
use std::path::Path;

/// `nfa db info`.
#[derive(Debug, Clone, Serialize)]
pub struct DbInfo {
    /// `sqlite` (team mode's `postgres` is not in this build yet).
    pub backend: &'static str,
    /// The file (a connection URL would be shown without its password).
    pub location: String,
    #[serde(flatten)]
    pub contents: Contents,
}

pub fn info(store: &Store) -> Result<DbInfo> {
    Ok(DbInfo {
        backend: "sqlite",
        location: store.location(),
        contents: store.contents()?,
    })
}

/// Copies the whole database to `target` (a SQLite path), all or nothing,
/// ids kept; a target that holds data is refused. Says what the target
/// now holds.
pub fn copy(store: &Store, target: &str) -> Result<DbInfo> {
    if crate::secret::is_postgres_url(target) {
        bail!(
            "--to {}: team mode (a shared PostgreSQL database) is not in this build yet; nothing was copied",
            crate::secret::redact_url(target)
        );
    }
    store.copy_to(Path::new(target))?;
    info(&Store::open(Path::new(target))?)
}
