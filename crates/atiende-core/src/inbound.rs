//! The channel-neutral inbound message every channel turns its input into, and the rules
//! that decide, from an account's settings and what storing a batch changed, what happens
//! next (the reactions the application then applies in the same transaction).
use crate::autoreply::AutoActions;
use crate::keywords::Keywords;
use crate::sla::Sla;
use crate::time::Micros;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Who wrote a message, as the channel knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The identity's kind, usually the channel kind (`email`, `api`, `whatsapp`…).
    pub kind: String,
    /// The platform's id of the person: an address, a phone number, a user id.
    pub value: String,
    /// The display name the platform gives, when it gives one.
    pub name: String,
}

/// A file received with a message; `data` is `None` when it was over the size limit
/// (kept listed, not stored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content_id: Option<String>,
    pub inline: bool,
    pub size: i64,
    pub data: Option<Vec<u8>>,
}

/// One message from a client, as any channel delivers it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InboundMessage {
    /// The platform's id of the message (deduplication); adapters synthesize a stable one
    /// when the platform has none.
    pub external_id: String,
    pub client: ClientIdentity,
    pub text: String,
    /// Sanitized HTML, when the channel carries it.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    /// A private conversation (direct message, email, chat) rather than a public comment
    /// or a review: only private ones get automatic replies.
    pub private: bool,
    /// Sent by a program (an auto-reply, a bounce): never answered automatically, so two
    /// automatons do not answer each other forever.
    pub automated: bool,
    /// The post or conversation the message belongs to, in the platform's ids (a comment's
    /// post).
    pub parent: Option<String>,
    /// Ids of earlier messages this one answers, nearest first (email: In-Reply-To, then
    /// References newest first): it joins the open ticket holding the first one found,
    /// whoever sends it — a colleague in Cc, another address of the same client.
    pub thread: Vec<String>,
    /// When the platform says the message was written.
    pub sent_at: Option<Micros>,
    /// Channel details kept with the message (email: headers and subject).
    pub metadata: Option<Value>,
}

/// Removes U+0000 from text taken from the outside: PostgreSQL cannot store it in a text
/// column (the whole message would be refused), and no human text needs it.
pub fn strip_nul(s: &mut String) {
    if s.contains('\0') {
        s.retain(|c| c != '\0');
    }
}

fn strip_nul_json(v: &mut Value) {
    match v {
        Value::String(s) => strip_nul(s),
        Value::Array(a) => a.iter_mut().for_each(strip_nul_json),
        Value::Object(m) => m.values_mut().for_each(strip_nul_json),
        _ => {}
    }
}

impl InboundMessage {
    /// Every text of the message without U+0000 (see [`strip_nul`]), whatever channel it came by.
    pub fn scrub(&mut self) {
        strip_nul(&mut self.external_id);
        strip_nul(&mut self.client.value);
        // A display name is shown in lists: one line, no text-direction tricks.
        self.client.name.retain(|c| !c.is_control() && !crate::is_bidi_control(c));
        strip_nul(&mut self.text);
        if let Some(h) = self.html.as_mut() {
            strip_nul(h);
        }
        self.thread.iter_mut().for_each(strip_nul);
        if let Some(p) = self.parent.as_mut() {
            strip_nul(p);
        }
        for a in &mut self.attachments {
            strip_nul(&mut a.filename);
            strip_nul(&mut a.content_type);
            if let Some(c) = a.content_id.as_mut() {
                strip_nul(c);
            }
        }
        if let Some(m) = self.metadata.as_mut() {
            strip_nul_json(m);
        }
    }
}

/// What an account's settings decide about an inbound message before it is stored
/// (SPEC §4.1–§4.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intake {
    /// New tickets start ignored ("create tickets as ignored").
    pub create_ignored: bool,
    /// An important keyword is in the text.
    pub important: bool,
    /// The automatic replies look at the message.
    pub react: bool,
    /// The SLA: the ticket's overdue timer is armed while it waits.
    pub sla_micros: Option<Micros>,
    /// Addresses told by email when the message opens a ticket.
    pub notify: Vec<String>,
}

/// Applies the account's settings to a message. Stored settings were checked when saved;
/// a part that no longer reads decides nothing.
pub fn intake(settings: &Value, msg: &InboundMessage, important: bool) -> Intake {
    // A post whose comments create no tickets to work (seed 001: a contest's hundreds of
    // comments): they are kept, in tickets that start ignored and tell nobody.
    let quiet_post = msg.parent.as_deref().is_some_and(|post| {
        settings["posts_without_tickets"]
            .as_array()
            .is_some_and(|l| l.iter().any(|p| p.as_str() == Some(post)))
    });
    let create_ignored = quiet_post || settings["general"]["create_ignored"].as_bool().unwrap_or(false);
    let important =
        important || Keywords::from_settings(settings).map(|k| k.matches(&msg.text)).unwrap_or(false);
    let react = msg.private
        && !msg.automated
        && !create_ignored
        && AutoActions::from_settings(settings).answers_messages();
    let sla_micros = Sla::from_settings(settings).ok().flatten().map(Sla::micros);
    let n = &settings["general"]["notifications"];
    let notify = match n["mode"].as_str() {
        Some("all") => true,
        Some("important") => important,
        _ => false,
    };
    let notify = if notify && !quiet_post {
        n["emails"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
    } else {
        Vec::new()
    };
    Intake { create_ignored, important, react, sla_micros, notify }
}

/// What storing one inbound message changed, as the rules below need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub org_id: i64,
    pub ticket_id: i64,
    pub message_id: i64,
    /// This message opened the ticket.
    pub ticket_created: bool,
    /// After the message: the ticket is open (not ignored, not closed).
    pub open: bool,
    /// After the message: the ticket waits in the assignment queue.
    pub queued: bool,
    /// After the message: the client waits for an answer since then.
    pub waiting_since: Option<Micros>,
    pub intake: Intake,
}

/// A system mail telling `to` about a new ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub ticket_id: i64,
    pub to: String,
}

/// The reactions a stored batch asks for, applied in its transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reactions {
    /// Organizations whose assignment queue must be drained.
    pub assign: BTreeSet<i64>,
    /// `(org, ticket) → due`: the SLA-overdue timers to arm.
    pub sla_timers: BTreeMap<(i64, i64), Micros>,
    pub notifications: Vec<Notification>,
    /// Organization → messages the automatic replies look at.
    pub react: BTreeMap<i64, Vec<i64>>,
}

/// Decides the reactions to a stored batch (SPEC §4, §7): a queued ticket drains its
/// organization's queue; an open ticket waiting for an answer arms its SLA timer; a new
/// ticket is notified; a message the automatic replies look at is handed to them.
pub fn reactions(stored: &[Stored]) -> Reactions {
    let mut r = Reactions::default();
    for s in stored {
        if s.queued {
            r.assign.insert(s.org_id);
        }
        if let (true, Some(sla), Some(since)) = (s.open, s.intake.sla_micros, s.waiting_since) {
            r.sla_timers.insert((s.org_id, s.ticket_id), since + sla);
        }
        if s.ticket_created {
            r.notifications.extend(
                s.intake.notify.iter().map(|to| Notification { ticket_id: s.ticket_id, to: to.clone() }),
            );
        }
        if s.intake.react {
            r.react.entry(s.org_id).or_default().push(s.message_id);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(
        ticket: i64,
        created: bool,
        open: bool,
        queued: bool,
        waiting: Option<Micros>,
        intake: Intake,
    ) -> Stored {
        Stored {
            org_id: 1,
            ticket_id: ticket,
            message_id: ticket * 10,
            ticket_created: created,
            open,
            queued,
            waiting_since: waiting,
            intake,
        }
    }

    #[test]
    fn scrubbing_removes_nul_from_every_text() {
        let mut m = InboundMessage {
            external_id: "<a\0b@x>".into(),
            client: ClientIdentity {
                kind: "email".into(),
                value: "ana\0@x.test".into(),
                name: "A\0na".into(),
            },
            text: "ho\0la".into(),
            html: Some("<p>\0</p>".into()),
            thread: vec!["t\0".into()],
            attachments: vec![Attachment { filename: "a\0.txt".into(), ..Default::default() }],
            metadata: Some(serde_json::json!({"email": {"subject": "s\0", "to": [{"name": "\0"}]}})),
            ..Default::default()
        };
        m.scrub();
        assert_eq!(
            (m.external_id.as_str(), m.client.value.as_str(), m.client.name.as_str()),
            ("<ab@x>", "ana@x.test", "Ana")
        );
        assert_eq!(
            (m.text.as_str(), m.html.as_deref(), m.thread[0].as_str()),
            ("hola", Some("<p></p>"), "t")
        );
        assert_eq!(m.attachments[0].filename, "a.txt");
        assert!(!m.metadata.unwrap().to_string().contains("\\u0000"));
    }

    #[test]
    fn intake_follows_the_settings() {
        let s = json!({
            "sla": {"amount": 2, "unit": "minutes"},
            "general": {"important_keywords": ["urgente"], "notifications": {"mode": "important", "emails": ["jefe@acme.test"]}},
            "auto_actions": {"new_client": {"enabled": true, "texts": ["Hola"]}}
        });
        let m = InboundMessage { text: "Es URGENTE".into(), private: true, ..Default::default() };
        let i = intake(&s, &m, false);
        assert!(i.important && i.react && !i.create_ignored);
        assert_eq!(i.sla_micros, Some(120_000_000));
        assert_eq!(i.notify, ["jefe@acme.test"]);
        // Not important: no notification in "important" mode; an automaton is never answered.
        let m = InboundMessage { text: "hola".into(), private: true, automated: true, ..Default::default() };
        let i = intake(&s, &m, false);
        assert!(!i.important && !i.react && i.notify.is_empty());
        // Public comments get no automatic reply; ignored tickets neither.
        let m = InboundMessage { text: "hola".into(), private: false, ..Default::default() };
        assert!(!intake(&s, &m, false).react);
        let quiet = json!({"posts_without_tickets": ["1_111"], "general": {"notifications": {"mode": "all", "emails": ["a@b.c"]}}});
        let comment = InboundMessage { parent: Some("1_111".into()), ..m.clone() };
        let i = intake(&quiet, &comment, false);
        assert!(i.create_ignored && i.notify.is_empty(), "a post without tickets");
        let i = intake(&quiet, &InboundMessage { parent: Some("1_112".into()), ..m.clone() }, false);
        assert!(!i.create_ignored && !i.notify.is_empty(), "another post");
        let ignored = json!({"general": {"create_ignored": true}, "auto_actions": {"new_client": {"enabled": true, "texts": ["Hola"]}}});
        let m = InboundMessage { text: "hola".into(), private: true, ..Default::default() };
        assert!(!intake(&ignored, &m, false).react);
        assert_eq!(intake(&json!({}), &m, true), Intake { important: true, ..Default::default() });
    }

    #[test]
    fn reactions_of_a_batch() {
        let sla = Intake {
            sla_micros: Some(60),
            react: true,
            notify: vec!["a@x.test".into()],
            ..Default::default()
        };
        let r = reactions(&[
            stored(1, true, true, true, Some(100), sla.clone()),
            // A second message of the same ticket: the timer keeps the first wait.
            Stored { message_id: 11, ..stored(1, false, true, true, Some(100), sla.clone()) },
            // Ignored ticket: no timer, no queue.
            stored(2, true, false, false, Some(100), Intake { sla_micros: Some(60), ..Default::default() }),
        ]);
        assert_eq!(r.assign, BTreeSet::from([1]));
        assert_eq!(r.sla_timers, BTreeMap::from([((1, 1), 160)]));
        assert_eq!(r.notifications, [Notification { ticket_id: 1, to: "a@x.test".into() }]);
        assert_eq!(r.react, BTreeMap::from([(1, vec![10, 11])]));
        assert_eq!(reactions(&[]), Reactions::default());
    }
}
