//! The MIME fixture corpus (`tests/corpus/mime/`, see its README): each small `.eml` of what
//! real mailboxes send — legacy and mislabelled charsets, broken structure, odd senders —
//! parsed and compared with its `.json` expectation. Every case is checked and every
//! mismatch reported together.
use atiende_channels::email::parse::{Limits, parse};
use serde_json::Value;
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/mime"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The mismatches of one case (empty when it parses as expected).
fn check(name: &str, raw: &[u8], want: &Value) -> Vec<String> {
    let p = parse(raw, Limits::default());
    let mut bad = Vec::new();
    let mut fail = |what: String| bad.push(format!("{name}: {what}"));
    if let Some(from) = want.get("from") {
        let got = p.from.as_ref().map(|m| m.address.as_str());
        if got != from.as_str() {
            fail(format!("from {got:?}, expected {from}"));
        }
    }
    if let Some(n) = want.get("from_name").and_then(Value::as_str) {
        let got = p.from.as_ref().and_then(|m| m.name.as_deref());
        if got != Some(n) {
            fail(format!("from name {got:?}, expected {n:?}"));
        }
    }
    if let Some(s) = want.get("subject").and_then(Value::as_str)
        && p.subject != s
    {
        fail(format!("subject {:?}, expected {s:?}", p.subject.chars().take(200).collect::<String>()));
    }
    let mut at = 0;
    let in_order = want["text_in_order"].as_bool().unwrap_or(false);
    for s in strings(&want["text_contains"]) {
        match p.text[at..].find(&s) {
            Some(i) => {
                if in_order {
                    at += i + s.len();
                }
            }
            None if in_order && p.text.contains(&s) => fail(format!("text has {s:?} out of order")),
            None => {
                fail(format!("text lacks {s:?}; text is {:?}", p.text.chars().take(300).collect::<String>()))
            }
        }
    }
    for s in strings(&want["text_excludes"]) {
        if p.text.contains(&s) || p.subject.contains(&s) {
            fail(format!(
                "text or subject has {s:?}; text is {:?}",
                p.text.chars().take(300).collect::<String>()
            ));
        }
    }
    if let Some(h) = want.get("html").and_then(Value::as_bool)
        && h != p.html.is_some()
    {
        fail(format!("html present: {}, expected {h}", p.html.is_some()));
    }
    for s in strings(&want["html_contains"]) {
        if !p.html.as_deref().unwrap_or("").contains(&s) {
            fail(format!("html lacks {s:?}"));
        }
    }
    if let Some(list) = want.get("attachments").and_then(Value::as_array) {
        let got: Vec<(String, String)> =
            p.attachments.iter().map(|a| (a.filename.clone(), a.content_type.clone())).collect();
        let expected: Vec<(String, String)> = list
            .iter()
            .map(|a| {
                (
                    a["filename"].as_str().unwrap_or("").to_string(),
                    a["content_type"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        if got != expected {
            fail(format!("attachments {got:?}, expected {expected:?}"));
        }
    }
    bad
}

#[test]
fn every_case_of_the_mime_corpus_parses_as_expected() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/corpus/mime exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 60, "the corpus is there ({} cases)", cases.len());
    let mut failures = Vec::new();
    for eml in &cases {
        let name = eml.file_stem().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read(eml).unwrap();
        let want: Value = serde_json::from_slice(&std::fs::read(eml.with_extension("json")).unwrap())
            .unwrap_or_else(|e| panic!("{name}.json: {e}"));
        failures.extend(check(&name, &raw, &want));
    }
    assert!(failures.is_empty(), "{} of {} cases:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// A small deterministic generator (xorshift), so a failure names the seed that made it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation of a message as the world breaks them: cut short, bytes changed, a line
/// dropped or repeated, CRLF turned into LF, a part of another message spliced in, or
/// plain noise.
fn mutate(rng: &mut Rng, raw: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = raw.to_vec();
    for _ in 0..1 + rng.below(3) {
        match rng.below(7) {
            0 => v.truncate(rng.below(v.len() + 1)),
            1 => {
                for _ in 0..1 + rng.below(8) {
                    if !v.is_empty() {
                        let i = rng.below(v.len());
                        v[i] = rng.next() as u8;
                    }
                }
            }
            2 | 3 => {
                let lines: Vec<&[u8]> = v.split_inclusive(|b| *b == b'\n').collect();
                if !lines.is_empty() {
                    let i = rng.below(lines.len());
                    let mut out = Vec::new();
                    for (j, l) in lines.iter().enumerate() {
                        if j != i || rng.below(2) == 0 {
                            out.extend_from_slice(l);
                        }
                        if j == i && rng.below(2) == 0 {
                            out.extend_from_slice(l);
                        }
                    }
                    v = out;
                }
            }
            4 => v.retain(|b| *b != b'\r'),
            5 => {
                let at = rng.below(v.len() + 1);
                let from = rng.below(other.len() + 1);
                let len = rng.below(other.len() - from + 1);
                v.splice(at..at, other[from..from + len].iter().copied());
            }
            _ => v = (0..rng.below(600)).map(|_| rng.next() as u8).collect(),
        }
    }
    v
}

/// The body: after the first empty line; nothing for a header block alone; everything for
/// bytes without a header field.
fn body_of(raw: &[u8]) -> &[u8] {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => &raw[a.min(b)..],
        (Some(a), None) | (None, Some(a)) => &raw[a..],
        // No empty line: all headers, if any line is a header field.
        (None, None) => {
            let is_field = |l: &[u8]| {
                l.iter()
                    .position(|b| *b == b':')
                    .is_some_and(|i| i > 0 && l[..i].iter().all(|b| (33..=126).contains(b)))
            };
            if raw.split(|b| *b == b'\n').any(is_field) { &[] } else { raw }
        }
    }
}

/// Property: any byte string parses without a panic into a message that keeps what it
/// carried — a body with anything in it gives text, HTML or an attachment (at worst its
/// raw text), never nothing; an id is always there (the digest when the mail has none).
#[test]
fn any_bytes_parse_into_a_message_that_keeps_its_content() {
    let cases: Vec<Vec<u8>> = {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        paths.sort();
        paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
    };
    let limits = Limits { max_attachment_bytes: 4096, max_attachments: 8 };
    for seed in 1..=3000u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let base = &cases[rng.below(cases.len())];
        let other = &cases[rng.below(cases.len())];
        let raw = mutate(&mut rng, base, other);
        let p = parse(&raw, limits);
        assert!(!p.message_id.is_empty(), "seed {seed}: no id");
        assert!(p.attachments.len() <= 8, "seed {seed}: attachment limit");
        let carried = body_of(&raw).iter().any(|b| !b.is_ascii_whitespace());
        let kept = !p.text.trim().is_empty() || p.html.is_some() || !p.attachments.is_empty();
        assert!(
            !carried || kept,
            "seed {seed}: a body with content gave nothing: {:?}",
            String::from_utf8_lossy(&raw).chars().take(400).collect::<String>()
        );
        assert_eq!(parse(&raw, limits).text, p.text, "seed {seed}: parsing is deterministic");
    }
}

/// Inputs the fuzzer found (`fuzz/corpus/mime/regression-*`) parse in the test build too:
/// one reaches a `debug_assert!` of mail-parser 0.11.9 (a forwarded message whose boundary
/// state it loses; harmless in release, where it goes on), so mail-parser is built without
/// debug assertions in every profile (Cargo.toml) and the production path is what runs here.
#[test]
fn the_fuzzers_regressions_parse_without_panicking() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus/mime"));
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with("regression-") {
            let raw = std::fs::read(e.path()).unwrap();
            let p = parse(&raw, Limits::default());
            assert!(!p.message_id.is_empty());
            n += 1;
        }
    }
    assert!(n >= 1);
}
