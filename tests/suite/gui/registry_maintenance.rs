//! Registry maintenance (remove, purge-deprecated, prune-duplicates,
//! promote, normalize), each from the CLI (a dry run writes nothing; a real
//! run writes only the files it must, the rest of each file byte-exact) and
//! from the Registry page (preview, Apply, one undo step); and saves that are
//! one transaction.

use crate::support::registry_run;

use crate::support::app as common;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use iw_studio::cli::{OutputFormat, exit};
use iw_studio::core::registry::store::{CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE};
use iw_studio::core::registry::{
    FindingFix, RegistryCommand, RegistryStore, apply_command, validate_loaded,
};
use iw_studio::core::safe_save::transaction::Steps;
use iw_studio::ui::StudioApp;
use registry_run::{FILES, TestResult, dir_arg, run, sample_copy, snapshot_of};
use serde_json::Value;

fn read(dir: &Path, file: &str) -> Result<String, io::Error> {
    fs::read_to_string(dir.join(file))
}

fn names_in(dir: &Path, file: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let list: Vec<Value> = serde_json::from_str(&read(dir, file)?)?;
    Ok(list
        .iter()
        .filter_map(|e| e["name"].as_str().map(str::to_owned))
        .collect())
}

/// The text of the entry named `name` in a file in ImageWorks' layout,
/// with the separator before it: what removing exactly that entry takes out.
fn entry_block(text: &str, name: &str) -> Option<String> {
    let start = text.find(&format!("  {{\n    \"name\": \"{name}\""))?;
    let end = start + text[start..].find("\n  }")? + 4;
    // Not the first entry: the `,\n` before it goes too.
    Some(text[start - 2..end].to_owned())
}

/// `--dry-run` prints a diff for each file it names and writes nothing.
fn dry_run_writes_nothing(dir: &Path, args: &[&str], files: &[&str]) -> TestResult {
    let before = snapshot_of(dir)?;
    let mut with_flag = args.to_vec();
    with_flag.push("--dry-run");
    let r = run(&with_flag, OutputFormat::Human)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    for file in files {
        assert!(
            r.out.contains(&format!("--- {file} (now)")),
            "{file}: {}",
            r.out
        );
    }
    assert!(r.out.ends_with("dry run: nothing written\n"), "{}", r.out);
    assert_eq!(snapshot_of(dir)?, before, "a dry run writes nothing");
    Ok(())
}

/// Which of the three files a run changed (bytes).
fn changed_files(dir: &Path, before: &[(Vec<u8>, std::time::SystemTime)]) -> Vec<&'static str> {
    FILES
        .iter()
        .zip(before)
        .filter(|(f, (bytes, _))| fs::read(dir.join(f)).ok().as_ref() != Some(bytes))
        .map(|(f, _)| *f)
        .collect()
}

#[test]
fn remove_a_discovered_only_model_takes_out_exactly_its_entry() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    let name = "gpt-oss-abliterated_20b_(F16)";
    dry_run_writes_nothing(
        dir.path(),
        &["remove", &d, name],
        &[DISCOVERED_FILE, SNAPSHOT_FILE],
    )?;
    let before = snapshot_of(dir.path())?;
    let (old_discovered, old_snapshot) = (
        read(dir.path(), DISCOVERED_FILE)?,
        read(dir.path(), SNAPSHOT_FILE)?,
    );
    let r = run(&["remove", &d, name], OutputFormat::Human)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    assert_eq!(
        changed_files(dir.path(), &before),
        [DISCOVERED_FILE, SNAPSHOT_FILE]
    );
    assert_eq!(
        before[0].1,
        fs::metadata(dir.path().join(CURATED_FILE))?.modified()?
    );
    for (old, file) in [
        (old_discovered, DISCOVERED_FILE),
        (old_snapshot, SNAPSHOT_FILE),
    ] {
        let block = entry_block(&old, name).ok_or("the entry is in the file")?;
        assert_eq!(
            read(dir.path(), file)?,
            old.replacen(&block, "", 1),
            "{file}"
        );
    }
    Ok(())
}

#[test]
fn remove_a_curated_model_keeps_crlf_and_bom_of_its_layers() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    // A discovered layer saved on Windows: BOM and CRLF.
    let windows = format!(
        "\u{feff}{}",
        read(dir.path(), DISCOVERED_FILE)?.replace('\n', "\r\n")
    );
    fs::write(dir.path().join(DISCOVERED_FILE), &windows)?;
    let name = "florence-2-large_(FP16)";
    let before = snapshot_of(dir.path())?;
    let old_curated = read(dir.path(), CURATED_FILE)?;
    let r = run(&["remove", &d, name], OutputFormat::Json)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    let report: Value = serde_json::from_str(&r.out)?;
    assert_eq!(report["written"].as_array().map(Vec::len), Some(3));
    assert_eq!(changed_files(dir.path(), &before).len(), 3);
    for file in FILES {
        assert!(
            !names_in(dir.path(), file)
                .unwrap_or_default()
                .contains(&name.to_owned()),
            "{file}"
        );
    }
    let block = entry_block(&old_curated, name).ok_or("in curated")?;
    assert_eq!(
        read(dir.path(), CURATED_FILE)?,
        old_curated.replacen(&block, "", 1)
    );
    let discovered = read(dir.path(), DISCOVERED_FILE)?;
    let plain = windows.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let block = entry_block(&plain, name).ok_or("in discovered")?;
    let expected = format!(
        "\u{feff}{}",
        plain.replacen(&block, "", 1).replace('\n', "\r\n")
    );
    assert_eq!(
        discovered, expected,
        "BOM and CRLF kept, only the entry gone"
    );
    // Model files are not the registry's: nothing else in the folder changed.
    let others: Vec<PathBuf> = fs::read_dir(dir.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.to_string_lossy().ends_with(".json") && !p.to_string_lossy().ends_with(".bak")
        })
        .collect();
    assert!(others.is_empty(), "{others:?}");
    let unknown = run(&["remove", &d, "no-such-model"], OutputFormat::Human)?;
    assert_eq!(unknown.code, exit::FINDINGS);
    assert!(
        unknown.err.contains("no-such-model: no such entry"),
        "{}",
        unknown.err
    );
    Ok(())
}

#[test]
fn remove_an_entry_only_the_snapshot_has_writes_only_the_snapshot() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    let mut snapshot: Vec<Value> = serde_json::from_str(&read(dir.path(), SNAPSHOT_FILE)?)?;
    let mut extra = snapshot[0].clone();
    extra["name"] = "only-in-the-snapshot".into();
    snapshot.push(extra);
    let text = iw_studio::core::registry::json_text::to_python_json(&Value::Array(snapshot));
    fs::write(dir.path().join(SNAPSHOT_FILE), &text)?;
    // Undoing the removal is no edit any more.
    let mut store = RegistryStore::load(dir.path())?;
    let action = iw_studio::core::registry::maintenance::MaintenanceAction::Remove {
        names: vec!["only-in-the-snapshot".into()],
    };
    let plan = iw_studio::core::registry::maintenance::plan(&store, &action)?;
    assert_eq!(
        plan.changes,
        ["remove only-in-the-snapshot from the snapshot"]
    );
    let before = iw_studio::core::registry::maintenance::apply(&mut store, &plan);
    assert!(store.has_pending_edits());
    store.set_layers(before);
    assert!(!store.has_pending_edits());
    let files = snapshot_of(dir.path())?;
    let r = run(&["remove", &d, "only-in-the-snapshot"], OutputFormat::Human)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    assert_eq!(changed_files(dir.path(), &files), [SNAPSHOT_FILE]);
    let block = entry_block(&text, "only-in-the-snapshot").ok_or("in the snapshot")?;
    assert_eq!(
        read(dir.path(), SNAPSHOT_FILE)?,
        text.replacen(&block, "", 1)
    );
    Ok(())
}

#[test]
fn purge_deprecated_removes_every_deprecated_model() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    for name in ["florence-2-large_(FP16)", "qwen3_8b_(Q4_K_M)"] {
        let r = run(
            &["set", &d, name, "deprecated", "true"],
            OutputFormat::Human,
        )?;
        assert_eq!(r.code, exit::OK, "{}", r.err);
    }
    dry_run_writes_nothing(
        dir.path(),
        &["purge-deprecated", &d],
        &[CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE],
    )?;
    let r = run(&["purge-deprecated", &d], OutputFormat::Human)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    assert!(
        r.out
            .contains("remove florence-2-large_(FP16) from curated and discovered (deprecated)"),
        "{}",
        r.out
    );
    for file in FILES {
        let names = names_in(dir.path(), file)?;
        assert!(
            !names
                .iter()
                .any(|n| n == "florence-2-large_(FP16)" || n == "qwen3_8b_(Q4_K_M)"),
            "{file}"
        );
    }
    assert_eq!(names_in(dir.path(), SNAPSHOT_FILE)?.len(), 14);
    let again = run(&["purge-deprecated", &d], OutputFormat::Human)?;
    assert!(
        again.out.ends_with("nothing to do; nothing written\n"),
        "{}",
        again.out
    );
    Ok(())
}

#[test]
fn prune_duplicates_keeps_the_curated_one_with_roles() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    dry_run_writes_nothing(
        dir.path(),
        &["prune-duplicates", &d],
        &[CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE],
    )?;
    let r = run(&["prune-duplicates", &d], OutputFormat::Json)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    // By hand from the sample: four pairs of Ollama entries share a model
    // path and a served_model_id; each pair keeps its first entry, except
    // the qwen2.5vl pair, whose second entry has the roles.
    let gone = [
        "gemma3_27.0b_(Q3_K_M)",
        "llama_8.0b_(Q5_K_M)",
        "qwen2.5vl_7b_(Q4_K_M)",
        "qwen3_8b_(Q4_K_M)",
    ];
    let report: Value = serde_json::from_str(&r.out)?;
    let changes: Vec<&str> = report["changes"]
        .as_array()
        .map(|c| c.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(changes.len(), 4, "{changes:?}");
    for (change, name) in changes.iter().zip(gone) {
        assert!(
            change.starts_with(&format!(
                "remove {name} from curated and discovered (duplicate of "
            )),
            "{change}"
        );
    }
    for file in FILES {
        let names = names_in(dir.path(), file)?;
        assert!(
            gone.iter().all(|g| !names.iter().any(|n| n == g)),
            "{file}: {names:?}"
        );
        assert!(names.iter().any(|n| n == "qwen25vl_8.3b_(Q4_K_M)"));
    }
    Ok(())
}

#[test]
fn promote_several_discovered_entries_writes_curated_and_snapshot_only() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    let names = [
        "gpt-oss-abliterated_20b_(F16)",
        "siglip-large-patch16-384_(FP32)",
    ];
    dry_run_writes_nothing(
        dir.path(),
        &["promote", &d, names[0], names[1]],
        &[CURATED_FILE],
    )?;
    let before = snapshot_of(dir.path())?;
    let old_curated = read(dir.path(), CURATED_FILE)?;
    let r = run(&["promote", &d, names[0], names[1]], OutputFormat::Human)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    let changed = changed_files(dir.path(), &before);
    assert!(!changed.contains(&DISCOVERED_FILE), "{changed:?}");
    assert_eq!(
        before[1].1,
        fs::metadata(dir.path().join(DISCOVERED_FILE))?.modified()?
    );
    let curated = read(dir.path(), CURATED_FILE)?;
    // The old entries are untouched: the file grew at its end.
    assert!(
        curated.starts_with(old_curated.trim_end_matches("\n]\n")),
        "appended"
    );
    let list: Vec<Value> = serde_json::from_str(&curated)?;
    let promoted: Vec<&Value> = list.iter().rev().take(2).collect();
    assert_eq!(promoted[1]["name"], names[0]);
    assert_eq!(promoted[0]["name"], names[1]);
    for entry in promoted {
        for dynamic in [
            "download_path",
            "downloaded_at",
            "artifacts",
            "version_lock",
        ] {
            assert!(
                entry.get(dynamic).is_none(),
                "{dynamic} stays in discovered"
            );
        }
    }
    let refused = run(
        &["promote", &d, "florence-2-large_(FP16)"],
        OutputFormat::Human,
    )?;
    assert_eq!(refused.code, exit::FINDINGS);
    assert!(refused.err.contains("already curated"), "{}", refused.err);
    Ok(())
}

#[test]
fn normalize_turns_the_text_none_into_null_where_the_meaning_stays() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    // A curated "None" over a real discovered id: null would let the
    // discovered id through, so that one is left alone.
    let r = run(
        &["set", &d, "qwen3_8b_(Q4_K_M)", "served_model_id", "None"],
        OutputFormat::Human,
    )?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    dry_run_writes_nothing(
        dir.path(),
        &["normalize", &d],
        &[CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE],
    )?;
    let old_discovered = read(dir.path(), DISCOVERED_FILE)?;
    let r = run(&["normalize", &d], OutputFormat::Human)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    assert!(
        r.out
            .contains("kept: qwen3_8b_(Q4_K_M): curated not normalized"),
        "{}",
        r.out
    );
    // Five vLLM entries have "None" in both layers, siglip in discovered only.
    let curated = read(dir.path(), CURATED_FILE)?;
    assert_eq!(
        curated.matches("\"served_model_id\": \"None\"").count(),
        1,
        "the kept one"
    );
    assert_eq!(curated.matches("\"served_model_id\": null").count(), 5);
    let discovered = read(dir.path(), DISCOVERED_FILE)?;
    assert_eq!(
        discovered.matches("\"served_model_id\": \"None\"").count(),
        0
    );
    assert_eq!(discovered.matches("\"served_model_id\": null").count(), 6);
    // Only those lines changed in the discovered layer.
    assert_eq!(
        discovered,
        old_discovered.replace("\"served_model_id\": \"None\"", "\"served_model_id\": null")
    );
    let again = run(&["normalize", &d], OutputFormat::Human)?;
    assert!(
        again.out.ends_with("nothing to do; nothing written\n"),
        "{}",
        again.out
    );
    Ok(())
}

/// Steps that fail for one file: its temp write, or its replacement.
struct FailFor {
    file: &'static str,
    at_replace: bool,
}

impl Steps for FailFor {
    fn write_temp(&self, target: &Path, file: &mut fs::File, bytes: &[u8]) -> io::Result<()> {
        if !self.at_replace && target.ends_with(self.file) {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "no space left on device",
            ));
        }
        io::Write::write_all(file, bytes)
    }

    fn before_replace(&self, target: &Path) -> io::Result<()> {
        if self.at_replace && target.ends_with(self.file) {
            return Err(io::Error::other("the disk went away"));
        }
        Ok(())
    }
}

fn failed_save_leaves_every_file(steps: &FailFor) -> TestResult {
    let dir = sample_copy()?;
    let before: Vec<Vec<u8>> = snapshot_of(dir.path())?
        .into_iter()
        .map(|(b, _)| b)
        .collect();
    let mut store = RegistryStore::load(dir.path())?;
    let name = "florence-2-large_(FP16)";
    // An edit of both layers (remove) and the snapshot: all three change.
    let action = iw_studio::core::registry::maintenance::MaintenanceAction::Remove {
        names: vec![name.into()],
    };
    let plan = iw_studio::core::registry::maintenance::plan(&store, &action)?;
    iw_studio::core::registry::maintenance::apply(&mut store, &plan);
    let err = store.save_with(steps).err().ok_or("the save must fail")?;
    assert!(err.to_string().contains(SNAPSHOT_FILE), "{err}");
    let after: Vec<Vec<u8>> = snapshot_of(dir.path())?
        .into_iter()
        .map(|(b, _)| b)
        .collect();
    assert!(after == before, "all three files are as they were");
    let temps: Vec<String> = fs::read_dir(dir.path())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "no temporary file left: {temps:?}");
    // The same save through the real disk then writes all three.
    let report = store.save()?;
    assert_eq!(report.written.len(), 3);
    Ok(())
}

#[test]
fn a_failed_snapshot_temp_write_leaves_all_three_files_as_they_were() -> TestResult {
    failed_save_leaves_every_file(&FailFor {
        file: SNAPSHOT_FILE,
        at_replace: false,
    })
}

#[test]
fn a_failure_after_the_first_rename_puts_the_replaced_layers_back() -> TestResult {
    // Curated and discovered are replaced before the snapshot fails.
    failed_save_leaves_every_file(&FailFor {
        file: SNAPSHOT_FILE,
        at_replace: true,
    })
}

#[test]
fn a_stale_snapshot_is_reported_on_load_and_regenerated() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    // What a save that died between the layers left: curated new, snapshot old.
    let mut store = RegistryStore::load(dir.path())?;
    let set = RegistryCommand::SetField {
        name: "florence-2-large_(FP16)".into(),
        path: "display_name".into(),
        value: "Florence (edited)".into(),
    };
    apply_command(&mut store, &set)?;
    store.save()?;
    let snapshot = fs::read(dir.path().join(SNAPSHOT_FILE))?;
    let curated = read(dir.path(), CURATED_FILE)?;
    fs::write(
        dir.path().join(CURATED_FILE),
        curated.replace("Florence (edited)", "Florence (edited twice)"),
    )?;
    let loaded = RegistryStore::load(dir.path())?;
    let stale: Vec<_> = validate_loaded(&loaded)
        .into_iter()
        .filter(|f| f.fix == Some(FindingFix::RegenerateSnapshot))
        .collect();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].field, SNAPSHOT_FILE);
    let check = run(&["check", &d], OutputFormat::Human)?;
    assert!(
        check.out.contains("is not the merge of the two layers")
            && check
                .out
                .contains("(fix: regenerate: iw-studio registry regenerate"),
        "{}",
        check.out
    );
    let before = snapshot_of(dir.path())?;
    let r = run(&["regenerate", &d], OutputFormat::Human)?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    assert_eq!(changed_files(dir.path(), &before), [SNAPSHOT_FILE]);
    assert_ne!(fs::read(dir.path().join(SNAPSHOT_FILE))?, snapshot);
    assert!(read(dir.path(), SNAPSHOT_FILE)?.contains("Florence (edited twice)"));
    let check = run(&["check", &d], OutputFormat::Human)?;
    assert!(!check.out.contains("is not the merge"), "{}", check.out);
    let again = run(&["regenerate", &d], OutputFormat::Human)?;
    assert!(again.out.contains("nothing written"), "{}", again.out);
    Ok(())
}

#[test]
fn set_on_a_name_repeated_in_curated_edits_the_last_copy_the_one_that_counts() -> TestResult {
    let dir = sample_copy()?;
    let d = dir_arg(dir.path())?;
    let name = "gpt-oss-20b_(MXFP4)";
    let mut list: Vec<Value> = serde_json::from_str(&read(dir.path(), CURATED_FILE)?)?;
    let mut copy = list
        .iter()
        .find(|e| e["name"] == name)
        .cloned()
        .ok_or("in curated")?;
    copy["display_name"] = "second copy".into();
    list.push(copy);
    let text = iw_studio::core::registry::json_text::to_python_json(&Value::Array(list));
    fs::write(dir.path().join(CURATED_FILE), &text)?;
    let r = run(
        &["set", &d, name, "display_name", "edited"],
        OutputFormat::Human,
    )?;
    assert_eq!(r.code, exit::OK, "{}", r.err);
    let after: Vec<Value> = serde_json::from_str(&read(dir.path(), CURATED_FILE)?)?;
    let copies: Vec<&Value> = after.iter().filter(|e| e["name"] == name).collect();
    assert_eq!(copies.len(), 2);
    assert_eq!(
        copies[0]["display_name"], "gpt-oss-20b (MXFP4)",
        "the first copy is untouched"
    );
    assert_eq!(
        copies[1]["display_name"], "edited",
        "the last copy, which counts, is edited"
    );
    let show = run(&["show", &d, name], OutputFormat::Json)?;
    let merged: Value = serde_json::from_str(&show.out)?;
    assert_eq!(
        merged["display_name"], "edited",
        "and the edit shows in the merge"
    );
    Ok(())
}

// ---- The Registry page ----

/// A chat_proxy.toml with `registry` (a prepared registry folder) as its `configs/`.
fn workspace(prepare: impl FnOnce(&str)) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = dir.path().join("chat_proxy.toml");
    fs::copy(common::sample("chat_proxy.toml"), &toml).expect("copy the sample");
    let configs = dir.path().join("configs");
    fs::create_dir(&configs).expect("make configs/");
    for f in FILES {
        fs::copy(common::sample("registry").join(f), configs.join(f)).expect("copy a layer");
    }
    prepare(configs.to_str().expect("UTF-8 temp path"));
    (dir, toml, configs)
}

fn open_page(h: &mut Harness<'_, StudioApp>) {
    h.get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Registry")))
        .click();
    h.run_steps(2);
    common::run_until(h, |app| !app.registry().is_busy());
}

/// Open the Maintenance menu, pick `item`, and wait for the preview.
fn preview(h: &mut Harness<'_, StudioApp>, item: &str) {
    h.get_by_label("✨ Maintenance").click();
    h.run();
    h.get_by_label(item).click();
    h.run();
    assert!(
        h.state().registry().preview().is_some(),
        "the preview is open"
    );
}

fn apply(h: &mut Harness<'_, StudioApp>) {
    h.get_by_role_and_label(Role::Button, "✔ Apply").click();
    h.run();
    assert!(
        h.state().registry().preview().is_none(),
        "the preview closed"
    );
}

fn merged_names(h: &Harness<'_, StudioApp>) -> Vec<String> {
    h.state()
        .registry()
        .store()
        .map(|s| {
            s.merged()
                .entries
                .iter()
                .map(|e| e.name().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Undo takes the whole action back in one step; redo makes it again.
fn undo_redo_is_one_step(h: &mut Harness<'_, StudioApp>, before: &[String], after: &[String]) {
    h.get_by_role_and_label(Role::Button, "↩ Undo").click();
    h.run();
    assert_eq!(merged_names(h), before);
    assert!(!h.state().registry().has_unsaved_edits());
    h.get_by_role_and_label(Role::Button, "↪ Redo").click();
    h.run();
    assert_eq!(merged_names(h), after);
}

fn save(h: &mut Harness<'_, StudioApp>) {
    h.get_by_role_and_label(Role::Button, "💾 Save").click();
    h.run_steps(2);
    common::run_until(h, |app| !app.registry().is_busy());
}

#[test]
fn gui_remove_previews_the_diff_applies_undoes_and_saves() {
    let (_dir, toml, configs) = workspace(|_| {});
    let mut h = common::harness(common::app_with(Some(&toml)));
    h.run();
    open_page(&mut h);
    let name = "florence-2-large_(FP16)";
    h.get_all_by_label(name)
        .next()
        .expect("in the table")
        .click();
    h.run();
    let before = merged_names(&h);
    let files_before = snapshot_of(&configs).expect("read");
    preview(&mut h, "Remove the selected entry completely…");
    assert!(h.query_by_label(CURATED_FILE).is_some(), "a diff per layer");
    assert!(h.query_by_label(DISCOVERED_FILE).is_some());
    assert!(
        h.query_by_label(&format!("--- {CURATED_FILE} (now)"))
            .is_some()
    );
    assert_eq!(merged_names(&h), before, "nothing changes before Apply");
    apply(&mut h);
    let after = merged_names(&h);
    assert_eq!(after.len(), 15);
    assert!(!after.iter().any(|n| n == name));
    assert_eq!(
        snapshot_of(&configs).expect("read"),
        files_before,
        "Apply does not write"
    );
    undo_redo_is_one_step(&mut h, &before, &after);
    save(&mut h);
    for f in FILES {
        let text = fs::read_to_string(configs.join(f)).expect("read");
        assert!(!text.contains(name), "{f}");
    }
}

#[test]
fn gui_cancel_changes_nothing_and_purge_deprecated_applies() {
    let (_dir, toml, configs) = workspace(|d| {
        let r = run(
            &["set", d, "qwen3_8b_(Q4_K_M)", "deprecated", "true"],
            OutputFormat::Human,
        )
        .expect("run");
        assert_eq!(r.code, exit::OK, "{}", r.err);
    });
    let mut h = common::harness(common::app_with(Some(&toml)));
    h.run();
    open_page(&mut h);
    let before = merged_names(&h);
    preview(&mut h, "Purge deprecated entries…");
    h.get_by_role_and_label(Role::Button, "Cancel").click();
    h.run();
    assert!(h.state().registry().preview().is_none());
    assert_eq!(merged_names(&h), before);
    preview(&mut h, "Purge deprecated entries…");
    assert!(
        h.query_by_label("• remove qwen3_8b_(Q4_K_M) from curated and discovered (deprecated)")
            .is_some()
    );
    apply(&mut h);
    let after = merged_names(&h);
    assert_eq!(after.len(), 15);
    undo_redo_is_one_step(&mut h, &before, &after);
    save(&mut h);
    assert!(
        !fs::read_to_string(configs.join(SNAPSHOT_FILE))
            .expect("read")
            .contains("qwen3_8b_(Q4_K_M)")
    );
}

#[test]
fn gui_prune_duplicates_applies() {
    let (_dir, toml, _) = workspace(|_| {});
    let mut h = common::harness(common::app_with(Some(&toml)));
    h.run();
    open_page(&mut h);
    let before = merged_names(&h);
    preview(&mut h, "Prune duplicates…");
    apply(&mut h);
    let after = merged_names(&h);
    assert_eq!(after.len(), 12);
    assert!(after.iter().any(|n| n == "qwen25vl_8.3b_(Q4_K_M)"));
    assert!(!after.iter().any(|n| n == "qwen2.5vl_7b_(Q4_K_M)"));
    undo_redo_is_one_step(&mut h, &before, &after);
}

#[test]
fn gui_promote_several_discovered_entries() {
    let (_dir, toml, _) = workspace(|_| {});
    let mut h = common::harness(common::app_with(Some(&toml)));
    h.run();
    open_page(&mut h);
    preview(&mut h, "Promote discovered entries…");
    assert!(
        h.get_by_role_and_label(Role::Button, "✔ Apply")
            .accesskit_node()
            .is_disabled(),
        "nothing chosen yet"
    );
    for name in [
        "gpt-oss-abliterated_20b_(F16)",
        "siglip-large-patch16-384_(FP32)",
    ] {
        h.get_by_role_and_label(Role::CheckBox, name).click();
        h.run();
    }
    apply(&mut h);
    let store = h.state().registry().store().expect("loaded");
    let curated: Vec<&str> = store.curated().names().collect();
    assert_eq!(
        &curated[14..],
        [
            "gpt-oss-abliterated_20b_(F16)",
            "siglip-large-patch16-384_(FP32)"
        ]
    );
    assert_eq!(
        h.state().registry().undo_label(),
        Some("Promote gpt-oss-abliterated_20b_(F16), siglip-large-patch16-384_(FP32)")
    );
    h.get_by_role_and_label(Role::Button, "↩ Undo").click();
    h.run();
    assert_eq!(
        h.state().registry().store().map(|s| s.curated().len()),
        Some(14)
    );
}

#[test]
fn gui_normalize_applies_and_saves_both_layers() {
    let (_dir, toml, configs) = workspace(|_| {});
    let mut h = common::harness(common::app_with(Some(&toml)));
    h.run();
    open_page(&mut h);
    preview(&mut h, "Normalize…");
    apply(&mut h);
    assert!(h.state().registry().has_unsaved_edits());
    save(&mut h);
    for f in [CURATED_FILE, DISCOVERED_FILE] {
        let text = fs::read_to_string(configs.join(f)).expect("read");
        assert!(!text.contains("\"served_model_id\": \"None\""), "{f}");
    }
}

#[test]
fn gui_roles_view_shows_both_answers() {
    let (_dir, toml, _) = workspace(|_| {});
    let mut h = common::harness(common::app_with(Some(&toml)));
    h.run();
    open_page(&mut h);
    h.get_by_label("📋 Roles").click();
    h.run();
    assert!(h.state().registry().roles_open());
    assert!(h.query_all_by_label("object_detection").count() >= 1);
    // The table's row and the roles view's answer for object_detection.
    assert!(h.query_all_by_label("florence-2-large_(FP16)").count() >= 2);
    let warning = "⚠ no model answers chat for the ImageWorks apps (they need an entry whose roles list chat, not deprecated)";
    assert!(h.query_by_label(warning).is_some());
}

#[test]
fn gui_a_stale_snapshot_is_a_finding_whose_regenerate_button_writes_it() {
    let (_dir, toml, configs) = workspace(|d| {
        // A layer changed without its snapshot, as a save that died half-way left it.
        let path = Path::new(d).join(CURATED_FILE);
        let text = fs::read_to_string(&path).expect("read");
        let changed = text.replacen("Florence-2 Large (FP16)", "Florence stale", 1);
        assert_ne!(text, changed);
        fs::write(&path, changed).expect("write");
    });
    let mut h = common::harness(common::app_with(Some(&toml)));
    h.run();
    open_page(&mut h);
    let stale = |app: &StudioApp| {
        app.registry()
            .findings()
            .iter()
            .any(|f| f.fix == Some(FindingFix::RegenerateSnapshot))
    };
    assert!(stale(h.state()), "reported on load");
    h.get_by(|n| {
        n.label()
            .is_some_and(|l| l.starts_with("Findings in the registry:"))
    })
    .click();
    h.run();
    h.get_by_role_and_label(Role::Button, "regenerate").click();
    h.run_steps(2);
    common::run_until(&mut h, |app| !app.registry().is_busy());
    let snapshot = fs::read_to_string(configs.join(SNAPSHOT_FILE)).expect("read");
    assert!(!stale(h.state()), "gone once written");
    assert!(snapshot.contains("Florence stale"));
}
