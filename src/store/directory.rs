//! Reading the AD cache of an account.

use super::Db;
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
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, display_name, upn, enabled FROM ad_users WHERE account_id = ?1
             ORDER BY display_name COLLATE NOCASE, id",
        )?;
        let mut rows = stmt.query([account_id])?;
        while let Some(r) = rows.next()? {
            f(DirUser {
                id: r.get(0)?,
                display_name: r.get(1)?,
                upn: r.get(2)?,
                enabled: Some(r.get(3)?),
            })?;
        }
        Ok(())
    }

    /// The cached groups of an account, by display name, streamed to `f`.
    pub fn for_each_ad_group(
        &self,
        account_id: AccountId,
        mut f: impl FnMut(DirGroup) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, display_name FROM ad_groups WHERE account_id = ?1
             ORDER BY display_name COLLATE NOCASE, id",
        )?;
        let mut rows = stmt.query([account_id])?;
        while let Some(r) = rows.next()? {
            f(DirGroup {
                id: r.get(0)?,
                display_name: r.get(1)?,
            })?;
        }
        Ok(())
    }
}
