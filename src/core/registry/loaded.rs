//! The findings of a registry as loaded from its folder: about its files
//! (layer names, a stale snapshot) and, kept up to date by the store, about
//! its entries (`validate::validate_parts`).

use super::finding::{Finding, FindingFix, Severity, finding};
use super::store::{Layer, RegistryStore, SNAPSHOT_FILE, SnapshotState};

/// The snapshot compared with the merge of the layers, as loaded (see
/// `RegistryStore::snapshot_state`): a stale one is what ImageWorks' readers
/// of the single file see until something regenerates it. Call right after
/// loading; with edits pending, every snapshot differs.
pub fn stale_snapshot(store: &RegistryStore) -> Option<Finding> {
    let message = match store.snapshot_state() {
        SnapshotState::Current => return None,
        SnapshotState::Stale => format!(
            "{SNAPSHOT_FILE} is not the merge of the two layers (a save wrote a layer but not \
             the snapshot); readers of that file see old entries until it is regenerated"
        ),
        SnapshotState::Missing => format!(
            "{SNAPSHOT_FILE} is missing; ImageWorks writes it on its next load, this editor on \
             the next save"
        ),
        SnapshotState::Unreadable => format!(
            "{SNAPSHOT_FILE} does not parse ({}); ImageWorks ignores it, with any entry only it \
             holds, and rewrites it on its next load; this editor on the next save",
            store.snapshot_problem().unwrap_or("unknown reason")
        ),
    };
    Some(Finding {
        fix: Some(FindingFix::RegenerateSnapshot),
        ..finding(Severity::Warning, "", SNAPSHOT_FILE, message)
    })
}

/// What ImageWorks' `json.loads(path.read_text())` makes of the layer
/// files themselves: a BOM fails it (the whole load fails).
pub fn layer_file_findings(store: &RegistryStore) -> Vec<Finding> {
    [Layer::Curated, Layer::Discovered]
        .into_iter()
        .filter(|layer| store.has_bom(*layer))
        .map(|layer| {
            let message = "starts with a UTF-8 BOM: ImageWorks' json.loads(read_text()) \
                           refuses it (\"Unexpected UTF-8 BOM\") and loads no registry at all; \
                           save the file as UTF-8 without a BOM"
                .to_owned();
            finding(Severity::Error, "", layer.file_name(), message)
        })
        .chain(name_findings("curated", store.curated()))
        .chain(name_findings("discovered", store.discovered()))
        .collect()
}

/// Names ImageWorks reads otherwise than written (`layer::name_note`):
/// padded, blank, numbers; an error for those its loader fails on.
fn name_findings<'a>(
    label: &'a str,
    layer: &'a super::layer::LazyLayer,
) -> impl Iterator<Item = Finding> + 'a {
    layer.name_notes().map(move |(index, error, note)| {
        let severity = if error {
            Severity::Error
        } else {
            Severity::Warning
        };
        finding(
            severity,
            &format!("{label} entry {index}"),
            "name",
            note.to_owned(),
        )
    })
}

/// `validate` plus the checks that hold only for a registry as loaded:
/// the stale snapshot, first, since it concerns the whole registry.
pub fn validate_loaded(store: &RegistryStore) -> Vec<Finding> {
    let mut findings = file_findings(store);
    findings.extend(validate(store));
    findings
}

/// The findings about the files as read rather than the entries (layer
/// names, the stale snapshot): they hold until the next save or load.
pub fn file_findings(store: &RegistryStore) -> Vec<Finding> {
    let mut findings: Vec<Finding> = layer_file_findings(store);
    findings.extend(stale_snapshot(store));
    findings
}

/// All findings for a loaded registry: `validate_parts`, kept up to date
/// by the store edit by edit (`checks.rs`).
pub fn validate(store: &RegistryStore) -> Vec<Finding> {
    store.checks().findings()
}
