//! Board columns (SPEC §8): each is a saved ticket filter with a sort, owned by one user.
use crate::{ChannelKind, TicketState, ValidationError};
use serde::{Deserialize, Serialize};

/// Whose tickets a column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssigneeChoice {
    /// Every ticket, assigned or not.
    #[default]
    Any,
    /// Only unassigned tickets.
    None,
    /// Only tickets assigned to the column's owner.
    Me,
    /// Tickets assigned to one of `assignee_ids`.
    Users,
}

/// Order of a column's tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnSort {
    /// Most recently updated first.
    #[default]
    UpdatedDesc,
    /// Least recently updated first (who has waited longest).
    UpdatedAsc,
    CreatedDesc,
    CreatedAsc,
}

impl ColumnSort {
    pub const ALL: [ColumnSort; 4] =
        [ColumnSort::UpdatedDesc, ColumnSort::UpdatedAsc, ColumnSort::CreatedDesc, ColumnSort::CreatedAsc];
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnSort::UpdatedDesc => "updated_desc",
            ColumnSort::UpdatedAsc => "updated_asc",
            ColumnSort::CreatedDesc => "created_desc",
            ColumnSort::CreatedAsc => "created_asc",
        }
    }
    pub fn parse(s: &str, field: &str) -> Result<Self, ValidationError> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| {
            ValidationError::new(
                field,
                "must be one of: updated_desc, updated_asc, created_desc, created_asc",
            )
        })
    }
    /// Sorted by creation time (otherwise by update time).
    pub fn by_created(self) -> bool {
        matches!(self, ColumnSort::CreatedDesc | ColumnSort::CreatedAsc)
    }
    pub fn descending(self) -> bool {
        matches!(self, ColumnSort::UpdatedDesc | ColumnSort::CreatedDesc)
    }
}

/// The saved filter of a ticket column. Unset options do not filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnFilter {
    #[serde(default = "open")]
    pub state: TicketState,
    #[serde(default)]
    pub addressed: Option<bool>,
    #[serde(default)]
    pub awaiting_answer: Option<bool>,
    #[serde(default)]
    pub important: Option<bool>,
    /// Only tickets waiting longer than their account's SLA.
    #[serde(default)]
    pub overdue: bool,
    #[serde(default)]
    pub kinds: Vec<ChannelKind>,
    #[serde(default)]
    pub account_ids: Vec<i64>,
    #[serde(default)]
    pub assignee: AssigneeChoice,
    #[serde(default)]
    pub assignee_ids: Vec<i64>,
    /// Matches the client's name or any identity (email, phone, handle), case-insensitively.
    #[serde(default)]
    pub client: Option<String>,
    /// Tickets carrying every one of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Creation/update ranges, as dates `YYYY-MM-DD` (inclusive, UTC).
    #[serde(default)]
    pub created_from: Option<String>,
    #[serde(default)]
    pub created_to: Option<String>,
    #[serde(default)]
    pub updated_from: Option<String>,
    #[serde(default)]
    pub updated_to: Option<String>,
    #[serde(default)]
    pub sort: ColumnSort,
}

fn open() -> TicketState {
    TicketState::Open
}

impl Default for ColumnFilter {
    fn default() -> Self {
        Self {
            state: TicketState::Open,
            addressed: None,
            awaiting_answer: None,
            important: None,
            overdue: false,
            kinds: vec![],
            account_ids: vec![],
            assignee: AssigneeChoice::Any,
            assignee_ids: vec![],
            client: None,
            tags: vec![],
            created_from: None,
            created_to: None,
            updated_from: None,
            updated_to: None,
            sort: ColumnSort::UpdatedDesc,
        }
    }
}

/// Longest column name, in characters.
pub const MAX_NAME: usize = 60;
/// Most columns on one board.
pub const MAX_COLUMNS: usize = 12;

impl ColumnFilter {
    /// Checks the filter's own consistency; names the offending field.
    pub fn validate(&mut self) -> Result<(), ValidationError> {
        if self.assignee == AssigneeChoice::Users && self.assignee_ids.is_empty() {
            return Err(ValidationError::new("assignee_ids", "choose at least one agent"));
        }
        if self.assignee != AssigneeChoice::Users {
            self.assignee_ids.clear();
        }
        self.client = self.client.take().map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        if self.client.as_ref().is_some_and(|c| c.chars().count() > 200) {
            return Err(ValidationError::new("client", "must be at most 200 characters"));
        }
        self.tags = self.tags.iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect();
        if self.tags.len() > 20 {
            return Err(ValidationError::new("tags", "at most 20 tags"));
        }
        for (field, v) in [
            ("created_from", &mut self.created_from),
            ("created_to", &mut self.created_to),
            ("updated_from", &mut self.updated_from),
            ("updated_to", &mut self.updated_to),
        ] {
            *v = v.take().map(|d| d.trim().to_string()).filter(|d| !d.is_empty());
            if let Some(d) = v {
                d.parse::<jiff::civil::Date>()
                    .map_err(|_| ValidationError::new(field, "must be a date YYYY-MM-DD"))?;
            }
        }
        for (from, to, field) in [
            (&self.created_from, &self.created_to, "created_to"),
            (&self.updated_from, &self.updated_to, "updated_to"),
        ] {
            if let (Some(a), Some(b)) = (from, to)
                && b < a
            {
                return Err(ValidationError::new(field, "must not be before the start of the range"));
            }
        }
        self.account_ids.sort_unstable();
        self.account_ids.dedup();
        self.assignee_ids.sort_unstable();
        self.assignee_ids.dedup();
        self.kinds.sort_by_key(|k| k.as_str());
        self.kinds.dedup();
        Ok(())
    }

    /// Microsecond bounds `[from, to)` of a date range (UTC days), if any.
    pub fn range_micros(from: &Option<String>, to: &Option<String>) -> (Option<i64>, Option<i64>) {
        let day = |d: &String, next: bool| -> Option<i64> {
            let date: jiff::civil::Date = d.parse().ok()?;
            let date = if next { date.tomorrow().ok()? } else { date };
            let ts =
                jiff::tz::TimeZone::UTC.to_timestamp(date.to_datetime(jiff::civil::Time::midnight())).ok()?;
            Some(ts.as_microsecond())
        };
        (from.as_ref().and_then(|d| day(d, false)), to.as_ref().and_then(|d| day(d, true)))
    }
}

/// Checks a column name: 1 to [`MAX_NAME`] characters after trimming.
pub fn column_name(name: &str) -> Result<String, ValidationError> {
    let n = name.trim();
    if n.is_empty() {
        return Err(ValidationError::new("name", "must not be empty"));
    }
    if name.chars().any(|c| c.is_control() || crate::is_bidi_control(c)) {
        return Err(ValidationError::new("name", "must not contain control or text-direction characters"));
    }
    if n.chars().count() > MAX_NAME {
        return Err(ValidationError::new("name", format!("must be at most {MAX_NAME} characters")));
    }
    Ok(n.to_string())
}

/// Which recommended flow an empty board starts from (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// The agent's own tickets (new ones unassigned or theirs).
    Mine,
    /// The whole team's tickets (for admins).
    Team,
}

/// The three recommended columns: new (open, not addressed), addressed and awaiting an
/// answer, addressed and not awaiting one. Names are keys for the UI's translations.
pub fn recommended(flow: Flow) -> Vec<(&'static str, ColumnFilter)> {
    let assignee = match flow {
        Flow::Mine => AssigneeChoice::Me,
        Flow::Team => AssigneeChoice::Any,
    };
    let base = ColumnFilter { assignee, ..ColumnFilter::default() };
    vec![
        ("column.new", ColumnFilter { addressed: Some(false), sort: ColumnSort::UpdatedAsc, ..base.clone() }),
        (
            "column.awaiting",
            ColumnFilter {
                addressed: Some(true),
                awaiting_answer: Some(true),
                sort: ColumnSort::UpdatedAsc,
                ..base.clone()
            },
        ),
        ("column.answered", ColumnFilter { addressed: Some(true), awaiting_answer: Some(false), ..base }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_and_defaults() {
        let f: ColumnFilter = serde_json::from_str("{}").unwrap();
        assert_eq!(f, ColumnFilter::default());
        let f: ColumnFilter = serde_json::from_str(
            r#"{"state":"closed","assignee":"me","kinds":["api"],"sort":"created_asc"}"#,
        )
        .unwrap();
        assert_eq!(
            (f.state, f.assignee, f.sort),
            (TicketState::Closed, AssigneeChoice::Me, ColumnSort::CreatedAsc)
        );
        let back: ColumnFilter = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        assert_eq!(back, f);
        assert!(serde_json::from_str::<ColumnFilter>(r#"{"stat":"open"}"#).is_err());
    }

    #[test]
    fn validation_names_the_field() {
        let mut f = ColumnFilter { assignee: AssigneeChoice::Users, ..Default::default() };
        assert_eq!(f.validate().unwrap_err().field, "assignee_ids");
        let mut f = ColumnFilter { created_from: Some("2026-13-01".into()), ..Default::default() };
        assert_eq!(f.validate().unwrap_err().field, "created_from");
        let mut f = ColumnFilter {
            updated_from: Some("2026-05-02".into()),
            updated_to: Some("2026-05-01".into()),
            ..Default::default()
        };
        assert_eq!(f.validate().unwrap_err().field, "updated_to");
        let mut f = ColumnFilter {
            client: Some("  ".into()),
            tags: vec![" vip ".into(), "".into()],
            ..Default::default()
        };
        f.validate().unwrap();
        assert_eq!((f.client, f.tags), (None, vec!["vip".to_string()]));
        assert_eq!(column_name("  ").unwrap_err().field, "name");
        assert_eq!(column_name(&"x".repeat(61)).unwrap_err().field, "name");
    }

    #[test]
    fn date_ranges_cover_whole_days() {
        let (a, b) = ColumnFilter::range_micros(&Some("2026-01-01".into()), &Some("2026-01-01".into()));
        assert_eq!(b.unwrap() - a.unwrap(), 86_400_000_000);
        assert_eq!(a.unwrap(), 1_767_225_600_000_000);
    }

    #[test]
    fn recommended_flows_make_three_columns() {
        let mine = recommended(Flow::Mine);
        assert_eq!(mine.len(), 3);
        assert!(mine.iter().all(|(_, f)| f.assignee == AssigneeChoice::Me && f.state == TicketState::Open));
        assert_eq!(mine[0].1.addressed, Some(false));
        assert_eq!((mine[1].1.addressed, mine[1].1.awaiting_answer), (Some(true), Some(true)));
        assert!(recommended(Flow::Team).iter().all(|(_, f)| f.assignee == AssigneeChoice::Any));
    }
}
