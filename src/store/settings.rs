//! Settings: stored `key = value` pairs over the defaults.

use super::sql::args;
use super::{Db, Write};
use anyhow::{Result, anyhow};

impl<M> Db<'_, M> {
    /// The stored pairs (keys never set are absent).
    pub fn setting_pairs(&self) -> Result<Vec<(String, String)>> {
        self.conn
            .query_vec("SELECT key, value FROM settings ORDER BY key", &[], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
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
            args![key, value],
        )?;
        Ok(())
    }
}
