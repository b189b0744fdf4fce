//! An in-memory proxy behind [`ProxyApi`], for GUI tests and a demo mode
//! without a running proxy. It keeps a `file` view, recomputes `runtime`
//! from it and its env like the stock proxy, answers `PUT` with the stock
//! proxy's 400s, and records every accepted `PUT`. It has no file and no
//! comments, so losses and file pushes need the real thing (or the
//! stand-in server in tests/suite/support). Like the stock proxy it serves models
//! under display ids with the registry name in `logical_id`, and its uptime
//! grows until [`FakeProxy::restart`].

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde_json::{Map, Value};

use super::api_types::{Health, ModelList, ProxyConfigView, PutResponse};
use super::client::{ApiFuture, ProxyApi, ProxyError};
use super::effective::{preview, runtime_from};
use crate::core::document::ConfigDocument;
use crate::core::layout::LayoutSet;

pub const FAKE_BASE_URL: &str = "http://fake-proxy.invalid";

/// The stock proxy's `/v1/models` for six entries of `sample_configs/registry/`
/// (shared with the stand-in server in tests/suite/support).
const V1_MODELS: &str = include_str!("../../../tests/suite/support/v1_models.json");

/// How long the fake has been up when made: a proxy that was running before
/// the studio connected, so a push made now is clearly after its start.
const UPTIME_AT_START_S: f64 = 3600.0;

struct FakeState {
    view: ProxyConfigView,
    models: ModelList,
    unreachable: bool,
    puts: Vec<Map<String, Value>>,
    /// `uptime_seconds` = `uptime_base_s` + time since `since`.
    uptime_base_s: f64,
    since: Instant,
}

pub struct FakeProxy {
    layouts: LayoutSet,
    state: Mutex<FakeState>,
}

impl std::fmt::Debug for FakeProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeProxy").finish_non_exhaustive()
    }
}

impl FakeProxy {
    /// A proxy whose file is `doc` (as the proxy reads it) and whose env is `env`.
    pub fn from_document(
        doc: &ConfigDocument,
        layouts: &LayoutSet,
        env: BTreeMap<String, String>,
        config_file_path: &str,
    ) -> Self {
        let file: Map<String, Value> = preview(doc, layouts, None, &BTreeMap::new())
            .rows
            .into_iter()
            .map(|r| (r.key, r.draft))
            .collect();
        let view = ProxyConfigView {
            runtime: runtime_from(layouts, &file, &env),
            file,
            config_file_path: config_file_path.to_owned(),
            env_overrides: env,
            precedence: vec![
                "Environment variables (CHAT_PROXY_*)".to_owned(),
                "Config file (configs/chat_proxy.toml)".to_owned(),
                "Built-in defaults".to_owned(),
            ],
        };
        Self {
            layouts: layouts.clone(),
            state: Mutex::new(FakeState {
                view,
                models: serde_json::from_str(V1_MODELS).unwrap_or_default(),
                unreachable: false,
                puts: Vec::new(),
                uptime_base_s: UPTIME_AT_START_S,
                since: Instant::now(),
            }),
        }
    }

    /// As if the proxy process restarted now: its uptime starts again at 0.
    pub fn restart(&self) {
        let mut state = self.state();
        state.uptime_base_s = 0.0;
        state.since = Instant::now();
    }

    fn state(&self) -> MutexGuard<'_, FakeState> {
        // A panic elsewhere while holding the lock leaves consistent data here.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Make every request fail as if nothing listened.
    pub fn set_unreachable(&self, unreachable: bool) {
        self.state().unreachable = unreachable;
    }

    pub fn set_models(&self, models: ModelList) {
        self.state().models = models;
    }

    /// Change the file view behind the studio's back (to exercise the stale guard).
    pub fn edit_file(&self, key: &str, value: Value) {
        let mut state = self.state();
        state.view.file.insert(key.to_owned(), value);
        state.view.runtime =
            runtime_from(&self.layouts, &state.view.file, &state.view.env_overrides);
    }

    /// Every accepted `PUT` body, oldest first.
    pub fn puts(&self) -> Vec<Map<String, Value>> {
        self.state().puts.clone()
    }

    fn reachable(&self, method: &'static str, path: &str) -> Result<(), ProxyError> {
        if self.state().unreachable {
            return Err(ProxyError::Connect {
                method,
                url: format!("{FAKE_BASE_URL}{path}"),
                reason: "connection refused (fake proxy set unreachable)".to_owned(),
            });
        }
        Ok(())
    }

    fn put(&self, changes: Map<String, Value>) -> Result<PutResponse, ProxyError> {
        const PATH: &str = "/v1/config/chat-proxy";
        self.reachable("PUT", PATH)?;
        let bad_request = |detail: String| ProxyError::Status {
            method: "PUT",
            url: format!("{FAKE_BASE_URL}{PATH}"),
            status: 400,
            body: serde_json::json!({ "detail": detail }).to_string(),
            detail: Some(detail),
        };
        if changes.is_empty() {
            return Err(bad_request(
                "Request body must be a non-empty object.".to_owned(),
            ));
        }
        let mut unknown: Vec<&str> = changes
            .keys()
            .map(String::as_str)
            .filter(|k| self.layouts.proxy_field_by_key(k).is_none())
            .collect();
        if !unknown.is_empty() {
            unknown.sort_unstable();
            return Err(bad_request(format!(
                "'Unknown configuration field(s): {}'",
                unknown.join(", ")
            )));
        }
        let mut state = self.state();
        state.puts.push(changes.clone());
        // The proxy rewrites its whole file: every none it held goes back as "".
        for (key, value) in &mut state.view.file {
            if let Some((_, f)) = self.layouts.proxy_field_by_key(key) {
                *value = super::push::read_back_of(f, value);
            }
        }
        for (key, value) in changes {
            let read_back = match self.layouts.proxy_field_by_key(&key) {
                Some((_, f)) if !f.read_by_proxy => continue,
                Some((_, f)) => super::push::read_back_of(f, &value),
                None => value,
            };
            state.view.file.insert(key, read_back);
        }
        state.view.runtime =
            runtime_from(&self.layouts, &state.view.file, &state.view.env_overrides);
        Ok(PutResponse {
            status: "written".to_owned(),
            requires_restart: true,
            message: "Config file updated. Restart chat-proxy to apply changes.".to_owned(),
            rest: Map::new(),
        })
    }
}

impl ProxyApi for FakeProxy {
    fn base_url(&self) -> &str {
        FAKE_BASE_URL
    }

    fn health(&self) -> ApiFuture<'_, Health> {
        let result = self.reachable("GET", "/v1/health").map(|()| {
            let state = self.state();
            Health {
                status: "ok".to_owned(),
                uptime_seconds: state.uptime_base_s + state.since.elapsed().as_secs_f64(),
            }
        });
        Box::pin(async move { result })
    }

    fn config(&self) -> ApiFuture<'_, ProxyConfigView> {
        let result = self
            .reachable("GET", "/v1/config/chat-proxy")
            .map(|()| self.state().view.clone());
        Box::pin(async move { result })
    }

    fn gpu_status(&self) -> ApiFuture<'_, super::restart::GpuStatus> {
        let result = self
            .reachable("GET", "/v1/gpu/status")
            .map(|()| super::restart::GpuStatus::default());
        Box::pin(async move { result })
    }

    fn models(&self) -> ApiFuture<'_, ModelList> {
        let result = self
            .reachable("GET", "/v1/models")
            .map(|()| self.state().models.clone());
        Box::pin(async move { result })
    }

    fn put_config(&self, changes: Map<String, Value>) -> ApiFuture<'_, PutResponse> {
        let result = self.put(changes);
        Box::pin(async move { result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::proxy::push::{PushError, PushMode, PushTarget, plan_push};
    use crate::core::proxy::push_run::execute_push;

    #[test]
    fn a_push_to_the_fake_reads_back_and_the_stale_guard_fires()
    -> Result<(), Box<dyn std::error::Error>> {
        let layouts = LayoutSet::builtin()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let doc = ConfigDocument::parse("[server]\nport = 8100\n")?;
        let env = BTreeMap::from([("CHAT_PROXY_ENABLE_METRICS".to_owned(), "on".to_owned())]);
        let fake = FakeProxy::from_document(&doc, &layouts, env, "/remote/chat_proxy.toml");
        let view = rt.block_on(fake.config())?;
        assert_eq!(view.runtime.get("enable_metrics"), Some(&Value::Bool(true)));
        let mut draft = doc.clone();
        draft.set_value(
            &layouts,
            &"server.port".parse()?,
            toml_edit::Value::from(8123),
        )?;
        let plan = plan_push(
            &draft,
            &layouts,
            &view,
            &PushTarget::new(fake.base_url()),
            PushMode::Api,
        )?;
        let outcome = rt.block_on(execute_push(&fake, &plan, &layouts, true))?;
        assert!(outcome.verified && outcome.pushed.len() == 1, "{outcome:?}");
        assert_eq!(fake.puts().len(), 1);
        fake.edit_file("port", Value::from(1));
        let stale = rt.block_on(execute_push(&fake, &plan, &layouts, true));
        assert!(matches!(stale, Err(PushError::Stale { .. })), "{stale:?}");
        let unknown = fake.put(Map::from_iter([("bogus".to_owned(), Value::from(1))]));
        assert!(
            matches!(&unknown, Err(ProxyError::Status { status: 400, detail: Some(d), .. })
                if d == "'Unknown configuration field(s): bogus'"),
            "{unknown:?}"
        );
        let models = rt.block_on(fake.models())?;
        assert_eq!(models.data.len(), 6);
        assert_eq!(models.data[0].id, "qwen2.5vl 7b (Q4 K M)");
        assert_eq!(models.data[0].registry_name(), "qwen2.5vl_7b_(Q4_K_M)");
        let up = rt.block_on(fake.health())?.uptime_seconds;
        fake.restart();
        assert!(rt.block_on(fake.health())?.uptime_seconds < up);
        fake.set_unreachable(true);
        assert!(
            rt.block_on(fake.health())
                .is_err_and(|e| e.is_unreachable())
        );
        Ok(())
    }
}
