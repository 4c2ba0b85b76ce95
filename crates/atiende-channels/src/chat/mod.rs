//! The web chat's wire formats that are not plain JSON: the signed visitor identity a
//! company's backend gives its logged-in customers (so the widget trusts them without a form).
//!
//! `signature` = lowercase hex of HMAC-SHA256 under the chat's identity secret of
//! `id + "\n" + email` (`email` empty when not given). The same scheme Intercom's and
//! Chatwoot's identity verification use (an HMAC of the user's id), with the email inside
//! the signature so a signed id cannot be paired with another address.
pub mod oidc;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// What is signed for a visitor identity.
pub fn identity_payload(id: &str, email: &str) -> Vec<u8> {
    format!("{id}\n{email}").into_bytes()
}

/// The hex signature of an identity (what the company's backend computes).
pub fn sign_identity(secret: &[u8], id: &str, email: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(&identity_payload(id, email));
    hex::encode(mac.finalize().into_bytes())
}

/// Checks an identity's signature in constant time (`sha256=` before the hex is accepted).
/// An empty secret never verifies.
pub fn verify_identity(secret: &[u8], id: &str, email: &str, signature: &str) -> bool {
    let hex_sig = signature.trim();
    let hex_sig = hex_sig.strip_prefix("sha256=").unwrap_or(hex_sig);
    crate::webhook::verify(secret, &identity_payload(id, email), Some(&format!("sha256={hex_sig}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_verify_only_with_their_secret_id_and_email() {
        let sig = sign_identity(b"s3cret", "cliente-42", "ana@example.com");
        // Computed independently: printf 'cliente-42\nana@example.com' | openssl dgst -sha256 -hmac s3cret
        assert_eq!(sig, "1154260e29ccac85360631cb5abc9f6fbabc2a0a074927333a17ec82a81b2e98");
        assert!(verify_identity(b"s3cret", "cliente-42", "ana@example.com", &sig));
        assert!(verify_identity(b"s3cret", "cliente-42", "ana@example.com", &format!("sha256={sig}")));
        assert!(!verify_identity(b"otro", "cliente-42", "ana@example.com", &sig), "another secret");
        assert!(!verify_identity(b"s3cret", "cliente-43", "ana@example.com", &sig), "another id");
        assert!(!verify_identity(b"s3cret", "cliente-42", "eve@example.com", &sig), "another email");
        assert!(!verify_identity(b"", "cliente-42", "ana@example.com", &sig), "no secret");
        assert!(!verify_identity(b"s3cret", "cliente-42", "ana@example.com", "zz"), "not hex");
    }
}
