//! Left navigation, generated from the layouts, grouped as they say.

use std::collections::HashMap;

use egui::{RichText, Ui};

use crate::core::layout::LayoutSet;
use crate::core::problem_counts::ProblemCounts;
use crate::core::session::EditSession;
use crate::ui::actions::Action;
use crate::ui::nav::{PageId, page_for_path};
use crate::ui::theme;

pub fn show(
    ui: &mut Ui,
    layouts: &LayoutSet,
    session: &EditSession,
    current: &PageId,
    problems: &ProblemCounts,
    actions: &mut Vec<Action>,
) {
    let counts = cached_counts(ui, layouts, session);
    egui::ScrollArea::vertical().show(ui, |ui| {
        let mut group = "";
        for page in &layouts.pages {
            if page.group != group {
                group = &page.group;
                ui.add_space(8.0);
                ui.label(
                    RichText::new(group)
                        .strong()
                        .color(theme::muted(ui.visuals())),
                );
            }
            let id = PageId::Layout(page.id.clone());
            let (errors, warnings) = counts.get(&id).copied().unwrap_or_default();
            entry(
                ui,
                &format!("{} {}", page.icon, page.title),
                &id,
                current,
                Badge::new(errors, warnings, "this file, on this page"),
                actions,
            );
        }
        // The sum of the ImageWorks pages, under them (a heading of its
        // own only when other layouts come last).
        if group != IMAGEWORKS_GROUP {
            ui.add_space(8.0);
            heading(ui, IMAGEWORKS_GROUP);
        }
        entry(
            ui,
            "☑ What ImageWorks will offer",
            &PageId::Discovery,
            current,
            Badge::default(),
            actions,
        );
        ui.add_space(8.0);
        ui.label(
            RichText::new("Document")
                .strong()
                .color(theme::muted(ui.visuals())),
        );
        let parse_errors = usize::from(session.parse_error().is_some());
        entry(
            ui,
            "📝 Raw TOML",
            &PageId::RawToml,
            current,
            Badge::new(parse_errors, 0, "this file's text"),
            actions,
        );
        entry(
            ui,
            "± Diff",
            &PageId::Diff,
            current,
            Badge::default(),
            actions,
        );
        ui.add_space(8.0);
        ui.label(
            RichText::new("Live proxy")
                .strong()
                .color(theme::muted(ui.visuals())),
        );
        entry(
            ui,
            "🔍 Preview & push",
            &PageId::Preview,
            current,
            Badge::default(),
            actions,
        );
        ui.add_space(8.0);
        ui.label(
            RichText::new("Registry")
                .strong()
                .color(theme::muted(ui.visuals())),
        );
        let registry = problems.registry.unwrap_or_default();
        entry(
            ui,
            "📚 Registry",
            &PageId::Registry,
            current,
            Badge::new(registry.errors, registry.warnings, "the model registry"),
            actions,
        );
    });
}

/// The navigation group of the ImageWorks layouts (`group` in `ui_layouts/`).
const IMAGEWORKS_GROUP: &str = "ImageWorks";

fn heading(ui: &mut Ui, text: &str) {
    ui.label(
        RichText::new(text)
            .strong()
            .color(theme::muted(ui.visuals())),
    );
}

/// `counts_by_page`, summed again only when the findings changed (a large
/// file has tens of thousands of findings; a frame does not go over them).
fn cached_counts(
    ui: &Ui,
    layouts: &LayoutSet,
    session: &EditSession,
) -> std::sync::Arc<HashMap<PageId, (usize, usize)>> {
    type Cached = (u64, std::sync::Arc<HashMap<PageId, (usize, usize)>>);
    let id = egui::Id::unique("nav_counts_by_page");
    let revision = session.findings_revision();
    if let Some((at, counts)) = ui.data(|d| d.get_temp::<Cached>(id))
        && at == revision
    {
        return counts;
    }
    let counts = std::sync::Arc::new(counts_by_page(layouts, session));
    ui.data_mut(|d| d.insert_temp::<Cached>(id, (revision, std::sync::Arc::clone(&counts))));
    counts
}

/// Errors and warnings per page, in one pass over the findings (a finding's
/// page is found by parsing its path, so not once per page per frame).
fn counts_by_page(layouts: &LayoutSet, session: &EditSession) -> HashMap<PageId, (usize, usize)> {
    let mut counts: HashMap<PageId, (usize, usize)> = HashMap::new();
    // A field showing text that is not in the file is an error of its page.
    for u in session.unwritten() {
        if let Some(page) = page_for_path(layouts, &u.path) {
            counts.entry(page).or_default().0 += 1;
        }
    }
    for f in session.findings() {
        if let Some(page) = page_for_path(layouts, &f.path) {
            let (e, w) = counts.entry(page).or_default();
            if f.is_error() {
                *e += 1;
            } else {
                *w += 1;
            }
        }
    }
    counts
}

/// What an entry's badge counts, and of what (said on hover).
#[derive(Default)]
struct Badge {
    errors: usize,
    warnings: usize,
    of: &'static str,
}

impl Badge {
    fn new(errors: usize, warnings: usize, of: &'static str) -> Self {
        Self {
            errors,
            warnings,
            of,
        }
    }

    fn hover(&self) -> String {
        format!(
            "{} in {}",
            crate::core::problem_counts::Tally {
                errors: self.errors,
                warnings: self.warnings,
                notes: 0,
            }
            .describe(),
            self.of
        )
    }
}

fn entry(
    ui: &mut Ui,
    title: &str,
    id: &PageId,
    current: &PageId,
    badge: Badge,
    actions: &mut Vec<Action>,
) {
    let Badge {
        errors, warnings, ..
    } = badge;
    ui.horizontal(|ui| {
        if ui.selectable_label(current == id, title).clicked() {
            actions.push(Action::Navigate(id.clone()));
        }
        let v = ui.visuals().clone();
        if errors > 0 {
            ui.label(RichText::new(format!("⛔{errors}")).color(theme::error(&v)))
                .on_hover_text(badge.hover());
        } else if warnings > 0 {
            ui.label(RichText::new(format!("⚠{warnings}")).color(theme::warning(&v)))
                .on_hover_text(badge.hover());
        }
    });
}
