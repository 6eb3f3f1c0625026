//! Cursor paging (reference §6) shared by every edge, with the simulator's deliberate quirks.

use base64::Engine as _;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value, json};

use super::error::GraphError;

/// Offset at which `accounts[0]`'s `/media` edge returns a short page (see the module docs of `sim`).
pub const SHORT_PAGE_AT: usize = 110;
/// Offset from which `accounts[1]`'s `/media` edge returns one empty page that still has `next`.
pub const EMPTY_PAGE_FROM: usize = 150;

/// Standard base64: written with padding; read with or without it, and in the URL-safe alphabet too
/// (opaque tokens copied by clients may have lost their `=` or been re-encoded).
const B64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Base64 of an opaque token (cursors, paging tokens).
pub fn b64_encode(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// The bytes of a base64 token written by [`b64_encode`] (standard or URL-safe, padding optional).
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let standard: String = s
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    B64.decode(standard).ok()
}

/// A deterministic paging quirk of one edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quirk {
    /// Plain paging.
    None,
    /// A page whose range strictly contains this offset is cut at it (a page shorter than `limit`).
    ShortAt(usize),
    /// The first page starting in `[x, x+limit)` is empty but still carries `next` (followed by the real data).
    EmptyFrom(usize),
}

/// How the `paging` object is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `cursors{before,after}` + `next` (when more) + `previous` (when not first).
    Full,
    /// As `Full`, but the last page carries only `cursors.before` (`/me/accounts`).
    AccountsLast,
    /// Only `cursors` (business-discovery nested media), absent when all fits one page.
    CursorsOnly,
}

/// The slice of items one request returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First index.
    pub start: usize,
    /// One past the last index.
    pub end: usize,
    /// The empty-page quirk fired.
    pub empty_quirk: bool,
}

/// Encode an opaque cursor for position `pos`.
pub fn enc_cursor(pos: usize, flag: bool) -> String {
    b64_encode(format!("igsim:{pos}:{}", u8::from(flag)).as_bytes())
}

/// Decode a cursor from [`enc_cursor`].
pub fn dec_cursor(s: &str) -> Result<(usize, bool), GraphError> {
    let bad = || GraphError::param("The parameter after or before is not a valid cursor");
    let raw = b64_decode(s.trim()).ok_or_else(bad)?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let mut it = text.split(':');
    if it.next() != Some("igsim") {
        return Err(bad());
    }
    let pos = it.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let flag = it.next() == Some("1");
    Ok((pos, flag))
}

/// Parse a `limit` value: default when absent/invalid/0, capped at `max` (the real API caps silently).
pub fn parse_limit(v: Option<&str>, default: usize, max: usize) -> usize {
    match v.and_then(|s| s.trim().parse::<usize>().ok()) {
        Some(0) | None => default,
        Some(n) => n.min(max),
    }
}

/// Compute the window for `len` items.
pub fn window(
    len: usize,
    limit: usize,
    after: Option<&str>,
    before: Option<&str>,
    quirk: Quirk,
) -> Result<Window, GraphError> {
    let (start, cap, flag) = match (after, before) {
        (Some(a), _) if !a.is_empty() => {
            let (p, f) = dec_cursor(a)?;
            (p + 1, len, f)
        }
        (_, Some(b)) if !b.is_empty() => {
            let (p, _) = dec_cursor(b)?;
            (p.saturating_sub(limit), p.min(len), false)
        }
        _ => (0, len, false),
    };
    let start = start.min(len);
    let mut end = (start + limit).min(cap).max(start);
    match quirk {
        Quirk::ShortAt(x) if start < x && x < end => end = x,
        Quirk::EmptyFrom(x)
            if !flag && start >= x && start < x + limit && start < len && start > 0 =>
        {
            return Ok(Window {
                start,
                end: start,
                empty_quirk: true,
            });
        }
        _ => {}
    }
    Ok(Window {
        start,
        end,
        empty_quirk: false,
    })
}

/// Build the `paging` object. `link(key, cursor)` gives the `next`/`previous` URL for `after`/`before`.
pub fn paging(
    w: &Window,
    len: usize,
    style: Style,
    link: &dyn Fn(&str, &str) -> String,
) -> Option<Value> {
    let mut p = Map::new();
    if w.empty_quirk {
        let before = enc_cursor(w.start, false);
        let after = enc_cursor(w.start - 1, true);
        p.insert("cursors".into(), json!({"before": before, "after": after}));
        p.insert("next".into(), json!(link("after", &after)));
        p.insert("previous".into(), json!(link("before", &before)));
        return Some(Value::Object(p));
    }
    if w.start >= w.end {
        return None;
    }
    let before = enc_cursor(w.start, false);
    let after = enc_cursor(w.end - 1, false);
    let more = w.end < len;
    match style {
        Style::CursorsOnly => {
            if w.start == 0 && !more {
                return None;
            }
            let mut c = Map::new();
            if w.start > 0 {
                c.insert("before".into(), json!(before));
            }
            if more {
                c.insert("after".into(), json!(after));
            }
            p.insert("cursors".into(), Value::Object(c));
        }
        Style::AccountsLast if !more => {
            p.insert("cursors".into(), json!({ "before": before }));
        }
        _ => {
            p.insert("cursors".into(), json!({"before": before, "after": after}));
            if more {
                p.insert("next".into(), json!(link("after", &after)));
            }
            if w.start > 0 {
                p.insert("previous".into(), json!(link("before", &before)));
            }
        }
    }
    Some(Value::Object(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_everything_once() {
        for quirk in [Quirk::None, Quirk::ShortAt(110), Quirk::EmptyFrom(150)] {
            for limit in [1usize, 7, 25, 100] {
                let len = 320;
                let mut seen = Vec::new();
                let mut after: Option<String> = None;
                let mut pages = 0;
                loop {
                    let w = window(len, limit, after.as_deref(), None, quirk).unwrap();
                    seen.extend(w.start..w.end);
                    pages += 1;
                    let p = paging(&w, len, Style::Full, &|k, c| format!("{k}={c}"));
                    match p.as_ref().and_then(|p| p.get("next")) {
                        Some(_) => {
                            after =
                                Some(p.unwrap()["cursors"]["after"].as_str().unwrap().to_string())
                        }
                        None => break,
                    }
                    assert!(pages < 1000);
                }
                assert_eq!(seen, (0..len).collect::<Vec<_>>(), "{quirk:?} {limit}");
            }
        }
    }

    #[test]
    fn before_goes_back() {
        let w = window(100, 25, Some(&enc_cursor(49, false)), None, Quirk::None).unwrap();
        assert_eq!((w.start, w.end), (50, 75));
        let b = window(100, 25, None, Some(&enc_cursor(50, false)), Quirk::None).unwrap();
        assert_eq!((b.start, b.end), (25, 50));
        assert!(dec_cursor("garbage!").is_err());
    }

    #[test]
    fn base64_tokens() {
        assert_eq!(b64_encode(b"abcd"), "YWJjZA==");
        for s in ["", "a", "ab", "abc", "pos:120", "recent:17843"] {
            let e = b64_encode(s.as_bytes());
            assert_eq!(b64_decode(&e).unwrap(), s.as_bytes());
            assert_eq!(b64_decode(e.trim_end_matches('=')).unwrap(), s.as_bytes());
        }
        assert_eq!(b64_decode("-_8").unwrap(), b64_decode("+/8=").unwrap());
        assert!(b64_decode("not base64!").is_none());
    }
}
