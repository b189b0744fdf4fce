//! Declarative layouts: every setting the studio knows, read from `ui_layouts/`.
//!
//! A layout file describes pages → sections → fields. The GUI draws its forms
//! from them, the validator checks documents against them, the CLI derives
//! `schema` and `defaults` from them. Nothing about a setting lives in Rust.

pub(crate) mod field_check;
mod load;
mod resolve;
mod spec;

pub use field_check::{check_value, type_name_of};
pub use load::{LayoutError, builtin_layout_sources};
pub use resolve::{Instance, ResolveError, Resolved};
pub use spec::{Consumer, EnvParse, FieldType, SectionKind, Target, Widget};

use std::collections::{BTreeMap, HashMap};

/// One setting.
#[derive(Clone, Debug)]
pub struct Field {
    /// Key inside its section's table (`port`).
    pub key: String,
    /// Full path with `*` for a map instance and `[]` for an array element
    /// (`server.port`, `storage.assets.*.bucket`, `endpoints[].name`).
    pub path: String,
    pub label: String,
    pub help: String,
    pub ty: FieldType,
    /// The built-in default; `None` for optional settings (default: none).
    pub default: Option<toml_edit::Value>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Allowed values of an enum.
    pub values: Vec<String>,
    /// On-screen names of enum values (from `value_labels`, or a variant's label).
    pub value_labels: BTreeMap<String, String>,
    pub unit: Option<String>,
    /// Env var that overrides this setting, and how its value is parsed.
    pub env: Option<String>,
    pub env_parse: Option<EnvParse>,
    /// False when the proxy never reads the key from the file.
    pub read_by_proxy: bool,
    /// A change takes effect only after the proxy restarts: true only for
    /// what the proxy reads (an ImageWorks section never needs it).
    pub needs_restart: bool,
    /// Path of a bool that must be on for this setting to take effect.
    pub depends_on: Option<String>,
    /// Path of a table of bools; the value must name one that is on.
    pub enabled_in: Option<String>,
    /// Values of all fields sharing a group must be unique across the document.
    pub unique_group: Option<String>,
    pub required: bool,
    /// `""` in the file means "none" to the proxy.
    pub empty_means_none: bool,
    /// The section the proxy writes this key to when it regenerates the file.
    pub proxy_section: Option<String>,
    /// A special editor for the field (registry entries).
    pub widget: Option<Widget>,
    /// For a `priority_map`: the path of the list whose items are its keys.
    pub keys_from: Option<String>,
    /// Where it is declared, for error messages.
    pub origin: Origin,
}

impl Field {
    /// The default as TOML text, or "none".
    pub fn default_text(&self) -> String {
        match &self.default {
            Some(v) => v.to_string().trim().to_owned(),
            None => "none".to_owned(),
        }
    }

    /// How an enum value is named on screen: its label, else the value itself.
    pub fn value_label<'a>(&'a self, value: &'a str) -> &'a str {
        self.value_labels.get(value).map_or(value, String::as_str)
    }
}

/// File and line a layout item was declared at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One option of a discriminated section (a storage backend).
#[derive(Clone, Debug)]
pub struct Variant {
    pub value: String,
    pub label: String,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug)]
pub struct Variants {
    /// Key of the enum field that picks the variant (`backend`).
    pub discriminator: String,
    /// Path of a setting whose value applies when the discriminator is absent.
    pub fallback: Option<String>,
    pub options: Vec<Variant>,
}

impl Variants {
    pub fn option(&self, value: &str) -> Option<&Variant> {
        self.options.iter().find(|v| v.value == value)
    }
}

#[derive(Clone, Debug)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub help: String,
    /// Dotted path of the table (`server`, `storage.assets`, `endpoints`).
    pub table: String,
    pub kind: SectionKind,
    /// Instance names of a map section (`images`, `documents`, ...).
    pub instances: Vec<String>,
    pub consumer: Consumer,
    /// Look for literal secrets in every string of this section.
    pub scan_secrets: bool,
    pub fields: Vec<Field>,
    pub variants: Option<Variants>,
    pub origin: Origin,
}

impl Section {
    /// Every field, including those of every variant.
    pub fn all_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().chain(
            self.variants
                .iter()
                .flat_map(|v| v.options.iter().flat_map(|o| o.fields.iter())),
        )
    }

    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Field `key` valid for the chosen variant, or a common field.
    pub fn field_for_variant(&self, variant: Option<&str>, key: &str) -> Option<&Field> {
        self.field(key).or_else(|| {
            let variants = self.variants.as_ref()?;
            variants
                .option(variant?)?
                .fields
                .iter()
                .find(|f| f.key == key)
        })
    }

    pub fn table_path(&self) -> Vec<&str> {
        self.table.split('.').collect()
    }

    /// Read by the ImageWorks app alone: the proxy ignores the section and
    /// an API push drops it.
    pub fn is_imageworks_only(&self) -> bool {
        self.consumer == Consumer::Imageworks
    }
}

#[derive(Clone, Debug)]
pub struct Page {
    pub id: String,
    pub title: String,
    pub icon: String,
    pub help: String,
    pub group: String,
    pub sections: Vec<Section>,
    pub origin: Origin,
}

impl Page {
    /// Every section is read by the ImageWorks app alone (Pages & modules,
    /// Storage, Endpoints): the page carries one banner saying so.
    pub fn is_imageworks_only(&self) -> bool {
        !self.sections.is_empty() && self.sections.iter().all(Section::is_imageworks_only)
    }
}

/// All layouts of one target document, in navigation order.
#[derive(Clone, Debug)]
pub struct LayoutSet {
    pub target: Target,
    pub pages: Vec<Page>,
    /// Where the layout files came from (Help → About says it).
    pub origin: LayoutOrigin,
    /// The layout files read, in order.
    pub files: Vec<String>,
    /// Field paths (`server.port`) → (page, section, field) for plain table sections.
    by_path: HashMap<String, (usize, usize, usize)>,
    /// Section table path → (page, section).
    by_table: HashMap<String, (usize, usize)>,
    /// Proxy keys → their home field, to spot a key in the wrong section.
    by_key: HashMap<String, (usize, usize, usize)>,
}

/// Where a `LayoutSet`'s files came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LayoutOrigin {
    /// `ui_layouts/` as it was when the binary was built.
    #[default]
    BuiltIn,
    /// A folder given with `--layouts DIR`.
    Folder(std::path::PathBuf),
}

impl LayoutOrigin {
    pub fn describe(&self) -> String {
        match self {
            Self::BuiltIn => "built in (ui_layouts/ at build time)".to_owned(),
            Self::Folder(dir) => format!("{} (--layouts)", dir.display()),
        }
    }
}

impl LayoutSet {
    fn new(target: Target, pages: Vec<Page>) -> Self {
        let mut set = Self {
            target,
            pages,
            origin: LayoutOrigin::BuiltIn,
            files: Vec::new(),
            by_path: HashMap::new(),
            by_table: HashMap::new(),
            by_key: HashMap::new(),
        };
        for (pi, page) in set.pages.iter().enumerate() {
            for (si, section) in page.sections.iter().enumerate() {
                set.by_table.insert(section.table.clone(), (pi, si));
                for (fi, field) in section.fields.iter().enumerate() {
                    if section.kind == SectionKind::Table {
                        set.by_path.insert(field.path.clone(), (pi, si, fi));
                    }
                    if section.consumer == Consumer::Proxy {
                        set.by_key.insert(field.key.clone(), (pi, si, fi));
                    }
                }
            }
        }
        set
    }

    /// The layouts compiled into the binary (the repository's `ui_layouts/`).
    pub fn builtin() -> Result<Self, LayoutError> {
        Self::from_sources(Target::ChatProxy, &builtin_layout_sources())
    }

    /// Layouts from a folder of `*.toml` files (for `--layouts DIR`).
    pub fn load_dir(dir: &std::path::Path, target: Target) -> Result<Self, LayoutError> {
        let sources = load::read_dir_sources(dir)?;
        let borrowed: Vec<(&str, &str)> = sources
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let mut set = Self::from_sources(target, &borrowed)?;
        set.origin = LayoutOrigin::Folder(dir.to_path_buf());
        Ok(set)
    }

    /// Parse and check layout files given as `(file name, text)`; files for
    /// other targets are skipped.
    pub fn from_sources(target: Target, sources: &[(&str, &str)]) -> Result<Self, LayoutError> {
        let pages = load::parse_all(target, sources)?;
        let mut set = Self::new(target, pages);
        set.files = sources.iter().map(|(name, _)| (*name).to_owned()).collect();
        Ok(set)
    }

    pub fn page(&self, id: &str) -> Option<&Page> {
        self.pages.iter().find(|p| p.id == id)
    }

    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.pages.iter().flat_map(|p| p.sections.iter())
    }

    pub fn section_for_table(&self, table: &str) -> Option<&Section> {
        let (p, s) = self.by_table.get(table)?;
        Some(&self.pages[*p].sections[*s])
    }

    /// The section whose entries live at a concrete table pattern:
    /// `server`, `storage.assets.images` (a map instance), `endpoints[]`.
    pub fn section_for_pattern(&self, pattern: &str) -> Option<&Section> {
        if let Some(table) = pattern.strip_suffix("[]") {
            return self
                .section_for_table(table)
                .filter(|s| s.kind == SectionKind::Array);
        }
        if let Some(s) = self
            .section_for_table(pattern)
            .filter(|s| s.kind == SectionKind::Table)
        {
            return Some(s);
        }
        let (parent, instance) = pattern.rsplit_once('.')?;
        self.section_for_table(parent)
            .filter(|s| s.kind == SectionKind::Map && s.instances.iter().any(|i| i == instance))
    }

    /// A field of a plain table section by full path (`server.port`).
    pub fn field(&self, path: &str) -> Option<&Field> {
        let (p, s, f) = self.by_path.get(path)?;
        Some(&self.pages[*p].sections[*s].fields[*f])
    }

    /// The proxy setting that has this key, wherever it belongs.
    pub fn proxy_field_by_key(&self, key: &str) -> Option<(&Section, &Field)> {
        let (p, s, f) = self.by_key.get(key)?;
        let section = &self.pages[*p].sections[*s];
        Some((section, &section.fields[*f]))
    }

    /// Every setting the proxy knows, in the proxy's own order.
    pub fn proxy_fields(&self) -> impl Iterator<Item = (&Section, &Field)> {
        self.sections()
            .filter(|s| s.consumer == Consumer::Proxy)
            .flat_map(|s| s.fields.iter().map(move |f| (s, f)))
    }

    /// Every field of every section (variants included), for search and schema.
    pub fn all_fields(&self) -> impl Iterator<Item = (&Page, &Section, &Field)> {
        self.pages.iter().flat_map(|p| {
            p.sections
                .iter()
                .flat_map(move |s| s.all_fields().map(move |f| (p, s, f)))
        })
    }

    /// Names the studio knows at this level, for "did you mean".
    pub fn known_tables(&self) -> impl Iterator<Item = &str> {
        self.sections().map(|s| s.table.as_str())
    }
}

#[cfg(test)]
mod tests;
