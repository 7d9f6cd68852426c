//! `nfa settings`.

use crate::domain::settings::{KEYS, key};
use crate::store::Store;
use anyhow::{Result, anyhow};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct SettingView {
    pub key: &'static str,
    pub value: String,
    pub default: &'static str,
    pub is_default: bool,
    pub description: &'static str,
}

pub fn list(store: &Store) -> Result<Vec<SettingView>> {
    let db = store.read();
    db.settings()?; // refuse a database holding an invalid value
    let stored = db.setting_pairs()?;
    Ok(KEYS
        .iter()
        .map(|k| {
            let value = stored
                .iter()
                .find(|(sk, _)| sk == k.name)
                .map(|(_, v)| v.clone());
            SettingView {
                key: k.name,
                is_default: value.as_deref().is_none_or(|v| v == k.default),
                value: value.unwrap_or_else(|| k.default.to_string()),
                default: k.default,
                description: k.help,
            }
        })
        .collect())
}

/// The setting of `name`; an unknown one is named, with the close ones.
fn known(name: &str) -> Result<&'static crate::domain::settings::Key> {
    key(name).map_err(|e| {
        crate::error::hinted(
            e,
            vec!["nfa settings list shows every setting with its default".to_string()],
        )
    })
}

pub fn get(store: &Store, name: &str) -> Result<SettingView> {
    let k = known(name)?;
    list(store)?
        .into_iter()
        .find(|s| s.key == k.name)
        .ok_or_else(|| anyhow!("unknown setting '{name}'"))
}

/// Validates and stores a value; an unknown key or invalid value changes
/// nothing.
pub fn set(store: &Store, name: &str, value: &str) -> Result<SettingView> {
    let k = known(name)?;
    let v = k.normalize(value).map_err(|e| anyhow!(e))?;
    store.write(|db| db.set_setting(k.name, &v))?;
    get(store, k.name)
}
