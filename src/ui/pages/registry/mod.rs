//! The Registry page: the layered model registry as a filterable table and
//! an entry editor generated from `ui_layouts/registry_entry.toml`.
//!
//! The registry itself, its one undo history, findings and save rule are a
//! core `RegistrySession`; the page keeps the jobs that open and save it
//! off the UI thread and its view state (filter, sort, selection, what is
//! being typed). It draws from them and asks for changes with
//! `RegistryAction`s, which the app applies in one place
//! (`RegistryState::handle`).

pub mod editor;
mod job;
pub mod maintenance;
pub mod roles;
pub mod table;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{RichText, Ui};
use serde_json::{Value, json};

use crate::core::layout::LayoutSet;
use crate::core::proxy::worker::WorkerSlot;
use crate::core::registry::Severity;
use crate::core::registry::maintenance::MaintenanceAction;
use crate::core::registry::merge::EntryLayer;
use crate::core::registry::sort::ServedIds;
use crate::core::registry::{
    EditOutcome, Filter, Finding, RegistryCommand, RegistryError, RegistrySession, RegistryStore,
    SortOrder, entry_layout, filter_entries, resolve_dir,
};
use crate::ui::actions::Action;
use crate::ui::status::Status;
use crate::ui::theme;

pub use crate::core::registry::sort::{SortColumn, TABLE_CAPABILITIES, host_port};
pub use crate::ui::registry_action::RegistryAction;

/// The page's view state: text being typed and scroll requests, none of
/// it part of the registry.
#[derive(Debug, Default)]
struct RegistryView {
    /// The folder field ("Choose registry folder…").
    dir_input: String,
    /// The name field for New / Duplicate.
    new_name: String,
    /// Text typed into an editor field, committed when the field loses focus.
    edit_buffers: HashMap<String, String>,
    /// Scroll the table to this offset on the next frame (benches, tests).
    table_scroll: Option<f32>,
    scroll_to_selected: bool,
}

/// The loaded registry (a core session), filter, sort, selection, the job
/// under way and, apart in `view`, what the page is typing.
pub struct RegistryState {
    /// The entry editor's layout (`ui_layouts/registry_entry.toml`).
    layout: Result<Arc<LayoutSet>, String>,
    view: RegistryView,
    resolved: bool,
    session: Option<RegistrySession>,
    filter: Filter,
    sort: SortOrder,
    rows: Vec<usize>,
    rows_stale: bool,
    selected: Option<String>,
    /// Registry names the connected proxy serves, with their display ids;
    /// the table shows a column when `Some`.
    served: Option<ServedIds>,
    /// What the last save wrote.
    last_save: Option<String>,
    load_error: Option<String>,
    /// An open or a save running on the background worker.
    job: Option<job::Job>,
    /// The app's background worker (shared with the live proxy).
    worker: WorkerSlot,
    /// Asked to repaint when a job is done (none when driven without a window).
    repaint: Option<egui::Context>,
    /// Bumped whenever the registry changes (opened, edited, saved), so views
    /// derived from it elsewhere rebuild only then.
    revision: u64,
    /// A maintenance action being previewed.
    preview: Option<maintenance::Preview>,
    roles: roles::RolesView,
}

impl Default for RegistryState {
    fn default() -> Self {
        Self::new()
    }
}

impl RegistryState {
    pub fn new() -> Self {
        Self::with_worker(WorkerSlot::default())
    }

    /// Run opens and saves on this worker.
    pub fn with_worker(worker: WorkerSlot) -> Self {
        let layout = entry_layout().map(Arc::new).map_err(|e| e.to_string());
        Self {
            layout,
            view: RegistryView::default(),
            resolved: false,
            session: None,
            filter: Filter::default(),
            sort: SortOrder::default(),
            rows: Vec::new(),
            rows_stale: true,
            selected: None,
            served: None,
            last_save: None,
            load_error: None,
            job: None,
            worker,
            repaint: None,
            revision: 0,
            preview: None,
            roles: roles::RolesView::default(),
        }
    }

    /// Repaint this context when an open or save finishes.
    pub fn set_repaint(&mut self, ctx: &egui::Context) {
        if self.repaint.is_none() {
            self.repaint = Some(ctx.clone());
        }
    }

    fn on_job_done(&self) -> impl FnOnce() + Send + 'static {
        let ctx = self.repaint.clone();
        move || {
            if let Some(ctx) = ctx {
                ctx.request_repaint();
            }
        }
    }

    /// Whether an open or a save is running; edits wait for it.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// Apply the outcome of the open or save under way, once it is done.
    pub fn poll(&mut self, status: &mut Status) {
        let Some(done) = self.job.as_ref().and_then(job::Job::poll) else {
            return;
        };
        self.job = None;
        match done {
            job::Done::Opened(opened) => self.finish_open(*opened, status),
            job::Done::Saved(saved) => self.finish_save(*saved, status),
            job::Done::Failed(e) => status.error(e.to_string()),
        }
    }

    pub fn store(&self) -> Option<&RegistryStore> {
        self.session.as_ref().map(RegistrySession::store)
    }

    pub fn session(&self) -> Option<&RegistrySession> {
        self.session.as_ref()
    }

    pub fn findings(&self) -> &[Finding] {
        self.session.as_ref().map_or(&[], RegistrySession::findings)
    }

    /// The maintenance action being previewed, if any.
    pub fn preview(&self) -> Option<&maintenance::Preview> {
        self.preview.as_ref()
    }

    /// Whether the Roles view is shown.
    pub fn roles_open(&self) -> bool {
        self.roles.open
    }

    pub fn can_undo(&self) -> bool {
        self.session.as_ref().is_some_and(RegistrySession::can_undo)
    }

    pub fn can_redo(&self) -> bool {
        self.session.as_ref().is_some_and(RegistrySession::can_redo)
    }

    /// Steps undo and redo can take (the app orders them with the config's).
    pub fn undo_depth(&self) -> (usize, usize) {
        self.session
            .as_ref()
            .map_or((0, 0), RegistrySession::undo_depth)
    }

    /// What undo would take back ("Set display_name of x", "Prune duplicates").
    pub fn undo_label(&self) -> Option<&str> {
        self.session.as_ref()?.undo_label()
    }

    /// What redo would make again.
    pub fn redo_label(&self) -> Option<&str> {
        self.session.as_ref()?.redo_label()
    }

    /// What the connected proxy serves (`None`: not connected).
    pub fn set_served(&mut self, served: Option<ServedIds>) {
        if self.served != served {
            self.served = served;
            self.rows_stale = true;
        }
    }

    /// See the `revision` field.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// No registry folder was looked for yet since the last file was opened.
    pub fn needs_resolve(&self) -> bool {
        !self.resolved
    }

    /// Look for the registry folder again the next time the page is shown
    /// (another chat_proxy.toml was opened). A registry with unsaved edits
    /// stays; so does the current one when no folder is found.
    pub fn re_resolve(&mut self) {
        if !self.has_unsaved_edits() {
            self.resolved = false;
        }
    }

    /// Whether there are edits since the registry was loaded or saved.
    pub fn has_unsaved_edits(&self) -> bool {
        self.session.as_ref().is_some_and(RegistrySession::is_dirty)
    }

    pub fn selected(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    /// Indexes into the merged list of the rows the table shows, in order.
    pub fn rows(&mut self) -> &[usize] {
        self.refresh_rows();
        &self.rows
    }

    pub fn sort(&self) -> SortOrder {
        self.sort
    }

    /// Load the registry in `dir` on this thread, replacing the one shown
    /// (and its history). The page opens folders with `open` instead.
    pub fn load(&mut self, dir: &Path) -> Result<usize, RegistryError> {
        self.resolved = true;
        self.view.dir_input = dir.display().to_string();
        let layout = self.entry_layout()?;
        self.install(job::open_session(dir, layout))
    }

    /// Start loading the registry in `dir` on a worker thread.
    fn open(&mut self, dir: PathBuf, status: &mut Status) {
        self.resolved = true;
        self.view.dir_input = dir.display().to_string();
        let layout = match self.entry_layout() {
            Ok(l) => l,
            Err(e) => return status.error(format!("Cannot open the registry: {e}")),
        };
        let job = job::Job::open(&self.worker, dir, layout, self.on_job_done());
        status.info(job.label.clone());
        self.job = Some(job);
    }

    fn finish_open(&mut self, opened: job::Opened, status: &mut Status) {
        match self.install(opened.result) {
            Ok(count) => status.info(format!(
                "Opened registry {} ({count} entries)",
                opened.dir.display()
            )),
            Err(e) => status.error(format!("Cannot open the registry: {e}")),
        }
    }

    /// The entry layout the session parses typed values with.
    fn entry_layout(&self) -> Result<Arc<LayoutSet>, RegistryError> {
        self.layout
            .clone()
            .map_err(|e| RegistryError::Layout(format!("the registry entry layout: {e}")))
    }

    fn install(
        &mut self,
        result: Result<RegistrySession, RegistryError>,
    ) -> Result<usize, RegistryError> {
        let session = result.inspect_err(|e| self.load_error = Some(e.to_string()))?;
        let count = session.store().merged().entries.len();
        self.session = Some(session);
        self.rows_stale = true;
        self.revision += 1;
        self.preview = None;
        self.selected = None;
        self.view.edit_buffers.clear();
        self.load_error = None;
        self.last_save = None;
        Ok(count)
    }

    /// Search entries for this text (as typed into the filter field).
    pub fn set_filter_text(&mut self, text: &str) {
        text.clone_into(&mut self.filter.text);
        self.filter_changed();
    }

    /// Scroll the table to this offset on the next frame (benches, tests).
    pub fn scroll_table_to(&mut self, offset: f32) {
        self.view.table_scroll = Some(offset);
    }

    /// Mark the filter as changed (the rows are recomputed before the next draw).
    fn filter_changed(&mut self) {
        self.rows_stale = true;
    }

    fn changed(&mut self) {
        self.rows_stale = true;
        self.revision += 1;
    }

    fn refresh_rows(&mut self) {
        if !self.rows_stale {
            return;
        }
        self.rows_stale = false;
        let Some(store) = self.store() else {
            self.rows.clear();
            return;
        };
        let merged = store.merged();
        let mut rows = filter_entries(merged, &self.filter);
        self.sort.sort(merged, &mut rows, self.served.as_ref());
        self.rows = rows;
    }

    /// Apply one page action; status messages go to the status bar.
    pub fn handle(
        &mut self,
        action: RegistryAction,
        chat_proxy: Option<&Path>,
        status: &mut Status,
    ) {
        if let (Some(job), true) = (&self.job, action.waits_for_jobs()) {
            status.info(format!("Wait: {}", job.label));
            return;
        }
        match action {
            RegistryAction::Resolve => {
                self.resolved = true;
                if let Some(dir) = resolve_dir(None, chat_proxy) {
                    self.open(dir, status);
                }
            }
            RegistryAction::Load(dir) => self.open(dir, status),
            RegistryAction::Apply(command) => self.apply(command, status),
            RegistryAction::Undo => self.step(true, status),
            RegistryAction::Redo => self.step(false, status),
            RegistryAction::Save => self.save(status),
            RegistryAction::Select(name) => {
                if self.selected.as_deref() != Some(&name) {
                    self.view.edit_buffers.clear();
                }
                self.selected = Some(name);
                self.view.scroll_to_selected = true;
            }
            RegistryAction::Sort(column) => {
                self.sort = self.sort.clicked(column);
                self.rows_stale = true;
            }
            RegistryAction::Preview(action) => self.plan_preview(action),
            RegistryAction::ApplyPreview => self.apply_preview(status),
            RegistryAction::ClosePreview => self.preview = None,
            RegistryAction::ToggleRoles => self.roles.open = !self.roles.open,
        }
    }

    fn plan_preview(&mut self, action: MaintenanceAction) {
        let Some(session) = &self.session else {
            return;
        };
        let plan = session.plan(&action).map_err(|e| e.to_string());
        self.preview = Some(maintenance::Preview { action, plan });
    }

    /// Apply the previewed plan as one undo step.
    fn apply_preview(&mut self, status: &mut Status) {
        let (Some(session), Some(preview)) = (self.session.as_mut(), self.preview.take()) else {
            return;
        };
        let Ok(plan) = preview.plan else {
            return;
        };
        if session.apply_plan(&plan) == EditOutcome::Changed {
            status.info(format!("{}: applied (Save writes it)", plan.action.label()));
            self.after_step();
        }
    }

    /// After an undo, a redo or a maintenance step: the layers changed
    /// under the editor, whose buffers and selection may be gone.
    fn after_step(&mut self) {
        if let Some(store) = self.store()
            && self
                .selected
                .as_ref()
                .is_some_and(|n| store.merged().get(n).is_none())
        {
            self.selected = None;
        }
        self.view.edit_buffers.clear();
        self.changed();
    }

    fn apply(&mut self, command: RegistryCommand, status: &mut Status) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        // Which entry to show afterwards.
        let show = match &command {
            RegistryCommand::NewEntry { entry } => {
                entry.get("name").and_then(Value::as_str).map(str::to_owned)
            }
            RegistryCommand::Duplicate { new_name, .. } => Some(new_name.clone()),
            RegistryCommand::Delete { .. } => None,
            RegistryCommand::SetField { name, .. }
            | RegistryCommand::RemoveField { name, .. }
            | RegistryCommand::Deprecate { name }
            | RegistryCommand::Promote { name } => Some(name.clone()),
        };
        match session.apply(&command) {
            Ok(EditOutcome::Changed) => {
                status.info(command.label());
                self.selected = show.filter(|n| session.store().merged().get(n).is_some());
                if matches!(
                    command,
                    RegistryCommand::NewEntry { .. } | RegistryCommand::Duplicate { .. }
                ) {
                    self.view.new_name.clear();
                    self.view.scroll_to_selected = true;
                }
                self.changed();
            }
            Ok(EditOutcome::Unchanged) => {}
            Err(e) => status.error(e.to_string()),
        }
    }

    fn step(&mut self, undo: bool, status: &mut Status) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let label = if undo { session.undo() } else { session.redo() };
        if let Some(label) = label {
            let verb = if undo { "Undone" } else { "Redone" };
            status.info(format!("{verb}: {label}"));
            self.after_step();
        }
    }

    /// Start saving on a worker thread, on a copy of the store.
    fn save(&mut self, status: &mut Status) {
        let Some(store) = self.session.as_ref().map(RegistrySession::store_to_save) else {
            return;
        };
        let job = job::Job::save(&self.worker, store, self.on_job_done());
        status.info(job.label.clone());
        self.job = Some(job);
    }

    fn finish_save(&mut self, saved: job::Saved, status: &mut Status) {
        // The saved store is what is on disk now, even after a failure part-way.
        if let Some(session) = self.session.as_mut() {
            session.finish_save(saved.store, saved.result.is_ok());
        }
        self.rows_stale = true;
        self.revision += 1;
        match saved.result {
            Ok(report) => {
                let files: Vec<String> = report
                    .written
                    .iter()
                    .filter_map(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .collect();
                let mut text = if files.is_empty() {
                    "Registry saved: nothing changed on disk".to_owned()
                } else {
                    format!("Registry saved: wrote {}", files.join(", "))
                };
                if report.discovered_reloaded {
                    text.push_str(
                        "; the discovered layer had changed on disk and was reloaded (your edits kept)",
                    );
                }
                status.info(text.clone());
                self.last_save = Some(text);
            }
            Err(e) => {
                status.error(format!("Registry not saved: {e}"));
                self.last_save = Some(format!("⛔ Not saved: {e}"));
            }
        }
    }
}

/// Draw the page.
pub fn show(ui: &mut Ui, state: &mut RegistryState, actions: &mut Vec<Action>) {
    if !state.resolved {
        state.resolved = true;
        actions.push(Action::Registry(RegistryAction::Resolve));
    }
    ui.heading("📚 Model registry");
    folder_row(ui, state, actions);
    if state.session.is_none() {
        if state.job.is_some() {
            return;
        }
        if let Some(e) = &state.load_error {
            ui.label(RichText::new(format!("⛔ {e}")).color(theme::error(ui.visuals())));
        }
        ui.label(
            RichText::new(
                "No registry folder found: set IMAGEWORKS_REGISTRY_DIR, keep the registry in \
                 configs/ beside chat_proxy.toml, or choose its folder above.",
            )
            .color(theme::muted(ui.visuals())),
        );
        return;
    }
    // Edits wait for an open or save under way; browsing does not.
    let idle = state.job.is_none();
    ui.add_enabled_ui(idle, |ui| toolbar(ui, state, actions));
    filter_row(ui, state);
    findings_list(ui, state, actions);
    state.refresh_rows();
    let scroll_to_selected = std::mem::take(&mut state.view.scroll_to_selected);
    // The editor takes the lower part once an entry is selected.
    let share = if state.selected.is_some() { 0.42 } else { 0.9 };
    let table_height = (ui.available_height() * share).max(160.0);
    ui.push_id("registry_table_area", |ui| {
        ui.set_max_height(table_height);
        table::show(ui, state, scroll_to_selected, actions);
    });
    ui.separator();
    ui.add_enabled_ui(idle, |ui| editor::show(ui, state, actions));
    let ctx = ui.ctx().clone();
    if let Some(store) = state.session.as_ref().map(RegistrySession::store) {
        if state.roles.open {
            roles::show(&ctx, &mut state.roles, store, state.revision);
        }
        if let Some(preview) = &state.preview {
            maintenance::dialog(&ctx, preview, store, state.served.as_ref(), actions);
        }
    }
}

fn folder_row(ui: &mut Ui, state: &mut RegistryState, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        let label = ui.label("Registry folder");
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut state.view.dir_input)
                    .desired_width(460.0)
                    .hint_text("Choose registry folder…")
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(label.id);
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button("📂 Open registry").clicked() || enter)
            && !state.view.dir_input.trim().is_empty()
        {
            actions.push(Action::Registry(RegistryAction::Load(
                state.view.dir_input.trim().into(),
            )));
        }
        // In this row so that the page below does not move while it runs.
        if let Some(job) = &state.job {
            ui.spinner();
            let seconds = job.started.elapsed().as_secs_f32();
            ui.label(format!("{} {seconds:.1} s", job.label));
        } else if let Some(text) = &state.last_save {
            ui.label(RichText::new(text).color(theme::muted(ui.visuals())));
        }
    });
}

fn toolbar(ui: &mut Ui, state: &mut RegistryState, actions: &mut Vec<Action>) {
    let push = |actions: &mut Vec<Action>, a| actions.push(Action::Registry(a));
    ui.horizontal_wrapped(|ui| {
        if state.has_unsaved_edits() {
            ui.label(RichText::new("⏺ unsaved").color(theme::warning(ui.visuals())))
                .on_hover_text("The registry has edits that are not saved yet");
        }
        // Undo, Redo and Save are the app's (top bar, Ctrl+Z / Ctrl+S): they
        // cover registry edits and config edits in one order.
        ui.separator();
        maintenance::menu(ui, state.selected.as_deref(), actions);
        if ui
            .selectable_label(state.roles.open, "📋 Roles")
            .on_hover_text("Which model answers each role, for the apps and for the proxy")
            .clicked()
        {
            push(actions, RegistryAction::ToggleRoles);
        }
        ui.separator();
        let label = ui.label("New name");
        ui.add(
            egui::TextEdit::singleline(&mut state.view.new_name)
                .desired_width(220.0)
                .hint_text("name for New / Duplicate"),
        )
        .labelled_by(label.id);
        let name = state.view.new_name.trim().to_owned();
        if ui
            .add_enabled(!name.is_empty(), egui::Button::new("➕ New entry"))
            .on_hover_text("Add a curated entry with this name")
            .clicked()
        {
            let entry = json!({
                "name": name,
                "display_name": name,
                "backend": "unassigned",
                "deprecated": false,
            });
            push(
                actions,
                RegistryAction::Apply(RegistryCommand::NewEntry { entry }),
            );
        }
    });
}

fn filter_row(ui: &mut Ui, state: &mut RegistryState) {
    let Some(store) = state.session.as_ref().map(RegistrySession::store) else {
        return;
    };
    let mut changed = false;
    let mut backends: Vec<&str> = store
        .merged()
        .entries
        .iter()
        .filter_map(|e| e.view().backend())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    backends.sort_unstable();
    // Wrapped: in a narrow window the capability boxes go to a second line
    // instead of past the window's edge (which also widened the page).
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("🔍 Filter");
        changed |= ui
            .add(
                egui::TextEdit::singleline(&mut state.filter.text)
                    .desired_width(220.0)
                    .hint_text("name, display name, alias, quantization…"),
            )
            .labelled_by(label.id)
            .changed();
        let backend_text = state
            .filter
            .backend
            .clone()
            .unwrap_or_else(|| "any backend".into());
        let backend_label = ui.label("Backend");
        egui::ComboBox::from_id_salt("registry_backend_filter")
            .selected_text(backend_text)
            .show_ui(ui, |ui| {
                changed |= ui
                    .selectable_value(&mut state.filter.backend, None, "any backend")
                    .changed();
                for b in &backends {
                    changed |= ui
                        .selectable_value(&mut state.filter.backend, Some((*b).to_owned()), *b)
                        .changed();
                }
            })
            .response
            .labelled_by(backend_label.id);
        let layer_text = state.filter.layer.map_or("any layer", EntryLayer::as_str);
        let layer_label = ui.label("Layer");
        egui::ComboBox::from_id_salt("registry_layer_filter")
            .selected_text(layer_text)
            .show_ui(ui, |ui| {
                changed |= ui
                    .selectable_value(&mut state.filter.layer, None, "any layer")
                    .changed();
                for layer in [
                    EntryLayer::CuratedOnly,
                    EntryLayer::DiscoveredOnly,
                    EntryLayer::Both,
                    EntryLayer::SnapshotOnly,
                ] {
                    changed |= ui
                        .selectable_value(&mut state.filter.layer, Some(layer), layer.as_str())
                        .changed();
                }
            })
            .response
            .labelled_by(layer_label.id);
        for cap in TABLE_CAPABILITIES {
            let mut on = state.filter.capabilities.iter().any(|c| c == cap);
            if ui.checkbox(&mut on, cap).changed() {
                state.filter.capabilities.retain(|c| c != cap);
                if on {
                    state.filter.capabilities.push(cap.to_owned());
                }
                changed = true;
            }
        }
        changed |= ui
            .checkbox(&mut state.filter.hide_deprecated, "hide deprecated")
            .changed();
    });
    if changed {
        state.filter_changed();
    }
}

fn findings_list(ui: &mut Ui, state: &RegistryState, actions: &mut Vec<Action>) {
    // The same tally as the navigation badge and the Problems panel.
    let title = format!(
        "Findings in the registry: {}",
        crate::core::problem_counts::Tally::of_registry(state.findings()).describe()
    );
    egui::CollapsingHeader::new(title)
        .id_salt("registry_findings")
        .default_open(false)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("registry_findings_scroll")
                .max_height(110.0)
                .show(ui, |ui| {
                    for f in state.findings() {
                        let (icon, tone) = match f.severity {
                            Severity::Error => ("⛔", theme::error(ui.visuals())),
                            Severity::Warning => ("⚠", theme::warning(ui.visuals())),
                            Severity::Info => ("ℹ", theme::muted(ui.visuals())),
                        };
                        let text = format!("{icon} {} · {}: {}", f.entry, f.field, f.message);
                        ui.horizontal_wrapped(|ui| {
                            let link = ui.add(
                                egui::Button::new(RichText::new(text).color(tone)).frame(false),
                            );
                            if link.on_hover_text("Show this entry").clicked()
                                && !f.entry.is_empty()
                            {
                                actions.push(Action::Registry(RegistryAction::Select(
                                    f.entry.clone(),
                                )));
                            }
                            // The one fix today, regenerating the snapshot, is what a save does.
                            if let Some(fix) = f.fix
                                && ui
                                    .small_button(fix.label())
                                    .on_hover_text(
                                        "Write model_registry.json again from the layers",
                                    )
                                    .clicked()
                            {
                                actions.push(Action::Registry(RegistryAction::Save));
                            }
                        });
                    }
                });
        });
}
