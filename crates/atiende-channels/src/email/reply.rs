//! Composing an email reply from a ticket's conversation (pure): the subject and threading
//! headers taken from the latest message the client sent (RFC 5322 §3.6.4), the agent's
//! signature, and the quoted chain of earlier messages when the account includes it.
use super::send::text_to_html;

/// Most `References` kept (the newest ones): long threads would otherwise grow headers.
pub const MAX_REFERENCES: usize = 20;
/// Earlier messages quoted under a reply when the chain is included.
pub const CHAIN_LENGTH: usize = 10;

/// An earlier message of the conversation (notes excluded), oldest first.
#[derive(Debug, Clone, Default)]
pub struct Earlier {
    /// Written by the client (else by the company: an agent or an automatic reply).
    pub inbound: bool,
    /// RFC 3339 time it was written.
    pub when: String,
    pub text: String,
    /// What it came or went as, when it was an email.
    pub email: Option<EmailHeaders>,
}

/// The headers of an email of the conversation.
#[derive(Debug, Clone, Default)]
pub struct EmailHeaders {
    pub subject: String,
    pub from: String,
    /// Without angle brackets; `None` when the mail had none of its own.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
}

/// What the reply needs besides the conversation.
#[derive(Debug, Clone, Default)]
pub struct ReplyInput<'a> {
    pub text: &'a str,
    /// The signature with its placeholders filled (agents' replies only), or empty.
    pub signature: &'a str,
    pub include_chain: bool,
    pub ticket_number: i64,
    /// The client's address (shown for their quoted messages without headers).
    pub client: &'a str,
    /// The account's name (shown for the company's quoted messages).
    pub account_name: &'a str,
}

/// The subject, threading headers and bodies of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub subject: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub text: String,
    pub html: String,
}

/// Composes the reply to a conversation whose earlier messages are `earlier`, oldest first.
pub fn compose(input: &ReplyInput<'_>, earlier: &[Earlier]) -> Reply {
    // Threading: answer the latest email the client sent; keep the latest subject.
    let last_in = earlier.iter().rev().filter(|m| m.inbound).find_map(|m| m.email.as_ref());
    let last_subject = earlier
        .iter()
        .rev()
        .find_map(|m| m.email.as_ref().map(|e| e.subject.as_str()).filter(|s| !s.is_empty()));
    let subject = match last_subject {
        Some(s) if s.to_lowercase().starts_with("re:") => s.to_string(),
        Some(s) => format!("Re: {s}"),
        None => format!("Ticket #{}", input.ticket_number),
    };
    let (in_reply_to, mut references) = match last_in {
        Some(e) => {
            let mut refs = if e.references.is_empty() { e.in_reply_to.clone() } else { e.references.clone() };
            if let Some(id) = &e.message_id {
                refs.push(id.clone());
            }
            (e.message_id.clone(), refs)
        }
        None => (None, Vec::new()),
    };
    if references.len() > MAX_REFERENCES {
        references.drain(..references.len() - MAX_REFERENCES);
    }
    let mut text = input.text.to_string();
    if !input.signature.trim().is_empty() {
        text.push_str("\n\n-- \n");
        text.push_str(input.signature);
    }
    let mut html = format!("<div>{}</div>", text_to_html(&text));
    let chain: Vec<&Earlier> =
        if input.include_chain { earlier.iter().rev().take(CHAIN_LENGTH).collect() } else { Vec::new() };
    if !chain.is_empty() {
        text.push('\n');
        html.push_str("\n<br>");
        for m in chain {
            let who = match (&m.email, m.inbound) {
                (Some(e), true) if !e.from.is_empty() => e.from.as_str(),
                (_, true) => input.client,
                (_, false) => input.account_name,
            };
            text.push_str(&format!("\nOn {}, {who} wrote:\n", m.when));
            for line in m.text.lines() {
                text.push_str("> ");
                text.push_str(line);
                text.push('\n');
            }
            html.push_str(&format!(
                "<div>On {}, {} wrote:</div><blockquote style=\"margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex\">{}</blockquote>\n",
                text_to_html(&m.when),
                text_to_html(who),
                text_to_html(&m.text)
            ));
        }
    }
    Reply { subject, in_reply_to, references, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(inbound: bool, subject: &str, id: Option<&str>, refs: &[&str], irt: &[&str]) -> Earlier {
        Earlier {
            inbound,
            when: "2026-12-01T10:00:00Z".into(),
            text: format!("body of {subject}"),
            email: Some(EmailHeaders {
                subject: subject.into(),
                from: if inbound { "ana@cliente.test".into() } else { "soporte@acme.test".into() },
                message_id: id.map(str::to_string),
                in_reply_to: irt.iter().map(|s| s.to_string()).collect(),
                references: refs.iter().map(|s| s.to_string()).collect(),
            }),
        }
    }

    fn input<'a>(chain: bool, signature: &'a str) -> ReplyInput<'a> {
        ReplyInput {
            text: "Hola Ana",
            signature,
            include_chain: chain,
            ticket_number: 7,
            client: "ana@cliente.test",
            account_name: "Soporte",
        }
    }

    #[test]
    fn a_reply_threads_under_the_latest_client_email() {
        let earlier = [
            mail(true, "Pedido", Some("a@x"), &[], &[]),
            mail(false, "Re: Pedido", Some("b@acme"), &["a@x"], &["a@x"]),
            mail(true, "Re: Pedido", Some("c@x"), &["a@x", "b@acme"], &["b@acme"]),
        ];
        let r = compose(&input(false, ""), &earlier);
        assert_eq!(r.subject, "Re: Pedido");
        assert_eq!(r.in_reply_to.as_deref(), Some("c@x"));
        assert_eq!(r.references, ["a@x", "b@acme", "c@x"]);
        assert_eq!(r.text, "Hola Ana");
        assert_eq!(r.html, "<div>Hola Ana</div>");
    }

    #[test]
    fn without_references_the_in_reply_to_chain_is_used() {
        let r = compose(&input(false, ""), &[mail(true, "Hola", Some("z@x"), &[], &["y@x"])]);
        assert_eq!(r.subject, "Re: Hola");
        assert_eq!(r.references, ["y@x", "z@x"]);
    }

    #[test]
    fn no_email_yet_gives_the_ticket_number_and_no_threading() {
        let chat = Earlier { inbound: true, when: "t".into(), text: "hi".into(), email: None };
        let r = compose(&input(false, ""), &[chat]);
        assert_eq!((r.subject.as_str(), r.in_reply_to, r.references.len()), ("Ticket #7", None, 0));
    }

    #[test]
    fn references_keep_the_newest_twenty() {
        let refs: Vec<String> = (0..30).map(|i| format!("r{i}@x")).collect();
        let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
        let r = compose(&input(false, ""), &[mail(true, "S", Some("last@x"), &refs, &[])]);
        assert_eq!(r.references.len(), MAX_REFERENCES);
        assert_eq!(r.references.first().map(String::as_str), Some("r11@x"));
        assert_eq!(r.references.last().map(String::as_str), Some("last@x"));
    }

    #[test]
    fn signature_and_quoted_chain() {
        let earlier =
            [mail(true, "Pedido", Some("a@x"), &[], &[]), mail(false, "Re: Pedido", None, &[], &[])];
        let r = compose(&input(true, "Ana <b>Pérez</b>"), &earlier);
        assert!(r.text.starts_with("Hola Ana\n\n-- \nAna <b>Pérez</b>\n"));
        // Newest first; the company's message shows the account's name.
        let soporte = r.text.find("Soporte wrote:").unwrap();
        let ana = r.text.find("ana@cliente.test wrote:").unwrap();
        assert!(soporte < ana);
        assert!(r.text.contains("> body of Pedido"));
        assert!(r.html.contains("Ana &lt;b&gt;Pérez&lt;/b&gt;"), "escaped in HTML");
        assert!(r.html.contains("<blockquote"));
    }
}
