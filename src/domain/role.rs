//! Who may do what in team mode: the four roles and the actions they may
//! take. PostgreSQL enforces these rights itself (`store::schema`,
//! `PG_ROLES`); this is the same table, for refusing an action before
//! anything is written and saying why in one line.

use super::word::Word;

/// An engineer's role in a team database, least first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Role {
    /// Reads everything, writes nothing.
    Viewer,
    /// Reads, refreshes, tests and runs the tasks of its granted accounts;
    /// the other accounts do not exist for it.
    Helpdesk,
    /// All account work on every account, but removing accounts, settings,
    /// pruning and roles.
    Engineer,
    /// Everything.
    Admin,
}

impl Word for Role {
    const WHAT: &'static str = "role";
}

/// What an engineer does that not every role may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::VariantArray)]
pub enum Action {
    AddAccounts,
    RemoveAccounts,
    TestAccounts,
    Refresh,
    Audit,
    RunTasks,
    SetSettings,
    /// Setting the partner app every partner-mode account signs in with.
    SetPartner,
    Prune,
    GrantRoles,
    /// Reading the whole database out (`db copy` from it).
    CopyDatabase,
    /// Writing a database's every table (`db copy` into it).
    LoadDatabase,
    /// A write nfa did not name (a server refusal outside the above).
    Write,
}

impl Action {
    /// The action as a refusal says it: "user 'carol' (helpdesk) may not
    /// remove accounts".
    pub fn says(self) -> &'static str {
        match self {
            Action::AddAccounts => "add accounts",
            Action::RemoveAccounts => "remove accounts",
            Action::TestAccounts => "test accounts",
            Action::Refresh => "refresh accounts",
            Action::Audit => "audit accounts",
            Action::RunTasks => "run tasks",
            Action::SetSettings => "change settings",
            Action::SetPartner => "set the partner app",
            Action::Prune => "prune the history",
            Action::GrantRoles => "grant or revoke roles",
            Action::CopyDatabase => "copy the whole database (a helpdesk sees only its accounts)",
            Action::LoadDatabase => "copy into this database",
            Action::Write => "write this",
        }
    }

    /// The least role that may.
    pub fn least_role(self) -> Role {
        *<Role as strum::VariantArray>::VARIANTS
            .iter()
            .find(|r| r.may(self))
            .unwrap_or(&Role::Admin)
    }
}

impl Role {
    /// Whether this role may take the action (on the accounts it sees: a
    /// helpdesk's are its granted ones).
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Admin => true,
            Role::Engineer => !matches!(
                action,
                RemoveAccounts
                    | SetSettings
                    | SetPartner
                    | Prune
                    | GrantRoles
                    | LoadDatabase
                    | Write
            ),
            Role::Helpdesk => matches!(action, TestAccounts | Refresh | RunTasks),
            Role::Viewer => matches!(action, CopyDatabase),
        }
    }

    /// Whether the role sees only the accounts granted to it.
    pub fn is_scoped(self) -> bool {
        self == Role::Helpdesk
    }
}

/// The one line of a refused action, naming the user, their role, the
/// action and who may.
pub fn refusal(user: &str, role: Role, action: Action) -> String {
    let least = action.least_role();
    let who = if least == Role::Admin {
        "an admin".to_string()
    } else {
        format!("the role {least} and above")
    };
    format!(
        "user '{user}' ({role}) may not {}; {who} may (an admin can grant it: nfa team grant {user} --role {least})",
        action.says()
    )
}

/// The one line of a login that has no nfa role in the database.
pub fn no_role(user: &str, database: &str) -> String {
    format!(
        "user '{user}' has no nfa role in database '{database}': an admin grants one (nfa team grant {user} --role viewer)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn the_roles_may_what_the_contract_table_says() {
        use Action::*;
        let may = |r: Role| -> Vec<Action> {
            Action::VARIANTS
                .iter()
                .copied()
                .filter(|a| r.may(*a))
                .collect()
        };
        assert_eq!(may(Role::Viewer), vec![CopyDatabase]);
        assert_eq!(may(Role::Helpdesk), vec![TestAccounts, Refresh, RunTasks]);
        assert_eq!(
            may(Role::Engineer),
            vec![
                AddAccounts,
                TestAccounts,
                Refresh,
                Audit,
                RunTasks,
                CopyDatabase
            ]
        );
        assert_eq!(may(Role::Admin), Action::VARIANTS.to_vec());
    }

    #[test]
    fn each_role_may_at_least_what_the_one_below_may() {
        // Helpdesk is scoped, so "below" is about the actions, not the rows.
        for pair in Role::VARIANTS.windows(2) {
            for a in Action::VARIANTS {
                if pair[0].may(*a) && pair[0] != Role::Viewer {
                    assert!(
                        pair[1].may(*a),
                        "{:?} may {a:?} but {:?} not",
                        pair[0],
                        pair[1]
                    );
                }
            }
        }
    }

    #[test]
    fn a_refusal_names_the_user_the_role_the_action_and_the_fix() {
        assert_eq!(
            refusal("carol", Role::Helpdesk, Action::RemoveAccounts),
            "user 'carol' (helpdesk) may not remove accounts; an admin may (an admin can grant it: nfa team grant carol --role admin)"
        );
        assert_eq!(
            refusal("vic", Role::Viewer, Action::Refresh),
            "user 'vic' (viewer) may not refresh accounts; the role helpdesk and above may (an admin can grant it: nfa team grant vic --role helpdesk)"
        );
    }

    #[test]
    fn roles_are_words() {
        assert_eq!(Role::parse("HelpDesk"), Ok(Role::Helpdesk));
        assert!(Role::parse("owner").is_err());
    }
}
