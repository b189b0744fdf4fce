//! One pass over the document: every key is known, misplaced, or unknown,
//! and every known value fits its field.

use toml_edit::{Item, Table, Value};

use super::locate::Locator;
use super::quick_fix::{QuickFix, convert_string};
use super::secrets::{looks_like_secret, secret_in_url, secret_message};
use super::suggest::hint;
use super::{Finding, Severity};
use crate::core::document::{DocPath, Segment};
use crate::core::layout::{Field, LayoutSet, Section, SectionKind, check_value};

struct Walker<'a> {
    layouts: &'a LayoutSet,
    locator: &'a Locator<'a>,
    findings: Vec<Finding>,
}

pub(super) fn walk(root: &Table, layouts: &LayoutSet, locator: &Locator<'_>) -> Vec<Finding> {
    let mut w = Walker {
        layouts,
        locator,
        findings: Vec::new(),
    };
    w.table(&DocPath::default(), root);
    w.findings
}

/// A table the whole walk checks in one call: `table(path, ..)`, or
/// `section_table` for an entry of an array of tables. That call is a pure
/// function of the table and its path, and every finding it reports has the
/// path as a prefix, so it can be redone alone after an edit inside it.
pub(super) struct Unit<'l> {
    pub(super) path: DocPath,
    entry_of: Option<&'l Section>,
}

/// The findings the whole walk reports for `unit`, whose table is `table`.
pub(super) fn walk_unit(
    unit: &Unit<'_>,
    table: &Table,
    layouts: &LayoutSet,
    locator: &Locator<'_>,
) -> Vec<Finding> {
    let mut w = Walker {
        layouts,
        locator,
        findings: Vec::new(),
    };
    match unit.entry_of {
        Some(section) => w.section_table(section, &unit.path, table),
        None => w.table(&unit.path, table),
    }
    w.findings
}

/// The units the walk goes through down to `table`, outermost first,
/// following the walk's own choices from the root (not the root itself).
/// No finding outside a unit depends on the key-values of `table` inside it.
pub(super) fn units_of<'l>(root: &Table, layouts: &'l LayoutSet, table: &DocPath) -> Vec<Unit<'l>> {
    let empty = Locator::new("");
    let w = Walker {
        layouts,
        locator: &empty,
        findings: Vec::new(),
    };
    let mut units = Vec::new();
    let mut path = DocPath::default();
    let mut at = root;
    let mut section: Option<&'l Section> = None;
    let mut entered = false;
    let mut segments = table.0.iter();
    loop {
        if !entered {
            // `table(path, at)`: a section, a parent of tables, or unknown.
            if !path.is_root() {
                units.push(Unit {
                    path: path.clone(),
                    entry_of: None,
                });
            }
            let pattern = path.pattern();
            section = layouts.section_for_pattern(&pattern);
            if section.is_none() && !w.is_parent(&path, &pattern) {
                return units; // unknown: nothing below it is walked
            }
        }
        let Some(Segment::Key(key)) = segments.next() else {
            return units;
        };
        if let Some(s) = section
            && s.field_for_variant(w.variant_of(s, at).as_deref(), key)
                .is_some()
        {
            return units; // a field: its value is checked, nothing below it walked
        }
        let child = path.child(key);
        match at.get(key) {
            Some(Item::Table(t)) => {
                (path, at, entered) = (child, t, false);
            }
            Some(Item::ArrayOfTables(a)) => {
                let pattern = format!("{}[]", child.pattern());
                let Some(s) = layouts.section_for_pattern(&pattern) else {
                    return units;
                };
                let Some(Segment::Index(i)) = segments.next() else {
                    return units;
                };
                let Some(entry) = a.get(*i) else {
                    return units;
                };
                (path, at, section, entered) = (child.index(*i), entry, Some(s), true);
                units.push(Unit {
                    path: path.clone(),
                    entry_of: Some(s),
                });
            }
            _ => return units,
        }
    }
}

impl Walker<'_> {
    fn push(
        &mut self,
        severity: Severity,
        path: &DocPath,
        span: Option<std::ops::Range<usize>>,
        message: String,
    ) {
        self.push_with_fix(severity, path, span, message, None);
    }

    fn push_with_fix(
        &mut self,
        severity: Severity,
        path: &DocPath,
        span: Option<std::ops::Range<usize>>,
        message: String,
        fix: Option<QuickFix>,
    ) {
        let (line, column) = self.locator.at(span);
        self.findings.push(Finding {
            severity,
            path: path.clone(),
            line,
            column,
            message,
            fix,
        });
    }

    /// A table the layouts may or may not know.
    fn table(&mut self, path: &DocPath, table: &Table) {
        let pattern = path.pattern();
        if let Some(section) = self.layouts.section_for_pattern(&pattern) {
            return self.section_table(section, path, table);
        }
        if !self.is_parent(path, &pattern) {
            return self.unknown_table(path, table);
        }
        for (key, item) in table {
            let child = path.child(key);
            match item {
                Item::Table(t) => self.table(&child, t),
                Item::ArrayOfTables(a) => self.array(&child, a),
                Item::Value(_) => self.stray_key(None, &child, table, key),
                Item::None => {}
            }
        }
    }

    /// A table that is no section but holds known ones: the root, a map's
    /// table, a table above a known one.
    fn is_parent(&self, path: &DocPath, pattern: &str) -> bool {
        let is_map = self
            .layouts
            .section_for_table(pattern)
            .is_some_and(|s| s.kind == SectionKind::Map);
        path.0.is_empty() || is_map || self.known_below(pattern)
    }

    fn known_below(&self, pattern: &str) -> bool {
        self.layouts.known_tables().any(|t| {
            t.len() > pattern.len() && t.starts_with(pattern) && t.as_bytes()[pattern.len()] == b'.'
        })
    }

    fn array(&mut self, path: &DocPath, array: &toml_edit::ArrayOfTables) {
        let pattern = format!("{}[]", path.pattern());
        let Some(section) = self.layouts.section_for_pattern(&pattern) else {
            let message = format!(
                "unknown array of tables [[{path}]]; ImageWorks and the proxy ignore it{}",
                hint(&path.to_string(), self.layouts.known_tables())
            );
            return self.push(Severity::Warning, path, array.span(), message);
        };
        for (i, entry) in array.iter().enumerate() {
            self.section_table(section, &path.index(i), entry);
        }
    }

    fn unknown_table(&mut self, path: &DocPath, table: &Table) {
        let parent = path.parent().map(|p| p.pattern()).unwrap_or_default();
        if let Some(section) = self
            .layouts
            .section_for_table(&parent)
            .filter(|s| s.kind == SectionKind::Map)
        {
            let message = format!(
                "unknown {} “{}”; known: {}",
                section.title.to_lowercase(),
                path.last_key().unwrap_or_default(),
                section.instances.join(", ")
            );
            return self.push(Severity::Warning, path, table_span(table), message);
        }
        let message = format!(
            "unknown table [{path}]; the proxy ignores it{}",
            hint(&path.to_string(), self.layouts.known_tables())
        );
        self.push(Severity::Warning, path, table_span(table), message);
        // Proxy keys in here are ignored too; say so for each, as for any misplaced key.
        for (key, item) in table {
            if item.is_value() && self.layouts.proxy_field_by_key(key).is_some() {
                self.stray_key(None, &path.child(key), table, key);
            }
        }
    }

    fn section_table(&mut self, section: &Section, path: &DocPath, table: &Table) {
        let variant = self.variant_of(section, table);
        for (key, item) in table {
            if let Some(field) = section.field_for_variant(variant.as_deref(), key) {
                // The key's span and path are only needed when there is something to say.
                self.field_value(section, field, path, key, table, item);
            } else if let Item::Table(t) = item {
                self.table(&path.child(key), t);
            } else if let Item::ArrayOfTables(a) = item {
                self.array(&path.child(key), a);
            } else {
                self.stray_key(Some(section), &path.child(key), table, key);
            }
        }
        self.required_fields(section, variant.as_deref(), path, table);
    }

    /// The variant (storage backend) a table uses: its own discriminator or
    /// the fallback setting's layout default.
    fn variant_of(&self, section: &Section, table: &Table) -> Option<String> {
        let variants = section.variants.as_ref()?;
        if let Some(v) = table.get(&variants.discriminator).and_then(Item::as_str) {
            return Some(v.to_owned());
        }
        let fallback = self.layouts.field(variants.fallback.as_deref()?)?;
        fallback.default.as_ref()?.as_str().map(str::to_owned)
    }

    fn field_value(
        &mut self,
        section: &Section,
        field: &Field,
        parent: &DocPath,
        key: &str,
        table: &Table,
        item: &Item,
    ) {
        let key_span = || table.key(key).and_then(toml_edit::Key::span);
        let Some(value) = item.as_value() else {
            let message = format!(
                "expected {}, found {}",
                field.ty.describe(),
                item.type_name()
            );
            return self.push(Severity::Error, &parent.child(key), key_span(), message);
        };
        if !field.read_by_proxy {
            self.never_read(field, &parent.child(key), key_span());
        }
        if section.scan_secrets && self.secret_in(parent, key, value, key_span()) {
            return;
        }
        if let Err(message) = check_value(field, value) {
            let path = parent.child(key);
            let fix = convert_string(field, &path, value);
            let span = value.span().or_else(key_span);
            self.push_with_fix(Severity::Error, &path, span, message, fix);
        }
    }

    fn never_read(&mut self, field: &Field, path: &DocPath, span: Option<std::ops::Range<usize>>) {
        let env = field.env.as_deref().unwrap_or("its env var");
        let message = format!(
            "the proxy never reads “{}” from the file; only {env} or the default {} apply",
            field.key,
            field.default_text()
        );
        self.push(Severity::Warning, path, span, message);
    }

    /// True when a literal secret was found (and reported).
    fn secret_in(
        &mut self,
        parent: &DocPath,
        key: &str,
        value: &Value,
        span: Option<std::ops::Range<usize>>,
    ) -> bool {
        // A URL's own reason first (a password in it says more than the
        // key id that is its user name).
        let kind_of = |s: &str| secret_in_url(s).or_else(|| looks_like_secret(s));
        let found = match value {
            Value::String(s) => kind_of(s.value()),
            Value::Array(a) => a.iter().filter_map(Value::as_str).find_map(kind_of),
            _ => None,
        };
        let Some(kind) = found else {
            return false;
        };
        let path = &parent.child(key);
        self.push(
            Severity::Error,
            path,
            value.span().or(span),
            secret_message(kind),
        );
        true
    }

    /// A key that is not a field of the section it stands in.
    fn stray_key(&mut self, section: Option<&Section>, path: &DocPath, table: &Table, key: &str) {
        let span = table.key(key).and_then(toml_edit::Key::span);
        if let Some((home, field)) = self.layouts.proxy_field_by_key(key) {
            if !field.read_by_proxy {
                return self.never_read(field, path, span);
            }
            let place = match path.parent() {
                Some(p) if !p.0.is_empty() => format!("in [{p}]"),
                _ => "at top level".to_owned(),
            };
            let message = format!(
                "“{key}” {place} is ignored by the proxy: it only reads it in [{}]",
                home.table
            );
            return self.push(Severity::Warning, path, span, message);
        }
        if let Some(message) = section.and_then(|s| other_variant_field(s, table, key)) {
            return self.push(Severity::Warning, path, span, message);
        }
        let candidates: Vec<&str> = match section {
            Some(s) => s.all_fields().map(|f| f.key.as_str()).collect(),
            None => Vec::new(),
        };
        let mut suggestion = hint(key, candidates);
        if suggestion.is_empty() {
            suggestion = hint(
                key,
                self.layouts.all_fields().map(|(_, _, f)| f.key.as_str()),
            );
        }
        let place = match section {
            Some(s) if s.kind == SectionKind::Table => format!(" in [{}]", s.table),
            _ => String::new(),
        };
        let message = format!("unknown key “{key}”{place}; it is ignored{suggestion}");
        self.push(Severity::Warning, path, span, message);
    }

    fn required_fields(
        &mut self,
        section: &Section,
        variant: Option<&str>,
        path: &DocPath,
        table: &Table,
    ) {
        let span = table_span(table);
        let common = section.fields.iter();
        let chosen = section
            .variants
            .as_ref()
            .and_then(|v| v.option(variant?))
            .map(|o| o.fields.iter());
        for field in common.chain(chosen.into_iter().flatten()) {
            if field.required && table.get(&field.key).is_none() {
                let why = match (&section.variants, variant) {
                    (Some(v), Some(value)) if section.field(&field.key).is_none() => {
                        format!("{} “{value}” needs “{}”", v.discriminator, field.key)
                    }
                    _ => format!("“{}” is required", field.key),
                };
                let message = format!("{why} ({})", field.ty.describe());
                self.push(
                    Severity::Error,
                    &path.child(&field.key),
                    span.clone(),
                    message,
                );
            }
        }
    }
}

/// Where a table is: its header, or for a table written inline (which has
/// no header) its first key, on the line of the inline table.
fn table_span(table: &Table) -> Option<std::ops::Range<usize>> {
    table.span().or_else(|| {
        table
            .iter()
            .find_map(|(key, _)| table.key(key).and_then(toml_edit::Key::span))
    })
}

fn other_variant_field(section: &Section, table: &Table, key: &str) -> Option<String> {
    let variants = section.variants.as_ref()?;
    let owner = variants
        .options
        .iter()
        .find(|o| o.fields.iter().any(|f| f.key == key))?;
    let current = table
        .get(&variants.discriminator)
        .and_then(Item::as_str)
        .unwrap_or("the default");
    Some(format!(
        "“{key}” belongs to {} “{}”, not “{current}”; it is ignored while this one is chosen",
        variants.discriminator, owner.value
    ))
}
