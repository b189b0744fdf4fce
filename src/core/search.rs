//! Find a setting (Ctrl+F): every word of the query must appear in a field's
//! key, label, path, help, env var, or enum values and their labels. Map
//! sections are searched in every instance and array sections in every entry
//! of the document, each concrete path once.

use std::collections::HashSet;

use crate::core::document::{ConfigDocument, DocPath};
use crate::core::layout::{Field, LayoutSet, Section, SectionKind};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// A concrete path (`storage.assets.avatars.bucket`, `endpoints[2].name`).
    pub path: DocPath,
    pub label: String,
    /// Title of the page that shows it.
    pub page: String,
    /// What matched when it is not in the label or path: the env var
    /// (`env CHAT_PROXY_PORT`) or an enum value (`value personal_tagger`).
    pub why: Option<String>,
}

/// Hits ranked: matches in key, path or label come before matches only in
/// the help text. `doc` gives the number of array entries (at least one).
pub fn search(layouts: &LayoutSet, doc: Option<&ConfigDocument>, query: &str) -> Vec<Hit> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut seen = HashSet::new();
    let mut hits: Vec<(usize, Hit)> = Vec::new();
    for (page, section, field) in layouts.all_fields() {
        for base in instance_paths(section, doc) {
            let path = base.child(&field.key);
            // Variants share keys (`bucket` of s3 and firebase): one hit per path.
            if !seen.insert(path.clone()) {
                continue;
            }
            let head = format!("{path} {} {}", field.key, field.label).to_lowercase();
            let body = searchable_body(field).to_lowercase();
            if !words.iter().all(|w| head.contains(w) || body.contains(w)) {
                continue;
            }
            let rank = words.iter().filter(|w| !head.contains(w.as_str())).count();
            let why = why_it_matched(field, &words, &head);
            let label = field.label.clone();
            let page = page.title.clone();
            hits.push((
                rank,
                Hit {
                    path,
                    label,
                    page,
                    why,
                },
            ));
        }
    }
    hits.sort_by_key(|(rank, _)| *rank);
    hits.into_iter().map(|(_, h)| h).collect()
}

fn searchable_body(field: &Field) -> String {
    let labels: Vec<&str> = field.value_labels.values().map(String::as_str).collect();
    format!(
        "{} {} {} {}",
        field.help,
        field.env.as_deref().unwrap_or_default(),
        field.values.join(" "),
        labels.join(" ")
    )
}

/// The env var or enum value a query word matched, when the label and path
/// do not show why the setting is listed.
fn why_it_matched(field: &Field, words: &[String], head: &str) -> Option<String> {
    let unseen: Vec<&String> = words
        .iter()
        .filter(|w| !head.contains(w.as_str()))
        .collect();
    if unseen.is_empty() {
        return None;
    }
    if let Some(env) = &field.env
        && unseen
            .iter()
            .any(|w| env.to_lowercase().contains(w.as_str()))
    {
        return Some(format!("env {env}"));
    }
    field
        .values
        .iter()
        .find(|v| {
            let label = field.value_label(v).to_lowercase();
            unseen
                .iter()
                .any(|w| v.to_lowercase().contains(w.as_str()) || label.contains(w.as_str()))
        })
        .map(|v| format!("value {v}"))
}

/// The tables a section's fields live in: the table, each map instance, or
/// each array entry of the document.
fn instance_paths(section: &Section, doc: Option<&ConfigDocument>) -> Vec<DocPath> {
    let table = DocPath::keys(&section.table_path());
    match section.kind {
        SectionKind::Table => vec![table],
        SectionKind::Map => section.instances.iter().map(|i| table.child(i)).collect(),
        SectionKind::Array => {
            let entries = doc
                .and_then(|d| d.get(&table))
                .and_then(toml_edit::Item::as_array_of_tables)
                .map_or(0, toml_edit::ArrayOfTables::len);
            (0..entries.max(1)).map(|i| table.index(i)).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn paths(hits: &[Hit]) -> Vec<String> {
        hits.iter().map(|h| h.path.to_string()).collect()
    }

    #[test]
    fn finds_by_key_label_help_env_and_values() -> TestResult {
        let layouts = LayoutSet::builtin()?;
        let first = |q: &str| {
            search(&layouts, None, q)
                .first()
                .map(|h| h.path.to_string())
        };
        assert_eq!(
            first("max_image_bytes").as_deref(),
            Some("limits.max_image_bytes")
        );
        assert_eq!(
            first("jpeg quality").as_deref(),
            Some("vision_preprocess.image_jpeg_quality")
        );
        assert!(
            paths(&search(&layouts, None, "prometheus")).contains(&"server.enable_metrics".into())
        );
        assert_eq!(first("CHAT_PROXY_PORT").as_deref(), Some("server.port"));
        let port = search(&layouts, None, "chat_proxy_port");
        assert_eq!(port.len(), 1, "{port:?}");
        assert_eq!(port[0].why.as_deref(), Some("env CHAT_PROXY_PORT"));
        let tagger = search(&layouts, None, "personal tagger");
        let default_page = DocPath::keys(&["ui", "default_page"]);
        assert!(
            tagger.iter().any(
                |h| h.path == default_page && h.why.as_deref() == Some("value personal_tagger")
            ),
            "{tagger:?}"
        );
        assert!(
            paths(&search(&layouts, None, "Local folder"))
                .contains(&"storage.default_backend".into())
        );
        assert!(
            paths(&search(&layouts, None, "firebase"))
                .contains(&"storage.assets.images.backend".into())
        );
        assert!(search(&layouts, None, "zzzz").is_empty());
        Ok(())
    }

    #[test]
    fn covers_every_instance_and_array_entry_once() -> TestResult {
        let layouts = LayoutSet::builtin()?;
        let buckets = paths(&search(&layouts, None, "bucket"));
        for asset in ["images", "documents", "avatars", "results"] {
            let path = format!("storage.assets.{asset}.bucket");
            assert_eq!(
                buckets.iter().filter(|p| **p == path).count(),
                1,
                "{buckets:?}"
            );
        }
        let doc =
            ConfigDocument::parse("[[endpoints]]\nname = \"a\"\n[[endpoints]]\nname = \"b\"\n")?;
        let names = paths(&search(&layouts, Some(&doc), "endpoints name"));
        assert!(names.contains(&"endpoints[0].name".into()), "{names:?}");
        assert!(names.contains(&"endpoints[1].name".into()), "{names:?}");
        Ok(())
    }
}
