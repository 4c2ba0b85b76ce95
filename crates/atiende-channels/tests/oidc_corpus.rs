//! The ID token corpus (`tests/corpus/oidc/`, written by its `gen.py` with the openssl
//! command line, not with the code under test): each token checked against the corpus's
//! keys, client, nonce and clock, and compared with the claims or the error it expects.
//! Every mismatch is reported together.
use atiende_channels::chat::oidc::{Expect, Jwks, verify_id_token};
use serde_json::Value;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/oidc"))
}

#[test]
fn every_id_token_of_the_corpus() {
    let corpus: Value = serde_json::from_slice(&std::fs::read(dir().join("cases.json")).unwrap()).unwrap();
    let keys = Jwks::parse(&std::fs::read(dir().join("jwks.json")).unwrap()).unwrap();
    let issuers = vec![corpus["issuer"].as_str().unwrap().to_string(), "accounts.google.com".to_string()];
    let want = Expect {
        issuers: &issuers,
        client_id: corpus["client_id"].as_str().unwrap(),
        nonce: corpus["nonce"].as_str().unwrap(),
        now: corpus["now"].as_i64().unwrap(),
    };
    let cases = corpus["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    let mut bad = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let got = verify_id_token(case["token"].as_str().unwrap(), &keys, &want);
        match (&got, case.get("expect"), case["error"].as_str()) {
            (Ok(c), Some(e), _) => {
                let same = e["sub"].as_str() == Some(c.sub.as_str())
                    && e["email"].as_str() == c.email.as_deref()
                    && e["name"].as_str() == c.name.as_deref();
                if !same {
                    bad.push(format!("{name}: got {c:?}, expected {e}"));
                }
            }
            (Err(e), None, Some(word)) if e.0.contains(word) => {}
            _ => bad.push(format!(
                "{name}: got {got:?}, expected {}",
                case.get("expect").unwrap_or(&case["error"])
            )),
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn a_key_set_without_the_tokens_key_does_not_verify_it() {
    let corpus: Value = serde_json::from_slice(&std::fs::read(dir().join("cases.json")).unwrap()).unwrap();
    let only_ec =
        Jwks::parse(br#"{"keys":[{"kty":"EC","kid":"test-1","crv":"P-256","x":"AA","y":"AA"}]}"#).unwrap();
    assert!(only_ec.is_empty());
    let issuers = vec![corpus["issuer"].as_str().unwrap().to_string()];
    let want = Expect {
        issuers: &issuers,
        client_id: corpus["client_id"].as_str().unwrap(),
        nonce: "n-0S6_WzA2Mj",
        now: corpus["now"].as_i64().unwrap(),
    };
    let valid = corpus["cases"][0]["token"].as_str().unwrap();
    assert!(verify_id_token(valid, &only_ec, &want).unwrap_err().0.contains("kid"));
    assert!(Jwks::parse(b"[]").is_err());
}
