//! Reading the directory through Graph's delta queries: pages followed from
//! `@odata.nextLink` to the `@odata.deltaLink` that starts the next read,
//! entries applied in order as Microsoft documents them, and a full sync
//! again when Graph no longer knows the delta token.

use super::GraphSource;
use super::auth::Token;
use crate::domain::tenant::{DirGroup, DirUser, DirectoryRead, DirectorySync};
use crate::process::Cancel;
use crate::source::SourceError;
use crate::source::endpoints::graph_url;
use crate::source::http::{Answer, Reply};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A read carried beside the directory's first batch (`(id, URL after
/// /v1.0)`), and where its answer is kept.
pub(super) type Beside<'a> = (Option<(&'a str, &'a str)>, &'a mut Option<Answer>);

/// Where the next directory read starts: the delta links of Graph.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Cursor {
    users: String,
    groups: String,
}

/// One page of a delta query.
#[derive(Deserialize)]
pub(super) struct Page {
    #[serde(default)]
    pub value: Vec<Entry>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink", default)]
    pub delta_link: Option<String>,
}

/// A user or a group of a delta page: what changed, or `@removed`.
#[derive(Deserialize)]
pub(super) struct Entry {
    #[serde(default)]
    id: Option<String>,
    #[serde(rename = "@removed", default)]
    removed: Option<serde::de::IgnoredAny>,
    #[serde(rename = "displayName", default)]
    display_name: Option<String>,
    #[serde(rename = "userPrincipalName", default)]
    upn: Option<String>,
    #[serde(rename = "accountEnabled", default)]
    enabled: Option<bool>,
}

/// Why a run of delta pages stopped.
pub(super) enum PageError {
    /// Graph no longer knows the delta token: start over with a full sync.
    Resync,
    Source(SourceError),
}

impl From<SourceError> for PageError {
    fn from(e: SourceError) -> Self {
        PageError::Source(e)
    }
}

/// The entries of a delta run and the link for the next run.
pub(super) struct Pages {
    pub items: Vec<Entry>,
    pub delta_link: String,
}

const USERS_SELECT: &str = "$select=id,displayName,userPrincipalName,accountEnabled";
const GROUPS_SELECT: &str = "$select=id,displayName";

impl GraphSource {
    /// The directory: changes since `cursor` where Graph still knows it,
    /// else a full copy.
    /// `beside`: a read to carry in the first batch, and where its answer
    /// goes ([`GraphSource::batch_pages`]).
    pub(super) fn read_delta(
        &self,
        cursor: Option<&str>,
        beside: Beside<'_>,
        token: &Token,
        cancel: &Cancel,
    ) -> Result<DirectoryRead, SourceError> {
        let Some(cursor) = cursor.and_then(|c| serde_json::from_str::<Cursor>(c).ok()) else {
            return self.full_sync(beside, token, cancel);
        };
        let (read, answer) = beside;
        let delta = self.batch_pages(
            [
                ("users", "User.Read.All", cursor.users.clone()),
                ("groups", "Group.Read.All", cursor.groups.clone()),
            ],
            read,
            answer,
            token,
            cancel,
        );
        match delta {
            Ok([users, groups]) => {
                let next = Cursor {
                    users: users.delta_link,
                    groups: groups.delta_link,
                };
                let (users, removed_users) = split_users(users.items);
                let (groups, removed_groups) = split_groups(groups.items);
                Ok(DirectoryRead {
                    sync: DirectorySync::Delta {
                        users,
                        groups,
                        removed_users,
                        removed_groups,
                    },
                    cursor: serde_json::to_string(&next).ok(),
                })
            }
            Err(PageError::Resync) => {
                // The read beside went out already (its answer is kept, or
                // the check asks again).
                let again = read.filter(|_| answer.is_none());
                self.full_sync((again, answer), token, cancel)
            }
            Err(PageError::Source(e)) => Err(e),
        }
    }

    fn full_sync(
        &self,
        (read, answer): Beside<'_>,
        token: &Token,
        cancel: &Cancel,
    ) -> Result<DirectoryRead, SourceError> {
        let base = graph_url();
        let [users, groups] = unresync(self.batch_pages(
            [
                (
                    "users",
                    "User.Read.All",
                    format!("{base}/v1.0/users/delta?{USERS_SELECT}"),
                ),
                (
                    "groups",
                    "Group.Read.All",
                    format!("{base}/v1.0/groups/delta?{GROUPS_SELECT}"),
                ),
            ],
            read,
            answer,
            token,
            cancel,
        ))?;
        let cursor = Cursor {
            users: users.delta_link,
            groups: groups.delta_link,
        };
        let (users, _) = split_users(users.items);
        let (groups, _) = split_groups(groups.items);
        Ok(DirectoryRead {
            sync: DirectorySync::Full { users, groups },
            cursor: serde_json::to_string(&cursor).ok(),
        })
    }
}

/// A full sync starts without a token: Graph cannot ask to resync it.
fn unresync<T>(r: Result<T, PageError>) -> Result<T, SourceError> {
    r.map_err(|e| match e {
        PageError::Resync => {
            SourceError::Failed("Microsoft Graph asked to resync a full sync".to_string())
        }
        PageError::Source(e) => e,
    })
}

/// Whether a 4xx from a delta link means "the delta token is no longer
/// valid" (Graph's `syncStateNotFound`, `resyncRequired`, …).
pub(super) fn resync_code(reply: &Reply) -> bool {
    let code = reply.error_code().unwrap_or_default().to_ascii_lowercase();
    [
        "syncstatenotfound",
        "resyncrequired",
        "syncstateinvalid",
        "invaliddeltatoken",
    ]
    .iter()
    .any(|c| code.contains(c))
}

/// The objects of a delta run added or changed, and the ids of those
/// removed (`@removed`). Entries are applied in order, as Graph documents:
/// the same object may come several times, each time with what changed
/// (`merge` folds a later entry into an earlier one), and the last word on
/// an id wins: an object removed and then restored is kept, one sent and
/// then removed is dropped.
fn split<T>(
    items: Vec<Entry>,
    make: impl Fn(String, Entry) -> T,
    merge: impl Fn(&mut T, T),
) -> (Vec<T>, Vec<String>) {
    let mut order: Vec<(String, Option<T>)> = vec![];
    let mut at: HashMap<String, usize> = HashMap::new();
    for e in items {
        let Some(id) = e.id.clone() else {
            continue;
        };
        let entry = e.removed.is_none().then(|| make(id.clone(), e));
        match at.get(&id) {
            None => {
                at.insert(id.clone(), order.len());
                order.push((id, entry));
            }
            Some(&i) => match (&mut order[i].1, entry) {
                (Some(earlier), Some(later)) => merge(earlier, later),
                (slot, later) => *slot = later,
            },
        }
    }
    let mut kept = vec![];
    let mut removed = vec![];
    for (id, entry) in order {
        match entry {
            Some(t) => kept.push(t),
            None => removed.push(id),
        }
    }
    (kept, removed)
}

fn split_users(items: Vec<Entry>) -> (Vec<DirUser>, Vec<String>) {
    split(
        items,
        |id, e| DirUser {
            id,
            display_name: e.display_name,
            upn: e.upn,
            enabled: e.enabled,
        },
        |a, b| {
            a.display_name = b.display_name.or(a.display_name.take());
            a.upn = b.upn.or(a.upn.take());
            a.enabled = b.enabled.or(a.enabled);
        },
    )
}

fn split_groups(items: Vec<Entry>) -> (Vec<DirGroup>, Vec<String>) {
    split(
        items,
        |id, e| DirGroup {
            id,
            display_name: e.display_name,
        },
        |a, b| a.display_name = b.display_name.or(a.display_name.take()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(v: serde_json::Value) -> Vec<Entry> {
        serde_json::from_value::<Page>(serde_json::json!({ "value": v }))
            .unwrap()
            .value
    }

    #[test]
    fn removed_entries_are_told_apart() {
        let items = entries(serde_json::json!([
            {"id": "u1", "displayName": "Ada", "accountEnabled": true},
            {"id": "u2", "@removed": {"reason": "deleted"}},
            {"displayName": "no id"},
        ]));
        let (users, removed) = split_users(items);
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].enabled, Some(true));
        assert_eq!(users[0].upn, None);
        assert_eq!(removed, ["u2"]);
    }

    #[test]
    fn delta_entries_apply_in_order_and_the_last_word_wins() {
        let items = entries(serde_json::json!([
            {"id": "u1", "@removed": {"reason": "deleted"}},
            {"id": "u2", "displayName": "Bo", "accountEnabled": true},
            {"id": "u1", "displayName": "Ada restored"},
            {"id": "u2", "@removed": {"reason": "deleted"}},
            {"id": "u3", "displayName": "Cy"},
            {"id": "u3", "accountEnabled": false},
        ]));
        let (users, removed) = split_users(items);
        let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["u1", "u3"], "u1 restored, u2 removed last");
        assert_eq!(removed, ["u2"]);
        assert_eq!(users[0].display_name.as_deref(), Some("Ada restored"));
        assert_eq!(users[1].display_name.as_deref(), Some("Cy"), "merged");
        assert_eq!(users[1].enabled, Some(false));
    }
}
