//! The generated 10,000-entry registry shared by the registry benches.
#![allow(dead_code)]

use std::fs;
use std::path::Path;

use iw_studio::core::registry::json_text::list_to_python_json;
use iw_studio::core::registry::merge_layers;
use iw_studio::core::registry::store::{CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE};
use serde_json::Value;

pub const ENTRIES: usize = 10_000;
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
            .to_owned();
        map.insert("name".into(), Value::from(format!("{name}#{copy}")));
    }
    entry
}

/// Discovered: 10,000 copies of the shipped discovered entries; curated:
/// the matching curated overlays, keeping the shipped curated/discovered ratio.
pub fn write_large_registry(dir: &Path) {
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
    let snapshot = list_to_python_json(merged.values(&big_cur, &big_dis, &[]));
    fs::write(dir.join(SNAPSHOT_FILE), snapshot).expect("write");
    let write = |file: &str, v: &[Value]| {
        fs::write(dir.join(file), list_to_python_json(v.iter())).expect("write");
    };
    write(DISCOVERED_FILE, &big_dis);
    write(CURATED_FILE, &big_cur);
}
