//! Vietnamese text helpers: search folding, name keys and number/date formats;
//! and the lowercase hex of digests.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lowercase hex of `bytes` (a SHA-256 digest as stored): one string
/// written in place, where `format!("{b:02x}")` per byte made 32 strings
/// for every API request's token digest.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Folds a name for diacritics- and case-insensitive search:
/// "KHỔNG LÀO" → "khong lao". Punctuation becomes a space so that
/// "Ea H’Leo" and "ea h leo" meet.
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut last_space = true;
    for c in input.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// NFC form with inner whitespace collapsed and ends trimmed: how names are stored.
pub fn clean_name(input: &str) -> String {
    // Most text arrives clean; building it again char by char was 40 % of
    // checking an import's rows (perf, bench/import.sh).
    if is_clean(input) {
        return input.to_string();
    }
    let nfc: String = input.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether [`clean_name`] would give `input` back unchanged: words parted
/// by single spaces, nothing around them, and NFC already (the quick check
/// answers "maybe" for some text, which then takes the long way).
fn is_clean(input: &str) -> bool {
    let mut after_space = true;
    for c in input.chars() {
        if c.is_whitespace() {
            if c != ' ' || after_space {
                return false;
            }
            after_space = true;
        } else {
            after_space = false;
        }
    }
    (input.is_empty() || !after_space)
        && (input.is_ascii()
            || unicode_normalization::is_nfc_quick(input.chars()) == unicode_normalization::IsNormalized::Yes)
}

/// Uniqueness key for a name within its commune: case-insensitive but
/// diacritics-sensitive, since "Nà" and "Na" can be two different villages.
pub fn name_key(input: &str) -> String {
    clean_name(input).to_lowercase()
}

/// Formats an integer the Vietnamese way: 10480 → "10.480".
pub fn format_int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

/// Formats a decimal with a comma: 3.5 → "3,5" (one decimal place).
pub fn format_decimal(x: f64, places: usize) -> String {
    format!("{x:.places$}").replace('.', ",")
}

/// 'YYYY-MM-DD…' → 'DD/MM/YYYY'; anything else is returned unchanged.
pub fn format_date(iso: &str) -> String {
    let b = iso.as_bytes();
    if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        format!("{}/{}/{}", &iso[8..10], &iso[5..7], &iso[0..4])
    } else {
        iso.to_string()
    }
}

/// 'YYYY-MM-DDTHH:MM:SSZ' (UTC) → 'DD/MM/YYYY HH:MM' in Vietnam time (UTC+7).
pub fn format_timestamp(iso: &str) -> String {
    match time::OffsetDateTime::parse(iso, &time::format_description::well_known::Rfc3339) {
        Ok(t) => {
            let t = t.to_offset(time::macros::offset!(+7));
            format!(
                "{:02}/{:02}/{} {:02}:{:02}",
                t.day(),
                u8::from(t.month()),
                t.year(),
                t.hour(),
                t.minute()
            )
        }
        Err(_) => iso.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
        let every: Vec<u8> = (0..=255).collect();
        let by_format: String = every.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&every), by_format);
    }

    #[test]
    fn folding_ignores_diacritics_and_case() {
        assert_eq!(fold("Xã Khổng Lào"), "xa khong lao");
        assert_eq!(fold("KHỔNG LÀO"), "khong lao");
        assert_eq!(fold("khong lao"), "khong lao");
        assert_eq!(fold("Thị trấn Sơn Lư"), "thi tran son lu");
        assert_eq!(fold("Đặc khu Côn Đảo"), "dac khu con dao");
        assert_eq!(fold("  Ea H’Leo "), "ea h leo");
        assert_eq!(fold("50%_x"), "50 x");
    }

    #[test]
    fn names_are_nfc_and_trimmed() {
        let decomposed = "Ba\u{0300}n  Na\u{0300} ";
        assert_eq!(clean_name(decomposed), "Bàn Nà");
        // The quick path gives what the long way gives, clean or not.
        for s in [
            "",
            " ",
            "Bản Nà",
            "Bản  Nà",
            " Bản Nà",
            "Bản Nà ",
            "Bản\tNà",
            "Bản\u{a0}Nà",
            "Ba\u{0300}n Na\u{0300}",
            "Tuyên truyền phòng chống tội phạm",
            "a",
        ] {
            let long: String = s
                .nfc()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(clean_name(s), long, "{s:?}");
        }
        assert_eq!(name_key("Bản NÀ"), "bản nà");
        assert_ne!(name_key("Bản Nà"), name_key("Bản Na"));
    }

    #[test]
    fn numbers_and_dates_are_vietnamese() {
        assert_eq!(format_int(10480), "10.480");
        assert_eq!(format_int(860500), "860.500");
        assert_eq!(format_int(999), "999");
        assert_eq!(format_int(-1234567), "-1.234.567");
        assert_eq!(format_decimal(3.5, 1), "3,5");
        assert_eq!(format_date("2025-08-19"), "19/08/2025");
        assert_eq!(format_timestamp("2025-08-19T01:30:00Z"), "19/08/2025 08:30");
    }
}
