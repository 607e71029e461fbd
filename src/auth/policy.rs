//! The access policy, in one place. A user acts on their scope unit's subtree
//! and nothing else; a role guard alone is not enough (a query that forgets
//! its scope leaks data), so list queries can only be built from a [`Scope`],
//! which only this module hands out, and single-row reads and writes pass
//! through [`authorize`] with the target's unit path.

use super::{Actor, Role};
use crate::db::Backend;
use crate::error::{AppError, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Villages, organisations and unit details in scope.
    ViewGeography,
    /// Create, edit, deactivate and import villages and organisations.
    EditGeography,
    /// Search the audit log.
    ViewAudit,
    /// Accounts: list, create, change role or scope, disable, reset passwords.
    ManageUsers,
    /// Record and correct activities, festival days, coordination programmes
    /// and covenants of units in scope.
    RecordActivity,
    /// Record awards and the service records the Kỷ niệm chương is judged on.
    RecordAward,
    /// Import, version and withdraw criteria sets (they bind the whole country).
    ManageCriteria,
    /// Prepare assessments of villages, communes and organisations in scope:
    /// judge criteria, attach evidence, submit, correct after approval.
    PrepareAssessment,
    /// Return, approve and recognise assessments whose deciding unit is in scope.
    DecideAssessment,
    /// Read and triage the tip-offs of units in scope; open a reporter's
    /// identity with a written reason.
    HandleTips,
}

impl Action {
    pub fn min_role(self) -> Role {
        match self {
            Action::ViewGeography => Role::Viewer,
            Action::EditGeography => Role::Officer,
            Action::ViewAudit => Role::Reviewer,
            Action::ManageUsers => Role::Admin,
            Action::RecordActivity | Action::RecordAward => Role::Officer,
            Action::ManageCriteria => Role::Admin,
            Action::PrepareAssessment => Role::Officer,
            Action::DecideAssessment => Role::Reviewer,
            Action::HandleTips => Role::Officer,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Action::ViewGeography => "xem dữ liệu địa bàn",
            Action::EditGeography => "thêm hoặc sửa thôn, tổ dân phố, cơ quan, doanh nghiệp, trường học",
            Action::ViewAudit => "xem nhật ký thao tác",
            Action::ManageUsers => "quản lý tài khoản",
            Action::RecordActivity => "ghi nhận hoạt động của phong trào",
            Action::RecordAward => "ghi nhận khen thưởng",
            Action::ManageCriteria => "quản lý bộ tiêu chí",
            Action::PrepareAssessment => "lập bản đánh giá",
            Action::DecideAssessment => "xét duyệt, công nhận kết quả đánh giá",
            Action::HandleTips => "xử lý tin báo, tố giác",
        }
    }

    /// Reads outside scope answer "not found" so that they reveal nothing;
    /// writes outside scope say plainly that the unit is not the user's.
    fn is_read(self) -> bool {
        matches!(self, Action::ViewGeography | Action::ViewAudit)
    }
}

pub fn require_role(actor: &Actor, action: Action) -> Result<()> {
    if actor.role < action.min_role() {
        return Err(AppError::Forbidden(format!(
            "Vai trò \"{}\" không được phép {}.",
            actor.role.label(),
            action.describe()
        )));
    }
    Ok(())
}

/// Checks role and scope for one target, given the target's unit path.
pub fn authorize(actor: &Actor, action: Action, target_path: &str) -> Result<()> {
    require_role(actor, action)?;
    if in_subtree(&actor.scope_path, target_path) {
        return Ok(());
    }
    if action.is_read() {
        Err(AppError::not_found())
    } else {
        Err(AppError::Forbidden(format!(
            "Đơn vị này nằm ngoài phạm vi của bạn ({}).",
            actor.scope_name
        )))
    }
}

/// Checks role and scope for an act the law gives to one unit: the actor's
/// scope must be that unit itself, not an ancestor of it. A village is
/// recognised by its commune (Thông tư 124/2021/TT-BCA Điều 10), so neither
/// the province nor the ministry decides in the commune's place.
pub fn authorize_as_unit(
    actor: &Actor,
    action: Action,
    unit_code: &str,
    unit_name: &str,
    target_path: &str,
) -> Result<()> {
    authorize(actor, action, target_path)?;
    if actor.scope_code != unit_code {
        return Err(AppError::Forbidden(format!(
            "Việc này thuộc thẩm quyền của {unit_name}; tài khoản của bạn thuộc {}.",
            actor.scope_name
        )));
    }
    Ok(())
}

/// Whether the actor may hand a record at `target_path` to a user of role
/// `role` and scope `scope_path`: an officer or above whose scope holds the
/// record, itself inside the actor's scope.
pub fn may_take_on(actor: &Actor, role: Option<Role>, scope_path: &str, target_path: &str) -> bool {
    role.is_some_and(|r| r >= Role::Officer)
        && in_subtree(scope_path, target_path)
        && in_subtree(&actor.scope_path, scope_path)
}

/// A unit page may be opened inside the scope and on the way down to it
/// (the nation and province above a commune officer), so navigation works;
/// the page of an ancestor shows only what lies inside the scope.
pub fn can_open_unit(actor: &Actor, unit_path: &str) -> bool {
    in_subtree(&actor.scope_path, unit_path) || in_subtree(unit_path, &actor.scope_path)
}

/// A unit of the pre-2025 map may be opened when every unit of today it
/// became lies inside the scope: its figures, counted inside the scope, are
/// then the old unit's whole figures and not a part passed off as them.
pub fn can_open_legacy_unit(actor: &Actor, successor_paths: &[String]) -> bool {
    !successor_paths.is_empty() && successor_paths.iter().all(|p| in_subtree(&actor.scope_path, p))
}

fn in_subtree(root: &str, path: &str) -> bool {
    path.starts_with(root)
}

/// Proof that the policy allowed a list read, carrying the subtree it may see.
/// Queries bind [`Scope::like`] against the row's `scope_path`.
#[derive(Clone, Debug)]
pub struct Scope {
    prefix: String,
    /// On the pre-2025 map: the old unit's path, matched against the
    /// records' `legacy_path` as well as the actor's scope on `scope_path`.
    legacy: Option<String>,
}

impl Scope {
    pub fn new(actor: &Actor, action: Action) -> Result<Scope> {
        require_role(actor, action)?;
        Ok(Scope {
            prefix: actor.scope_path.clone(),
            legacy: None,
        })
    }

    /// Narrows the scope to a unit below it (the unit being browsed). A unit
    /// above the scope leaves it unchanged; a unit beside it is refused.
    pub fn narrow(&self, unit_path: &str) -> Result<Scope> {
        if in_subtree(&self.prefix, unit_path) {
            Ok(Scope {
                prefix: unit_path.to_string(),
                legacy: self.legacy.clone(),
            })
        } else if in_subtree(unit_path, &self.prefix) {
            Ok(self.clone())
        } else {
            Err(AppError::not_found())
        }
    }

    /// The same scope counted on the pre-2025 map, inside the old unit at
    /// `legacy_path`: a record counts when it is in the actor's scope today
    /// and lay in that unit then. Access stays decided by `scope_path`.
    pub fn on_legacy_map(&self, legacy_path: &str) -> Scope {
        Scope {
            prefix: self.prefix.clone(),
            legacy: Some(legacy_path.to_string()),
        }
    }

    /// The subtree of today's map this scope reads (for the roll-up, which
    /// matches the same prefixes as [`Scope::like`] in memory).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// On the pre-2025 map, the old unit's path.
    pub fn legacy_prefix(&self) -> Option<&str> {
        self.legacy.as_deref()
    }

    pub fn is_legacy(&self) -> bool {
        self.legacy.is_some()
    }

    /// The LIKE pattern for `scope_path` columns. Paths end in '/', and
    /// codes contain no LIKE wildcards, so a prefix match is exactly the subtree.
    ///
    /// On the pre-2025 map it is `scope%|legacy%`, to be matched against
    /// [`Scope::path_expr`]; against a bare `scope_path` (a query not made
    /// for that map) it matches nothing, so such a query fails closed.
    pub fn like(&self) -> String {
        match &self.legacy {
            None => format!("{}%", self.prefix),
            Some(old) => format!("{}%|{old}%", self.prefix),
        }
    }

    /// What [`Scope::like`] is matched against for a table with `alias.`
    /// (or "" for none): `scope_path`, or on the pre-2025 map the record's
    /// today's path and old path joined by '|' (which no path contains, so
    /// each half of the pattern matches its own path).
    pub fn path_expr(&self, alias: &str) -> String {
        match self.legacy {
            None => format!("{alias}scope_path"),
            Some(_) => format!("({alias}scope_path || '|' || COALESCE({alias}legacy_path, ''))"),
        }
    }

    /// The era of the map counted and the LIKE pattern for `units.path` on
    /// it: the reference units are public, so on the pre-2025 map they are
    /// the old unit's whole subtree.
    pub fn units_like(&self) -> (&'static str, String) {
        match &self.legacy {
            None => ("current", format!("{}%", self.prefix)),
            Some(old) => ("legacy", format!("{old}%")),
        }
    }

    /// The column that places a record on the map being counted.
    pub fn place_column(&self, alias: &str) -> String {
        match self.legacy {
            None => format!("{alias}scope_path"),
            Some(_) => format!("{alias}legacy_path"),
        }
    }

    pub fn contains(&self, path: &str) -> bool {
        in_subtree(&self.prefix, path)
    }

    /// The paths [`Scope::like`] matches on today's map, as a half-open
    /// range in byte order: `[prefix, prefix with its last byte raised)`,
    /// which an index on `scope_path` can seek where SQLite scans for a
    /// LIKE. Byte order is SQLite's BINARY collation, not PostgreSQL's
    /// locale order, so only SQLite's statements use it. `None` on the old
    /// map (matched through `legacy_path`).
    pub fn range(&self) -> Option<(String, String)> {
        if self.legacy.is_some() {
            return None;
        }
        // Paths are ASCII ('/', digits, letters), so the raised last byte
        // is a character and every path under the prefix sorts below it.
        let mut upper = self.prefix.clone().into_bytes();
        let last = upper.pop().filter(|b| *b < 0x7f)?;
        upper.push(last + 1);
        Some((self.prefix.clone(), String::from_utf8(upper).ok()?))
    }

    /// The condition that `column` (a today's-map `scope_path`) lies in the
    /// scope, with the values of its parameters, numbered from `$first`:
    /// on SQLite the range of [`Scope::range`], which the column's index
    /// seeks (a LIKE made SQLite read the whole table: a commune's 300 tips
    /// among a million took 1 s, the range well under 1 ms); on
    /// PostgreSQL, or on the old map, the LIKE of [`Scope::like`].
    pub fn condition(&self, backend: Backend, column: &str, first: usize) -> (String, Vec<String>) {
        match (backend, self.range()) {
            (Backend::Sqlite, Some((lo, hi))) => (
                format!("{column} >= ${first} AND {column} < ${}", first + 1),
                vec![lo, hi],
            ),
            _ => (format!("{column} LIKE ${first}"), vec![self.like()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn officer_of_khong_lao() -> Actor {
        Actor {
            role: Role::Officer,
            scope_code: "03583".into(),
            scope_name: "Xã Khổng Lào".into(),
            scope_path: "/VN/12/03583/".into(),
            ..Actor::system()
        }
    }

    #[test]
    fn officer_edits_inside_only() {
        let a = officer_of_khong_lao();
        assert!(authorize(&a, Action::EditGeography, "/VN/12/03583/").is_ok());
        let outside = authorize(&a, Action::EditGeography, "/VN/14/03820/").unwrap_err();
        assert_eq!(outside.status(), 403);
        let read_outside = authorize(&a, Action::ViewGeography, "/VN/14/03820/").unwrap_err();
        assert_eq!(read_outside.status(), 404);
        assert!(authorize(&a, Action::ManageUsers, "/VN/12/03583/").is_err());
    }

    #[test]
    fn a_scope_range_holds_exactly_the_paths_its_like_matches() {
        let s = Scope::new(&officer_of_khong_lao(), Action::ViewGeography).unwrap();
        let (lo, hi) = s.range().unwrap();
        assert_eq!((lo.as_str(), hi.as_str()), ("/VN/12/03583/", "/VN/12/035830"));
        let inside = |p: &str| lo.as_str() <= p && p < hi.as_str();
        for p in ["/VN/12/03583/", "/VN/12/03583/xyz/", "/VN/12/03583/9"] {
            assert!(inside(p) && s.contains(p), "{p}");
        }
        assert_eq!(
            s.condition(Backend::Sqlite, "t.scope_path", 2),
            (
                "t.scope_path >= $2 AND t.scope_path < $3".to_string(),
                vec![lo.clone(), hi.clone()]
            )
        );
        assert_eq!(
            s.condition(Backend::Postgres, "t.scope_path", 1),
            ("t.scope_path LIKE $1".to_string(), vec![s.like()])
        );
        for p in [
            "/VN/12/03583",
            "/VN/12/035830/",
            "/VN/12/03584/",
            "/VN/12/0358/",
            "/VN/12/",
            "",
        ] {
            assert!(!inside(p) && !s.contains(p), "{p}");
        }
    }

    #[test]
    fn scope_prefix_does_not_leak_to_similar_codes() {
        let reviewer = Actor {
            scope_path: "/VN/12/".into(),
            role: Role::Reviewer,
            ..Actor::system()
        };
        let scope = Scope::new(&reviewer, Action::ViewGeography).unwrap();
        assert!(scope.contains("/VN/12/03583/"));
        assert!(!scope.contains("/VN/120/"));
        assert!(scope.narrow("/VN/14/").is_err());
        assert_eq!(scope.narrow("/VN/").unwrap().like(), "/VN/12/%");
    }

    #[test]
    fn a_unit_act_is_the_unit_s_own() {
        let commune = Actor {
            role: Role::Reviewer,
            ..officer_of_khong_lao()
        };
        let province = Actor {
            role: Role::Reviewer,
            scope_code: "12".into(),
            scope_path: "/VN/12/".into(),
            ..Actor::system()
        };
        let act = |a: &Actor| {
            authorize_as_unit(
                a,
                Action::DecideAssessment,
                "03583",
                "Xã Khổng Lào",
                "/VN/12/03583/",
            )
        };
        assert!(act(&commune).is_ok());
        assert_eq!(act(&province).unwrap_err().status(), 403);
        assert_eq!(act(&officer_of_khong_lao()).unwrap_err().status(), 403);
    }

    #[test]
    fn ancestors_can_be_opened_for_navigation() {
        let a = officer_of_khong_lao();
        assert!(can_open_unit(&a, "/VN/"));
        assert!(can_open_unit(&a, "/VN/12/"));
        assert!(!can_open_unit(&a, "/VN/14/"));
    }
}
