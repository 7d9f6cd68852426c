//! `nfa team`: the engineers of a team database and their roles. The
//! server enforces the rights; these say who has which, and change it.

use super::accounts::resolve_all;
use crate::domain::role::Role;
use crate::store::{Member, Store};
use anyhow::{Result, bail};

/// `team whoami`: this session's login, role and (helpdesk) accounts.
pub fn whoami(store: &Store) -> Result<Member> {
    store.whoami()
}

/// `team list`: every login with an nfa role.
pub fn list(store: &Store) -> Result<Vec<Member>> {
    store.members()
}

/// `team grant`: gives `user` the role `role` in place of any other, and a
/// helpdesk more accounts. The caller is authorized already (admin).
pub fn grant(store: &Store, user: &str, role: Role, accounts: &[String]) -> Result<Member> {
    if !accounts.is_empty() && !role.is_scoped() {
        bail!(
            "--account scopes a helpdesk: the role {role} sees every account; grant --role helpdesk --account ACCOUNT, or leave --account out"
        );
    }
    let before = store.member(user)?;
    refuse_own(store, &before)?;
    let ids: Vec<_> = resolve_all(store, accounts)?.iter().map(|a| a.id).collect();
    store.write(|db| db.grant_role(user, role, &ids))?;
    store.member(user)
}

/// `team revoke`: with `accounts`, takes those from a helpdesk's scope;
/// without, takes the role away.
pub fn revoke(store: &Store, user: &str, accounts: &[String]) -> Result<Member> {
    let before = store.member(user)?;
    let Some(role) = before.role else {
        bail!("user '{user}' has no nfa role: nothing to revoke");
    };
    refuse_own(store, &before)?;
    if accounts.is_empty() {
        store.write(|db| db.revoke_roles(user))?;
    } else {
        if !role.is_scoped() {
            bail!(
                "--account narrows a helpdesk's scope, and '{user}' is {role} (every account); nfa team revoke {user} takes the role away"
            );
        }
        let ids: Vec<_> = resolve_all(store, accounts)?.iter().map(|a| a.id).collect();
        store.write(|db| db.narrow_scope(user, &ids))?;
    }
    store.member(user)
}

/// An admin does not change their own role (another admin can): a team
/// never loses its last admin by a typo.
fn refuse_own(store: &Store, member: &Member) -> Result<()> {
    if store.identity()?.is_some_and(|me| me.user == member.user) {
        bail!(
            "user '{}' may not change their own role; another admin can",
            member.user
        );
    }
    Ok(())
}
