//! Settings: stored `key = value` pairs over the defaults.

use super::{Db, Write};
use anyhow::{Result, anyhow};
use rusqlite::params;

impl<M> Db<'_, M> {
    /// The stored pairs (keys never set are absent).
    pub fn setting_pairs(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, value FROM settings ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The typed settings in force.
    pub fn settings(&self) -> Result<crate::domain::settings::Settings> {
        let pairs = self.setting_pairs()?;
        crate::domain::settings::Settings::from_pairs(
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .map_err(|e| anyhow!(e))
    }
}

impl Db<'_, Write> {
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}
