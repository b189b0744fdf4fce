//! Talking to the proxy over HTTP. The GUI drives [`ProxyApi`] from a
//! background runtime and gets results over channels; tests and the GUI's
//! demo mode can put a fake behind the same trait.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::api_types::{Health, ModelList, ProxyConfigView, PutResponse};
use super::proxy_text::{SHOWN_CHARS, shown};
use super::restart::GpuStatus;

/// A boxed future, so the trait stays object-safe (`Box<dyn ProxyApi>`).
pub type ApiFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProxyError>> + Send + 'a>>;

/// The proxy endpoints the studio uses.
pub trait ProxyApi: Send + Sync {
    /// The base URL, for messages and history.
    fn base_url(&self) -> &str;
    fn health(&self) -> ApiFuture<'_, Health>;
    fn config(&self) -> ApiFuture<'_, ProxyConfigView>;
    fn models(&self) -> ApiFuture<'_, ModelList>;
    /// `GET /v1/gpu/status`: whether a job holds the GPU lease.
    fn gpu_status(&self) -> ApiFuture<'_, GpuStatus>;
    /// `PUT` the flat keys in `changes`; the proxy rewrites its whole file.
    fn put_config(&self, changes: Map<String, Value>) -> ApiFuture<'_, PutResponse>;
}

/// Every way talking to the proxy can fail, saying what, where and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("“{url}” is not a usable proxy URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot read CA file {path}: {reason}; fix the profile's CA file or remove it")]
    CaFile { path: PathBuf, reason: String },
    #[error(
        "env var {var} (the profile's token) is not set or not Unicode; set it or clear the token setting"
    )]
    TokenMissing { var: String },
    #[error("cannot set up the HTTP client: {reason}")]
    Client { reason: String },
    #[error(
        "{method} {url}: no answer within {after_s} s; is the proxy busy or hung? raise the timeout or restart it"
    )]
    Timeout {
        method: &'static str,
        url: String,
        after_s: f64,
    },
    #[error(
        "{method} {url}: cannot connect ({reason}); is the proxy running and is the URL right?"
    )]
    Connect {
        method: &'static str,
        url: String,
        reason: String,
    },
    #[error(
        "{method} {url}: the connection broke ({reason}); try again, and check the proxy's log if it persists"
    )]
    Transport {
        method: &'static str,
        url: String,
        reason: String,
    },
    #[error("{method} {url}: HTTP {status}: {}; {}", detail.as_deref().unwrap_or(body), status_hint(*status))]
    Status {
        method: &'static str,
        url: String,
        status: u16,
        /// FastAPI's `detail`, when the body has one.
        detail: Option<String>,
        /// The start of the body.
        body: String,
    },
    #[error(
        "{method} {url}: not an ImageWorks proxy answer: the answer is not the JSON the chat proxy sends (line {line}, column {column}: {reason}); body starts “{body}”; is this URL the chat proxy?"
    )]
    InvalidJson {
        method: &'static str,
        url: String,
        line: usize,
        column: usize,
        reason: String,
        body: String,
    },
}

impl ProxyError {
    /// True for an answer that is not the proxy's (not its JSON, a model
    /// list without `data`, a redirect to another origin): exit code 2, as
    /// for an unreachable proxy, never "0 served".
    pub fn is_not_proxy_answer(&self) -> bool {
        match self {
            Self::InvalidJson { .. } => true,
            Self::Status { status, .. } => (300..400).contains(status),
            _ => false,
        }
    }

    /// True when the proxy answered a write (a `PUT`) with a 4xx: it
    /// refused the change. The one rule for exit codes: a refusal is 1;
    /// unreachable, not the proxy's answer, a failing proxy (5xx) or a
    /// refused read are 2.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Status { method, status, .. }
            if *method != "GET" && (400..500).contains(status))
    }

    /// True for "the proxy could not be reached at all".
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Self::Timeout { .. } | Self::Connect { .. } | Self::Transport { .. }
        )
    }
}

/// How to reach one proxy.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientConfig {
    pub base_url: String,
    pub timeout: Duration,
    /// Name of the env var holding a bearer token, read at request time.
    pub token_env: Option<String>,
    /// A PEM file with an extra CA to trust besides the system roots.
    pub ca_file: Option<PathBuf>,
}

/// The real client, on reqwest with rustls. Every `HttpProxyClient` of
/// the process with the same trust (system roots, plus the same CA file if
/// any) shares one reqwest client ([`shared_http`]): one TLS configuration,
/// the system certificates read once, one connection pool per host. The
/// base URL and the timeout are this value's own, applied per request.
#[derive(Clone)]
pub struct HttpProxyClient {
    http: Arc<reqwest::Client>,
    base_url: String,
    timeout: Duration,
    token_env: Option<String>,
}

impl fmt::Debug for HttpProxyClient {
    // Only the token's variable name is shown; the token itself is never held.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpProxyClient")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("token_env", &self.token_env)
            .finish_non_exhaustive()
    }
}

const BODY_SNIPPET: usize = 200;

fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Another part of the process may have installed one already; either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The reqwest clients built so far, one per trust: `None` for the system
/// roots alone, else the extra CA file's PEM bytes (keyed by content, so an
/// edited CA file is read again and gets its own client). A fleet of 50
/// proxies builds one, not 50 (each build reads the whole system store).
static SHARED: Mutex<Vec<SharedClient>> = Mutex::new(Vec::new());

/// The extra CA's PEM bytes (`None`: system roots only) and the client built for them.
type SharedClient = (Option<Vec<u8>>, Arc<reqwest::Client>);

/// How many reqwest clients this process has built (tests and benches
/// check that a fleet builds one).
#[cfg(any(test, feature = "test-support"))]
static BUILT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many reqwest clients this process has built so far.
#[cfg(any(test, feature = "test-support"))]
pub fn http_clients_built() -> usize {
    BUILT.load(std::sync::atomic::Ordering::SeqCst)
}

/// The process's reqwest client for this trust, built on first use. The
/// lock is held while building, so two members asking at once still build
/// one. The timeout is not the client's: each request carries its own
/// (it covers connecting too).
fn shared_http(ca_file: Option<&std::path::Path>) -> Result<Arc<reqwest::Client>, ProxyError> {
    let ca_pem = ca_file.map(read_ca_pem).transpose()?;
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, http)) = shared.iter().find(|(key, _)| *key == ca_pem) {
        return Ok(Arc::clone(http));
    }
    install_crypto_provider();
    // Redirects only within the proxy's own origin (another service's
    // answer is never taken for the proxy's).
    let mut builder = reqwest::Client::builder().redirect(same_origin_redirects());
    if let (Some(path), Some(pem)) = (ca_file, &ca_pem) {
        builder = builder.tls_certs_merge([ca_certificate(path, pem)?]);
    }
    let http = Arc::new(builder.build().map_err(|e| ProxyError::Client {
        reason: error_chain(&e),
    })?);
    #[cfg(any(test, feature = "test-support"))]
    BUILT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    shared.push((ca_pem, Arc::clone(&http)));
    Ok(http)
}

impl HttpProxyClient {
    pub fn new(config: &ClientConfig) -> Result<Self, ProxyError> {
        let base_url = normalize_base_url(&config.base_url)?;
        let http = shared_http(config.ca_file.as_deref())?;
        Ok(Self {
            http,
            base_url,
            timeout: config.timeout,
            token_env: config.token_env.clone(),
        })
    }

    /// Whether `self` and `other` use the same reqwest client (and so the
    /// same TLS configuration and connection pools).
    #[cfg(any(test, feature = "test-support"))]
    pub fn shares_http_with(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.http, &other.http)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request to `url` with this proxy's timeout (the shared client has none).
    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.http.request(method, url).timeout(self.timeout)
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ProxyError> {
        let url = self.url(path);
        let request = self.authorize(self.request(reqwest::Method::GET, &url))?;
        self.send(request, "GET", url).await
    }

    /// `GET path` under the base URL: the status and the body, whatever the
    /// status (the caller knows what its server means by it). Used for the
    /// config's `[[endpoints]]`, which are not the chat proxy.
    pub async fn get_raw(&self, path: &str) -> Result<(u16, Vec<u8>), ProxyError> {
        let url = self.url(path);
        let request = self.authorize(self.request(reqwest::Method::GET, &url))?;
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_error("GET", &url, &e))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error("GET", &url, &e))?;
        Ok((status, body.to_vec()))
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        method: &'static str,
        url: String,
    ) -> Result<T, ProxyError> {
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_error(method, &url, &e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(method, &url, &e))?;
        if !status.is_success() {
            return Err(status_error(method, url, status.as_u16(), &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|e| ProxyError::InvalidJson {
            method,
            url,
            line: e.line(),
            column: e.column(),
            // serde_json repeats the position at the end; it is in the message already.
            reason: e
                .to_string()
                .trim_end_matches(&format!(" at line {} column {}", e.line(), e.column()))
                .to_owned(),
            body: snippet(&bytes),
        })
    }

    /// The token is read from its env var for each request and never kept.
    fn authorize(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, ProxyError> {
        let Some(var) = &self.token_env else {
            return Ok(request);
        };
        match std::env::var(var) {
            Ok(token) if !token.is_empty() => Ok(request.bearer_auth(token)),
            _ => Err(ProxyError::TokenMissing { var: var.clone() }),
        }
    }

    fn transport_error(&self, method: &'static str, url: &str, e: &reqwest::Error) -> ProxyError {
        let url = url.to_owned();
        if e.is_timeout() {
            ProxyError::Timeout {
                method,
                url,
                after_s: self.timeout.as_secs_f64(),
            }
        } else if e.is_connect() {
            ProxyError::Connect {
                method,
                url,
                reason: error_chain(e),
            }
        } else {
            ProxyError::Transport {
                method,
                url,
                reason: error_chain(e),
            }
        }
    }
}

impl ProxyApi for HttpProxyClient {
    fn base_url(&self) -> &str {
        &self.base_url
    }

    fn health(&self) -> ApiFuture<'_, Health> {
        Box::pin(self.get_json("/v1/health"))
    }

    fn config(&self) -> ApiFuture<'_, ProxyConfigView> {
        Box::pin(self.get_json("/v1/config/chat-proxy"))
    }

    fn models(&self) -> ApiFuture<'_, ModelList> {
        Box::pin(self.get_json("/v1/models"))
    }

    fn gpu_status(&self) -> ApiFuture<'_, GpuStatus> {
        Box::pin(self.get_json("/v1/gpu/status"))
    }

    fn put_config(&self, changes: Map<String, Value>) -> ApiFuture<'_, PutResponse> {
        Box::pin(async move {
            let url = self.url("/v1/config/chat-proxy");
            let request =
                self.authorize(self.request(reqwest::Method::PUT, &url).json(&changes))?;
            self.send(request, "PUT", url).await
        })
    }
}

/// `http://host:port` without a trailing slash; only http and https.
pub fn normalize_base_url(raw: &str) -> Result<String, ProxyError> {
    let bad = |reason: String| ProxyError::BadUrl {
        url: raw.to_owned(),
        reason,
    };
    let parsed = url::Url::parse(raw.trim())
        .map_err(|e| bad(format!("{e} (expected e.g. http://127.0.0.1:8100)")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(format!(
            "scheme “{}” is not http or https",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none() {
        return Err(bad("it has no host".to_owned()));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

fn read_ca_pem(path: &std::path::Path) -> Result<Vec<u8>, ProxyError> {
    std::fs::read(path).map_err(|e| ProxyError::CaFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn ca_certificate(path: &std::path::Path, pem: &[u8]) -> Result<reqwest::Certificate, ProxyError> {
    reqwest::Certificate::from_pem(pem).map_err(|e| ProxyError::CaFile {
        path: path.to_path_buf(),
        reason: format!("not a PEM certificate: {}", error_chain(&e)),
    })
}

/// What to do about an HTTP error status.
/// Redirects are followed within the proxy's own origin only: an answer
/// from another origin is not this proxy's (and the token is not sent
/// there). A redirect not followed comes back as its 3xx answer.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same && attempt.previous().len() < 10 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

fn status_hint(status: u16) -> &'static str {
    match status {
        300..=399 => {
            "not an ImageWorks proxy answer: a redirect to another origin (or a loop); use the proxy's own URL"
        }
        401 | 403 => "the proxy wants credentials: set the profile's token env var",
        404 => "this proxy has no such endpoint; is the URL the chat proxy's?",
        400..=499 => "the proxy refused the request",
        _ => {
            "the proxy failed; its log names the cause (the stock proxy answers 500 when it cannot read or write its config file, or cannot encode a value)"
        }
    }
}

fn status_error(method: &'static str, url: String, status: u16, body: &[u8]) -> ProxyError {
    let detail = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("detail").cloned())
        .map(|d| match d {
            Value::String(s) => shown(&s, SHOWN_CHARS),
            other => shown(&other.to_string(), SHOWN_CHARS),
        });
    ProxyError::Status {
        method,
        url,
        status,
        detail,
        body: snippet(body),
    }
}

/// The start of a body, safe to print.
fn snippet(body: &[u8]) -> String {
    // Only the start is decoded: a 1 MB body is not copied to be cut.
    let head = &body[..body.len().min(BODY_SNIPPET * 4)];
    let mut out = shown(&String::from_utf8_lossy(head), BODY_SNIPPET);
    if head.len() < body.len() && !out.ends_with(')') {
        out.push('…');
    }
    out
}

/// reqwest's top-level message is vague ("error sending request"); the
/// sources say "connection refused" or "connection reset".
/// The top level (which repeats the URL) is left out when there are sources.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    if e.source().is_none() {
        parts.push(e.to_string());
    }
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::proxy::profiles::ConnectionProfile;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// A fleet's members (their profiles: other URLs, other timeouts) and
    /// one-off clients all share one reqwest client: one TLS setup, the
    /// system store read once. A CA file adds one client per CA content.
    /// (One test: the build counter is process-wide.)
    #[test]
    fn every_proxy_client_shares_one_http_client() -> TestResult {
        let first = HttpProxyClient::new(&ClientConfig {
            base_url: "http://127.0.0.1:8100".to_owned(),
            timeout: Duration::from_secs(5),
            token_env: None,
            ca_file: None,
        })?;
        let built = http_clients_built();
        let members = (0..50)
            .map(|i| {
                let mut profile =
                    ConnectionProfile::new(&format!("p{i}"), &format!("http://10.0.0.{i}:8100"));
                profile.timeout_s = 1.0 + f64::from(i);
                profile.client()
            })
            .collect::<Result<Vec<_>, _>>()?;
        assert!(members.iter().all(|m| m.shares_http_with(&first)));
        assert_eq!(http_clients_built(), built, "no client built per member");
        assert_eq!(members[7].timeout, Duration::from_secs(8));
        assert_eq!(members[7].base_url(), "http://10.0.0.7:8100");

        // A CA file: its own client, shared by every profile naming the same CA.
        let dir = tempfile::tempdir()?;
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, TEST_CA)?;
        let with_ca = |url: &str| {
            HttpProxyClient::new(&ClientConfig {
                base_url: url.to_owned(),
                timeout: Duration::from_secs(5),
                token_env: None,
                ca_file: Some(ca.clone()),
            })
        };
        let (a, b) = (
            with_ca("https://a.lan:8100")?,
            with_ca("https://b.lan:8100")?,
        );
        assert!(a.shares_http_with(&b));
        assert!(!a.shares_http_with(&first));
        assert_eq!(http_clients_built(), built + 1);
        Ok(())
    }

    /// A self-signed test CA (its key was thrown away: only ever trusted,
    /// never served).
    const TEST_CA: &str = "-----BEGIN CERTIFICATE-----
MIIBkDCCATWgAwIBAgIUfd8QnkpIStn/XdBoL3FC4Oo61YIwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRaXctc3R1ZGlvIHRlc3QgQ0EwIBcNMjYxMjA3MjIxMjM2WhgP
MjEyNjExMTMyMjEyMzZaMBwxGjAYBgNVBAMMEWl3LXN0dWRpbyB0ZXN0IENBMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAElkKw6b0IWZt+U/bvna8HUb39FNyTe+ci
X71zisJbYplLYsKBHVvvOOiNLcOASgRvV1OC/m91CfKLuVC+4rBb1qNTMFEwHQYD
VR0OBBYEFJ92H8LdKDLVS3Tk6P0BVUPlYWsFMB8GA1UdIwQYMBaAFJ92H8LdKDLV
S3Tk6P0BVUPlYWsFMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIh
AP9PGNs1aLcgmH9MyW1KmG+vqhM2S2uMLSwArjd1vgOHAiEAnuiHGeapbmbghDNG
VhZ8cEyem/CTmJJoTRJUwT15qdQ=
-----END CERTIFICATE-----
";
}
