//! WhatsApp's click to chat (seed 000, SPEC §4.4): a phone number and a prefilled text give a
//! `wa.me` link and an HTML snippet a company puts on its site.
use crate::ValidationError;

fn percent(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The link (`https://wa.me/<digits>?text=<text>`, as WhatsApp documents it: the number in
/// international form without `+`, spaces or dashes) and the snippet (a link that opens in a
/// new tab). The number is checked as E.164; the text is at most 1,000 characters.
pub fn click_to_chat(phone: &str, text: &str, label: &str) -> Result<(String, String), ValidationError> {
    let phone = crate::chat::check_phone(phone, "click_to_chat.phone")?;
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    crate::bounded_text(text, "click_to_chat.text", 1000)?;
    let text = text.trim();
    let link = if text.is_empty() {
        format!("https://wa.me/{digits}")
    } else {
        format!("https://wa.me/{digits}?text={}", percent(text))
    };
    let snippet = format!(
        "<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a>",
        escape(&link),
        escape(label)
    );
    Ok((link, snippet))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_snippets() {
        let (link, snippet) =
            click_to_chat("+56 9 1234 5678", "Hola, quiero información del pedido #12 & más", "Escríbenos")
                .unwrap();
        assert_eq!(
            link,
            "https://wa.me/56912345678?text=Hola%2C%20quiero%20informaci%C3%B3n%20del%20pedido%20%2312%20%26%20m%C3%A1s"
        );
        assert_eq!(
            snippet,
            format!("<a href=\"{link}\" target=\"_blank\" rel=\"noopener noreferrer\">Escríbenos</a>")
        );
        assert_eq!(click_to_chat("+56912345678", "", "x").unwrap().0, "https://wa.me/56912345678");
        assert_eq!(click_to_chat("912345678", "", "x").unwrap_err().field, "click_to_chat.phone");
        let (_, s) = click_to_chat("+56912345678", "", "<b>\"hi\"</b>").unwrap();
        assert!(s.contains("&lt;b&gt;&quot;hi&quot;&lt;/b&gt;"));
    }
}
