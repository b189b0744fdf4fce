//! Load + merge and filtering on a 10,000-entry registry built by replicating
//! the shipped entries under new names.

use std::fs;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use iw_studio::core::registry::json_text::to_python_json;
use iw_studio::core::registry::store::{CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE};
use iw_studio::core::registry::{Filter, RegistryStore, filter_entries, merge_layers};
use serde_json::Value;

const ENTRIES: usize = 10_000;
const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample_configs/registry");

fn read_layer(file: &str) -> Vec<Value> {
    let text = fs::read_to_string(Path::new(SAMPLE).join(file)).expect("sample registry readable");
    match serde_json::from_str(&text).expect("sample registry is JSON") {
        Value::Array(items) => items,
        _ => panic!("{file} is not a list"),
    }
}

fn renamed(entry: &Value, copy: usize) -> Value {
    let mut entry = entry.clone();
    if let Some(map) = entry.as_object_mut() {
        let name = map
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        map.insert("name".into(), Value::from(format!("{name}#{copy}")));
    }
    entry
}

/// Discovered: 10,000 copies of the shipped discovered entries; curated:
/// the matching curated overlays, keeping the shipped curated/discovered ratio.
fn write_large_registry(dir: &Path) {
    let discovered = read_layer(DISCOVERED_FILE);
    let curated = read_layer(CURATED_FILE);
    let mut big_dis = Vec::with_capacity(ENTRIES);
    let mut big_cur = Vec::new();
    for i in 0..ENTRIES {
        let source = &discovered[i % discovered.len()];
        let copy = i / discovered.len();
        big_dis.push(renamed(source, copy));
        let overlay = curated.iter().find(|c| c.get("name") == source.get("name"));
        if let Some(c) = overlay {
            big_cur.push(renamed(c, copy));
        }
    }
    let merged = merge_layers(&big_cur, &big_dis, &[]);
    let write =
        |file: &str, v: Value| fs::write(dir.join(file), to_python_json(&v)).expect("write");
    write(DISCOVERED_FILE, Value::Array(big_dis));
    write(CURATED_FILE, Value::Array(big_cur));
    write(SNAPSHOT_FILE, merged.to_value());
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_large_registry(dir.path());
    let mut group = c.benchmark_group("registry_10k");
    group.sample_size(10);
    group.bench_function("load_and_merge", |b| {
        // Dropping ~1 GB of JSON values is not part of opening a registry.
        b.iter_with_large_drop(|| RegistryStore::load(dir.path()).expect("load"))
    });
    let store = RegistryStore::load(dir.path()).expect("load");
    assert_eq!(store.merged().entries.len(), ENTRIES);
    group.bench_function("merge_only", |b| {
        b.iter_with_large_drop(|| {
            merge_layers(store.curated(), store.discovered(), store.snapshot_only())
        })
    });
    let filter = Filter {
        text: "qwen fp8".into(),
        ..Filter::default()
    };
    group.bench_function("filter_text_query", |b| {
        b.iter(|| black_box(filter_entries(store.merged(), black_box(&filter))))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
