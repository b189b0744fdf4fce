//! Load + merge and filtering on a 10,000-entry registry built by replicating
//! the shipped entries under new names.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iw_studio::core::registry::{Filter, RegistryStore, filter_entries, merge_layers};

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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
