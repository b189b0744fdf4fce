//! The fleet on Preview & push, driven by labels against three stand-in
//! proxies on loopback: pick the fleet, check it (the grid), plan a push
//! (the dialog, one tab per target), push, and the per-target results.
//! Snapshots of the grid and the dialog (`UPDATE_SNAPSHOTS=1` writes them).

use crate::support::app as common;
use crate::support::test_proxy;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use common::{harness, run_until, snapshot_harness};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use iw_studio::core::layout::LayoutSet;
use iw_studio::core::proxy::fleet::FleetStatus;
use iw_studio::ui::StudioApp;
use iw_studio::ui::actions::Action;
use iw_studio::ui::app::AppSettings;
use iw_studio::ui::live::{FleetGrid, FleetPush, LiveProxy};
use iw_studio::ui::nav::PageId;
use test_proxy::TestProxy;

const NAMES: [&str; 3] = ["gpu", "laptop", "staging"];
const PROXY_FILE: &str = "[server]\nport = 8100\n";

struct Lab {
    _dir: tempfile::TempDir,
    proxies: Vec<TestProxy>,
    history: std::path::PathBuf,
}

/// The app on Preview & push with fleet `lab` of three stand-ins in its
/// profiles file; the draft is the sample at a relative path (never
/// written), so no temp path shows in the images.
fn lab_app() -> (StudioApp, Lab) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut proxies = Vec::new();
    let mut profiles = String::new();
    for name in NAMES {
        let file = dir.path().join(name).join("chat_proxy.toml");
        std::fs::create_dir_all(file.parent().expect("a folder")).expect("the folder");
        std::fs::write(&file, PROXY_FILE).expect("the proxy's file");
        let proxy = TestProxy::start(&file, BTreeMap::new()).expect("a stand-in proxy");
        profiles.push_str(&format!(
            "[[profile]]\nname = \"{name}\"\nbase_url = \"{}\"\n\n",
            proxy.url()
        ));
        proxies.push(proxy);
    }
    profiles.push_str("[fleets]\nlab = [\"gpu\", \"laptop\", \"staging\"]\n");
    let profiles_path = dir.path().join("profiles.toml");
    std::fs::write(&profiles_path, profiles).expect("the profiles file");
    let history = dir.path().join("history");
    let layouts = Arc::new(LayoutSet::builtin().expect("the built-in layouts load"));
    let live = LiveProxy::new(Default::default(), Some(history.clone()))
        .with_profiles_file(Some(profiles_path));
    let mut app = StudioApp::with_live(layouts, AppSettings::default(), live);
    let ctx = egui::Context::default();
    app.open(&ctx, Path::new("sample_configs/full_example.toml"));
    app.handle(&ctx, Action::Navigate(PageId::Preview));
    (
        app,
        Lab {
            _dir: dir,
            proxies,
            history,
        },
    )
}

/// Pick fleet `lab` in the selector.
fn select_lab(h: &mut Harness<'_, StudioApp>) {
    h.get_by_role_and_label(Role::ComboBox, "Fleet").click();
    h.run();
    h.get_by_label("lab").click();
    h.run();
}

fn check_fleet(h: &mut Harness<'_, StudioApp>) {
    h.get_by_role_and_label(Role::Button, "⟳ Check fleet")
        .click();
    run_until(h, |app| {
        matches!(app.live().fleet_ui().grid, FleetGrid::Ready(_))
    });
}

/// Uptimes ("0s", "1s") and the stand-ins' ports change from run to run.
fn mask_uptimes_and_ports(h: &mut Harness<'_, StudioApp>) {
    let rects: Vec<egui::Rect> = h
        .query_all_by(|n| {
            n.label().or_else(|| n.value()).is_some_and(|l| {
                l.contains("127.0.0.1:")
                    || (l.len() > 1
                        && l.ends_with('s')
                        && l[..l.len() - 1].chars().all(|c| c.is_ascii_digit()))
            })
        })
        .map(|n| n.rect())
        .collect();
    for r in rects {
        h.mask(r);
    }
}

/// The stand-ins' ports only (the modal covers the grid's uptimes).
fn mask_ports(h: &mut Harness<'_, StudioApp>) {
    let rects: Vec<egui::Rect> = h
        .query_all_by(|n| {
            n.label()
                .or_else(|| n.value())
                .is_some_and(|l| l.contains("127.0.0.1:"))
        })
        .map(|n| n.rect())
        .collect();
    for r in rects {
        h.mask(r);
    }
}

const CONFIRM: &str =
    "I understand: push anyway and lose these (on every target that loses something)";

/// Push the reviewed fleet plan, wait for every target, check that all
/// took it (nothing rolled back) and close the dialog.
fn push_and_close(h: &mut Harness<'_, StudioApp>) {
    h.get_by_role_and_label(Role::Button, "⬆ Push to 3 proxies")
        .click();
    run_until(h, |app| {
        matches!(app.live().fleet_ui().push, FleetPush::Done { .. })
    });
    let FleetPush::Done { outcome, .. } = &h.state().live().fleet_ui().push else {
        unreachable!()
    };
    assert_eq!(outcome.status, FleetStatus::Pushed, "{}", outcome.headline);
    assert!(h.query_by_label("rolled back").is_none());
    h.get_by_role_and_label(Role::Button, "Close").click();
    h.run();
    assert!(matches!(
        h.state().live().fleet_ui().push,
        FleetPush::Closed
    ));
}

#[test]
fn the_fleet_grid_and_push_dialog_push_to_all_three() {
    let (app, lab) = lab_app();
    let mut h = harness(app);
    h.run();
    select_lab(&mut h);
    assert_eq!(h.state().live().fleet_ui().selected.as_deref(), Some("lab"));
    check_fleet(&mut h);
    let rows = h.state().live().fleet_rows();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| r.drift.reachable && !r.drift.drift.is_empty())
    );
    assert!(rows.iter().all(|r| r.last_push.is_none()));
    let drift_before: Vec<_> = rows.iter().map(|r| r.drift.drift.clone()).collect();
    let _ = h.get_by_label("gpu");
    assert!(h.query_by_label("laptop").is_some() && h.query_by_label("staging").is_some());

    h.get_by_role_and_label(Role::Button, "⬆ Push to fleet via API…")
        .click();
    run_until(&mut h, |app| {
        matches!(app.live().fleet_ui().push, FleetPush::Review { .. })
    });
    let push = h.get_by_role_and_label(Role::Button, "⬆ Push to 3 proxies");
    assert!(
        push.accesskit_node().is_disabled(),
        "the API cannot carry [ui] and [storage]: confirmation first"
    );
    let laptop_tab = h
        .query_all_by(|n| n.label().is_some_and(|l| l.starts_with("laptop (")))
        .next()
        .map(|n| n.rect());
    assert!(laptop_tab.is_some(), "one tab per target");
    h.get_by(|n| n.label().is_some_and(|l| l.starts_with("laptop (")))
        .click();
    h.run();
    assert_eq!(h.state().live().fleet_ui().tab, 1);
    h.get_by_role_and_label(Role::CheckBox, CONFIRM).click();
    h.run();
    push_and_close(&mut h);
    assert!(lab.proxies.iter().all(|p| p.puts() == 1));
    let entries = iw_studio::core::proxy::history::list(&lab.history)
        .expect("the history reads")
        .entries;
    assert_eq!(entries.len(), 1, "one entry for the fleet push");
    assert_eq!(entries[0].targets.len(), 3);
    // The grid, checked again, has the push as each proxy's last push.
    check_fleet(&mut h);
    assert!(
        h.state()
            .live()
            .fleet_rows()
            .iter()
            .all(|r| r.last_push.is_some())
    );

    // Revert… on the fleet push: planned for all three, pushed as one step.
    h.get_by_role_and_label(Role::Button, "Revert…").click();
    run_until(&mut h, |app| {
        matches!(app.live().fleet_ui().push, FleetPush::Review { .. })
    });
    assert_eq!(h.state().live().fleet_ui().job, "lab (revert of #0)");
    let FleetPush::Review { plan, .. } = &h.state().live().fleet_ui().push else {
        unreachable!()
    };
    assert_eq!(plan.targets.len(), 3, "every target the push changed");
    if h.query_by_role_and_label(Role::CheckBox, CONFIRM).is_some() {
        h.get_by_role_and_label(Role::CheckBox, CONFIRM).click();
        h.run();
    }
    push_and_close(&mut h);
    assert!(lab.proxies.iter().all(|p| p.puts() == 2));
    check_fleet(&mut h);
    let drift_after: Vec<_> = h
        .state()
        .live()
        .fleet_rows()
        .iter()
        .map(|r| r.drift.drift.clone())
        .collect();
    assert_eq!(
        drift_after, drift_before,
        "every proxy is back where it was"
    );
    let entries = iw_studio::core::proxy::history::list(&lab.history)
        .expect("the history reads")
        .entries;
    assert_eq!(entries.len(), 2, "the revert is one more entry");
}

#[test]
fn snapshots_of_the_fleet_grid_and_the_fleet_push_dialog() {
    let (app, _lab) = lab_app();
    let mut h = snapshot_harness(app);
    h.run();
    select_lab(&mut h);
    check_fleet(&mut h);
    mask_uptimes_and_ports(&mut h);
    h.snapshot("fleet_grid");
    h.get_by_role_and_label(Role::Button, "⬆ Push to fleet via API…")
        .click();
    run_until(&mut h, |app| {
        matches!(app.live().fleet_ui().push, FleetPush::Review { .. })
    });
    mask_ports(&mut h);
    h.snapshot("fleet_push_dialog");
}

/// Issue 27: a member running another ImageWorks version (its `runtime`
/// lacks a setting the others know and has one of its own) is marked in
/// the fleet grid, and the mark says which settings.
#[test]
fn a_member_of_another_version_is_marked_in_the_fleet_grid() {
    let (app, lab) = lab_app();
    lab.proxies[1].set_version(
        &["vllm_health_host"],
        &[("vllm_future_knob", serde_json::json!(3))],
    );
    let mut h = harness(app);
    h.run();
    select_lab(&mut h);
    check_fleet(&mut h);
    h.run();
    // Every member differs from another in what it knows: the laptop lacks
    // one setting, the others lack the laptop's own.
    let marks = h.query_all_by_label("other version").count();
    assert_eq!(marks, 3);
    let FleetGrid::Ready(rows) = &h.state().live().fleet_ui().grid else {
        unreachable!("check_fleet waited for the grid")
    };
    let laptop = rows
        .iter()
        .find(|r| r.name == "laptop")
        .expect("the laptop's row");
    let said = laptop.known_keys.describe();
    assert!(
        said.contains("vllm_health_host") && said.contains("vllm_future_knob"),
        "{said}"
    );
}
