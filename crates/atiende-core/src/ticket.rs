//! The ticket rules of SPEC §3 and §5, as pure functions over the facts that
//! change when a message arrives or is sent.
use crate::time::Micros;
use crate::{AuthorKind, TicketState};

/// What an incoming message does with the client's latest ticket on the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundTarget {
    /// Join this ticket (it is open or ignored).
    Join(i64),
    /// Create a new ticket (the client has none, or only closed ones).
    Create,
}

/// One open ticket per client per account: an open or ignored ticket takes the
/// message; a closed one never does (a new ticket starts).
pub fn inbound_target(current: Option<(i64, TicketState)>) -> InboundTarget {
    match current {
        Some((id, TicketState::Open | TicketState::Ignored)) => InboundTarget::Join(id),
        _ => InboundTarget::Create,
    }
}

/// The mutable facts of a ticket that messages change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageFacts {
    pub updated_at: Micros,
    pub addressed: bool,
    pub addressed_at: Option<Micros>,
    pub awaiting_answer: bool,
    /// Earliest client message not yet answered by a human agent (SLA waiting time).
    pub waiting_since: Option<Micros>,
    /// Last message of a human agent (auto-close timer start).
    pub last_agent_message_at: Option<Micros>,
}

impl MessageFacts {
    /// Facts of a ticket created by a client message at `at`.
    pub fn new_from_client(at: Micros) -> Self {
        Self {
            updated_at: at,
            addressed: false,
            addressed_at: None,
            awaiting_answer: true,
            waiting_since: Some(at),
            last_agent_message_at: None,
        }
    }

    /// Applies a message of `author` stored at `at`.
    ///
    /// - any message but an internal note updates `updated_at` (seed 001: a new
    ///   message either way updates the ticket; a note is never sent);
    /// - a client message makes the ticket await an answer and starts the wait;
    /// - a human agent's message answers it, and the first one addresses the ticket
    ///   (set once, never moved);
    /// - automatic messages answer nobody: the client still waits for a human.
    pub fn apply(mut self, author: AuthorKind, at: Micros) -> Self {
        match author {
            AuthorKind::Note => return self,
            AuthorKind::Client => {
                self.awaiting_answer = true;
                self.waiting_since.get_or_insert(at);
            }
            AuthorKind::Agent => {
                self.awaiting_answer = false;
                self.waiting_since = None;
                self.last_agent_message_at = Some(at);
                if !self.addressed {
                    self.addressed = true;
                    self.addressed_at = Some(at);
                }
            }
            AuthorKind::Automatic => {}
        }
        self.updated_at = self.updated_at.max(at);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_or_ignored_ticket_takes_the_message_closed_does_not() {
        assert_eq!(inbound_target(None), InboundTarget::Create);
        assert_eq!(inbound_target(Some((7, TicketState::Open))), InboundTarget::Join(7));
        assert_eq!(inbound_target(Some((7, TicketState::Ignored))), InboundTarget::Join(7));
        assert_eq!(inbound_target(Some((7, TicketState::Closed))), InboundTarget::Create);
    }

    #[test]
    fn first_human_answer_addresses_once() {
        let f = MessageFacts::new_from_client(100);
        assert!(f.awaiting_answer && !f.addressed && f.waiting_since == Some(100));
        let f = f.apply(AuthorKind::Automatic, 150);
        assert!(f.awaiting_answer && !f.addressed, "automatic replies do not address");
        assert_eq!(f.updated_at, 150);
        let f = f.apply(AuthorKind::Agent, 200);
        assert!(f.addressed && !f.awaiting_answer);
        assert_eq!((f.addressed_at, f.waiting_since, f.last_agent_message_at), (Some(200), None, Some(200)));
        let f = f.apply(AuthorKind::Client, 300).apply(AuthorKind::Client, 350).apply(AuthorKind::Agent, 400);
        assert_eq!(f.addressed_at, Some(200), "addressed time never moves");
        assert_eq!(f.updated_at, 400);
    }

    #[test]
    fn waiting_time_counts_from_the_earliest_unanswered_client_message() {
        let f = MessageFacts::new_from_client(100).apply(AuthorKind::Client, 200);
        assert_eq!(f.waiting_since, Some(100));
    }

    #[test]
    fn notes_change_nothing() {
        let f = MessageFacts::new_from_client(100);
        assert_eq!(f.apply(AuthorKind::Note, 500), f);
    }
}
