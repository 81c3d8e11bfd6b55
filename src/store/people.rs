//! Users, environments, their policies, and workspace settings kept in `workspace_meta`.

use rusqlite::{OptionalExtension, params};

use crate::domain::people::{Role, User};
use crate::domain::policy::Policy;

use super::{StoreError, Tx};

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

type RawUser = (String, String, String, String, String);

fn user_from_raw(
    (name, role, groups, created_at, created_by): RawUser,
) -> Result<User, StoreError> {
    Ok(User {
        role: role
            .parse::<Role>()
            .map_err(|e| corrupt(&format!("user {name}"), e))?,
        groups: serde_json::from_str(&groups)
            .map_err(|e| corrupt(&format!("groups of user {name}"), e))?,
        name,
        created_at,
        created_by,
    })
}

impl Tx<'_> {
    /// How many users the workspace has.
    pub fn user_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// One user, if known.
    pub fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        let raw: Option<RawUser> = self
            .conn
            .prepare_cached(
                "SELECT name, role, groups, created_at, created_by FROM users WHERE name = ?1",
            )?
            .query_row([name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        raw.map(user_from_raw).transpose()
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, role, groups, created_at, created_by FROM users ORDER BY name",
        )?;
        let raws = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<Vec<RawUser>, _>>()?;
        raws.into_iter().map(user_from_raw).collect()
    }

    /// Inserts or replaces a user's row.
    pub fn put_user(&self, user: &User) -> Result<(), StoreError> {
        let groups = serde_json::to_string(&user.groups).expect("groups serialise");
        self.conn
            .prepare_cached(
                "INSERT INTO users (name, role, groups, created_at, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (name) DO UPDATE SET role = excluded.role, groups = excluded.groups",
            )?
            .execute(params![
                user.name,
                user.role.as_str(),
                groups,
                user.created_at,
                user.created_by
            ])?;
        Ok(())
    }

    /// How many users have `role`.
    pub fn count_role(&self, role: Role) -> Result<u64, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM users WHERE role = ?1",
            [role.as_str()],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Every environment's name, in display order.
    pub fn environments(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name FROM environments ORDER BY position, name")?;
        let names = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(names)
    }

    /// Adds an environment after the others, with `policy`.
    pub fn insert_environment(
        &self,
        name: &str,
        policy: &Policy,
        at: &str,
        by: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO environments (name, position, created_at)
             VALUES (?1, (SELECT COALESCE(max(position), 0) + 1 FROM environments), ?2)",
            params![name, at],
        )?;
        self.put_policy(name, policy, at, by)
    }

    /// An environment's policy; `None` when there is no such environment.
    pub fn policy(&self, env: &str) -> Result<Option<Policy>, StoreError> {
        let text: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT p.policy FROM environments e JOIN policies p ON p.env = e.name
                 WHERE e.name = ?1",
            )?
            .query_row([env], |r| r.get(0))
            .optional()?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| corrupt(&format!("policy of {env}"), e)))
            .transpose()
    }

    /// When an environment's policy was last set; `None` when there is no such environment.
    pub fn policy_updated_at(&self, env: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT updated_at FROM policies WHERE env = ?1")?
            .query_row([env], |r| r.get(0))
            .optional()?)
    }

    /// Sets an environment's policy.
    pub fn put_policy(
        &self,
        env: &str,
        policy: &Policy,
        at: &str,
        by: &str,
    ) -> Result<(), StoreError> {
        let text = serde_json::to_string(policy).expect("a policy serialises");
        self.conn
            .prepare_cached(
                "INSERT INTO policies (env, policy, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (env) DO UPDATE SET policy = excluded.policy,
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            )?
            .execute(params![env, text, at, by])?;
        Ok(())
    }

    /// A workspace setting from `workspace_meta`.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM workspace_meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// Sets a workspace setting in `workspace_meta`.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO workspace_meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key, value])?;
        Ok(())
    }
}
