//! Email HTML, made safe before any browser sees it: no scripts, no event
//! handlers, no forms, frames or styles that could act; links open outside.
//! Inline images stay as `cid:` references, which the UI maps to the stored
//! attachment; remote images are kept but the UI serves message HTML under a
//! Content-Security-Policy that blocks remote loads until the agent asks for them.
use std::sync::OnceLock;

fn cleaner() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_url_schemes(["cid"])
            .add_tags(["font", "center"])
            .add_tag_attributes("font", ["color", "face", "size"])
            .add_tag_attributes("td", ["bgcolor", "width", "valign", "align"])
            .add_tag_attributes(
                "table",
                ["bgcolor", "width", "cellpadding", "cellspacing", "border", "align"],
            )
            .add_tag_attributes("img", ["width", "height"])
            .add_generic_attributes(["align", "dir"])
            .link_rel(Some("noopener noreferrer nofollow"))
            .set_tag_attribute_value("a", "target", "_blank");
        b
    })
}

/// Deepest element nesting kept. Real mail (tables in tables) stays well under it; deeper
/// elements lose their tags (their text stays). HTML parsing costs grow with depth, so a
/// 400 KB body of nested `<div>`s would otherwise take seconds of a core.
pub const MAX_DEPTH: usize = 100;

const VOID: &[&str] =
    &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"];

/// Drops the tags of elements nested deeper than `max_depth` (one linear pass; text and
/// shallower markup are kept as they are).
pub fn flatten_deep(html: &str, max_depth: usize) -> std::borrow::Cow<'_, str> {
    if html.bytes().filter(|b| *b == b'<').count() <= max_depth {
        return std::borrow::Cow::Borrowed(html);
    }
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    // One entry per open element: whether its tag was kept.
    let mut open: Vec<bool> = Vec::new();
    let mut kept_depth = 0usize;
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let closing = b.get(i + 1) == Some(&b'/');
        let name_at = if closing { i + 2 } else { i + 1 };
        if !b.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        // The tag's end, outside quoted attribute values.
        let mut j = name_at;
        let mut quote = 0u8;
        while j < b.len() {
            match (quote, b[j]) {
                (0, b'"' | b'\'') => quote = b[j],
                (q, c) if q != 0 && c == q => quote = 0,
                (0, b'>') => break,
                _ => {}
            }
            j += 1;
        }
        if j >= b.len() {
            break;
        }
        let name_end = (name_at..j).find(|&k| !b[k].is_ascii_alphanumeric()).unwrap_or(j);
        let name = html[name_at..name_end].to_ascii_lowercase();
        let self_closing = b[j - 1] == b'/' || VOID.contains(&name.as_str());
        let keep = if closing {
            match open.pop() {
                Some(true) => {
                    kept_depth -= 1;
                    true
                }
                Some(false) => false,
                None => true,
            }
        } else if self_closing {
            kept_depth < max_depth
        } else {
            let keep = kept_depth < max_depth;
            open.push(keep);
            if keep {
                kept_depth += 1;
            }
            keep
        };
        if !keep {
            out.push_str(&html[copied..i]);
            copied = j + 1;
        }
        i = j + 1;
    }
    out.push_str(&html[copied..]);
    std::borrow::Cow::Owned(out)
}

/// Sanitizes one HTML body.
pub fn sanitize_html(html: &str) -> String {
    cleaner().clean(&flatten_deep(html, MAX_DEPTH)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The deepest nesting of elements in `html` (the same rough tokenizing as above).
    fn depth(html: &str) -> usize {
        let (mut d, mut max) = (0usize, 0usize);
        for part in html.split('<').skip(1) {
            let tag = part.split('>').next().unwrap_or("");
            let name: String =
                tag.trim_start_matches('/').chars().take_while(char::is_ascii_alphanumeric).collect();
            if name.is_empty() || VOID.contains(&name.to_ascii_lowercase().as_str()) || tag.ends_with('/') {
                continue;
            }
            if tag.starts_with('/') {
                d = d.saturating_sub(1);
            } else {
                d += 1;
                max = max.max(d);
            }
        }
        max
    }

    #[test]
    fn deeply_nested_html_is_flattened_below_the_bound_and_keeps_its_text() {
        let n = 40_000;
        let html = format!("{}hola{}<p>fin</p>", "<div>".repeat(n), "</div>".repeat(n));
        let flat = flatten_deep(&html, MAX_DEPTH);
        assert_eq!(depth(&flat), MAX_DEPTH);
        let clean = sanitize_html(&html);
        assert!(depth(&clean) <= MAX_DEPTH, "depth {}", depth(&clean));
        assert!(clean.contains("hola") && clean.contains("<p>fin</p>"));
        // Unclosed nesting too.
        let open_only = "<b>".repeat(n) + "x";
        assert!(depth(&sanitize_html(&open_only)) <= MAX_DEPTH);
    }

    #[test]
    fn ordinary_mail_html_is_left_as_it_is() {
        let html = r#"<table width="100%"><tr><td align="left"><p>Hola <b>Ana</b><br>¿qué tal?</p><img src="cid:x" alt="a>b"></td></tr></table>"#;
        assert_eq!(flatten_deep(html, MAX_DEPTH), html);
        // Attribute values with '>' and quotes do not confuse the pass.
        let deep =
            format!("{}<a title='x>y' href=\"#\">t</a>{}", "<span>".repeat(150), "</span>".repeat(150));
        let flat = flatten_deep(&deep, MAX_DEPTH);
        assert_eq!(depth(&flat), MAX_DEPTH);
        assert!(flat.contains("t</"), "{}", &flat[flat.len() - 40..]);
    }
}
