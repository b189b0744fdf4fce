//! Stand-ins for the servers an `[[endpoints]]` entry points at: an
//! OpenAI-style one (`GET /v1/models`, as vLLM and LMDeploy answer it) and
//! an Ollama one (`GET /api/tags`), each optionally checking a bearer
//! token. Written from the servers' documented answers, not from the
//! studio's parser. Bound to 127.0.0.1 on a free port; stopped on drop.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    OpenAi,
    Ollama,
}

struct Served {
    flavor: Flavor,
    models: Vec<String>,
    /// `Authorization: Bearer <token>` required when set.
    token: Option<String>,
}

pub struct ModelServer {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ModelServer {
    pub fn start(flavor: Flavor, models: &[&str], token: Option<&str>) -> std::io::Result<Self> {
        let served = Arc::new(Served {
            flavor,
            models: models.iter().map(|m| (*m).to_owned()).collect(),
            token: token.map(str::to_owned),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("model-server".to_owned())
            .spawn(move || serve(listener, served, rx))?;
        Ok(Self {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The root URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ModelServer {
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
    served: Arc<Served>,
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
        let path = match served.flavor {
            Flavor::OpenAi => "/v1/models",
            Flavor::Ollama => "/api/tags",
        };
        let state = served.clone();
        let app = Router::new().route(
            path,
            get(move |headers: HeaderMap| {
                let state = state.clone();
                async move { list(&state, &headers) }
            }),
        );
        tokio::select! {
            _ = axum::serve(listener, app) => {}
            _ = stop => {}
        }
    });
    rt.shutdown_background();
}

fn list(served: &Served, headers: &HeaderMap) -> Response {
    if let Some(token) = &served.token {
        let sent = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if sent != Some(token.as_str()) {
            // Some servers echo what they got; the studio must not show it.
            let got = sent.unwrap_or("");
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"error": {"message": format!("invalid api key '{got}'"), "type": "invalid_request_error"}})),
            )
                .into_response();
        }
    }
    let body: Value = match served.flavor {
        Flavor::OpenAi => json!({
            "object": "list",
            "data": served.models.iter().map(|m| json!({
                "id": m, "object": "model", "created": 1_733_000_000, "owned_by": "vllm", "max_model_len": 32768
            })).collect::<Vec<_>>(),
        }),
        Flavor::Ollama => json!({
            "models": served.models.iter().map(|m| json!({
                "name": m, "model": m, "modified_at": "2026-11-30T10:00:00Z", "size": 17_000_000_000_u64,
                "digest": "a2af6cc3eb7f", "details": {"format": "gguf", "family": "gemma3", "parameter_size": "27B", "quantization_level": "Q4_K_M"}
            })).collect::<Vec<_>>(),
        }),
    };
    axum::Json(body).into_response()
}
