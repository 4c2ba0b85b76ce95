//! Which automatic reply answers an incoming message (SPEC §4.2, actions 2–5), which of its
//! texts is sent, and the placeholders filled in. Pure; the caller supplies the facts.
use serde::{Deserialize, Serialize};

/// The replies that answer an incoming message, in precedence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    OutOfHours,
    NoAgent,
    NewClient,
    OnCreation,
}

impl Reply {
    /// Precedence when several apply to one message (SPEC §4.2).
    pub const PRECEDENCE: [Reply; 4] =
        [Reply::OutOfHours, Reply::NoAgent, Reply::NewClient, Reply::OnCreation];
    /// The key of its settings under `auto_actions`.
    pub fn key(self) -> &'static str {
        match self {
            Reply::OutOfHours => "out_of_hours",
            Reply::NoAgent => "no_agent",
            Reply::NewClient => "new_client",
            Reply::OnCreation => "on_creation",
        }
    }
}

/// What is true of an incoming message.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// A private message (not a public comment or review): only those get replies.
    pub private: bool,
    /// The ticket was created as ignored: no automatic replies.
    pub ignored: bool,
    /// Sent by an automatic action (never answered, so automations cannot loop).
    pub from_automation: bool,
    pub out_of_hours: bool,
    pub no_agent: bool,
    /// The client's first message ever on this account.
    pub new_client: bool,
    pub ticket_created: bool,
    /// Replies already sent on this ticket (each at most once per ticket).
    pub already_sent: Vec<Reply>,
}

/// The one reply to send, if any: the first in precedence order that is enabled, applies,
/// and has not been sent on this ticket yet.
pub fn choose(enabled: impl Fn(Reply) -> bool, f: &Facts) -> Option<Reply> {
    if !f.private || f.ignored || f.from_automation {
        return None;
    }
    Reply::PRECEDENCE.into_iter().find(|r| {
        let applies = match r {
            Reply::OutOfHours => f.out_of_hours,
            Reply::NoAgent => f.no_agent,
            Reply::NewClient => f.new_client,
            Reply::OnCreation => f.ticket_created,
        };
        applies && enabled(*r) && !f.already_sent.contains(r)
    })
}

/// One of the filled texts, chosen by `random` (uniform over the non-blank ones).
pub fn pick<S: AsRef<str>>(texts: &[S], random: u64) -> Option<&str> {
    let filled: Vec<&str> = texts.iter().map(AsRef::as_ref).filter(|t| !t.trim().is_empty()).collect();
    if filled.is_empty() { None } else { Some(filled[(random % filled.len() as u64) as usize]) }
}

/// Values of the placeholders.
#[derive(Debug, Clone, Default)]
pub struct Values<'a> {
    pub client_name: &'a str,
    pub agent_name: &'a str,
    pub ticket_number: i64,
    pub company_name: &'a str,
}

/// Fills `{client_name}`, `{agent_name}`, `{ticket_number}` and `{company_name}`; anything
/// else stays as written (settings are checked when saved).
pub fn fill(text: &str, v: &Values) -> String {
    text.replace("{client_name}", v.client_name)
        .replace("{agent_name}", v.agent_name)
        .replace("{ticket_number}", &v.ticket_number.to_string())
        .replace("{company_name}", v.company_name)
}

/// The automatic actions enabled on an account, read from its (validated) settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoActions {
    /// "Close if the client does not answer": after how long (microseconds).
    pub close_after: Option<crate::time::Micros>,
    /// The enabled replies (by settings key) and their texts.
    replies: Vec<(String, Vec<String>)>,
}

impl AutoActions {
    pub fn from_settings(settings: &serde_json::Value) -> Self {
        let a = &settings["auto_actions"];
        let close = &a["close_if_no_reply"];
        let close_after = (close["enabled"].as_bool() == Some(true))
            .then(|| close["after_seconds"].as_i64())
            .flatten()
            .map(|s| s * 1_000_000);
        let replies = crate::settings::REPLY_ACTIONS
            .iter()
            .filter(|k| a[**k]["enabled"].as_bool() == Some(true))
            .map(|k| {
                (
                    k.to_string(),
                    a[*k]["texts"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect(),
                )
            })
            .collect();
        AutoActions { close_after, replies }
    }

    /// The texts of an enabled reply (`new_client`, …, `on_auto_close`); `None` when off.
    pub fn texts(&self, key: &str) -> Option<&[String]> {
        self.replies.iter().find(|(k, _)| k == key).map(|(_, t)| t.as_slice())
    }

    /// One of the replies to incoming messages (2–5) is on.
    pub fn answers_messages(&self) -> bool {
        Reply::PRECEDENCE.iter().any(|r| self.texts(r.key()).is_some())
    }
}

/// What the "close if the client does not answer" timer does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCheck {
    /// Due: close the ticket (skipping closing prerequisites).
    Close,
    /// Not yet (the setting grew since the timer was set): fire again then.
    Later(crate::time::Micros),
    /// Nothing to do: the action is off, the ticket is not open, no human ever answered,
    /// or the client answered after the agent's last message.
    Cancel,
}

/// The timer counts from the last message of a human agent; automatic messages neither
/// start nor restart it, and a client message cancels it.
pub fn auto_close(
    open: bool,
    last_agent_message_at: Option<crate::time::Micros>,
    awaiting_answer: bool,
    after: Option<crate::time::Micros>,
    now: crate::time::Micros,
) -> CloseCheck {
    match (open, last_agent_message_at, awaiting_answer, after) {
        (true, Some(last), false, Some(after)) if now >= last + after => CloseCheck::Close,
        (true, Some(last), false, Some(after)) => CloseCheck::Later(last + after),
        _ => CloseCheck::Cancel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_close_counts_from_the_last_human_answer() {
        let m = 60_000_000;
        assert_eq!(auto_close(true, Some(100), false, Some(m), 100 + m), CloseCheck::Close);
        assert_eq!(auto_close(true, Some(100), false, Some(m), 100 + m - 1), CloseCheck::Later(100 + m));
        assert_eq!(
            auto_close(true, None, false, Some(m), 10 * m),
            CloseCheck::Cancel,
            "no human ever answered"
        );
        assert_eq!(
            auto_close(true, Some(100), true, Some(m), 10 * m),
            CloseCheck::Cancel,
            "the client answered"
        );
        assert_eq!(
            auto_close(false, Some(100), false, Some(m), 10 * m),
            CloseCheck::Cancel,
            "already closed"
        );
        assert_eq!(
            auto_close(true, Some(100), false, None, 10 * m),
            CloseCheck::Cancel,
            "the action was turned off"
        );
    }

    #[test]
    fn reads_the_enabled_actions_from_settings() {
        let s = serde_json::json!({"auto_actions": {
            "close_if_no_reply": {"enabled": true, "after_seconds": 60},
            "new_client": {"enabled": true, "texts": ["Hola"]},
            "no_agent": {"enabled": false, "texts": ["Nadie"]},
            "on_manual_close": {"enabled": true, "texts": ["Adiós", "Chao"]}
        }});
        let a = AutoActions::from_settings(&s);
        assert_eq!(a.close_after, Some(60_000_000));
        assert_eq!(a.texts("new_client"), Some(&["Hola".to_string()][..]));
        assert_eq!(a.texts("no_agent"), None);
        assert_eq!(a.texts("on_manual_close").map(<[String]>::len), Some(2));
        assert!(a.answers_messages());
        let only_close = AutoActions::from_settings(
            &serde_json::json!({"auto_actions": {"on_manual_close": {"enabled": true, "texts": ["x"]}}}),
        );
        assert!(!only_close.answers_messages());
        assert_eq!(AutoActions::from_settings(&serde_json::json!({})), AutoActions::default());
    }

    fn all(_: Reply) -> bool {
        true
    }

    fn facts() -> Facts {
        Facts { private: true, ..Facts::default() }
    }

    #[test]
    fn precedence_out_of_hours_then_no_agent_then_new_client_then_creation() {
        let f =
            Facts { out_of_hours: true, no_agent: true, new_client: true, ticket_created: true, ..facts() };
        assert_eq!(choose(all, &f), Some(Reply::OutOfHours));
        assert_eq!(choose(|r| r != Reply::OutOfHours, &f), Some(Reply::NoAgent));
        assert_eq!(choose(|r| r == Reply::NewClient || r == Reply::OnCreation, &f), Some(Reply::NewClient));
        assert_eq!(choose(|r| r == Reply::OnCreation, &f), Some(Reply::OnCreation));
        assert_eq!(choose(|_| false, &f), None);
        let only_created = Facts { ticket_created: true, ..facts() };
        assert_eq!(choose(all, &only_created), Some(Reply::OnCreation));
        assert_eq!(choose(all, &facts()), None, "nothing applies");
    }

    #[test]
    fn once_per_ticket_private_only_never_for_automation_or_ignored() {
        let f =
            Facts { out_of_hours: true, new_client: true, already_sent: vec![Reply::OutOfHours], ..facts() };
        assert_eq!(choose(all, &f), Some(Reply::NewClient), "out of hours was already sent on this ticket");
        let f = Facts { out_of_hours: true, already_sent: vec![Reply::OutOfHours], ..facts() };
        assert_eq!(choose(all, &f), None);
        assert_eq!(choose(all, &Facts { private: false, ticket_created: true, ..facts() }), None);
        assert_eq!(choose(all, &Facts { from_automation: true, ticket_created: true, ..facts() }), None);
        assert_eq!(choose(all, &Facts { ignored: true, ticket_created: true, ..facts() }), None);
    }

    #[test]
    fn picks_among_filled_texts_uniformly() {
        let texts = ["Hola", "  ", "Buenas"];
        let mut counts = std::collections::HashMap::new();
        // A seeded generator (xorshift64*) stands in for the random source.
        let mut x: u64 = 0x5DEE_CE66_D1CE_4E5B;
        for _ in 0..10_000 {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            *counts.entry(pick(&texts, x.wrapping_mul(0x2545_F491_4F6C_DD1D)).unwrap()).or_insert(0) += 1;
        }
        assert_eq!(counts.len(), 2, "the blank text is never sent");
        for n in counts.values() {
            assert!((4_500..=5_500).contains(n), "{counts:?}");
        }
        assert_eq!(pick(&["", " "], 7), None);
    }

    #[test]
    fn fills_placeholders() {
        let v = Values { client_name: "Ana", agent_name: "Beto", ticket_number: 42, company_name: "Acme" };
        assert_eq!(
            fill("Hola {client_name}, soy {agent_name} de {company_name}. Ticket #{ticket_number}.", &v),
            "Hola Ana, soy Beto de Acme. Ticket #42."
        );
        assert_eq!(fill("sin marcadores", &v), "sin marcadores");
    }
}
