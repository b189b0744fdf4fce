//! Which model answers each role, by both rules ImageWorks has.
//!
//! * The apps (`model_loader/role_selection.py`): over the merged registry,
//!   entries whose `roles` lists the role, not `deprecated`, with
//!   `capabilities.vision` true for the tagger roles; the highest
//!   `role_priority[role]` (missing = 0) wins, ties in registry order.
//! * The proxy's `GET /v1/models/select_by_role`
//!   (`chat_proxy/role_selector.py`): over the curated file only, entries
//!   that have `role_priority[role]`, whose top-level `vram_estimate_mb` is
//!   within the deployment profile's limit (a missing estimate counts as
//!   infinite: left out), sorted by priority, then quantization preference,
//!   then smaller VRAM. `deprecated` is not checked.
//!
//! Both sorts are stable, as Python's `list.sort` is (also with
//! `reverse=True`), so equal candidates keep file order.

use std::cmp::Ordering;

use serde_json::Value;

use super::layer::EntrySource;
use super::model::get_path;
use super::store::RegistryStore;

/// The roles ImageWorks' Models page offers, in its order.
pub const KNOWN_ROLES: [&str; 11] = [
    "caption",
    "keywords",
    "description",
    "narration",
    "object_detection",
    "vision_general",
    "chat",
    "code",
    "reasoning",
    "ocr",
    "embedding",
];

/// Roles for which the apps also require `capabilities.vision`
/// (`DEFAULT_ROLE_CAPABILITIES`).
pub const VISION_ROLES: [&str; 4] = ["caption", "keywords", "description", "narration"];

/// What the proxy's rule reads from its deployment profile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProxyProfile {
    /// `max_vram_mb`; `None`: no limit, every entry with an estimate fits
    /// (an entry without one is still left out).
    pub max_vram_mb: Option<f64>,
    /// `preferred_quantizations`, best first; matched as a substring of the
    /// entry's `quantization`, case-insensitively.
    pub preferred_quantizations: Vec<String>,
}

/// Both answers for one role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleCoverage {
    pub role: String,
    /// Entry names the apps would pick, best first.
    pub apps: Vec<String>,
    /// Entry names the proxy would pick, best first.
    pub proxy: Vec<String>,
    pub warnings: Vec<String>,
}

/// The coverage of every known role, then of any other role the registry
/// names (in `roles` or as a `role_priority` key), in the order first seen.
pub fn role_coverage(store: &RegistryStore, profile: &ProxyProfile) -> Vec<RoleCoverage> {
    let merged: Vec<Candidate> = store
        .merged()
        .entries
        .iter()
        .zip(
            store
                .merged()
                .values(store.curated(), store.discovered(), store.snapshot_only()),
        )
        .map(|(entry, value)| Candidate::of(&value, entry.has_capability("vision")))
        .collect();
    let curated: Vec<Candidate> = (0..store.curated().len())
        .map(|i| Candidate::of(&store.curated().parsed(i), false))
        .collect();
    coverage(&merged, &curated, profile)
}

/// What the rules read of one entry.
#[derive(Clone, Debug)]
struct Candidate {
    name: String,
    roles: Vec<String>,
    /// `role_priority` members that are not null, with their score (a
    /// value that is not a number scores 0).
    priority: Vec<(String, f64)>,
    deprecated: bool,
    vision: bool,
    vram_mb: Option<f64>,
    quantization: String,
}

impl Candidate {
    fn of(entry: &Value, vision: bool) -> Self {
        let strings = |path: &str| -> Vec<String> {
            get_path(entry, path)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        let priority = get_path(entry, "role_priority")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(0.0)))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            name: get_path(entry, "name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            roles: strings("roles"),
            priority,
            deprecated: get_path(entry, "deprecated").and_then(Value::as_bool) == Some(true),
            vision,
            vram_mb: get_path(entry, "vram_estimate_mb").and_then(Value::as_f64),
            quantization: get_path(entry, "quantization")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_lowercase(),
        }
    }

    fn priority(&self, role: &str) -> Option<f64> {
        self.priority
            .iter()
            .rev()
            .find(|(k, _)| k == role)
            .map(|(_, v)| *v)
    }

    fn lists(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

fn coverage(
    merged: &[Candidate],
    curated: &[Candidate],
    profile: &ProxyProfile,
) -> Vec<RoleCoverage> {
    let mut roles: Vec<String> = KNOWN_ROLES.iter().map(|r| (*r).to_owned()).collect();
    for c in merged.iter().chain(curated) {
        let named = c.roles.iter().chain(c.priority.iter().map(|(k, _)| k));
        for role in named {
            if !roles.contains(role) {
                roles.push(role.clone());
            }
        }
    }
    roles
        .into_iter()
        .map(|role| {
            let apps = apps_pick(merged, &role);
            let proxy = proxy_pick(curated, &role, profile);
            let mut warnings = Vec::new();
            if apps.is_empty() {
                warnings.push(apps_empty(&role));
            }
            if proxy.is_empty() {
                warnings.push(proxy_empty(&role, profile));
            }
            warnings.extend(disagreements(merged, &role));
            RoleCoverage {
                role,
                apps,
                proxy,
                warnings,
            }
        })
        .collect()
}

/// The apps' rule, best first.
fn apps_pick(merged: &[Candidate], role: &str) -> Vec<String> {
    let needs_vision = VISION_ROLES.contains(&role);
    let mut picked: Vec<(&Candidate, f64)> = merged
        .iter()
        .filter(|c| c.lists(role) && !c.deprecated && (c.vision || !needs_vision))
        .map(|c| (c, c.priority(role).unwrap_or(0.0)))
        .collect();
    picked.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal));
    picked.into_iter().map(|(c, _)| c.name.clone()).collect()
}

/// The proxy's rule, best first.
fn proxy_pick(curated: &[Candidate], role: &str, profile: &ProxyProfile) -> Vec<String> {
    let fits = |vram: Option<f64>| match (vram, profile.max_vram_mb) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(v), Some(limit)) => v <= limit,
    };
    let mut picked: Vec<(&Candidate, (f64, usize, f64))> = curated
        .iter()
        .filter(|c| fits(c.vram_mb))
        .filter_map(|c| {
            let score = c.priority(role)?;
            let key = (
                score,
                quantization_rank(c, profile),
                -c.vram_mb.unwrap_or(0.0),
            );
            Some((c, key))
        })
        .collect();
    picked.sort_by(|a, b| {
        let (x, y) = (a.1, b.1);
        y.0.partial_cmp(&x.0)
            .unwrap_or(Ordering::Equal)
            .then(y.1.cmp(&x.1))
            .then(y.2.partial_cmp(&x.2).unwrap_or(Ordering::Equal))
    });
    picked.into_iter().map(|(c, _)| c.name.clone()).collect()
}

/// Higher for a quantization earlier in the preference list; 0 for none.
fn quantization_rank(c: &Candidate, profile: &ProxyProfile) -> usize {
    let prefs = &profile.preferred_quantizations;
    prefs
        .iter()
        .position(|p| c.quantization.contains(&p.to_lowercase()))
        .map_or(0, |i| prefs.len() - i)
}

fn apps_empty(role: &str) -> String {
    let vision = match VISION_ROLES.contains(&role) {
        true => ", capabilities.vision true",
        false => "",
    };
    format!(
        "no model answers {role} for the ImageWorks apps (they need an entry whose roles list \
         {role}, not deprecated{vision})"
    )
}

fn proxy_empty(role: &str, profile: &ProxyProfile) -> String {
    let limit = match profile.max_vram_mb {
        Some(limit) => format!("at most {limit} MB"),
        None => "set".to_owned(),
    };
    format!(
        "no model answers {role} for the proxy's select_by_role (it needs a curated entry with \
         role_priority.{role} and vram_estimate_mb {limit})"
    )
}

/// Entries whose `roles` and `role_priority` disagree about `role`.
fn disagreements(merged: &[Candidate], role: &str) -> Vec<String> {
    merged
        .iter()
        .filter_map(|c| match (c.lists(role), c.priority(role).is_some()) {
            (true, false) => Some(format!(
                "{}: roles lists {role} but role_priority has no {role} (the apps score it 0, \
                 the proxy never picks it)",
                c.name
            )),
            (false, true) => Some(format!(
                "{}: role_priority.{role} is set but roles does not list {role} (the proxy can \
                 pick it, the apps never do)",
                c.name
            )),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn candidates(values: &[Value], vision: &[bool]) -> Vec<Candidate> {
        values
            .iter()
            .zip(vision)
            .map(|(v, vis)| Candidate::of(v, *vis))
            .collect()
    }

    #[test]
    fn apps_rule_needs_the_role_listed_not_deprecated_and_vision_for_taggers() {
        let merged = candidates(
            &[
                json!({"name": "a", "roles": ["caption", "chat"], "role_priority": {"caption": 50}}),
                json!({"name": "b", "roles": ["caption"], "role_priority": {"caption": 90}}),
                json!({"name": "c", "roles": ["caption"], "role_priority": {"caption": 99}, "deprecated": true}),
                json!({"name": "d", "roles": ["caption", "chat"]}),
                json!({"name": "e", "roles": ["chat"], "role_priority": {"chat": 0}}),
            ],
            &[true, true, true, true, false],
        );
        assert_eq!(apps_pick(&merged, "caption"), ["b", "a", "d"]);
        // No vision needed for chat; ties (0, 0 for a missing score) keep order.
        assert_eq!(apps_pick(&merged, "chat"), ["a", "d", "e"]);
        let no_vision = candidates(&[json!({"name": "x", "roles": ["caption"]})], &[false]);
        assert!(apps_pick(&no_vision, "caption").is_empty());
    }

    #[test]
    fn proxy_rule_needs_a_score_and_an_estimate_within_the_limit() {
        let curated = candidates(
            &[
                json!({"name": "big", "role_priority": {"chat": 80}, "vram_estimate_mb": 30000}),
                json!({"name": "none", "role_priority": {"chat": 99}}),
                json!({"name": "awq", "role_priority": {"chat": 80}, "vram_estimate_mb": 9000, "quantization": "AWQ"}),
                json!({"name": "fp8", "role_priority": {"chat": 80}, "vram_estimate_mb": 8000, "quantization": "fp8"}),
                json!({"name": "small", "role_priority": {"chat": 80}, "vram_estimate_mb": 4000}),
                json!({"name": "null", "role_priority": {"chat": null}, "vram_estimate_mb": 1, "deprecated": true}),
                json!({"name": "dep", "role_priority": {"chat": 10}, "vram_estimate_mb": 1, "deprecated": true}),
            ],
            &[false; 7],
        );
        let profile = ProxyProfile {
            max_vram_mb: Some(24000.0),
            preferred_quantizations: vec!["awq".into(), "fp8".into()],
        };
        assert_eq!(
            proxy_pick(&curated, "chat", &profile),
            ["awq", "fp8", "small", "dep"]
        );
        let unlimited = ProxyProfile::default();
        assert_eq!(
            proxy_pick(&curated, "chat", &unlimited),
            ["small", "fp8", "awq", "big", "dep"]
        );
    }

    #[test]
    fn disagreement_and_unknown_roles_are_reported() {
        let merged = candidates(
            &[
                json!({"name": "a", "roles": ["chat"], "role_priority": {"upscale": 5}}),
                json!({"name": "b", "roles": ["chat"], "role_priority": {"chat": 5}}),
            ],
            &[false, false],
        );
        let all = coverage(&merged, &merged, &ProxyProfile::default());
        let roles: Vec<&str> = all.iter().map(|c| c.role.as_str()).collect();
        assert_eq!(roles.len(), 12);
        assert_eq!(roles[11], "upscale");
        let chat = &all[6];
        assert_eq!(chat.apps, ["b", "a"]);
        assert!(chat.proxy.is_empty(), "no estimates");
        assert_eq!(chat.warnings.len(), 2, "{:?}", chat.warnings);
        assert!(chat.warnings[1].starts_with("a: roles lists chat but role_priority has no chat"));
        let upscale = &all[11];
        assert!(
            upscale
                .warnings
                .iter()
                .any(|w| w.starts_with("a: role_priority.upscale is set")),
            "{:?}",
            upscale.warnings
        );
    }
}
