//! Where a database is, parsed once: an SQLite file, or a PostgreSQL
//! database named by a `postgres://` URL (team mode). Everything after the
//! command line — opening, messages, worker threads opening their own
//! connections, `db copy`'s target — takes a [`Location`], never the text.

use super::pg;
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

#[derive(Clone)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(Box<pg::Target>),
}

impl Location {
    /// `--db`, `NFA_DB` or `db copy --to` as given: a `postgres://` or
    /// `postgresql://` URL (any case), else a file path. An SQLite URI
    /// (`file:…`) is refused rather than taken for a file of that name.
    pub fn parse(text: &Path) -> Result<Location> {
        if let Some(url) = text.to_str().filter(|t| is_postgres_url(t)) {
            return Ok(Location::Postgres(Box::new(pg::Target::parse(url)?)));
        }
        if text.to_str().is_some_and(looks_like_libpq) {
            bail!(
                "--db {}: a libpq key=value string is not read by nfa; write it as a URL: postgres://USER@HOST:PORT/DATABASE",
                crate::secret::redact_url(&text.to_string_lossy())
            );
        }
        if text.to_str().is_some_and(|p| p.starts_with("file:")) {
            bail!(
                "--db {}: nfa takes a file path, not an SQLite URI; write the path itself (or ./{} for a file really named so)",
                text.display(),
                text.display()
            );
        }
        Ok(Location::Sqlite(text.to_path_buf()))
    }

    /// As messages show it: the path, or the URL with its password hidden.
    pub fn shown(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(t) => t.shown.clone(),
        }
    }

    /// Whether two locations name the same database (the same file, or the
    /// same database on the same server).
    pub fn same_as(&self, other: &Location) -> bool {
        match (self, other) {
            (Location::Sqlite(a), Location::Sqlite(b)) => {
                match (std::path::absolute(a), std::path::absolute(b)) {
                    (Ok(a), Ok(b)) => a == b,
                    _ => false,
                }
            }
            (Location::Postgres(a), Location::Postgres(b)) => {
                (a.server(), a.dbname()) == (b.server(), b.dbname())
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

/// Whether `--db` is a libpq connection string (`host=db dbname=nfa`)
/// rather than a file name.
fn looks_like_libpq(text: &str) -> bool {
    const KEYS: &[&str] = &[
        "host=",
        "hostaddr=",
        "dbname=",
        "user=",
        "port=",
        "password=",
        "sslmode=",
    ];
    text.split_whitespace().any(|word| {
        KEYS.iter()
            .any(|k| word.to_ascii_lowercase().starts_with(k))
    })
}

/// Whether `--db` names a PostgreSQL database rather than a file.
fn is_postgres_url(db: &str) -> bool {
    let lower = db.to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_is_a_file_or_a_postgres_url() {
        let at = |t: &str| Location::parse(Path::new(t));
        assert!(matches!(at("./postgres.db").unwrap(), Location::Sqlite(_)));
        assert!(matches!(at("/srv/nfa.db").unwrap(), Location::Sqlite(_)));
        for url in ["postgres://a@h/db", "PostgreSQL://a@h/db"] {
            assert!(matches!(at(url).unwrap(), Location::Postgres(_)), "{url}");
        }
        assert!(at("file:nfa.db").is_err());
        let e = at("host=db user=nfa password=s3cret dbname=nfa")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("key=value") && e.contains("postgres://"), "{e}");
        assert!(
            at("postgres:///nfa")
                .err()
                .unwrap()
                .to_string()
                .contains("no host")
        );
        assert!(
            at("postgres://nfa@db")
                .err()
                .unwrap()
                .to_string()
                .contains("no database")
        );
        assert!(
            at("postgres://nfa@db/")
                .err()
                .unwrap()
                .to_string()
                .contains("no database")
        );
        let pg = at("postgres://ann:pw@h:6432/team").unwrap();
        assert!(!pg.shown().contains("pw"), "{pg}");
        assert!(pg.same_as(&at("postgres://bob@h:6432/team").unwrap()));
        assert!(!pg.same_as(&at("postgres://ann@h:6432/other").unwrap()));
        assert!(at("nfa.db").unwrap().same_as(&at("./nfa.db").unwrap()));
    }
}
