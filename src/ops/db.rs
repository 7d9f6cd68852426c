//! `nfa db`: what the database is and holds, and moving all of it to
//! another database.

use crate::store::{Backend, Contents, Location, Store};
use anyhow::Result;
use serde::Serialize;

/// `nfa db info`.
#[derive(Debug, Clone, Serialize)]
pub struct DbInfo {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The file, or the connection URL without its password.
    pub location: String,
    #[serde(flatten)]
    pub contents: Contents,
}

pub fn info(store: &Store) -> Result<DbInfo> {
    Ok(DbInfo {
        backend: match store.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        },
        location: store.location(),
        contents: store.contents()?,
    })
}

/// Copies the whole database to `target` (an SQLite path or a PostgreSQL
/// URL), all or nothing, ids kept; a target that holds data is refused.
/// Says what the target now holds.
pub fn copy(store: &Store, target: &Location) -> Result<DbInfo> {
    store.copy_to(target)?;
    info(&Store::open(target)?)
}
