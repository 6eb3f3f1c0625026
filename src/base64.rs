//! The simulator's opaque cursors (`src/sim`): standard base64 with the `base64` crate, strict about
//! the alphabet and the last group, padding optional on decoding (as the cursors always were read).
//!
//! Only a shim until the simulator uses the crate directly; Basic auth uses the crate's `STANDARD`
//! engine itself ([`crate::flight::auth`]).

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Standard alphabet, padded on encoding, padding optional on decoding.
const CURSOR: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Standard base64 with padding.
pub fn encode(input: &[u8]) -> String {
    CURSOR.encode(input)
}

/// Standard base64, padding optional; `None` for another alphabet (`-`, `_`), a dangling last
/// character or non-zero trailing bits.
pub fn decode(input: &str) -> Option<Vec<u8>> {
    CURSOR.decode(input).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for s in ["", "a", "ab", "abc", "user:pässword", "x:y:z"] {
            let e = encode(s.as_bytes());
            assert_eq!(decode(&e).unwrap(), s.as_bytes());
            assert_eq!(decode(e.trim_end_matches('=')).unwrap(), s.as_bytes());
        }
        assert_eq!(encode(b"user:pass"), "dXNlcjpwYXNz");
        for s in ["abcd", "cursor:12:0"] {
            assert_eq!(decode(&encode(s.as_bytes())).unwrap(), s.as_bytes());
        }
        assert_eq!(encode(b"abcd"), "YWJjZA==");
    }

    #[test]
    fn a_dangling_group_or_another_alphabet_is_refused() {
        // one character past the last full group: the old decoder dropped it silently
        assert_eq!(decode("dXNlcjpwYXNzA"), None);
        // URL-safe characters in a standard string: the old decoder mixed both alphabets
        assert_eq!(encode(b"u:??>"), "dTo/Pz4=");
        assert_eq!(decode("dTo_Pz4="), None);
        assert_eq!(decode("dTo-Pz4="), None);
        // non-zero bits after the last byte
        assert_eq!(decode("YWJjZB=="), None);
        assert_eq!(decode("garbage!"), None);
    }
}
