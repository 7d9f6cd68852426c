//! Reading the AD cache of an account.

use super::Db;
use super::sql::args;
use crate::domain::ids::AccountId;
use crate::domain::tenant::{DirGroup, DirUser};
use anyhow::Result;

impl<M> Db<'_, M> {
    /// The cached users of an account, by display name, streamed to `f`.
    pub fn for_each_ad_user(
        &self,
        account_id: AccountId,
        mut f: impl FnMut(DirUser) -> Result<()>,
    ) -> Result<()> {
        self.conn.for_each(
            "SELECT id, display_name, upn, enabled FROM ad_users WHERE account_id = ?1
             ORDER BY lower(display_name) NULLS LAST, id",
            args![account_id],
            |r| {
                f(DirUser {
                    id: r.get(0)?,
                    display_name: r.get(1)?,
                    upn: r.get(2)?,
                    enabled: Some(r.get(3)?),
                })
            },
        )
    }

    /// The cached groups of an account, by display name, streamed to `f`.
    pub fn for_each_ad_group(
        &self,
        account_id: AccountId,
        mut f: impl FnMut(DirGroup) -> Result<()>,
    ) -> Result<()> {
        self.conn.for_each(
            "SELECT id, display_name FROM ad_groups WHERE account_id = ?1
             ORDER BY lower(display_name) NULLS LAST, id",
            args![account_id],
            |r| {
                f(DirGroup {
                    id: r.get(0)?,
                    display_name: r.get(1)?,
                })
            },
        )
    }
}
