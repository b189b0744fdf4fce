//! The on-disk shape of a layout file (what `ui_layouts/*.toml` may contain).

use serde::Deserialize;
use toml::Spanned;

/// Which document a layout file describes.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    ChatProxy,
    RegistryEntry,
    /// The app's profiles file (`iw-studio profiles path`).
    Profiles,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Bool,
    Int,
    Float,
    String,
    OptionalString,
    OptionalInt,
    StringList,
    Enum,
    Url,
    Path,
    EnvVar,
    /// Any JSON value, shown read-only (registry entries: `role_priority`).
    Json,
}

impl FieldType {
    /// How the type is named in messages ("expected an integer").
    pub fn describe(self) -> &'static str {
        match self {
            Self::Bool => "a boolean (true or false)",
            Self::Int => "an integer",
            Self::Float => "a number",
            Self::String => "a string",
            Self::OptionalString => "a string (\"\" for none)",
            Self::OptionalInt => "an integer (or \"\" for none)",
            Self::StringList => "a list of strings",
            Self::Enum => "one of the allowed strings",
            Self::Url => "a URL string",
            Self::Path => "a path string",
            Self::EnvVar => "an environment variable name",
            Self::Json => "any JSON value",
        }
    }

    /// Typed as a number in a form (text that must parse as one).
    pub fn is_number(self) -> bool {
        matches!(self, Self::Int | Self::OptionalInt | Self::Float)
    }

    pub fn is_text(self) -> bool {
        matches!(
            self,
            Self::String
                | Self::OptionalString
                | Self::Enum
                | Self::Url
                | Self::Path
                | Self::EnvVar
        )
    }
}

/// A field drawn by a special editor instead of the one its type gets
/// (registry entries; the value's type is still `type`).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Widget {
    /// Multi-line text.
    Multiline,
    /// A list of strings picked from `values`; items not in `values` are kept.
    MultiSelect,
    /// An object of integers (`min`..`max`) keyed by items of `values` or
    /// of the list field named by `keys_from`.
    PriorityMap,
    /// Command-line arguments: known flags as typed fields, the rest raw.
    Flags,
}

/// How the proxy parses the env var that overrides a setting.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EnvParse {
    Str,
    Int,
    Float,
    Bool,
    List,
}

/// Who reads a section.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Consumer {
    /// The chat proxy reads these keys (and its API knows them).
    #[default]
    Proxy,
    /// ImageWorks' own pages read these; the proxy ignores and drops them.
    Imageworks,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// `[table]` with fixed keys.
    #[default]
    Table,
    /// `[table.<instance>]` for each named instance.
    Map,
    /// `[[table]]`, a list of entries.
    Array,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSpec {
    pub target: Target,
    /// Files are ordered by this in navigation.
    #[serde(default)]
    pub order: i64,
    #[serde(default)]
    pub page: Vec<Spanned<PageSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PageSpec {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub icon: String,
    #[serde(default)]
    pub help: String,
    /// Heading the page is listed under in navigation.
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub section: Vec<Spanned<SectionSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SectionSpec {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub help: String,
    pub table: String,
    #[serde(default)]
    pub kind: SectionKind,
    #[serde(default)]
    pub consumer: Consumer,
    #[serde(default)]
    pub scan_secrets: bool,
    /// Instance names of a `map` section (`images`, `documents`, ...).
    #[serde(default)]
    pub instances: Vec<String>,
    #[serde(default)]
    pub field: Vec<Spanned<FieldSpec>>,
    pub variants: Option<VariantsSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VariantsSpec {
    pub discriminator: String,
    pub fallback: Option<String>,
    #[serde(default)]
    pub option: Vec<Spanned<VariantSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VariantSpec {
    pub value: String,
    pub label: String,
    #[serde(default)]
    pub field: Vec<Spanned<FieldSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FieldSpec {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub help: String,
    #[serde(rename = "type")]
    pub ty: FieldType,
    pub default: Option<toml::Value>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    #[serde(default)]
    pub values: Vec<String>,
    /// What each enum value is called on screen (`personal_tagger` → "Personal
    /// tagger"); a value without one is shown as it is.
    #[serde(default)]
    pub value_labels: std::collections::BTreeMap<String, String>,
    pub unit: Option<String>,
    pub env: Option<String>,
    pub env_parse: Option<EnvParse>,
    #[serde(default = "yes")]
    pub read_by_proxy: bool,
    /// Whether a change waits for a proxy restart; the proxy reads the file
    /// only at start-up, so its settings default to yes. Sections the proxy
    /// does not read never need one, whatever this says.
    pub needs_restart: Option<bool>,
    pub depends_on: Option<String>,
    pub enabled_in: Option<String>,
    pub unique_group: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub empty_means_none: bool,
    pub proxy_section: Option<String>,
    pub widget: Option<Widget>,
    /// For a `priority_map`: the list field whose items are its keys.
    pub keys_from: Option<String>,
}

fn yes() -> bool {
    true
}
