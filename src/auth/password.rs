//! Argon2id password hashes. Hashing runs on the blocking pool: it is slow on
//! purpose and must not stall the async workers.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{AppError, Result};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 200;

/// At most this many hashes at once: each takes 19 MiB, and logins are open
/// to anyone, so a burst of them must queue instead of exhausting memory.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

async fn permit() -> Result<tokio::sync::SemaphorePermit<'static>> {
    HASHING.acquire().await.map_err(|e| AppError::Internal(e.into()))
}

fn hasher() -> Argon2<'static> {
    // OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks the password rules; the message names the field.
pub fn validate(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        return Err(AppError::field(
            "password",
            format!("Mật khẩu: cần ít nhất {MIN_LENGTH} ký tự."),
        ));
    }
    if n > MAX_LENGTH {
        return Err(AppError::field(
            "password",
            format!("Mật khẩu: tối đa {MAX_LENGTH} ký tự."),
        ));
    }
    Ok(())
}

pub async fn hash(password: &str) -> Result<String> {
    let password = password.to_string();
    let _permit = permit().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

/// Verifies against a stored hash. With `None` (unknown user) it still spends
/// the same effort, so response time does not reveal which usernames exist.
pub async fn verify(stored: Option<String>, password: &str) -> Result<bool> {
    let password = password.to_string();
    let _permit = permit().await?;
    tokio::task::spawn_blocking(move || {
        let dummy;
        let stored = match stored {
            Some(s) => s,
            None => {
                dummy = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Wb0yoVuNnyJ2sGvcYFk8Lzd1hXHrg0I5AnBjb3x5uME";
                dummy.to_string()
            }
        };
        let Ok(parsed) = PasswordHash::new(&stored) else { return false };
        hasher().verify_password(password.as_bytes(), &parsed).is_ok()
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))
}

/// A random password for accounts created without one (the first admin).
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let h = hash("mật khẩu đủ dài").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(Some(h.clone()), "mật khẩu đủ dài").await.unwrap());
        assert!(!verify(Some(h), "sai mật khẩu").await.unwrap());
        assert!(!verify(None, "bất kỳ").await.unwrap());
    }

    #[test]
    fn short_passwords_are_refused_by_field() {
        let err = validate("ngắn").unwrap_err();
        assert!(err.fields().unwrap().contains_key("password"));
        assert!(validate("đủ dài rồi nhé").is_ok());
    }
}
