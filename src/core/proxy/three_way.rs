//! A draft made from an older copy of the proxy's file must not silently
//! put back what others changed since. The proxy has no version or ETag
//! (contract §8: the last `PUT` wins), so the studio keeps the base itself:
//! the proxy's file view the draft was made from, as the push history
//! recorded it ([`super::history::draft_base`]). Each key the draft and the
//! proxy disagree on is then three-way:
//!
//! | draft vs base | proxy vs base | what the push does |
//! |---|---|---|
//! | same | changed | keeps the proxy's value (only the proxy changed it) |
//! | changed | same | pushes the draft's value (only the draft changed it) |
//! | changed | changed | a conflict: base, proxy and draft are shown, and the push waits for an explicit choice |

use serde::Serialize;
use serde_json::{Map, Value};

use super::push::{PlannedChange, read_back_of};
use crate::core::layout::LayoutSet;

/// The proxy's file view a draft was made from, and where that is known from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DraftBase {
    pub values: Map<String, Value>,
    /// "the push of 2026-12-07T10:00:00Z (history)", for people.
    pub from: String,
}

/// What to do with a key both the draft and the proxy changed since the base.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictChoice {
    /// Refuse the push and show the conflicts.
    #[default]
    Ask,
    /// Push the draft's value anyway.
    Mine,
    /// Keep the proxy's value.
    Theirs,
}

/// A key changed on both sides since the base.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeyConflict {
    pub key: String,
    pub path: String,
    pub base: Value,
    pub proxy: Value,
    pub draft: Value,
}

impl KeyConflict {
    pub fn describe(&self) -> String {
        format!(
            "{}: base {} | proxy {} | draft {}",
            self.path, self.base, self.proxy, self.draft
        )
    }
}

/// A key only the proxy changed since the base: the push keeps its value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeptKey {
    pub key: String,
    pub path: String,
    /// The draft's (and the base's) value.
    pub base: Value,
    /// The proxy's value, kept.
    pub proxy: Value,
}

impl KeptKey {
    pub fn describe(&self) -> String {
        format!(
            "{}: changed on the proxy since the draft's base ({} -> {}); the proxy's value is kept",
            self.path, self.base, self.proxy
        )
    }
}

/// The three-way result for a plan's changes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ThreeWay {
    pub conflicts: Vec<KeyConflict>,
    pub kept: Vec<KeptKey>,
}

/// Sort `changes` (draft vs proxy) against `base`: keys only the proxy
/// changed leave `changes` and are kept; keys both changed are conflicts
/// unless `choice` settles them. Keys the base does not hold stay changes.
pub fn three_way(
    changes: &mut Vec<PlannedChange>,
    base: &DraftBase,
    layouts: &LayoutSet,
    choice: ConflictChoice,
) -> ThreeWay {
    let mut out = ThreeWay::default();
    changes.retain(|c| {
        let Some(b) = base.values.get(&c.key) else {
            return true;
        };
        let same = |x: &Value, y: &Value| match layouts.proxy_field_by_key(&c.key) {
            Some((_, f)) => x == y || read_back_of(f, x) == *y || read_back_of(f, y) == *x,
            None => x == y,
        };
        let draft_changed = !same(&c.after, b);
        let proxy_changed = !same(&c.before, b);
        let keep_theirs = match (draft_changed, proxy_changed) {
            (false, true) => true,
            (true, true) if choice == ConflictChoice::Theirs => true,
            (true, true) if choice == ConflictChoice::Ask => {
                out.conflicts.push(KeyConflict {
                    key: c.key.clone(),
                    path: c.path.clone(),
                    base: b.clone(),
                    proxy: c.before.clone(),
                    draft: c.after.clone(),
                });
                return true;
            }
            _ => false,
        };
        if keep_theirs {
            out.kept.push(KeptKey {
                key: c.key.clone(),
                path: c.path.clone(),
                base: b.clone(),
                proxy: c.before.clone(),
            });
        }
        !keep_theirs
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(key: &str, path: &str, before: i64, after: i64) -> PlannedChange {
        PlannedChange {
            key: key.to_owned(),
            path: path.to_owned(),
            before: Value::from(before),
            after: Value::from(after),
            needs_restart: true,
        }
    }

    #[test]
    fn only_the_proxy_changed_is_kept_both_changed_is_a_conflict() -> Result<(), String> {
        let layouts = LayoutSet::builtin().map_err(|e| e.to_string())?;
        let base = DraftBase {
            values:
                serde_json::json!({"port": 8100, "max_image_bytes": 6000000, "vllm_port": 24001})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            from: "test".to_owned(),
        };
        let all = vec![
            // Another admin set the port to 9000; the draft still has the base's 8100.
            change("port", "server.port", 9000, 8100),
            // Only the draft changed it.
            change("max_image_bytes", "limits.max_image_bytes", 6000000, 1000),
            // Both changed it.
            change("vllm_port", "vllm.vllm_port", 24002, 24003),
        ];
        let mut changes = all.clone();
        let t = three_way(&mut changes, &base, &layouts, ConflictChoice::Ask);
        assert_eq!(t.kept.len(), 1);
        assert_eq!(t.kept[0].key, "port");
        assert_eq!(t.conflicts.len(), 1);
        assert_eq!(
            t.conflicts[0].describe(),
            "vllm.vllm_port: base 24001 | proxy 24002 | draft 24003"
        );
        let keys: Vec<&str> = changes.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["max_image_bytes", "vllm_port"]);

        let mut changes = all.clone();
        let t = three_way(&mut changes, &base, &layouts, ConflictChoice::Theirs);
        assert!(t.conflicts.is_empty());
        assert_eq!(changes.len(), 1);

        let mut changes = all;
        let t = three_way(&mut changes, &base, &layouts, ConflictChoice::Mine);
        assert!(t.conflicts.is_empty());
        assert_eq!(changes.len(), 2);
        Ok(())
    }
}
