//! Users, roles and groups, and who may act as whom.
//!
//! **The first admin.** A new workspace has no users, and while it has none, anyone may manage
//! it (so solo use, tests and CI need no setup). The first user-management command (`user add`,
//! `grant`, `revoke`, `override`, `env add`, `policy set`) records the user running it as the
//! workspace's first admin, with its own audit entry, in the same transaction as the change.
//! `galley init` records nothing, so an untouched workspace keeps an empty audit log.
//!
//! **Identity override.** `--user`/`GALLEY_USER` naming someone other than the OS account is
//! allowed while the workspace has no users; once it has any, only when an admin has turned the
//! `allow_identity_override` setting on (`galley user override on`), so that on a shared host
//! nobody approves as someone else.

use std::path::Path;

use serde_json::json;

use crate::domain::people::{Role, User, check_label, check_user_name, normalize_groups};
use crate::store::{Store, Tx};

use super::{Result, Workspace, WorkspaceError, now};

/// The `workspace_meta` key of the identity-override setting (`on` or `off`).
const OVERRIDE_KEY: &str = "allow_identity_override";

/// A role or a group, granted to or revoked from a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Role(Role),
    Group(String),
}

impl Workspace {
    /// Opens the workspace like [`Workspace::open`], acting as `user`. `overridden` says that
    /// `user` came from `--user`/`GALLEY_USER` and is not the OS account `os_user`: that is
    /// refused once the workspace has users, unless an admin allowed overrides.
    pub fn open_as(
        path: &Path,
        user: &str,
        overridden: bool,
        os_user: Option<&str>,
    ) -> Result<Self> {
        let store = Store::open(path)?;
        if overridden {
            let tx = store.read();
            if tx.user_count()? > 0 && !override_allowed(&tx)? {
                return Err(WorkspaceError::IdentityOverride {
                    user: user.to_string(),
                    os_user: os_user.unwrap_or("unknown").to_string(),
                });
            }
        }
        Ok(Self {
            store,
            user: user.to_string(),
        })
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>> {
        Ok(self.store.read().users()?)
    }

    /// Whether `--user`/`GALLEY_USER` may name someone other than the OS account.
    pub fn identity_override_allowed(&self) -> Result<bool> {
        override_allowed(&self.store.read())
    }

    /// Adds a user (admins only). When the workspace has no users yet, the acting user becomes
    /// its first admin; if that is the user being added, they are added as admin.
    pub fn add_user(&mut self, name: &str, role: Role, groups: &[String]) -> Result<User> {
        let name = name.trim();
        check_user_name(name).map_err(WorkspaceError::Refused)?;
        let groups = checked_groups(groups)?;
        let actor = self.user.clone();
        self.store.write(|tx| {
            let at = now();
            let first = tx.user_count()? == 0;
            let role = if first && name == actor {
                Role::Admin
            } else {
                require_admin(tx, &actor, &at, "add users")?;
                role
            };
            if tx.user(name)?.is_some() {
                return Err(WorkspaceError::Refused(format!(
                    "user {name} already exists (change them with `galley user grant`)"
                )));
            }
            let user = User {
                name: name.to_string(),
                role,
                groups,
                created_at: at.clone(),
                created_by: actor.clone(),
            };
            tx.put_user(&user)?;
            tx.append_audit(
                &actor,
                &at,
                "user.add",
                name,
                &json!({"role": user.role, "groups": user.groups}),
            )?;
            Ok(user)
        })
    }

    /// Gives a user a role (replacing their role) or adds a group (admins only).
    pub fn grant(&mut self, name: &str, access: &Access) -> Result<User> {
        self.change_access(name, access, true)
    }

    /// Takes a role back (the user becomes an author) or removes a group (admins only). The
    /// last admin's role cannot be revoked.
    pub fn revoke(&mut self, name: &str, access: &Access) -> Result<User> {
        self.change_access(name, access, false)
    }

    fn change_access(&mut self, name: &str, access: &Access, grant: bool) -> Result<User> {
        if let Access::Group(g) = access {
            check_label("group", g).map_err(WorkspaceError::Refused)?;
        }
        let actor = self.user.clone();
        let verb = if grant { "grant" } else { "revoke" };
        self.store.write(|tx| {
            let at = now();
            require_admin(tx, &actor, &at, &format!("{verb} roles or groups"))?;
            let mut user = tx.user(name)?.ok_or_else(|| unknown_user(name))?;
            let before = user.clone();
            match (access, grant) {
                (Access::Role(role), true) => {
                    if user.role == Role::Admin && *role != Role::Admin {
                        last_admin_check(tx, &user)?;
                    }
                    user.role = *role;
                }
                (Access::Role(role), false) => {
                    if user.role != *role {
                        return Err(WorkspaceError::Refused(format!(
                            "{name} is {} {}, not {} {role}",
                            article(user.role),
                            user.role,
                            article(*role)
                        )));
                    }
                    if *role == Role::Author {
                        return Err(WorkspaceError::Refused(format!(
                            "author is the base role: grant {name} another role instead"
                        )));
                    }
                    if *role == Role::Admin {
                        last_admin_check(tx, &user)?;
                    }
                    user.role = Role::Author;
                }
                (Access::Group(group), true) => {
                    user.groups.push(group.clone());
                    user.groups = normalize_groups(&user.groups);
                }
                (Access::Group(group), false) => {
                    if !user.groups.contains(group) {
                        return Err(WorkspaceError::Refused(format!(
                            "{name} is not in group {group}"
                        )));
                    }
                    user.groups.retain(|g| g != group);
                }
            }
            if user == before {
                return Ok(user);
            }
            tx.put_user(&user)?;
            let what = match access {
                Access::Role(r) => json!({"role": r}),
                Access::Group(g) => json!({"group": g}),
            };
            tx.append_audit(
                &actor,
                &at,
                &format!("user.{verb}"),
                name,
                &json!({"change": what, "role": user.role, "groups": user.groups}),
            )?;
            Ok(user)
        })
    }

    /// Turns the identity-override setting on or off (admins only).
    pub fn set_identity_override(&mut self, on: bool) -> Result<()> {
        let actor = self.user.clone();
        self.store.write(|tx| {
            let at = now();
            require_admin(tx, &actor, &at, "change the identity-override setting")?;
            if override_allowed(tx)? == on {
                return Ok(());
            }
            tx.set_setting(OVERRIDE_KEY, if on { "on" } else { "off" })?;
            tx.append_audit(
                &actor,
                &at,
                "settings.identity_override",
                OVERRIDE_KEY,
                &json!({"on": on}),
            )?;
            Ok(())
        })
    }
}

fn override_allowed(tx: &Tx<'_>) -> Result<bool> {
    Ok(tx.setting(OVERRIDE_KEY)?.as_deref() == Some("on"))
}

/// Refuses `actor` unless they are an admin. A workspace with no users has no admin yet: the
/// actor becomes the first one, with an audit entry of its own.
pub(super) fn require_admin(tx: &Tx<'_>, actor: &str, at: &str, action: &str) -> Result<()> {
    if tx.user_count()? == 0 {
        check_user_name(actor).map_err(|e| {
            WorkspaceError::Refused(format!("cannot make you the first admin: {e}"))
        })?;
        let user = User {
            name: actor.to_string(),
            role: Role::Admin,
            groups: Vec::new(),
            created_at: at.to_string(),
            created_by: actor.to_string(),
        };
        tx.put_user(&user)?;
        tx.append_audit(
            actor,
            at,
            "user.add",
            actor,
            &json!({"role": Role::Admin, "groups": [], "first_admin": true}),
        )?;
        return Ok(());
    }
    match tx.user(actor)? {
        Some(user) if user.is_admin() => Ok(()),
        _ => {
            let admins: Vec<String> = tx
                .users()?
                .into_iter()
                .filter(User::is_admin)
                .map(|u| u.name)
                .collect();
            Err(WorkspaceError::NotAdmin {
                user: actor.to_string(),
                action: action.to_string(),
                admins: admins.join(", "),
            })
        }
    }
}

fn last_admin_check(tx: &Tx<'_>, user: &User) -> Result<()> {
    if tx.count_role(Role::Admin)? <= 1 {
        return Err(WorkspaceError::Refused(format!(
            "{} is the last admin: make someone else admin first",
            user.name
        )));
    }
    Ok(())
}

fn unknown_user(name: &str) -> WorkspaceError {
    WorkspaceError::Refused(format!(
        "no user {name} in this workspace (see `galley user list`)"
    ))
}

fn article(role: Role) -> &'static str {
    match role {
        Role::Admin | Role::Author => "an",
        Role::Reviewer => "a",
    }
}

fn checked_groups(groups: &[String]) -> Result<Vec<String>> {
    let groups = normalize_groups(groups);
    for g in &groups {
        check_label("group", g).map_err(WorkspaceError::Refused)?;
    }
    Ok(groups)
}
