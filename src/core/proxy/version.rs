//! Which settings the running proxy knows. ImageWorks adds settings between
//! versions and reports no version number, but its `runtime` answer holds
//! every setting it reads (contract §3): a key missing there is one this
//! proxy does not read (an older ImageWorks ignores it without a word), a
//! key no layout has is one this studio does not know (a newer ImageWorks).

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use super::api_types::ProxyConfigView;
use super::json_value::value_in;
use crate::core::document::{ConfigDocument, DocPath};
use crate::core::layout::LayoutSet;
use crate::core::redact::mask_value;
use crate::core::validate::{Finding, Severity};

/// A setting the draft sets that the running proxy does not read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnreadKey {
    pub key: String,
    /// `vllm.vllm_health_host`.
    pub path: String,
}

impl UnreadKey {
    pub fn describe(&self) -> String {
        format!(
            "this proxy does not read {} (older ImageWorks): it has no such setting, so the draft's value has no effect there",
            self.path
        )
    }

    /// As a plan warning (the push dialog and `--format json` list those).
    pub fn finding(&self) -> Finding {
        Finding {
            severity: Severity::Warning,
            path: DocPath(Vec::new()),
            line: None,
            column: None,
            message: self.describe(),
            fix: None,
        }
    }
}

/// A setting of the running proxy that no layout has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnknownKey {
    pub key: String,
    /// The proxy's runtime value (strings as they are, others as JSON), masked.
    pub value: String,
}

/// Every proxy setting the draft sets where the proxy reads it whose key is
/// missing from the proxy's `runtime`, in layout order.
pub fn unread_keys(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    view: &ProxyConfigView,
) -> Vec<UnreadKey> {
    layouts
        .proxy_fields()
        .filter(|(section, field)| {
            field.read_by_proxy
                && !view.runtime.contains_key(&field.key)
                && value_in(draft, &section.table, &field.key).is_some()
        })
        .map(|(_, field)| UnreadKey {
            key: field.key.clone(),
            path: field.path.clone(),
        })
        .collect()
}

/// Every `runtime` key of the proxy that no layout has, with its masked
/// value, in the proxy's order.
pub fn unknown_keys(layouts: &LayoutSet, view: &ProxyConfigView) -> Vec<UnknownKey> {
    view.runtime
        .iter()
        .filter(|(key, _)| layouts.proxy_field_by_key(key).is_none())
        .map(|(key, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            UnknownKey {
                key: key.clone(),
                value: mask_value(key, &text).into_owned(),
            }
        })
        .collect()
}

/// How one fleet member's settings compare with the other members'.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KnownKeys {
    /// Settings another member knows and this one does not (older here).
    pub missing: Vec<String>,
    /// Settings this member knows and no other one does (newer here).
    pub extra: Vec<String>,
}

impl KnownKeys {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty()
    }

    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(format!(
                "lacks {} other members know: {}",
                crate::core::plural::count(self.missing.len(), "setting", "settings"),
                self.missing.join(", ")
            ));
        }
        if !self.extra.is_empty() {
            parts.push(format!(
                "alone knows {}: {}",
                crate::core::plural::count(self.extra.len(), "setting", "settings"),
                self.extra.join(", ")
            ));
        }
        parts.join("; ")
    }
}

/// For each member's `runtime` keys (`None`: not reached, compared with
/// nobody), what it lacks of the others' keys and what only it has.
pub fn known_key_differences(members: &[Option<BTreeSet<String>>]) -> Vec<KnownKeys> {
    members
        .iter()
        .enumerate()
        .map(|(i, own)| {
            let Some(own) = own else {
                return KnownKeys::default();
            };
            let others: BTreeSet<&String> = members
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .filter_map(|(_, m)| m.as_ref())
                .flatten()
                .collect();
            KnownKeys {
                missing: others
                    .iter()
                    .filter(|k| !own.contains(**k))
                    .map(|k| (*k).clone())
                    .collect(),
                extra: own
                    .iter()
                    .filter(|k| !others.contains(k))
                    .cloned()
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn view(runtime: Value) -> ProxyConfigView {
        let runtime: Map<String, Value> = serde_json::from_value(runtime).unwrap_or_default();
        ProxyConfigView {
            file: runtime.clone(),
            runtime,
            ..ProxyConfigView::default()
        }
    }

    /// A runtime with every layout key, as the current proxy answers.
    fn every_key(layouts: &LayoutSet) -> Map<String, Value> {
        layouts
            .proxy_fields()
            .map(|(_, f)| (f.key.clone(), Value::Null))
            .collect()
    }

    #[test]
    fn a_draft_key_missing_from_runtime_is_not_read_by_this_proxy()
    -> Result<(), Box<dyn std::error::Error>> {
        let layouts = LayoutSet::builtin()?;
        let draft = ConfigDocument::parse("[server]\nport = 9001\nhost = \"0.0.0.0\"\n")?;
        let mut runtime = every_key(&layouts);
        assert!(unread_keys(&draft, &layouts, &view(Value::Object(runtime.clone()))).is_empty());
        runtime.remove("port");
        // Not set in the draft: nothing to flag, even though the proxy lacks it too.
        runtime.remove("log_level");
        let unread = unread_keys(&draft, &layouts, &view(Value::Object(runtime)));
        assert_eq!(
            unread,
            [UnreadKey {
                key: "port".into(),
                path: "server.port".into()
            }]
        );
        assert!(
            unread[0]
                .finding()
                .to_string()
                .contains("this proxy does not read server.port (older ImageWorks)")
        );
        Ok(())
    }

    #[test]
    fn runtime_keys_no_layout_has_are_kept_with_masked_values()
    -> Result<(), Box<dyn std::error::Error>> {
        let layouts = LayoutSet::builtin()?;
        let mut runtime = every_key(&layouts);
        runtime.insert("future_backoff_s".into(), json!(2.5));
        runtime.insert(
            "future_api_key".into(),
            json!("sk-live-abcdefghijklmnopqrstuvwx"),
        );
        let unknown = unknown_keys(&layouts, &view(Value::Object(runtime)));
        let keys: Vec<&str> = unknown.iter().map(|u| u.key.as_str()).collect();
        // In the proxy's own order.
        assert_eq!(keys, ["future_backoff_s", "future_api_key"]);
        assert_eq!(unknown[0].value, "2.5");
        assert!(!unknown[1].value.contains("abcdefghijkl"), "{unknown:?}");
        Ok(())
    }

    #[test]
    fn members_differ_in_the_settings_they_know() {
        let set = |keys: &[&str]| Some(keys.iter().map(|k| (*k).to_owned()).collect());
        let diffs = known_key_differences(&[
            set(&["a", "b", "c"]),
            set(&["a", "b"]),
            None,
            set(&["a", "b", "c", "d"]),
        ]);
        assert_eq!(diffs[0].missing, ["d"]);
        assert_eq!(diffs[1].missing, ["c", "d"]);
        assert!(diffs[1].extra.is_empty());
        assert!(diffs[2].is_empty());
        assert_eq!(diffs[3].extra, ["d"]);
        assert_eq!(
            diffs[1].describe(),
            "lacks 2 settings other members know: c, d"
        );
    }
}
