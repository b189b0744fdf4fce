//! Preview speed: the pure computation for the shipped file, and the whole
//! `preview FILE --proxy URL` command against the local stand-in proxy.

// A bench uses part of the stand-in the tests share.
#[allow(dead_code)]
#[path = "../tests/suite/support/test_proxy.rs"]
mod test_proxy;

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iw_studio::cli::Out;
use iw_studio::cli::OutputFormat;
use iw_studio::cli::args::{ConnectOpts, PreviewArgs};
use iw_studio::cli::proxy::run_preview_with;
use iw_studio::core::document::ConfigDocument;
use iw_studio::core::layout::LayoutSet;
use iw_studio::core::proxy::{ProxyConfigView, preview};

const SHIPPED: &str = include_str!("../sample_configs/chat_proxy.toml");

fn bench_preview(c: &mut Criterion) {
    let Ok(layouts) = LayoutSet::builtin() else {
        eprintln!("the built-in layouts do not load");
        return;
    };
    let Ok(doc) = ConfigDocument::parse(SHIPPED) else {
        eprintln!("the shipped file does not parse");
        return;
    };
    let env: BTreeMap<String, String> = [
        ("CHAT_PROXY_PORT", "18100"),
        ("CHAT_PROXY_ENABLE_METRICS", "yes"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    c.bench_function("preview_offline_shipped_file", |b| {
        b.iter(|| preview(black_box(&doc), &layouts, None, black_box(&env)));
    });
    let offline = preview(&doc, &layouts, None, &env);
    let view = ProxyConfigView {
        runtime: offline
            .rows
            .iter()
            .map(|r| (r.key.clone(), r.effective.clone()))
            .collect(),
        file: offline
            .rows
            .iter()
            .map(|r| (r.key.clone(), r.draft.clone()))
            .collect(),
        config_file_path: "/srv/imageworks/configs/chat_proxy.toml".to_owned(),
        env_overrides: env.clone(),
        precedence: Vec::new(),
    };
    c.bench_function("preview_connected_shipped_file", |b| {
        b.iter(|| preview(black_box(&doc), &layouts, Some(&view), &view.env_overrides));
    });
}

fn bench_cli_preview(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let live = dir.path().join("chat_proxy.toml");
    let draft = dir.path().join("draft.toml");
    if std::fs::write(&live, SHIPPED)
        .and_then(|_| std::fs::write(&draft, SHIPPED))
        .is_err()
    {
        return;
    }
    let Ok(proxy) = test_proxy::TestProxy::start(&live, BTreeMap::new()) else {
        eprintln!("cannot start the stand-in proxy");
        return;
    };
    let args = PreviewArgs {
        file: draft,
        proxy: Some(proxy.url()),
        connect: ConnectOpts {
            timeout: 5.0,
            token_env: None,
            ca_file: None,
        },
        only_diff: false,
        history_dir: None,
    };
    c.bench_function("cli_preview_against_local_proxy", |b| {
        b.iter(|| {
            // The command loads the layouts once per run, as the binary does.
            let layouts = LayoutSet::builtin().expect("the built-in layouts load");
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let code = run_preview_with(
                &layouts,
                &args,
                &mut Out {
                    out: &mut out,
                    err: &mut err,
                    format: OutputFormat::Json,
                },
            );
            assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
            out.len()
        });
    });
}

criterion_group!(benches, bench_preview, bench_cli_preview);
criterion_main!(benches);
