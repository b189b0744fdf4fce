use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Map, Value, json};

use super::apply::{RestartAsk, RollbackResult, TargetPush};
use super::*;
use crate::core::proxy::api_types::{Health, ModelList, PutResponse};
use crate::core::proxy::client::ApiFuture;
use crate::core::proxy::fake::FakeProxy;
use crate::core::proxy::history::HistoryResult;
use crate::core::proxy::restart::GpuStatus;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A fake proxy at its own URL whose `PUT` can be made to answer 500.
struct AtUrl {
    url: String,
    fake: FakeProxy,
    fail_puts: AtomicBool,
}

impl ProxyApi for AtUrl {
    fn base_url(&self) -> &str {
        &self.url
    }
    fn health(&self) -> ApiFuture<'_, Health> {
        self.fake.health()
    }
    fn config(&self) -> ApiFuture<'_, ProxyConfigView> {
        self.fake.config()
    }
    fn models(&self) -> ApiFuture<'_, ModelList> {
        self.fake.models()
    }
    fn gpu_status(&self) -> ApiFuture<'_, GpuStatus> {
        self.fake.gpu_status()
    }
    fn put_config(&self, changes: Map<String, Value>) -> ApiFuture<'_, PutResponse> {
        if self.fail_puts.load(Ordering::SeqCst) {
            let url = format!("{}/v1/config/chat-proxy", self.url);
            return Box::pin(async move {
                Err(ProxyError::Status {
                    method: "PUT",
                    url,
                    status: 500,
                    detail: None,
                    body: "Internal Server Error".to_owned(),
                })
            });
        }
        self.fake.put_config(changes)
    }
}

struct Fleet {
    layouts: LayoutSet,
    proxies: Vec<Arc<AtUrl>>,
    members: Vec<FleetMember>,
    rt: tokio::runtime::Runtime,
}

fn fleet(n: usize) -> Result<Fleet, Box<dyn std::error::Error>> {
    let layouts = LayoutSet::builtin()?;
    let doc = ConfigDocument::parse("[server]\nport = 8100\n")?;
    let proxies: Vec<Arc<AtUrl>> = (0..n)
        .map(|i| {
            Arc::new(AtUrl {
                url: format!("http://proxy-{i}:8100"),
                fake: FakeProxy::from_document(&doc, &layouts, BTreeMap::new(), "/remote/c.toml"),
                fail_puts: AtomicBool::new(false),
            })
        })
        .collect();
    let members = proxies
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let url = p.url.clone();
            FleetMember::new(ConnectionProfile::new(&format!("p{i}"), &url), p.clone())
        })
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(Fleet {
        layouts,
        proxies,
        members,
        rt,
    })
}

fn draft() -> Result<ConfigDocument, Box<dyn std::error::Error>> {
    Ok(ConfigDocument::parse("[server]\nport = 8123\n")?)
}

fn port(p: &AtUrl, rt: &tokio::runtime::Runtime) -> Value {
    rt.block_on(p.fake.config()).map_or(Value::Null, |v| {
        v.file.get("port").cloned().unwrap_or(Value::Null)
    })
}

#[test]
fn a_clean_fleet_push_reads_back_everywhere() -> TestResult {
    let f = fleet(3)?;
    let plan = f.rt.block_on(plan_fleet(
        &draft()?,
        &f.layouts,
        &f.members,
        PushMode::Api,
        2,
    ))?;
    assert_eq!(plan.targets.len(), 3);
    let outcome =
        f.rt.block_on(apply_fleet(&plan, &f.layouts, true, 2, None, &|_| {}));
    assert_eq!(outcome.status, FleetStatus::Pushed, "{}", outcome.headline);
    for p in &f.proxies {
        assert_eq!(port(p, &f.rt), json!(8123));
    }
    let entry = revert::history_entry("lab", &plan, &outcome);
    assert_eq!(entry.targets.len(), 3);
    assert!(entry.may_have_changed_file());
    assert!(matches!(entry.result, HistoryResult::Pushed { .. }));
    Ok(())
}

#[test]
fn one_put_answering_500_rolls_the_others_back() -> TestResult {
    let f = fleet(3)?;
    let plan = f.rt.block_on(plan_fleet(
        &draft()?,
        &f.layouts,
        &f.members,
        PushMode::Api,
        3,
    ))?;
    f.proxies[1].fail_puts.store(true, Ordering::SeqCst);
    let events = std::sync::Mutex::new(Vec::new());
    let outcome =
        f.rt.block_on(apply_fleet(&plan, &f.layouts, true, 3, None, &|e| {
            if let Ok(mut v) = events.lock() {
                v.push(e);
            }
        }));
    assert_eq!(
        outcome.status,
        FleetStatus::RolledBack,
        "{}",
        outcome.headline
    );
    for (i, p) in f.proxies.iter().enumerate() {
        assert_eq!(port(p, &f.rt), json!(8100), "proxy {i}");
    }
    // The stock proxy answers 500 when it could not replace its file (or
    // could not read it back); a re-read showing the file as before tells
    // which: it failed before writing, so nothing to roll back there.
    let failed = &outcome.targets[1];
    assert!(
        matches!(&failed.push, TargetPush::Failed { error } if error.contains("could not write its file") && error.contains("unchanged")),
        "{:?}",
        failed.push
    );
    assert!(failed.rollback.is_none());
    for i in [0, 2] {
        assert!(
            matches!(
                outcome.targets[i].rollback,
                Some(RollbackResult::RolledBack { .. })
            ),
            "{:?}",
            outcome.targets[i]
        );
        // the push, then the rollback
        assert_eq!(f.proxies[i].fake.puts().len(), 2);
    }
    assert!(events.lock().map_or(0, |e| e.len()) >= 3 + 3 + 2);
    // Every target is back or was never written: nothing is left to revert.
    let entry = revert::history_entry("lab", &plan, &outcome);
    assert!(revert::revert_targets(&entry).is_err());
    Ok(())
}

#[test]
fn a_stale_target_refuses_the_fleet_before_any_write() -> TestResult {
    let f = fleet(3)?;
    let plan = f.rt.block_on(plan_fleet(
        &draft()?,
        &f.layouts,
        &f.members,
        PushMode::Api,
        3,
    ))?;
    f.proxies[2].fake.edit_file("host", json!("0.0.0.0"));
    let outcome = f.rt.block_on(apply_fleet(
        &plan,
        &f.layouts,
        true,
        3,
        Some(RestartAsk::default()),
        &|_| {},
    ));
    assert_eq!(outcome.status, FleetStatus::Refused);
    assert!(outcome.headline.contains("p2"), "{}", outcome.headline);
    for p in &f.proxies {
        assert!(p.fake.puts().is_empty());
    }
    match &outcome.targets[2].push {
        TargetPush::NotWritten { reason } => assert!(reason.contains("host"), "{reason}"),
        other => panic!("{other:?}"),
    }
    Ok(())
}

#[test]
fn an_unreachable_target_refuses_the_plan() -> TestResult {
    let f = fleet(3)?;
    f.proxies[0].fake.set_unreachable(true);
    let refused = f.rt.block_on(plan_fleet(
        &draft()?,
        &f.layouts,
        &f.members,
        PushMode::Api,
        3,
    ));
    let Err(FleetPlanError::Targets { failed, total }) = refused else {
        panic!("expected a refused plan");
    };
    assert_eq!((failed.len(), total), (1, 3));
    assert_eq!(failed[0].name, "p0");
    let dup = vec![f.members[1].clone(), f.members[1].clone()];
    assert!(matches!(
        f.rt.block_on(plan_fleet(&draft()?, &f.layouts, &dup, PushMode::Api, 3)),
        Err(FleetPlanError::Duplicate { .. })
    ));
    Ok(())
}

#[test]
fn drift_names_the_proxy_and_the_setting() -> TestResult {
    let f = fleet(3)?;
    let same = ConfigDocument::parse("[server]\nport = 8100\n")?;
    let report = f.rt.block_on(drift(&same, &f.layouts, &f.members, 2));
    assert_eq!(drift_exit_code(&report), 0, "{report:?}");
    f.proxies[1].fake.edit_file("port", json!(9000));
    f.proxies[2].fake.set_unreachable(true);
    let report = f.rt.block_on(drift(&same, &f.layouts, &f.members, 2));
    assert_eq!(report[1].drift, vec!["server.port".to_owned()]);
    assert!(report[0].drift.is_empty() && report[0].uptime_s.is_some());
    assert!(!report[2].reachable && report[2].error.is_some());
    assert_eq!(drift_exit_code(&report), 2);
    assert_eq!(drift_exit_code(&report[..2]), 1);
    Ok(())
}

#[test]
fn a_fleet_revert_puts_every_target_back() -> TestResult {
    let f = fleet(3)?;
    let plan = f.rt.block_on(plan_fleet(
        &draft()?,
        &f.layouts,
        &f.members,
        PushMode::Api,
        3,
    ))?;
    let outcome =
        f.rt.block_on(apply_fleet(&plan, &f.layouts, true, 3, None, &|_| {}));
    let entry = revert::history_entry("lab", &plan, &outcome);
    let targets = revert::revert_targets(&entry)?;
    let pairs: Vec<_> = targets
        .iter()
        .zip(&f.members)
        .map(|(t, m)| (m.clone(), t.changes.clone()))
        .collect();
    let back =
        f.rt.block_on(revert::plan_revert(&f.layouts, &pairs, PushMode::Api, 3))?;
    assert!(back.targets.iter().all(|t| t.plan.changes.len() == 1));
    let undone =
        f.rt.block_on(apply_fleet(&back, &f.layouts, true, 3, None, &|_| {}));
    assert_eq!(undone.status, FleetStatus::Pushed, "{}", undone.headline);
    for p in &f.proxies {
        assert_eq!(port(p, &f.rt), json!(8100));
    }
    Ok(())
}

/// A proxy whose config answer waits until health has been asked too
/// (bounded: after 10 s it fails), so asking one after the other fails.
struct ConfigWaitsForHealth {
    fake: FakeProxy,
    health_asked: tokio::sync::Notify,
}

impl ProxyApi for ConfigWaitsForHealth {
    fn base_url(&self) -> &str {
        "http://proxy-waits:8100"
    }
    fn health(&self) -> ApiFuture<'_, Health> {
        // `notify_one` keeps a permit when nobody waits yet.
        self.health_asked.notify_one();
        self.fake.health()
    }
    fn config(&self) -> ApiFuture<'_, ProxyConfigView> {
        Box::pin(async move {
            let waited = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                self.health_asked.notified(),
            )
            .await;
            if waited.is_err() {
                return Err(ProxyError::Timeout {
                    method: "GET",
                    url: "http://proxy-waits:8100/v1/config/chat-proxy".to_owned(),
                    after_s: 10.0,
                });
            }
            self.fake.config().await
        })
    }
    fn models(&self) -> ApiFuture<'_, ModelList> {
        self.fake.models()
    }
    fn gpu_status(&self) -> ApiFuture<'_, GpuStatus> {
        self.fake.gpu_status()
    }
    fn put_config(&self, changes: Map<String, Value>) -> ApiFuture<'_, PutResponse> {
        self.fake.put_config(changes)
    }
}

#[test]
fn drift_asks_config_and_health_at_once() -> TestResult {
    let layouts = LayoutSet::builtin()?;
    let doc = draft()?;
    let proxy = Arc::new(ConfigWaitsForHealth {
        fake: FakeProxy::from_document(&doc, &layouts, BTreeMap::new(), "/remote/c.toml"),
        health_asked: tokio::sync::Notify::new(),
    });
    let member = FleetMember::new(
        ConnectionProfile::new("waits", "http://proxy-waits:8100"),
        proxy,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(drift(&doc, &layouts, &[member], 1));
    assert!(report[0].reachable, "{report:?}");
    assert!(report[0].uptime_s.is_some(), "{report:?}");
    assert!(report[0].drift.is_empty(), "{report:?}");
    Ok(())
}

#[test]
fn by_default_every_proxy_is_contacted_at_once_up_to_32() {
    assert_eq!(default_parallel(0), 1);
    assert_eq!(default_parallel(1), 1);
    assert_eq!(default_parallel(10), 10);
    assert_eq!(default_parallel(50), MAX_DEFAULT_PARALLEL);
    assert_eq!(MAX_DEFAULT_PARALLEL, 32);
}
