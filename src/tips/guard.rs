//! Abuse limits that identify no one. A tip form carries a token the server
//! signed when it served the form: it is good from 2 seconds to 4 hours after
//! and only once, so a script must fetch a form per tip and wait; and each
//! commune (or province, for "không nhớ địa điểm") accepts a budget of tips
//! per hour, so a flood reaches one place's budget and no further. Lookups
//! by tracking code are limited per code, so a secret cannot be guessed.
//! Nothing here keys on an address, a device or a cookie; it lives in memory.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{AppError, Result};

const TOKEN_MIN_AGE: u64 = 2;
const TOKEN_MAX_AGE: u64 = 4 * 3600;
const HOUR: Duration = Duration::from_secs(3600);
/// Wrong secrets allowed per tracking code per hour.
const LOOKUPS_PER_CODE: usize = 10;
/// Codes whose failures are remembered at most (a few MB).
const MAX_TRACKED_CODES: usize = 50_000;

pub struct Guard {
    secret: [u8; 32],
    state: Mutex<State>,
    pub budget_per_hour: usize,
}

#[derive(Default)]
struct State {
    used: HashSet<String>,
    sent: HashMap<String, VecDeque<SystemTime>>,
    failures: HashMap<String, VecDeque<SystemTime>>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn prune(q: &mut VecDeque<SystemTime>, now: SystemTime) {
    while q
        .front()
        .is_some_and(|t| now.duration_since(*t).unwrap_or_default() > HOUR)
    {
        q.pop_front();
    }
}

impl Guard {
    pub fn new(budget_per_hour: usize) -> Guard {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        Guard {
            secret,
            state: Mutex::new(State::default()),
            budget_per_hour,
        }
    }

    fn sign(&self, payload: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(payload.as_bytes());
        URL_SAFE_NO_PAD.encode(&h.finalize()[..18])
    }

    /// A fresh form token: issued-at, a nonce, and the signature of both.
    pub fn token(&self) -> String {
        self.token_at(now_secs())
    }

    /// A token issued `seconds` ago, for the demo and the tests, which need
    /// not wait out the minimum age. Signed by this server like any other.
    pub fn token_aged(&self, seconds: u64) -> String {
        self.token_at(now_secs().saturating_sub(seconds))
    }

    fn token_at(&self, issued: u64) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = format!("{issued}.{}", URL_SAFE_NO_PAD.encode(nonce));
        format!("{payload}.{}", self.sign(&payload))
    }

    /// Checks a token without spending it (every other check comes first, so
    /// a refused tip can be corrected and sent again with the same form).
    pub fn check_token(&self, token: &str) -> Result<()> {
        let refused = |m: &str| AppError::field("token", m.to_string());
        let mut parts = token.trim().rsplitn(2, '.');
        let (Some(sig), Some(payload)) = (parts.next(), parts.next()) else {
            return Err(refused(
                "Biểu mẫu đã cũ hoặc không hợp lệ; hãy mở lại trang gửi tin báo.",
            ));
        };
        let expected = self.sign(payload);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), sig.as_bytes())) {
            return Err(refused(
                "Biểu mẫu đã cũ hoặc không hợp lệ; hãy mở lại trang gửi tin báo.",
            ));
        }
        let issued: u64 = payload
            .split('.')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let age = now_secs().saturating_sub(issued);
        if age < TOKEN_MIN_AGE {
            return Err(refused(
                "Biểu mẫu được gửi quá nhanh; hãy đợi vài giây rồi gửi lại.",
            ));
        }
        if age > TOKEN_MAX_AGE {
            return Err(refused("Biểu mẫu đã quá 4 giờ; hãy mở lại trang gửi tin báo."));
        }
        let state = self
            .state
            .lock()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("tip guard poisoned")))?;
        if state.used.contains(payload) {
            return Err(refused(
                "Biểu mẫu này đã được dùng để gửi một tin báo; hãy mở lại trang để gửi tin khác.",
            ));
        }
        Ok(())
    }

    /// Spends the token and one unit of the budgets of the place, of its
    /// province (ten places' worth) and of the nation (a hundred places'
    /// worth), or refuses when one of them has had its hour's budget: a
    /// script spreading a flood over many communes meets the larger ones.
    pub fn admit(&self, token: &str, place: &str, province: &str) -> Result<()> {
        let now = SystemTime::now();
        let mut state = self
            .state
            .lock()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("tip guard poisoned")))?;
        let payload = token
            .trim()
            .rsplit_once('.')
            .map(|(p, _)| p.to_string())
            .unwrap_or_default();
        if state.used.contains(&payload) {
            return Err(AppError::field(
                "token",
                "Biểu mẫu này đã được dùng để gửi một tin báo; hãy mở lại trang để gửi tin khác.",
            ));
        }
        let buckets = [
            (format!("place:{place}"), self.budget_per_hour),
            (format!("province:{province}"), self.budget_per_hour * 10),
            ("nation".to_string(), self.budget_per_hour * 100),
        ];
        for (key, budget) in &buckets {
            let queue = state.sent.entry(key.clone()).or_default();
            prune(queue, now);
            if queue.len() >= *budget {
                return Err(AppError::Throttled(
                    "Hệ thống đang nhận quá nhiều tin báo từ địa bàn này trong một giờ; hãy thử lại sau, hoặc gọi số 113 nếu khẩn cấp."
                        .into(),
                ));
            }
        }
        for (key, _) in &buckets {
            state.sent.entry(key.clone()).or_default().push_back(now);
        }
        // Tokens older than their validity can never come back; forget them.
        let cutoff = now_secs().saturating_sub(TOKEN_MAX_AGE + 60);
        state.used.retain(|p| {
            p.split('.')
                .next()
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0)
                > cutoff
        });
        state.used.insert(payload);
        Ok(())
    }

    /// Refuses a lookup of a code that had too many wrong secrets this hour.
    /// Unknown codes are counted the same way, so the answer tells nothing.
    pub fn lookup_allowed(&self, code: &str) -> Result<()> {
        let now = SystemTime::now();
        let mut state = self
            .state
            .lock()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("tip guard poisoned")))?;
        if let Some(queue) = state.failures.get_mut(code) {
            prune(queue, now);
            if queue.len() >= LOOKUPS_PER_CODE {
                return Err(AppError::Throttled(
                    "Đã nhập sai quá nhiều lần với mã theo dõi này; hãy thử lại sau một giờ.".into(),
                ));
            }
        }
        Ok(())
    }

    pub fn lookup_failed(&self, code: &str) {
        if let Ok(mut state) = self.state.lock() {
            // Bounded under a guessing flood: past the cap, the stale entries
            // go, and if the flood is fresh, the oldest knowledge goes too.
            if state.failures.len() >= MAX_TRACKED_CODES && !state.failures.contains_key(code) {
                let now = SystemTime::now();
                state.failures.retain(|_, q| {
                    prune(q, now);
                    !q.is_empty()
                });
                if state.failures.len() >= MAX_TRACKED_CODES {
                    state.failures.clear();
                }
            }
            state
                .failures
                .entry(code.to_string())
                .or_default()
                .push_back(SystemTime::now());
        }
    }
}

impl Default for Guard {
    fn default() -> Self {
        Guard::new(30)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_single_use_and_need_a_moment() {
        let g = Guard::new(2);
        assert!(g.check_token(&g.token()).is_err(), "too fast");
        let t = g.token_at(now_secs() - 10);
        assert!(g.check_token(&t).is_ok());
        g.admit(&t, "03583", "12").unwrap();
        assert!(g.check_token(&t).is_err(), "spent");
        let forged = format!("{}x", t);
        assert!(g.check_token(&forged).is_err());
        assert!(
            g.check_token(&g.token_at(now_secs() - 5 * 3600)).is_err(),
            "too old"
        );
        // Budget: two per place per hour.
        g.admit(&g.token_at(now_secs() - 10), "03583", "12").unwrap();
        let third = g.admit(&g.token_at(now_secs() - 10), "03583", "12");
        assert_eq!(third.unwrap_err().status(), 429);
        g.admit(&g.token_at(now_secs() - 10), "03820", "14").unwrap();
        // The province's budget (ten places') holds when the flood moves on.
        let p = Guard::new(1);
        for commune in 0..10 {
            p.admit(&p.token_at(now_secs() - 10), &format!("c{commune}"), "12")
                .unwrap();
        }
        let eleventh = p.admit(&p.token_at(now_secs() - 10), "c10", "12");
        assert_eq!(eleventh.unwrap_err().status(), 429);
        p.admit(&p.token_at(now_secs() - 10), "c11", "14").unwrap();
    }
}
