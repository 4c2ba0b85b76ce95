//! The email channel against real peers: a corpus through the raw-MIME endpoint,
//! replies through an SMTP sink (aiosmtpd) parsed back header by header, IMAP
//! mailboxes on Dovecot (restart mid-read, server down and back, wrong password),
//! and the forwarding listener with its validation.
use atiende_testkit::mail::{Dovecot, SmtpSink};
use atiende_testkit::{TestApp, spawn_app_with};
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

fn corpus(n: usize) -> Vec<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("atiende-eml-{}-{n}", std::process::id()));
    // In the repository, so the suite runs from a clean clone alone (tests/corpus/README.md).
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/gen_eml.py");
    let st = std::process::Command::new("python3")
        .arg(script)
        .arg(n.to_string())
        .arg(&dir)
        .arg("--seed")
        .arg("7")
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "gen_eml.py failed");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    let out = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// Hand-written edge cases: (name, raw bytes).
fn edge_cases() -> Vec<(&'static str, Vec<u8>)> {
    let huge = "A".repeat(300_000);
    vec![
        ("latin1", b"From: =?ISO-8859-1?Q?Jos=E9_Pe=F1a?= <jose@cliente.test>\r\nTo: soporte@acme.test\r\nSubject: =?ISO-8859-1?Q?Informaci=F3n?=\r\nMessage-ID: <latin1@cliente.test>\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nNecesito informaci\xf3n sobre el a\xf1o pasado.\r\n".to_vec()),
        ("cp1252", b"From: Zoe <zoe@cliente.test>\r\nTo: soporte@acme.test\r\nSubject: quotes\r\nMessage-ID: <cp1252@cliente.test>\r\nContent-Type: text/plain; charset=windows-1252\r\n\r\nIt\x92s \x93quoted\x94 \x80 10\r\n".to_vec()),
        ("html-script", b"From: Mallory <mallory@evil.test>\r\nTo: soporte@acme.test\r\nSubject: hi\r\nMessage-ID: <xss@evil.test>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p onclick=\"steal()\">Hola <b>equipo</b></p><script>alert(1)</script><img src=\"https://tracker.evil.test/p.gif\" onerror=\"x()\"><a href=\"javascript:alert(2)\">link</a>\r\n".to_vec()),
        ("no-message-id", b"From: Nadie <nadie@cliente.test>\r\nTo: soporte@acme.test\r\nSubject: sin id\r\n\r\nMensaje sin Message-ID.\r\n".to_vec()),
        ("broken-mime", b"From: Roto <roto@cliente.test>\r\nSubject: roto\r\nMessage-ID: <broken@cliente.test>\r\nContent-Type: multipart/mixed; boundary=\"nope\"\r\n\r\nthis multipart never opens its boundary\r\n--other\r\ngarbage".to_vec()),
        ("8bit-header", "From: Ñandú Pérez <nandu@cliente.test>\r\nSubject: Árbol de decisión\r\nMessage-ID: <8bit@cliente.test>\r\n\r\nCuerpo con ñ.\r\n".as_bytes().to_vec()),
        ("inline-image", b"From: Img <img@cliente.test>\r\nSubject: captura\r\nMessage-ID: <inline@cliente.test>\r\nContent-Type: multipart/related; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Mira: <img src=\"cid:shot1@x\"></p>\r\n--b1\r\nContent-Type: image/png\r\nContent-ID: <shot1@x>\r\nContent-Disposition: inline; filename=\"shot.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b1--\r\n".to_vec()),
        ("huge-attachment", format!("From: Big <big@cliente.test>\r\nSubject: grande\r\nMessage-ID: <huge@cliente.test>\r\nContent-Type: multipart/mixed; boundary=\"b2\"\r\n\r\n--b2\r\nContent-Type: text/plain\r\n\r\nVa un archivo grande.\r\n--b2\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"../../etc/big.bin\"\r\n\r\n{huge}\r\n--b2--\r\n").into_bytes()),
        ("forwarded", b"From: Fwd <fwd@cliente.test>\r\nSubject: Fwd: pedido\r\nMessage-ID: <fwd@cliente.test>\r\nContent-Type: multipart/mixed; boundary=\"b3\"\r\n\r\n--b3\r\nContent-Type: text/plain\r\n\r\nTe reenvio esto.\r\n--b3\r\nContent-Type: message/rfc822\r\n\r\nFrom: otro@x.test\r\nSubject: pedido 55\r\n\r\nHola\r\n--b3--\r\n".to_vec()),
    ]
}

async fn messages_of(t: &TestApp, ticket: i64) -> Vec<Value> {
    t.get_json(&format!("/api/v1/tickets/{ticket}/messages")).await["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_corpus_through_raw_mime_is_stored_once_threaded_and_sanitized() {
    let t = spawn_app_with(|c| c.app.email.max_attachment_bytes = 100_000).await;
    let acc =
        t.email_account(json!({"address": "support@helpdesk.example", "connection": "forwarding"})).await;
    let id = acc["id"].as_i64().unwrap();
    assert_eq!(acc["status"], "not_validated");
    assert!(acc["forwarding_address"].as_str().unwrap().ends_with("@inbound.atiende.localhost"), "{acc}");
    let generated = corpus(60);
    let mut ticket_of: HashMap<String, i64> = HashMap::new();
    for raw in &generated {
        let (s, b) = t.mime(id, raw).await;
        assert_eq!((s, b["outcome"].as_str()), (202, Some("stored")), "{b}");
        let m = MessageParser::default().parse(raw).unwrap();
        let mid = m.message_id().unwrap().to_string();
        let ticket = b["ticket_id"].as_i64().unwrap();
        // A reply from the same client joins the ticket of the message it answers.
        if let Some(parent) = m.in_reply_to().as_text().map(|s| s.trim_matches(['<', '>']).to_string())
            && let Some(&pt) = ticket_of.get(&parent)
        {
            let closed = t.get_json(&format!("/api/v1/tickets/{pt}")).await["state"] == "closed";
            let parent_raw = generated
                .iter()
                .find(|r| MessageParser::default().parse(r).unwrap().message_id() == Some(parent.as_str()))
                .unwrap();
            let same_sender = MessageParser::default()
                .parse(parent_raw)
                .unwrap()
                .from()
                .unwrap()
                .first()
                .unwrap()
                .address()
                == m.from().unwrap().first().unwrap().address();
            if same_sender && !closed {
                assert_eq!(ticket, pt, "reply {mid} must join the ticket of {parent}");
            }
        }
        ticket_of.insert(mid, ticket);
    }
    // The same bytes again: recognised, nothing new.
    for raw in generated.iter().take(20) {
        let (s, b) = t.mime(id, raw).await;
        assert_eq!((s, b["outcome"].as_str()), (202, Some("duplicate")), "{b}");
    }
    let mut by_name: HashMap<&str, Value> = HashMap::new();
    for (name, raw) in edge_cases() {
        let (s, b) = t.mime(id, &raw).await;
        assert_eq!((s, b["outcome"].as_str()), (202, Some("stored")), "{name}: {b}");
        let (_, again) = t.mime(id, &raw).await;
        assert_eq!(again["outcome"], "duplicate", "{name} stored twice: {again}");
        let msgs = messages_of(&t, b["ticket_id"].as_i64().unwrap()).await;
        let m = msgs.into_iter().find(|m| m["id"] == b["message_id"]).unwrap();
        by_name.insert(name, m);
    }
    let total: i64 = (generated.len() + edge_cases().len()) as i64;
    let all = t.get_json("/api/v1/tickets?limit=200").await["items"].as_array().unwrap().len();
    assert!(all > 10 && (all as i64) < total, "tickets: {all}");

    let latin = &by_name["latin1"];
    assert!(latin["text"].as_str().unwrap().contains("información sobre el año"), "{latin}");
    assert_eq!(latin["email"]["from"]["name"], "José Peña");
    assert_eq!(latin["email"]["subject"], "Información");
    assert!(
        by_name["cp1252"]["text"]
            .as_str()
            .unwrap()
            .contains("It\u{2019}s \u{201c}quoted\u{201d} \u{20ac} 10"),
        "{}",
        by_name["cp1252"]
    );
    let html = by_name["html-script"]["html"].as_str().unwrap();
    for bad in ["<script", "onclick", "onerror", "javascript:"] {
        assert!(!html.contains(bad), "{bad} survived sanitizing: {html}");
    }
    assert!(html.contains("<b>equipo</b>"), "{html}");
    assert!(by_name["no-message-id"]["external_id"].as_str().unwrap().starts_with("sha256:"));
    assert!(
        by_name["broken-mime"]["text"].as_str().unwrap().contains("never opens"),
        "{}",
        by_name["broken-mime"]
    );
    assert_eq!(by_name["8bit-header"]["email"]["from"]["name"], "Ñandú Pérez");
    assert_eq!(by_name["8bit-header"]["email"]["subject"], "Árbol de decisión");
    // Inline image kept and downloadable; the HTML still points at it by cid.
    let inline = &by_name["inline-image"];
    assert!(inline["html"].as_str().unwrap().contains("cid:shot1@x"), "{inline}");
    let att = &inline["attachments"][0];
    assert_eq!(
        (att["content_id"].as_str(), att["inline"].as_bool(), att["stored"].as_bool()),
        (Some("shot1@x"), Some(true), Some(true))
    );
    let r = t.get(&format!("/api/v1/attachments/{}", att["id"])).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-disposition"], "attachment; filename=\"shot.png\"");
    assert_eq!(&r.bytes().await.unwrap()[..4], b"\x89PNG");
    // Over the size limit: listed with its size and a safe name, not kept.
    let big = &by_name["huge-attachment"]["attachments"][0];
    assert_eq!((big["filename"].as_str(), big["stored"].as_bool()), (Some("big.bin"), Some(false)), "{big}");
    assert!(big["size"].as_i64().unwrap() >= 300_000);
    assert_eq!(t.get(&format!("/api/v1/attachments/{}", big["id"])).await.status(), 410);
    let fwd = &by_name["forwarded"]["attachments"][0];
    assert_eq!(fwd["content_type"], "message/rfc822");
    assert!(fwd["filename"].as_str().unwrap().ends_with(".eml"));
    // Another organization sees none of it.
    let other = t.user("Globex", "admin@globex.test", &["admin"]).await;
    let r = t.call(reqwest::Method::GET, &format!("/api/v1/attachments/{}", att["id"]), &other, None).await;
    assert_eq!(r.status(), 404);
    let r = t
        .http
        .post(format!("{}/api/v1/accounts/{id}/inbound/mime", t.url))
        .bearer_auth(&other)
        .body("From: a@b.test\r\n\r\nx")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    t.stop().await;
}

#[tokio::test]
async fn blocked_senders_contact_forms_and_machine_mail() {
    let t = spawn_app().await;
    let acc = t.email_account(
        json!({"address": "soporte@acme.test", "connection": "forwarding", "blocked_senders": ["spam@junk.test", "@blocked.test"],
               "contact_form_senders": ["forms@web.acme.test"],
               "auto_actions": {"on_creation": {"enabled": true, "texts": ["Recibimos su correo"]}}}),
    )
    .await;
    let id = acc["id"].as_i64().unwrap();
    for from in ["spam@junk.test", "Anyone <x@blocked.test>"] {
        let (s, b) = t
            .mime(
                id,
                format!(
                    "From: {from}\r\nSubject: oferta\r\nMessage-ID: <{}@m>\r\n\r\ncompre ya\r\n",
                    from.len()
                )
                .as_bytes(),
            )
            .await;
        assert_eq!((s, b["outcome"].as_str()), (202, Some("blocked")), "{b}");
    }
    assert_eq!(t.get_json("/api/v1/tickets").await["items"].as_array().unwrap().len(), 0);
    // A contact form: the client is the first address in the body.
    let (_, b) = t.mime(id, b"From: Formulario <forms@web.acme.test>\r\nSubject: Contacto web\r\nMessage-ID: <form1@web>\r\n\r\nNombre: Laura\r\nCorreo: laura.diaz@cliente.test\r\nMensaje: necesito ayuda\r\n").await;
    let ticket = t.get_json(&format!("/api/v1/tickets/{}", b["ticket_id"])).await;
    let client = t.get_json(&format!("/api/v1/clients/{}", ticket["client_id"])).await;
    assert_eq!(client["identities"][0]["value"], "laura.diaz@cliente.test", "{client}");
    // An auto-reply from another system is stored but never answered automatically.
    let (_, b) = t.mime(id, b"From: robot@other.test\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <ooo@other>\r\n\r\nI am away\r\n").await;
    t.drain_jobs().await;
    let msgs = messages_of(&t, b["ticket_id"].as_i64().unwrap()).await;
    assert_eq!(msgs.len(), 1, "no automatic answer to machine mail: {msgs:?}");
    // A person's mail does get it (the background worker may be the one sending it).
    let form_ticket = ticket["id"].as_i64().unwrap();
    t.eventually(10, || async {
        messages_of(&t, form_ticket).await.iter().any(|m| m["author_kind"] == "automatic").then_some(())
    })
    .await;
    t.stop().await;
}

use atiende_testkit::spawn_app;

/// A message a mailbox reader cannot store is held raw for the admins, not skipped, and
/// the reader goes on with the next; admins list, download, retry and delete held messages.
#[tokio::test]
async fn a_mail_that_cannot_be_stored_is_held_for_the_admins_and_the_reader_goes_on() {
    let dc = Dovecot::start(&[("soporte", "secreto")]);
    let big = format!(
        "From: ana@cliente.test\r\nSubject: grande\r\nMessage-ID: <big@c>\r\n\r\n{}\r\n",
        "x".repeat(6000)
    );
    let small = b"From: ana@cliente.test\r\nSubject: chico\r\nMessage-ID: <small@c>\r\n\r\nhola\r\n".to_vec();
    dc.append("soporte", "secreto", &[big.clone().into_bytes(), small.clone()]).await;
    let t = spawn_app_with(|c| {
        c.app.email.max_message_bytes = 4000;
        c.app.email.imap_poll_interval = Duration::from_secs(1);
    })
    .await;
    let acc = t
        .email_account(json!({"address": "soporte@acme.test", "connection": "imap",
            "imap": {"host": "127.0.0.1", "port": dc.port, "security": "none", "username": "soporte", "password": "secreto"}}))
        .await;
    let id = acc["id"].as_i64().unwrap();
    let held = t
        .eventually(30, || async {
            let h = t.get_json(&format!("/api/v1/accounts/{id}/held")).await;
            (h["items"].as_array().is_some_and(|a| a.len() == 1)).then_some(h["items"][0].clone())
        })
        .await;
    assert_eq!(held["source"], "imap");
    assert!(held["reason"].as_str().unwrap().contains("larger than 4000 bytes"), "{held}");
    assert_eq!(held["size"], big.len());
    // The next mail was stored all the same.
    t.eventually(15, || async {
        (t.get_json("/api/v1/tickets").await["items"].as_array().unwrap().len() == 1).then_some(())
    })
    .await;
    let hid = held["id"].as_i64().unwrap();
    let raw = t.get(&format!("/api/v1/accounts/{id}/held/{hid}")).await;
    assert_eq!(raw.status(), 200);
    assert_eq!(raw.bytes().await.unwrap().as_ref(), big.as_bytes(), "kept byte for byte");
    // Agents do not see them; another organization cannot reach them.
    let agent = t.user("Acme", "agente@acme.test", &["agent"]).await;
    assert_eq!(
        t.call(reqwest::Method::GET, &format!("/api/v1/accounts/{id}/held"), &agent, None).await.status(),
        403
    );
    let other = t.user("Globex", "jefe@globex.test", &["admin"]).await;
    let r = t.call(reqwest::Method::GET, &format!("/api/v1/accounts/{id}/held/{hid}"), &other, None).await;
    assert_eq!(r.status(), 404);
    // Trying again what still cannot be stored: 409 with the reason, and it stays.
    let r = t.post(&format!("/api/v1/accounts/{id}/held/{hid}/retry"), json!({})).await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        t.get_json(&format!("/api/v1/accounts/{id}/held")).await["items"].as_array().unwrap().len(),
        1
    );
    // A held message that can now be stored leaves the list as a ticket.
    let account = atiende_store::accounts::get_any(&t.app().db, id).await.unwrap();
    let again =
        b"From: luis@cliente.test\r\nSubject: retenido\r\nMessage-ID: <held2@c>\r\n\r\nya se puede\r\n";
    let h2 = atiende_app::quarantine::hold(t.app(), &account, "smtp", again, "the database was away")
        .await
        .unwrap();
    let r = t.post(&format!("/api/v1/accounts/{id}/held/{h2}/retry"), json!({})).await;
    assert_eq!(r.status(), 204);
    assert_eq!(t.get_json("/api/v1/tickets").await["items"].as_array().unwrap().len(), 2);
    // The account's settings page shows it to the admin, with its actions.
    let (session, csrf) = t.session("admin@acme.test").await;
    let page = t
        .http
        .get(format!("{}/admin/accounts/{id}/settings", t.url))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"held\"") && page.contains("larger than 4000 bytes"), "listed on the page");
    assert!(page.contains(&format!("/admin/accounts/{id}/held/{hid}/delete")));
    let r = t
        .http
        .post(format!("{}/admin/accounts/{id}/held/{hid}/delete", t.url))
        .header("cookie", &session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("_csrf={csrf}"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    assert_eq!(t.get_json(&format!("/api/v1/accounts/{id}/held")).await["items"], json!([]));
    let r =
        t.call(reqwest::Method::DELETE, &format!("/api/v1/accounts/{id}/held/{hid}"), &t.token, None).await;
    assert_eq!(r.status(), 404, "gone");
    t.stop().await;
}

/// A sender that is not an address is never made a client (an encoded word that decodes to
/// nothing, a bare `@domain`): Reply-To, Sender and Return-Path are tried in that order,
/// and a mail with no usable sender is kept (an MTA takes 202 as delivered) from an
/// "unknown sender" client of its own, with its raw source, that nothing is sent to.
#[tokio::test]
async fn malformed_senders_fall_back_and_a_mail_without_one_is_kept() {
    let t = spawn_app().await;
    let id = t.email_account(json!({"address": "soporte@acme.test", "connection": "forwarding"})).await["id"]
        .as_i64()
        .unwrap();
    let client_of = |b: Value| {
        let t = &t;
        async move {
            let ticket = t.get_json(&format!("/api/v1/tickets/{}", b["ticket_id"])).await;
            t.get_json(&format!("/api/v1/clients/{}", ticket["client_id"])).await
        }
    };
    for (n, headers, expected) in [
        (
            1,
            "From: =?utf-8?Q?attacker?Q?agent?=@victim.example\r\nReply-To: Real <real@cliente.test>",
            "real@cliente.test",
        ),
        (2, "From: @example.com>\r\nSender: Secretaria <secretaria@cliente.test>", "secretaria@cliente.test"),
        (3, "Return-Path: <rebote@cliente.test>", "rebote@cliente.test"),
    ] {
        let raw = format!("{headers}\r\nSubject: s{n}\r\nMessage-ID: <s{n}@c>\r\n\r\nhola {n}\r\n");
        let (s, b) = t.mime(id, raw.as_bytes()).await;
        assert_eq!((s, b["outcome"].as_str()), (202, Some("stored")), "{b}");
        let client = client_of(b).await;
        assert_eq!(client["identities"][0]["kind"], "email", "{client}");
        assert_eq!(client["identities"][0]["value"], expected, "{client}");
    }
    // Two different malformed senders do not merge into one client either.
    let raw =
        b"From: \"Nobody\" <>\r\nSubject: sin remitente\r\nMessage-ID: <u1@c>\r\n\r\nHola, soy Marta.\r\n";
    let (s, b) = t.mime(id, raw).await;
    assert_eq!((s, b["outcome"].as_str()), (202, Some("stored")), "kept, not dropped: {b}");
    let ticket = b["ticket_id"].as_i64().unwrap();
    let client = client_of(b).await;
    assert_eq!(client["identities"][0]["kind"], "unknown_sender", "{client}");
    assert!(client["name"].as_str().unwrap().starts_with("Unknown sender"), "{client}");
    let msgs = messages_of(&t, ticket).await;
    assert_eq!(msgs[0]["text"], "Hola, soy Marta.");
    let source = &msgs[0]["attachments"][0];
    assert_eq!(
        (source["filename"].as_str(), source["content_type"].as_str()),
        (Some("message.eml"), Some("message/rfc822"))
    );
    let r = t.get(&format!("/api/v1/attachments/{}", source["id"])).await;
    assert_eq!(r.bytes().await.unwrap().as_ref(), raw, "the raw source, byte for byte");
    let (_, b2) = t.mime(id, b"From: <@>\r\nSubject: otro\r\nMessage-ID: <u2@c>\r\n\r\nOtro.\r\n").await;
    assert_ne!(b2["ticket_id"], ticket, "another sender-less mail is another ticket");
    // Nothing can be sent to it: a reply fails for good with the reason.
    t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "¿Quién es?"})).await;
    t.drain_jobs().await;
    t.eventually(10, || async {
        let last = messages_of(&t, ticket).await.pop().unwrap();
        (last["delivery"] == "failed").then_some(last)
    })
    .await;
    t.stop().await;
}

/// A node whose default sender is the SMTP sink on `port`.
async fn app_with_relay(
    port: u16,
    more: impl FnOnce(&mut atiende::config::Config) + Send + 'static,
) -> TestApp {
    spawn_app_with(move |c| {
        c.app.email.relay_host = "127.0.0.1".into();
        c.app.email.relay_port = port;
        c.app.email.from_address = "noreply@atiende.test".into();
        more(c);
    })
    .await
}

fn header<'a>(m: &'a mail_parser::Message<'a>, name: &str) -> String {
    m.header_raw(name).unwrap_or_else(|| panic!("header {name} missing")).trim().to_string()
}

#[tokio::test]
async fn replies_go_out_by_smtp_threaded_signed_and_with_the_chain() {
    let sink = SmtpSink::start();
    let t = app_with_relay(sink.port, |_| {}).await;
    let acc = t.email_account(
        json!({"address": "soporte@acme.test", "connection": "forwarding", "signature": "{agent_first_name} {agent_last_name}\n{agent_department}", "include_chain": true}),
    )
    .await;
    let id = acc["id"].as_i64().unwrap();
    let (_, b) = t.mime(id, "From: Ana Gómez <ana@cliente.test>\r\nTo: soporte@acme.test\r\nSubject: Factura duplicada\r\nMessage-ID: <m1@cliente.test>\r\n\r\nMe cobraron dos veces.\r\n".as_bytes()).await;
    let ticket = b["ticket_id"].as_i64().unwrap();
    let (_, b2) = t.mime(id, b"From: ana@cliente.test\r\nSubject: Re: Factura duplicada\r\nMessage-ID: <m2@cliente.test>\r\nIn-Reply-To: <m1@cliente.test>\r\nReferences: <m1@cliente.test>\r\n\r\nAdjunto el detalle.\r\n\r\nOn Mon, Ana wrote:\r\n> Me cobraron dos veces.\r\n").await;
    assert_eq!(b2["ticket_id"].as_i64(), Some(ticket), "the reply joins its thread");
    let m2 = messages_of(&t, ticket).await.pop().unwrap();
    assert_eq!(m2["text"], "Adjunto el detalle.", "quoted history folded away from the text");
    assert!(m2["email"]["quoted"].as_str().unwrap().contains("> Me cobraron"));
    // An agent with a full profile answers.
    let input = atiende_app::users::UserInput {
        email: "marta@acme.test".into(),
        password: Some("correct horse battery".into()),
        first_name: "Marta".into(),
        last_name: "Ruiz".into(),
        department: "Facturación".into(),
        roles: vec!["agent".into()],
        ..Default::default()
    };
    atiende_app::users::create_in_org(t.app(), "Acme", &input).await.unwrap();
    let u = atiende_store::users::with_email(&t.app().db, "marta@acme.test").await.unwrap().remove(0);
    let agent = atiende_app::auth::create_token(t.app(), u.id, "test").await.unwrap();
    let r = t
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/tickets/{ticket}/messages"),
            &agent,
            Some(json!({"text": "Ya lo revisamos & devolvimos <el> cobro."})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let got = sink.wait_for(1, 20).await;
    let raw = &got[0];
    let m = MessageParser::default().parse(raw).unwrap();
    assert_eq!(m.from().unwrap().first().unwrap().address(), Some("noreply@atiende.test"));
    assert_eq!(m.from().unwrap().first().unwrap().name(), Some("Soporte Acme"));
    assert_eq!(m.reply_to().unwrap().first().unwrap().address(), Some("soporte@acme.test"));
    assert_eq!(m.to().unwrap().first().unwrap().address(), Some("ana@cliente.test"));
    assert_eq!(m.subject(), Some("Re: Factura duplicada"));
    assert_eq!(header(&m, "In-Reply-To"), "<m2@cliente.test>");
    assert_eq!(header(&m, "References"), "<m1@cliente.test> <m2@cliente.test>");
    let mid = m.message_id().unwrap().to_string();
    assert!(mid.starts_with("atiende.") && mid.ends_with("@atiende.test"), "{mid}");
    assert!(m.date().is_some());
    assert_eq!(m.header_raw("X-RcptTo").map(str::trim), Some("ana@cliente.test"), "envelope recipient");
    let text = m.body_text(0).unwrap();
    assert!(
        text.starts_with("Ya lo revisamos & devolvimos <el> cobro.\n\n-- \nMarta Ruiz\nFacturación"),
        "{text}"
    );
    assert!(text.contains("ana@cliente.test wrote:\n> Adjunto el detalle."), "chain quoted: {text}");
    let html = m.body_html(0).unwrap();
    assert!(html.contains("devolvimos &lt;el&gt; cobro") && html.contains("<blockquote"), "{html}");
    // The message records how it went out; a client reply to it threads back.
    t.eventually(10, || async {
        let last = messages_of(&t, ticket).await.pop().unwrap();
        (last["delivery"] == "sent").then_some(())
    })
    .await;
    let out = messages_of(&t, ticket).await.pop().unwrap();
    assert_eq!(out["external_id"].as_str(), Some(mid.as_str()));
    assert_eq!(out["email"]["subject"], "Re: Factura duplicada");
    let reply = format!(
        "From: ana@cliente.test\r\nSubject: Re: Factura duplicada\r\nMessage-ID: <m3@cliente.test>\r\nIn-Reply-To: <{mid}>\r\nReferences: <m1@cliente.test> <m2@cliente.test> <{mid}>\r\n\r\nGracias!\r\n"
    );
    let (_, b3) = t.mime(id, reply.as_bytes()).await;
    assert_eq!(b3["ticket_id"].as_i64(), Some(ticket));
    t.stop().await;
}

/// In-Reply-To and References decide the thread, not only the sender: a colleague in Cc
/// answering the agent's reply, or the client writing from another address, joins the
/// ticket the answered mail belongs to. Without threading by these headers each of them
/// would open a ticket of its own.
#[tokio::test]
async fn replies_from_a_colleague_in_cc_or_another_address_join_the_thread() {
    let sink = SmtpSink::start();
    let t = app_with_relay(sink.port, |_| {}).await;
    let acc = t.email_account(json!({"address": "soporte@acme.test", "connection": "forwarding"})).await;
    let id = acc["id"].as_i64().unwrap();
    let (_, b) = t.mime(id, b"From: Ana <ana@cliente.test>\r\nTo: soporte@acme.test\r\nCc: Carlos <carlos@cliente.test>\r\nSubject: Pedido 881\r\nMessage-ID: <p1@cliente.test>\r\n\r\nNo llega el pedido.\r\n").await;
    let ticket = b["ticket_id"].as_i64().unwrap();
    let r = t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "Lo revisamos hoy."})).await;
    assert_eq!(r.status(), 201);
    t.eventually(20, || async {
        let last = messages_of(&t, ticket).await.pop().unwrap();
        (last["delivery"] == "sent").then_some(())
    })
    .await;
    let ours = messages_of(&t, ticket).await.pop().unwrap()["external_id"].as_str().unwrap().to_string();
    // Carlos, in Cc, answers our reply.
    let carlos = format!(
        "From: Carlos <carlos@cliente.test>\r\nTo: soporte@acme.test\r\nSubject: Re: Pedido 881\r\nMessage-ID: <p2@cliente.test>\r\nIn-Reply-To: <{ours}>\r\nReferences: <p1@cliente.test> <{ours}>\r\n\r\nEs urgente para nosotros.\r\n"
    );
    let (s, b) = t.mime(id, carlos.as_bytes()).await;
    assert_eq!(s, 202, "{b}");
    assert_eq!(b["ticket_id"].as_i64(), Some(ticket), "the colleague joins the thread");
    // Ana writes again from her other address, answering her own first mail.
    let (_, b) = t.mime(id, b"From: Ana P. <ana.perez@otra.test>\r\nSubject: Re: Pedido 881\r\nMessage-ID: <p3@otra.test>\r\nIn-Reply-To: <p1@cliente.test>\r\n\r\nSigo esperando.\r\n").await;
    assert_eq!(b["ticket_id"].as_i64(), Some(ticket), "another address of the thread joins it");
    let texts: Vec<String> =
        messages_of(&t, ticket).await.iter().map(|m| m["text"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(
        texts,
        ["No llega el pedido.", "Lo revisamos hoy.", "Es urgente para nosotros.", "Sigo esperando."]
    );
    // A mail answering nothing we know opens its own ticket; so does one answering a closed ticket.
    let (_, b) = t.mime(id, b"From: carlos@cliente.test\r\nSubject: Otra cosa\r\nMessage-ID: <p4@cliente.test>\r\nIn-Reply-To: <unknown@elsewhere.test>\r\n\r\nOtra consulta.\r\n").await;
    let other = b["ticket_id"].as_i64().unwrap();
    assert_ne!(other, ticket);
    let r = t.post(&format!("/api/v1/tickets/{ticket}/close"), json!({})).await;
    assert_eq!(r.status(), 200);
    let (_, b) = t.mime(id, b"From: Ana <ana@cliente.test>\r\nSubject: Re: Pedido 881\r\nMessage-ID: <p5@cliente.test>\r\nIn-Reply-To: <p1@cliente.test>\r\n\r\nYa llego, gracias.\r\n").await;
    let after = b["ticket_id"].as_i64().unwrap();
    assert!(
        after != ticket && after != other,
        "a closed ticket is not reopened by a reply: a new one starts"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_sending_failure_is_retried_until_the_smtp_server_is_back() {
    // Nothing listens on the relay port at first: the delivery waits and retries.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let t = spawn_app_with(move |c| {
        c.app.email.relay_host = "127.0.0.1".into();
        c.app.email.relay_port = port;
        c.app.email.timeout = Duration::from_secs(2);
    })
    .await;
    let acc = t.email_account(json!({"address": "soporte@acme.test", "connection": "forwarding"})).await;
    let (_, b) = t
        .mime(
            acc["id"].as_i64().unwrap(),
            b"From: ana@cliente.test\r\nSubject: hola\r\nMessage-ID: <r1@c>\r\n\r\nhola\r\n",
        )
        .await;
    let ticket = b["ticket_id"].as_i64().unwrap();
    t.post(&format!("/api/v1/tickets/{ticket}/messages"), json!({"text": "respuesta"})).await;
    t.eventually(10, || async {
        let last = messages_of(&t, ticket).await.pop().unwrap();
        (last["delivery"] == "pending"
            && last["delivery_error"].as_str().is_some_and(|e| e.contains("SMTP 127.0.0.1")))
        .then_some(())
    })
    .await;
    // The sink comes up on that port: the next attempt goes through, once.
    let sink = start_sink_on(port);
    t.eventually(20, || async {
        (messages_of(&t, ticket).await.pop().unwrap()["delivery"] == "sent").then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1);
    t.stop().await;
}

fn start_sink_on(port: u16) -> SmtpSink {
    SmtpSink::start_on(port)
}

#[tokio::test]
async fn imap_mailboxes_are_read_once_across_restarts_outages_and_bad_passwords() {
    let dc = Dovecot::start(&[("soporte", "secreto")]);
    let first = corpus(30);
    dc.append("soporte", "secreto", &first).await;
    let db = atiende_testkit::TestDb::new().await;
    let mut cfg = db.config();
    cfg.app.email.imap_poll_interval = Duration::from_secs(1);
    cfg.app.email.imap_batch = 7;
    cfg.app.email.reconnect_max = Duration::from_secs(1);
    let server = atiende::server::start(&cfg, None).await.unwrap();
    let mut t = TestApp {
        url: format!("http://{}", server.addr),
        server: Some(server),
        http: reqwest::Client::new(),
        token: String::new(),
        db,
    };
    t.token = t.user("Acme", "admin@acme.test", &["admin"]).await;
    let settings = json!({"address": "soporte@acme.test", "connection": "imap",
        "imap": {"host": "127.0.0.1", "port": dc.port, "security": "none", "username": "soporte", "password": "secreto"}});
    let acc = t.email_account(settings).await;
    let id = acc["id"].as_i64().unwrap();
    assert_eq!(acc["status"], "active");
    assert!(acc["settings"]["imap"].get("password").is_none(), "the password is never returned");
    let count = |t: &TestApp| {
        let db = t.app().db.clone();
        async move {
            atiende_store::inspect::int(&db, "SELECT COUNT(*) FROM messages WHERE direction = 'in'", &[])
                .await
                .unwrap()
        }
    };
    t.eventually(30, || async { (count(&t).await >= 12).then_some(()) }).await;
    // Stop the node in the middle of reading (batches of 7), start a new one on the same database.
    let server = t.server.take().unwrap();
    server.stop().await;
    let server = atiende::server::start(&cfg, None).await.unwrap();
    t.url = format!("http://{}", server.addr);
    t.server = Some(server);
    t.eventually(30, || async { (count(&t).await == 30).then_some(()) }).await;
    // New mail arrives while connected (IDLE).
    dc.append(
        "soporte",
        "secreto",
        &[b"From: nuevo@cliente.test\r\nSubject: nuevo\r\nMessage-ID: <idle1@c>\r\n\r\nllego ahora\r\n"
            .to_vec()],
    )
    .await;
    t.eventually(15, || async { (count(&t).await == 31).then_some(()) }).await;
    // The server goes away: the account needs reconnection, with the reason.
    dc.stop();
    let acc: Value = t
        .eventually(20, || async {
            let a = t.get_json(&format!("/api/v1/accounts/{id}")).await;
            (a["status"] == "needs_reconnection").then_some(a)
        })
        .await;
    assert!(acc["status_reason"].as_str().unwrap_or("").len() > 3, "{acc}");
    dc.restart();
    dc.append("soporte", "secreto", &[b"From: despues@cliente.test\r\nSubject: tras la caida\r\nMessage-ID: <after1@c>\r\n\r\nde vuelta\r\n".to_vec()]).await;
    t.eventually(30, || async {
        let a = t.get_json(&format!("/api/v1/accounts/{id}")).await;
        (a["status"] == "active" && count(&t).await == 32).then_some(())
    })
    .await;
    // Nothing was stored twice, and nothing was changed on the server.
    let dupes: i64 = atiende_store::inspect::int(
        &t.app().db,
        "SELECT COUNT(*) FROM (SELECT external_id FROM messages GROUP BY external_id HAVING COUNT(*) > 1) d",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(dupes, 0);
    assert!(!dc.log().contains("expunged=1") && !dc.log().contains("deleted=1"), "the mailbox was changed");
    // A wrong password: needs reconnection, "login refused".
    let r = t
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/accounts/{id}"),
            &t.token,
            Some(json!({"settings": {"imap": {"password": "wrong"}}})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let acc: Value = t
        .eventually(20, || async {
            let a = t.get_json(&format!("/api/v1/accounts/{id}")).await;
            (a["status"] == "needs_reconnection"
                && a["status_reason"].as_str().is_some_and(|r| r.contains("login refused")))
            .then_some(a)
        })
        .await;
    assert!(acc["status_reason"].as_str().unwrap().contains("login refused"));
    // The connection test reports the server's answer.
    let r: Value =
        t.post(&format!("/api/v1/accounts/{id}/test-connection"), json!({})).await.json().await.unwrap();
    assert_eq!(r["imap"]["ok"], false, "{r}");
    assert!(r["imap"]["message"].as_str().unwrap().contains("login refused"), "{r}");
    t.stop().await;
}

async fn read_reply(r: &mut tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
    use tokio::io::AsyncBufReadExt;
    let mut l = String::new();
    loop {
        l.clear();
        r.read_line(&mut l).await.unwrap();
        if l.as_bytes().get(3) != Some(&b'-') {
            return l;
        }
    }
}

async fn smtp_send(port: u16, rcpt: &str, data: &[u8]) -> String {
    use tokio::io::{AsyncWriteExt, BufReader};
    let s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (r, mut w) = s.into_split();
    let mut r = BufReader::new(r);
    assert!(read_reply(&mut r).await.starts_with("220"));
    w.write_all(b"EHLO mx.test\r\n").await.unwrap();
    assert!(read_reply(&mut r).await.starts_with("250"));
    w.write_all(b"MAIL FROM:<bounce@mx.test>\r\n").await.unwrap();
    assert!(read_reply(&mut r).await.starts_with("250"));
    w.write_all(format!("RCPT TO:<{rcpt}>\r\n").as_bytes()).await.unwrap();
    let rc = read_reply(&mut r).await;
    if !rc.starts_with("250") {
        return rc;
    }
    w.write_all(b"DATA\r\n").await.unwrap();
    assert!(read_reply(&mut r).await.starts_with("354"));
    let mut body = Vec::new();
    for l in data.split_inclusive(|b| *b == b'\n') {
        if l.starts_with(b".") {
            body.push(b'.');
        }
        body.extend_from_slice(l);
    }
    if !body.ends_with(b"\r\n") {
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b".\r\n");
    w.write_all(&body).await.unwrap();
    let end = read_reply(&mut r).await;
    w.write_all(b"QUIT\r\n").await.unwrap();
    end
}

#[tokio::test]
async fn forwarding_is_validated_by_the_mail_coming_back_and_receives_mail() {
    let relay = SmtpSink::start();
    let t = app_with_relay(relay.port, |c| c.smtp_listen = Some("127.0.0.1:0".into())).await;
    let listen = t.server.as_ref().unwrap().smtp_addr.unwrap().port();
    let acc = t.email_account(json!({"address": "soporte@acme.test", "connection": "forwarding"})).await;
    let id = acc["id"].as_i64().unwrap();
    let fwd = acc["forwarding_address"].as_str().unwrap().to_string();
    assert_eq!(acc["status"], "not_validated");
    // Unknown recipients are refused at RCPT.
    assert!(smtp_send(listen, "nobody@inbound.atiende.localhost", b"x").await.starts_with("550"));
    // Gmail's own confirmation mail arrives through the forwarding address: a ticket, as in the seed.
    let gmail = b"From: Gmail Team <forwarding-noreply@google.com>\r\nTo: soporte@acme.test\r\nSubject: (#123456789) Gmail Forwarding Confirmation\r\nMessage-ID: <gmail-confirm@google.com>\r\n\r\nConfirmation code: 123456789\r\n.hidden dot line\r\n";
    assert!(smtp_send(listen, &fwd, gmail).await.starts_with("250"));
    let tickets = t.get_json("/api/v1/tickets").await;
    let ticket = tickets["items"][0]["id"].as_i64().unwrap();
    let msg = messages_of(&t, ticket).await.pop().unwrap();
    assert!(
        msg["text"].as_str().unwrap().contains("Confirmation code: 123456789\n.hidden dot line"),
        "{msg}"
    );
    // Validation: a mail with a one-time token goes to the account's address…
    let r = t.post(&format!("/api/v1/accounts/{id}/validate"), json!({})).await;
    assert_eq!(r.status(), 200);
    let sent = relay.wait_for(1, 20).await;
    let m = MessageParser::default().parse(&sent[0]).unwrap();
    assert_eq!(m.to().unwrap().first().unwrap().address(), Some("soporte@acme.test"));
    assert!(m.header_raw("X-Atiende-Validation").is_some());
    // …and the mailbox forwards it back: the account is validated, no ticket is made of it.
    assert!(smtp_send(listen, &fwd, &sent[0]).await.starts_with("250"));
    let a = t.get_json(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(a["status"], "active", "{a}");
    assert_eq!(t.get_json("/api/v1/tickets").await["items"].as_array().unwrap().len(), 1);
    // A token that is not the account's does not validate anything.
    let r = t.post(&format!("/api/v1/accounts/{id}/validate"), json!({})).await;
    assert_eq!(r.status(), 200);
    let forged = b"From: x@evil.test\r\nX-Atiende-Validation: 00000000000000000000000000000000\r\nMessage-ID: <forged@e>\r\n\r\nhi\r\n";
    assert!(smtp_send(listen, &fwd, forged).await.starts_with("250"));
    assert_eq!(t.get_json(&format!("/api/v1/accounts/{id}")).await["status"], "not_validated");
    t.stop().await;
}

#[tokio::test]
async fn email_settings_are_checked_field_by_field() {
    let t = spawn_app().await;
    let cases = [
        (json!({"connection": "imap"}), "settings.address"),
        (
            json!({"address": "a@b.test", "connection": "imap", "imap": {"host": "h.test", "username": "u"}}),
            "settings.imap.password",
        ),
        (json!({"address": "a@b.test", "connection": "forwarding", "sending": "smtp"}), "settings.smtp"),
        (
            json!({"address": "a@b.test", "connection": "forwarding", "signature": "{agent_name}"}),
            "settings.signature",
        ),
        (
            json!({"address": "a@b.test", "connection": "forwarding", "blocked_senders": ["nope"]}),
            "settings.blocked_senders[0]",
        ),
    ];
    for (settings, field) in cases {
        let r = t.post("/api/v1/accounts", json!({"kind": "email", "name": "x", "settings": settings})).await;
        assert_eq!(r.status(), 422);
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"]["field"], field, "{b}");
    }
    assert_eq!(
        t.get_json("/api/v1/accounts").await["items"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );
    // Agents cannot create, validate or test accounts.
    let agent = t.user("Acme", "agent@acme.test", &["agent"]).await;
    let acc = t.email_account(json!({"address": "a@b.test", "connection": "forwarding"})).await;
    for path in ["validate", "test-connection"] {
        let r = t
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/accounts/{}/{path}", acc["id"]),
                &agent,
                Some(json!({})),
            )
            .await;
        assert_eq!(r.status(), 403, "{path}");
    }
    t.stop().await;
}

#[tokio::test]
async fn new_ticket_notifications_and_password_resets_are_mailed() {
    let sink = SmtpSink::start();
    let t = app_with_relay(sink.port, |_| {}).await;
    let acc = t
        .api_account(json!({"general": {"important_keywords": ["urgente"], "notifications": {"mode": "important", "emails": ["jefa@acme.test", "turno@acme.test"]}}}))
        .await;
    // Not important: no mail. Important: one mail per address, once per ticket.
    let (_, a) = t.inbound(acc, "n-1", "cli-1", "una consulta").await;
    let (_, b) = t.inbound(acc, "n-2", "cli-2", "es URGENTE, no tengo servicio").await;
    t.inbound(acc, "n-3", "cli-2", "sigo esperando, urgente").await;
    let got = sink.wait_for(2, 20).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    t.drain_jobs().await;
    assert_eq!(sink.messages().len(), 2, "one mail per address for the one important new ticket");
    let number = t.get_json(&format!("/api/v1/tickets/{}", b["ticket_id"])).await["number"].as_i64().unwrap();
    let mut to: Vec<String> = Vec::new();
    for raw in &got {
        let m = MessageParser::default().parse(raw).unwrap();
        to.push(m.to().unwrap().first().unwrap().address().unwrap().to_string());
        assert!(m.subject().unwrap().contains(&format!("#{number}")), "{:?}", m.subject());
        assert_eq!(header(&m, "Auto-Submitted"), "auto-replied");
        let text = m.body_text(0).unwrap();
        assert!(
            text.contains("es URGENTE") && text.contains(&format!("/tickets/{}", b["ticket_id"])),
            "{text}"
        );
    }
    to.sort();
    assert_eq!(to, ["jefa@acme.test", "turno@acme.test"]);
    assert!(a["ticket_id"] != b["ticket_id"]);
    // "all": every new ticket.
    let r = t.call(reqwest::Method::PATCH, &format!("/api/v1/accounts/{acc}"), &t.token, Some(json!({"settings": {"general": {"notifications": {"mode": "all", "emails": ["jefa@acme.test"]}}}}))).await;
    assert_eq!(r.status(), 200);
    t.inbound(acc, "n-4", "cli-3", "hola").await;
    sink.wait_for(3, 20).await;
    // A password reset link arrives by mail, in the user's language, and works.
    let r = t
        .http
        .post(format!("{}/password/forgot", t.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=admin%40acme.test")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let all = sink.wait_for(4, 20).await;
    let m = MessageParser::default().parse(&all[3]).unwrap();
    assert_eq!(m.to().unwrap().first().unwrap().address(), Some("admin@acme.test"));
    let text = m.body_text(0).unwrap().to_string();
    let token = text.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let r = t
        .http
        .post(format!("{}/password/reset", t.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}&password=a+brand+new+password"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = t
        .http
        .post(format!("{}/auth/login", t.url))
        .json(&json!({"email": "admin@acme.test", "password": "a brand new password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the new password works");
    t.stop().await;
}

#[tokio::test]
async fn imap_over_tls_and_starttls_checks_the_certificate() {
    let dc = Dovecot::start_tls(&[("soporte", "secreto")]);
    dc.append(
        "soporte",
        "secreto",
        &[b"From: tls@cliente.test\r\nSubject: tls\r\nMessage-ID: <tls1@c>\r\n\r\ncifrado\r\n".to_vec()],
    )
    .await;
    let ca = dc.ca_pem();
    let t = spawn_app_with(move |c| {
        c.app.email.imap_poll_interval = Duration::from_secs(1);
        c.app.email.reconnect_max = Duration::from_secs(1);
        c.app.email.extra_ca_pem = Some(ca);
    })
    .await;
    let imap = |port: u16, security: &str, address: &str| {
        json!({"address": address, "connection": "imap",
               "imap": {"host": "localhost", "port": port, "security": security, "username": "soporte", "password": "secreto"}})
    };
    let tls =
        t.email_account(imap(dc.tls_port.unwrap(), "tls", "tls@acme.test")).await["id"].as_i64().unwrap();
    let starttls =
        t.email_account(imap(dc.port, "starttls", "starttls@acme.test")).await["id"].as_i64().unwrap();
    for acc in [tls, starttls] {
        t.eventually(20, || async {
            let n = t.get_json(&format!("/api/v1/tickets?account_id={acc}")).await["items"]
                .as_array()
                .unwrap()
                .len();
            (n == 1).then_some(())
        })
        .await;
        let r: Value =
            t.post(&format!("/api/v1/accounts/{acc}/test-connection"), json!({})).await.json().await.unwrap();
        assert_eq!(r["imap"]["ok"], true, "{r}");
    }
    t.stop().await;
    // Without the CA, the server's certificate is refused: the account needs reconnection.
    let t = spawn_app_with(|c| c.app.email.reconnect_max = Duration::from_secs(1)).await;
    let acc =
        t.email_account(imap(dc.tls_port.unwrap(), "tls", "tls@acme.test")).await["id"].as_i64().unwrap();
    let a: Value = t
        .eventually(20, || async {
            let a = t.get_json(&format!("/api/v1/accounts/{acc}")).await;
            (a["status"] == "needs_reconnection").then_some(a)
        })
        .await;
    assert!(a["status_reason"].as_str().unwrap().contains("TLS"), "{a}");
    t.stop().await;
}

#[tokio::test]
async fn with_two_nodes_one_reads_the_mailbox_and_the_other_takes_over_when_it_stops() {
    let dc = Dovecot::start(&[("soporte", "secreto")]);
    dc.append("soporte", "secreto", &corpus(10)).await;
    let db = atiende_testkit::TestDb::new().await;
    let base = db.config();
    let config = move |node: &str| {
        let mut c = base.clone();
        c.app.node_id = node.into();
        c.app.email.imap_poll_interval = Duration::from_secs(1);
        c
    };
    let a = atiende::server::start(&config("node-a"), None).await.unwrap();
    let mut t = TestApp {
        url: format!("http://{}", a.addr),
        server: Some(a),
        http: reqwest::Client::new(),
        token: String::new(),
        db,
    };
    t.token = t.user("Acme", "admin@acme.test", &["admin"]).await;
    let acc = t.email_account(json!({"address": "soporte@acme.test", "connection": "imap",
        "imap": {"host": "127.0.0.1", "port": dc.port, "security": "none", "username": "soporte", "password": "secreto"}})).await;
    let id = acc["id"].as_i64().unwrap();
    let b = atiende::server::start(&config("node-b"), None).await.unwrap();
    let stored = |t: &TestApp| {
        let db = t.app().db.clone();
        async move {
            atiende_store::inspect::int(&db, "SELECT COUNT(*) FROM messages WHERE direction = 'in'", &[])
                .await
                .unwrap()
        }
    };
    let holder = |t: &TestApp| {
        let db = t.app().db.clone();
        async move { atiende_store::listeners::holder(&db, id).await.unwrap() }
    };
    t.eventually(30, || async { (stored(&t).await == 10).then_some(()) }).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let first = holder(&t).await.unwrap();
    // Only one node logs in to the mailbox (the other waits for the lease).
    let logins = dc.log().matches("Login: user=<soporte>").count();
    assert!(logins <= 2, "{logins} logins: both nodes read the mailbox");
    // The holder stops; the other takes over and reads what arrives next.
    let (stopping, staying) =
        if first == "node-a" { (t.server.take().unwrap(), b) } else { (b, t.server.take().unwrap()) };
    stopping.stop().await;
    t.url = format!("http://{}", staying.addr);
    t.server = Some(staying);
    dc.append(
        "soporte",
        "secreto",
        &[b"From: otro@cliente.test\r\nSubject: tras el relevo\r\nMessage-ID: <handover@c>\r\n\r\nhola\r\n"
            .to_vec()],
    )
    .await;
    t.eventually(30, || async { (stored(&t).await == 11).then_some(()) }).await;
    assert_ne!(holder(&t).await.unwrap(), first);
    t.stop().await;
}

#[tokio::test]
async fn agents_attach_files_to_email_replies_and_bad_files_are_refused() {
    let sink = SmtpSink::start();
    let t = app_with_relay(sink.port, |_| {}).await;
    let acc = t.email_account(json!({"address": "soporte@acme.test", "connection": "forwarding"})).await;
    let (_, b) = t.mime(acc["id"].as_i64().unwrap(), b"From: ana@cliente.test\r\nSubject: contrato\r\nMessage-ID: <f1@c>\r\n\r\nme envian el contrato?\r\n").await;
    let ticket = b["ticket_id"].as_i64().unwrap();
    let pdf = b"%PDF-1.4\n% contrato de prueba\n".to_vec();
    let csv = "nombre;monto\nAna;1000\n".as_bytes().to_vec();
    let file = |name: &str, ct: &str, data: &[u8]| json!({"filename": name, "content_type": ct, "data": atiende_core::b64::encode(data)});
    let path = format!("/api/v1/tickets/{ticket}/messages");
    // Refused, each naming its field, nothing stored.
    let bad = [
        (
            json!({"text": "x", "attachments": [file("virus.exe", "application/octet-stream", b"MZ")]}),
            "attachments[0].filename",
        ),
        (
            json!({"text": "x", "attachments": [file("a.pdf", "application/pdf", &pdf), file("foto.png", "image/png", b"not a png")]}),
            "attachments[1].content_type",
        ),
        (
            json!({"text": "x", "attachments": [{"filename": "a.txt", "content_type": "text/plain", "data": "***"}]}),
            "attachments[0].data",
        ),
        (json!({"text": "x", "attachments": [file("vacio.txt", "text/plain", b"")]}), "attachments[0].data"),
        (
            json!({"text": "x", "attachments": [file("a.txt", "no type", b"x")]}),
            "attachments[0].content_type",
        ),
    ];
    for (body, field) in bad {
        let r = t.post(&path, body).await;
        assert_eq!(r.status(), 422);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], field, "{e}");
    }
    assert_eq!(messages_of(&t, ticket).await.len(), 1, "nothing stored");
    // A reply with a PDF and a CSV: stored with the message and sent as MIME parts.
    let r = t.post(&path, json!({"text": "Adjunto el contrato.", "attachments": [file("contrato.pdf", "application/pdf", &pdf), file("montos.csv", "text/csv", &csv)]})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let got = sink.wait_for(1, 20).await;
    let m = MessageParser::default().parse(&got[0]).unwrap();
    let parts: Vec<(String, Vec<u8>)> = m
        .attachments()
        .map(|a| (a.attachment_name().unwrap_or("").to_string(), a.contents().to_vec()))
        .collect();
    assert_eq!(
        parts,
        vec![("contrato.pdf".to_string(), pdf.clone()), ("montos.csv".to_string(), csv.clone())]
    );
    assert!(m.body_text(0).unwrap().starts_with("Adjunto el contrato."));
    let listed = messages_of(&t, ticket).await.pop().unwrap();
    assert_eq!(listed["attachments"].as_array().unwrap().len(), 2, "{listed}");
    // Channels without files refuse them on replies; notes keep them.
    let api = t.api_account(json!({})).await;
    let (_, b) = t.inbound(api, "x-1", "cli", "hola").await;
    let api_path = format!("/api/v1/tickets/{}/messages", b["ticket_id"]);
    let r = t
        .post(&api_path, json!({"text": "va", "attachments": [file("a.pdf", "application/pdf", &pdf)]}))
        .await;
    assert_eq!(r.status(), 409);
    let r = t
        .post(
            &api_path,
            json!({"text": "nota", "note": true, "attachments": [file("a.pdf", "application/pdf", &pdf)]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    t.stop().await;
}
