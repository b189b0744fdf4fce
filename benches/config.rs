//! open + validate + one edit + serialize, against a bare toml_edit parse +
//! to_string of the same text, on (a) the shipped file and (b) a generated
//! ~5 MB config. Prints throughput (MB/s) and the ratio to bare toml_edit.
//!
//!     cargo bench --bench config
//!
//! The `edit` group measures one form edit in an `EditSession` (apply +
//! validate + what the UI needs to redraw: raw text, error and warning
//! counts, dirty flag), issue 11 item 3: `server.port` on both inputs, and
//! on the generated one an endpoint's URL, an endpoint's name (a unique
//! name: that rule reads every entry) and a storage table's bucket:
//!
//!     cargo bench --bench config -- edit/ --warm-up-time 1 --measurement-time 3

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use iw_studio::core::document::{ConfigDocument, DocPath, parse_spanned};
use iw_studio::core::layout::LayoutSet;
use iw_studio::core::session::{Command, EditSession};
use iw_studio::core::validate::validate_parsed;

const SHIPPED: &str = include_str!("../sample_configs/chat_proxy.toml");

/// A ~5 MB config: the shipped settings plus thousands of endpoints and
/// storage asset tables, with comments as people write them.
fn generated(target_bytes: usize) -> String {
    let mut text = String::from(SHIPPED);
    text.push_str("\n[storage]\ndefault_backend = \"local\"\n");
    let mut i = 0;
    while text.len() < target_bytes {
        text.push_str(&format!(
            "\n# endpoint {i}\n[[endpoints]]\nname = \"endpoint-{i}\"\naliases = [\"ep{i}\", \"box-{i}\"]\nkind = \"openai_compatible\"\n\
             base_url = \"http://10.0.{}.{}:8100/v1\"\napi_key_env = \"EP_{i}_KEY\"\ndefault_models = [\"model-a\", \"model-b-{i}\"]\nfetch_models = {}\n",
            i / 250 % 250,
            i % 250,
            i % 2 == 0
        ));
        text.push_str(&format!(
            "\n[storage.assets.kind{i}]   # per-tenant asset kind\nbackend = \"s3\"\nbucket = \"tenant-{i}\"\nregion = \"eu-west-1\"\n\
             access_key_env = \"T{i}_ACCESS\"\nsecret_key_env = \"T{i}_SECRET\"\n"
        ));
        i += 1;
    }
    text
}

fn studio_pipeline(text: &str, layouts: &LayoutSet, edit: &DocPath) -> String {
    let parsed = parse_spanned(text).expect("setup");
    let findings = validate_parsed(&parsed, layouts);
    let mut doc = ConfigDocument::from_spanned(parsed);
    let _ = doc.set_value(layouts, edit, toml_edit::Value::from(9001));
    black_box(findings);
    doc.text()
}

/// One form edit as the UI makes it: apply, then read everything a redraw
/// needs. Returns them so nothing is optimized away.
fn one_form_edit(session: &mut EditSession, edit: &Edit) -> (usize, usize, usize, bool) {
    let command = Command::SetValue {
        path: DocPath::parse(edit.path).expect("setup"),
        value: edit.value.parse().expect("setup"),
    };
    let changed = session.apply(command).expect("setup");
    assert!(changed, "the edit must change the document");
    (
        session.raw_text().len(),
        session.error_count(),
        session.warning_count(),
        session.is_dirty(),
    )
}

/// One field a form changes, and the value it writes.
struct Edit {
    name: &'static str,
    path: &'static str,
    value: &'static str,
}

/// `edit/<input>_<edit>`: each iteration starts from a fresh clone of the
/// opened session (cloned outside the timing), so undo history does not grow.
fn bench_edit(criterion: &mut Criterion, inputs: &[(&str, &str, &[Edit])]) {
    let layouts = std::sync::Arc::new(LayoutSet::builtin().expect("setup"));
    let mut group = criterion.benchmark_group("edit");
    for (name, text, edits) in inputs {
        let opened = EditSession::from_text(text, std::sync::Arc::clone(&layouts)).expect("setup");
        for edit in *edits {
            group.bench_function(format!("{name}_{}", edit.name), |b| {
                b.iter_batched_ref(
                    || opened.clone(),
                    |session| black_box(one_form_edit(session, edit)),
                    BatchSize::PerIteration,
                );
            });
        }
    }
    group.finish();
}

/// The field every input has (`server.port`), then, on the generated file,
/// an endpoint's URL, an endpoint's name (names are unique across all
/// entries, so that rule reads them all) and a storage table's bucket.
const PORT: Edit = Edit {
    name: "one_field",
    path: "server.port",
    value: "9001",
};
const BIG_EDITS: &[Edit] = &[
    PORT,
    Edit {
        name: "endpoint_url",
        path: "endpoints[1000].base_url",
        value: "\"http://10.9.9.9:8100/v1\"",
    },
    Edit {
        name: "endpoint_name",
        path: "endpoints[1000].name",
        value: "\"renamed-endpoint\"",
    },
    Edit {
        name: "asset_bucket",
        path: "storage.assets.kind1000.bucket",
        value: "\"tenant-renamed\"",
    },
];

fn bare_toml_edit(text: &str) -> String {
    let doc: toml_edit::DocumentMut = text.parse().expect("setup");
    doc.to_string()
}

fn main() {
    let layouts = LayoutSet::builtin().expect("setup");
    let edit = DocPath::parse("server.port").expect("setup");
    let big = generated(5 * 1024 * 1024);
    let mut criterion = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(20);
    bench_edit(
        &mut criterion,
        &[
            ("shipped", SHIPPED, &[PORT]),
            ("5mb", big.as_str(), BIG_EDITS),
        ],
    );
    for (name, text) in [("shipped", SHIPPED), ("generated_5mb", big.as_str())] {
        let mut group = criterion.benchmark_group(format!("config_{name}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("studio", name), text, |b, t| {
            b.iter(|| studio_pipeline(black_box(t), &layouts, &edit));
        });
        group.bench_with_input(BenchmarkId::new("bare_toml_edit", name), text, |b, t| {
            b.iter(|| bare_toml_edit(black_box(t)));
        });
        group.finish();
    }
    criterion.final_summary();
    summary(&[("shipped", SHIPPED.len()), ("generated_5mb", big.len())]);
}

/// Read criterion's estimates back and print MB/s and the ratio.
fn summary(inputs: &[(&str, usize)]) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion");
    let mean_ns = |group: &str, id: &str, name: &str| -> Option<f64> {
        let path = root
            .join(format!("config_{group}"))
            .join(id)
            .join(name)
            .join("new/estimates.json");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
        json["median"]["point_estimate"].as_f64()
    };
    println!(
        "\n{:<16} {:>12} {:>12} {:>12} {:>12} {:>8}",
        "input", "size", "studio", "bare", "studio MB/s", "ratio"
    );
    for (name, size) in inputs {
        let (Some(studio), Some(bare)) = (
            mean_ns(name, "studio", name),
            mean_ns(name, "bare_toml_edit", name),
        ) else {
            println!("{name}: no estimates (run without a filter)");
            continue;
        };
        let mbps = *size as f64 / (studio / 1e9) / 1e6;
        println!(
            "{name:<16} {:>10.2}MB {:>10.1}µs {:>10.1}µs {:>12.1} {:>7.2}x",
            *size as f64 / 1e6,
            studio / 1e3,
            bare / 1e3,
            mbps,
            studio / bare
        );
    }
}
