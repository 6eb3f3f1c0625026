//! The Graph API `fields` parameter: a small recursive-descent parser.
//!
//! Grammar (whitespace around tokens is ignored):
//! ```text
//! list     := [field] ("," [field])*          -- empty items are tolerated, as the real API does
//! field    := name ("." name "(" args ")")* ["{" list "}"]
//! args     := any text up to the matching ")", split on top-level commas
//! name     := [A-Za-z0-9_]+
//! ```
//! Example: `id,children{id,media_type},replies.limit(5){id,text},insights.metric(reach,saved),
//! business_discovery.username(bluebottle){followers_count,media.after(CURSOR).limit(25){id,caption}}`.

use std::fmt;

/// One requested field, with its edge modifiers and its nested selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field or edge name.
    pub name: String,
    /// `.name(args)` modifiers in request order (`limit`, `after`, `metric`, `username`, …).
    pub modifiers: Vec<(String, Vec<String>)>,
    /// `{…}` nested selection, if any.
    pub children: Option<Vec<Field>>,
}

impl Field {
    /// A plain field without modifiers or selection.
    pub fn plain(name: &str) -> Field {
        Field {
            name: name.to_string(),
            modifiers: Vec::new(),
            children: None,
        }
    }
    /// The arguments of modifier `name` (last one wins).
    pub fn modifier(&self, name: &str) -> Option<&[String]> {
        self.modifiers
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a.as_slice())
    }
    /// The nested selection (empty without one).
    pub fn sub(&self) -> &[Field] {
        self.children.as_deref().unwrap_or(&[])
    }
    /// The first argument of modifier `name`.
    pub fn modifier_one(&self, name: &str) -> Option<&str> {
        self.modifier(name)
            .and_then(|a| a.first())
            .map(String::as_str)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (m, args) in &self.modifiers {
            write!(f, ".{m}({})", args.join(","))?;
        }
        if let Some(c) = &self.children {
            write!(f, "{{{}}}", FieldList(c))?;
        }
        Ok(())
    }
}

/// Display helper: a list of fields joined by commas (the inverse of [`parse_fields`]).
#[derive(Debug)]
pub struct FieldList<'a>(pub &'a [Field]);

impl fmt::Display for FieldList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, x) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{x}")?;
        }
        Ok(())
    }
}

/// A syntax error, with the character position where it was detected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldsError {
    /// 0-based character offset.
    pub position: usize,
    /// What went wrong, in the real API's wording style.
    pub message: String,
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }
    fn err(&self, msg: String) -> FieldsError {
        FieldsError {
            position: self.pos,
            message: msg,
        }
    }
    fn unexpected(&self, expected: &str) -> FieldsError {
        match self.s.get(self.pos) {
            Some(c) => self.err(format!(
                "Expected {expected} instead of \"{}\".",
                *c as char
            )),
            None => self.err(format!("Expected {expected} instead of end of string.")),
        }
    }
    fn name(&mut self) -> Result<String, FieldsError> {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.s.len()
            && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_')
        {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.unexpected("a field name"));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }
    fn args(&mut self) -> Result<Vec<String>, FieldsError> {
        // positioned just after '('
        let start = self.pos;
        let mut depth = 0usize;
        while self.pos < self.s.len() {
            match self.s[self.pos] {
                b'(' => depth += 1,
                b')' if depth == 0 => {
                    let raw = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
                    self.pos += 1;
                    let args = raw
                        .split(',')
                        .map(|a| a.trim().to_string())
                        .filter(|a| !a.is_empty())
                        .collect();
                    return Ok(args);
                }
                b')' => depth -= 1,
                _ => {}
            }
            self.pos += 1;
        }
        Err(self.err("Expected \")\" instead of end of string.".into()))
    }
    fn field(&mut self) -> Result<Field, FieldsError> {
        let name = self.name()?;
        let mut field = Field {
            name,
            modifiers: Vec::new(),
            children: None,
        };
        while self.peek() == Some(b'.') {
            self.pos += 1;
            let m = self.name()?;
            if self.peek() != Some(b'(') {
                return Err(self.unexpected("\"(\""));
            }
            self.pos += 1;
            let a = self.args()?;
            field.modifiers.push((m, a));
        }
        if self.peek() == Some(b'{') {
            self.pos += 1;
            let list = self.list()?;
            if self.peek() != Some(b'}') {
                return Err(self.unexpected("\"}\""));
            }
            self.pos += 1;
            field.children = Some(list);
        }
        Ok(field)
    }
    fn list(&mut self) -> Result<Vec<Field>, FieldsError> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'}') => return Ok(out),
                Some(b',') => {
                    self.pos += 1;
                }
                Some(_) => {
                    out.push(self.field()?);
                    match self.peek() {
                        None | Some(b'}') => return Ok(out),
                        Some(b',') => self.pos += 1,
                        Some(_) => return Err(self.unexpected("\",\"")),
                    }
                }
            }
        }
    }
}

/// Parse a `fields` value. An empty string gives an empty list.
pub fn parse_fields(s: &str) -> Result<Vec<Field>, FieldsError> {
    let mut p = Parser {
        s: s.as_bytes(),
        pos: 0,
    };
    let list = p.list()?;
    if p.peek().is_some() {
        return Err(p.err(format!(
            "Expected end of string instead of \"{}\".",
            p.s[p.pos] as char
        )));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_list() {
        let f = parse_fields("id, caption ,media_type").unwrap();
        assert_eq!(
            f.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            ["id", "caption", "media_type"]
        );
        assert!(parse_fields("").unwrap().is_empty());
        assert_eq!(parse_fields("id,").unwrap().len(), 1);
    }

    #[test]
    fn nested_and_modifiers() {
        let s = "a,b,children{id,media_type},replies.limit(5){id,text},insights.metric(reach,saved),\
                 business_discovery.username(bluebottle){followers_count,media.after(QUZURT0=).limit(25){id,caption}}";
        let f = parse_fields(s).unwrap();
        assert_eq!(f.len(), 6);
        assert_eq!(f[2].children.as_ref().unwrap().len(), 2);
        assert_eq!(f[3].modifier_one("limit"), Some("5"));
        assert_eq!(f[4].modifier("metric").unwrap(), ["reach", "saved"]);
        let bd = &f[5];
        assert_eq!(bd.modifier_one("username"), Some("bluebottle"));
        let media = &bd.children.as_ref().unwrap()[1];
        assert_eq!(media.name, "media");
        assert_eq!(media.modifier_one("after"), Some("QUZURT0="));
        assert_eq!(media.modifier_one("limit"), Some("25"));
        assert_eq!(media.children.as_ref().unwrap()[1].name, "caption");
        // Display round-trips
        assert_eq!(parse_fields(&FieldList(&f).to_string()).unwrap(), f);
        assert_eq!(FieldList(&f).to_string(), s);
    }

    #[test]
    fn syntax_errors() {
        assert!(parse_fields("a{b").is_err());
        assert!(parse_fields("a}").is_err());
        assert!(parse_fields("a.limit(5").is_err());
        assert!(parse_fields("a.limit").is_err());
        assert!(parse_fields("a b").is_err());
        assert!(parse_fields("a,{b}").is_err());
        let e = parse_fields("id,na-me").unwrap_err();
        assert_eq!(e.position, 5);
    }
}
