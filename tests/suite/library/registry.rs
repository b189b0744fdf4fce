//! Acceptance tests for the model registry core, on copies of the shipped sample.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use iw_studio::core::registry::json_text::{parse, to_python_json};
use iw_studio::core::registry::layer::{parse_entries, summary_of};
use iw_studio::core::registry::merge::provenance;
use iw_studio::core::registry::store::{
    CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE, resolve_dir_with_env,
};
use iw_studio::core::registry::validate::{self as rules, validate_parts};
use iw_studio::core::registry::{
    EditError, EditHistory, EditOutcome, EntryLayer, FieldSource, Filter, RegistryCommand,
    RegistryEntry, RegistryError, RegistryStore, Severity, filter_entries, merge_layers, validate,
};
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample_configs/registry");
const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/imageworks/"
);
const FILES: [&str; 3] = [CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE];
/// A curated entry that is also discovered, and a discovered-only one.
const BOTH: &str = "florence-2-large_(FP16)";
const DISCOVERED_ONLY: &str = "siglip-large-patch16-384_(FP32)";

fn sample_copy() -> Result<tempfile::TempDir, std::io::Error> {
    let dir = tempfile::tempdir()?;
    for f in FILES {
        fs::copy(Path::new(SAMPLE).join(f), dir.path().join(f))?;
    }
    Ok(dir)
}

fn read(dir: &Path, file: &str) -> Result<String, std::io::Error> {
    fs::read_to_string(dir.join(file))
}

fn mtimes(dir: &Path) -> Result<Vec<SystemTime>, std::io::Error> {
    FILES
        .iter()
        .map(|f| fs::metadata(dir.join(f))?.modified())
        .collect()
}

fn entries(dir: &Path, file: &str) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    Ok(parse_entries(&dir.join(file), &read(dir, file)?)?)
}

/// The whole merged list, as the snapshot holds it.
fn merged_list(cur: &[Value], dis: &[Value], snapshot: &[Value]) -> Value {
    let merged = merge_layers(cur, dis, snapshot);
    Value::Array(
        merged
            .values(cur, dis, snapshot)
            .map(|v| v.into_owned())
            .collect(),
    )
}

/// The curated layer's entries as values.
fn curated(s: &RegistryStore) -> Vec<Value> {
    s.curated().iter().cloned().collect()
}

fn name_of(v: &Value) -> &str {
    RegistryEntry::new(v).name()
}

/// The snapshot on disk is the merge rule applied to the two layers on disk.
fn assert_snapshot_is_merge(dir: &Path) -> TestResult {
    let cur = entries(dir, CURATED_FILE)?;
    let dis = entries(dir, DISCOVERED_FILE)?;
    let want = to_python_json(&merged_list(&cur, &dis, &[]));
    assert_eq!(read(dir, SNAPSHOT_FILE)?, want);
    Ok(())
}

#[test]
fn sample_is_a_copy_of_the_shared_fixtures() -> TestResult {
    if !Path::new(SHARED).is_dir() {
        return Ok(()); // Checkouts outside the workspace have only the copy.
    }
    for f in FILES {
        assert_eq!(
            read(Path::new(SAMPLE), f)?,
            read(Path::new(SHARED), f)?,
            "{f}"
        );
    }
    Ok(())
}

#[test]
fn fixture_files_rewrite_byte_identical() -> TestResult {
    for f in FILES {
        let text = read(Path::new(SAMPLE), f)?;
        assert_eq!(to_python_json(&parse(&text)?), text, "{f}");
    }
    Ok(())
}

#[test]
fn merge_of_fixture_layers_equals_fixture_snapshot() -> TestResult {
    let dir = Path::new(SAMPLE);
    let cur = entries(dir, CURATED_FILE)?;
    let dis = entries(dir, DISCOVERED_FILE)?;
    let snapshot = entries(dir, SNAPSHOT_FILE)?;
    let merged = merge_layers(&cur, &dis, &snapshot);
    assert_eq!((cur.len(), dis.len(), merged.entries.len()), (14, 16, 16));
    let list = merged_list(&cur, &dis, &snapshot);
    assert_eq!(list, Value::Array(snapshot));
    assert_eq!(to_python_json(&list), read(dir, SNAPSHOT_FILE)?);
    Ok(())
}

/// The store parses the discovered layer lazily and merges summaries: what
/// it shows must be exactly the eager merge.
#[test]
fn lazy_store_matches_the_eager_merge() -> TestResult {
    let dir = Path::new(SAMPLE);
    let store = RegistryStore::load(dir)?;
    let want = entries(dir, SNAPSHOT_FILE)?;
    assert_eq!(store.merged().entries.len(), want.len());
    for (i, (entry, whole)) in store.merged().entries.iter().zip(&want).enumerate() {
        assert_eq!(store.value_at(i), whole, "{}", entry.name());
        assert_eq!(entry.view().value(), &summary_of(whole), "{}", entry.name());
        let caps: Vec<&str> = entry.capabilities().collect();
        assert_eq!(caps, RegistryEntry::new(whole).capabilities());
    }
    let dis = entries(dir, DISCOVERED_FILE)?;
    assert!(store.discovered().iter().eq(dis.iter()));
    Ok(())
}

#[test]
fn fixture_provenance_and_layers() -> TestResult {
    let store = RegistryStore::load(Path::new(SAMPLE))?;
    let layer = |n: &str| store.merged().get(n).map(|e| e.layer);
    assert_eq!(layer(BOTH), Some(EntryLayer::Both));
    assert_eq!(layer(DISCOVERED_ONLY), Some(EntryLayer::DiscoveredOnly));
    let prov = store.provenance(BOTH).ok_or("no provenance")?;
    let source = |p: &str| prov.iter().find(|(path, _)| path == p).map(|(_, s)| *s);
    assert_eq!(
        source("display_name"),
        Some(FieldSource::CuratedOverDiscovered)
    );
    assert_eq!(source("download_path"), Some(FieldSource::Discovered));
    // Every leaf of the merged entry has exactly one answer.
    let entry = store.merged().get(BOTH).ok_or("missing")?;
    let mut leaves = 0;
    let whole = store.value(entry.name()).ok_or("missing")?;
    iw_studio::core::registry::merge::walk_leaves(whole, &mut Vec::new(), &mut |_, _| leaves += 1);
    assert_eq!(prov.len(), leaves);
    let only = provenance(
        store.merged().get(DISCOVERED_ONLY).ok_or("missing")?,
        store.curated(),
        store.discovered(),
        store.snapshot_only(),
    );
    assert!(only.iter().all(|(_, s)| *s == FieldSource::Discovered));
    Ok(())
}

#[test]
fn open_and_save_without_edits_touches_nothing() -> TestResult {
    let dir = sample_copy()?;
    let before = mtimes(dir.path())?;
    let mut store = RegistryStore::load(dir.path())?;
    assert!(!store.has_pending_edits());
    let report = store.save()?;
    assert!(report.written.is_empty(), "{report:?}");
    assert!(!report.discovered_reloaded);
    assert_eq!(mtimes(dir.path())?, before);
    for f in FILES {
        assert_eq!(read(dir.path(), f)?, read(Path::new(SAMPLE), f)?);
    }
    Ok(())
}

/// Pending edits are judged against the file as last saved: an edit made
/// and undone after a save leaves nothing to save.
#[test]
fn edits_undone_after_a_save_leave_nothing_pending() -> TestResult {
    let dir = sample_copy()?;
    let mut store = RegistryStore::load(dir.path())?;
    let mut history = EditHistory::new();
    let set = |v: &str| RegistryCommand::SetField {
        name: BOTH.into(),
        path: "display_name".into(),
        value: json!(v),
    };
    history.apply(&mut store, &set("First"))?;
    assert!(store.has_pending_edits());
    store.save()?;
    assert!(!store.has_pending_edits());
    history.apply(&mut store, &set("Second"))?;
    assert!(store.has_pending_edits());
    assert!(history.undo(&mut store));
    assert!(!store.has_pending_edits());
    let report = store.save()?;
    assert!(report.written.is_empty(), "{report:?}");
    assert_eq!(
        store.value(BOTH).map(|v| v["display_name"].clone()),
        Some(json!("First"))
    );
    Ok(())
}

/// A hand-formatted curated file is read in full (not by lines) and, with
/// no edit, never rewritten into ImageWorks' layout.
#[test]
fn a_curated_file_in_another_layout_is_left_alone() -> TestResult {
    let dir = sample_copy()?;
    let compact = serde_json::to_string(&entries(dir.path(), CURATED_FILE)?)?;
    fs::write(dir.path().join(CURATED_FILE), &compact)?;
    let mut store = RegistryStore::load(dir.path())?;
    assert_eq!(store.curated().len(), 14);
    assert!(!store.has_pending_edits());
    store.save()?;
    assert_eq!(read(dir.path(), CURATED_FILE)?, compact);
    assert_snapshot_is_merge(dir.path())?;
    Ok(())
}

#[test]
fn setting_display_name_changes_one_curated_line() -> TestResult {
    let dir = sample_copy()?;
    let mut store = RegistryStore::load(dir.path())?;
    let cmd = RegistryCommand::SetField {
        name: BOTH.into(),
        path: "display_name".into(),
        value: json!("Florence 2 (large)"),
    };
    assert_eq!(
        EditHistory::new().apply(&mut store, &cmd)?,
        EditOutcome::Changed
    );
    let report = store.save()?;
    assert_eq!(
        report.written,
        vec![
            dir.path().join(CURATED_FILE),
            dir.path().join(SNAPSHOT_FILE)
        ]
    );
    let old = read(Path::new(SAMPLE), CURATED_FILE)?;
    let new = read(dir.path(), CURATED_FILE)?;
    let changed: Vec<(&str, &str)> = old
        .lines()
        .zip(new.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(old.lines().count(), new.lines().count());
    assert_eq!(
        changed,
        vec![(
            "    \"display_name\": \"Florence-2 Large (FP16)\",",
            "    \"display_name\": \"Florence 2 (large)\","
        )]
    );
    assert_eq!(
        read(dir.path(), DISCOVERED_FILE)?,
        read(Path::new(SAMPLE), DISCOVERED_FILE)?
    );
    assert_snapshot_is_merge(dir.path())?;
    let reloaded = RegistryStore::load(dir.path())?;
    let shown = reloaded
        .merged()
        .get(BOTH)
        .and_then(|e| e.view().display_name());
    assert_eq!(shown, Some("Florence 2 (large)"));
    Ok(())
}

#[test]
fn setting_the_current_value_is_a_no_op() -> TestResult {
    let dir = sample_copy()?;
    let mut store = RegistryStore::load(dir.path())?;
    let cmd = RegistryCommand::SetField {
        name: BOTH.into(),
        path: "backend_config.port".into(),
        value: json!(24002),
    };
    assert_eq!(
        EditHistory::new().apply(&mut store, &cmd)?,
        EditOutcome::Unchanged
    );
    assert!(!store.has_pending_edits());
    assert!(store.save()?.written.is_empty());
    Ok(())
}

#[test]
fn discovered_only_edit_creates_a_minimal_overlay() -> TestResult {
    let dir = sample_copy()?;
    let mut store = RegistryStore::load(dir.path())?;
    let cmd = RegistryCommand::SetField {
        name: DISCOVERED_ONLY.into(),
        path: "backend_config.port".into(),
        value: json!(24005),
    };
    EditHistory::new().apply(&mut store, &cmd)?;
    let overlay = store.curated().iter().last().ok_or("no overlay")?;
    assert_eq!(
        overlay,
        &json!({"name": DISCOVERED_ONLY, "backend_config": {"port": 24005}})
    );
    let merged = store.merged().get(DISCOVERED_ONLY).ok_or("missing")?;
    assert_eq!(merged.view().port(), Some(24005));
    assert_eq!(merged.layer, EntryLayer::Both);
    // The rest of backend_config still comes from discovered.
    let whole = store.value(DISCOVERED_ONLY).ok_or("missing")?;
    assert!(whole["backend_config"]["model_path"].is_string());
    store.save()?;
    assert_snapshot_is_merge(dir.path())?;
    Ok(())
}

#[test]
fn edits_keep_key_order_and_append_new_keys() -> TestResult {
    let dir = sample_copy()?;
    let mut store = RegistryStore::load(dir.path())?;
    let keys = |s: &RegistryStore| -> Vec<String> {
        s.curated()
            .iter()
            .find(|e| name_of(e) == BOTH)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let before = keys(&store);
    let mut history = EditHistory::new();
    history.apply(
        &mut store,
        &RegistryCommand::SetField {
            name: BOTH.into(),
            path: "backend".into(),
            value: json!("lmdeploy"),
        },
    )?;
    assert_eq!(keys(&store), before);
    history.apply(
        &mut store,
        &RegistryCommand::SetField {
            name: BOTH.into(),
            path: "notes".into(),
            value: json!("x"),
        },
    )?;
    let after = keys(&store);
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(after.last().map(String::as_str), Some("notes"));
    Ok(())
}

/// Apply, check, undo (curated back to the original), redo (same result again).
fn check_undo_redo(cmd: RegistryCommand, check: impl Fn(&RegistryStore) -> bool) -> TestResult {
    let dir = sample_copy()?;
    let mut store = RegistryStore::load(dir.path())?;
    let original = curated(&store);
    let mut history = EditHistory::new();
    assert_eq!(
        history.apply(&mut store, &cmd)?,
        EditOutcome::Changed,
        "{cmd:?}"
    );
    assert!(check(&store), "after {cmd:?}");
    let edited = curated(&store);
    assert_eq!(history.undo_label(), Some(cmd.label().as_str()));
    assert!(history.undo(&mut store));
    assert_eq!(history.redo_label(), Some(cmd.label().as_str()));
    assert_eq!(curated(&store), original, "undo {cmd:?}");
    assert!(!store.has_pending_edits());
    assert!(history.redo(&mut store));
    assert_eq!(curated(&store), edited, "redo {cmd:?}");
    assert!(!history.can_redo());
    // What was applied survives a save and a reload.
    store.save()?;
    assert_snapshot_is_merge(dir.path())?;
    assert!(check(&RegistryStore::load(dir.path())?), "reloaded {cmd:?}");
    assert_eq!(
        read(dir.path(), DISCOVERED_FILE)?,
        read(Path::new(SAMPLE), DISCOVERED_FILE)?
    );
    Ok(())
}

fn curated_names(s: &RegistryStore) -> Vec<&str> {
    s.curated().iter().map(name_of).collect()
}

#[test]
fn new_entry_with_undo_redo() -> TestResult {
    let entry = json!({"name": "new-model", "backend": "vllm", "temperature": 1e-5});
    check_undo_redo(RegistryCommand::NewEntry { entry }, |s| {
        s.merged()
            .get("new-model")
            .map(|e| (e.layer, s.value(e.name())))
            .map(|(l, v)| (l, v.map(|v| v["temperature"].to_string())))
            == Some((EntryLayer::CuratedOnly, Some("1e-05".into())))
    })
}

#[test]
fn duplicate_with_undo_redo() -> TestResult {
    let cmd = RegistryCommand::Duplicate {
        name: DISCOVERED_ONLY.into(),
        new_name: "siglip-copy".into(),
    };
    check_undo_redo(cmd, |s| {
        let copy = s.curated().iter().find(|e| name_of(e) == "siglip-copy");
        copy.is_some_and(|c| c.get("download_path").is_none() && c.get("backend").is_some())
    })
}

#[test]
fn delete_with_undo_redo() -> TestResult {
    let name = "qwen3_8b_(Q4_K_M)";
    check_undo_redo(RegistryCommand::Delete { name: name.into() }, |s| {
        !curated_names(s).contains(&name)
            && s.merged().get(name).map(|e| e.layer) == Some(EntryLayer::DiscoveredOnly)
    })
}

#[test]
fn deprecate_discovered_only_with_undo_redo() -> TestResult {
    check_undo_redo(
        RegistryCommand::Deprecate {
            name: DISCOVERED_ONLY.into(),
        },
        |s| {
            s.curated().iter().last() == Some(&json!({"name": DISCOVERED_ONLY, "deprecated": true}))
                && s.merged()
                    .get(DISCOVERED_ONLY)
                    .is_some_and(|e| e.view().deprecated())
        },
    )
}

#[test]
fn promote_with_undo_redo() -> TestResult {
    let name = "gpt-oss-abliterated_20b_(F16)";
    check_undo_redo(RegistryCommand::Promote { name: name.into() }, |s| {
        let Some(c) = s.curated().iter().find(|e| name_of(e) == name) else {
            return false;
        };
        let dynamic = RegistryEntry::new(c).dynamic_fields();
        let dis = s.discovered().iter().find(|e| name_of(e) == name);
        dynamic.is_empty()
            && c["metadata"]["registry_layer"] == json!("curated")
            && c.get("performance").is_some() // the empty seeded value stays
            && dis.is_some_and(|d| d.get("downloaded_at").is_some())
    })
}

#[test]
fn remove_field_with_undo_redo() -> TestResult {
    check_undo_redo(
        RegistryCommand::RemoveField {
            name: BOTH.into(),
            path: "display_name".into(),
        },
        |s| {
            let cur = s.curated().iter().find(|e| name_of(e) == BOTH);
            let merged = s.merged().get(BOTH);
            cur.is_some_and(|c| c.get("display_name").is_none())
                && merged.is_some_and(|m| m.view().display_name().is_some())
        },
    )
}

#[test]
fn refused_actions_explain_why() -> TestResult {
    let dir = sample_copy()?;
    let mut store = RegistryStore::load(dir.path())?;
    let mut h = EditHistory::new();
    let err = h.apply(
        &mut store,
        &RegistryCommand::Delete {
            name: DISCOVERED_ONLY.into(),
        },
    );
    assert!(matches!(err, Err(EditError::NotCurated { .. })), "{err:?}");
    let err = h.apply(&mut store, &RegistryCommand::Promote { name: BOTH.into() });
    assert!(
        matches!(err, Err(EditError::AlreadyCurated { .. })),
        "{err:?}"
    );
    let err = h.apply(
        &mut store,
        &RegistryCommand::Duplicate {
            name: BOTH.into(),
            new_name: DISCOVERED_ONLY.into(),
        },
    );
    assert!(matches!(err, Err(EditError::NameTaken { .. })), "{err:?}");
    let err = h.apply(
        &mut store,
        &RegistryCommand::SetField {
            name: "nope".into(),
            path: "x".into(),
            value: json!(1),
        },
    );
    assert!(
        matches!(err, Err(EditError::UnknownEntry { .. })),
        "{err:?}"
    );
    let err = h.apply(
        &mut store,
        &RegistryCommand::SetField {
            name: BOTH.into(),
            path: "display_name.x".into(),
            value: json!(1),
        },
    );
    let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains(BOTH) && msg.contains("display_name.x"),
        "{msg}"
    );
    assert!(!h.can_undo());
    assert!(!store.has_pending_edits());
    Ok(())
}

#[test]
fn discovered_rewritten_on_disk_loses_nothing() -> TestResult {
    let dir = sample_copy()?;
    let mut store = RegistryStore::load(dir.path())?;
    EditHistory::new().apply(
        &mut store,
        &RegistryCommand::SetField {
            name: BOTH.into(),
            path: "display_name".into(),
            value: json!("Edited"),
        },
    )?;
    // ImageWorks' scan rewrites discovered (new entry, changed dynamic field) meanwhile.
    let mut dis = entries(dir.path(), DISCOVERED_FILE)?;
    dis.push(json!({"name": "fresh-download", "backend": "ollama", "served_model_id": "fresh:1b"}));
    if let Some(e) = dis.iter_mut().find(|e| name_of(e) == BOTH) {
        e["last_accessed"] = json!("2030-01-01T00:00:00");
    }
    let scan_text = to_python_json(&Value::Array(dis));
    fs::write(dir.path().join(DISCOVERED_FILE), &scan_text)?;
    let report = store.save()?;
    assert!(report.discovered_reloaded);
    assert_eq!(
        read(dir.path(), DISCOVERED_FILE)?,
        scan_text,
        "discovered is never overwritten"
    );
    let reloaded = RegistryStore::load(dir.path())?;
    let entry = reloaded.merged().get(BOTH).ok_or("missing")?;
    assert_eq!(entry.view().display_name(), Some("Edited"));
    let whole = reloaded.value(BOTH).ok_or("missing")?;
    assert_eq!(whole["last_accessed"], json!("2030-01-01T00:00:00"));
    assert!(reloaded.merged().get("fresh-download").is_some());
    assert_snapshot_is_merge(dir.path())?;
    Ok(())
}

#[test]
fn curated_changed_on_disk_is_refused() -> TestResult {
    let dir = sample_copy()?;
    let mut store = RegistryStore::load(dir.path())?;
    EditHistory::new().apply(
        &mut store,
        &RegistryCommand::Deprecate { name: BOTH.into() },
    )?;
    let theirs = read(dir.path(), CURATED_FILE)?.replacen("Florence-2 Large (FP16)", "theirs", 1);
    assert_ne!(
        theirs,
        read(dir.path(), CURATED_FILE)?,
        "the test must change the file"
    );
    fs::write(dir.path().join(CURATED_FILE), &theirs)?;
    let before = mtimes(dir.path())?;
    let err = store.save().err().ok_or("expected a refusal")?;
    assert!(
        matches!(err, RegistryError::CuratedConflict { .. }),
        "{err}"
    );
    assert!(err.to_string().contains(CURATED_FILE), "{err}");
    assert_eq!(read(dir.path(), CURATED_FILE)?, theirs);
    assert_eq!(mtimes(dir.path())?, before, "nothing written");
    Ok(())
}

#[test]
fn missing_layers_are_empty_and_malformed_files_are_located() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::copy(
        Path::new(SAMPLE).join(CURATED_FILE),
        dir.path().join(CURATED_FILE),
    )?;
    let store = RegistryStore::load(dir.path())?;
    assert!(store.discovered().iter().next().is_none());
    assert_eq!(store.merged().entries.len(), 14);
    fs::write(
        dir.path().join(DISCOVERED_FILE),
        "[\n  {\"name\": \"x\",,}\n]\n",
    )?;
    let err = RegistryStore::load(dir.path())
        .err()
        .ok_or("expected an error")?;
    let msg = err.to_string();
    assert!(
        msg.contains(DISCOVERED_FILE) && msg.contains("line 2, column 16"),
        "{msg}"
    );
    fs::write(dir.path().join(DISCOVERED_FILE), "[]")?;
    // A snapshot that does not parse is no load error (ImageWorks ignores
    // and rewrites it): the store says where it is wrong.
    fs::write(dir.path().join(SNAPSHOT_FILE), "[\n  {\"name\": tru}\n]\n")?;
    let store = RegistryStore::load(dir.path())?;
    let msg = store.snapshot_problem().unwrap_or_default();
    assert!(
        msg.contains("line 2, column 15") && !msg.contains(" at line"),
        "{msg}"
    );
    fs::remove_file(dir.path().join(SNAPSHOT_FILE))?;
    fs::write(dir.path().join(DISCOVERED_FILE), "[1]")?;
    let msg = RegistryStore::load(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        msg.contains(DISCOVERED_FILE) && msg.contains("entry 0"),
        "{msg}"
    );
    Ok(())
}

#[test]
fn saving_creates_a_missing_snapshot() -> TestResult {
    let dir = sample_copy()?;
    fs::remove_file(dir.path().join(SNAPSHOT_FILE))?;
    let report = RegistryStore::load(dir.path())?.save()?;
    assert_eq!(report.written, vec![dir.path().join(SNAPSHOT_FILE)]);
    assert_eq!(
        read(dir.path(), SNAPSHOT_FILE)?,
        read(Path::new(SAMPLE), SNAPSHOT_FILE)?
    );
    Ok(())
}

#[test]
fn registry_dir_resolution_order() -> TestResult {
    let root = tempfile::tempdir()?;
    let toml = root.path().join("chat_proxy.toml");
    let explicit = PathBuf::from("/explicit");
    let env = Some("/from-env".into());
    assert_eq!(
        resolve_dir_with_env(Some(&explicit), env.clone(), Some(&toml)),
        Some(explicit)
    );
    assert_eq!(
        resolve_dir_with_env(None, env, Some(&toml)),
        Some(PathBuf::from("/from-env"))
    );
    assert_eq!(resolve_dir_with_env(None, None, Some(&toml)), None);
    fs::write(root.path().join(SNAPSHOT_FILE), "[]")?;
    assert_eq!(
        resolve_dir_with_env(None, None, Some(&toml)),
        Some(root.path().to_path_buf())
    );
    fs::create_dir(root.path().join("configs"))?;
    assert_eq!(
        resolve_dir_with_env(None, None, Some(&toml)),
        Some(root.path().join("configs"))
    );
    assert_eq!(resolve_dir_with_env(None, Some("".into()), None), None);
    Ok(())
}

#[test]
fn filter_matches_words_backend_and_layer() -> TestResult {
    let store = RegistryStore::load(Path::new(SAMPLE))?;
    let names = |f: &Filter| -> Vec<&str> {
        filter_entries(store.merged(), f)
            .into_iter()
            .map(|i| store.merged().entries[i].name())
            .collect()
    };
    let fp8 = names(&Filter {
        text: "QWEN3 fp8".into(),
        ..Filter::default()
    });
    assert_eq!(
        fp8,
        [
            "huihui-qwen3-vl-8b-instruct-abliterated_(FP8)",
            "qwen3-vl-8b-instruct-abliterated_(FP8)",
            "qwen3-vl-8b-instruct_(FP8)"
        ]
    );
    let ollama = names(&Filter {
        backend: Some("ollama".into()),
        ..Filter::default()
    });
    assert_eq!(ollama.len(), 9);
    let only = names(&Filter {
        layer: Some(EntryLayer::DiscoveredOnly),
        ..Filter::default()
    });
    assert_eq!(only, ["gpt-oss-abliterated_20b_(F16)", DISCOVERED_ONLY]);
    assert_eq!(names(&Filter::default()).len(), 16);
    Ok(())
}

// ---- validation: the shipped registry, then one test per rule ----

#[test]
fn shipped_registry_has_no_errors() -> TestResult {
    let store = RegistryStore::load(Path::new(SAMPLE))?;
    let findings = validate(&store);
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // Six vLLM entries carry the text "None" as served_model_id.
    let served = findings
        .iter()
        .filter(|f| f.field == "served_model_id")
        .count();
    assert_eq!(served, 6, "{findings:#?}");
    Ok(())
}

fn views(values: &[Value]) -> Vec<RegistryEntry<'_>> {
    values.iter().map(RegistryEntry::new).collect()
}

#[test]
fn rule_duplicate_names() {
    let layer = vec![
        json!({"name": "a"}),
        json!({"name": "b"}),
        json!({"name": "a"}),
    ];
    let f = rules::duplicate_names("curated", &layer);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].entry.as_str(), f[0].severity), ("a", Severity::Error));
}

#[test]
fn rule_port_conflicts() {
    let v = vec![
        json!({"name": "o1", "backend": "ollama", "backend_config": {"port": 11434}}),
        json!({"name": "o2", "backend": "ollama", "backend_config": {"port": 11434, "host": "localhost"}}),
        json!({"name": "v1", "backend": "vllm", "backend_config": {"port": 24001}}),
        json!({"name": "v2", "backend": "vllm", "backend_config": {"port": 24001}}),
        json!({"name": "l1", "backend": "lmdeploy", "backend_config": {"port": 24001, "host": "localhost"}}),
        json!({"name": "l2", "backend": "lmdeploy", "backend_config": {"port": 24001, "host": "gpu-box"}}),
        json!({"name": "d", "backend": "lmdeploy", "deprecated": true, "backend_config": {"port": 11434}}),
        json!({"name": "n", "backend": "vllm", "backend_config": {}}),
    ];
    let f = rules::port_conflicts(&views(&v));
    let flagged: Vec<_> = f
        .iter()
        .map(|f| (f.entry.as_str(), f.field.as_str()))
        .collect();
    assert_eq!(flagged, [("l1", "backend_config.port")]);
}

#[test]
fn rule_alias_conflicts() {
    let v = vec![
        json!({"name": "a", "model_aliases": ["shared", "b"]}),
        json!({"name": "b", "model_aliases": ["shared", "own"]}),
    ];
    let f = rules::alias_conflicts(&views(&v));
    let msgs: Vec<_> = f
        .iter()
        .map(|f| (f.entry.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(
        msgs,
        [
            ("a", "alias \"b\" is the name of another entry"),
            ("b", "alias \"shared\" also names a"),
        ]
    );
}

#[test]
fn rule_missing_served_model_id() {
    let v = vec![
        json!({"name": "o", "backend": "ollama", "served_model_id": null}),
        json!({"name": "v", "backend": "vllm"}),
        json!({"name": "ok", "backend": "vllm", "served_model_id": "m"}),
        json!({"name": "u", "backend": "unassigned"}),
        json!({"name": "py-none", "backend": "vllm", "served_model_id": "None"}),
    ];
    let f = rules::missing_served_ids(&views(&v));
    let got: Vec<_> = f.iter().map(|f| (f.entry.as_str(), f.severity)).collect();
    assert_eq!(
        got,
        [
            ("o", Severity::Error),
            ("v", Severity::Warning),
            ("py-none", Severity::Warning)
        ]
    );
    assert!(f[2].message.contains("Python None"), "{}", f[2].message);
}

#[test]
fn rule_unknown_backend() {
    let v = vec![
        json!({"name": "a", "backend": "vllm"}),
        json!({"name": "b", "backend": "tgi"}),
        json!({"name": "c"}),
    ];
    let f = rules::unknown_backends(&views(&v));
    let got: Vec<_> = f.iter().map(|f| f.entry.as_str()).collect();
    assert_eq!(got, ["b", "c"]);
}

#[test]
fn rule_missing_chat_template() -> TestResult {
    let root = tempfile::tempdir()?;
    let registry = root.path().join("configs");
    fs::create_dir(&registry)?;
    fs::write(root.path().join("here.jinja"), "{{ x }}")?;
    let v = vec![
        json!({"name": "rel-ok", "chat_template": {"path": "here.jinja"}}),
        json!({"name": "missing", "chat_template": {"path": "gone.jinja"}}),
        json!({"name": "unset", "chat_template": {"path": null}}),
    ];
    let f = rules::missing_chat_templates(&views(&v), &registry);
    let got: Vec<_> = f
        .iter()
        .map(|f| (f.entry.as_str(), f.field.as_str(), f.severity))
        .collect();
    assert_eq!(got, [("missing", "chat_template.path", Severity::Warning)]);
    Ok(())
}

#[test]
fn rule_dynamic_fields_in_curated() {
    let v = vec![
        json!({"name": "a", "downloaded_at": "t", "performance": {"rolling_samples": 3}}),
        json!({"name": "b"}),
    ];
    let f = rules::dynamic_fields_in_curated(&v);
    let got: Vec<_> = f
        .iter()
        .map(|f| (f.entry.as_str(), f.field.as_str()))
        .collect();
    assert_eq!(got, [("a", "downloaded_at"), ("a", "performance")]);
}

#[test]
fn validate_parts_runs_every_rule() {
    let cur = vec![
        json!({"name": "a", "backend": "tgi", "download_path": "/x"}),
        json!({"name": "a"}),
    ];
    let merged = merge_layers(&cur, &[][..], &[]);
    let f = validate_parts(&cur, &[][..], &merged, Path::new("/nonexistent/configs"));
    let fields: Vec<_> = f.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["name", "backend", "download_path"]);
}

#[test]
fn snapshot_only_entries_are_adopted_and_kept() -> TestResult {
    let dir = sample_copy()?;
    let mut snap = entries(dir.path(), SNAPSHOT_FILE)?;
    snap.push(json!({"name": "legacy", "backend": "ollama", "served_model_id": "legacy:1"}));
    fs::write(
        dir.path().join(SNAPSHOT_FILE),
        to_python_json(&Value::Array(snap)),
    )?;
    let mut store = RegistryStore::load(dir.path())?;
    assert_eq!(store.snapshot_only().len(), 1);
    let legacy = store.merged().get("legacy").ok_or("not adopted")?;
    assert_eq!(legacy.layer, EntryLayer::SnapshotOnly);
    let prov = store.provenance("legacy").ok_or("no provenance")?;
    assert!(prov.iter().all(|(_, s)| *s == FieldSource::SnapshotOnly));
    EditHistory::new().apply(
        &mut store,
        &RegistryCommand::Deprecate { name: BOTH.into() },
    )?;
    store.save()?;
    let reloaded = RegistryStore::load(dir.path())?;
    assert!(
        reloaded.merged().get("legacy").is_some(),
        "kept in the regenerated snapshot"
    );
    Ok(())
}
