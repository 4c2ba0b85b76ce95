//! The shared step of every inbound webhook: checking the platform's signature over the
//! exact bytes it sent (so the raw body is kept until this has run). Meta signs with
//! `X-Hub-Signature-256: sha256=HEX`, our `api` channel with `X-Atiende-Signature:
//! sha256=HEX`: an HMAC-SHA256 of the body under a shared secret, compared in constant time.
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// `sha256=HEX` of the HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a `sha256=HEX` signature of `body` in constant time. An empty secret never
/// verifies (an account without one takes no webhooks).
pub fn verify(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(header) = header else { return false };
    if secret.is_empty() {
        return false;
    }
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else { return false };
    let Ok(sig) = hex::decode(hex_sig) else { return false };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_a_known_vector_and_refuse_the_rest() {
        // RFC 4231 test case 2.
        let sig = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(verify(b"Jefe", b"what do ya want for nothing?", Some(&sig)));
        assert!(verify(b"Jefe", b"what do ya want for nothing?", Some(&format!(" {sig} "))));
        assert!(!verify(b"Jefe", b"what do ya want for nothing!", Some(&sig)), "another body");
        assert!(!verify(b"Jeff", b"what do ya want for nothing?", Some(&sig)), "another secret");
        assert!(!verify(b"Jefe", b"x", Some("sha1=00")));
        assert!(!verify(b"Jefe", b"x", Some("sha256=zz")));
        assert!(!verify(b"Jefe", b"x", None));
        assert!(!verify(b"", b"", Some(&sign(b"", b""))), "no secret, no webhook");
    }
}
