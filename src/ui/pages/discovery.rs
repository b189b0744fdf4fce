//! "What ImageWorks will offer": the discovery document (`core::discovery`)
//! of the open draft, with the models the connected proxy serves and those
//! of the registry the Registry page has open, drawn as grouped lists with
//! badges. "Copy JSON" copies what `iw-studio discovery --format json`
//! prints for the same inputs.

use std::path::PathBuf;

use egui::{Color32, RichText, Ui};

use crate::core::discovery::{
    Discovery, ModelInfo, ModuleState, RegistryInput, Sources, discover, env_is_set_here,
};
use crate::core::layout::LayoutSet;
use crate::core::registry::RegistryStore;
use crate::ui::actions::Action;
use crate::ui::page_ctx::PageCtx;
use crate::ui::pages::registry::RegistryAction;
use crate::ui::theme;
use crate::ui::widgets::badge;

/// The capability flags a model row shows (the registry writes dozens of
/// aliases per entry; these are the ones the feature flags read).
const HEADLINE_CAPABILITIES: [&str; 3] = ["vision", "reasoning", "embedding"];

const MODEL_ROW_HEIGHT: f32 = 22.0;

/// The page's view state: the last document and what it was built from.
/// Built again only when an input changes: a large registry makes the
/// document too costly to rebuild every frame.
#[derive(Default)]
pub struct DiscoveryView {
    cached: Option<(Inputs, Discovery)>,
    /// The registry was asked to open (once, as the Registry page does on
    /// its first visit), so that the page lists its models.
    asked_for_registry: bool,
    /// "Copy JSON" was clicked for the document shown.
    copied: bool,
}

/// What a document was built from. The registry is told by its folder, its
/// merge's address and size: an edit or a reload replaces the merge.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Inputs {
    draft: String,
    models_generation: u64,
    registry: Option<(PathBuf, usize, usize)>,
}

impl DiscoveryView {
    /// Build the document again if an input changed since the last one.
    fn refresh(
        &mut self,
        ctx: &PageCtx<'_>,
        registry: Option<&RegistryStore>,
        served_by: Option<&str>,
    ) {
        let inputs = Inputs {
            draft: ctx.session.raw_text().to_owned(),
            models_generation: served_by.map_or(0, |_| ctx.live.models_generation()),
            registry: registry.map(|s| {
                let merged = s.merged();
                (
                    s.dir().to_path_buf(),
                    std::ptr::from_ref(merged).addr(),
                    merged.entries.len(),
                )
            }),
        };
        if self.cached.as_ref().is_some_and(|(had, _)| *had == inputs) {
            return;
        }
        let sources = Sources {
            registry: registry.map(|s| RegistryInput {
                dir: s.dir(),
                merged: s.merged(),
            }),
            served: served_by.and(ctx.live.models().value()),
            env_is_set: &env_is_set_here,
        };
        let discovery = discover(ctx.session.doc(), ctx.session.layouts(), &sources);
        self.copied = false;
        self.cached = Some((inputs, discovery));
    }
}

pub fn show(
    ui: &mut Ui,
    ctx: &mut PageCtx<'_>,
    view: &mut DiscoveryView,
    registry: Option<&RegistryStore>,
) {
    if registry.is_none() && !view.asked_for_registry {
        view.asked_for_registry = true;
        ctx.actions.push(Action::Registry(RegistryAction::Resolve));
    }
    let base_url = ctx.live.base_url();
    let served_by = ctx.live.models().value().map(|_| base_url.as_str());
    ui.heading("What ImageWorks will offer");
    view.refresh(ctx, registry, served_by);
    let Some((_, discovery)) = &view.cached else {
        return;
    };
    let layouts = ctx.session.layouts();
    ui.horizontal_wrapped(|ui| {
        ui.label(sources_line(discovery, served_by));
        copy_button(ui, &mut view.copied, discovery);
    });
    ui.add_space(theme::ROW_GAP);
    egui::ScrollArea::vertical()
        .id_salt("discovery_scroll")
        .show(ui, |ui| {
            // Two columns, so that a window shows the whole document: the
            // pages on the left, what depends on the environment on the right.
            ui.columns(2, |columns| {
                pages_card(&mut columns[0], layouts, discovery);
                features_card(&mut columns[1], discovery);
                storage_card(&mut columns[1], discovery);
                endpoints_card(&mut columns[1], discovery);
                models_card(&mut columns[1], &discovery.models, served_by.is_some());
            });
        });
}

fn sources_line(d: &Discovery, served_by: Option<&str>) -> String {
    let mut line = "From the open draft".to_owned();
    if let Some(url) = served_by {
        line.push_str(&format!(", the models {url} serves"));
    }
    match &d.features.registry_dir {
        Some(dir) => line.push_str(&format!(", the registry in {dir}")),
        None => line.push_str(" (no registry open: open one on the Registry page for its models)"),
    }
    line.push('.');
    if served_by.is_none() {
        line.push_str(" Connect on Preview & push to see which models are served.");
    }
    line
}

fn copy_button(ui: &mut Ui, copied: &mut bool, d: &Discovery) {
    if ui
        .button("📋 Copy JSON")
        .on_hover_text("The document “iw-studio discovery --format json” prints")
        .clicked()
    {
        let text = serde_json::to_string_pretty(d)
            .unwrap_or_else(|e| format!("{{\"error\": \"cannot encode: {e}\"}}"));
        ui.ctx().copy_text(text);
        *copied = true;
    }
    if *copied {
        ui.label(RichText::new("✔ Copied").color(theme::ok(ui.visuals())));
    }
}

fn card(ui: &mut Ui, title: &str, body: impl FnOnce(&mut Ui)) {
    theme::card(ui.visuals()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new(title).strong());
        ui.add_space(4.0);
        body(ui);
    });
    ui.add_space(theme::SECTION_GAP);
}

fn on_off(ui: &Ui, on: bool) -> (&'static str, Color32) {
    let v = ui.visuals();
    if on {
        ("on", theme::ok(v))
    } else {
        ("off", theme::muted(v))
    }
}

/// The label a layout gives `table.key`, else the key.
fn label_of(layouts: &LayoutSet, table: &str, key: &str) -> String {
    layouts
        .field(&format!("{table}.{key}"))
        .map_or_else(|| key.to_owned(), |f| f.label.clone())
}

/// Each page with its modules below it; modules of no listed page last.
fn pages_card(ui: &mut Ui, layouts: &LayoutSet, d: &Discovery) {
    card(ui, "Pages and their modules", |ui| {
        for (page, on) in d.pages.iter() {
            ui.horizontal(|ui| {
                ui.label(label_of(layouts, "ui.pages", page))
                    .on_hover_text(format!("ui.pages.{page}"));
                let (text, tone) = on_off(ui, *on);
                badge(ui, text, tone, "This page is shown in ImageWorks");
                if d.default_page.as_deref() == Some(page) {
                    badge(
                        ui,
                        "default page",
                        theme::accent(ui.visuals()),
                        "ImageWorks opens on this page",
                    );
                }
            });
            let mut modules = d
                .modules
                .iter()
                .filter(|(_, m)| m.page.as_deref() == Some(page))
                .peekable();
            if modules.peek().is_some() {
                ui.indent(("discovery_modules", page), |ui| {
                    for (id, module) in modules {
                        module_row(ui, layouts, id, module, *on);
                    }
                });
            }
        }
        for (id, module) in d.modules.iter() {
            let page = module.page.as_deref();
            if page.is_none_or(|p| d.pages.get(p).is_none()) {
                module_row(ui, layouts, id, module, true);
            }
        }
        if d.default_page.is_none() {
            ui.label("No default page.");
        }
    });
}

fn module_row(ui: &mut Ui, layouts: &LayoutSet, id: &str, module: &ModuleState, page_on: bool) {
    ui.horizontal(|ui| {
        ui.label(label_of(layouts, "ui.modules", id))
            .on_hover_text(format!("ui.modules.{id}"));
        let v = ui.visuals().clone();
        if module.enabled {
            badge(ui, "on", theme::ok(&v), "This module is shown in its page");
        } else if !page_on {
            badge(
                ui,
                "off (page off)",
                theme::muted(&v),
                "On or not, a module is hidden while its page is off",
            );
        } else {
            badge(ui, "off", theme::muted(&v), "This module is turned off");
        }
    });
}

fn storage_card(ui: &mut Ui, d: &Discovery) {
    card(ui, "Storage per asset kind", |ui| {
        for (kind, asset) in d.storage.iter() {
            ui.horizontal_wrapped(|ui| {
                ui.label(kind);
                let v = ui.visuals().clone();
                badge(ui, &asset.backend, theme::accent(&v), "Where this kind is stored");
                for (var, set) in asset.env_set.iter() {
                    if *set {
                        badge(
                            ui,
                            &format!("{var} set"),
                            theme::ok(&v),
                            "Set in this studio's environment (its value is never read out)",
                        );
                    } else {
                        badge(
                            ui,
                            &format!("{var} unset"),
                            theme::warning(&v),
                            "Not set in this studio's environment: ImageWorks started from here could not reach the store",
                        );
                    }
                }
            });
        }
    });
}

fn endpoints_card(ui: &mut Ui, d: &Discovery) {
    card(ui, "Endpoints", |ui| {
        if d.endpoints.is_empty() {
            ui.label("No [[endpoints]] in the draft.");
        }
        for e in &d.endpoints {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(e.name.as_deref().unwrap_or("(no name)")).strong());
                let v = ui.visuals().clone();
                for alias in &e.aliases {
                    badge(
                        ui,
                        alias,
                        theme::muted(&v),
                        "Another name for this endpoint",
                    );
                }
                if let Some(kind) = &e.kind {
                    badge(ui, kind, theme::accent(&v), "The API it speaks");
                }
                ui.label(
                    e.base_url
                        .as_deref()
                        .map_or_else(|| "(no base_url)".to_owned(), crate::ui::widgets::shown),
                );
            });
            let models = if e.default_models.is_empty() {
                "none".to_owned()
            } else {
                e.default_models.join(", ")
            };
            ui.indent(("discovery_endpoint", e.name.as_deref()), |ui| {
                ui.label(format!("Default models: {models}"));
            });
        }
    });
}

fn models_card(ui: &mut Ui, models: &[ModelInfo], connected: bool) {
    let served = models.iter().filter(|m| m.served == Some(true)).count();
    let title = if connected {
        format!("Models ({}, {served} served)", models.len())
    } else {
        format!("Models ({}, not connected)", models.len())
    };
    card(ui, &title, |ui| {
        if models.is_empty() {
            ui.label("No models: open a registry or connect to a proxy.");
            return;
        }
        egui::ScrollArea::vertical()
            .id_salt("discovery_models")
            .max_height(MODEL_ROW_HEIGHT * 12.0)
            .show_rows(ui, MODEL_ROW_HEIGHT, models.len(), |ui, rows| {
                for m in &models[rows] {
                    model_row(ui, m);
                }
            });
    });
}

fn model_row(ui: &mut Ui, m: &ModelInfo) {
    ui.horizontal(|ui| {
        ui.label(&m.display_id)
            .on_hover_text(format!("registry name: {}", m.name));
        let v = ui.visuals().clone();
        if m.served == Some(true) {
            badge(
                ui,
                "served",
                theme::ok(&v),
                "The connected proxy lists it in /v1/models",
            );
        }
        for cap in HEADLINE_CAPABILITIES {
            if m.capabilities.iter().any(|c| c == cap) {
                badge(ui, cap, theme::accent(&v), "A capability flag that is on");
            }
        }
    });
}

fn features_card(ui: &mut Ui, d: &Discovery) {
    let f = &d.features;
    let title = if f.checked {
        "Features (checked against the proxy)"
    } else {
        "Features (not checked: no proxy connected)"
    };
    card(ui, title, |ui| {
        let v = ui.visuals().clone();
        ui.horizontal_wrapped(|ui| {
            for (name, on) in [
                ("vision", f.vision_available),
                ("reasoning", f.reasoning_available),
                ("embedding", f.embedding_available),
            ] {
                let (text, tone, tip) = match on {
                    Some(true) => (
                        format!("{name} available"),
                        theme::ok(&v),
                        "A model the proxy serves has this capability",
                    ),
                    Some(false) => (
                        format!("no {name}"),
                        theme::muted(&v),
                        "No model the proxy serves has this capability",
                    ),
                    None => (
                        format!("{name} unknown"),
                        theme::muted(&v),
                        "Unknown offline: only the proxy's /v1/models says what it serves",
                    ),
                };
                badge(ui, &text, tone, tip);
            }
        });
        if let Some(backends) = &f.backends {
            let backends = if backends.is_empty() {
                "none".to_owned()
            } else {
                backends.join(", ")
            };
            ui.label(format!("Backends in use: {backends}"));
        }
        if let Some(r) = &f.registered {
            let named: Vec<&str> = [
                ("vision", r.vision),
                ("reasoning", r.reasoning),
                ("embedding", r.embedding),
            ]
            .into_iter()
            .filter_map(|(name, on)| on.then_some(name))
            .collect();
            let named = if named.is_empty() {
                "none of vision, reasoning, embedding".to_owned()
            } else {
                named.join(", ")
            };
            let backends = if r.backends.is_empty() {
                "none".to_owned()
            } else {
                r.backends.join(", ")
            };
            ui.label(
                RichText::new(format!(
                    "Registered, not checked: {named}; backends {backends}"
                ))
                .color(theme::muted(&v)),
            )
            .on_hover_text(
                "What the registry's entries (not deprecated) have; a proxy may serve none of them",
            );
        }
        ui.label(format!(
            "Registry folder: {}",
            f.registry_dir.as_deref().unwrap_or("none")
        ));
    });
}
