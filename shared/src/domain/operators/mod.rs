//! Operators (SPEC §12): named people of a tenant who sign in to the
//! console, each with a role (viewer, approver, admin) and a credential
//! stored only as a hash. What a role may do is one table here, so every
//! page and form asks the same question.

pub mod password;
pub mod session;

use serde::{Deserialize, Serialize};

/// An operator's role, from least to most trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads every page of its tenant; changes nothing.
    Viewer,
    /// Also approves, rejects and edits drafts, and answers replies.
    Approver,
    /// Also pauses and resumes, edits config, campaigns and suppressions,
    /// erases people and manages operators.
    Admin,
}

/// What an operator asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    View,
    ApproveDrafts,
    EditDrafts,
    ReplyToLeads,
    MarkLeadOutcome,
    PauseAndResume,
    EmergencyStop,
    EditConfig,
    EditCampaigns,
    EditSuppressions,
    ResolveInDoubt,
    ErasePerson,
    ManageOperators,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Some(Role::Viewer),
            "approver" => Some(Role::Approver),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The least role that may do `action`.
    pub fn needed_for(action: Action) -> Role {
        use Action::*;
        match action {
            View => Role::Viewer,
            ApproveDrafts | EditDrafts | ReplyToLeads | MarkLeadOutcome => Role::Approver,
            PauseAndResume | EmergencyStop | EditConfig | EditCampaigns | EditSuppressions
            | ResolveInDoubt | ErasePerson | ManageOperators => Role::Admin,
        }
    }

    /// May an operator with this role do `action`?
    pub fn may(self, action: Action) -> bool {
        self >= Role::needed_for(action)
    }
}

/// An operator as stored (its credential only as a PHC hash string).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operator {
    pub tenant: String,
    /// The sign-in name: 3-64 characters of a-z, 0-9, '.', '_', '-', '@'.
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Display for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}, {})",
            self.display_name,
            self.login,
            self.role.as_str()
        )
    }
}

/// Checks a sign-in name, naming what is wrong.
pub fn check_login(login: &str) -> Result<String, String> {
    let l = login.trim().to_ascii_lowercase();
    if !(3..=64).contains(&l.len()) {
        return Err("a login is 3-64 characters".into());
    }
    if !l
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b))
    {
        return Err("a login uses a-z, 0-9, '.', '_', '-' and '@' only".into());
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_do_what_its_rank_allows_and_no_more() {
        assert!(Role::Viewer.may(Action::View));
        assert!(!Role::Viewer.may(Action::ApproveDrafts));
        assert!(Role::Approver.may(Action::ApproveDrafts));
        assert!(Role::Approver.may(Action::ReplyToLeads));
        assert!(!Role::Approver.may(Action::PauseAndResume));
        assert!(!Role::Approver.may(Action::ErasePerson));
        for a in [
            Action::PauseAndResume,
            Action::EmergencyStop,
            Action::ErasePerson,
            Action::ManageOperators,
            Action::ApproveDrafts,
        ] {
            assert!(Role::Admin.may(a), "{a:?}");
        }
        assert_eq!(Role::parse(" Approver "), Some(Role::Approver));
        assert_eq!(Role::parse("owner"), None);
    }

    #[test]
    fn logins_are_checked_and_folded() {
        assert_eq!(check_login(" Sam.Rivera@Acme ").unwrap(), "sam.rivera@acme");
        assert!(check_login("ab").is_err());
        assert!(check_login("sam rivera").unwrap_err().contains("a-z"));
    }
}
