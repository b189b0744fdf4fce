//! Paths into a document: `server.port`, `storage.assets.images.backend`, `endpoints[1].name`.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocPath(pub Vec<Segment>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("“{path}” is not a valid setting path: {reason}")]
pub struct PathError {
    pub path: String,
    pub reason: &'static str,
}

impl DocPath {
    /// Parse `a.b[2].c` (also `a.b.2.c`; a bare number after an array-ish key is an index).
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let err = |reason| PathError {
            path: text.to_owned(),
            reason,
        };
        if text.trim().is_empty() {
            return Err(err("it is empty"));
        }
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (name, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if name.is_empty() && rest.is_empty() {
                return Err(err("it has an empty segment"));
            }
            if !name.is_empty() {
                match name.parse::<usize>() {
                    Ok(i) if !segments.is_empty() => segments.push(Segment::Index(i)),
                    _ => segments.push(Segment::Key(name.to_owned())),
                }
            }
            while !rest.is_empty() {
                let close = rest.find(']').ok_or_else(|| err("a “[” is not closed"))?;
                let index = rest[1..close]
                    .parse()
                    .map_err(|_| err("an index is not a number"))?;
                segments.push(Segment::Index(index));
                rest = &rest[close + 1..];
                if !rest.is_empty() && !rest.starts_with('[') {
                    return Err(err("text follows “]”"));
                }
            }
        }
        Ok(Self(segments))
    }

    pub fn keys(keys: &[&str]) -> Self {
        Self(keys.iter().map(|k| Segment::Key((*k).to_owned())).collect())
    }

    pub fn child(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    pub fn index(&self, i: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(i));
        next
    }

    pub fn parent(&self) -> Option<Self> {
        let (_, head) = self.0.split_last()?;
        Some(Self(head.to_vec()))
    }

    /// The whole document (used by findings about the file itself).
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `self` is `prefix` or lies below it (`endpoints[1].name` in `endpoints[1]`).
    pub fn starts_with(&self, prefix: &DocPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    pub fn last_key(&self) -> Option<&str> {
        match self.0.last()? {
            Segment::Key(k) => Some(k),
            Segment::Index(_) => None,
        }
    }

    /// The layout pattern: indices become `[]` (`endpoints[].name`).
    pub fn pattern(&self) -> String {
        let mut out = String::new();
        for seg in &self.0 {
            match seg {
                Segment::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Segment::Index(_) => out.push_str("[]"),
            }
        }
        out
    }
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Segment::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// Serialised as its text (`endpoints[1].name`), so JSON output reads as before.
impl serde::Serialize for DocPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Compare with a path's text (`finding.path == "server.port"`).
impl PartialEq<str> for DocPath {
    fn eq(&self, other: &str) -> bool {
        let mut text = String::with_capacity(other.len());
        use std::fmt::Write;
        let _ = write!(text, "{self}");
        text == other
    }
}

impl PartialEq<&str> for DocPath {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl std::str::FromStr for DocPath {
    type Err = PathError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_paths() -> Result<(), PathError> {
        let p = DocPath::parse("endpoints[1].aliases")?;
        assert_eq!(p.to_string(), "endpoints[1].aliases");
        assert_eq!(p.pattern(), "endpoints[].aliases");
        assert_eq!(
            DocPath::parse("endpoints.1.name")?,
            DocPath::parse("endpoints[1].name")?
        );
        assert_eq!(DocPath::parse("server.port")?.0.len(), 2);
        assert!(DocPath::parse("a..b").is_err());
        assert!(DocPath::parse("a[x]").is_err());
        assert!(DocPath::parse("").is_err());
        Ok(())
    }

    #[test]
    fn prefixes_text_compare_and_json() -> Result<(), Box<dyn std::error::Error>> {
        let p = DocPath::parse("endpoints[1].name")?;
        assert!(p.starts_with(&DocPath::parse("endpoints[1]")?));
        assert!(!p.starts_with(&DocPath::parse("endpoints[10]")?));
        assert!(p == "endpoints[1].name" && p != "endpoints[1]");
        assert_eq!(serde_json::to_string(&p)?, "\"endpoints[1].name\"");
        assert!(DocPath::default().is_root());
        Ok(())
    }
}
