//! The connection to a live proxy: profiles, requests on a background
//! runtime (the UI thread never waits on the network), the last answers,
//! and the push in flight.

mod action;
mod endpoint_tests;
mod fleet;
mod profiles_store;
mod remote;
mod rescue;
mod restart;

pub use action::LiveAction;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use endpoint_tests::EndpointTest;
pub use fleet::{FleetGrid, FleetPush, FleetRow, FleetUi};
pub use remote::Remote;
pub use rescue::RescueRun;
pub use restart::{RestartAsk, RestartRun};

use crate::core::document::ConfigDocument;
use crate::core::layout::LayoutSet;
use crate::core::proxy::history::{self, HistoryEntry};
use crate::core::proxy::worker::WorkerSlot;
use crate::core::proxy::{
    ConnectionProfile, Health, ModelList, Preview, Profiles, ProxyApi, ProxyConfigView,
    ProxyWorker, PushError, PushMode, PushOutcome, PushPlan, PushTarget, RestartState,
    local_proxy_env, plan_push, preview, restart_state,
};

/// What the push dialog shows.
pub enum PushState {
    Closed,
    /// Planning failed (validation errors, file not reachable, ...).
    Refused(String),
    /// The plan, waiting for the admin.
    Review {
        plan: Box<PushPlan>,
        confirmed: bool,
    },
    Running {
        plan: Box<PushPlan>,
        rx: Receiver<crate::core::proxy::workflow::PushRun>,
    },
    Done {
        plan: Box<PushPlan>,
        result: Result<Box<PushOutcome>, String>,
        stale: Vec<crate::core::proxy::StaleConflict>,
    },
}

/// The live proxy's model: profiles, the answers, the push state machine
/// and the push history. Changed only through [`LiveAction`]s (`handle`);
/// the views read it through accessors.
pub struct LiveProxy {
    profiles: Profiles,
    api: Option<Arc<dyn ProxyApi>>,
    worker: WorkerSlot,
    health: Remote<Health>,
    config: Remote<ProxyConfigView>,
    models: Remote<ModelList>,
    /// Refresh every N seconds while set.
    auto_refresh_s: Option<u64>,
    last_request: Option<Instant>,
    push: PushState,
    push_mode: PushMode,
    /// Where pushes are recorded.
    history_dir: Option<PathBuf>,
    history: Vec<HistoryEntry>,
    /// Shown when the background runtime or the client cannot be made.
    setup_error: Option<String>,
    /// Why the last profile edit was refused (a duplicate name, ...).
    profile_error: Option<String>,
    /// Bumped whenever `models` changes, so views derive from it only then.
    models_generation: u64,
    /// The last `uptime_seconds` and when it arrived (kept while a refresh
    /// fails: a proxy down for its restart has not restarted yet).
    uptime_seen: Option<(f64, SystemTime)>,
    /// The restart dialog (`restart.rs`).
    restart: RestartRun,
    /// The rescue of a proxy that cannot start (`rescue.rs`).
    rescue: RescueRun,
    /// The history id of the last push this session recorded.
    last_push_id: Option<String>,
    /// The open document's file, the key of its base in the push history.
    draft_path: Option<PathBuf>,
    /// Tests of the config's `[[endpoints]]` (`endpoint_tests.rs`).
    endpoint_tests: endpoint_tests::EndpointTests,
    /// The profiles file both fronts read (`profiles_store.rs`).
    profiles_store: Option<profiles_store::ProfilesStore>,
    /// When the profiles last changed without being written to the file:
    /// typing in a profile field changes them on every keystroke, and the
    /// file is written once the typing pauses (`PROFILES_SAVE_AFTER`).
    profiles_unsaved_since: Option<Instant>,
    /// The selected fleet, its grid and its push (`fleet.rs`).
    fleet: FleetUi,
    /// Files on this machine a push of this app wrote (or may have
    /// written), each with the text it expects there, until the app takes
    /// them: a change it made itself is not someone else's edit.
    own_writes: Vec<(PathBuf, String)>,
}

/// How long the profiles may stay changed but unwritten while someone types.
const PROFILES_SAVE_AFTER: Duration = Duration::from_millis(800);

impl LiveProxy {
    pub fn new(profiles: Profiles, history_dir: Option<PathBuf>) -> Self {
        let mut live = Self {
            profiles,
            api: None,
            worker: WorkerSlot::default(),
            health: Remote::Idle,
            config: Remote::Idle,
            models: Remote::Idle,
            auto_refresh_s: None,
            last_request: None,
            push: PushState::Closed,
            push_mode: PushMode::Api,
            history_dir,
            history: Vec::new(),
            setup_error: None,
            profile_error: None,
            models_generation: 0,
            uptime_seen: None,
            restart: RestartRun::Idle,
            rescue: RescueRun::Idle,
            last_push_id: None,
            own_writes: Vec::new(),
            draft_path: None,
            endpoint_tests: endpoint_tests::EndpointTests::default(),
            profiles_store: None,
            profiles_unsaved_since: None,
            fleet: FleetUi::default(),
        };
        live.reload_history();
        live
    }

    /// Keep the profiles in the profiles file at `path`: the settings'
    /// profiles move there when it does not exist yet, then the file's are used.
    #[must_use]
    pub fn with_profiles_file(mut self, path: Option<PathBuf>) -> Self {
        let Some(path) = path else { return self };
        let (store, profiles, problem) = profiles_store::ProfilesStore::open(path, &self.profiles);
        if let Some(p) = profiles {
            self.profiles = p;
        }
        self.profiles_store = store;
        self.profile_error = problem;
        self
    }

    /// The fleets of the profiles file (name → profile names).
    pub fn fleets(&self) -> Option<&std::collections::BTreeMap<String, Vec<String>>> {
        self.profiles_store
            .as_ref()
            .map(profiles_store::ProfilesStore::fleets)
    }

    /// Use this client instead of one built from the active profile (tests, demos).
    pub fn with_api(mut self, api: Arc<dyn ProxyApi>) -> Self {
        self.api = Some(api);
        self
    }

    fn api(&mut self) -> Option<Arc<dyn ProxyApi>> {
        if self.api.is_none() {
            match self.profiles.active().client() {
                Ok(client) => self.api = Some(Arc::new(client)),
                Err(e) => self.setup_error = Some(e.to_string()),
            }
        }
        self.api.clone()
    }

    fn worker(&mut self) -> Option<&ProxyWorker> {
        match self.worker.get() {
            Ok(worker) => Some(worker),
            Err(e) => {
                self.setup_error = Some(e.to_string());
                None
            }
        }
    }

    /// The background worker, to share with the registry jobs.
    pub fn worker_slot(&self) -> &WorkerSlot {
        &self.worker
    }

    pub fn profiles(&self) -> &Profiles {
        &self.profiles
    }

    pub fn health(&self) -> &Remote<Health> {
        &self.health
    }

    pub fn config(&self) -> &Remote<ProxyConfigView> {
        &self.config
    }

    pub fn models(&self) -> &Remote<ModelList> {
        &self.models
    }

    pub fn push(&self) -> &PushState {
        &self.push
    }

    /// Pushes recorded so far, oldest first.
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }

    /// Whether pushes are recorded at all (the app has a data folder).
    pub fn records_history(&self) -> bool {
        self.history_dir.is_some()
    }

    pub fn auto_refresh_s(&self) -> Option<u64> {
        self.auto_refresh_s
    }

    pub fn setup_error(&self) -> Option<&str> {
        self.setup_error.as_deref()
    }

    pub fn profile_error(&self) -> Option<&str> {
        self.profile_error.as_deref()
    }

    /// The open document's file (its pushes are recorded against it).
    pub fn set_draft_path(&mut self, path: Option<&std::path::Path>) {
        self.draft_path = path.map(std::path::Path::to_path_buf);
    }

    /// Apply one change the user asked for; `draft` is the open document.
    pub fn handle(
        &mut self,
        ctx: &egui::Context,
        action: LiveAction,
        draft: Option<&ConfigDocument>,
        layouts: &Arc<LayoutSet>,
    ) {
        match action {
            LiveAction::Refresh => self.refresh(ctx),
            LiveAction::AutoRefresh(every) => self.auto_refresh_s = every,
            LiveAction::SelectProfile(name) => self.set_active_profile(&name),
            LiveAction::NewProfile => self.new_profile(),
            LiveAction::RemoveProfile(name) => self.remove_profile(&name),
            LiveAction::EditProfile { name, edited } => {
                match self.profiles.update(&name, *edited) {
                    Ok(()) => self.profile_changed(),
                    Err(e) => self.profile_error = Some(e.to_string()),
                }
            }
            LiveAction::OpenPush(mode) => {
                if let Some(draft) = draft {
                    self.push_mode = mode;
                    self.open_push(draft, layouts);
                }
            }
            LiveAction::ConfirmLosses(value) => {
                if let PushState::Review { confirmed, .. } = &mut self.push {
                    *confirmed = value;
                }
            }
            LiveAction::Push => self.start_push(ctx, layouts),
            LiveAction::ClosePush => {
                // A push under way finishes and is recorded; only its dialog waits.
                if !matches!(self.push, PushState::Running { .. }) {
                    self.push = PushState::Closed;
                }
            }
            LiveAction::AskRestart => self.ask_restart(),
            LiveAction::Rescue(file) => self.start_rescue(ctx, file, layouts),
            LiveAction::CloseRescue => self.close_rescue(),
            LiveAction::Restart { interrupt_gpu_job } => {
                self.start_restart(ctx, layouts, interrupt_gpu_job);
            }
            LiveAction::CloseRestart => self.close_restart(),
            LiveAction::TestEndpoint(spec) => self.start_endpoint_test(ctx, *spec),
            LiveAction::Revert(index) => {
                let fleet_push = self
                    .history
                    .get(index)
                    .is_some_and(|e| !e.targets.is_empty());
                if fleet_push {
                    self.open_fleet_revert(ctx, index, layouts);
                } else if let Some(draft) = draft {
                    self.open_revert(index, draft, layouts);
                }
            }
            LiveAction::SelectFleet(name) => self.select_fleet(name),
            LiveAction::CheckFleet => {
                if let Some(draft) = draft {
                    self.check_fleet(ctx, draft, layouts);
                }
            }
            LiveAction::OpenFleetPush(mode) => {
                if let Some(draft) = draft {
                    self.open_fleet_push(ctx, draft, layouts, mode);
                }
            }
            LiveAction::FleetTab(tab) => self.fleet_tab(tab),
            LiveAction::ConfirmFleetLosses(value) => self.confirm_fleet_losses(value),
            LiveAction::FleetPush => self.start_fleet_push(ctx, layouts),
            LiveAction::CloseFleetPush => self.close_fleet_push(),
        }
    }

    /// A new profile `profile-N` (the first N free) on the active one's URL, made active.
    fn new_profile(&mut self) {
        let name = (1..)
            .map(|n| format!("profile-{n}"))
            .find(|n| self.profiles.get(n).is_none())
            .unwrap_or_default();
        let profile = ConnectionProfile::new(&name, &self.profiles.active().base_url);
        if self.profiles.add(profile).is_ok() {
            self.set_active_profile(&name);
        }
    }

    /// Remove a profile (never the last one); the first left becomes active.
    fn remove_profile(&mut self, name: &str) {
        if self.profiles.all().len() <= 1 {
            return;
        }
        if let Err(e) = self.profiles.remove(name) {
            self.profile_error = Some(e.to_string());
            return;
        }
        let first = self.profiles.active().name.clone();
        self.set_active_profile(&first);
    }

    /// Switch profile: forget the old proxy's answers.
    fn set_active_profile(&mut self, name: &str) {
        if self.profiles.set_active(name).is_ok() {
            self.profile_changed();
        }
    }

    /// The active profile's settings changed: the next request builds a new client.
    fn profile_changed(&mut self) {
        self.api = None;
        self.setup_error = None;
        self.profile_error = None;
        if self.profiles_store.is_some() {
            self.profiles_unsaved_since = Some(Instant::now());
        }
        self.health = Remote::Idle;
        self.config = Remote::Idle;
        self.models = Remote::Idle;
        self.models_generation += 1;
        self.uptime_seen = None;
        self.push = PushState::Closed;
        self.close_restart();
    }

    pub fn base_url(&self) -> String {
        self.api.as_ref().map_or_else(
            || self.profiles.active().base_url.clone(),
            |a| a.base_url().to_owned(),
        )
    }

    /// Ask for health, config and models, off the UI thread.
    fn refresh(&mut self, ctx: &egui::Context) {
        let Some(api) = self.api() else { return };
        let Some(worker) = self.worker() else { return };
        let repaint = |ctx: &egui::Context| {
            let ctx = ctx.clone();
            move || ctx.request_repaint()
        };
        let a = Arc::clone(&api);
        let health = worker.spawn(async move { a.health().await }, repaint(ctx));
        let a = Arc::clone(&api);
        let config = worker.spawn(async move { a.config().await }, repaint(ctx));
        let a = api;
        let models = worker.spawn(async move { a.models().await }, repaint(ctx));
        self.health.start(health);
        self.config.start(config);
        self.models.start(models);
        self.last_request = Some(Instant::now());
    }

    /// Write changed profiles to the profiles file now (on exit, and once
    /// typing in a profile field pauses).
    pub fn flush_profiles(&mut self) {
        if self.profiles_unsaved_since.take().is_none() {
            return;
        }
        if let Some(store) = &mut self.profiles_store
            && let Err(e) = store.save(&self.profiles)
        {
            self.profile_error = Some(e);
        }
    }

    /// Take answers that arrived; refresh when the interval is up.
    pub fn poll(&mut self, ctx: &egui::Context) {
        if let Some(since) = self.profiles_unsaved_since {
            match PROFILES_SAVE_AFTER.checked_sub(since.elapsed()) {
                Some(left) if !left.is_zero() => ctx.request_repaint_after(left),
                _ => self.flush_profiles(),
            }
        }
        if self.health.poll()
            && let (Some(h), Some(at)) = (self.health.value(), self.health.fetched_at())
        {
            self.uptime_seen = Some((h.uptime_seconds, at));
        }
        self.config.poll();
        if self.models.poll() {
            self.models_generation += 1;
        }
        self.poll_push(ctx);
        self.poll_restart(ctx);
        self.poll_rescue(ctx);
        self.poll_fleet();
        self.poll_endpoint_tests();
        if let (Some(every), Some(last)) = (self.auto_refresh_s, self.last_request) {
            let every = Duration::from_secs(every.max(1));
            if last.elapsed() >= every && !self.config.is_pending() {
                self.refresh(ctx);
            }
            ctx.request_repaint_after(every.saturating_sub(last.elapsed()));
        }
    }

    pub fn models_generation(&self) -> u64 {
        self.models_generation
    }

    /// Which pushed keys this proxy does not run with yet, from the history
    /// and its last uptime (`None` before its health has answered).
    pub fn restart_state(&self) -> Option<RestartState> {
        let (uptime, at) = self.uptime_seen?;
        let now = at
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        Some(restart_state(&self.history, &self.base_url(), now, uptime))
    }

    /// One line for the status bar.
    pub fn status_line(&self) -> String {
        let url = self.base_url();
        match (&self.health, self.health.value()) {
            (Remote::Idle, _) => format!("proxy {url}: not checked (Preview & push, Refresh)"),
            (Remote::Pending { .. }, _) => format!("proxy {url}: checking…"),
            (Remote::Ready { at, .. }, Some(h)) => format!(
                "proxy {url}: connected, up {}, refreshed {}",
                human_duration(h.uptime_seconds),
                clock(*at)
            ),
            (Remote::Failed { .. }, _) if self.health.unreachable() => {
                format!("proxy {url}: unreachable")
            }
            (Remote::Failed { .. }, _) => format!("proxy {url}: error"),
            (Remote::Ready { .. }, None) => format!("proxy {url}"),
        }
    }

    /// The preview of `draft`: against the proxy's view when there is one, else offline.
    pub fn preview(&self, draft: &ConfigDocument, layouts: &LayoutSet) -> Preview {
        match self.config.value() {
            Some(view) => preview(draft, layouts, Some(view), &view.env_overrides),
            None => preview(draft, layouts, None, &local_proxy_env()),
        }
    }

    /// Plan a push of `draft` from the view the admin is looking at.
    fn open_push(&mut self, draft: &ConfigDocument, layouts: &LayoutSet) {
        self.open_push_of(draft, layouts, true);
    }

    /// Plan a push of `draft`; `as_draft`: it is the open document (its
    /// base in the history applies), not a file's earlier text put back.
    fn open_push_of(&mut self, draft: &ConfigDocument, layouts: &LayoutSet, as_draft: bool) {
        // A finished restart belongs to the push before this one.
        self.close_restart();
        let Some(view) = self.config.value() else {
            self.push =
                PushState::Refused("Not connected: refresh the proxy's config first.".into());
            return;
        };
        let base_url = self.base_url();
        let draft_path = self.draft_path.clone().filter(|_| as_draft);
        let base = match (&self.history_dir, &draft_path) {
            (Some(dir), Some(path)) => {
                crate::core::proxy::history::draft_base_in(dir, &base_url, path)
                    .ok()
                    .flatten()
            }
            _ => None,
        };
        let target = PushTarget::new(&base_url)
            .with_path_maps(self.profiles.active().path_maps.clone())
            .with_draft(draft_path, base);
        self.push = match plan_push(draft, layouts, view, &target, self.push_mode) {
            Ok(plan) => PushState::Review {
                plan: Box::new(plan),
                confirmed: false,
            },
            Err(e) => PushState::Refused(e.to_string()),
        };
    }

    /// Send the reviewed plan (through the same checks: stale guard, read-back).
    fn start_push(&mut self, ctx: &egui::Context, layouts: &Arc<LayoutSet>) {
        let PushState::Review { plan, confirmed } =
            std::mem::replace(&mut self.push, PushState::Closed)
        else {
            return;
        };
        if plan.needs_confirmation() && !confirmed {
            self.push = PushState::Review { plan, confirmed };
            return;
        }
        let (Some(api), Some(worker)) = (self.api(), self.worker()) else {
            self.push = PushState::Refused(self.setup_error.clone().unwrap_or_default());
            return;
        };
        let task_plan = (*plan).clone();
        let layouts = Arc::clone(layouts);
        let repaint = ctx.clone();
        let rx = worker.spawn(
            async move {
                let mut no_restart = |_: &crate::core::proxy::RestartStage| {};
                crate::core::proxy::workflow::push_and_restart(
                    api.as_ref(),
                    &task_plan,
                    &layouts,
                    confirmed,
                    None,
                    &mut no_restart,
                )
                .await
            },
            move || repaint.request_repaint(),
        );
        self.push = PushState::Running { plan, rx };
    }

    fn poll_push(&mut self, ctx: &egui::Context) {
        let PushState::Running { rx, .. } = &self.push else {
            return;
        };
        let Ok(run) = rx.try_recv() else { return };
        let PushState::Running { plan, .. } = std::mem::replace(&mut self.push, PushState::Closed)
        else {
            return;
        };
        self.record(&plan, &run);
        let wrote =
            matches!(&run.result, Ok(o) if o.status != crate::core::proxy::PushStatus::Nothing);
        if let (true, Some(path)) = (wrote, plan.local_file()) {
            self.own_writes
                .push((path.to_path_buf(), plan.new_text.clone()));
        }
        let result = run.result;
        let stale = match &result {
            Err(PushError::Stale { conflicts }) => conflicts.clone(),
            _ => Vec::new(),
        };
        self.push = PushState::Done {
            plan,
            result: result.map(Box::new).map_err(|e| e.to_string()),
            stale,
        };
        self.refresh(ctx);
    }

    fn record(&mut self, plan: &PushPlan, run: &crate::core::proxy::workflow::PushRun) {
        self.last_push_id = None;
        let Some(dir) = &self.history_dir else { return };
        let Some(entry) = run.history_entry(&self.profiles.active().name, plan) else {
            return;
        };
        match history::record(dir, &entry) {
            Ok(()) => self.last_push_id = Some(entry.id),
            Err(e) => {
                self.last_push_id = None;
                self.setup_error = Some(format!("the push was not recorded in the history: {e}"));
            }
        }
        self.reload_history();
    }

    /// The files this app's pushes wrote since the last call, with the
    /// text each push expects there (see `own_writes`).
    pub fn take_own_writes(&mut self) -> Vec<(PathBuf, String)> {
        std::mem::take(&mut self.own_writes)
    }

    /// A push is under way: a change on disk now may be its own.
    /// A push or a rescue is under way: either may be writing the open file.
    pub fn is_pushing(&self) -> bool {
        matches!(self.push, PushState::Running { .. })
            || matches!(self.rescue, RescueRun::Running { .. })
    }

    fn reload_history(&mut self) {
        if let Some(dir) = &self.history_dir {
            self.history = history::list(dir).map(|h| h.entries).unwrap_or_default();
        }
    }

    /// Plan a push that puts back what history entry `index` replaced.
    fn open_revert(&mut self, index: usize, draft: &ConfigDocument, layouts: &LayoutSet) {
        let Some(entry) = self.history.get(index) else {
            return;
        };
        match entry.revert_route() {
            // The file as it was before that push, byte for byte, planned,
            // reviewed and read back like any file push.
            Ok(history::RevertRoute::RestoreText { text, path }) => {
                match ConfigDocument::parse(&text) {
                    // A file push is planned against the proxy's answer; a
                    // proxy that cannot read its file may not give one.
                    Ok(_) if self.config.value().is_none() => {
                        let dir = self
                            .history_dir
                            .as_ref()
                            .map_or_else(String::new, |d| d.display().to_string());
                        self.push = PushState::Refused(format!(
                            "cannot plan the revert: the proxy's config is not read (Refresh first). When the proxy cannot read its file at all, put {} back without it: iw-studio history --history-dir {dir} revert {index} --restore-file",
                            path.display()
                        ));
                    }
                    Ok(before) => {
                        self.push_mode = PushMode::File;
                        self.open_push_of(&before, layouts, false);
                    }
                    Err(e) => {
                        self.push = PushState::Refused(format!(
                            "cannot revert: the file's text before that push does not parse here (line {}, column {}): {}",
                            e.line, e.column, e.message
                        ));
                    }
                }
            }
            Ok(history::RevertRoute::PushBack) => {
                match history::revert_draft(entry, draft, layouts) {
                    Ok(reverted) => {
                        self.push_mode = entry.mode;
                        self.open_push(&reverted, layouts);
                    }
                    Err(e) => self.push = PushState::Refused(e.to_string()),
                }
            }
            Err(e) => self.push = PushState::Refused(e.to_string()),
        }
    }
}

pub fn human_duration(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        _ => format!("{}h {}m", s / 3600, s % 3600 / 60),
    }
}

/// Local wall-clock time of day, HH:MM:SS (UTC; the machine has no tz database here).
pub fn clock(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Typing in a profile field changes the profiles on every keystroke;
    /// the file is written once the typing pauses, or at once on exit.
    #[test]
    fn profile_edits_are_written_once_typing_pauses() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("profiles.toml");
        let mut live =
            LiveProxy::new(Profiles::default(), None).with_profiles_file(Some(path.clone()));
        let written = std::fs::read_to_string(&path)?;
        let ctx = egui::Context::default();
        let layouts = Arc::new(LayoutSet::builtin()?);
        let name = live.profiles().active().name.clone();
        for url in ["http://10.0.0.", "http://10.0.0.7", "http://10.0.0.7:8100"] {
            let mut edited = live.profiles().active().clone();
            edited.base_url = url.to_owned();
            let edit = LiveAction::EditProfile {
                name: name.clone(),
                edited: Box::new(edited),
            };
            live.handle(&ctx, edit, None, &layouts);
            live.poll(&ctx);
        }
        assert_eq!(std::fs::read_to_string(&path)?, written, "not while typing");
        live.flush_profiles();
        let flushed = std::fs::read_to_string(&path)?;
        assert!(flushed.contains("http://10.0.0.7:8100"), "{flushed}");
        assert!(!flushed.contains("\"http://10.0.0.7\""), "{flushed}");
        Ok(())
    }
}
