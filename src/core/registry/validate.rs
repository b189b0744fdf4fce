//! Registry checks: each rule is one function producing findings.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::finding::{Finding, Severity, finding};
use super::layer::EntrySource;
use super::merge::Merged;
use super::model::{DEFAULT_HOST, RegistryEntry};

/// Backends ImageWorks knows. The shipped registry only uses `vllm` and
/// `ollama`; `lmdeploy` and `unassigned` are the other values its schema uses.
pub const KNOWN_BACKENDS: [&str; 4] = ["vllm", "ollama", "lmdeploy", "unassigned"];

/// All findings; `registry_dir`'s parent anchors relative chat template paths.
pub fn validate_parts<C: EntrySource + ?Sized, D: EntrySource + ?Sized>(
    curated: &C,
    discovered: &D,
    merged: &Merged,
    registry_dir: &Path,
) -> Vec<Finding> {
    let entries: Vec<RegistryEntry<'_>> = merged.entries.iter().map(|e| e.view()).collect();
    let mut out = Vec::new();
    out.extend(duplicate_names("curated", curated));
    out.extend(duplicate_names("discovered", discovered));
    out.extend(port_conflicts(&entries));
    out.extend(alias_conflicts(&entries));
    out.extend(missing_served_ids(&entries));
    out.extend(unknown_backends(&entries));
    out.extend(missing_chat_templates(&entries, registry_dir));
    out.extend(dynamic_fields_in_curated(curated));
    out.extend(super::masking::masking_findings(
        curated, discovered, merged,
    ));
    out
}

/// The same name twice in one layer: ImageWorks keeps only the last one.
pub fn duplicate_names<D: EntrySource + ?Sized>(layer: &str, entries: &D) -> Vec<Finding> {
    let mut seen = HashSet::new();
    (0..entries.len())
        .map(|i| entries.name(i))
        .filter(|n| !n.is_empty() && !seen.insert(*n))
        .map(|n| {
            let msg = format!(
                "name appears more than once in the {layer} layer; only the last one counts"
            );
            finding(Severity::Error, n, "name", msg)
        })
        .collect()
}

/// Loopback spellings name the same host.
pub(crate) fn normalized_host(host: Option<&str>) -> String {
    match host.map(str::trim) {
        None | Some("") | Some("localhost") | Some("127.0.0.1") | Some("::1") => {
            DEFAULT_HOST.to_owned()
        }
        Some(h) => h.to_ascii_lowercase(),
    }
}

/// Entries of different backends on one host and port.
///
/// Sharing a port within one backend is how ImageWorks runs: one Ollama
/// daemon (port 11434) serves every Ollama model, and the chat proxy starts
/// one vLLM (or LMDeploy) model at a time on its single port
/// (`vllm_single_port`, 24001 in the shipped config) — the shipped registry
/// has six vLLM entries on 24001. So only a port claimed by two *different*
/// backends is a real clash. Deprecated entries and entries without a port
/// are not served and are skipped.
pub fn port_conflicts(entries: &[RegistryEntry<'_>]) -> Vec<Finding> {
    let mut by_port: BTreeMap<(String, u16), Vec<&RegistryEntry<'_>>> = BTreeMap::new();
    for e in entries.iter().filter(|e| !e.deprecated()) {
        if let Some(port) = e.port() {
            by_port
                .entry((normalized_host(e.host()), port))
                .or_default()
                .push(e);
        }
    }
    let mut out = Vec::new();
    for ((host, port), group) in &by_port {
        let first = group[0];
        for e in group.iter().skip(1) {
            if e.backend() != first.backend() {
                let msg = format!(
                    "{host}:{port} is also used by {} (backend {}, this one {})",
                    first.name(),
                    first.backend().unwrap_or("none"),
                    e.backend().unwrap_or("none"),
                );
                out.push(finding(
                    Severity::Error,
                    e.name(),
                    "backend_config.port",
                    msg,
                ));
            }
        }
    }
    out
}

/// An alias naming two models, or colliding with another entry's name.
pub fn alias_conflicts(entries: &[RegistryEntry<'_>]) -> Vec<Finding> {
    let names: HashSet<&str> = entries.iter().map(|e| e.name()).collect();
    let mut owner: HashMap<&str, &str> = HashMap::new();
    let mut out = Vec::new();
    for e in entries {
        for alias in e.model_aliases() {
            if alias != e.name() && names.contains(alias) {
                let msg = format!("alias {alias:?} is the name of another entry");
                out.push(finding(Severity::Error, e.name(), "model_aliases", msg));
            }
            match owner.get(alias) {
                Some(first) if *first != e.name() => {
                    let msg = format!("alias {alias:?} also names {first}");
                    out.push(finding(Severity::Error, e.name(), "model_aliases", msg));
                }
                _ => {
                    owner.insert(alias, e.name());
                }
            }
        }
    }
    out
}

/// A served backend without a usable `served_model_id`.
///
/// Ollama addresses models only by their tag, so a missing id is an error.
/// vLLM and LMDeploy serve under the model path (or whatever
/// `--served-model-name` the proxy passes) when no id is given, so for them
/// it is a warning. The shipped registry has six vLLM entries whose id is the
/// *text* `"None"` — a Python `None` written through `str()` — which is
/// reported the same way.
pub fn missing_served_ids(entries: &[RegistryEntry<'_>]) -> Vec<Finding> {
    entries
        .iter()
        .filter_map(|e| {
            let problem = served_id_problem(e.served_model_id())?;
            let severity = match e.backend()? {
                "ollama" => Severity::Error,
                "vllm" | "lmdeploy" => Severity::Warning,
                _ => return None,
            };
            let msg = format!("{problem} for a {} model", e.backend().unwrap_or(""));
            Some(finding(severity, e.name(), "served_model_id", msg))
        })
        .collect()
}

fn served_id_problem(id: Option<&str>) -> Option<&'static str> {
    match id {
        None => Some("no served_model_id"),
        Some("None" | "null") => {
            Some("served_model_id is the text \"None\" (a Python None saved as a string)")
        }
        Some(_) => None,
    }
}

pub fn unknown_backends(entries: &[RegistryEntry<'_>]) -> Vec<Finding> {
    entries
        .iter()
        .filter_map(|e| {
            let msg = match e.backend() {
                Some(b) if KNOWN_BACKENDS.contains(&b) => return None,
                Some(b) => format!(
                    "unknown backend {b:?} (known: {})",
                    KNOWN_BACKENDS.join(", ")
                ),
                None => "no backend set".to_owned(),
            };
            Some(finding(Severity::Error, e.name(), "backend", msg))
        })
        .collect()
}

/// `chat_template.path` pointing at a file that does not exist. Relative
/// paths are resolved against the registry folder's parent (the ImageWorks
/// project root when the registry is its `configs/`).
pub fn missing_chat_templates(entries: &[RegistryEntry<'_>], registry_dir: &Path) -> Vec<Finding> {
    let base = registry_dir.parent().unwrap_or(registry_dir);
    entries
        .iter()
        .filter_map(|e| {
            let path = e.chat_template_path()?;
            let full = base.join(path);
            (!full.is_file()).then(|| {
                let msg = format!("chat template {} does not exist", full.display());
                finding(Severity::Warning, e.name(), "chat_template.path", msg)
            })
        })
        .collect()
}

/// Runtime state in the curated layer belongs in discovered.
pub fn dynamic_fields_in_curated<C: EntrySource + ?Sized>(curated: &C) -> Vec<Finding> {
    (0..curated.len())
        .flat_map(|i| dynamic_fields_of(curated, i))
        .collect()
}

/// `dynamic_fields_in_curated` for the curated entry at `index`.
pub fn dynamic_fields_of<C: EntrySource + ?Sized>(curated: &C, index: usize) -> Vec<Finding> {
    let name = curated.name(index);
    curated
        .dynamic_fields(index)
        .into_iter()
        .map(|field| {
            let msg = "runtime state in the curated layer; it belongs in discovered".to_owned();
            finding(Severity::Warning, name, &field, msg)
        })
        .collect()
}
