//! Business hours (SPEC §6): named schedules with time blocks per weekday, a time zone
//! and holidays. "Inside hours now?" and "next opening", correct across midnight, DST
//! changes and holidays.
//!
//! Decisions: a block is `[start, end)` in local wall-clock time; a block whose end is not
//! after its start crosses midnight and belongs to the day it starts on (a holiday removes
//! the blocks that start on it, including their part after midnight). During a DST
//! fall-back the repeated hour is inside hours both times; a block starting in a
//! spring-forward gap opens when the clocks have moved on.
use crate::ValidationError;
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The wire form of a schedule (SPEC §11.1): `{name, time_zone, days: {mon: [["09:00","18:00"]], …}, holidays: ["2026-12-25"]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub name: String,
    pub time_zone: String,
    #[serde(default)]
    pub days: BTreeMap<String, Vec<[String; 2]>>,
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// A checked schedule, ready for arithmetic.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub tz: TimeZone,
    /// Blocks per weekday, Monday first.
    pub days: [Vec<(Time, Time)>; 7],
    pub holidays: Vec<Date>,
}

const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn day_index(w: Weekday) -> usize {
    w.to_monday_zero_offset() as usize
}

impl Schedule {
    /// Checks a schedule; errors name the field (`days.mon[1]`, `holidays[0]`, `time_zone`).
    pub fn parse(input: &ScheduleInput) -> Result<Schedule, ValidationError> {
        crate::name_text(&input.name, "name", 120)?;
        let tz = TimeZone::get(input.time_zone.trim()).map_err(|_| {
            ValidationError::new("time_zone", "must be an IANA time zone like America/Santiago")
        })?;
        let mut days: [Vec<(Time, Time)>; 7] = Default::default();
        for (key, blocks) in &input.days {
            let Some(i) = DAY_KEYS.iter().position(|d| d == key) else {
                return Err(ValidationError::new(
                    format!("days.{key}"),
                    "days are mon, tue, wed, thu, fri, sat, sun",
                ));
            };
            if blocks.len() > 10 {
                return Err(ValidationError::new(format!("days.{key}"), "at most 10 blocks per day"));
            }
            for (j, [a, b]) in blocks.iter().enumerate() {
                let field = format!("days.{key}[{j}]");
                let parse = |s: &str| -> Result<Time, ValidationError> {
                    let t: Time = format!("{}:00", s.trim())
                        .parse()
                        .map_err(|_| ValidationError::new(field.clone(), "times are HH:MM"))?;
                    Ok(t)
                };
                let (start, end) = (parse(a)?, parse(b)?);
                if start == end {
                    return Err(ValidationError::new(
                        field,
                        "a block must not start and end at the same time",
                    ));
                }
                days[i].push((start, end));
            }
            days[i].sort();
        }
        let mut holidays = Vec::new();
        for (j, h) in input.holidays.iter().enumerate() {
            holidays.push(
                h.trim().parse::<Date>().map_err(|_| {
                    ValidationError::new(format!("holidays[{j}]"), "must be a date YYYY-MM-DD")
                })?,
            );
        }
        holidays.sort();
        holidays.dedup();
        Ok(Schedule { tz, days, holidays })
    }

    fn blocks(&self, d: Date) -> &[(Time, Time)] {
        if self.holidays.binary_search(&d).is_ok() { &[] } else { &self.days[day_index(d.weekday())] }
    }

    /// Whether `at` falls inside business hours.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let local = self.tz.to_datetime(at);
        let (d, t) = (local.date(), local.time());
        let today = self.blocks(d).iter().any(|&(s, e)| if s < e { s <= t && t < e } else { s <= t });
        let from_yesterday =
            d.yesterday().map(|y| self.blocks(y).iter().any(|&(s, e)| e <= s && t < e)).unwrap_or(false);
        today || from_yesterday
    }

    /// The first instant at or after `at` inside business hours (`at` itself when open);
    /// `None` when the schedule has no hours in the next 400 days.
    pub fn next_opening(&self, at: Timestamp) -> Option<Timestamp> {
        if self.is_open(at) {
            return Some(at);
        }
        let start = self.tz.to_datetime(at).date();
        let mut d = start;
        for _ in 0..400 {
            let mut best: Option<Timestamp> = None;
            for &(s, _) in self.blocks(d) {
                let Ok(ts) = self.tz.to_ambiguous_timestamp(DateTime::from_parts(d, s)).compatible() else {
                    continue;
                };
                // A block wholly inside a DST gap never happens that day.
                if ts > at && self.is_open(ts) && best.is_none_or(|b| ts < b) {
                    best = Some(ts);
                }
            }
            if best.is_some() {
                return best;
            }
            d = d.tomorrow().ok()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(tz: &str, days: &[(&str, &[(&str, &str)])], holidays: &[&str]) -> Schedule {
        Schedule::parse(&ScheduleInput {
            name: "x".into(),
            time_zone: tz.into(),
            days: days
                .iter()
                .map(|(k, b)| {
                    (k.to_string(), b.iter().map(|(a, z)| [a.to_string(), z.to_string()]).collect())
                })
                .collect(),
            holidays: holidays.iter().map(|h| h.to_string()).collect(),
        })
        .unwrap()
    }

    fn at(tz: &str, local: &str) -> Timestamp {
        let dt: DateTime = local.parse().unwrap();
        TimeZone::get(tz).unwrap().to_ambiguous_timestamp(dt).compatible().unwrap()
    }

    const WEEK: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    #[test]
    fn inside_and_next_opening_on_a_split_day() {
        let tz = "Europe/Madrid";
        let days: Vec<(&str, &[(&str, &str)])> =
            WEEK[..5].iter().map(|d| (*d, &[("09:00", "13:00"), ("14:00", "18:00")][..])).collect();
        let s = schedule(tz, &days, &["2026-12-25"]);
        assert!(s.is_open(at(tz, "2026-11-24T09:00")));
        assert!(!s.is_open(at(tz, "2026-11-24T13:00")));
        assert_eq!(s.next_opening(at(tz, "2026-11-24T13:30")), Some(at(tz, "2026-11-24T14:00")));
        // Friday evening → Monday morning.
        assert_eq!(s.next_opening(at(tz, "2026-11-27T18:00")), Some(at(tz, "2026-11-30T09:00")));
        // Christmas (a Friday) is a holiday.
        assert!(!s.is_open(at(tz, "2026-12-25T10:00")));
        assert_eq!(s.next_opening(at(tz, "2026-12-24T19:00")), Some(at(tz, "2026-12-28T09:00")));
    }

    #[test]
    fn blocks_across_midnight_belong_to_their_first_day() {
        let tz = "America/Santiago";
        let s = schedule(tz, &[("fri", &[("22:00", "02:00")])], &["2026-12-04"]);
        assert!(s.is_open(at(tz, "2026-11-27T23:00")));
        assert!(s.is_open(at(tz, "2026-11-28T01:59")), "Saturday 01:59 is Friday's block");
        assert!(!s.is_open(at(tz, "2026-11-28T02:00")));
        assert!(
            !s.is_open(at(tz, "2026-12-05T01:00")),
            "the holiday Friday's block is off after midnight too"
        );
        assert_eq!(s.next_opening(at(tz, "2026-12-04T12:00")), Some(at(tz, "2026-12-11T22:00")));
    }

    #[test]
    fn dst_changes_in_santiago_and_madrid() {
        // Madrid springs forward on 2026-03-29 at 02:00 → 03:00.
        let tz = "Europe/Madrid";
        let s = schedule(tz, &[("sun", &[("02:30", "04:00")])], &[]);
        let o = s.next_opening(at(tz, "2026-03-29T00:00")).unwrap();
        assert_eq!(
            TimeZone::get(tz).unwrap().to_datetime(o).time(),
            Time::constant(3, 30, 0, 0),
            "opens when clocks have moved on"
        );
        // A block wholly inside the gap does not happen that day.
        let s = schedule(tz, &[("sun", &[("02:10", "02:40")])], &[]);
        let o = s.next_opening(at(tz, "2026-03-29T00:00")).unwrap();
        assert_eq!(TimeZone::get(tz).unwrap().to_datetime(o).date(), "2026-04-05".parse::<Date>().unwrap());
        // Santiago falls back on 2026-04-05 at 00:00 → 23:00 of the 4th: the repeated hour is open twice.
        let tz = "America/Santiago";
        let s = schedule(tz, &[("sat", &[("23:00", "23:59")])], &[]);
        let first = at(tz, "2026-04-04T23:30");
        assert!(s.is_open(first));
        assert!(s.is_open(first + jiff::SignedDuration::from_hours(1)), "the same wall-clock hour again");
    }

    #[test]
    fn bad_schedules_name_the_field() {
        let bad = |tz: &str, days: &[(&str, [&str; 2])], hol: &[&str]| {
            Schedule::parse(&ScheduleInput {
                name: "x".into(),
                time_zone: tz.into(),
                days: days
                    .iter()
                    .map(|(k, b)| (k.to_string(), vec![[b[0].to_string(), b[1].to_string()]]))
                    .collect(),
                holidays: hol.iter().map(|h| h.to_string()).collect(),
            })
            .unwrap_err()
            .field
        };
        assert_eq!(bad("Mars/Olympus", &[], &[]), "time_zone");
        assert_eq!(bad("UTC", &[("funday", ["09:00", "10:00"])], &[]), "days.funday");
        assert_eq!(bad("UTC", &[("mon", ["9am", "10:00"])], &[]), "days.mon[0]");
        assert_eq!(bad("UTC", &[("mon", ["10:00", "10:00"])], &[]), "days.mon[0]");
        assert_eq!(bad("UTC", &[], &["2026-02-30"]), "holidays[0]");
    }

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
        }
    }

    /// For random schedules and instants around the DST changes of both zones: the next
    /// opening is open, never before `at`, equal to `at` when open, and nothing in between
    /// is open.
    #[test]
    fn property_next_opening_is_the_first_open_instant() {
        let mut r = Rng(0xA076_1D64_78BD_642F);
        for tz in ["America/Santiago", "Europe/Madrid"] {
            for _ in 0..150 {
                let mut days = BTreeMap::new();
                for key in WEEK {
                    let mut blocks = vec![];
                    for _ in 0..r.below(3) {
                        let (a, b) = (r.below(24 * 4) * 15, r.below(24 * 4) * 15);
                        if a != b {
                            blocks.push([
                                format!("{:02}:{:02}", a / 60, a % 60),
                                format!("{:02}:{:02}", b / 60, b % 60),
                            ]);
                        }
                    }
                    days.insert(key.to_string(), blocks);
                }
                let holidays = (0..r.below(3))
                    .map(|_| format!("2026-{:02}-{:02}", 1 + r.below(12), 1 + r.below(28)))
                    .collect();
                let s = Schedule::parse(&ScheduleInput {
                    name: "p".into(),
                    time_zone: tz.into(),
                    days,
                    holidays,
                })
                .unwrap();
                for _ in 0..20 {
                    // Instants through 2026, where both zones change their clocks twice.
                    let t = Timestamp::from_second(1_767_225_600 + r.below(365 * 86_400) as i64).unwrap();
                    match s.next_opening(t) {
                        None => assert!(
                            s.days.iter().all(Vec::is_empty)
                                || (0..200).all(|k| !s.is_open(t + jiff::SignedDuration::from_mins(k * 97)))
                        ),
                        Some(o) => {
                            assert!(o >= t);
                            assert!(s.is_open(o), "{tz}: next opening {o} is not open");
                            if s.is_open(t) {
                                assert_eq!(o, t);
                            }
                            let span = (o - t).as_secs();
                            for _ in 0..30 {
                                if span <= 1 {
                                    break;
                                }
                                let mid = t + jiff::SignedDuration::from_secs(r.below(span as u64) as i64);
                                assert!(
                                    !s.is_open(mid),
                                    "{tz}: {mid} is open before the next opening {o} (from {t})"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
