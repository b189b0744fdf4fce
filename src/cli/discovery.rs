//! `iw-studio discovery FILE [--proxy URL] [--registry DIR]`: what the
//! ImageWorks app will offer under a draft, as a summary or (`--format
//! json`) the discovery document a client GUI reads (`core::discovery`).
//!
//! Exit codes: 0 printed; 2 an unreadable file, a registry folder that
//! cannot be read, or a proxy that cannot be reached.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use super::args::ConnectOpts;
use super::exit;
use super::output::{CliError, Out};
use super::push_common::load_draft;
use crate::core::discovery::{
    Discovery, ModelInfo, RegistryInput, Sources, discover, env_is_set_here,
};
use crate::core::layout::LayoutSet;
use crate::core::proxy::{ConnectionProfile, ModelList, ProxyApi};
use crate::core::registry::{RegistryStore, resolve_dir};

#[derive(clap::Args, Clone, Debug)]
pub struct DiscoveryArgs {
    /// The draft `chat_proxy.toml`.
    pub file: PathBuf,
    /// Also ask this proxy which models it serves (`/v1/models`), e.g. http://127.0.0.1:8100.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// The model registry folder (default: $IMAGEWORKS_REGISTRY_DIR, else configs/ beside FILE, as the GUI finds it).
    #[arg(long, value_name = "DIR")]
    pub registry: Option<PathBuf>,
    /// Serve the JSON document at GET /v1/discovery (and GET /v1/health)
    /// on ADDR (HOST:PORT, or a port alone for loopback; default
    /// 127.0.0.1:8765) until Ctrl+C or SIGTERM, rebuilt when FILE or the
    /// registry changes; ETag / If-None-Match, Cache-Control: no-cache.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:8765")]
    pub serve: Option<String>,
}

/// Run `discovery` writing to `o`; returns the exit code.
pub fn run_with(layouts: &Arc<LayoutSet>, args: &DiscoveryArgs, o: &mut Out<'_>) -> u8 {
    if let Some(addr) = &args.serve {
        return match serve(layouts, args, addr, o) {
            Ok(()) => exit::OK,
            Err(failure) => o.fail(failure),
        };
    }
    let mut notes = Vec::new();
    let built = build(layouts, args, &mut notes);
    for n in notes {
        o.note(&n);
    }
    match built {
        Ok(discovery) => {
            o.emit(
                || summary(&discovery),
                || serde_json::to_value(&discovery).unwrap_or_default(),
            );
            exit::OK
        }
        Err(failure) => o.fail(failure),
    }
}

/// `--serve`: the document over HTTP until a signal (`core::discovery::serve`).
fn serve(
    layouts: &Arc<LayoutSet>,
    args: &DiscoveryArgs,
    addr: &str,
    o: &mut Out<'_>,
) -> Result<(), CliError> {
    use crate::core::discovery::serve as http;
    let addr = http::parse_addr(addr).map_err(CliError::unreadable)?;
    let (l, a) = (Arc::clone(layouts), args.clone());
    let served = http::Served::new(Box::new(move || {
        let doc = build(&l, &a, &mut Vec::new()).map_err(|e| e.message)?;
        serde_json::to_value(&doc).map_err(|e| e.to_string())
    }))
    .map_err(CliError::unreadable)?;
    let mut watched = vec![args.file.clone()];
    watched.extend(registry_dir(args));
    let _watch = http::watch(&served, &watched).map_err(CliError::unreadable)?;
    let rt = super::push_common::runtime()?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| CliError::unreadable(format!("cannot listen on {addr}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| CliError::unreadable(format!("cannot listen on {addr}: {e}")))?;
    if !bound.ip().is_loopback() {
        o.note(&format!(
            "note: serving beyond this machine on {bound}: anyone who reaches it reads the document (no secrets, but pages, endpoints and models)"
        ));
    }
    o.text(&format!(
        "serving http://{bound}/v1/discovery (ETag {}) and /v1/health; Ctrl+C or SIGTERM stops\n",
        served.etag().unwrap_or_default()
    ));
    rt.block_on(http::serve(listener, served, signalled()));
    o.text("stopped\n");
    Ok(())
}

/// SIGINT (Ctrl+C) or SIGTERM.
async fn signalled() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The registry folder a build reads, to watch it.
fn registry_dir(args: &DiscoveryArgs) -> Option<PathBuf> {
    args.registry
        .clone()
        .or_else(|| resolve_dir(None, Some(&args.file)))
        .filter(|d| d.is_dir())
}

fn build(
    layouts: &LayoutSet,
    args: &DiscoveryArgs,
    notes: &mut Vec<String>,
) -> Result<Discovery, CliError> {
    let doc = load_draft(&args.file)?;
    let store = registry(args, notes)?;
    let served = match &args.proxy {
        Some(url) => Some(served_models(url, &args.connect)?),
        None => None,
    };
    let sources = Sources {
        registry: store.as_ref().map(|s| RegistryInput {
            dir: s.dir(),
            merged: s.merged(),
        }),
        served: served.as_ref(),
        env_is_set: &env_is_set_here,
    };
    Ok(discover(&doc, layouts, &sources))
}

/// The registry named by `--registry` (which must load), else the one the
/// GUI would open, if it loads (a folder found but unreadable is a note).
fn registry(
    args: &DiscoveryArgs,
    notes: &mut Vec<String>,
) -> Result<Option<RegistryStore>, CliError> {
    if let Some(dir) = &args.registry {
        if !dir.is_dir() {
            return Err(CliError::unreadable(format!(
                "{}: not a folder",
                dir.display()
            )));
        }
        return RegistryStore::load(dir)
            .map(Some)
            .map_err(|e| CliError::unreadable(format!("{}: {e}", dir.display())));
    }
    let Some(dir) = resolve_dir(None, Some(&args.file)) else {
        return Ok(None);
    };
    match RegistryStore::load(&dir) {
        Ok(store) => Ok(Some(store)),
        Err(e) => {
            notes.push(format!(
                "note: the registry in {} was not read ({e}); models come from the proxy alone",
                dir.display()
            ));
            Ok(None)
        }
    }
}

fn served_models(url: &str, connect: &ConnectOpts) -> Result<ModelList, CliError> {
    let mut profile = ConnectionProfile::new("cli", url);
    profile.token_env.clone_from(&connect.token_env);
    profile.timeout_s = connect.timeout;
    profile.ca_file.clone_from(&connect.ca_file);
    let api = profile.client()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::unreadable(format!("cannot start the async runtime: {e}")))?;
    Ok(runtime.block_on(api.models())?)
}

/// The capability flags the summary names (the registry writes dozens of
/// aliases per entry; these are the ones the feature flags read).
const HEADLINE_CAPABILITIES: [&str; 3] = ["vision", "reasoning", "embedding"];

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

fn yes_no(on: bool) -> &'static str {
    if on { "yes" } else { "no" }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// The human summary: one block per part of the document.
fn summary(d: &Discovery) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Pages");
    for (id, on) in d.pages.iter() {
        let default = if d.default_page.as_deref() == Some(id) {
            "  (default page)"
        } else {
            ""
        };
        let _ = writeln!(s, "  {id:<22} {}{default}", on_off(*on));
    }
    if d.default_page.is_none() {
        let _ = writeln!(s, "  no default page");
    }
    let _ = writeln!(s, "Modules");
    for (id, m) in d.modules.iter() {
        let page = m.page.as_deref().unwrap_or("-");
        let _ = writeln!(s, "  {id:<22} {:<4} page {page}", on_off(m.enabled));
    }
    let _ = writeln!(s, "Storage");
    for (kind, asset) in d.storage.iter() {
        let vars: Vec<String> = asset
            .env_set
            .iter()
            .map(|(var, set)| format!("{var} {}", if *set { "set" } else { "unset" }))
            .collect();
        let row = format!("  {kind:<22} {:<11} {}", asset.backend, vars.join(", "));
        let _ = writeln!(s, "{}", row.trim_end());
    }
    endpoints_summary(&mut s, d);
    models_summary(&mut s, d);
    features_summary(&mut s, d);
    s
}

/// Served models decide the features; offline they are unknown, and what
/// the registry registers is said as that, not as what is offered.
fn features_summary(s: &mut String, d: &Discovery) {
    let f = &d.features;
    let flag = |v: Option<bool>| v.map_or("unknown", yes_no);
    if f.checked {
        let _ = writeln!(s, "Features (checked: the proxy's /v1/models)");
    } else {
        let _ = writeln!(
            s,
            "Features (not checked: no proxy asked, so what it serves is unknown offline; use --proxy)"
        );
    }
    let _ = writeln!(
        s,
        "  vision {}, reasoning {}, embedding {}\n  backends: {}",
        flag(f.vision_available),
        flag(f.reasoning_available),
        flag(f.embedding_available),
        f.backends
            .as_deref()
            .map_or("unknown".to_owned(), list_or_none),
    );
    if let Some(r) = &f.registered {
        let _ = writeln!(
            s,
            "  registered, not checked: vision {}, reasoning {}, embedding {}; backends {}",
            yes_no(r.vision),
            yes_no(r.reasoning),
            yes_no(r.embedding),
            list_or_none(&r.backends),
        );
    }
    let _ = writeln!(
        s,
        "  registry: {}",
        f.registry_dir.as_deref().unwrap_or("none")
    );
}

fn endpoints_summary(s: &mut String, d: &Discovery) {
    let _ = writeln!(s, "Endpoints");
    if d.endpoints.is_empty() {
        let _ = writeln!(s, "  none");
    }
    for e in &d.endpoints {
        let aliases = if e.aliases.is_empty() {
            String::new()
        } else {
            format!(" ({})", e.aliases.join(", "))
        };
        let _ = writeln!(
            s,
            "  {}{aliases}: {} {}, default models: {}",
            e.name.as_deref().unwrap_or("(no name)"),
            e.kind.as_deref().unwrap_or("-"),
            e.base_url.as_deref().unwrap_or("(no base_url)"),
            list_or_none(&e.default_models),
        );
    }
}

fn models_summary(s: &mut String, d: &Discovery) {
    let models = &d.models;
    if d.features.checked {
        let served = models.iter().filter(|m| m.served == Some(true)).count();
        let _ = writeln!(s, "Models ({}, {served} served)", models.len());
    } else {
        let _ = writeln!(
            s,
            "Models ({}, served unknown: no proxy asked)",
            models.len()
        );
    }
    for m in models {
        let caps: Vec<&str> = HEADLINE_CAPABILITIES
            .into_iter()
            .filter(|c| m.capabilities.iter().any(|have| have == c))
            .collect();
        let row = format!(
            "  {:<48} {:<7} {}",
            m.display_id,
            served_cell(m),
            caps.join(", "),
        );
        let _ = writeln!(s, "{}", row.trim_end());
    }
}

fn served_cell(m: &ModelInfo) -> &'static str {
    match m.served {
        Some(true) => "served",
        Some(false) => "-",
        None => "?",
    }
}
