//! The app: state, the frame, and the one place where actions are handled.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::RichText;
use serde::{Deserialize, Serialize};

use crate::core::defaults::defaults_text;
use crate::core::document::DocPath;
use crate::core::layout::LayoutSet;
use crate::core::plural::count;
use crate::core::problem_counts::ProblemCounts;
use crate::core::proxy::served::{served_ids, served_models};
use crate::core::safe_save::SaveOutcome;
use crate::core::session::{DiskChange, EditSession, SessionError, errors_left_by_save};
use crate::ui::actions::{Action, Overlay};
use crate::ui::commands;
use crate::ui::file_dialog::{FileDialogs, Purpose};
use crate::ui::file_watch::FileWatch;
use crate::ui::focus_regions::{Region, Regions};
use crate::ui::live::LiveProxy;
use crate::ui::nav::{PageId, page_for_path, step_page};
use crate::ui::page_ctx::{PageCtx, ViewState};
use crate::ui::pages::registry::{RegistryAction, RegistryState};
use crate::ui::pages::{
    DiffPage, DiscoveryPage, LayoutPage, Page, PreviewPage, RawTomlPage, RegistryPage, diff,
    discovery, push_dialog, restart_dialog, welcome,
};
use crate::ui::panels::{find, help, menu_bar, nav, palette, problems, status_bar, top_bar};
use crate::ui::status::Status;
use crate::ui::theme;
use crate::ui::undo_order::{Depths, UndoOrder, UndoTarget};

const SETTINGS_KEY: &str = "iw-studio";
const MAX_RECENT: usize = 8;

/// What survives a restart (eframe persistence).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AppSettings {
    pub recent: Vec<PathBuf>,
    pub last_file: Option<PathBuf>,
    pub last_page: Option<PageId>,
    pub proxy_profiles: crate::core::proxy::Profiles,
    pub theme: theme::ThemeChoice,
}

impl AppSettings {
    fn remember(&mut self, path: &Path) {
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        self.recent.retain(|p| p != &path);
        self.recent.insert(0, path.clone());
        self.recent.truncate(MAX_RECENT);
        self.last_file = Some(path);
    }
}

/// Modal questions the app may be asking.
#[derive(Debug, Default, PartialEq, Eq)]
enum Dialog {
    #[default]
    None,
    /// Unsaved changes and the window is closing; `failed` says why a
    /// save asked for here did not happen.
    ConfirmClose { failed: Option<String> },
    /// Save refused: the file changed on disk.
    SaveConflict,
    /// The file changed on disk while open.
    ExternalChange { disk: String, show_diff: bool },
}

pub struct StudioApp {
    layouts: Arc<LayoutSet>,
    session: Option<EditSession>,
    page: PageId,
    view: ViewState,
    status: Status,
    settings: AppSettings,
    dialogs: FileDialogs,
    dialog: Dialog,
    watch: Option<FileWatch>,
    find: find::FindState,
    show_problems: bool,
    allow_close: bool,
    window_title: String,
    /// Which history (config or registry) the next Undo / Redo belongs to.
    undo_order: UndoOrder,
    /// What the Problems panel lists.
    problems_filter: problems::Filter,
    live: LiveProxy,
    served_generation: Option<(u64, u64)>,
    /// The Registry page: its own registry, history and view state.
    registry: RegistryState,
    /// The Preview & push page (its view toggles).
    preview_page: PreviewPage,
    /// The "What ImageWorks will offer" page (its last document).
    discovery_view: discovery::DiscoveryView,
    /// The shortcut sheet or About, when one is showing.
    overlay: Overlay,
    /// The command palette (Ctrl+Shift+P).
    palette: palette::PaletteState,
    /// Where navigation, page and Problems panel were drawn (F6 moves between them).
    regions: Regions,
    /// `theme::install` ran on the context.
    style_installed: bool,
    /// What the last frame's view asked for; applied by the next `logic`.
    pending: Vec<Action>,
    /// "Save" was chosen on closing: close once the registry's save (on
    /// the worker) has finished, if everything is saved then.
    close_after_save: bool,
    /// Texts this app's own pushes wrote to the open file (newest last):
    /// the file changing to one of them is not someone else's edit.
    own_texts: Vec<String>,
    /// The file changed while a push ran: judge it once the push is done.
    disk_recheck: bool,
}

impl StudioApp {
    pub fn new(layouts: Arc<LayoutSet>, settings: AppSettings) -> Self {
        Self::with_live(
            layouts,
            settings.clone(),
            LiveProxy::new(settings.proxy_profiles.clone(), history_dir()),
        )
    }

    /// With a given live-proxy connection (tests pass a fake proxy and a temp history).
    pub fn with_live(layouts: Arc<LayoutSet>, settings: AppSettings, live: LiveProxy) -> Self {
        let page = settings
            .last_page
            .clone()
            .filter(|p| !matches!(p, PageId::Layout(id) if layouts.page(id).is_none()))
            .unwrap_or_else(|| first_page(&layouts));
        // One background worker for proxy requests and registry jobs.
        let registry = RegistryState::with_worker(live.worker_slot().clone());
        Self {
            layouts,
            session: None,
            page,
            view: ViewState::default(),
            status: Status::default(),
            settings,
            dialogs: FileDialogs::new(),
            dialog: Dialog::None,
            watch: None,
            find: find::FindState::default(),
            show_problems: false,
            allow_close: false,
            window_title: String::new(),
            undo_order: UndoOrder::default(),
            problems_filter: problems::Filter::default(),
            live,
            served_generation: None,
            registry,
            preview_page: PreviewPage::default(),
            discovery_view: discovery::DiscoveryView::default(),
            overlay: Overlay::None,
            palette: palette::PaletteState::default(),
            regions: Regions::default(),
            style_installed: false,
            pending: Vec::new(),
            close_after_save: false,
            own_texts: Vec::new(),
            disk_recheck: false,
        }
    }

    /// Create from eframe: restore settings, open `file` (or the last one).
    pub fn from_creation_context(
        cc: &eframe::CreationContext<'_>,
        layouts: Arc<LayoutSet>,
        file: Option<PathBuf>,
        profiles: Option<PathBuf>,
    ) -> Self {
        let settings: AppSettings = cc
            .storage
            .and_then(|s| eframe::get_value(s, SETTINGS_KEY))
            .unwrap_or_default();
        // The real window keeps its profiles in the profiles file the CLI reads.
        let live = LiveProxy::new(settings.proxy_profiles.clone(), history_dir())
            .with_profiles_file(profiles.or_else(crate::app_log::profiles_path));
        let mut app = Self::with_live(layouts, settings, live);
        let file = file.or_else(|| app.settings.last_file.clone().filter(|p| p.is_file()));
        if let Some(path) = file {
            app.open(&cc.egui_ctx, &path);
        }
        app
    }

    pub fn session(&self) -> Option<&EditSession> {
        self.session.as_ref()
    }

    pub fn page(&self) -> &PageId {
        &self.page
    }

    pub fn registry(&self) -> &RegistryState {
        &self.registry
    }

    pub fn registry_mut(&mut self) -> &mut RegistryState {
        &mut self.registry
    }

    /// Load the registry in `dir` for the Registry page.
    pub fn open_registry(&mut self, dir: &Path) {
        self.registry_action(RegistryAction::Load(dir.to_path_buf()));
    }

    fn registry_action(&mut self, action: RegistryAction) {
        let chat_proxy = self.session.as_ref().and_then(EditSession::path);
        self.registry.handle(action, chat_proxy, &mut self.status);
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The window title as last sent (unsaved marker included).
    pub fn window_title(&self) -> &str {
        &self.window_title
    }

    pub fn settings(&self) -> &AppSettings {
        &self.settings
    }

    /// The shortcut sheet or About, when one is showing.
    pub fn overlay(&self) -> Overlay {
        self.overlay
    }

    /// Which region (navigation, page, Problems panel) has the keyboard focus.
    pub fn focused_region(&self, ctx: &egui::Context) -> Option<Region> {
        self.regions.focused(ctx)
    }

    pub fn palette_open(&self) -> bool {
        self.palette.is_open()
    }

    pub fn show_problems(&self) -> bool {
        self.show_problems
    }

    pub fn live(&self) -> &LiveProxy {
        &self.live
    }

    /// Whether the app asks about a file changed on disk.
    pub fn offers_reload(&self) -> bool {
        matches!(self.dialog, Dialog::ExternalChange { .. })
    }

    pub fn open(&mut self, ctx: &egui::Context, path: &Path) {
        match EditSession::open(path, Arc::clone(&self.layouts)) {
            Ok(session) => {
                self.status.info(format!(
                    "Opened {} ({}, {})",
                    path.display(),
                    count(session.error_count(), "error", "errors"),
                    count(session.warning_count(), "warning", "warnings")
                ));
                self.session = Some(session);
                self.settings.remember(path);
                self.own_texts.clear();
                self.watch = FileWatch::new(path, ctx);
                self.view = ViewState::default();
                self.dialog = Dialog::None;
                self.registry.re_resolve();
            }
            Err(e) => self.status.error(format!("Cannot open: {e}")),
        }
    }

    /// How deep the config's and the registry's histories are now.
    fn depths(&self) -> Depths {
        Depths {
            config: self
                .session
                .as_ref()
                .map_or((0, 0), EditSession::undo_depth),
            registry: self.registry.undo_depth(),
        }
    }

    /// Apply one action; everything the user asks for goes through here.
    pub fn handle(&mut self, ctx: &egui::Context, action: Action) {
        let before = self.depths();
        match action {
            Action::Undo => self.undo_or_redo(true),
            Action::Redo => self.undo_or_redo(false),
            other => {
                self.handle_one(ctx, other);
                let after = self.depths();
                self.undo_order.observe(before, after);
            }
        }
    }

    /// Undo (or redo) the last edit, in the config or in the registry,
    /// whichever came last: one order across both histories.
    fn undo_or_redo(&mut self, undo: bool) {
        // A history may have started over since (a file opened, a reload).
        let now = self.depths();
        self.undo_order.observe(now, now);
        let next = if undo {
            self.undo_order.next_undo()
        } else {
            self.undo_order.next_redo()
        };
        let Some(target) = next else {
            self.status.info(if undo {
                "Nothing to undo"
            } else {
                "Nothing to redo"
            });
            return;
        };
        match target {
            UndoTarget::Config => self.with_session(|s, st| {
                let done = if undo { s.undo() } else { s.redo() };
                if done {
                    st.info(if undo { "Undone" } else { "Redone" });
                }
            }),
            UndoTarget::Registry => self.registry_action(if undo {
                RegistryAction::Undo
            } else {
                RegistryAction::Redo
            }),
        }
        let after = self.depths();
        if after != now {
            self.undo_order.moved(target, undo, after);
        }
    }

    fn handle_one(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::Edit(command) => self.edit(command),
            Action::Undo | Action::Redo => {}
            Action::Registry(action) => self.registry_action(action),
            Action::Live(action) => {
                let draft = self.session.as_ref().map(EditSession::doc);
                // The draft's file names its base in the push history.
                self.live
                    .set_draft_path(self.session.as_ref().and_then(EditSession::path));
                self.live.handle(ctx, action, draft, &self.layouts);
            }
            Action::Save => self.save_all(ctx),
            Action::SaveAndClose => self.save_and_close(ctx),
            Action::FieldText { path, text } => {
                if let Some(s) = self.session.as_mut() {
                    s.set_field_text(&path, text.as_deref());
                }
            }
            Action::SaveOverwriting => self.save(ctx, true),
            Action::SaveAs => {
                let near = self
                    .session
                    .as_ref()
                    .and_then(|s| s.path().map(Path::to_path_buf));
                self.dialogs.start(ctx, Purpose::SaveAs, near.as_deref());
            }
            Action::SaveAsPath(path) => self.save_as(ctx, &path),
            Action::Open => {
                let near = self
                    .session
                    .as_ref()
                    .and_then(|s| s.path().map(Path::to_path_buf));
                self.dialogs.start(ctx, Purpose::Open, near.as_deref());
            }
            Action::OpenPath(path) => self.open(ctx, &path),
            Action::NewFromDefaults => self.new_from_defaults(),
            Action::Reload => self.reload(),
            Action::KeepMine => self.keep_mine(),
            Action::Navigate(page) => {
                self.page = page;
                self.view.focus_path = None;
            }
            Action::Focus(path) => self.focus(&path),
            Action::ShowLine(line) => {
                self.page = PageId::RawToml;
                self.view.focus_path = None;
                self.view.raw_jump = Some(line);
            }
            Action::FocusFind => {
                ctx.memory_mut(|m| m.request_focus(egui::Id::unique(find::FIND_ID)));
            }
            Action::ShowProblems => self.show_problems = true,
            Action::DiscardAndClose => {
                self.allow_close = true;
                self.dialog = Dialog::None;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            Action::DismissDialog => self.dialog = Dialog::None,
            Action::OpenLogFolder => self.open_log_folder(),
            Action::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            Action::ToggleProblems => self.show_problems = !self.show_problems,
            Action::StepPage(step) => {
                self.page = step_page(&self.layouts, &self.page, step);
                self.view.focus_path = None;
            }
            Action::SetTheme(choice) => self.settings.theme = choice,
            Action::CycleFocus(step) => {
                self.regions.cycle(ctx, step);
            }
            Action::Show(Overlay::Palette) => self.palette.open(),
            Action::Show(overlay) => self.overlay = overlay,
        }
    }

    fn with_session(&mut self, f: impl FnOnce(&mut EditSession, &mut Status)) {
        if let Some(s) = self.session.as_mut() {
            f(s, &mut self.status);
        }
    }

    fn edit(&mut self, command: crate::core::session::Command) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        if let Err(e) = session.apply(command) {
            self.status.error(e.to_string());
        }
    }

    /// Save: the config file when it has changes (or nothing else does),
    /// and the registry's layers when they have unsaved edits. One command
    /// for both, as the title bar's marker covers both.
    fn save_all(&mut self, ctx: &egui::Context) {
        let config_dirty = self.session.as_ref().is_some_and(EditSession::is_dirty);
        let registry_unsaved = self.registry.has_unsaved_edits();
        if config_dirty || !registry_unsaved {
            self.save(ctx, false);
        }
        if registry_unsaved {
            self.registry_action(RegistryAction::Save);
        }
    }

    /// The closing question's Save: save everything, then close; when a
    /// save fails the window stays, and the question says why.
    fn save_and_close(&mut self, ctx: &egui::Context) {
        self.save_all(ctx);
        if self.session.as_ref().is_some_and(EditSession::is_dirty) {
            // A conflict asks its own question; anything else is said here.
            if self.dialog != Dialog::SaveConflict {
                self.dialog = Dialog::ConfirmClose {
                    failed: Some(self.status.text.clone()),
                };
            }
            return;
        }
        self.dialog = Dialog::None;
        self.close_after_save = true;
        self.close_when_saved(ctx);
    }

    /// After "Save" on closing: close once nothing is left unsaved; a
    /// registry save that failed keeps the window, with its reason.
    fn close_when_saved(&mut self, ctx: &egui::Context) {
        if !self.close_after_save || self.registry.is_busy() {
            return;
        }
        self.close_after_save = false;
        let unsaved = self.session.as_ref().is_some_and(EditSession::is_dirty)
            || self.registry.has_unsaved_edits();
        if unsaved {
            self.dialog = Dialog::ConfirmClose {
                failed: Some(self.status.text.clone()),
            };
        } else {
            self.allow_close = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn save(&mut self, ctx: &egui::Context, overwrite: bool) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        if session.path().is_none() {
            self.status.info("Choose where to save the new file");
            return self.dialogs.start(ctx, Purpose::SaveAs, None);
        }
        match session.save(overwrite) {
            Ok(outcome) => {
                let mut message = saved_message(session.path(), &outcome);
                // The app never forces a save: errors left are the file's own.
                if let Some(left) = errors_left_by_save(session.error_count(), 0) {
                    message = format!("{message}; {left}");
                }
                self.status.info(message);
                self.dialog = Dialog::None;
            }
            Err(SessionError::Save(e)) if e.is_conflict() => {
                self.status.error(e.to_string());
                self.dialog = Dialog::SaveConflict;
            }
            Err(e) => {
                self.status.error(e.to_string());
                if matches!(e, SessionError::HasErrors(_) | SessionError::Unwritten(_)) {
                    self.show_problems = true;
                }
            }
        }
    }

    fn save_as(&mut self, ctx: &egui::Context, path: &Path) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        // The path field and the native dialog both confirmed the name.
        match session.save_as(path, true) {
            Ok(outcome) => {
                self.status.info(saved_message(Some(path), &outcome));
                self.settings.remember(path);
                self.watch = FileWatch::new(path, ctx);
            }
            Err(e) => self.status.error(e.to_string()),
        }
    }

    fn new_from_defaults(&mut self) {
        match EditSession::from_text(&defaults_text(&self.layouts), Arc::clone(&self.layouts)) {
            Ok(session) => {
                self.session = Some(session);
                self.watch = None;
                self.view = ViewState::default();
                self.status
                    .info("New document with every setting at its default; Save to choose a file");
            }
            Err(e) => self
                .status
                .error(format!("The generated defaults do not parse: {e}")),
        }
    }

    fn reload(&mut self) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        match session.reload() {
            Ok(()) => {
                // The fields show the file's values again, not text typed before.
                self.view.raw_buffers.clear();
                self.status
                    .info("Reloaded from disk (Ctrl+Z brings your version back)");
            }
            Err(e) => self.status.error(e.to_string()),
        }
        self.dialog = Dialog::None;
    }

    fn open_log_folder(&mut self) {
        let Some(dir) = crate::app_log::log_dir() else {
            return self
                .status
                .error("This system has no data folder, so nothing is logged");
        };
        let opened = std::fs::create_dir_all(&dir).and_then(|()| open::that_detached(&dir));
        match opened {
            Ok(()) => self
                .status
                .info(format!("Opened the log folder {}", dir.display())),
            Err(e) => self
                .status
                .error(format!("Cannot open the log folder {}: {e}", dir.display())),
        }
    }

    fn keep_mine(&mut self) {
        if let (Some(session), Dialog::ExternalChange { disk, .. }) =
            (self.session.as_mut(), std::mem::take(&mut self.dialog))
        {
            session.adopt_disk_version(disk);
            self.status
                .info("Kept your version; saving will replace the file on disk");
        }
    }

    fn focus(&mut self, path: &DocPath) {
        if let Some(page) = page_for_path(&self.layouts, path) {
            self.page = page;
        } else {
            self.page = PageId::RawToml;
        }
        self.view.focus_path = Some(path.clone());
        self.view.focus_scrolled = false;
    }

    /// The open file changed on disk (the watch says so, or a push of
    /// this app just wrote it): judged by content, so only a change the
    /// app did not make is offered as someone else's edit.
    fn check_external_change(&mut self) {
        let session_path = self
            .session
            .as_ref()
            .and_then(EditSession::path)
            .map(same_file_key);
        for (path, text) in self.live.take_own_writes() {
            if session_path.is_some() && Some(same_file_key(&path)) == session_path {
                self.own_texts.push(text);
                self.disk_recheck = true;
            }
        }
        // Only the latest few: an older text on disk is someone's restore.
        let keep = self.own_texts.len().saturating_sub(4);
        self.own_texts.drain(..keep);
        let changed = self.watch.as_ref().is_some_and(FileWatch::poll);
        if self.live.is_pushing() {
            // The push may be writing it: judged when the push is done.
            self.disk_recheck |= changed;
            return;
        }
        if !(changed || std::mem::take(&mut self.disk_recheck)) {
            return;
        }
        if matches!(
            self.dialog,
            Dialog::ExternalChange { .. } | Dialog::SaveConflict
        ) {
            return;
        }
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let name = session
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let had_edits = session.is_dirty();
        match session.check_disk(&self.own_texts) {
            DiskChange::None => {}
            DiskChange::NowTheDraft { own: true } => self
                .status
                .info(format!("{name} now holds this document, as pushed")),
            DiskChange::NowTheDraft { own: false } => self
                .status
                .info(format!("{name} changed on disk to exactly this document")),
            // Nothing unsaved here: the document takes what this app wrote
            // (a rescue's mended file, a proxy's rewrite after an API push).
            DiskChange::OwnWrite if !had_edits => match session.reload() {
                Ok(()) => self.status.info(format!(
                    "{name} now holds what this app wrote there (a push or a rescue); reloaded"
                )),
                Err(e) => self.status.error(format!("cannot reload {name}: {e}")),
            },
            DiskChange::OwnWrite => self.status.info(format!(
                "This app wrote {name} (a push or a rescue), which now differs from this document (the Diff page shows how; Reload takes the file's version)"
            )),
            DiskChange::Other(disk) => {
                self.dialog = Dialog::ExternalChange {
                    disk,
                    show_diff: false,
                };
                self.status.info("The file changed on disk");
            }
        }
    }

    /// File and edit buttons (covering the registry's edits too) and Find.
    fn draw_top_bar(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.add_space(3.0);
            ui.horizontal(|ui| {
                let registry = top_bar::RegistryEdits {
                    unsaved: self.registry.has_unsaved_edits(),
                    can_undo: self.registry.can_undo(),
                    can_redo: self.registry.can_redo(),
                };
                top_bar::show(ui, self.session.as_ref(), registry, actions);
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if self.session.is_some() {
                        let doc = self.session.as_ref().map(EditSession::doc);
                        find::show(ui, &self.layouts, doc, &self.page, &mut self.find, actions);
                    }
                });
            });
            ui.add_space(3.0);
        });
    }

    /// The one count of problems every place shows (this file, the
    /// registry when one is open).
    fn problem_counts(&self) -> ProblemCounts {
        let registry = self.registry.store().map(|_| self.registry.findings());
        ProblemCounts::of(self.session.as_ref(), registry)
    }

    /// The frame around the page: menu bar, top bar, status bar.
    fn draw_chrome(
        &mut self,
        ui: &mut egui::Ui,
        counts: &ProblemCounts,
        actions: &mut Vec<Action>,
    ) {
        egui::Panel::top("menu_bar").show(ui, |ui| {
            menu_bar::show(
                ui,
                &self.layouts,
                &self.settings.recent,
                self.session.is_some(),
                actions,
            );
        });
        self.draw_top_bar(ui, actions);
        let proxy_line = self.live.status_line();
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            status_bar::show(
                ui,
                &self.status,
                &mut self.show_problems,
                counts,
                &proxy_line,
                actions,
            );
        });
    }

    fn draw(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        self.regions.clear();
        let counts = self.problem_counts();
        self.draw_chrome(ui, &counts, actions);
        let Some(session) = self.session.as_ref() else {
            egui::CentralPanel::default()
                .show(ui, |ui| welcome::show(ui, &self.settings.recent, actions));
            return;
        };
        if self.show_problems {
            let panel = egui::Panel::bottom("problems")
                .resizable(true)
                .default_size(160.0)
                .show(ui, |ui| {
                    problems::show(
                        ui,
                        session,
                        &counts,
                        self.registry.findings(),
                        &mut self.problems_filter,
                        actions,
                    );
                });
            self.regions.record(Region::Problems, panel.response.rect);
        }
        let nav_panel = egui::Panel::left("nav")
            .resizable(true)
            .default_size(theme::NAV_WIDTH)
            .show(ui, |ui| {
                nav::show(ui, &self.layouts, session, &self.page, &counts, actions);
            });
        self.regions
            .record(Region::Navigation, nav_panel.response.rect);
        self.view
            .refresh_registry_models(self.registry.store(), self.registry.revision());
        let central = egui::CentralPanel::default().show(ui, |ui| {
            external_change_banner(ui, &mut self.dialog, session, actions);
            let mut ctx = PageCtx {
                session,
                live: &self.live,
                actions,
                view: &mut self.view,
                read_only: session.parse_error().is_some(),
            };
            let (mut layout_page, mut registry_page, mut discovery_page);
            let page: &mut dyn Page = match &self.page {
                PageId::Layout(id) => match self.layouts.page(id) {
                    Some(page) => {
                        layout_page = LayoutPage(page);
                        &mut layout_page
                    }
                    None => {
                        ui.label(format!("No layout page \"{id}\""));
                        return;
                    }
                },
                PageId::RawToml => &mut RawTomlPage,
                PageId::Diff => &mut DiffPage,
                PageId::Preview => &mut self.preview_page,
                PageId::Registry => {
                    registry_page = RegistryPage(&mut self.registry);
                    &mut registry_page
                }
                PageId::Discovery => {
                    discovery_page = DiscoveryPage {
                        view: &mut self.discovery_view,
                        registry: self.registry.store(),
                    };
                    &mut discovery_page
                }
            };
            page.ui(ui, &mut ctx);
        });
        self.regions.record(Region::Page, central.response.rect);
    }

    fn modal_dialogs(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        match self.dialog {
            Dialog::ConfirmClose { ref failed } => {
                let failed = failed.clone();
                let name = self
                    .session
                    .as_ref()
                    .and_then(EditSession::path)
                    .map_or_else(|| "the new document".into(), |p| p.display().to_string());
                let doc_dirty = self.session.as_ref().is_some_and(EditSession::is_dirty);
                let registry_unsaved = self.registry.has_unsaved_edits();
                egui::Modal::new(egui::Id::unique("confirm_close")).show(ctx, |ui| {
                    ui.heading("Unsaved changes");
                    if doc_dirty {
                        ui.label(format!("Save the changes to {name} before closing?"));
                    }
                    if registry_unsaved {
                        ui.label("The model registry has edits that are not saved.");
                    }
                    if let Some(why) = &failed {
                        ui.label(
                            RichText::new(format!("The window stays open: {why}"))
                                .color(theme::error(ui.visuals())),
                        );
                    }
                    ui.horizontal(|ui| {
                        // Save covers both (a registry save runs on the
                        // worker); the window closes once both are saved.
                        if ui.button("Save").clicked() {
                            actions.push(Action::SaveAndClose);
                        }
                        if ui.button("Discard").clicked() {
                            actions.push(Action::DiscardAndClose);
                        }
                        if ui.button("Cancel").clicked() {
                            actions.push(Action::DismissDialog);
                        }
                    });
                });
            }
            Dialog::SaveConflict => {
                egui::Modal::new(egui::Id::unique("save_conflict")).show(ctx, |ui| {
                    ui.heading("The file changed on disk");
                    ui.label("Someone (or the proxy's API) wrote the file since you opened it. Saving now replaces their version; its content is kept in the .bak file.");
                    ui.horizontal(|ui| {
                        if ui.button("Overwrite").clicked() {
                            actions.push(Action::SaveOverwriting);
                        }
                        if ui.button("Reload theirs").clicked() {
                            actions.push(Action::Reload);
                        }
                        if ui.button("Show diff").clicked()
                            && let Some(disk) = self.session.as_ref().and_then(EditSession::external_change) {
                                self.dialog = Dialog::ExternalChange { disk, show_diff: true };
                            }
                        if ui.button("Cancel").clicked() {
                            actions.push(Action::DismissDialog);
                        }
                    });
                });
            }
            Dialog::None | Dialog::ExternalChange { .. } => {}
        }
    }

    /// One whole frame: `logic`, then `ui`, as eframe runs them (for
    /// harnesses that hand out a `Ui` only, such as snapshots and benches).
    pub fn step(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.logic_step(&ctx);
        self.ui_step(ui);
    }

    /// Everything but drawing: the close guard, answers from the proxy and
    /// registry jobs, the file watch and file dialogs, the actions the last
    /// frame collected, and the window title.
    pub fn logic_step(&mut self, ctx: &egui::Context) {
        if !self.style_installed {
            theme::install(ctx);
            self.style_installed = true;
        }
        self.close_guard(ctx);
        self.live.poll(ctx);
        // After the poll: a push that just finished says what it wrote.
        self.check_external_change();
        self.registry.set_repaint(ctx);
        self.registry.poll(&mut self.status);
        self.close_when_saved(ctx);
        self.sync_served_models();
        self.status.busy = self
            .dialogs
            .is_waiting()
            .then(|| "Choosing a file…".to_owned());
        let mut actions = std::mem::take(&mut self.pending);
        // Ctrl+S saves the config and the registry, Ctrl+Z undoes the last
        // edit of either: one app, whatever page is shown.
        actions.extend(commands::pressed(ctx));
        for action in actions {
            self.handle(ctx, action);
        }
        self.settings.last_page = Some(self.page.clone());
        let theme = self.settings.theme.preference();
        if ctx.options(|o| o.theme_preference) != theme {
            ctx.set_theme(theme);
        }
        self.update_title(ctx);
    }

    /// Draw the frame; what the user asked for is kept for the next `logic`.
    pub fn ui_step(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let mut actions = std::mem::take(&mut self.pending);
        // First, so that its arrows and Enter are not taken by the page below.
        let has_file = self.session.is_some();
        palette::show(
            &ctx,
            &self.layouts,
            has_file,
            &mut self.palette,
            &mut actions,
        );
        self.draw(ui, &mut actions);
        self.modal_dialogs(&ctx, &mut actions);
        push_dialog::show(&ctx, &self.live, &mut actions);
        restart_dialog::show(&ctx, &self.live, &mut actions);
        help::show(&ctx, &self.layouts, self.overlay, &mut actions);
        if let Some((purpose, path)) = self.dialogs.show(&ctx) {
            actions.push(match purpose {
                Purpose::Open => Action::OpenPath(path),
                Purpose::SaveAs => Action::SaveAsPath(path),
            });
        }
        if !actions.is_empty() {
            // Applied at the start of the next frame, which must come.
            ctx.request_repaint();
        }
        self.pending = actions;
    }

    /// The Registry table shows which entries the connected proxy serves
    /// (`/v1/models`), and the Preview page's served list fills the proxy's
    /// `null`s from the registry; both are rebuilt only when the answer or
    /// the registry changes.
    fn sync_served_models(&mut self) {
        // The served list needs the registry: look for it once a proxy answers.
        if self.live.models().value().is_some()
            && self.registry.needs_resolve()
            && !self.registry.is_busy()
        {
            self.registry_action(RegistryAction::Resolve);
        }
        let key = (self.live.models_generation(), self.registry.revision());
        if self.served_generation == Some(key) {
            return;
        }
        self.served_generation = Some(key);
        let models = self.live.models().value();
        self.registry.set_served(models.map(served_ids));
        self.preview_page
            .set_served(models.map_or_else(Vec::new, |m| served_models(m, self.registry.store())));
    }

    /// Closing with unsaved edits asks first (the "Unsaved changes" modal).
    fn close_guard(&mut self, ctx: &egui::Context) {
        let closing = ctx.input(|i| i.viewport().close_requested());
        let unsaved = self.session.as_ref().is_some_and(EditSession::is_dirty)
            || self.registry.has_unsaved_edits();
        if closing && !self.allow_close && unsaved {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.dialog = Dialog::ConfirmClose { failed: None };
        }
    }

    fn update_title(&mut self, ctx: &egui::Context) {
        let registry = self.registry.has_unsaved_edits();
        let title = match &self.session {
            Some(s) => format!(
                "{}{}{} — Config Studio",
                if s.is_dirty() || registry { "● " } else { "" },
                s.path()
                    .and_then(Path::file_name)
                    .map_or_else(|| "untitled".into(), |n| n.to_string_lossy().into_owned()),
                if registry { " + model registry" } else { "" }
            ),
            None => "Config Studio".to_owned(),
        };
        // Only on change: every viewport command schedules another frame.
        if title != self.window_title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.window_title = title;
        }
    }
}

fn external_change_banner(
    ui: &mut egui::Ui,
    dialog: &mut Dialog,
    session: &EditSession,
    actions: &mut Vec<Action>,
) {
    let Dialog::ExternalChange { disk, show_diff } = dialog else {
        return;
    };
    let name = session
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    theme::card(ui.visuals()).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("⚠ {name} changed on disk."))
                    .color(theme::warning(ui.visuals()))
                    .strong(),
            );
            if ui
                .button("Reload")
                .on_hover_text("Take the version on disk (undoable)")
                .clicked()
            {
                actions.push(Action::Reload);
            }
            if ui
                .button("Keep mine")
                .on_hover_text("Keep editing; saving will replace the file on disk")
                .clicked()
            {
                actions.push(Action::KeepMine);
            }
            ui.toggle_value(show_diff, "Show diff");
        });
        if *show_diff {
            ui.set_max_height(240.0);
            diff::show_diff(ui, disk, session.raw_text(), "on disk now", "this document");
        }
    });
    ui.add_space(6.0);
}

/// One spelling of a file's path, so the proxy's file (through a path map)
/// and the open file compare as the same file.
fn same_file_key(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// Where pushes are recorded: the app's data folder (`~/.local/share/...`).
fn history_dir() -> Option<PathBuf> {
    eframe::storage_dir("ImageWorks Config Studio").map(|d| d.join("push-history"))
}

fn first_page(layouts: &LayoutSet) -> PageId {
    layouts
        .pages
        .first()
        .map_or(PageId::RawToml, |p| PageId::Layout(p.id.clone()))
}

fn saved_message(path: Option<&Path>, outcome: &SaveOutcome) -> String {
    let name = path.map(|p| p.display().to_string()).unwrap_or_default();
    match outcome {
        SaveOutcome::Unchanged { .. } => {
            format!("{name} already had this content; nothing written")
        }
        SaveOutcome::Written {
            backup: Some(b), ..
        } => format!("Saved {name} (previous version in {})", b.display()),
        SaveOutcome::Written { backup: None, .. } => format!("Saved {name}"),
    }
}

impl eframe::App for StudioApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.logic_step(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_step(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        // The live proxy owns the profiles; copy them only when persisting.
        self.live.flush_profiles();
        self.settings.proxy_profiles = self.live.profiles().clone();
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
    }
}
