//! The discovery document: what the ImageWorks app will offer under a draft
//! `chat_proxy.toml`, so that a client GUI shows or hides its features from
//! one JSON document instead of hard-coding them. It reads the ImageWorks
//! sections (`[ui]`, `[storage]`, `[[endpoints]]`) through the layouts (ids,
//! defaults, which module belongs to which page), the registry and the
//! proxy's `/v1/models` for the models, and this process's environment for
//! which credential variables are set (never their values).
//!
//! Both fronts call [`discover`]: `iw-studio discovery` prints it, the GUI's
//! "What ImageWorks will offer" page draws it.

mod models;
pub mod serve;
#[cfg(test)]
mod tests;

use std::path::Path;

use serde::{Serialize, Serializer};
use toml_edit::{Item, Table, Value};

use crate::core::document::{ConfigDocument, DocPath};
use crate::core::layout::{Field, FieldType, LayoutSet, Section, SectionKind};
use crate::core::proxy::ModelList;
use crate::core::registry::Merged;
use crate::core::storage_backend::fallback_backend;

/// The table of page switches; a module's `depends_on` names one of them.
const PAGES_TABLE: &str = "ui.pages";
const MODULES_TABLE: &str = "ui.modules";
const DEFAULT_PAGE: &str = "ui.default_page";
const ASSETS_TABLE: &str = "storage.assets";
const ENDPOINTS_TABLE: &str = "endpoints";

/// Named entries in the order the layouts list them, written as a JSON
/// object (a client reads them by id; people read them in page order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> Ordered<T> {
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T> FromIterator<(String, T)> for Ordered<T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<T: Serialize> Serialize for Ordered<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// The whole document; its JSON keys are the contract with ImageWorks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Discovery {
    /// Page id → on.
    pub pages: Ordered<bool>,
    pub modules: Ordered<ModuleState>,
    pub default_page: Option<String>,
    /// Asset kind → where it is stored.
    pub storage: Ordered<AssetStorage>,
    pub endpoints: Vec<EndpointInfo>,
    pub models: Vec<ModelInfo>,
    pub features: Features,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModuleState {
    /// The page the module lives on (`None`: it depends on no page).
    pub page: Option<String>,
    /// On in the file (or by default) and its page is on.
    pub enabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AssetStorage {
    /// The kind's own backend, else the default backend.
    pub backend: String,
    /// Each env var the backend's `*_env` settings name → set here.
    pub env_set: Ordered<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EndpointInfo {
    pub name: Option<String>,
    pub aliases: Vec<String>,
    pub kind: Option<String>,
    pub base_url: Option<String>,
    pub default_models: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModelInfo {
    /// The registry name (the proxy's `extensions.logical_id`).
    pub name: String,
    /// The id a client sends: the proxy's `id` when it serves the model,
    /// else the registry's `display_name` (what the proxy lists it as with
    /// `suppress_decorations` on), else the name.
    pub display_id: String,
    /// The connected proxy lists it in `/v1/models`; `None` when no proxy
    /// was asked: whether it is served is unknown offline.
    pub served: Option<bool>,
    /// Capability flags that are on.
    pub capabilities: Vec<String>,
}

/// What the app can offer. Only a proxy's `/v1/models` says what is
/// served: without one, the flags are unknown (`null`) and `registered`
/// says what the registry holds, which is not what a proxy serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Features {
    /// Checked against a proxy's `/v1/models` (the flags below are facts);
    /// false offline.
    pub checked: bool,
    /// A served model has the flag of the same name (`vision`,
    /// `reasoning`, `embedding`); `None` when no proxy was asked.
    pub vision_available: Option<bool>,
    pub reasoning_available: Option<bool>,
    pub embedding_available: Option<bool>,
    /// Backends of the served models, sorted; `None` when no proxy was asked.
    pub backends: Option<Vec<String>>,
    /// Offline with a registry: what its entries that are not deprecated
    /// register, not checked against any proxy.
    pub registered: Option<Registered>,
    pub registry_dir: Option<String>,
}

/// The flags of a set of models: served ones, or registered ones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Registered {
    pub vision: bool,
    pub reasoning: bool,
    pub embedding: bool,
    /// Sorted.
    pub backends: Vec<String>,
}

/// The registry a discovery reads: its folder and its merge.
#[derive(Clone, Copy, Debug)]
pub struct RegistryInput<'a> {
    pub dir: &'a Path,
    pub merged: &'a Merged,
}

/// What besides the draft goes into the document.
pub struct Sources<'a> {
    pub registry: Option<RegistryInput<'a>>,
    /// The proxy's `/v1/models` answer, when connected.
    pub served: Option<&'a ModelList>,
    /// Whether an env var is set (`env_is_set_here` for this process).
    pub env_is_set: &'a dyn Fn(&str) -> bool,
}

/// Set in this process's environment, to a non-empty value: an empty
/// credential variable holds no credential.
pub fn env_is_set_here(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// The discovery document of `doc`.
pub fn discover(doc: &ConfigDocument, layouts: &LayoutSet, sources: &Sources<'_>) -> Discovery {
    let pages = pages(doc, layouts);
    let models = models::models(sources.registry.map(|r| r.merged), sources.served);
    let features = models::features(&models, sources.registry, sources.served);
    Discovery {
        modules: modules(doc, layouts),
        default_page: text_setting(doc, layouts.field(DEFAULT_PAGE)),
        storage: storage(doc, layouts, sources.env_is_set),
        endpoints: endpoints(doc, layouts),
        pages,
        models,
        features,
    }
}

fn table_section<'l>(layouts: &'l LayoutSet, table: &str) -> Option<&'l Section> {
    layouts
        .section_for_table(table)
        .filter(|s| s.kind == SectionKind::Table)
}

/// A bool setting: the file's value, else the layout default. A value of
/// the wrong type counts as unset (`check` reports it).
fn bool_setting(doc: &ConfigDocument, field: &Field) -> bool {
    DocPath::parse(&field.path)
        .ok()
        .and_then(|p| doc.get_value(&p).and_then(Value::as_bool))
        .or_else(|| field.default.as_ref().and_then(Value::as_bool))
        .unwrap_or(false)
}

fn text_setting(doc: &ConfigDocument, field: Option<&Field>) -> Option<String> {
    let field = field?;
    let from_file = DocPath::parse(&field.path)
        .ok()
        .and_then(|p| doc.get_value(&p).and_then(Value::as_str).map(str::to_owned));
    from_file.or_else(|| field.default.as_ref()?.as_str().map(str::to_owned))
}

fn pages(doc: &ConfigDocument, layouts: &LayoutSet) -> Ordered<bool> {
    table_section(layouts, PAGES_TABLE)
        .map(|s| {
            s.fields
                .iter()
                .map(|f| (f.key.clone(), bool_setting(doc, f)))
                .collect()
        })
        .unwrap_or_default()
}

/// Each module is on only while the setting it depends on (its page) is on.
fn modules(doc: &ConfigDocument, layouts: &LayoutSet) -> Ordered<ModuleState> {
    let Some(section) = table_section(layouts, MODULES_TABLE) else {
        return Ordered::default();
    };
    let page_prefix = format!("{PAGES_TABLE}.");
    section
        .fields
        .iter()
        .map(|f| {
            let parent = f.depends_on.as_deref();
            let parent_on = parent
                .and_then(|p| layouts.field(p))
                .is_none_or(|p| bool_setting(doc, p));
            let state = ModuleState {
                page: parent
                    .and_then(|p| p.strip_prefix(&page_prefix))
                    .map(str::to_owned),
                enabled: parent_on && bool_setting(doc, f),
            };
            (f.key.clone(), state)
        })
        .collect()
}

fn storage(
    doc: &ConfigDocument,
    layouts: &LayoutSet,
    env_is_set: &dyn Fn(&str) -> bool,
) -> Ordered<AssetStorage> {
    let Some(section) = layouts
        .section_for_table(ASSETS_TABLE)
        .filter(|s| s.kind == SectionKind::Map)
    else {
        return Ordered::default();
    };
    let Some(variants) = &section.variants else {
        return Ordered::default();
    };
    section
        .instances
        .iter()
        .map(|kind| {
            let table = DocPath::keys(&section.table_path()).child(kind);
            let backend = doc
                .get_value(&table.child(&variants.discriminator))
                .and_then(Value::as_str)
                .map_or_else(|| fallback_backend(doc, layouts, variants), str::to_owned);
            // The variables the backend's env-var settings name in this
            // table; a setting left out names none (`check` says it is missing).
            let env_set = variants
                .option(&backend)
                .into_iter()
                .flat_map(|v| &v.fields)
                .filter(|f| f.ty == FieldType::EnvVar)
                .filter_map(|f| doc.get_value(&table.child(&f.key))?.as_str())
                .filter(|var| !var.is_empty())
                // A "name" that is a literal secret (`check` reports it) is
                // shown masked, never as the name of a variable.
                .map(|var| {
                    let shown = crate::core::redact::mask_env_name(var).into_owned();
                    (shown, env_is_set(var))
                })
                .collect();
            (kind.clone(), AssetStorage { backend, env_set })
        })
        .collect()
}

/// Every `[[endpoints]]` entry, in file order (the Endpoints page tests them by index).
pub fn endpoints(doc: &ConfigDocument, layouts: &LayoutSet) -> Vec<EndpointInfo> {
    let default_kind = layouts
        .section_for_table(ENDPOINTS_TABLE)
        .and_then(|s| s.field("kind"))
        .and_then(|f| f.default.as_ref()?.as_str().map(str::to_owned));
    let Some(entries) = doc.array(ENDPOINTS_TABLE) else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|entry| EndpointInfo {
            name: string_in(entry, "name"),
            aliases: strings_in(entry, "aliases"),
            kind: string_in(entry, "kind").or_else(|| default_kind.clone()),
            base_url: string_in(entry, "base_url"),
            default_models: strings_in(entry, "default_models"),
        })
        .collect()
}

fn string_in(table: &Table, key: &str) -> Option<String> {
    table.get(key).and_then(Item::as_str).map(str::to_owned)
}

fn strings_in(table: &Table, key: &str) -> Vec<String> {
    table
        .get(key)
        .and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
