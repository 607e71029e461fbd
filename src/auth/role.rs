use serde::{Deserialize, Serialize};

/// Roles are ordered: each can do everything the one before it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Officer,
    Reviewer,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Officer, Role::Reviewer, Role::Admin];

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Some(Role::Viewer),
            "officer" => Some(Role::Officer),
            "reviewer" => Some(Role::Reviewer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Officer => "officer",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Người xem",
            Role::Officer => "Cán bộ nhập liệu",
            Role::Reviewer => "Cán bộ thẩm định",
            Role::Admin => "Quản trị hệ thống",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Viewer < Role::Officer);
        assert!(Role::Officer < Role::Reviewer);
        assert!(Role::Reviewer < Role::Admin);
        assert_eq!(Role::parse("Officer"), Some(Role::Officer));
        assert_eq!(Role::parse("root"), None);
    }
}
