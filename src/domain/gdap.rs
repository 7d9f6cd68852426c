//! GDAP: the granular delegated admin relationships between the partner
//! tenant and its customers' tenants, as Graph lists them
//! (`tenantRelationships/delegatedAdminRelationships`), and the rules nfa
//! draws from them: which customers there are, which relationship of a
//! customer counts, when access is broken and when it is about to end.

use chrono::{DateTime, Duration, Utc};

/// One relationship, as read (statuses kept as Graph words: a status
/// Microsoft adds later is kept as its text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    pub id: String,
    pub customer_tenant: String,
    pub customer_name: String,
    pub status: String,
    /// `null` while the relationship is not yet active.
    pub ends_at: Option<DateTime<Utc>>,
    /// `autoExtendDuration` is not zero.
    pub auto_extend: bool,
    pub role_ids: Vec<String>,
}

/// The statuses Graph documents, in the order of how useful a relationship
/// in that status is: `active` first, then `expiring` (still active,
/// ending), then the ones on their way in, then the ended ones.
pub const STATUSES: [&str; 10] = [
    "active",
    "expiring",
    "activating",
    "approved",
    "approvalPending",
    "created",
    "terminationRequested",
    "terminating",
    "expired",
    "terminated",
];

/// How useful a status is (smaller is better); an unknown status comes
/// after the documented ones.
pub fn rank(status: &str) -> usize {
    STATUSES
        .iter()
        .position(|s| s.eq_ignore_ascii_case(status))
        .unwrap_or(STATUSES.len())
}

/// Whether a relationship in this status gives access now.
pub fn grants_access(status: &str) -> bool {
    rank(status) <= 1
}

/// A customer tenant, with what its relationships grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub tenant_id: String,
    pub display_name: String,
    /// The most useful relationship's status, end and auto-extension.
    pub relationship: String,
    pub ends_at: Option<DateTime<Utc>>,
    pub auto_extend: bool,
    /// The role names of every relationship that grants access (of all
    /// of them when none does), each once, in the order first seen.
    pub roles: Vec<String>,
}

/// The best relationship of a customer: by [`rank`], then the one ending
/// last (an open end counts as last).
fn best<'a>(rels: &[&'a Relationship]) -> Option<&'a Relationship> {
    rels.iter().copied().min_by(|a, b| {
        rank(&a.status)
            .cmp(&rank(&b.status))
            .then_with(|| match (a.ends_at, b.ends_at) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Less,
                (Some(_), None) => std::cmp::Ordering::Greater,
                (Some(x), Some(y)) => y.cmp(&x),
            })
    })
}

/// One item per customer tenant, in the order the customers first appear.
pub fn customers(rels: &[Relationship]) -> Vec<Customer> {
    let mut order: Vec<&str> = vec![];
    for r in rels {
        if !order
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&r.customer_tenant))
        {
            order.push(&r.customer_tenant);
        }
    }
    order
        .into_iter()
        .filter_map(|tenant| {
            let mine: Vec<&Relationship> = rels
                .iter()
                .filter(|r| r.customer_tenant.eq_ignore_ascii_case(tenant))
                .collect();
            let top = best(&mine)?;
            let granting: Vec<&&Relationship> =
                mine.iter().filter(|r| grants_access(&r.status)).collect();
            let source: Vec<&Relationship> = if granting.is_empty() {
                mine.clone()
            } else {
                granting.into_iter().copied().collect()
            };
            let mut roles: Vec<String> = vec![];
            for id in source.iter().flat_map(|r| &r.role_ids) {
                let name = role_name(id);
                if !roles.contains(&name) {
                    roles.push(name);
                }
            }
            Some(Customer {
                tenant_id: top.customer_tenant.clone(),
                display_name: top.customer_name.clone(),
                relationship: top.status.clone(),
                ends_at: top.ends_at,
                auto_extend: top.auto_extend,
                roles,
            })
        })
        .collect()
}

/// What a customer's relationships say of the partner app's access, for
/// "Checking account status".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The most useful relationship's status (`None`: there is none).
    pub status: Option<String>,
    pub ends_at: Option<DateTime<Utc>>,
    pub auto_extend: bool,
    /// Why the Microsoft 365 connection is broken, when it is.
    pub broken: Option<String>,
}

/// The access the relationships of one customer give (`rels` are that
/// customer's). No clock: Graph's status says whether one is active.
pub fn access(rels: &[Relationship]) -> Access {
    let all: Vec<&Relationship> = rels.iter().collect();
    let Some(top) = best(&all) else {
        return Access {
            status: None,
            ends_at: None,
            auto_extend: false,
            broken: Some(
                "no GDAP relationship with this customer; request one in Partner Center".into(),
            ),
        };
    };
    let broken = (!grants_access(&top.status)).then(|| {
        let ended = all
            .iter()
            .filter(|r| matches!(rank(&r.status), 8 | 9))
            .filter_map(|r| r.ends_at)
            .max();
        match (top.status.as_str(), ended) {
            ("expired", Some(at)) => {
                format!("GDAP relationship expired on {}", at.format("%Y-%m-%d"))
            }
            ("terminated", Some(at)) => {
                format!("GDAP relationship terminated on {}", at.format("%Y-%m-%d"))
            }
            (status, _) => format!("no active GDAP relationship (the latest is {status})"),
        }
    });
    Access {
        status: Some(top.status.clone()),
        ends_at: top.ends_at,
        auto_extend: top.auto_extend,
        broken,
    }
}

/// The days before its end from which a relationship that does not extend
/// itself is warned of.
pub const WARN_DAYS: i64 = 30;

/// The end of an active relationship that ends within [`WARN_DAYS`] of
/// `now` (whether or not it extends itself: `summary` lists them all).
pub fn ends_within_warning(
    status: &str,
    ends_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let at = ends_at?;
    (grants_access(status) && at >= now && at - now <= Duration::days(WARN_DAYS)).then_some(at)
}

/// [`ends_within_warning`], for one that does not extend itself: the
/// check's WARN line.
pub fn ending_soon(
    status: &str,
    ends_at: Option<DateTime<Utc>>,
    auto_extend: bool,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    ends_within_warning(status, ends_at, now).filter(|_| !auto_extend)
}

/// Whether an ISO 8601 duration (`autoExtendDuration`: `P180D`, `PT0S`) is
/// other than zero.
pub fn nonzero_duration(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit() && c != '0')
}

/// Entra ID's built-in roles that GDAP relationships commonly grant, by
/// their template id (the same in every tenant).
const ROLES: &[(&str, &str)] = &[
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader"),
    (
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        "Exchange Administrator",
    ),
    (
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
        "Intune Administrator",
    ),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator"),
    (
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Helpdesk Administrator",
    ),
    (
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
    (
        "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
        "License Administrator",
    ),
    (
        "f023fd81-a637-4b56-95fd-791ac0226033",
        "Service Support Administrator",
    ),
    ("9360feb5-f418-4baa-8175-e2a00bac4301", "Directory Writers"),
    ("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "Directory Readers"),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
    ),
    (
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Security Administrator",
    ),
    ("5d6b6bb7-de71-4623-b4af-96380a352509", "Security Reader"),
    (
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        "Conditional Access Administrator",
    ),
    (
        "966707d0-3269-4727-9be2-8c3a10f19b9d",
        "Password Administrator",
    ),
    (
        "17315797-102d-40b4-93e0-432062caca18",
        "Compliance Administrator",
    ),
    (
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        "SharePoint Administrator",
    ),
    (
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
        "Teams Administrator",
    ),
    (
        "fdd7a751-b60b-444a-984c-02652fe8fa1c",
        "Groups Administrator",
    ),
    (
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        "Billing Administrator",
    ),
    (
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "Authentication Administrator",
    ),
    (
        "11648597-926c-4cf3-9c36-bcebb0ba8dcc",
        "Power Platform Administrator",
    ),
    (
        "7698a772-787b-4ac8-901f-60d6b08affd2",
        "Cloud Device Administrator",
    ),
    ("4a5d8f65-41da-4de4-8968-e035b65339cf", "Reports Reader"),
];

/// A role's built-in name, or its id when it is not one nfa knows.
pub fn role_name(id: &str) -> String {
    ROLES
        .iter()
        .find(|(i, _)| i.eq_ignore_ascii_case(id.trim()))
        .map_or_else(|| id.to_string(), |(_, n)| (*n).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(tenant: &str, status: &str, ends: Option<&str>, extend: bool) -> Relationship {
        Relationship {
            id: format!("{tenant}-{status}"),
            customer_tenant: tenant.into(),
            customer_name: format!("{tenant} Inc"),
            status: status.into(),
            ends_at: ends.map(|e| e.parse().unwrap()),
            auto_extend: extend,
            role_ids: vec!["29232cdf-9323-42fd-ade2-1d097af3e4de".into()],
        }
    }

    #[test]
    fn a_customer_is_shown_by_its_most_useful_relationship() {
        let rels = [
            rel("t1", "terminated", Some("2025-01-01T00:00:00Z"), false),
            rel("t2", "approvalPending", None, false),
            rel("t1", "expiring", Some("2026-12-10T00:00:00Z"), false),
            rel("t1", "active", Some("2027-06-01T00:00:00Z"), true),
            rel("t3", "somethingNew", None, false),
        ];
        let c = customers(&rels);
        assert_eq!(c.len(), 3);
        assert_eq!(
            (c[0].tenant_id.as_str(), c[0].relationship.as_str()),
            ("t1", "active")
        );
        assert!(c[0].auto_extend);
        assert_eq!(c[0].roles, ["Exchange Administrator"]);
        assert_eq!(c[1].relationship, "approvalPending");
        assert_eq!(c[1].ends_at, None);
        assert_eq!(
            c[2].relationship, "somethingNew",
            "an unknown status is kept"
        );
        assert!(rank("somethingNew") > rank("terminated"));
    }

    #[test]
    fn access_is_broken_without_an_active_relationship() {
        let ok = access(&[rel("t", "active", Some("2027-01-01T00:00:00Z"), false)]);
        assert_eq!(ok.broken, None);
        let gone = access(&[
            rel("t", "expired", Some("2026-11-02T10:00:00Z"), false),
            rel("t", "terminated", Some("2025-01-01T00:00:00Z"), false),
        ]);
        assert_eq!(
            gone.broken.as_deref(),
            Some("GDAP relationship expired on 2026-11-02")
        );
        assert_eq!(gone.status.as_deref(), Some("expired"));
        assert!(access(&[]).broken.unwrap().contains("no GDAP relationship"));
        assert!(
            access(&[rel("t", "approvalPending", None, false)])
                .broken
                .unwrap()
                .contains("approvalPending")
        );
    }

    #[test]
    fn an_end_within_thirty_days_without_extension_is_warned_of() {
        let now: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        let in20 = Some(now + Duration::days(20));
        assert_eq!(ending_soon("active", in20, false, now), in20);
        assert_eq!(ending_soon("expiring", in20, false, now), in20);
        assert_eq!(ending_soon("active", in20, true, now), None);
        assert_eq!(
            ending_soon("active", Some(now + Duration::days(31)), false, now),
            None
        );
        assert_eq!(ending_soon("expired", in20, false, now), None);
        assert_eq!(ending_soon("active", None, false, now), None);
    }

    #[test]
    fn durations_and_role_names() {
        assert!(nonzero_duration("P180D"));
        assert!(nonzero_duration("P1Y"));
        assert!(!nonzero_duration("PT0S"));
        assert!(!nonzero_duration("P0D"));
        assert_eq!(
            role_name("62E90394-69F5-4237-9190-012177145E10"),
            "Global Administrator"
        );
        assert_eq!(
            role_name("dd4db9a0-cc4a-4213-9f9f-70242232d97e"),
            "dd4db9a0-cc4a-4213-9f9f-70242232d97e"
        );
    }
}
