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

criterion_group!(benches, bench);
criterion_main!(benches);
