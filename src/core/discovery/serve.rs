//! `iw-studio discovery FILE --serve ADDR`: the discovery document over
//! HTTP for the ImageWorks app, so it stops hard-coding its toggles.
//!
//! `GET /v1/discovery` answers the document `discovery --format json`
//! prints, masked (`core::redact`: a secret pasted where an env var's name
//! belongs is `***`; the document holds env var names and set/unset only),
//! with a strong `ETag` (its SHA-256) and `Cache-Control: no-cache`; a
//! matching `If-None-Match` answers 304. `GET /v1/health` says whether the
//! document is current. The document is rebuilt when the file or the
//! registry folder changes (a `notify` watch, as the app's file watch);
//! while the file does not build (half-saved, broken) the last good
//! document stays served and the health says why it is stale.
//!
//! Bounded: request headers 16 KiB and 5 s to arrive, a body is refused,
//! a connection lives 30 s at most, and shutdown waits 2 s at most for the
//! requests in flight.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use crate::core::redact::{mask_env_name, mask_json, mask_text};

/// The most a request's head may take (hyper's smallest buffer is 8 KiB).
const MAX_HEAD: usize = 16 * 1024;
/// How long a request's head may take to arrive (also an idle keep-alive).
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one connection may last, whatever it does.
const CONNECTION_LIMIT: Duration = Duration::from_secs(30);
/// How long shutdown waits for the requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Builds the document (the CLI's `discovery`, without printing).
pub type Build = dyn Fn() -> Result<Value, String> + Send + Sync;

/// The document being served and its state.
#[derive(Clone, Debug)]
struct Snapshot {
    body: Bytes,
    etag: String,
    /// Why the last rebuild failed (the body is the last good one).
    stale: Option<String>,
    revision: u64,
}

/// The served document, rebuilt on change.
pub struct Served {
    build: Box<Build>,
    current: RwLock<Snapshot>,
}

impl Served {
    /// Build the first document; an error here ends `--serve` before it listens.
    pub fn new(build: Box<Build>) -> Result<Arc<Self>, String> {
        let body = render(build()?);
        Ok(Arc::new(Self {
            build,
            current: RwLock::new(Snapshot {
                etag: etag_of(&body),
                body,
                stale: None,
                revision: 1,
            }),
        }))
    }

    /// Rebuild now; the last good document stays when the build fails.
    pub fn rebuild(&self) {
        let built = (self.build)();
        let Ok(mut current) = self.current.write() else {
            return;
        };
        current.revision += 1;
        match built {
            Ok(doc) => {
                let body = render(doc);
                current.etag = etag_of(&body);
                current.body = body;
                current.stale = None;
                tracing::info!(target: "activity", "discovery document rebuilt: {}", current.etag);
            }
            Err(e) => {
                let e = mask_text(&e).into_owned();
                tracing::info!(target: "activity", "discovery document not rebuilt, the last good one stays: {e}");
                current.stale = Some(e);
            }
        }
    }

    fn snapshot(&self) -> Option<Snapshot> {
        self.current.read().ok().map(|c| c.clone())
    }

    /// The ETag served now (tests and the CLI's first line).
    pub fn etag(&self) -> Option<String> {
        self.snapshot().map(|s| s.etag)
    }
}

/// The document as served: every secret masked, keys included.
fn render(mut doc: Value) -> Bytes {
    mask_keys(&mut doc);
    mask_json(&mut doc);
    Bytes::from(serde_json::to_vec_pretty(&doc).unwrap_or_default())
}

/// Object keys are names (pages, modules, env vars): a secret pasted where
/// an env var's name belongs is masked like one.
fn mask_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (key, mut v) in old {
                mask_keys(&mut v);
                map.insert(mask_env_name(&key).into_owned(), v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_keys),
        _ => {}
    }
}

fn etag_of(body: &[u8]) -> String {
    use sha2::Digest as _;
    let hex: String = sha2::Sha256::digest(body)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("\"{hex}\"")
}

/// Whether `If-None-Match` names `etag` (`*`, a list, weak or strong:
/// RFC 9110's weak comparison, which is the one for `If-None-Match`).
fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

fn respond(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = json!({"error": {"message": message}}).to_string();
    respond(status, Bytes::from(body))
}

/// Answer one request.
fn answer(served: &Served, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let has_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|l| l.as_bytes() != b"0")
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    if has_body {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "requests carry no body here");
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = error(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let Some(snap) = served.snapshot() else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the document is not available",
        );
    };
    let head = req.method() == Method::HEAD;
    let mut r = match req.uri().path() {
        "/v1/discovery" => {
            let etag = HeaderValue::from_str(&snap.etag).ok();
            let not_modified = req
                .headers()
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| matches_etag(v, &snap.etag));
            let mut r = if not_modified {
                respond(StatusCode::NOT_MODIFIED, Bytes::new())
            } else {
                respond(StatusCode::OK, snap.body.clone())
            };
            if let Some(etag) = etag {
                r.headers_mut().insert(header::ETAG, etag);
            }
            r
        }
        "/v1/health" => {
            let body = json!({
                "status": "ok",
                "document": if snap.stale.is_some() { "stale" } else { "current" },
                "stale_because": snap.stale,
                "etag": snap.etag,
                "revision": snap.revision,
            });
            respond(StatusCode::OK, Bytes::from(body.to_string()))
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "not here: GET /v1/discovery or /v1/health",
        ),
    };
    if head {
        *r.body_mut() = Full::new(Bytes::new());
    }
    r
}

/// Watch `paths` (files, or folders whose every file counts) and rebuild
/// `served` on a change. Dropped, the watch ends.
pub struct Watch {
    _watcher: notify::RecommendedWatcher,
    _thread: std::thread::JoinHandle<()>,
}

pub fn watch(served: &Arc<Served>, paths: &[PathBuf]) -> Result<Watch, String> {
    use notify::{RecursiveMode, Watcher};
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let files: Vec<PathBuf> = paths.iter().filter(|p| !p.is_dir()).cloned().collect();
    let dirs: Vec<PathBuf> = paths.iter().filter(|p| p.is_dir()).cloned().collect();
    let watched_files = files.clone();
    let watched_dirs = dirs.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let ours = event.is_ok_and(|e| {
            e.paths.iter().any(|p| {
                watched_files.iter().any(|f| p.file_name() == f.file_name())
                    || watched_dirs.iter().any(|d| p.parent() == Some(d.as_path()))
            })
        });
        if ours {
            let _ = tx.send(());
        }
    })
    .map_err(|e| format!("cannot watch for changes: {e}"))?;
    for file in &files {
        let dir = file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        watcher
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    }
    for dir in &dirs {
        watcher
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    }
    let served = Arc::clone(served);
    let thread = std::thread::Builder::new()
        .name("discovery-watch".to_owned())
        .spawn(move || {
            // One rebuild per burst of events (a save is several).
            while rx.recv().is_ok() {
                while rx.try_recv().is_ok() {}
                served.rebuild();
            }
        })
        .map_err(|e| format!("cannot start the watch: {e}"))?;
    Ok(Watch {
        _watcher: watcher,
        _thread: thread,
    })
}

/// Serve `served` on `listener` until `shutdown` completes; then stop
/// accepting and give the requests in flight [`SHUTDOWN_GRACE`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    served: Arc<Served>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let served = Arc::clone(&served);
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let r = answer(&served, &req);
                        async move { Ok::<_, Infallible>(r) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(HEAD_TIMEOUT)
                        .max_buf_size(MAX_HEAD)
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                    let _ = tokio::time::timeout(CONNECTION_LIMIT, conn).await;
                });
            }
            // Reap finished connections as they end.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

/// `ADDR` as given to `--serve`: `HOST:PORT`, or a port alone (loopback).
pub fn parse_addr(raw: &str) -> Result<SocketAddr, String> {
    let raw = raw.trim();
    if let Ok(port) = raw.trim_start_matches(':').parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    raw.parse().map_err(|_| {
        format!("“{raw}” is not an address to serve on: give HOST:PORT (127.0.0.1:8765) or a port")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_stars_and_weak_tags() {
        let tag = "\"abc\"";
        assert!(matches_etag("\"abc\"", tag));
        assert!(matches_etag("\"x\", W/\"abc\"", tag));
        assert!(matches_etag("*", tag));
        assert!(!matches_etag("\"abcd\"", tag));
        assert!(!matches_etag("abc", tag));
    }

    #[test]
    fn a_port_alone_is_loopback() {
        assert_eq!(
            parse_addr("8765"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 8765)))
        );
        assert_eq!(parse_addr(":0"), Ok(SocketAddr::from(([127, 0, 0, 1], 0))));
        assert!(parse_addr("[::1]:80").is_ok());
        assert!(parse_addr("localhost").is_err());
    }

    #[test]
    fn secrets_in_values_and_in_names_are_masked() {
        let doc = json!({
            "storage": {"images": {"backend": "s3", "env_set": {"AKIAIOSFODNN7EXAMPLE": true, "S3_KEY": false}}},
            "endpoints": [{"base_url": "https://user:hunter2@example.com/v1"}],
        });
        let text = String::from_utf8(render(doc).to_vec()).unwrap_or_default();
        assert!(!text.contains("AKIAIOSFODNN7EXAMPLE"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("S3_KEY"), "{text}");
    }
}
