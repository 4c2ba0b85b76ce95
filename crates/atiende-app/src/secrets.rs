//! Secrets at rest: account credentials are sealed with ChaCha20-Poly1305 under
//! the deployment key before they reach the database.
use crate::AppError;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

const NONCE_LEN: usize = 12;

impl Sealer {
    /// A sealer from a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self { cipher: ChaCha20Poly1305::new(&Key::from(*key)) }
    }

    /// Parses a key written as 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let bytes =
            hex::decode(text.trim()).map_err(|_| "the secret key must be 64 hex digits".to_string())?;
        let key: [u8; 32] =
            bytes.try_into().map_err(|_| "the secret key must be 64 hex digits".to_string())?;
        Ok(Self::new(&key))
    }

    /// A fresh random key as hex.
    pub fn generate_hex() -> Result<String, AppError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(hex::encode(key))
    }

    /// nonce ‖ ciphertext
    pub fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, AppError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| AppError::Internal(e.to_string()))?;
        let ct = self
            .cipher
            .encrypt(&Nonce::from(nonce), plain)
            .map_err(|_| AppError::Internal("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, AppError> {
        if sealed.len() < NONCE_LEN {
            return Err(AppError::Internal("sealed secret is truncated".into()));
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| AppError::Internal("bad nonce".into()))?;
        self.cipher
            .decrypt(&Nonce::from(nonce), ct)
            .map_err(|_| AppError::Internal("cannot open sealed secrets: wrong ATIENDE_SECRET_KEY?".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_and_detects_tampering() {
        let s = Sealer::from_hex(&Sealer::generate_hex().unwrap()).unwrap();
        let mut sealed = s.seal(b"hunter2").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(s.open(&sealed).unwrap(), b"hunter2");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(s.open(&sealed).is_err());
        let other = Sealer::from_hex(&Sealer::generate_hex().unwrap()).unwrap();
        assert!(other.open(&s.seal(b"x").unwrap()).is_err());
        assert!(Sealer::from_hex("abc").is_err());
    }
}
