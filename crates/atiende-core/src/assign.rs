//! Automatic assignment (SPEC §7) as a pure decision: who gets a ticket, or why it waits.
//! The store gathers the facts in the same transaction that applies the decision.
use crate::time::Micros;
use serde::{Deserialize, Serialize};

/// How an account shares its tickets among eligible agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignMode {
    /// The eligible agent who has gone longest without receiving a ticket (equitable work).
    #[default]
    ArrivalOrder,
    /// The eligible agent with the fewest tickets awaiting their answer (competitive work).
    AwaitingAnswer,
}

/// An agent enabled on the ticket's account, with what the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub user_id: i64,
    pub active: bool,
    /// Their connection status is assignable.
    pub assignable: bool,
    /// Their mode on the account is `auto` (manual agents only get tickets by hand).
    pub auto: bool,
    /// Open tickets assigned to them now.
    pub open: i64,
    /// Their cap of open tickets, if any.
    pub cap: Option<i64>,
    /// Open tickets of theirs whose last message is the client's.
    pub awaiting: i64,
    /// When they last received a ticket (by any rule or by hand).
    pub last_assigned_at: Option<Micros>,
}

impl Candidate {
    pub fn eligible(&self) -> bool {
        self.active && self.assignable && self.auto && self.cap.is_none_or(|c| self.open < c)
    }
}

/// Why a decision was taken; stored in the assignment history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Assign {
        user_id: i64,
        rule: Rule,
    },
    /// No one can take it now: it waits in the queue, for this reason.
    Wait(WaitReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Relationship,
    ArrivalOrder,
    AwaitingAnswer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// No agent has auto-assignment on this account.
    NoAutoAgent,
    /// Agents with auto-assignment exist but none is active.
    NoneActive,
    /// Active auto agents exist but none is in an assignable status.
    NoneAssignable,
    /// Every available auto agent is at their cap of open tickets.
    AllAtCap,
}

impl Rule {
    pub fn reason(self) -> &'static str {
        match self {
            Rule::Relationship => "automatic: the client's agent in the last 30 days (relationship)",
            Rule::ArrivalOrder => "automatic: arrival order (longest without a new ticket)",
            Rule::AwaitingAnswer => "automatic: awaiting answer (fewest tickets awaiting an answer)",
        }
    }
}

impl WaitReason {
    pub fn reason(self) -> &'static str {
        match self {
            WaitReason::NoAutoAgent => "queued: no agent has auto-assignment on this account",
            WaitReason::NoneActive => "queued: no active agent has auto-assignment on this account",
            WaitReason::NoneAssignable => {
                "queued: no agent with auto-assignment on this account is in an assignable status"
            }
            WaitReason::AllAtCap => "queued: every available agent is at their cap of open tickets",
        }
    }
}

/// How far back the agent–client relationship counts.
pub const RELATIONSHIP_WINDOW: Micros = 30 * 24 * 3600 * 1_000_000;

/// Decides who gets a ticket. `relationship` is the agent who last handled this client and
/// when, used when `prioritize_relationship` is on and it is within 30 days of `now`.
pub fn decide(
    mode: AssignMode,
    prioritize_relationship: bool,
    relationship: Option<(i64, Micros)>,
    candidates: &[Candidate],
    now: Micros,
) -> Decision {
    if prioritize_relationship
        && let Some((agent, at)) = relationship
        && now - at <= RELATIONSHIP_WINDOW
        && candidates.iter().any(|c| c.user_id == agent && c.eligible())
    {
        return Decision::Assign { user_id: agent, rule: Rule::Relationship };
    }
    let eligible = candidates.iter().filter(|c| c.eligible());
    // Never received a ticket sorts first, then longest ago; the lowest id breaks ties.
    let arrival = |c: &&Candidate| (c.last_assigned_at.unwrap_or(i64::MIN), c.user_id);
    let pick = match mode {
        AssignMode::ArrivalOrder => eligible.min_by_key(arrival).map(|c| (c.user_id, Rule::ArrivalOrder)),
        AssignMode::AwaitingAnswer => {
            eligible.min_by_key(|c| (c.awaiting, arrival(c))).map(|c| (c.user_id, Rule::AwaitingAnswer))
        }
    };
    match pick {
        Some((user_id, rule)) => Decision::Assign { user_id, rule },
        None => Decision::Wait(why_not(candidates)),
    }
}

fn why_not(candidates: &[Candidate]) -> WaitReason {
    let auto: Vec<_> = candidates.iter().filter(|c| c.auto).collect();
    if auto.is_empty() {
        WaitReason::NoAutoAgent
    } else if !auto.iter().any(|c| c.active) {
        WaitReason::NoneActive
    } else if !auto.iter().any(|c| c.active && c.assignable) {
        WaitReason::NoneAssignable
    } else {
        WaitReason::AllAtCap
    }
}

/// A waiting ticket's priority for the queue: its own priority (0–5) plus one level per
/// `step` waited, so that none is left behind.
pub fn queue_priority(priority: i64, queued_at: Micros, now: Micros, step: Micros) -> i64 {
    let aged = if step > 0 { (now - queued_at).max(0) / step } else { 0 };
    priority.saturating_add(aged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: i64) -> Candidate {
        Candidate {
            user_id: id,
            active: true,
            assignable: true,
            auto: true,
            open: 0,
            cap: None,
            awaiting: 0,
            last_assigned_at: None,
        }
    }

    /// A small deterministic generator for the property tests (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
    }

    fn random_candidates(r: &mut Rng) -> Vec<Candidate> {
        (0..r.below(8))
            .map(|i| Candidate {
                user_id: i as i64 + 1,
                active: r.chance(85),
                assignable: r.chance(70),
                auto: r.chance(75),
                open: r.below(6) as i64,
                cap: if r.chance(40) { Some(r.below(6) as i64) } else { None },
                awaiting: r.below(5) as i64,
                last_assigned_at: if r.chance(80) { Some(r.below(1000) as i64) } else { None },
            })
            .collect()
    }

    #[test]
    fn property_assigns_only_eligible_agents_and_waits_only_when_none() {
        let mut r = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let cs = random_candidates(&mut r);
            let mode = if r.chance(50) { AssignMode::ArrivalOrder } else { AssignMode::AwaitingAnswer };
            let rel = if r.chance(50) {
                Some((r.below(9) as i64, r.below(2 * RELATIONSHIP_WINDOW as u64) as i64))
            } else {
                None
            };
            let now = RELATIONSHIP_WINDOW + 1000;
            match decide(mode, r.chance(50), rel, &cs, now) {
                Decision::Assign { user_id, rule } => {
                    let c = cs.iter().find(|c| c.user_id == user_id).expect("a candidate");
                    assert!(c.eligible(), "assigned to an ineligible agent: {c:?}");
                    if rule == Rule::AwaitingAnswer {
                        let min = cs.iter().filter(|c| c.eligible()).map(|c| c.awaiting).min().unwrap();
                        assert_eq!(c.awaiting, min, "not the fewest awaiting");
                    }
                    if rule == Rule::ArrivalOrder {
                        let best = cs
                            .iter()
                            .filter(|c| c.eligible())
                            .map(|c| c.last_assigned_at.unwrap_or(i64::MIN))
                            .min()
                            .unwrap();
                        assert_eq!(
                            c.last_assigned_at.unwrap_or(i64::MIN),
                            best,
                            "not the longest without a ticket"
                        );
                    }
                    if rule == Rule::Relationship {
                        let (a, at) = rel.unwrap();
                        assert_eq!(a, user_id);
                        assert!(now - at <= RELATIONSHIP_WINDOW);
                    }
                }
                Decision::Wait(_) => {
                    assert!(!cs.iter().any(Candidate::eligible), "waited with an eligible agent")
                }
            }
        }
    }

    #[test]
    fn arrival_order_rotates_fairly() {
        let mut cs: Vec<_> = (1..=3).map(agent).collect();
        let mut counts = [0; 3];
        for t in 0..1000 {
            let Decision::Assign { user_id, .. } = decide(AssignMode::ArrivalOrder, false, None, &cs, t)
            else {
                panic!()
            };
            counts[(user_id - 1) as usize] += 1;
            cs[(user_id - 1) as usize].last_assigned_at = Some(t);
        }
        assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1, "{counts:?}");
    }

    #[test]
    fn awaiting_answer_prefers_the_least_loaded() {
        let mut a = agent(1);
        a.awaiting = 3;
        let mut b = agent(2);
        b.awaiting = 1;
        b.last_assigned_at = Some(50);
        assert_eq!(
            decide(AssignMode::AwaitingAnswer, false, None, &[a.clone(), b.clone()], 100),
            Decision::Assign { user_id: 2, rule: Rule::AwaitingAnswer }
        );
        assert_eq!(
            decide(AssignMode::ArrivalOrder, false, None, &[a, b], 100),
            Decision::Assign { user_id: 1, rule: Rule::ArrivalOrder }
        );
    }

    #[test]
    fn relationship_only_when_that_agent_is_eligible_and_recent() {
        let cs = vec![agent(1), agent(2)];
        let now = RELATIONSHIP_WINDOW * 2;
        assert_eq!(
            decide(AssignMode::ArrivalOrder, true, Some((2, now - 10)), &cs, now),
            Decision::Assign { user_id: 2, rule: Rule::Relationship }
        );
        assert_eq!(
            decide(AssignMode::ArrivalOrder, false, Some((2, now - 10)), &cs, now),
            Decision::Assign { user_id: 1, rule: Rule::ArrivalOrder }
        );
        assert_eq!(
            decide(AssignMode::ArrivalOrder, true, Some((2, 0)), &cs, now),
            Decision::Assign { user_id: 1, rule: Rule::ArrivalOrder },
            "too old"
        );
        let mut busy = cs.clone();
        busy[1].assignable = false;
        assert_eq!(
            decide(AssignMode::ArrivalOrder, true, Some((2, now - 10)), &busy, now),
            Decision::Assign { user_id: 1, rule: Rule::ArrivalOrder }
        );
    }

    #[test]
    fn says_why_a_ticket_waits() {
        assert_eq!(
            decide(AssignMode::ArrivalOrder, false, None, &[], 0),
            Decision::Wait(WaitReason::NoAutoAgent)
        );
        let mut a = agent(1);
        a.auto = false;
        assert_eq!(
            decide(AssignMode::ArrivalOrder, false, None, std::slice::from_ref(&a), 0),
            Decision::Wait(WaitReason::NoAutoAgent)
        );
        a.auto = true;
        a.active = false;
        assert_eq!(
            decide(AssignMode::ArrivalOrder, false, None, std::slice::from_ref(&a), 0),
            Decision::Wait(WaitReason::NoneActive)
        );
        a.active = true;
        a.assignable = false;
        assert_eq!(
            decide(AssignMode::ArrivalOrder, false, None, std::slice::from_ref(&a), 0),
            Decision::Wait(WaitReason::NoneAssignable)
        );
        a.assignable = true;
        a.cap = Some(2);
        a.open = 2;
        assert_eq!(
            decide(AssignMode::ArrivalOrder, false, None, std::slice::from_ref(&a), 0),
            Decision::Wait(WaitReason::AllAtCap)
        );
        a.open = 1;
        assert_eq!(
            decide(AssignMode::ArrivalOrder, false, None, &[a], 0),
            Decision::Assign { user_id: 1, rule: Rule::ArrivalOrder }
        );
    }

    #[test]
    fn waiting_raises_queue_priority() {
        let hour = 3600 * 1_000_000;
        assert_eq!(queue_priority(0, 0, 0, hour), 0);
        assert_eq!(queue_priority(0, 0, 3 * hour, hour), 3);
        assert_eq!(queue_priority(5, 0, hour - 1, hour), 5);
        assert!(
            queue_priority(0, 0, 7 * hour, hour) > queue_priority(5, 6 * hour, 7 * hour, hour),
            "an old ticket overtakes a newer urgent one"
        );
    }
}
