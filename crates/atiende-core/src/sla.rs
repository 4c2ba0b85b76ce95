//! Service level (SPEC §4.1): how long a client may wait for an answer before the ticket is
//! overdue.
use crate::ValidationError;
use crate::time::Micros;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sla {
    pub amount: i64,
    pub unit: SlaUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaUnit {
    Seconds,
    Minutes,
    Hours,
}

/// Longest SLA accepted: 30 days.
const MAX_SECONDS: i64 = 30 * 24 * 3600;

impl Sla {
    /// Reads `settings.sla` (`{amount, unit}`); absent or null means no SLA.
    pub fn from_settings(settings: &Value) -> Result<Option<Sla>, ValidationError> {
        let Some(v) = settings.get("sla").filter(|v| !v.is_null()) else { return Ok(None) };
        let Some(obj) = v.as_object() else {
            return Err(ValidationError::new("settings.sla", "must be an object {amount, unit}"));
        };
        if let Some(k) = obj.keys().find(|k| *k != "amount" && *k != "unit") {
            return Err(ValidationError::new(
                format!("settings.sla.{k}"),
                "unknown field; expected amount and unit",
            ));
        }
        let amount = obj.get("amount").and_then(Value::as_i64).filter(|a| *a >= 1).ok_or_else(|| {
            ValidationError::new("settings.sla.amount", "must be a whole number of at least 1")
        })?;
        let unit = match obj.get("unit").and_then(Value::as_str) {
            Some("seconds") => SlaUnit::Seconds,
            Some("minutes") => SlaUnit::Minutes,
            Some("hours") => SlaUnit::Hours,
            _ => {
                return Err(ValidationError::new(
                    "settings.sla.unit",
                    "must be one of: seconds, minutes, hours",
                ));
            }
        };
        let sla = Sla { amount, unit };
        if sla.seconds() > MAX_SECONDS {
            return Err(ValidationError::new("settings.sla.amount", "the SLA must be at most 30 days"));
        }
        Ok(Some(sla))
    }

    pub fn seconds(self) -> i64 {
        self.amount.saturating_mul(match self.unit {
            SlaUnit::Seconds => 1,
            SlaUnit::Minutes => 60,
            SlaUnit::Hours => 3600,
        })
    }

    pub fn micros(self) -> Micros {
        self.seconds() * 1_000_000
    }

    /// A ticket waiting since `waiting_since` is overdue at `now` when it has waited longer
    /// than the SLA.
    pub fn overdue(self, waiting_since: Option<Micros>, now: Micros) -> bool {
        waiting_since.is_some_and(|w| now - w > self.micros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_and_checks_the_sla() {
        assert_eq!(Sla::from_settings(&json!({})).unwrap(), None);
        assert_eq!(Sla::from_settings(&json!({"sla": null})).unwrap(), None);
        let s = Sla::from_settings(&json!({"sla": {"amount": 15, "unit": "minutes"}})).unwrap().unwrap();
        assert_eq!(s.seconds(), 900);
        assert!(!s.overdue(Some(0), 900_000_000));
        assert!(s.overdue(Some(0), 900_000_001));
        assert!(!s.overdue(None, i64::MAX / 2));
        let field = |v: Value| Sla::from_settings(&json!({ "sla": v })).unwrap_err().field;
        assert_eq!(field(json!({"amount": 0, "unit": "hours"})), "settings.sla.amount");
        assert_eq!(field(json!({"amount": "5", "unit": "hours"})), "settings.sla.amount");
        assert_eq!(field(json!({"amount": 5, "unit": "days"})), "settings.sla.unit");
        assert_eq!(field(json!({"amount": 5})), "settings.sla.unit");
        assert_eq!(field(json!({"amount": 721, "unit": "hours"})), "settings.sla.amount");
        assert_eq!(field(json!({"amount": 5, "unit": "hours", "x": 1})), "settings.sla.x");
        assert_eq!(field(json!(5)), "settings.sla");
    }
}
