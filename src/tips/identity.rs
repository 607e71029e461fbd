//! The reporter's name and phone, sealed with XChaCha20-Poly1305 under the
//! key from configuration (`ANTQ_TIP_KEY`), so a copy of the database alone
//! does not name anyone. Opening needs the key and, for an officer, a written
//! reason recorded in the audit log (triage.rs).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Result};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    pub phone: String,
}

/// A 32-byte key; its Debug never prints it.
#[derive(Clone)]
pub struct TipKey([u8; 32]);

impl std::fmt::Debug for TipKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TipKey(…)")
    }
}

impl TipKey {
    pub fn random() -> TipKey {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        TipKey(k)
    }

    /// Reads the base64 form of `ANTQ_TIP_KEY` (32 bytes).
    pub fn parse(text: &str) -> std::result::Result<TipKey, String> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| {
            "ANTQ_TIP_KEY must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)".to_string()
        })?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "ANTQ_TIP_KEY must be exactly 32 bytes in base64".to_string())?;
        Ok(TipKey(key))
    }

    /// The stored form of a tracking secret: SHA-256 over the key and the
    /// secret. The secret is 80 random bits, so a keyed hash is as strong as
    /// a slow one here, costs microseconds, and lets a flood of lookups
    /// cost the server nothing.
    pub fn secret_digest(&self, secret: &str) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.0);
        h.update(b"antq tip secret\0");
        h.update(secret.as_bytes());
        crate::text::hex(&h.finalize())
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    pub fn seal(&self, identity: &Identity) -> Result<String> {
        let cipher = XChaCha20Poly1305::new(&Key::from(self.0));
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let plain = serde_json::to_vec(identity).map_err(|e| AppError::Internal(e.into()))?;
        let sealed = cipher
            .encrypt(&XNonce::from(nonce), plain.as_slice())
            .map_err(|_| AppError::Internal(anyhow::anyhow!("sealing a tip identity failed")))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<Identity> {
        let bytes = STANDARD
            .decode(sealed)
            .map_err(|_| AppError::Internal(anyhow::anyhow!("sealed identity is not base64")))?;
        if bytes.len() < 24 {
            return Err(AppError::Internal(anyhow::anyhow!("sealed identity too short")));
        }
        let (nonce, body) = bytes.split_at(24);
        let nonce: [u8; 24] = nonce
            .try_into()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("sealed identity nonce")))?;
        let cipher = XChaCha20Poly1305::new(&Key::from(self.0));
        let plain = cipher.decrypt(&XNonce::from(nonce), body).map_err(|_| {
            AppError::Conflict {
                message: "Không mở được danh tính người báo tin: khóa mã hóa (ANTQ_TIP_KEY) khác với khóa đã dùng khi nhận tin."
                    .into(),
                fields: Default::default(),
            }
        })?;
        serde_json::from_slice(&plain).map_err(|e| AppError::Internal(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_identities_open_only_with_their_key() {
        let key = TipKey::random();
        let id = Identity {
            name: "Nguyễn Văn A".into(),
            phone: "0912345678".into(),
        };
        let sealed = key.seal(&id).unwrap();
        assert!(!sealed.contains("Nguy") && !sealed.contains("0912"));
        assert_eq!(key.open(&sealed).unwrap(), id);
        assert_eq!(TipKey::random().open(&sealed).unwrap_err().status(), 409);
        let again = TipKey::parse(&key.to_base64()).unwrap();
        assert_eq!(again.open(&sealed).unwrap(), id);
        assert!(TipKey::parse("c2hvcnQ=").is_err());
    }
}
