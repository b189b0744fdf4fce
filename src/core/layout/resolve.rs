//! Concrete document paths → the layout items that describe them.
//!
//! `server.port` is a field of a plain table, `storage.assets.images.bucket`
//! a field of one instance of a map section (and of its `s3` variant),
//! `endpoints[0].name` a field of one entry of an array section. Every front
//! end looks a path up here, so they all agree on what a path means.

use super::{Field, LayoutSet, Page, Section, SectionKind, Variant};
use crate::core::document::{DocPath, Segment};
use crate::core::validate::did_you_mean;

/// Longer paths get no "did you mean": comparing them costs more than it helps.
const MAX_SUGGEST_LEN: usize = 256;
/// Bound on the candidate paths compared for "did you mean".
const MAX_CANDIDATES: usize = 4096;

/// Which instance of a section a path is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Instance {
    /// A `[table.<name>]` of a map section (`images`).
    Name(String),
    /// An entry of an `[[array]]` section.
    Index(usize),
}

/// What a path names: a section, one of its instances, or a field in one.
#[derive(Clone, Debug)]
pub struct Resolved<'a> {
    pub page: &'a Page,
    pub section: &'a Section,
    /// `None` when the path names the table or the instance itself.
    pub field: Option<&'a Field>,
    /// `None` for a plain table, or a map/array path that stops at the section.
    pub instance: Option<Instance>,
    /// The variant that owns `field` when it is not a common field (`s3` for `bucket`).
    pub variant: Option<&'a Variant>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown setting “{path}”{hint}")]
pub struct ResolveError {
    pub path: String,
    /// `; did you mean “server.port”?` or empty.
    pub hint: String,
}

impl ResolveError {
    /// The suggested path, if any.
    pub fn suggestion(&self) -> Option<&str> {
        self.hint
            .strip_prefix("; did you mean “")?
            .strip_suffix("”?")
    }
}

impl LayoutSet {
    /// The page, section, instance and field a concrete path names.
    pub fn resolve(&self, path: &DocPath) -> Result<Resolved<'_>, ResolveError> {
        self.try_resolve(path).ok_or_else(|| self.unknown(path))
    }

    /// The layout page that shows a path; a proxy key in the wrong table
    /// goes to the page where it belongs.
    pub fn page_of(&self, path: &DocPath) -> Option<&Page> {
        if path.is_root() {
            return None;
        }
        if let Some(resolved) = self.try_resolve(path) {
            return Some(resolved.page);
        }
        if let Some((page, _, _)) = self.deepest_section(path) {
            return Some(page);
        }
        let (home, _) = self.proxy_field_by_key(path.last_key()?)?;
        self.pages
            .iter()
            .find(|p| p.sections.iter().any(|s| s.table == home.table))
    }

    pub(crate) fn try_resolve(&self, path: &DocPath) -> Option<Resolved<'_>> {
        let (page, section, depth) = self.deepest_section(path)?;
        let rest = &path.0[depth..];
        let (instance, keys) = match section.kind {
            SectionKind::Table => (None, rest),
            SectionKind::Map => match rest.split_first() {
                Some((Segment::Key(name), keys)) if section.instances.contains(name) => {
                    (Some(Instance::Name(name.clone())), keys)
                }
                Some(_) => return None,
                None => (None, rest),
            },
            SectionKind::Array => match rest.split_first() {
                Some((Segment::Index(i), keys)) => (Some(Instance::Index(*i)), keys),
                Some(_) => return None,
                None => (None, rest),
            },
        };
        let (field, variant) = match keys {
            [] => (None, None),
            [Segment::Key(key)] => {
                let (field, variant) = field_in(section, key)?;
                (Some(field), variant)
            }
            _ => return None,
        };
        Some(Resolved {
            page,
            section,
            field,
            instance,
            variant,
        })
    }

    /// The section whose table is the longest key prefix of `path`, and how
    /// many segments that table spans.
    fn deepest_section(&self, path: &DocPath) -> Option<(&Page, &Section, usize)> {
        let mut best: Option<(&Page, &Section, usize)> = None;
        for page in &self.pages {
            for section in &page.sections {
                let table = section.table_path();
                let matches = table.len() <= path.0.len()
                    && table
                        .iter()
                        .zip(&path.0)
                        .all(|(t, seg)| matches!(seg, Segment::Key(k) if k == t));
                if matches && best.is_none_or(|(_, _, depth)| table.len() > depth) {
                    best = Some((page, section, table.len()));
                }
            }
        }
        best
    }

    fn unknown(&self, path: &DocPath) -> ResolveError {
        let text = path.to_string();
        let hint = if text.len() > MAX_SUGGEST_LEN {
            String::new()
        } else {
            let candidates = self.concrete_paths(index_in(path));
            did_you_mean(&text, candidates.iter().map(String::as_str))
                .map(|s| format!("; did you mean “{s}”?"))
                .unwrap_or_default()
        };
        ResolveError { path: text, hint }
    }

    /// Every field path with map instances spelt out and arrays at `index`.
    fn concrete_paths(&self, index: usize) -> Vec<String> {
        let mut out = Vec::new();
        for section in self.sections() {
            let bases: Vec<String> = match section.kind {
                SectionKind::Table => vec![section.table.clone()],
                SectionKind::Map => section
                    .instances
                    .iter()
                    .map(|i| format!("{}.{i}", section.table))
                    .collect(),
                SectionKind::Array => vec![format!("{}[{index}]", section.table)],
            };
            for base in bases {
                out.extend(section.all_fields().map(|f| format!("{base}.{}", f.key)));
                if out.len() >= MAX_CANDIDATES {
                    out.truncate(MAX_CANDIDATES);
                    return out;
                }
            }
        }
        out
    }
}

/// A common field, or the field of the first variant that declares `key`.
fn field_in<'a>(section: &'a Section, key: &str) -> Option<(&'a Field, Option<&'a Variant>)> {
    if let Some(field) = section.field(key) {
        return Some((field, None));
    }
    section
        .variants
        .as_ref()?
        .options
        .iter()
        .find_map(|variant| {
            let field = variant.fields.iter().find(|f| f.key == key)?;
            Some((field, Some(variant)))
        })
}

/// The first array index in a path, so suggestions keep the user's entry.
fn index_in(path: &DocPath) -> usize {
    path.0
        .iter()
        .find_map(|s| match s {
            Segment::Index(i) => Some(*i),
            Segment::Key(_) => None,
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn resolve<'a>(set: &'a LayoutSet, text: &str) -> Result<Resolved<'a>, ResolveError> {
        let path = DocPath::parse(text).map_err(|e| ResolveError {
            path: e.to_string(),
            hint: String::new(),
        })?;
        set.resolve(&path)
    }

    #[test]
    fn resolves_plain_map_array_and_variant_paths() -> TestResult {
        let set = LayoutSet::builtin()?;
        let port = resolve(&set, "server.port")?;
        assert_eq!(port.section.table, "server");
        assert_eq!(port.field.map(|f| f.key.as_str()), Some("port"));
        assert_eq!(port.instance, None);

        let backend = resolve(&set, "storage.assets.images.backend")?;
        assert_eq!(backend.section.kind, SectionKind::Map);
        assert_eq!(backend.instance, Some(Instance::Name("images".into())));
        assert_eq!(backend.field.map(|f| f.key.as_str()), Some("backend"));
        assert!(backend.variant.is_none());

        let bucket = resolve(&set, "storage.assets.avatars.bucket")?;
        assert_eq!(bucket.variant.map(|v| v.value.as_str()), Some("s3"));
        assert_eq!(bucket.instance, Some(Instance::Name("avatars".into())));

        let name = resolve(&set, "endpoints[3].name")?;
        assert_eq!(name.section.kind, SectionKind::Array);
        assert_eq!(name.instance, Some(Instance::Index(3)));
        assert_eq!(name.field.map(|f| f.key.as_str()), Some("name"));
        Ok(())
    }

    #[test]
    fn tables_and_instances_resolve_without_a_field() -> TestResult {
        let set = LayoutSet::builtin()?;
        let entry = resolve(&set, "endpoints[0]")?;
        assert!(entry.field.is_none());
        assert_eq!(entry.instance, Some(Instance::Index(0)));
        let images = resolve(&set, "storage.assets.images")?;
        assert!(images.field.is_none());
        assert_eq!(images.instance, Some(Instance::Name("images".into())));
        let server = resolve(&set, "server")?;
        assert!(server.field.is_none() && server.instance.is_none());
        // The deepest table wins: `ui.pages` is its own section, not a key of `ui`.
        assert_eq!(resolve(&set, "ui.pages")?.section.table, "ui.pages");
        Ok(())
    }

    #[test]
    fn unknown_paths_suggest_the_closest_setting() -> TestResult {
        let set = LayoutSet::builtin()?;
        let err = resolve(&set, "server.prot").err().ok_or("must fail")?;
        assert_eq!(err.suggestion(), Some("server.port"));
        assert!(
            err.to_string().contains("did you mean “server.port”"),
            "{err}"
        );
        let err = resolve(&set, "storage.assets.imagse.backend")
            .err()
            .ok_or("unknown instance must fail")?;
        assert_eq!(err.suggestion(), Some("storage.assets.images.backend"));
        let err = resolve(&set, "endpoints[2].nmae")
            .err()
            .ok_or("must fail")?;
        assert_eq!(err.suggestion(), Some("endpoints[2].name"));
        // A map section needs an instance name, an array an index.
        assert!(resolve(&set, "endpoints.name").is_err());
        assert!(resolve(&set, "server.port.deeper").is_err());
        let long = format!("server.{}", "x".repeat(400));
        let err = resolve(&set, &long).err().ok_or("must fail")?;
        assert_eq!(err.hint, "");
        Ok(())
    }

    #[test]
    fn page_of_a_path() -> TestResult {
        let set = LayoutSet::builtin()?;
        let page = |text: &str| -> Result<Option<String>, Box<dyn std::error::Error>> {
            Ok(set.page_of(&DocPath::parse(text)?).map(|p| p.id.clone()))
        };
        let server = page("server.port")?;
        assert!(server.is_some());
        assert_eq!(page("server.no_such_key")?, server);
        let endpoints = page("endpoints[2].name")?;
        assert!(endpoints.is_some() && endpoints != server);
        assert_eq!(
            page("storage.assets.images.bucket")?,
            page("storage.assets")?
        );
        // `port` in an unknown table belongs on the server page.
        assert_eq!(page("nowhere.port")?, server);
        assert_eq!(page("nowhere.nothing")?, None);
        assert!(set.page_of(&DocPath::default()).is_none());
        Ok(())
    }
}
