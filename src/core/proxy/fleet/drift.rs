//! Drift: per proxy, which settings of the draft its file and its runtime
//! hold differently, and which proxies cannot be reached.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use super::{FleetMember, bounded};
use crate::core::document::ConfigDocument;
use crate::core::layout::LayoutSet;
use crate::core::proxy::api_types::Health;
use crate::core::proxy::api_types::ProxyConfigView;
use crate::core::proxy::client::ProxyError;
use crate::core::proxy::effective::preview;
use crate::core::proxy::json_value::toml_to_json;
use crate::core::proxy::path_map::{PathMap, resolve};
use crate::core::proxy::push::read_back_of;
use crate::core::proxy::version::{KnownKeys, known_key_differences};
use crate::core::proxy::writer::proxy_tables;
use serde_json::Map;
use toml_edit::Item;

/// One proxy against the draft.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProxyDrift {
    pub url: String,
    pub name: String,
    pub reachable: bool,
    /// Setting paths (`server.port`) whose value in the proxy's file or
    /// runtime differs from the draft's, in layout order.
    pub drift: Vec<String>,
    /// Of those, the ones where the runtime differs but the file agrees
    /// (an env override on that proxy).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runtime_only: Vec<String>,
    /// Of `drift`, the places in the app's own tables (`[ui]`, `[storage]`,
    /// `[[endpoints]]`, any table the proxy does not read) where the
    /// proxy's file differs from the draft: the proxy ignores them, and its
    /// API push drops them, so only its file can tell.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub app_tables: Vec<String>,
    /// Why the app's tables were not compared ("not checked: ...").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_checked: Option<String>,
    /// The settings this proxy knows (its `runtime` keys) against the
    /// other reachable members': members of different ImageWorks versions.
    #[serde(skip_serializing_if = "KnownKeys::is_empty")]
    pub known_keys: KnownKeys,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uptime_s: Option<f64>,
    /// Why the proxy could not be reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The settings where `view` differs from `draft`: its file (a proxy
/// writes none as `""`, which is no difference) or its runtime (against
/// the draft under that proxy's env).
pub fn drift_of(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    view: &ProxyConfigView,
) -> (Vec<String>, Vec<String>) {
    let rows = preview(draft, layouts, Some(view), &view.env_overrides).rows;
    let mut drift = Vec::new();
    let mut runtime_only = Vec::new();
    for ((_, field), row) in layouts.proxy_fields().zip(rows) {
        let same =
            |found: &Value, want: &Value| found == want || *found == read_back_of(field, want);
        let file_differs = !same(row.file.as_ref().unwrap_or(&Value::Null), &row.draft);
        let runtime_differs = row
            .runtime
            .as_ref()
            .is_some_and(|r| !same(r, &row.effective));
        if file_differs || runtime_differs {
            drift.push(row.path.clone());
            if !file_differs {
                runtime_only.push(row.path);
            }
        }
    }
    (drift, runtime_only)
}

/// Every member against `draft`, contacted concurrently (at most `parallel` at once).
pub async fn drift(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    members: &[FleetMember],
    parallel: usize,
) -> Vec<ProxyDrift> {
    let asks: Vec<_> = members.iter().map(ask).collect();
    let answers = bounded(asks, parallel).await;
    let key_sets: Vec<Option<BTreeSet<String>>> = answers
        .iter()
        .map(|(view, _)| {
            view.as_ref()
                .ok()
                .map(|v| v.runtime.keys().cloned().collect())
        })
        .collect();
    let known = known_key_differences(&key_sets);
    let mut report: Vec<ProxyDrift> = members
        .iter()
        .zip(answers)
        .map(|(m, (view, health))| match view {
            Ok(view) => {
                let (mut drift, runtime_only) = drift_of(draft, layouts, &view);
                let (app_tables, not_checked) =
                    match app_table_drift(draft, layouts, &view, &m.profile.path_maps) {
                        Ok(differing) => (differing, None),
                        Err(why) => (Vec::new(), Some(why)),
                    };
                drift.extend(app_tables.iter().cloned());
                ProxyDrift {
                    url: m.url().to_owned(),
                    name: m.name().to_owned(),
                    reachable: true,
                    drift,
                    runtime_only,
                    app_tables,
                    not_checked,
                    known_keys: KnownKeys::default(),
                    uptime_s: health.map(|h| h.uptime_seconds),
                    error: None,
                }
            }
            Err(e) => ProxyDrift {
                url: m.url().to_owned(),
                name: m.name().to_owned(),
                reachable: false,
                drift: Vec::new(),
                runtime_only: Vec::new(),
                app_tables: Vec::new(),
                not_checked: None,
                uptime_s: None,
                error: Some(e.to_string()),
                known_keys: KnownKeys::default(),
            },
        })
        .collect();
    for (p, k) in report.iter_mut().zip(known) {
        p.known_keys = k;
    }
    report
}

/// The places in the tables the proxy does not read where its file (read
/// here through `maps`) and the draft differ; `Err` says why they could
/// not be compared. A draft with no such table has nothing to compare.
pub fn app_table_drift(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    view: &ProxyConfigView,
    maps: &[PathMap],
) -> Result<Vec<String>, String> {
    let proxy_tables: Vec<String> = proxy_tables(layouts).into_iter().map(|(t, _)| t).collect();
    let app = |doc: &ConfigDocument| -> Map<String, Value> {
        doc.root()
            .iter()
            .filter(|(name, item)| !item.is_value() && !proxy_tables.iter().any(|t| t == name))
            .map(|(name, item)| (name.to_owned(), item_json(item)))
            .collect()
    };
    let mine = app(draft);
    let local = resolve(&view.config_file_path, maps)
        .map_err(|e| format!("not checked: the proxy's file is not reachable from here ({e})"))?;
    let text = std::fs::read_to_string(local.path()).map_err(|e| {
        format!(
            "not checked: the proxy's file {} cannot be read here ({e})",
            local.path().display()
        )
    })?;
    let file = ConfigDocument::parse(&text).map_err(|e| {
        format!(
            "not checked: the proxy's file {} is not valid TOML ({}:{}: {})",
            local.path().display(),
            e.line,
            e.column,
            e.message
        )
    })?;
    let theirs = app(&file);
    let mut out = Vec::new();
    let mut names: Vec<&String> = mine.keys().chain(theirs.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        differences(
            name,
            mine.get(name).unwrap_or(&Value::Null),
            theirs.get(name).unwrap_or(&Value::Null),
            &mut out,
        );
    }
    Ok(out)
}

/// A table or array of tables as JSON (values as the proxy would read them).
fn item_json(item: &Item) -> Value {
    match item {
        Item::None => Value::Null,
        Item::Value(v) => toml_to_json(v),
        Item::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.to_owned(), item_json(v)))
                .collect(),
        ),
        Item::ArrayOfTables(a) => Value::Array(
            a.iter()
                .map(|t| {
                    Value::Object(
                        t.iter()
                            .map(|(k, v)| (k.to_owned(), item_json(v)))
                            .collect(),
                    )
                })
                .collect(),
        ),
    }
}

/// The leaf paths where `a` and `b` differ (`ui.pages.mono_checker`, `endpoints[1].name`).
fn differences(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    let empty = Map::new();
    let as_table = |v: &'_ Value| match v {
        Value::Object(m) => Some(m.clone()),
        Value::Null => Some(empty.clone()),
        _ => None,
    };
    match (a, b) {
        // A table on one side only: name each key it holds.
        (Value::Object(_), Value::Null) | (Value::Null, Value::Object(_)) => {
            if let (Some(x), Some(y)) = (as_table(a), as_table(b)) {
                differences(path, &Value::Object(x), &Value::Object(y), out);
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                differences(
                    &format!("{path}.{k}"),
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y))
            if x.len() == y.len() && x.iter().chain(y).all(Value::is_object) =>
        {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differences(&format!("{path}[{i}]"), p, q, out);
            }
        }
        _ if a != b => out.push(path.to_owned()),
        _ => {}
    }
}

/// One member's config view and health, asked at once (neither waits for
/// the other: one round trip, not two); health is kept only when the view came.
async fn ask(m: &FleetMember) -> (Result<ProxyConfigView, ProxyError>, Option<Health>) {
    let (view, health) = futures_util::future::join(m.api.config(), m.api.health()).await;
    let health = match &view {
        Ok(_) => health.ok(),
        Err(_) => None,
    };
    (view, health)
}

/// 0 when every proxy matches, 1 on any drift, 2 when a proxy cannot be reached.
pub fn drift_exit_code(report: &[ProxyDrift]) -> u8 {
    if report.iter().any(|p| !p.reachable) {
        2
    } else if report.iter().any(|p| !p.drift.is_empty()) {
        1
    } else {
        0
    }
}
