//! "Mark tickets important by content" (SPEC §4.3): words and short phrases matched
//! ignoring case and accents, on whole words, in Spanish and English text.
use crate::ValidationError;
use serde_json::Value;

/// Lower-case, accents removed (á→a, ü→u, ñ→n, ç→c…), split into words of letters and digits.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars().flat_map(char::to_lowercase) {
        let base = fold(ch);
        if base.is_alphanumeric() {
            cur.push(base);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn fold(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        'ý' | 'ÿ' => 'y',
        c => c,
    }
}

/// A prepared keyword list.
#[derive(Debug, Clone, Default)]
pub struct Keywords(Vec<Vec<String>>);

impl Keywords {
    pub fn new<S: AsRef<str>>(list: &[S]) -> Keywords {
        Keywords(list.iter().map(|k| words(k.as_ref())).filter(|w| !w.is_empty()).collect())
    }

    /// Whether any keyword or phrase appears in `text` as whole consecutive words.
    pub fn matches(&self, text: &str) -> bool {
        if self.0.is_empty() {
            return false;
        }
        let t = words(text);
        self.0.iter().any(|k| t.windows(k.len()).any(|w| w == k.as_slice()))
    }

    /// Reads `settings.general.important_keywords`, checking it (at most 200 entries of 1 to
    /// 100 characters, each with at least one letter or digit).
    pub fn from_settings(settings: &Value) -> Result<Keywords, ValidationError> {
        const FIELD: &str = "settings.general.important_keywords";
        let Some(v) =
            settings.get("general").and_then(|g| g.get("important_keywords")).filter(|v| !v.is_null())
        else {
            return Ok(Keywords::default());
        };
        let Some(list) = v.as_array() else {
            return Err(ValidationError::new(FIELD, "must be a list of words or phrases"));
        };
        if list.len() > 200 {
            return Err(ValidationError::new(FIELD, "at most 200 words or phrases"));
        }
        let mut out = Vec::with_capacity(list.len());
        for (i, k) in list.iter().enumerate() {
            let s = k
                .as_str()
                .ok_or_else(|| ValidationError::new(format!("{FIELD}[{i}]"), "must be a string"))?;
            if s.trim().is_empty() || s.chars().count() > 100 || words(s).is_empty() {
                return Err(ValidationError::new(
                    format!("{FIELD}[{i}]"),
                    "must be a word or phrase of 1 to 100 characters",
                ));
            }
            out.push(s.to_string());
        }
        Ok(Keywords::new(&out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_words_and_phrases_ignoring_case_and_accents() {
        let k = Keywords::new(&["urgente", "no funciona", "refund", "cancelación"]);
        assert!(k.matches("¡Esto es URGENTE!"));
        assert!(k.matches("es urgénte, por favor"));
        assert!(!k.matches("lo necesito urgentemente"), "whole words only");
        assert!(k.matches("El sitio NO FUNCIONA desde ayer"));
        assert!(k.matches("el sitio no\nfunciona"));
        assert!(!k.matches("no, sí funciona"), "a phrase is consecutive words");
        assert!(k.matches("I want a REFUND."));
        assert!(!k.matches("refunded already"));
        assert!(k.matches("quiero la cancelacion del pedido"));
        assert!(k.matches("CANCELACIÓN"));
        assert!(!Keywords::new::<&str>(&[]).matches("urgente"));
        assert!(Keywords::new(&["año"]).matches("Feliz ANO nuevo"), "ñ folds to n");
    }

    #[test]
    fn settings_are_checked() {
        let k =
            Keywords::from_settings(&json!({"general": {"important_keywords": ["Urgente", "no funciona"]}}))
                .unwrap();
        assert!(k.matches("urgente"));
        assert!(!Keywords::from_settings(&json!({})).unwrap().matches("urgente"));
        let field = |v: Value| {
            Keywords::from_settings(&json!({"general": {"important_keywords": v}})).unwrap_err().field
        };
        assert_eq!(field(json!("urgente")), "settings.general.important_keywords");
        assert_eq!(field(json!(["ok", 5])), "settings.general.important_keywords[1]");
        assert_eq!(field(json!(["ok", "  "])), "settings.general.important_keywords[1]");
        assert_eq!(field(json!(["!!!"])), "settings.general.important_keywords[0]");
        assert_eq!(field(json!(vec!["a"; 201])), "settings.general.important_keywords");
    }
}
