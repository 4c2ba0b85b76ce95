//! Message templates (WhatsApp's approved templates, SPEC §4.4): a name, a language and a
//! body text whose `{{1}}`, `{{2}}`… are filled with parameters when one is sent — the only
//! messages WhatsApp takes outside its 24-hour window.
use crate::ValidationError;
use serde_json::{Value, json};

/// One template an account may send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub language: String,
    pub text: String,
}

/// The highest `{{n}}` of a text (0 without any), and whether they run 1…n without a gap.
pub fn placeholders(text: &str) -> (usize, bool) {
    let mut seen = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        rest = &rest[i + 2..];
        let Some(j) = rest.find("}}") else { break };
        if let Ok(n) = rest[..j].trim().parse::<usize>() {
            seen.push(n);
        }
        rest = &rest[j + 2..];
    }
    let max = seen.iter().copied().max().unwrap_or(0);
    (max, (1..=max).all(|n| seen.contains(&n)))
}

fn check_one(v: &Value, field: &str) -> Result<Template, ValidationError> {
    let s = |k: &str| v[k].as_str().map(str::trim).unwrap_or("");
    let name = s("name");
    if name.is_empty()
        || name.len() > 512
        || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(ValidationError::new(
            format!("{field}.name"),
            "must be the template's name at Meta: lowercase letters, digits and _",
        ));
    }
    let language = s("language");
    let lang_ok = (2..=15).contains(&language.len())
        && language.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !lang_ok {
        return Err(ValidationError::new(
            format!("{field}.language"),
            "must be a language code like es or en_US",
        ));
    }
    let text = s("text");
    crate::bounded_text(text, &format!("{field}.text"), 1024)?;
    if text.is_empty() {
        return Err(ValidationError::new(format!("{field}.text"), "is required"));
    }
    let (n, whole) = placeholders(text);
    if !whole || n > 20 {
        return Err(ValidationError::new(
            format!("{field}.text"),
            "numbers its parameters {{1}}, {{2}}… without a gap (at most 20)",
        ));
    }
    Ok(Template { name: name.to_string(), language: language.to_string(), text: text.to_string() })
}

/// Checks an account's `templates` list (each `{name, language, text}`), naming the field of
/// the first wrong one; a name and language appear once.
pub fn check_list(v: &Value, field: &str) -> Result<Vec<Template>, ValidationError> {
    let list = v.as_array().ok_or_else(|| ValidationError::new(field, "must be a list of templates"))?;
    if list.len() > 500 {
        return Err(ValidationError::new(field, "at most 500 templates"));
    }
    let mut out: Vec<Template> = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let t = check_one(t, &format!("{field}[{i}]"))?;
        if out.iter().any(|o| o.name == t.name && o.language == t.language) {
            return Err(ValidationError::new(format!("{field}[{i}].name"), "appears twice in this language"));
        }
        out.push(t);
    }
    Ok(out)
}

/// The list as settings keep it.
pub fn to_json(list: &[Template]) -> Value {
    Value::Array(
        list.iter().map(|t| json!({"name": t.name, "language": t.language, "text": t.text})).collect(),
    )
}

/// The text a template gives with its parameters: each required and non-empty (the field
/// `template.parameters[i]` names a missing one), as many as its placeholders.
pub fn fill(t: &Template, parameters: &[String]) -> Result<String, ValidationError> {
    let (n, _) = placeholders(&t.text);
    if parameters.len() != n {
        return Err(ValidationError::new(
            "template.parameters",
            format!("the template {} takes {n} parameters, not {}", t.name, parameters.len()),
        ));
    }
    let mut text = t.text.clone();
    for (i, p) in parameters.iter().enumerate() {
        let p = p.trim();
        if p.is_empty() {
            return Err(ValidationError::new(format!("template.parameters[{i}]"), "is required"));
        }
        crate::bounded_text(p, &format!("template.parameters[{i}]"), 1024)?;
        if p.contains(['\n', '\t']) || p.contains("    ") {
            // WhatsApp refuses parameters with new lines, tabs or more than 4 spaces in a row.
            return Err(ValidationError::new(
                format!("template.parameters[{i}]"),
                "cannot hold new lines, tabs or more than four spaces in a row",
            ));
        }
        text = text.replace(&format!("{{{{{}}}}}", i + 1), p);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_counted() {
        assert_eq!(placeholders("Hola {{1}}, tu pedido {{2}} llegó"), (2, true));
        assert_eq!(placeholders("Sin variables"), (0, true));
        assert_eq!(placeholders("{{1}} y {{3}}"), (3, false));
        assert_eq!(placeholders("{{ 1 }} roto {{"), (1, true));
    }

    #[test]
    fn lists_and_fills() {
        let list = check_list(&json!([{"name": "pedido_listo", "language": "es", "text": "Hola {{1}}, tu pedido {{2}} está listo"}]), "settings.templates").unwrap();
        assert_eq!(fill(&list[0], &["Ana".into(), "7".into()]).unwrap(), "Hola Ana, tu pedido 7 está listo");
        assert_eq!(fill(&list[0], &["Ana".into()]).unwrap_err().field, "template.parameters");
        assert_eq!(fill(&list[0], &["Ana".into(), " ".into()]).unwrap_err().field, "template.parameters[1]");
        assert_eq!(fill(&list[0], &["a\nb".into(), "7".into()]).unwrap_err().field, "template.parameters[0]");
        for (bad, field) in [
            (json!([{"name": "Pedido Listo", "language": "es", "text": "x"}]), "settings.templates[0].name"),
            (json!([{"name": "a", "language": "", "text": "x"}]), "settings.templates[0].language"),
            (json!([{"name": "a", "language": "es", "text": "{{2}}"}]), "settings.templates[0].text"),
            (
                json!([{"name": "a", "language": "es", "text": "x"}, {"name": "a", "language": "es", "text": "y"}]),
                "settings.templates[1].name",
            ),
            (json!({"name": "a"}), "settings.templates"),
        ] {
            assert_eq!(check_list(&bad, "settings.templates").unwrap_err().field, field, "{bad}");
        }
    }
}
