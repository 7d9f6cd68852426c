//! Engineers and roles (team mode, PostgreSQL only): who this session is,
//! the logins that have an nfa role, and granting and revoking roles. The
//! rights themselves are the server's (schema 7, `schema::PG_ROLES`): a
//! role is a membership of one of the database's four group roles, a
//! helpdesk's scope rows of `nfa_scope`; these statements only read and
//! change them, as the session's own login, so that the server refuses
//! what that login may not do.

use super::sql::{Backend, Conn, args};
use super::{Db, Store, Write};
use crate::domain::ids::AccountId;
use crate::domain::role::{Action, Role, no_role, refusal};
use crate::domain::word::Word;
use anyhow::{Result, anyhow, bail};

/// A refusal of the session's role, said in full (one line): no context
/// is added to it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

fn refuse(text: String) -> anyhow::Error {
    anyhow::Error::new(Refusal(text))
}

/// A login and its nfa role.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    pub user: String,
    /// `None`: the login has no nfa role.
    pub role: Option<Role>,
    /// A helpdesk's accounts, by name (empty for the other roles, which
    /// see every account).
    pub accounts: Vec<String>,
}

/// The advisory lock of role changes ("nfa" and 2).
const TEAM_LOCK: i64 = -0x6e66_6102;

/// What this process was authorized to do (one command a process; its
/// worker threads' stores share it).
static ACTING: std::sync::Mutex<Option<Action>> = std::sync::Mutex::new(None);

/// The login of the current session, compared as PostgreSQL compares it.
const ME: &str = "(SELECT u.oid FROM pg_roles u WHERE u.rolname = current_user)";

/// An identifier quoted for SQL (a login name is one; it is checked to
/// exist before any statement names it).
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn role_of(text: Option<String>) -> Result<Option<Role>> {
    text.map(|t| Role::parse(&t).map_err(|e| anyhow!("{e}")))
        .transpose()
}

impl Store {
    /// Records who this session is, read with the schema's version when
    /// the store was opened (so `identity` asks nothing more); a scoped
    /// role's accounts are left for `identity` to read.
    pub(super) fn preset_identity(&self, user: &str, role: Option<&str>) -> Result<()> {
        let role = role_of(role.map(str::to_string))?;
        if !role.is_some_and(Role::is_scoped) {
            let _ = self.identity.set(Member {
                user: user.to_string(),
                role,
                accounts: vec![],
            });
        }
        Ok(())
    }

    /// Who this session is, and its role: `None` on SQLite, which has no
    /// roles (its one engineer may do everything). Read once.
    pub fn identity(&self) -> Result<Option<&Member>> {
        if self.conn().backend() == Backend::Sqlite {
            return Ok(None);
        }
        if let Some(me) = self.identity.get() {
            return Ok(Some(me));
        }
        let asked = self
            .conn()
            .query_opt("SELECT session_user::text, nfa_role()", &[], |r| {
                Ok((r.get(0)?, r.get::<Option<String>>(1)?))
            });
        let (user, role) = match asked {
            Ok(Some(row)) => row,
            Ok(None) => bail!("no answer to who this session is"),
            // A login that may not even read the roles has none.
            Err(e) if insufficient_privilege(&e) => match &self.at {
                super::Location::Postgres(t) => (t.user().to_string(), None),
                super::Location::Sqlite(_) => return Err(e),
            },
            Err(e) => return Err(e),
        };
        let role = role_of(role)?;
        let accounts = if role.is_some_and(Role::is_scoped) {
            self.conn().query_vec(
                &format!(
                    "SELECT a.name FROM nfa_scope s JOIN accounts a ON a.id = s.account_id
                     WHERE s.login::oid = {ME} ORDER BY a.name"
                ),
                &[],
                |r| r.get(0),
            )?
        } else {
            vec![]
        };
        let _ = self.identity.set(Member {
            user,
            role,
            accounts,
        });
        Ok(self.identity.get())
    }

    /// Refuses, before anything is written, an action this session's role
    /// may not take (nothing on SQLite). The action is remembered: a
    /// refusal that only the server can tell (a row another account's)
    /// is said the same way.
    pub fn authorize(&self, action: Action) -> Result<()> {
        *ACTING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(action);
        let Some(me) = self.identity()? else {
            return Ok(());
        };
        match me.role {
            None => Err(refuse(no_role(&me.user, self.database_name()))),
            Some(role) if !role.may(action) => Err(refuse(refusal(&me.user, role, action))),
            Some(_) => Ok(()),
        }
    }

    /// The one line of a write the server refused (SQLSTATE 42501: a
    /// privilege or a row-level policy), in the words of [`refusal`].
    pub(super) fn refused(&self, err: anyhow::Error) -> anyhow::Error {
        if !insufficient_privilege(&err) {
            return err;
        }
        let action = ACTING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unwrap_or(Action::Write);
        match self.identity() {
            Ok(Some(me)) => match me.role {
                None => refuse(no_role(&me.user, self.database_name())),
                Some(role) => refuse(refusal(&me.user, role, action)),
            },
            _ => err,
        }
    }

    /// The database's name (PostgreSQL) or file (SQLite), for messages.
    fn database_name(&self) -> &str {
        match &self.at {
            super::Location::Postgres(t) => t.dbname(),
            super::Location::Sqlite(_) => &self.location,
        }
    }

    /// Team mode's commands need a team database.
    fn team_only(&self) -> Result<()> {
        if self.conn().backend() == Backend::Sqlite {
            bail!(
                "nfa team needs a team database (PostgreSQL): {} is an SQLite file, whose one engineer may do everything; see README, Team mode",
                self.location
            );
        }
        Ok(())
    }

    /// `team whoami`.
    pub fn whoami(&self) -> Result<Member> {
        self.team_only()?;
        let me = self
            .identity()?
            .ok_or_else(|| anyhow!("no identity on a team database"))?;
        if me.role.is_none() {
            return Err(refuse(no_role(&me.user, self.database_name())));
        }
        Ok(me.clone())
    }

    /// `team list`: every login with an nfa role, by name.
    pub fn members(&self) -> Result<Vec<Member>> {
        self.team_only()?;
        let rows: Vec<(String, String)> = self.conn().query_vec(
            "SELECT m.rolname::text, r.name FROM nfa_roles r
             JOIN pg_auth_members am ON am.roleid = r.grp::oid
             JOIN pg_roles m ON m.oid = am.member
             WHERE m.rolcanlogin ORDER BY m.rolname, r.rank",
            &[],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let scopes: Vec<(String, String)> = self.conn().query_vec(
            "SELECT s.login::text, a.name FROM nfa_scope s JOIN accounts a ON a.id = s.account_id
             ORDER BY 1, 2",
            &[],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut out: Vec<Member> = vec![];
        for (user, role) in rows {
            // A login's role is its highest (the first listed).
            if out.last().is_some_and(|m| m.user == user) {
                continue;
            }
            let role = role_of(Some(role))?;
            let accounts = if role.is_some_and(Role::is_scoped) {
                scopes
                    .iter()
                    .filter(|(login, _)| unquoted(login) == user)
                    .map(|(_, a)| a.clone())
                    .collect()
            } else {
                vec![]
            };
            out.push(Member {
                user,
                role,
                accounts,
            });
        }
        Ok(out)
    }

    /// One login's role (`None`: it has none), or an error when no such
    /// login exists.
    pub fn member(&self, user: &str) -> Result<Member> {
        self.team_only()?;
        let login: Option<bool> = self.conn().query_opt(
            "SELECT rolcanlogin FROM pg_roles WHERE rolname = ?1",
            args![user],
            |r| r.get(0),
        )?;
        match login {
            None => bail!(
                "PostgreSQL has no login '{user}': create it first (CREATE ROLE {} LOGIN), then grant it a role",
                quote_ident(user)
            ),
            Some(false) => bail!(
                "'{user}' is a group role, not a login: nfa roles are granted to the logins engineers sign in with"
            ),
            Some(true) => {}
        }
        Ok(self
            .members()?
            .into_iter()
            .find(|m| m.user == user)
            .unwrap_or(Member {
                user: user.to_string(),
                role: None,
                accounts: vec![],
            }))
    }
}

/// A role name as PostgreSQL prints a `regrole` (quoted when it must be),
/// back to the name.
fn unquoted(text: &str) -> String {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => text.to_string(),
    }
}

/// Whether the server refused for want of a right (42501: a privilege, a
/// row-level security policy).
pub(super) fn insufficient_privilege(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<tokio_postgres::Error>()
            .and_then(tokio_postgres::Error::code)
            .is_some_and(|c| *c == tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
    })
}

impl Db<'_, Write> {
    /// Gives `user` the role `role` (its other nfa roles taken away) and,
    /// for a helpdesk, adds `accounts` to its scope; another role's scope
    /// is emptied.
    pub fn grant_role(&self, user: &str, role: Role, accounts: &[AccountId]) -> Result<()> {
        self.lock_team()?;
        let login = quote_ident(user);
        for other in <Role as strum::VariantArray>::VARIANTS {
            if *other != role {
                revoke(&self.conn, *other, &login)?;
            }
        }
        let admin = if role == Role::Admin {
            " WITH ADMIN OPTION"
        } else {
            ""
        };
        let grp = group(&self.conn, role)?;
        self.conn.batch(&format!("GRANT {grp} TO {login}{admin}"))?;
        if !role.is_scoped() {
            self.clear_scope(user)?;
        }
        for id in accounts {
            self.conn.execute(
                "INSERT INTO nfa_scope (login, account_id)
                 VALUES ((SELECT oid FROM pg_roles WHERE rolname = ?1)::regrole, ?2)
                 ON CONFLICT DO NOTHING",
                args![user, id],
            )?;
        }
        Ok(())
    }

    /// Takes away every nfa role of `user`, and its scope.
    pub fn revoke_roles(&self, user: &str) -> Result<()> {
        self.lock_team()?;
        let login = quote_ident(user);
        for role in <Role as strum::VariantArray>::VARIANTS {
            revoke(&self.conn, *role, &login)?;
        }
        self.clear_scope(user)
    }

    /// Removes accounts from a helpdesk's scope.
    pub fn narrow_scope(&self, user: &str, accounts: &[AccountId]) -> Result<()> {
        for id in accounts {
            self.conn.execute(
                "DELETE FROM nfa_scope
                 WHERE login::oid = (SELECT oid FROM pg_roles WHERE rolname = ?1) AND account_id = ?2",
                args![user, id],
            )?;
        }
        Ok(())
    }

    /// Changes of roles one at a time, across hosts: two admins granting
    /// one login two roles at once leave it one (each statement after the
    /// lock sees the other's commit, at READ COMMITTED).
    fn lock_team(&self) -> Result<()> {
        self.conn
            .execute("SELECT pg_advisory_xact_lock(?1)", args![TEAM_LOCK])?;
        Ok(())
    }

    fn clear_scope(&self, user: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM nfa_scope WHERE login::oid = (SELECT oid FROM pg_roles WHERE rolname = ?1)",
            args![user],
        )?;
        Ok(())
    }
}

/// The database's group role of `role`, as SQL names it.
fn group(conn: &Conn, role: Role) -> Result<String> {
    conn.value(
        "SELECT grp::text FROM nfa_roles WHERE name = ?1",
        args![role.as_str()],
    )
}

/// Takes `role` from a login that is a member (a REVOKE of no membership
/// would only warn).
fn revoke(conn: &Conn, role: Role, login: &str) -> Result<()> {
    let grp = group(conn, role)?;
    let member: i64 = conn.value(
        &format!(
            "SELECT count(*) FROM pg_auth_members
             WHERE roleid = '{}'::regrole AND member = '{}'::regrole",
            grp.replace('\'', "''"),
            login.replace('\'', "''")
        ),
        &[],
    )?;
    if member > 0 {
        conn.batch(&format!("REVOKE {grp} FROM {login}"))?;
    }
    Ok(())
}
