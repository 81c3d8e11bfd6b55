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
//!
//! **Accounts.** A name from the galley or git config (`user.name`) is a display name, not an
//! override: it may differ from the OS account. But once it names a user of the workspace, it
//! counts only from the OS account tied to that user (`account:NAME` in the workspace
//! settings), so nobody becomes a reviewer by writing their name in a config file. The first
//! admin is tied to the account that created them; `galley user add NAME --account A` ties
//! others (a user whose name is their account name needs no tie).

use std::path::Path;

use serde_json::json;

use crate::domain::people::{Role, User, check_label, check_user_name, normalize_groups};
use crate::store::{Store, Tx};

use super::{Result, Workspace, WorkspaceError, now};

/// The `workspace_meta` key of the identity-override setting (`on` or `off`).
const OVERRIDE_KEY: &str = "allow_identity_override";

/// The settings key tying a user to the OS account they act from.
fn account_key(user: &str) -> String {
    format!("account:{user}")
}

/// Whether `user`, acting from OS account `os_user`, is who they say: their own account name,
/// or a name tied to that account.
fn bound_to(tx: &Tx<'_>, user: &str, os_user: &str) -> Result<bool> {
    Ok(user == os_user || tx.setting(&account_key(user))?.as_deref() == Some(os_user))
}

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
        if let Some(os) = os_user {
            let tx = store.read();
            if tx.user_count()? > 0 && !override_allowed(&tx)? && !bound_to(&tx, user, os)? {
                if overridden {
                    return Err(WorkspaceError::IdentityOverride {
                        user: user.to_string(),
                        os_user: os.to_string(),
                    });
                }
                if tx.user(user)?.is_some() {
                    return Err(WorkspaceError::IdentityNotYours {
                        user: user.to_string(),
                        os_user: os.to_string(),
                    });
                }
            }
        } else if overridden {
            let tx = store.read();
            if tx.user_count()? > 0 && !override_allowed(&tx)? {
                return Err(WorkspaceError::IdentityOverride {
                    user: user.to_string(),
                    os_user: "unknown".to_string(),
                });
            }
        }
        Ok(Self {
            store,
            user: user.to_string(),
            account: os_user.map(str::to_string),
            signer: Default::default(),
            render_budget: Default::default(),
            import_limits: Default::default(),
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
        self.add_user_with_account(name, role, groups, None)
    }

    /// [`Workspace::add_user`], tying the user to the OS account `account` they act from when
    /// their name is not their account name.
    pub fn add_user_with_account(
        &mut self,
        name: &str,
        role: Role,
        groups: &[String],
        account: Option<&str>,
    ) -> Result<User> {
        let name = name.trim();
        let account = account.map(str::trim).filter(|a| !a.is_empty());
        let my_account = self.account.clone();
        check_user_name(name).map_err(WorkspaceError::Refused)?;
        let groups = checked_groups(groups)?;
        let actor = self.user.clone();
        self.store.write(|tx| {
            let at = now();
            let first = tx.user_count()? == 0;
            let (role, account) = if first && name == actor {
                (Role::Admin, account.or(my_account.as_deref()))
            } else {
                require_admin(tx, &actor, my_account.as_deref(), &at, "add users")?;
                (role, account)
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
            let account = account.filter(|a| *a != name);
            if let Some(account) = account {
                tx.set_setting(&account_key(name), account)?;
            }
            let mut details = json!({"role": user.role, "groups": user.groups});
            if let Some(account) = account {
                details["account"] = json!(account);
            }
            tx.append_audit(&actor, &at, "user.add", name, &details)?;
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
        let account = self.account.clone();
        let verb = if grant { "grant" } else { "revoke" };
        self.store.write(|tx| {
            let at = now();
            require_admin(
                tx,
                &actor,
                account.as_deref(),
                &at,
                &format!("{verb} roles or groups"),
            )?;
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
        let account = self.account.clone();
        self.store.write(|tx| {
            let at = now();
            require_admin(
                tx,
                &actor,
                account.as_deref(),
                &at,
                "change the identity-override setting",
            )?;
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
/// `account` is the OS account the actor runs as: the first admin is tied to it.
pub(super) fn require_admin(
    tx: &Tx<'_>,
    actor: &str,
    account: Option<&str>,
    at: &str,
    action: &str,
) -> Result<()> {
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
        let account = account.filter(|a| *a != actor);
        if let Some(account) = account {
            tx.set_setting(&account_key(actor), account)?;
        }
        let mut details = json!({"role": Role::Admin, "groups": [], "first_admin": true});
        if let Some(account) = account {
            details["account"] = json!(account);
        }
        tx.append_audit(actor, at, "user.add", actor, &details)?;
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
