//! Drift: per proxy, which settings of the draft its file and its runtime
//! hold differently, and which proxies cannot be reached.

use serde::Serialize;
use serde_json::Value;

use super::{FleetMember, bounded};
use crate::core::document::ConfigDocument;
use crate::core::layout::LayoutSet;
use crate::core::proxy::api_types::Health;
use crate::core::proxy::api_types::ProxyConfigView;
use crate::core::proxy::client::ProxyError;
use crate::core::proxy::effective::preview;
use crate::core::proxy::push::read_back_of;

/// One proxy against the draft.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProxyDrift {
    pub url: String,
    pub name: String,
    pub reachable: bool,
    /// Setting paths (`server.port`) whose value in the proxy's file or
    /// runtime differs from the draft's, in layout order.
    pub drift: Vec<String>,
    /// Of those, the ones where the runtime differs but the file agrees
    /// (an env override on that proxy).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runtime_only: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uptime_s: Option<f64>,
    /// Why the proxy could not be reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The settings where `view` differs from `draft`: its file (a proxy
/// writes none as `""`, which is no difference) or its runtime (against
/// the draft under that proxy's env).
pub fn drift_of(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    view: &ProxyConfigView,
) -> (Vec<String>, Vec<String>) {
    let rows = preview(draft, layouts, Some(view), &view.env_overrides).rows;
    let mut drift = Vec::new();
    let mut runtime_only = Vec::new();
    for ((_, field), row) in layouts.proxy_fields().zip(rows) {
        let same =
            |found: &Value, want: &Value| found == want || *found == read_back_of(field, want);
        let file_differs = !same(row.file.as_ref().unwrap_or(&Value::Null), &row.draft);
        let runtime_differs = row
            .runtime
            .as_ref()
            .is_some_and(|r| !same(r, &row.effective));
        if file_differs || runtime_differs {
            drift.push(row.path.clone());
            if !file_differs {
                runtime_only.push(row.path);
            }
        }
    }
    (drift, runtime_only)
}

/// Every member against `draft`, contacted concurrently (at most `parallel` at once).
pub async fn drift(
    draft: &ConfigDocument,
    layouts: &LayoutSet,
    members: &[FleetMember],
    parallel: usize,
) -> Vec<ProxyDrift> {
    let asks: Vec<_> = members.iter().map(ask).collect();
    let answers = bounded(asks, parallel).await;
    members
        .iter()
        .zip(answers)
        .map(|(m, (view, health))| match view {
            Ok(view) => {
                let (drift, runtime_only) = drift_of(draft, layouts, &view);
                ProxyDrift {
                    url: m.url().to_owned(),
                    name: m.name().to_owned(),
                    reachable: true,
                    drift,
                    runtime_only,
                    uptime_s: health.map(|h| h.uptime_seconds),
                    error: None,
                }
            }
            Err(e) => ProxyDrift {
                url: m.url().to_owned(),
                name: m.name().to_owned(),
                reachable: false,
                drift: Vec::new(),
                runtime_only: Vec::new(),
                uptime_s: None,
                error: Some(e.to_string()),
            },
        })
        .collect()
}

/// One member's config view and health, asked at once (neither waits for
/// the other: one round trip, not two); health is kept only when the view came.
async fn ask(m: &FleetMember) -> (Result<ProxyConfigView, ProxyError>, Option<Health>) {
    let (view, health) = futures_util::future::join(m.api.config(), m.api.health()).await;
    let health = match &view {
        Ok(_) => health.ok(),
        Err(_) => None,
    };
    (view, health)
}

/// 0 when every proxy matches, 1 on any drift, 2 when a proxy cannot be reached.
pub fn drift_exit_code(report: &[ProxyDrift]) -> u8 {
    if report.iter().any(|p| !p.reachable) {
        2
    } else if report.iter().any(|p| !p.drift.is_empty()) {
        1
    } else {
        0
    }
}
