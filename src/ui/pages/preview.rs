//! Preview & push: what the proxy will actually run with, and why. One row
//! per setting: default | the proxy's file | this draft | env override |
//! effective after push and restart | what the proxy would run with after a
//! restart (its `runtime`), with "restart pending" on keys pushed since the
//! proxy last started.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use serde_json::Value;

use crate::core::layout::LayoutSet;
use crate::core::proxy::workflow::Verdict;
use crate::core::proxy::{
    Attr, AttrSource, EnvOutcome, HistoryResult, Preview, PreviewMode, PreviewRow, PushMode,
    RestartState, ServedModel, Source, UnknownKey,
};
use crate::core::rescue::run::RescueStep;
use crate::core::session::EditSession;
use crate::ui::actions::Action;
use crate::ui::live::{LiveAction, LiveProxy, RescueRun, clock, human_duration};
use crate::ui::theme;
use crate::ui::widgets::{badge, cut_label, shown, shown_value};

/// The page's own view state (the live proxy's model is `LiveProxy`).
#[derive(Debug)]
pub struct PreviewView {
    /// Hide rows where nothing differs.
    pub only_differences: bool,
    /// `/v1/models` joined with the registry (set by the app when either changes).
    pub served: Vec<ServedModel>,
    /// The height of the strip below the table, measured last frame.
    pub lower_strip: f32,
}

impl Default for PreviewView {
    fn default() -> Self {
        Self {
            only_differences: false,
            served: Vec::new(),
            lower_strip: LOWER_STRIP,
        }
    }
}

/// A proxy that does not answer, or whose config endpoint fails, while its
/// file is here (the open file): why it cannot start, and one button that
/// runs the rescue (`LiveAction::Rescue`), its steps shown as they happen.
fn rescue_banner(ui: &mut Ui, live: &LiveProxy, session: &EditSession, actions: &mut Vec<Action>) {
    let v = ui.visuals().clone();
    let steps_list = |ui: &mut Ui, steps: &[RescueStep]| {
        for step in steps {
            let (mark, tone) = if step.ok {
                ("✔", theme::ok(&v))
            } else {
                ("✖", theme::error(&v))
            };
            ui.label(RichText::new(format!("{mark} {}", shown(&step.text))).color(tone));
        }
    };
    match live.rescue() {
        RescueRun::Running { file, steps, .. } => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Rescuing the proxy with {}…", file.display()));
            });
            steps_list(ui, steps);
            return;
        }
        RescueRun::Done { steps, report, .. } => {
            let ok = report.verdict == Verdict::Ok;
            let tone = if ok { theme::ok(&v) } else { theme::error(&v) };
            steps_list(ui, steps);
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(shown(&report.headline)).strong().color(tone));
                if ui.button("Close").clicked() {
                    actions.push(Action::Live(LiveAction::CloseRescue));
                }
            });
            return;
        }
        RescueRun::Failed(why) => {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    theme::error(&v),
                    format!("Rescue not started: {}", shown(why)),
                );
                if ui.button("Close").clicked() {
                    actions.push(Action::Live(LiveAction::CloseRescue));
                }
            });
            return;
        }
        RescueRun::Idle => {}
    }
    let (Some(why), Some(file)) = (live.cannot_answer(), session.path()) else {
        return;
    };
    // The file as the session last read or wrote it: no disk read per frame.
    let headline = match LiveProxy::file_error(session.disk_text()) {
        Some(error) => format!("⛔ The proxy cannot start: {error}"),
        None => format!("⛔ The proxy cannot be read: {why}"),
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(shown(&headline)).strong().color(theme::error(&v)));
        if ui
            .button("🔧 Rescue the proxy")
            .on_hover_text(format!(
                "Mend {} (repairs, quick fixes, or the last version the proxy could read), save it, restart the proxy with the profile's command and check that it answers with the mended values",
                file.display()
            ))
            .clicked()
        {
            actions.push(Action::Live(LiveAction::Rescue(file.to_path_buf())));
        }
    });
}

/// The header of the proxy's `runtime` column, and why it is called that.
const AFTER_RESTART: &str = "After restart";
const AFTER_RESTART_TIP: &str = "The proxy's “runtime”: it recomputes it from its file and env on every request, so this is what a restart would run with. The running process keeps what it started with until it restarts.";

pub fn show(
    ui: &mut Ui,
    live: &LiveProxy,
    view: &mut PreviewView,
    session: &EditSession,
    layouts: &LayoutSet,
    actions: &mut Vec<Action>,
) {
    ui.heading("🔍 Preview & push");
    connection_bar(ui, live, actions);
    rescue_banner(ui, live, session, actions);
    super::profiles::show(ui, live, actions);
    let preview = live.preview(session.doc(), layouts);
    let restart = live.restart_state();
    mode_banner(ui, live, &preview);
    restart_banner(ui, restart.as_ref());
    other_env(ui, &preview);
    ui.horizontal(|ui| {
        ui.checkbox(&mut view.only_differences, "Only what differs")
            .on_hover_text(
                "Hide settings where this draft, the proxy's file (offline: the default) and the effective value agree, however the file spells them",
            );
        ui.separator();
        let connected = live.config().value().is_some();
        let errors = session.error_count();
        let can_push = connected && errors == 0 && session.parse_error().is_none();
        let why = if !connected {
            "Connect to a proxy first"
        } else if errors > 0 {
            "The draft has errors: the proxy would accept them and fail later"
        } else {
            "Review the push: the changes, the file as the proxy will write it, and what is lost"
        };
        for (label, mode) in [
            ("⬆ Push via API…", PushMode::Api),
            ("⬆ Push file…", PushMode::File),
        ] {
            if ui
                .add_enabled(can_push, egui::Button::new(label))
                .on_hover_text(why)
                .on_disabled_hover_text(why)
                .clicked()
            {
                actions.push(Action::Live(LiveAction::OpenPush(mode)));
            }
        }
        super::restart_dialog::restart_button(ui, live, connected, actions);
    });
    let draft_ok = session.error_count() == 0 && session.parse_error().is_none();
    super::fleet::panel(ui, live, draft_ok, actions);
    super::fleet::dialog(ui.ctx(), live, actions);
    ui.add_space(4.0);
    let rows: Vec<&PreviewRow> = preview
        .rows
        .iter()
        .filter(|r| !view.only_differences || r.differs())
        .collect();
    if rows.is_empty() {
        ui.label(
            RichText::new(
                "Nothing differs: the draft, the proxy's file and the effective values agree.",
            )
            .color(theme::muted(ui.visuals())),
        );
    }
    // The table takes what the strip below (served models, history) leaves:
    // the strip's height is measured each frame, so the page is filled
    // whatever the window size, and a short table shrinks to its rows.
    let table_height = (ui.available_height() - view.lower_strip).max(MIN_TABLE);
    let width = ui.available_width();
    ui.allocate_ui(egui::vec2(width, table_height), |ui| {
        ui.set_max_height(table_height);
        table(
            ui,
            &rows,
            &preview.unknown_to_studio,
            preview.mode == PreviewMode::Connected,
            restart.as_ref(),
        );
    });
    let strip = ui
        .scope(|ui| {
            ui.separator();
            ui.columns(2, |cols| {
                models_panel(&mut cols[0], live, &view.served);
                history_panel(&mut cols[1], live, actions);
            });
        })
        .response
        .rect
        .height()
        + ui.spacing().item_spacing.y;
    if (strip - view.lower_strip).abs() > 0.5 {
        view.lower_strip = strip;
        ui.ctx().request_repaint();
    }
}

/// Height kept below the table before the strip was first measured.
pub const LOWER_STRIP: f32 = 200.0;
/// The narrowest the table's columns get: the setting, each value, the notes
/// (room for a badge such as "masked by env"; more show on a wider window).
const SETTING_MIN: f32 = 150.0;
const VALUE_MIN: f32 = 75.0;
const NOTES_MIN: f32 = 120.0;
/// The table never gets less than this, however small the window.
const MIN_TABLE: f32 = 160.0;

fn connection_bar(ui: &mut Ui, live: &LiveProxy, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        let label = ui.label("Proxy profile");
        let active = live.profiles().active().name.clone();
        let mut pick = active.clone();
        egui::ComboBox::from_id_salt("profile")
            .selected_text(&active)
            .show_ui(ui, |ui| {
                for p in live.profiles().all() {
                    ui.selectable_value(
                        &mut pick,
                        p.name.clone(),
                        format!("{}  ({})", p.name, p.base_url),
                    );
                }
            })
            .response
            .labelled_by(label.id);
        if pick != active {
            actions.push(Action::Live(LiveAction::SelectProfile(pick)));
        }
        ui.label(RichText::new(live.base_url()).monospace());
        let busy = live.health().is_pending() || live.config().is_pending();
        if ui
            .add_enabled(!busy, egui::Button::new("⟲ Refresh"))
            .on_hover_text("Ask the proxy for its health, config and models")
            .clicked()
        {
            actions.push(Action::Live(LiveAction::Refresh));
        }
        if busy {
            ui.spinner();
        }
        let mut auto = live.auto_refresh_s().is_some();
        if ui.checkbox(&mut auto, "every").changed() {
            actions.push(Action::Live(LiveAction::AutoRefresh(auto.then_some(10))));
        }
        let mut secs = live.auto_refresh_s().unwrap_or(10);
        if ui
            .add_enabled(
                auto,
                egui::DragValue::new(&mut secs).range(2..=3600).suffix(" s"),
            )
            .changed()
        {
            actions.push(Action::Live(LiveAction::AutoRefresh(Some(secs))));
        }
    });
    if let Some(e) = live.setup_error() {
        ui.colored_label(theme::error(ui.visuals()), e);
    }
}

fn mode_banner(ui: &mut Ui, live: &LiveProxy, preview: &Preview) {
    let v = ui.visuals().clone();
    if let Some(e) = live.config().error() {
        ui.colored_label(theme::error(&v), format!("⛔ {e}"));
    }
    match preview.mode {
        PreviewMode::Connected => {
            let path = live
                .config()
                .value()
                .map(|c| c.config_file_path.clone())
                .unwrap_or_default();
            let uptime = live
                .health()
                .value()
                .map_or_else(|| "?".into(), |h| human_duration(h.uptime_seconds));
            let at = live.config().fetched_at().map(clock).unwrap_or_default();
            ui.label(
                RichText::new(format!(
                    "Connected to {} · file {path} · up {uptime} · refreshed {at}",
                    live.base_url()
                ))
                .color(theme::ok(&v)),
            );
        }
        PreviewMode::Offline => {
            ui.label(
                RichText::new("OFFLINE PREVIEW: built-in defaults < this draft < this machine's CHAT_PROXY_* environment. No proxy is connected, so there is no proxy file or runtime to compare with.")
                    .color(theme::warning(&v))
                    .strong(),
            );
        }
    }
    let env_errors = preview.env_errors();
    if !env_errors.is_empty() {
        theme::card(&v)
            .fill(theme::badge_fill(&v, theme::error(&v)))
            .show(ui, |ui| {
                ui.label(
                    RichText::new("⛔ An env value breaks the proxy's config endpoint")
                        .strong()
                        .color(theme::error(&v)),
                );
                for e in &env_errors {
                    ui.label(RichText::new(e).monospace());
                }
            });
    }
    if !preview.mismatches.is_empty() {
        theme::card(&v).fill(theme::badge_fill(&v, theme::error(&v))).show(ui, |ui| {
            ui.label(RichText::new("⛔ The proxy does not behave as the studio models it").strong().color(theme::error(&v)));
            ui.label("Computing its own file and env the way the contract says gives different values than the runtime it reports. The proxy has probably changed: treat this preview with care.");
            for m in &preview.mismatches {
                ui.label(RichText::new(format!("{}: studio computes {} · proxy reports {}", m.key, m.expected, m.runtime.as_ref().map_or("(missing)".into(), Value::to_string))).monospace());
            }
        });
    }
}

/// Keys pushed since the proxy last started: it still runs the old values.
fn restart_banner(ui: &mut Ui, restart: Option<&RestartState>) {
    let Some(state) = restart.filter(|s| !s.pending.is_empty()) else {
        return;
    };
    let keys: Vec<&str> = state.pending.iter().map(|p| p.key.as_str()).collect();
    ui.label(
        RichText::new(format!(
            "⟳ Restart pending: the proxy has been up {}, since before the push of {}; it still runs the old values. Restart it to apply them.",
            human_duration(state.uptime_seconds),
            keys.join(", ")
        ))
        .color(theme::warning(ui.visuals())),
    );
}

/// `CHAT_PROXY_*` variables that are no setting: shown apart, never as overrides.
fn other_env(ui: &mut Ui, preview: &Preview) {
    if preview.other_env.is_empty() {
        return;
    }
    let names: Vec<&str> = preview.other_env.keys().map(String::as_str).collect();
    let values: Vec<String> = preview
        .other_env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Other proxy environment:").color(theme::muted(ui.visuals())))
            .on_hover_text(
                "CHAT_PROXY_* variables the proxy has that are no setting of chat_proxy.toml; they override nothing in the file",
            );
        ui.label(RichText::new(names.join(", ")).monospace())
            .on_hover_text(values.join("\n"));
    });
}

fn table(
    ui: &mut Ui,
    rows: &[&PreviewRow],
    unknown: &[UnknownKey],
    connected: bool,
    restart: Option<&RestartState>,
) {
    let text_height = egui::TextStyle::Body.resolve(ui.style()).size + 8.0;
    let height = ui.available_height();
    // The value columns share the width there is (no fixed widths that push
    // "After restart" and "Notes" out of a small window); below their
    // minimums the table scrolls sideways, so every column stays reachable.
    egui::ScrollArea::horizontal()
        .id_salt("preview_table_sideways")
        // No wider than what shows: a row above that ran past the window's
        // edge widens the page, and the table would then not scroll.
        .max_width(ui.clip_rect().right() - ui.cursor().left())
        .auto_shrink([false, true])
        .show(ui, |ui| {
            // The table lays out in the width it is given, not the width it
            // needs: give it the columns' minimum, which the scroll area scrolls.
            let spacing = ui.spacing().item_spacing.x;
            ui.set_min_width(SETTING_MIN + 6.0 * VALUE_MIN + NOTES_MIN + 8.0 * spacing);
            table_body(ui, rows, unknown, connected, restart, text_height, height);
        });
}

fn table_body(
    ui: &mut Ui,
    rows: &[&PreviewRow],
    unknown: &[UnknownKey],
    connected: bool,
    restart: Option<&RestartState>,
    text_height: f32,
    height: f32,
) {
    TableBuilder::new(ui)
        .id_salt("preview_table")
        .striped(true)
        .resizable(true)
        .auto_shrink([false, true])
        .max_scroll_height(height)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::remainder().at_least(SETTING_MIN).clip(true))
        .columns(Column::remainder().at_least(VALUE_MIN).clip(true), 6)
        .column(Column::remainder().at_least(NOTES_MIN).clip(true))
        .header(22.0, |mut h| {
            for title in [
                "Setting",
                "Default",
                "Proxy file",
                "This draft",
                "Env override",
                "Effective",
                AFTER_RESTART,
                "Notes",
            ] {
                h.col(|ui| {
                    let header = ui.strong(title);
                    match title {
                        AFTER_RESTART => {
                            header.on_hover_text(AFTER_RESTART_TIP);
                        }
                        "Effective" => {
                            header.on_hover_text(
                                "What the proxy runs with once this draft is pushed and the proxy restarted",
                            );
                        }
                        _ => {}
                    }
                });
            }
        })
        .body(|body| {
            body.rows(text_height, rows.len() + unknown.len(), |mut row| {
                // The proxy's settings no layout has come last, never dropped.
                let Some(r) = rows.get(row.index()) else {
                    if let Some(u) = unknown.get(row.index() - rows.len()) {
                        unknown_row(&mut row, u);
                    }
                    return;
                };
                row.col(|ui| {
                    cut_label(
                        ui,
                        r.label.as_str(),
                        format!("{}\n{} (API key {})", r.label, r.path, r.key),
                    );
                });
                row.col(|ui| value_cell(ui, Some(&r.default), false));
                row.col(|ui| value_cell(ui, r.file.as_ref(), !connected));
                row.col(|ui| value_cell(ui, Some(&r.draft), false));
                row.col(|ui| env_cell(ui, r));
                row.col(|ui| {
                    let source = match r.source {
                        Source::Default => "default",
                        Source::File => "file",
                        Source::Env => "env",
                    };
                    let text = compact(&r.effective);
                    cut_label(
                        ui,
                        RichText::new(&text).monospace().strong(),
                        format!("{text}\nfrom the {source}"),
                    );
                });
                row.col(|ui| {
                    value_cell(ui, r.runtime.as_ref(), !connected);
                });
                row.col(|ui| {
                    badges(ui, r);
                    restart_badge(ui, restart, &r.key);
                });
            });
        });
}

/// A setting of a newer proxy: only its runtime value is known.
fn unknown_row(row: &mut egui_extras::TableRow<'_, '_>, u: &UnknownKey) {
    row.col(|ui| {
        cut_label(
            ui,
            RichText::new(&u.key).monospace(),
            format!(
                "{} (API key): a setting of this proxy that this studio does not know",
                u.key
            ),
        );
    });
    for _ in 0..5 {
        row.col(|ui| {
            ui.label(RichText::new("—").color(theme::muted(ui.visuals())));
        });
    }
    row.col(|ui| {
        cut_label(ui, RichText::new(&u.value).monospace(), u.value.as_str());
    });
    row.col(|ui| {
        let colour = theme::warning(ui.visuals());
        badge(
            ui,
            "unknown to this studio",
            colour,
            "The proxy has this setting (a newer ImageWorks) but no layout of this studio does: shown as the proxy reports it, not editable here",
        );
    });
}

/// A value as shown: secrets masked by the one rule (`core::redact`).
fn compact(v: &Value) -> String {
    let text = match v {
        // The proxy's JSON null is "no value": said in words.
        Value::Null => "none".to_owned(),
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    crate::ui::widgets::shown(&text)
}

fn value_cell(ui: &mut Ui, v: Option<&Value>, offline: bool) {
    match v {
        Some(v) => {
            // Cut to the column; the whole value on hover.
            let text = compact(v);
            cut_label(ui, RichText::new(&text).monospace(), text.as_str());
        }
        None => {
            ui.label(
                RichText::new(if offline { "offline" } else { "—" })
                    .color(theme::muted(ui.visuals())),
            );
        }
    }
}

fn env_cell(ui: &mut Ui, r: &PreviewRow) {
    let Some(env) = &r.env else {
        ui.label(RichText::new("—").color(theme::muted(ui.visuals())));
        return;
    };
    let (text, tip) = match &env.outcome {
        EnvOutcome::Applied(v) => (
            format!("{}={}", env.var, env.raw),
            format!("applied as {}", compact(v)),
        ),
        EnvOutcome::Ignored { why } => (format!("{}={} (ignored)", env.var, env.raw), why.clone()),
        EnvOutcome::NotJson { .. } => (
            format!("{}={} (breaks the proxy)", env.var, env.raw),
            env.error().unwrap_or_default(),
        ),
    };
    cut_label(
        ui,
        RichText::new(&text).monospace(),
        format!("{text}\n{tip}"),
    );
}

fn badges(ui: &mut Ui, r: &PreviewRow) {
    let v = ui.visuals().clone();
    let f = r.flags;
    if f.changed {
        badge(
            ui,
            "changed",
            theme::accent(&v),
            "This draft changes the proxy's file value",
        );
    }
    if f.masked_by_env {
        badge(
            ui,
            "masked by env",
            theme::warning(&v),
            "An env var the proxy applies wins over the file value",
        );
    }
    if f.ignored_by_proxy {
        let at = r.ignored_at.join(", ");
        badge(
            ui,
            "ignored",
            theme::warning(&v),
            &format!("The proxy never reads the key where the draft has it ({at})"),
        );
    }
    if f.not_coerced {
        badge(
            ui,
            "not coerced",
            theme::error(&v),
            "The file value has the wrong type; the proxy passes it on as it is",
        );
    }
    if f.not_read_by_this_proxy {
        badge(
            ui,
            "older proxy",
            theme::warning(&v),
            &Preview::version_note(r).unwrap_or_default(),
        );
    }
    if f.needs_restart && f.changed {
        badge(
            ui,
            "restart",
            theme::muted(&v),
            "Takes effect after the proxy restarts",
        );
    }
}

/// "restart pending" on a key pushed since the proxy last started.
fn restart_badge(ui: &mut Ui, restart: Option<&RestartState>, key: &str) {
    let Some(p) = restart.and_then(|s| s.pending.iter().find(|p| p.key == key)) else {
        return;
    };
    badge(
        ui,
        "restart pending",
        theme::warning(ui.visuals()),
        &format!(
            "Pushed at {}; the proxy has not restarted since (its uptime is longer), so it still runs the old value",
            p.pushed_at
        ),
    );
}

fn models_panel(ui: &mut Ui, live: &LiveProxy, served: &[ServedModel]) {
    ui.label(RichText::new("Served now (/v1/models)").strong());
    if live.models().value().is_none() {
        ui.label(
            RichText::new(live.models().error().map_or_else(
                || "Not loaded: connect and refresh.".to_owned(),
                ToString::to_string,
            ))
            .color(theme::muted(ui.visuals())),
        );
        return;
    }
    // Wider than its half of the page with long ids: scroll, never overlap the history.
    egui::ScrollArea::both()
        .id_salt("models")
        .max_height(160.0)
        .show(ui, |ui| {
            egui::Grid::new("models_grid").striped(true).show(ui, |ui| {
                for title in ["Model", "Backend", "Format", "Quant", "Capabilities"] {
                    ui.strong(title);
                }
                ui.end_row();
                for m in served {
                    served_row(ui, m);
                    ui.end_row();
                }
            });
        });
}

/// One served model: its display id, then what the proxy sent or, where it
/// sent `null`, the registry entry's value marked as such.
fn served_row(ui: &mut Ui, m: &ServedModel) {
    let entry = if m.in_registry {
        format!("registry entry \"{}\"", m.registry_name)
    } else {
        format!("\"{}\": not in the loaded registry", m.registry_name)
    };
    ui.label(RichText::new(&m.id).monospace())
        .on_hover_text(entry);
    for attr in [&m.backend, &m.format, &m.quantization] {
        attr_cell(ui, attr.as_ref());
    }
    ui.label(if m.capabilities.is_empty() {
        "text".to_owned()
    } else {
        m.capabilities.join(", ")
    });
}

fn attr_cell(ui: &mut Ui, attr: Option<&Attr>) {
    let v = ui.visuals().clone();
    match attr {
        Some(Attr {
            value,
            source: AttrSource::Proxy,
        }) => {
            ui.label(value);
        }
        Some(Attr {
            value,
            source: AttrSource::Registry,
        }) => {
            ui.label(RichText::new(format!("{value} (registry)")).italics())
                .on_hover_text("The proxy sent null; this is the registry entry's value");
        }
        None => {
            ui.label(RichText::new("—").color(theme::muted(&v)))
                .on_hover_text("Neither the proxy nor the registry says");
        }
    }
}

fn history_panel(ui: &mut Ui, live: &LiveProxy, actions: &mut Vec<Action>) {
    ui.label(RichText::new("Push history").strong());
    if !live.records_history() {
        ui.label(
            RichText::new("No history folder (the app has no data directory).")
                .color(theme::muted(ui.visuals())),
        );
        return;
    }
    if live.history().is_empty() {
        ui.label(RichText::new("No pushes yet.").color(theme::muted(ui.visuals())));
    }
    let mut revert = None;
    egui::ScrollArea::vertical().id_salt("history").max_height(160.0).show(ui, |ui| {
        for (i, entry) in live.history().iter().enumerate().rev() {
            ui.horizontal(|ui| {
                // Every change the push made: the API's keys and the rest of the file.
                let keys: Vec<String> = entry.changes.iter().chain(&entry.file_changes).map(|c| format!("{}: {} -> {}", c.path, shown_value(&c.path, &c.before), shown_value(&c.path, &c.after))).collect();
                let ok = match entry.result {
                    HistoryResult::Pushed { verified: true, .. } => "✔",
                    HistoryResult::Pushed { .. } | HistoryResult::OutcomeUnknown { .. } => "?",
                    HistoryResult::Failed { .. } | HistoryResult::BrokeFile { .. } => "✖",
                };
                ui.label(format!("{ok} {} · {} · {}", entry.time, entry.profile, match entry.mode { PushMode::Api => "API push", PushMode::File => "file push" }))
                    .on_hover_text(keys.join("\n"));
                let how = match entry.revert_route() {
                    Ok(crate::core::proxy::history::RevertRoute::RestoreText { .. }) => "Write the proxy's file back as it was before this push, byte for byte (diffed and confirmed like any file push)".to_owned(),
                    Ok(crate::core::proxy::history::RevertRoute::PushBack) => "Push the previous values back (validated, diffed and confirmed like any push)".to_owned(),
                    Err(e) => e.to_string(),
                };
                if entry.may_have_changed_file() && ui.small_button("Revert…").on_hover_text(how).clicked() {
                    revert = Some(i);
                }
            });
        }
    });
    if let Some(i) = revert {
        actions.push(Action::Live(LiveAction::Revert(i)));
    }
}
