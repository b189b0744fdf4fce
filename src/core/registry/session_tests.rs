use super::*;
use crate::core::registry::maintenance::MaintenanceAction;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample_configs/registry");
const NAME: &str = "florence-2-large_(FP16)";

fn open_copy() -> (tempfile::TempDir, RegistrySession) {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(SAMPLE).expect("the sample registry") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
        }
    }
    let layout = Arc::new(entry_layout().expect("the entry layout loads"));
    let session = RegistrySession::open(dir.path(), layout).expect("the registry opens");
    (dir, session)
}

fn port(s: &RegistrySession) -> Option<serde_json::Value> {
    s.store()
        .value(NAME)
        .and_then(|v| v.get("backend_config"))
        .and_then(|b| b.get("port"))
        .cloned()
}

#[test]
fn one_history_takes_back_edits_and_maintenance_in_the_order_made() {
    let (_dir, mut s) = open_copy();
    let entries = s.store().merged().entries.len();
    s.set_field_text(NAME, "backend_config.port", "24010")
        .expect("a port");
    let plan = s
        .plan(&MaintenanceAction::Remove {
            names: vec![NAME.to_owned()],
        })
        .expect("a plan");
    assert_eq!(s.apply_plan(&plan), EditOutcome::Changed);
    assert!(s.is_dirty());
    assert_eq!(s.store().merged().entries.len(), entries - 1);

    assert_eq!(s.undo().as_deref(), Some(plan.action.label().as_str()));
    assert_eq!(s.store().merged().entries.len(), entries);
    assert_eq!(port(&s), Some(serde_json::json!(24010)));
    assert!(s.undo().is_some_and(|l| l.contains("backend_config.port")));
    assert_ne!(port(&s), Some(serde_json::json!(24010)));
    assert!(!s.is_dirty(), "back where it was read");
    assert!(s.undo().is_none());
    assert!(s.redo().is_some());
    assert_eq!(port(&s), Some(serde_json::json!(24010)));
}

#[test]
fn typed_values_are_parsed_and_range_checked_by_the_entry_layout() {
    let (_dir, mut s) = open_copy();
    let err = s
        .set_field_cli(NAME, "backend_config.port", "70000")
        .expect_err("out of range");
    assert!(
        err.to_string().contains("backend_config.port")
            && err.to_string().contains("above the maximum 65535"),
        "{err}"
    );
    assert!(!s.is_dirty(), "a refused value changes nothing");
    assert!(
        s.set_field_text(NAME, "backend_config.port", "80x")
            .is_err()
    );
    s.set_field_cli(NAME, "deprecated", "true")
        .expect("a boolean");
    assert!(s.is_dirty());
}

#[test]
fn a_save_writes_and_leaves_the_session_clean() {
    let (dir, mut s) = open_copy();
    s.set_field_cli(NAME, "display_name", "Florence")
        .expect("a name");
    let report = s.save().expect("saved");
    assert!(!report.written.is_empty());
    assert!(!s.is_dirty());
    let again = RegistrySession::open(dir.path(), Arc::new(entry_layout().expect("layout")))
        .expect("reopens");
    assert_eq!(
        again
            .store()
            .value(NAME)
            .and_then(|v| v.get("display_name")),
        Some(&serde_json::json!("Florence"))
    );
    assert!(s.can_undo(), "the history outlives a save");
}
