//! A stand-in for the stock ImageWorks chat proxy, written from the contract
//! (`shared/docs/chat-proxy-config-api.md`, §7 and §8 included) independently of
//! the studio's core, so tests check the core against a second model of the
//! proxy. Quirks included: a TOML 1.0 parser (`basic-toml`, as strict as
//! Python's `tomllib`, not the core's `toml_edit`), `config_file_path` as the
//! proxy knows it (relative to its working folder unless
//! `CHAT_PROXY_CONFIG_FILE` says otherwise), every `CHAT_PROXY_*` variable in
//! `env_overrides`, no type checks, lossy regeneration, `""` as none for two
//! keys, `vllm_restart_backoff_s` never read, and a `PUT` that reads, changes
//! and writes the file with no lock (two at once can lose one), escaping
//! only `"` in strings, through a mode-0600 temp file in the system temp
//! folder (so a config on another filesystem fails the move, EXDEV), and
//! answering 500 "Failed to update configuration." when that move fails or
//! when the file it wrote cannot be read back (after which every GET is a
//! plain 500 until the file is mended). Binds to
//! 127.0.0.1 only (a free port unless given one) and stops when dropped;
//! `stand_in_process.rs` runs it as a process of its own, for real restarts. Usable from benches through `#[path]`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

/// (section or none, key, default as JSON text, env var, env parse kind).
/// The proxy's own field list, in its order (contract §1).
const FIELDS: &[(Option<&str>, &str, &str, &str, &str)] = &[
    (
        Some("general"),
        "schema_version",
        "1",
        "CHAT_PROXY_SCHEMA_VERSION",
        "int",
    ),
    (
        Some("general"),
        "require_template",
        "true",
        "CHAT_PROXY_REQUIRE_TEMPLATE",
        "bool",
    ),
    (
        Some("server"),
        "host",
        "\"127.0.0.1\"",
        "CHAT_PROXY_HOST",
        "str",
    ),
    (Some("server"), "port", "8100", "CHAT_PROXY_PORT", "int"),
    (
        Some("server"),
        "enable_metrics",
        "false",
        "CHAT_PROXY_ENABLE_METRICS",
        "bool",
    ),
    (
        Some("server"),
        "log_path",
        "\"logs/chat_proxy.jsonl\"",
        "CHAT_PROXY_LOG_PATH",
        "str",
    ),
    (
        Some("server"),
        "max_log_bytes",
        "25000000",
        "CHAT_PROXY_MAX_LOG_BYTES",
        "int",
    ),
    (
        Some("server"),
        "loopback_alias",
        "null",
        "CHAT_PROXY_LOOPBACK_ALIAS",
        "str",
    ),
    (
        Some("server"),
        "include_non_installed",
        "false",
        "CHAT_PROXY_INCLUDE_NON_INSTALLED",
        "bool",
    ),
    (
        Some("server"),
        "suppress_decorations",
        "true",
        "CHAT_PROXY_SUPPRESS_DECORATIONS",
        "bool",
    ),
    (Some("server"), "log_prompts", "false", "", ""),
    (
        Some("timeouts"),
        "backend_timeout_ms",
        "120000",
        "CHAT_PROXY_BACKEND_TIMEOUT_MS",
        "int",
    ),
    (
        Some("timeouts"),
        "stream_idle_timeout_ms",
        "60000",
        "CHAT_PROXY_STREAM_IDLE_TIMEOUT_MS",
        "int",
    ),
    (
        Some("timeouts"),
        "autostart_grace_period_s",
        "120",
        "CHAT_PROXY_AUTOSTART_GRACE_PERIOD_S",
        "int",
    ),
    (
        Some("autostart"),
        "autostart_enabled",
        "true",
        "CHAT_PROXY_AUTOSTART_ENABLED",
        "bool",
    ),
    (
        Some("autostart"),
        "autostart_map_raw",
        "null",
        "CHAT_PROXY_AUTOSTART_MAP",
        "str",
    ),
    (
        Some("limits"),
        "max_image_bytes",
        "6000000",
        "CHAT_PROXY_MAX_IMAGE_BYTES",
        "int",
    ),
    (
        Some("limits"),
        "disable_tool_normalization",
        "false",
        "CHAT_PROXY_DISABLE_TOOL_NORMALIZATION",
        "bool",
    ),
    (
        Some("vision_preprocess"),
        "auto_downscale_images",
        "true",
        "CHAT_PROXY_AUTO_DOWNSCALE_IMAGES",
        "bool",
    ),
    (
        Some("vision_preprocess"),
        "max_image_pixels",
        "448",
        "CHAT_PROXY_MAX_IMAGE_PIXELS",
        "int",
    ),
    (
        Some("vision_preprocess"),
        "image_jpeg_quality",
        "85",
        "CHAT_PROXY_IMAGE_JPEG_QUALITY",
        "int",
    ),
    (
        Some("vision_preprocess"),
        "vision_downscale_backends",
        "[\"vllm\"]",
        "CHAT_PROXY_VISION_DOWNSCALE_BACKENDS",
        "list",
    ),
    (
        Some("vision_history"),
        "vision_truncate_history",
        "true",
        "CHAT_PROXY_VISION_TRUNCATE_HISTORY",
        "bool",
    ),
    (
        Some("vision_history"),
        "vision_keep_system",
        "true",
        "CHAT_PROXY_VISION_KEEP_SYSTEM",
        "bool",
    ),
    (
        Some("vision_history"),
        "vision_keep_last_n_turns",
        "0",
        "CHAT_PROXY_VISION_KEEP_LAST_N_TURNS",
        "int",
    ),
    (
        Some("reasoning_history"),
        "reasoning_truncate_history",
        "false",
        "CHAT_PROXY_REASONING_TRUNCATE_HISTORY",
        "bool",
    ),
    (
        Some("reasoning_history"),
        "reasoning_keep_system",
        "true",
        "CHAT_PROXY_REASONING_KEEP_SYSTEM",
        "bool",
    ),
    (
        Some("reasoning_history"),
        "reasoning_keep_last_n_turns",
        "1",
        "CHAT_PROXY_REASONING_KEEP_LAST_N_TURNS",
        "int",
    ),
    (
        Some("vllm"),
        "vllm_single_port",
        "true",
        "CHAT_PROXY_VLLM_SINGLE_PORT",
        "bool",
    ),
    (
        Some("vllm"),
        "vllm_port",
        "24001",
        "CHAT_PROXY_VLLM_PORT",
        "int",
    ),
    (
        Some("vllm"),
        "vllm_state_path",
        "\"_staging/active_vllm.json\"",
        "CHAT_PROXY_VLLM_STATE_PATH",
        "str",
    ),
    (
        Some("vllm"),
        "vllm_start_timeout_s",
        "180",
        "CHAT_PROXY_VLLM_START_TIMEOUT_S",
        "int",
    ),
    (
        Some("vllm"),
        "vllm_stop_timeout_s",
        "30",
        "CHAT_PROXY_VLLM_STOP_TIMEOUT_S",
        "int",
    ),
    (
        Some("vllm"),
        "vllm_health_timeout_s",
        "120",
        "CHAT_PROXY_VLLM_HEALTH_TIMEOUT_S",
        "int",
    ),
    (
        Some("vllm"),
        "vllm_gpu_memory_utilization",
        "0.75",
        "CHAT_PROXY_VLLM_GPU_MEMORY_UTILIZATION",
        "float",
    ),
    (
        Some("vllm"),
        "vllm_max_model_len",
        "null",
        "CHAT_PROXY_VLLM_MAX_MODEL_LEN",
        "int_nonempty",
    ),
    (
        Some("vllm"),
        "vllm_remote_executor_url",
        "null",
        "CHAT_PROXY_VLLM_REMOTE_URL",
        "str",
    ),
    (
        Some("vllm"),
        "vllm_executor_workdir",
        "null",
        "CHAT_PROXY_VLLM_EXECUTOR_CWD",
        "str",
    ),
    (
        Some("vllm"),
        "vllm_health_host",
        "\"127.0.0.1\"",
        "CHAT_PROXY_VLLM_HEALTH_HOST",
        "str",
    ),
    (
        Some("ollama"),
        "ollama_base_url",
        "\"http://127.0.0.1:11434\"",
        "CHAT_PROXY_OLLAMA_BASE_URL",
        "str",
    ),
    (
        Some("ollama"),
        "ollama_stop_timeout_s",
        "30",
        "CHAT_PROXY_OLLAMA_STOP_TIMEOUT_S",
        "int",
    ),
    (
        Some("ollama"),
        "ollama_allow_cpu_fallback",
        "false",
        "CHAT_PROXY_OLLAMA_ALLOW_CPU_FALLBACK",
        "bool",
    ),
    (
        None,
        "vllm_restart_backoff_s",
        "2.0",
        "CHAT_PROXY_VLLM_RESTART_BACKOFF_S",
        "float",
    ),
];

/// Keys where `""` in the file means none.
const EMPTY_IS_NONE: &[&str] = &["autostart_map_raw", "loopback_alias"];

/// How the next requests misbehave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    None,
    /// Answer correctly, after this delay.
    Slow(Duration),
    /// 500 with a plain-text body.
    ServerError,
    /// Accept the connection and reset it at once.
    Reset,
    /// 200 with a body that is not JSON.
    Garbage,
    /// Accept and never answer.
    Hang,
    /// Only `PUT`: write the file, then never answer (the client times out
    /// although the write happened).
    PutAppliedThenHang,
    /// Only `PUT`: write the file, then break the connection mid-answer.
    PutAppliedThenReset,
    /// Only `PUT`: say nothing for this long, then write (the client has
    /// given up by then; the real proxy applied such a PUT 27 s later).
    PutAppliedLate(Duration),
    /// Only `PUT`: answer 200 "written" without writing (a read-back must catch it).
    PutNotApplied,
    /// Only `PUT`: 500 without writing (the proxy failed before touching its file).
    PutServerError,
    /// Every request: 400 with a 1 MB `detail` full of terminal escapes.
    HugeEscapedError,
}

/// The proxy's default config path, relative to its working folder.
pub const DEFAULT_CONFIG_PATH: &str = "configs/chat_proxy.toml";

struct Shared {
    /// The file the proxy reads: `workdir` joined with `reported`.
    file: PathBuf,
    /// `config_file_path` as the proxy reports it.
    reported: String,
    env: BTreeMap<String, String>,
    fault: Mutex<Fault>,
    /// When this process started (its uptime).
    started: Mutex<Instant>,
    /// `GET /v1/gpu/status`'s answer.
    gpu: Mutex<Value>,
    puts: Mutex<usize>,
    /// Network latency for the next `PUT`s, one entry each, in arrival order.
    put_delays: Mutex<std::collections::VecDeque<Duration>>,
    /// The `Authorization` header of the last request.
    last_auth: Mutex<Option<String>>,
    /// The `/v1/models` body (`V1_MODELS`, the real proxy's saved answer).
    models: Mutex<Value>,
    /// Another ImageWorks version: keys it does not know (left out of
    /// `runtime` and `file`) and keys this studio does not know (added to both).
    version: Mutex<(Vec<String>, Map<String, Value>)>,
}

pub struct TestProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestProxy {
    /// The proxy started in `file`'s folder with `CHAT_PROXY_CONFIG_FILE=<file>`
    /// (an absolute path, so it reports that path, and the variable is in
    /// its `env_overrides`) unless `env` sets that variable itself (then as
    /// given, relative to that folder); `file` is created with defaults on
    /// first read if missing. `env` is the rest of its `CHAT_PROXY_*` environment.
    pub fn start(file: &Path, mut env: BTreeMap<String, String>) -> std::io::Result<Self> {
        let workdir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
        env.entry("CHAT_PROXY_CONFIG_FILE".to_owned())
            .or_insert_with(|| file.display().to_string());
        Self::start_in(&workdir, env)
    }

    /// The proxy started in `workdir`, as the stock one is: its file is
    /// `CHAT_PROXY_CONFIG_FILE` when `env` has it (relative to `workdir`
    /// when relative), else `configs/chat_proxy.toml`, and it reports that
    /// path exactly as given.
    pub fn start_in(workdir: &Path, env: BTreeMap<String, String>) -> std::io::Result<Self> {
        Self::start_at(workdir, env, "127.0.0.1:0")
    }

    /// As [`TestProxy::start_in`], listening on `addr` (a restarted process
    /// takes its predecessor's port).
    pub fn start_at(
        workdir: &Path,
        env: BTreeMap<String, String>,
        addr: &str,
    ) -> std::io::Result<Self> {
        let reported = env
            .get("CHAT_PROXY_CONFIG_FILE")
            .filter(|p| !p.is_empty())
            .cloned()
            .unwrap_or_else(|| DEFAULT_CONFIG_PATH.to_owned());
        let shared = Arc::new(Shared {
            file: workdir.join(&reported),
            reported,
            env,
            fault: Mutex::new(Fault::None),
            started: Mutex::new(Instant::now()),
            gpu: Mutex::new(json!({"leased": false})),
            puts: Mutex::new(0),
            put_delays: Mutex::new(std::collections::VecDeque::new()),
            last_auth: Mutex::new(None),
            models: Mutex::new(serde_json::from_str(V1_MODELS).unwrap_or(Value::Null)),
            version: Mutex::new((Vec::new(), Map::new())),
        });
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::Builder::new()
            .name("test-proxy".to_owned())
            .spawn(move || serve(std_listener, state, rx))?;
        Ok(Self {
            addr,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn config_path(&self) -> &Path {
        &self.shared.file
    }

    pub fn set_fault(&self, fault: Fault) {
        if let Ok(mut f) = self.shared.fault.lock() {
            *f = fault;
        }
    }

    pub fn last_authorization(&self) -> Option<String> {
        self.shared.last_auth.lock().ok().and_then(|a| a.clone())
    }

    /// Hold the next `PUT`s this long each before handling them (the 1st
    /// arriving gets the 1st delay): the network latency that lets one
    /// client's whole push run between another's re-read and its write.
    pub fn delay_puts(&self, delays: &[Duration]) {
        if let Ok(mut q) = self.shared.put_delays.lock() {
            q.extend(delays.iter().copied());
        }
    }

    /// A job takes (or with `None` releases) the GPU lease.
    pub fn set_gpu_lease(&self, owner: Option<&str>) {
        if let Ok(mut g) = self.shared.gpu.lock() {
            *g = match owner {
                Some(o) => {
                    json!({"leased": true, "lease": {"owner": o, "reason": "batch captioning", "token": "secret-token"}})
                }
                None => json!({"leased": false}),
            };
        }
    }

    /// Answer as another ImageWorks version would: without the settings
    /// `unknown` (an older one) and with `extra` ones (a newer one).
    pub fn set_version(&self, unknown: &[&str], extra: &[(&str, Value)]) {
        if let Ok(mut v) = self.shared.version.lock() {
            *v = (
                unknown.iter().map(|k| (*k).to_owned()).collect(),
                extra
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect(),
            );
        }
    }

    /// How many PUTs were answered 200 (a refused push must leave this at 0).
    pub fn puts(&self) -> usize {
        self.shared.puts.lock().map_or(usize::MAX, |n| *n)
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(async move {
        let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
            return;
        };
        let app = Router::new()
            .route("/v1/health", get(health))
            .route("/v1/gpu/status", get(gpu_status))
            .route("/v1/models", get(models))
            .route("/v1/config/chat-proxy", get(get_config).put(put_config))
            .layer(axum::middleware::from_fn_with_state(shared.clone(), faults))
            .with_state(shared.clone());
        let listener = FaultyListener {
            inner: listener,
            shared,
        };
        tokio::select! {
            _ = axum::serve(listener, app) => {}
            _ = stop => {}
        }
    });
    // Hung connections are dropped with the runtime instead of waited for.
    rt.shutdown_background();
}

/// Resets connections at accept time in `Fault::Reset`.
struct FaultyListener {
    inner: tokio::net::TcpListener,
    shared: Arc<Shared>,
}

impl axum::serve::Listener for FaultyListener {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.inner.accept().await else {
                continue;
            };
            if current_fault(&self.shared) == Fault::Reset {
                let _ = stream.set_zero_linger();
                drop(stream);
                continue;
            }
            return (stream, addr);
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

fn current_fault(shared: &Shared) -> Fault {
    shared.fault.lock().map_or(Fault::None, |f| *f)
}

async fn faults(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if let Ok(mut auth) = shared.last_auth.lock() {
        *auth = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
    }
    if request.method() == axum::http::Method::PUT {
        let delay = shared
            .put_delays
            .lock()
            .ok()
            .and_then(|mut q| q.pop_front());
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
    }
    let fault = current_fault(&shared);
    let put_only = matches!(
        fault,
        Fault::PutAppliedThenHang
            | Fault::PutAppliedThenReset
            | Fault::PutAppliedLate(_)
            | Fault::PutNotApplied
            | Fault::PutServerError
    );
    if put_only && request.method() != axum::http::Method::PUT {
        return next.run(request).await;
    }
    match fault {
        Fault::None => next.run(request).await,
        Fault::PutAppliedThenHang => {
            let _ = next.run(request).await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Fault::PutAppliedThenReset => {
            let _ = next.run(request).await;
            broken_body()
        }
        Fault::PutAppliedLate(delay) => {
            // The write happens after the delay even if the client has gone:
            // run it detached, as a server thread would.
            let late = tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                next.run(request).await
            });
            late.await
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        // New connections are reset by the listener; one kept alive from
        // before breaks off mid-answer instead.
        Fault::Reset => broken_body(),
        Fault::PutNotApplied => match file_view(&shared) {
            Ok(file) => {
                let mut body = config_body(&shared, file);
                if let Value::Object(map) = &mut body {
                    map.insert("status".into(), json!("written"));
                    map.insert(
                        "message".into(),
                        json!("Config file updated. Restart chat-proxy to apply changes."),
                    );
                }
                Json(body).into_response()
            }
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e),
        },
        Fault::HugeEscapedError => {
            let detail = format!("\u{1b}[2J\u{1b}[31mboom{}", "x".repeat(1 << 20));
            error(StatusCode::BAD_REQUEST, &detail)
        }
        Fault::Slow(d) => {
            tokio::time::sleep(d).await;
            next.run(request).await
        }
        Fault::ServerError | Fault::PutServerError => {
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
        }
        Fault::Garbage => (
            StatusCode::OK,
            [("content-type", "application/json")],
            "{\"runtime\": {\"port\": 81<html>oops",
        )
            .into_response(),
        Fault::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            next.run(request).await
        }
    }
}

/// An answer that breaks off: headers sent, then the connection resets.
fn broken_body() -> Response {
    let broken = futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        ))
    });
    Response::new(axum::body::Body::from_stream(broken))
}

async fn health(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let uptime = shared
        .started
        .lock()
        .map_or(0.0, |s| s.elapsed().as_secs_f64());
    Json(json!({"status": "ok", "uptime_seconds": uptime}))
}

async fn gpu_status(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(
        shared
            .gpu
            .lock()
            .map_or(json!({"leased": false}), |g| g.clone()),
    )
}

/// What the stock proxy answers (contract §5, §7) for six entries of
/// `sample_configs/registry/`: `id` is the display id, the registry name is
/// `extensions.logical_id`, and backend, format and quantization may be null.
pub const V1_MODELS: &str = include_str!("v1_models.json");

async fn models(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(shared.models.lock().map_or(Value::Null, |m| m.clone()))
}

fn error(status: StatusCode, detail: &str) -> Response {
    (status, Json(json!({"detail": detail}))).into_response()
}

/// A file tomllib cannot read is an unhandled exception in the real
/// handler: FastAPI's plain 500, the parser's message only in its log.
async fn get_config(State(shared): State<Arc<Shared>>) -> Response {
    // FastAPI's JSON encoder refuses nan and inf: an unhandled error, a plain 500.
    if breaking_env(&shared.env).is_some() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    match file_view(&shared) {
        Ok(file) => Json(config_body(&shared, file)).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response(),
    }
}

async fn put_config(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let changes = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) if !map.is_empty() => map,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "Request body must be a non-empty object.",
            );
        }
    };
    let mut unknown: Vec<&str> = changes
        .keys()
        .map(String::as_str)
        .filter(|k| !FIELDS.iter().any(|f| f.1 == *k))
        .collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        let detail = format!("'Unknown configuration field(s): {}'", unknown.join(", "));
        return error(StatusCode::BAD_REQUEST, &detail);
    }
    let mut file = match file_view(&shared) {
        Ok(f) => f,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    // The real handler runs on a thread pool with no lock between reading
    // and writing the file; another request can run in between.
    tokio::task::yield_now().await;
    for (k, v) in changes {
        file.insert(k, v);
    }
    // Any failure from here on is the proxy's one answer (app.py): the
    // file may be untouched (a failed move) or replaced (a failed re-read).
    if write_atomically(&shared.file, &render(&file)).is_err() {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Failed to update configuration.",
        );
    }
    if let Ok(mut n) = shared.puts.lock() {
        *n += 1;
    }
    match file_view(&shared) {
        Ok(file) => {
            let mut body = config_body(&shared, file);
            if let Value::Object(map) = &mut body {
                map.insert("status".into(), json!("written"));
                map.insert("requires_restart".into(), json!(true));
                map.insert(
                    "message".into(),
                    json!("Config file updated. Restart chat-proxy to apply changes."),
                );
            }
            Json(body).into_response()
        }
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Failed to update configuration.",
        ),
    }
}

fn config_body(shared: &Shared, mut file: Map<String, Value>) -> Value {
    if let Ok(version) = shared.version.lock() {
        let (unknown, extra) = &*version;
        file.retain(|k, _| !unknown.contains(k));
        file.extend(extra.clone());
    }
    let runtime = apply_env(file.clone(), &shared.env);
    json!({
        "runtime": runtime,
        "file": file,
        "config_file_path": shared.reported,
        "env_overrides": shared.env,
        "precedence": ["Environment variables (CHAT_PROXY_*)",
                       "Config file (configs/chat_proxy.toml)", "Built-in defaults"],
    })
}

fn default_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// What the stock proxy does first (`_cfg = ProxyConfig.load()` at import
/// in `app.py`): read its file, so a file tomllib cannot read stops it at
/// start-up with tomllib's error. `None` when it would start.
pub fn startup_error(workdir: &Path, env: &BTreeMap<String, String>) -> Option<String> {
    let reported = env
        .get("CHAT_PROXY_CONFIG_FILE")
        .filter(|p| !p.is_empty())
        .cloned()
        .unwrap_or_else(|| DEFAULT_CONFIG_PATH.to_owned());
    file_view_at(&workdir.join(reported)).err()
}

/// defaults < file: a key counts only in its own section; values are not checked.
fn file_view(shared: &Shared) -> Result<Map<String, Value>, String> {
    file_view_at(&shared.file)
}

fn file_view_at(file: &Path) -> Result<Map<String, Value>, String> {
    if !file.exists() {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let defaults: Map<String, Value> = FIELDS
            .iter()
            .map(|f| (f.1.to_owned(), default_of(f.2)))
            .collect();
        write_atomically(file, &render(&defaults)).map_err(|e| e.to_string())?;
    }
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    // tomllib rejects a BOM; basic-toml would too, but say it as tomllib does.
    if text.starts_with('\u{feff}') {
        return Err("Invalid config file: Invalid statement (at line 1, column 1)".to_owned());
    }
    let parsed: Map<String, Value> =
        basic_toml::from_str(&text).map_err(|e| format!("Invalid config file: {e}"))?;
    let mut view = Map::new();
    for (section, key, default, _, _) in FIELDS {
        let found = section
            .and_then(|s| parsed.get(s))
            .and_then(Value::as_object)
            .and_then(|t| t.get(*key));
        let value = match found {
            Some(v) if v == &json!("") && EMPTY_IS_NONE.contains(key) => Value::Null,
            Some(v) => v.clone(),
            None => default_of(default),
        };
        view.insert((*key).to_owned(), value);
    }
    Ok(view)
}

/// `_apply_env_overrides` (contract §8): Python's `str.lower()` for bools,
/// `int()` / `float()` for numbers (kept on `ValueError`), `split(",")` and
/// `strip()` for lists (only `""` kept), strings as they are. A float that
/// JSON cannot hold is applied too: its place holds `null` here, and
/// [`breaking_env`] makes the config `GET` a 500 as on the real proxy.
fn apply_env(mut values: Map<String, Value>, env: &BTreeMap<String, String>) -> Map<String, Value> {
    for (_, key, _, var, kind) in FIELDS {
        if var.is_empty() {
            continue;
        }
        if let Some(raw) = env.get(*var)
            && let Some(value) = py_env(kind, raw)
        {
            values.insert((*key).to_owned(), value.unwrap_or(Value::Null));
        }
    }
    values
}

/// The first env var whose value the proxy applies as a float JSON cannot hold.
fn breaking_env(env: &BTreeMap<String, String>) -> Option<&'static str> {
    FIELDS
        .iter()
        .find(|f| {
            f.4 == "float"
                && env
                    .get(f.3)
                    .is_some_and(|raw| py_env("float", raw) == Some(None))
        })
        .map(|f| f.3)
}

/// `None`: the file value stays; `Some(None)`: a non-finite float replaces it.
fn py_env(kind: &str, raw: &str) -> Option<Option<Value>> {
    let value = match kind {
        "bool" => json!(matches!(
            raw.to_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )),
        // `if env.get(...)`: an empty value is not even tried.
        "int_nonempty" if raw.is_empty() => return None,
        "int" | "int_nonempty" => py_int(raw)?,
        "float" => return py_float(raw).map(|f| Some(Value::from(f)).filter(|_| f.is_finite())),
        "list" if raw.is_empty() => return None,
        "list" => Value::Array(
            raw.split(',')
                .map(|s| s.trim_matches(py_isspace))
                .filter(|s| !s.is_empty())
                .map(|s| json!(s))
                .collect(),
        ),
        _ => json!(raw),
    };
    Some(Some(value))
}

/// `str.isspace()`: category Zs or bidirectional class WS, B or S.
fn py_isspace(c: char) -> bool {
    matches!(c, '\t'..='\r' | '\u{1c}'..='\u{20}' | '\u{85}' | '\u{a0}' | '\u{1680}'
        | '\u{2000}'..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}')
}

/// The "0" of each decimal-digit script in Unicode 14 (Python 3.11's
/// `unicodedata.decimal(c) == 0`); the nine digits follow each.
const DIGIT_ZEROS: &[u32] = &[
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// What CPython hands its number parsers: ASCII as is, other spaces as ' ',
/// other digits as ASCII digits; anything else is no number. Then ASCII
/// whitespace around is skipped (not U+001C..U+001F).
fn py_ascii(raw: &str) -> Option<String> {
    let mut out = String::new();
    for c in raw.chars() {
        let cp = u32::from(c);
        out.push(if cp < 0x80 {
            c
        } else if py_isspace(c) {
            ' '
        } else {
            let zero = DIGIT_ZEROS.iter().find(|z| (**z..**z + 10).contains(&cp))?;
            char::from(b'0' + u8::try_from(cp - zero).ok()?)
        });
    }
    Some(
        out.trim_matches(|c| " \t\n\r\u{b}\u{c}".contains(c))
            .to_owned(),
    )
}

/// Drop `_` where Python allows it (between two digits); `None` elsewhere.
fn py_underscores(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if *c != '_' {
            out.push(*c);
            continue;
        }
        let before = i.checked_sub(1).and_then(|j| chars.get(j));
        let after = chars.get(i + 1);
        if !(before.is_some_and(char::is_ascii_digit) && after.is_some_and(char::is_ascii_digit)) {
            return None;
        }
    }
    Some(out)
}

/// `int(raw)`, any size (serde_json keeps big integers' digits) up to
/// Python's 4300 digits.
fn py_int(raw: &str) -> Option<Value> {
    let text = py_underscores(&py_ascii(raw)?)?;
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(&text);
    if unsigned.is_empty() || unsigned.len() > 4300 || !unsigned.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let digits = unsigned.trim_start_matches('0');
    let sign = if text.starts_with('-') && !digits.is_empty() {
        "-"
    } else {
        ""
    };
    let digits = if digits.is_empty() { "0" } else { digits };
    serde_json::from_str(&format!("{sign}{digits}")).ok()
}

/// `float(raw)`: decimal text with an optional fraction and exponent, or
/// nan / inf / infinity in any case, each with a sign.
fn py_float(raw: &str) -> Option<f64> {
    let text = py_underscores(&py_ascii(raw)?)?;
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(&text);
    let negative = text.starts_with('-');
    let special = match unsigned.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "infinity" => Some(f64::INFINITY),
        _ => None,
    };
    if let Some(v) = special {
        return Some(if negative { -v } else { v });
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok =
        digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    text.parse().ok()
}

/// The proxy's writer: header, its sections in order, then `[misc]`; no trailing newline.
fn render(values: &Map<String, Value>) -> String {
    let mut out = String::from(
        "# ImageWorks Chat Proxy configuration.\n# Generated automatically. Edit values as needed.\n",
    );
    let mut current: Option<&str> = None;
    for (section, key, _, _, _) in FIELDS {
        let section = section.unwrap_or("misc");
        if current != Some(section) {
            out.push_str(&format!("\n[{section}]\n"));
            current = Some(section);
        }
        let value = values.get(*key).cloned().unwrap_or(Value::Null);
        out.push_str(&format!("{key} = {}\n", literal(&value)));
    }
    out.trim_end_matches('\n').to_owned()
}

/// `_format_value` (contract §8): only `"` is escaped in strings; a
/// backslash, tab or newline goes into the file raw. Numbers are Python's
/// `str()`, `None` is `""`, lists `[a, b]` with the same rules.
fn literal(value: &Value) -> String {
    match value {
        Value::Null => "\"\"".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.is_f64(), n.as_f64()) {
            (true, Some(f)) => python_repr(f),
            _ => n.to_string(),
        },
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(literal).collect::<Vec<_>>().join(", ")
        ),
        Value::String(s) => format!("\"{}\"", s.replace('"', "\\\"")),
        Value::Object(_) => format!("\"{}\"", value.to_string().replace('"', "\\\"")),
    }
}

/// Python's `repr(float)`: shortest digits; scientific below 1e-4 and from
/// 1e16 on, with a signed exponent of at least two digits.
fn python_repr(f: f64) -> String {
    let sci = format!("{f:e}");
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..16).contains(&exp) {
        let sign = if exp < 0 { "-" } else { "+" };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    // Positional: Rust prints the same shortest digits; Python adds ".0".
    let text = format!("{f}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// `write_config`: the text goes to `tempfile.mkstemp()` in the system temp
/// folder (mode 0600), then `Path.replace` moves it over the config. A
/// config on another filesystem makes that move fail with EXDEV (`OSError:
/// [Errno 18] Invalid cross-device link`) and the file stays as it was.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp =
        std::env::temp_dir().join(format!("chat_proxy_config_{}_{n}.toml", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(text.as_bytes())?;
    drop(file);
    let moved = std::fs::rename(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    moved
}
