//! What the proxy will run with: defaults < file < env, computed the way the
//! proxy computes it (contract §2), per setting, with why each value wins.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::{Map, Value};
use toml_edit::{Item, TableLike};

use super::api_types::ProxyConfigView;
use super::env_parse::{EnvOutcome, parse_env_value};
use super::json_value::{as_proxy_reads, default_json, value_in};
use super::version::{UnknownKey, UnreadKey, unknown_keys, unread_keys};
use crate::core::document::ConfigDocument;
use crate::core::layout::{Consumer, Field, FieldType, LayoutSet, Section};

/// Where an effective value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Default,
    File,
    Env,
}

/// The env var of a setting as set, and what the proxy makes of it.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvValue {
    pub var: String,
    pub raw: String,
    pub outcome: EnvOutcome,
}

impl EnvValue {
    /// The error when the proxy applies a value its config endpoint cannot
    /// answer with (`nan`, `inf`): every later `GET` of its config is a 500.
    pub fn error(&self) -> Option<String> {
        match &self.outcome {
            EnvOutcome::NotJson { value } => Some(format!(
                "{}={}: the proxy applies it ({value}) and its config endpoint then answers 500, as JSON cannot hold {value}",
                self.var, self.raw
            )),
            EnvOutcome::Applied(_) | EnvOutcome::Ignored { .. } => None,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// The draft's file value differs from the proxy's current file view.
    pub changed: bool,
    /// The draft sets the key, but an env var that the proxy applies wins.
    pub masked_by_env: bool,
    /// The key is in the draft where the proxy never reads it.
    pub ignored_by_proxy: bool,
    /// The file value's type is not the setting's type; the proxy passes it on raw.
    pub not_coerced: bool,
    /// Pushing this change only takes effect after a proxy restart.
    pub needs_restart: bool,
    /// The draft sets the key, but the connected proxy has no such setting
    /// (its `runtime` lacks the key: an older ImageWorks ignores it).
    pub not_read_by_this_proxy: bool,
}

impl Flags {
    /// The names used in JSON output and badges, in a fixed order.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.changed, "changed"),
            (self.masked_by_env, "masked_by_env"),
            (self.ignored_by_proxy, "ignored_by_proxy"),
            (self.not_coerced, "not_coerced"),
            (self.needs_restart, "needs_restart"),
            (self.not_read_by_this_proxy, "not_read_by_this_proxy"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// One setting of the preview table.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviewRow {
    /// `server.port`: the setting's home in the file.
    pub path: String,
    /// `port`: the flat key of the proxy's API.
    pub key: String,
    pub label: String,
    pub default: Value,
    /// The proxy's current `file` view of the key (`None` offline).
    pub file: Option<Value>,
    /// The draft's value as the proxy would read it (defaults < draft file).
    pub draft: Value,
    /// Whether the draft itself sets the key where the proxy reads it.
    pub draft_sets_it: bool,
    /// Places in the draft that hold this key but are never read (`vllm.vllm_restart_backoff_s`).
    pub ignored_at: Vec<String>,
    pub env: Option<EnvValue>,
    pub effective: Value,
    pub source: Source,
    /// The proxy's `runtime` value (`None` offline).
    pub runtime: Option<Value>,
    pub flags: Flags,
}

impl PreviewRow {
    /// Whether "Only what differs" shows the row: the draft, the proxy's
    /// file (offline: the built-in default) and the effective value do not
    /// all agree, or the key is where the proxy never reads it, or of the
    /// wrong type. A file that spells out a key at the value it has anyway
    /// (as a proxy-generated file spells out every key) is no difference.
    pub fn differs(&self) -> bool {
        let f = self.flags;
        let reference = self.file.as_ref().unwrap_or(&self.default);
        f.changed
            || f.masked_by_env
            || f.ignored_by_proxy
            || f.not_coerced
            || f.not_read_by_this_proxy
            || self.draft != *reference
            || self.effective != self.draft
    }
}

/// The proxy's own merge of its current file and env disagrees with the
/// `runtime` it reported: the proxy is not the one the studio models.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviewMismatch {
    pub key: String,
    /// What the studio computes from the proxy's `file` view and `env_overrides`.
    pub expected: Value,
    /// What the proxy reported (`None` when the key is missing from `runtime`).
    pub runtime: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PreviewMode {
    /// Env from the proxy's `env_overrides`, file view and runtime from the proxy.
    Connected,
    /// Env from this machine's `CHAT_PROXY_*` vars; no proxy to compare with.
    Offline,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    pub mode: PreviewMode,
    pub rows: Vec<PreviewRow>,
    pub mismatches: Vec<PreviewMismatch>,
    /// `CHAT_PROXY_*` variables of the proxy (or this machine, offline) that
    /// are no setting's env var: "other proxy environment", never overrides.
    pub other_env: BTreeMap<String, String>,
    /// Settings of the connected proxy that no layout has ("unknown to this
    /// studio", a newer ImageWorks), with their masked runtime values.
    pub unknown_to_studio: Vec<UnknownKey>,
}

impl Preview {
    /// The note of a row the connected proxy does not read, if it is one.
    pub fn version_note(row: &PreviewRow) -> Option<String> {
        row.flags.not_read_by_this_proxy.then(|| {
            UnreadKey {
                key: row.key.clone(),
                path: row.path.clone(),
            }
            .describe()
        })
    }

    pub fn row(&self, key: &str) -> Option<&PreviewRow> {
        self.rows.iter().find(|r| r.key == key)
    }

    /// Env values that break the proxy's config endpoint, each naming its var.
    pub fn env_errors(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter_map(|r| r.env.as_ref()?.error())
            .collect()
    }
}

/// This machine's `CHAT_PROXY_*` vars, for an offline preview.
pub fn local_proxy_env() -> BTreeMap<String, String> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("CHAT_PROXY_"))
        .collect()
}

/// The preview of `draft` as the proxy would run it. `env` is the proxy's
/// `env_overrides` when connected, else [`local_proxy_env`].
pub fn preview(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    proxy_view: Option<&ProxyConfigView>,
    env: &BTreeMap<String, String>,
) -> Preview {
    let ignored = ignored_locations(draft, layouts);
    let unread: HashSet<String> = proxy_view
        .map(|view| unread_keys(draft, layouts, view))
        .unwrap_or_default()
        .into_iter()
        .map(|u| u.key)
        .collect();
    let rows = layouts
        .proxy_fields()
        .map(|(section, field)| {
            let mut row = row_for(draft, section, field, proxy_view, env, &ignored);
            row.flags.not_read_by_this_proxy = unread.contains(&field.key);
            row
        })
        .collect();
    Preview {
        mode: if proxy_view.is_some() {
            PreviewMode::Connected
        } else {
            PreviewMode::Offline
        },
        rows,
        mismatches: proxy_view.map_or_else(Vec::new, |view| mismatches(layouts, view)),
        other_env: split_env(layouts, env).other,
        unknown_to_studio: proxy_view.map_or_else(Vec::new, |view| unknown_keys(layouts, view)),
    }
}

/// `CHAT_PROXY_*` variables split into the env vars of settings and the
/// rest. The proxy's `env_overrides` lists every such variable (contract
/// §7), also ones that are no setting (`CHAT_PROXY_CONFIG_FILE`,
/// `CHAT_PROXY_INCLUDE_TEST_MODELS`): those override nothing in the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvSplit {
    /// Env vars of settings (each may still be ignored when it does not parse).
    pub settings: BTreeMap<String, String>,
    /// Everything else: the proxy's other environment.
    pub other: BTreeMap<String, String>,
}

pub fn split_env(layouts: &LayoutSet, env: &BTreeMap<String, String>) -> EnvSplit {
    let setting_vars: HashSet<&str> = layouts
        .proxy_fields()
        .filter_map(|(_, f)| f.env.as_deref())
        .collect();
    let (settings, other) = env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .partition(|(k, _)| setting_vars.contains(k.as_str()));
    EnvSplit { settings, other }
}

fn row_for(
    draft: &ConfigDocument,
    section: &Section,
    field: &Field,
    view: Option<&ProxyConfigView>,
    env: &BTreeMap<String, String>,
    ignored: &HashMap<String, Vec<String>>,
) -> PreviewRow {
    let default = default_json(field);
    let raw_file = read_file_value(draft, section, field);
    let draft_value = raw_file.map_or_else(|| default.clone(), |v| as_proxy_reads(field, v));
    let env_value = env_value(field, env);
    // A value JSON cannot hold still replaces the file value; it has no
    // JSON form, so the row shows none and `Preview::env_errors` says why.
    let applied = env_value
        .as_ref()
        .filter(|e| e.outcome.replaces_file_value())
        .map(|e| e.outcome.applied().cloned().unwrap_or(Value::Null));
    let (effective, source) = match (applied, raw_file) {
        (Some(v), _) => (v, Source::Env),
        (None, Some(_)) => (draft_value.clone(), Source::File),
        (None, None) => (default.clone(), Source::Default),
    };
    let file = view.map(|v| v.file.get(&field.key).cloned().unwrap_or(Value::Null));
    let changed = file.as_ref().is_some_and(|f| *f != draft_value);
    let ignored_at = ignored.get(&field.key).cloned().unwrap_or_default();
    let flags = Flags {
        changed,
        masked_by_env: raw_file.is_some() && source == Source::Env,
        ignored_by_proxy: !ignored_at.is_empty(),
        not_coerced: raw_file.is_some_and(|v| !type_matches(field.ty, v)),
        needs_restart: changed && field.needs_restart,
        not_read_by_this_proxy: false,
    };
    PreviewRow {
        path: field.path.clone(),
        key: field.key.clone(),
        label: field.label.clone(),
        default,
        file,
        draft: draft_value,
        draft_sets_it: raw_file.is_some(),
        ignored_at,
        env: env_value,
        effective,
        source,
        runtime: view.map(|v| v.runtime.get(&field.key).cloned().unwrap_or(Value::Null)),
        flags,
    }
}

/// The file value the proxy reads: only in the key's own section, never for
/// keys the proxy does not read from the file.
fn read_file_value<'a>(
    doc: &'a ConfigDocument,
    section: &Section,
    field: &Field,
) -> Option<&'a toml_edit::Value> {
    if !field.read_by_proxy {
        return None;
    }
    value_in(doc, &section.table, &field.key)
}

pub(super) fn env_value(field: &Field, env: &BTreeMap<String, String>) -> Option<EnvValue> {
    let var = field.env.as_ref()?;
    let raw = env.get(var)?;
    Some(EnvValue {
        var: var.clone(),
        raw: raw.clone(),
        outcome: parse_env_value(field, raw),
    })
}

/// Whether the proxy gets a value of the setting's own type. Ints are fine
/// for floats, and `""` is how the proxy itself writes an optional int as none.
pub fn type_matches(ty: FieldType, value: &toml_edit::Value) -> bool {
    use toml_edit::Value as V;
    match (ty, value) {
        (FieldType::Bool, V::Boolean(_)) => true,
        (FieldType::Int, V::Integer(_)) => true,
        (FieldType::OptionalInt, V::Integer(_)) => true,
        (FieldType::OptionalInt, V::String(s)) => s.value().is_empty(),
        (FieldType::Float, V::Float(_) | V::Integer(_)) => true,
        (FieldType::StringList, V::Array(items)) => items.iter().all(|i| matches!(i, V::String(_))),
        (ty, V::String(_)) => ty.is_text(),
        _ => false,
    }
}

/// The proxy's `runtime` for a `file` view and an env: env values that the
/// proxy applies replace file values. Keys missing from `file` are none.
pub fn runtime_from(
    layouts: &LayoutSet,
    file: &Map<String, Value>,
    env: &BTreeMap<String, String>,
) -> Map<String, Value> {
    layouts
        .proxy_fields()
        .map(|(_, field)| {
            let file_value = file.get(&field.key).cloned().unwrap_or(Value::Null);
            let applied = env_value(field, env).and_then(|e| e.outcome.applied().cloned());
            (field.key.clone(), applied.unwrap_or(file_value))
        })
        .collect()
}

/// The proxy's merge of its own current file view and env, compared with the
/// `runtime` it reported.
fn mismatches(layouts: &LayoutSet, view: &ProxyConfigView) -> Vec<PreviewMismatch> {
    runtime_from(layouts, &view.file, &view.env_overrides)
        .into_iter()
        // A key the proxy does not have at all is a version difference
        // (`version::unread_keys`), not a proxy behaving unlike the stock one.
        .filter(|(key, _)| view.runtime.contains_key(key))
        .filter_map(|(key, expected)| {
            let runtime = view.runtime.get(&key).cloned();
            (runtime.as_ref() != Some(&expected)).then_some(PreviewMismatch {
                key,
                expected,
                runtime,
            })
        })
        .collect()
}

/// For every proxy key, the places in the document where it sits unread:
/// top level, another proxy section, an unknown table, or anywhere at all
/// for keys the proxy never reads from its file.
pub fn ignored_locations(
    doc: &ConfigDocument,
    layouts: &LayoutSet,
) -> HashMap<String, Vec<String>> {
    let mut found: HashMap<String, Vec<String>> = HashMap::new();
    for (name, item) in doc.root() {
        match item {
            Item::Value(_) => note_if_proxy_key(layouts, name, name, &mut found),
            _ => scan_table(layouts, name, item, &mut found),
        }
    }
    found
}

fn scan_table(
    layouts: &LayoutSet,
    name: &str,
    item: &Item,
    found: &mut HashMap<String, Vec<String>>,
) {
    match layouts.section_for_table(name) {
        Some(section) if section.consumer == Consumer::Proxy => {
            if let Some(table) = item.as_table_like() {
                for (key, _) in table.iter() {
                    let read_here = section.field(key).is_some_and(|f| f.read_by_proxy);
                    if !read_here {
                        note_if_proxy_key(layouts, key, &format!("{name}.{key}"), found);
                    }
                }
            }
        }
        // ImageWorks' own tables have their own settings, which may share names.
        Some(_) => {}
        None => scan_unknown(layouts, name, item, found),
    }
}

fn scan_unknown(
    layouts: &LayoutSet,
    path: &str,
    item: &Item,
    found: &mut HashMap<String, Vec<String>>,
) {
    if let Some(entries) = item.as_array_of_tables() {
        for (i, entry) in entries.iter().enumerate() {
            scan_unknown_table(layouts, &format!("{path}[{i}]"), entry, found);
        }
    } else if let Some(table) = item.as_table_like() {
        scan_unknown_table(layouts, path, table, found);
    }
}

fn scan_unknown_table(
    layouts: &LayoutSet,
    path: &str,
    table: &dyn TableLike,
    found: &mut HashMap<String, Vec<String>>,
) {
    for (key, item) in table.iter() {
        let child = format!("{path}.{key}");
        if item.is_value() && !item.is_inline_table() {
            note_if_proxy_key(layouts, key, &child, found);
        } else {
            scan_unknown(layouts, &child, item, found);
        }
    }
}

fn note_if_proxy_key(
    layouts: &LayoutSet,
    key: &str,
    at: &str,
    found: &mut HashMap<String, Vec<String>>,
) {
    if layouts.proxy_field_by_key(key).is_some() {
        found.entry(key.to_owned()).or_default().push(at.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The keys "Only what differs" keeps.
    fn differing_keys(preview: &Preview) -> Vec<&str> {
        preview
            .rows
            .iter()
            .filter(|r| r.differs())
            .map(|r| r.key.as_str())
            .collect()
    }

    #[test]
    fn a_file_that_spells_out_every_default_differs_nowhere()
    -> Result<(), Box<dyn std::error::Error>> {
        let layouts = LayoutSet::builtin()?;
        let every_key = crate::core::defaults::defaults_text(&layouts);
        let draft = ConfigDocument::parse(&every_key)?;
        let offline = preview(&draft, &layouts, None, &BTreeMap::new());
        let shown = differing_keys(&offline);
        assert!(shown.is_empty(), "offline: {shown:?}");

        // Connected to a proxy whose file is this same text: the draft
        // changes the port, an env var masks the host.
        let proxy_env = env(&[("CHAT_PROXY_HOST", "0.0.0.0")]);
        let file: Map<String, Value> = offline
            .rows
            .iter()
            .map(|r| (r.key.clone(), r.draft.clone()))
            .collect();
        let view = ProxyConfigView {
            runtime: runtime_from(&layouts, &file, &proxy_env),
            file,
            config_file_path: "/srv/chat_proxy.toml".into(),
            env_overrides: proxy_env.clone(),
            precedence: Vec::new(),
        };
        let edited = every_key.replace("port = 8100", "port = 9001");
        let draft = ConfigDocument::parse(&edited)?;
        let connected = preview(&draft, &layouts, Some(&view), &proxy_env);
        let shown = differing_keys(&connected);
        assert_eq!(shown, ["host", "port"], "connected");
        Ok(())
    }

    #[test]
    fn variables_that_are_no_setting_are_other_environment_not_overrides()
    -> Result<(), Box<dyn std::error::Error>> {
        let layouts = LayoutSet::builtin()?;
        let proxy_env = env(&[
            ("CHAT_PROXY_CONFIG_FILE", "chat_proxy.toml"),
            ("CHAT_PROXY_INCLUDE_TEST_MODELS", "1"),
            ("CHAT_PROXY_PORT", "18100"),
            // A setting's var that does not parse is still that setting's (ignored) override.
            ("CHAT_PROXY_MAX_IMAGE_BYTES", "big"),
        ]);
        let split = split_env(&layouts, &proxy_env);
        assert_eq!(
            split.settings.keys().collect::<Vec<_>>(),
            ["CHAT_PROXY_MAX_IMAGE_BYTES", "CHAT_PROXY_PORT"]
        );
        assert_eq!(
            split.other,
            env(&[
                ("CHAT_PROXY_CONFIG_FILE", "chat_proxy.toml"),
                ("CHAT_PROXY_INCLUDE_TEST_MODELS", "1"),
            ])
        );
        let draft = ConfigDocument::parse("[server]\nport = 8100\n")?;
        let p = preview(&draft, &layouts, None, &proxy_env);
        assert_eq!(p.other_env, split.other);
        let overriding: Vec<&str> = p
            .rows
            .iter()
            .filter_map(|r| r.env.as_ref().map(|e| e.var.as_str()))
            .collect();
        assert_eq!(
            overriding,
            ["CHAT_PROXY_PORT", "CHAT_PROXY_MAX_IMAGE_BYTES"],
            "only settings' vars sit on rows"
        );
        Ok(())
    }
}
