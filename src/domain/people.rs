//! Who may do what in a workspace: users, their role and their free-form groups.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a user may do. Each user has exactly one role; reviewers and admins may also review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Writes and commits prompts.
    Author,
    /// Also reviews other people's versions.
    Reviewer,
    /// Also manages users, environments and policies.
    Admin,
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Role; 3] = [Role::Author, Role::Reviewer, Role::Admin];

    /// The role's name as written on the command line and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Author => "author",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("unknown role `{s}` (use author, reviewer or admin)"))
    }
}

/// A user of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// Free-form groups (`compliance`, `legal`, ...), sorted, without duplicates.
    pub groups: Vec<String>,
    pub created_at: String,
    pub created_by: String,
}

impl User {
    /// Whether the user manages users, environments and policies.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Checks a user name: 1 to 64 letters, digits, `.`, `_`, `-` or `@` (OS account names and
/// e-mail-like names fit; spaces do not, so names stay one shell word).
pub fn check_user_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid user name `{name}`: use 1 to 64 letters, digits, `.`, `_`, `-` or `@`"
        ))
    }
}

/// Checks a group or environment name: a lowercase letter, then lowercase letters, digits, `-`
/// or `_`, at most 40 characters.
pub fn check_label(what: &str, name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'))
        && name.len() <= 40;
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid {what} name `{name}`: start with a lowercase letter, then use lowercase \
             letters, digits, `-` or `_` (at most 40)"
        ))
    }
}

/// `groups` trimmed, sorted and without duplicates.
pub fn normalize_groups(groups: &[String]) -> Vec<String> {
    let mut out: Vec<String> = groups.iter().map(|g| g.trim().to_string()).collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_print() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("Admin".parse::<Role>(), Ok(Role::Admin));
        assert!(
            "approver"
                .parse::<Role>()
                .unwrap_err()
                .contains("author, reviewer or admin")
        );
    }

    #[test]
    fn names_are_checked() {
        for good in ["alice", "bob.smith", "ci-bot", "a@b.c", "Ada_1"] {
            assert!(check_user_name(good).is_ok(), "{good}");
        }
        for bad in ["", "two words", "x/y"] {
            assert!(check_user_name(bad).is_err(), "{bad:?}");
        }
        for good in ["compliance", "prod-eu", "qa_2"] {
            assert!(check_label("group", good).is_ok(), "{good}");
        }
        for bad in ["", "Legal", "1st", "a b", "-x"] {
            assert!(check_label("group", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn groups_are_normalized() {
        let groups = vec![" legal".to_string(), "compliance".into(), "legal".into()];
        assert_eq!(normalize_groups(&groups), vec!["compliance", "legal"]);
    }
}
