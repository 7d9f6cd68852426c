//! `nfa directory`: what the AD cache of an account holds.

use super::accounts::resolve;
use crate::store::Store;
use anyhow::Result;
use serde::Serialize;

/// A cached user.
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub id: String,
    pub display_name: Option<String>,
    pub upn: Option<String>,
    pub enabled: bool,
}

/// A cached group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    pub id: String,
    pub display_name: Option<String>,
}

/// Whether any of `fields` contains `search` (case-insensitive); no search
/// matches everything.
fn matches(search: Option<&str>, fields: &[Option<&str>]) -> bool {
    let Some(search) = search.map(str::to_lowercase) else {
        return true;
    };
    fields
        .iter()
        .flatten()
        .any(|f| f.to_lowercase().contains(&search))
}

/// Streams the cached users of `account` (only disabled ones with
/// `disabled`; only those whose name, UPN or id contains `search`).
pub fn users(
    store: &Store,
    account: &str,
    disabled: bool,
    search: Option<&str>,
    mut f: impl FnMut(UserView) -> Result<()>,
) -> Result<()> {
    let db = store.read();
    let a = resolve(&db, account)?;
    db.for_each_ad_user(a.id, |u| {
        let enabled = u.enabled.unwrap_or(true);
        if (disabled && enabled)
            || !matches(
                search,
                &[u.display_name.as_deref(), u.upn.as_deref(), Some(&u.id)],
            )
        {
            return Ok(());
        }
        f(UserView {
            id: u.id,
            display_name: u.display_name,
            upn: u.upn,
            enabled,
        })
    })
}

/// Streams the cached groups of `account` (only those whose name or id
/// contains `search`).
pub fn groups(
    store: &Store,
    account: &str,
    search: Option<&str>,
    mut f: impl FnMut(GroupView) -> Result<()>,
) -> Result<()> {
    let db = store.read();
    let a = resolve(&db, account)?;
    db.for_each_ad_group(a.id, |g| {
        if !matches(search, &[g.display_name.as_deref(), Some(&g.id)]) {
            return Ok(());
        }
        f(GroupView {
            id: g.id,
            display_name: g.display_name,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn search_is_a_case_insensitive_substring_of_any_field() {
        assert!(matches(None, &[None]));
        assert!(matches(Some("ADA"), &[Some("Ada Lovelace"), None]));
        assert!(matches(Some("é"), &[None, Some("CAFÉ")]));
        assert!(!matches(Some("bob"), &[Some("Ada"), Some("ada@c.com")]));
    }
}
