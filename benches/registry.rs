//! Load + merge and filtering on a 10,000-entry registry built by replicating
//! the shipped entries under new names.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iw_studio::core::registry::{
    Filter, RegistryCommand, RegistryStore, apply_command, filter_entries, merge_layers, validate,
};
use serde_json::Value;

mod support;

// The allocator the app uses (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use support::{ENTRIES, write_large_registry};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_large_registry(dir.path());
    let mut group = c.benchmark_group("registry_10k");
    group.sample_size(10);
    group.bench_function("load_and_merge", |b| {
        // Dropping ~1 GB of JSON values is not part of opening a registry.
        b.iter_with_large_drop(|| RegistryStore::load(dir.path()).expect("load"));
    });
    let store = RegistryStore::load(dir.path()).expect("load");
    assert_eq!(store.merged().entries.len(), ENTRIES);
    group.bench_function("merge_only", |b| {
        b.iter_with_large_drop(|| {
            merge_layers(store.curated(), store.discovered(), store.snapshot_only())
        });
    });
    let filter = Filter {
        text: "qwen fp8".into(),
        ..Filter::default()
    };
    group.bench_function("filter_text_query", |b| {
        b.iter(|| black_box(filter_entries(store.merged(), black_box(&filter))));
    });
    one_field_edit(&mut group, store);
    group.finish();
}

/// What one keystroke committed in the entry editor costs: the edit of one
/// curated field, the re-merge and the re-validation it needs (what the
/// Registry page does before the next frame).
fn one_field_edit(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    mut store: RegistryStore,
) {
    // An entry in both layers, in the middle of the list.
    let name = store.merged().entries[ENTRIES / 2..]
        .iter()
        .find(|e| e.curated_index.is_some() && e.discovered_index.is_some())
        .map(|e| e.name().to_owned())
        .expect("a curated entry");
    black_box(validate(&store));
    let mut flip = false;
    group.bench_function("one_field_edit", |b| {
        b.iter(|| {
            flip = !flip;
            let command = RegistryCommand::SetField {
                name: name.clone(),
                path: "display_name".into(),
                value: Value::from(if flip { "Edited A" } else { "Edited B" }),
            };
            apply_command(&mut store, &command).expect("edit applies");
            black_box(validate(&store))
        });
    });
}

/// A registry of `n` models each discovered twice (the second copy a
/// deprecated duplicate: same backend, port and model path): what
/// `prune-duplicates` and `purge-deprecated` each remove `n` entries from.
fn write_duplicates(dir: &std::path::Path, n: usize) {
    use iw_studio::core::registry::json_text::list_to_python_json;
    use iw_studio::core::registry::store::{CURATED_FILE, DISCOVERED_FILE};
    let entry = |i: usize, copy: bool| {
        serde_json::json!({
            "name": if copy { format!("model-{i}-copy") } else { format!("model-{i}") },
            "backend": "vllm",
            "backend_config": {"port": 20000 + i, "model_path": format!("/models/m{i}"), "extra_args": []},
            "capabilities": {"text": true, "vision": false},
            "deprecated": copy,
            "metadata": {"created_from_download": true},
            "download_path": format!("/models/m{i}"),
        })
    };
    let discovered: Vec<Value> = (0..n)
        .flat_map(|i| [entry(i, false), entry(i, true)])
        .collect();
    std::fs::write(
        dir.join(DISCOVERED_FILE),
        list_to_python_json(discovered.iter()),
    )
    .expect("write");
    std::fs::write(dir.join(CURATED_FILE), "[]\n").expect("write");
}

/// `prune-duplicates --dry-run` and `purge-deprecated --dry-run` (the plan,
/// its diffs included: what the CLI prints) on 1,000 and 10,000 duplicates.
fn maintenance(c: &mut Criterion) {
    use iw_studio::core::registry::maintenance::{MaintenanceAction, plan};
    let mut group = c.benchmark_group("registry_maintenance");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let dir = tempfile::tempdir().expect("tempdir");
        write_duplicates(dir.path(), n);
        let store = RegistryStore::load(dir.path()).expect("load");
        for (label, action) in [
            ("prune_duplicates", MaintenanceAction::PruneDuplicates),
            ("purge_deprecated", MaintenanceAction::PurgeDeprecated),
        ] {
            let planned = plan(&store, &action).expect("plan");
            assert_eq!(planned.changes.len(), n, "{label} removes every duplicate");
            group.bench_function(format!("{label}_{n}"), |b| {
                b.iter_with_large_drop(|| plan(&store, &action).expect("plan"));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench, maintenance);
criterion_main!(benches);
