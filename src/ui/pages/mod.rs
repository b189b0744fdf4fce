//! One file per page; every page shares one shape, [`Page`].
pub mod diff;
pub mod discovery;
pub mod endpoints;
pub mod fleet;
pub mod layout_page;
pub mod preview;
pub mod profiles;
pub mod push_dialog;
pub mod raw_toml;
pub mod registry;
pub mod restart_dialog;
pub mod storage;
pub mod welcome;

use egui::Ui;

use crate::core::layout;
use crate::ui::nav::PageId;
use crate::ui::page_ctx::PageCtx;

/// A page of the central panel (as egui_demo_lib's demos): a stable id for
/// navigation and persistence, a title, and `ui`, which draws from the
/// context and pushes what the user asks for onto `ctx.actions`. A page's
/// own fields are view state only; models live in the app.
pub trait Page {
    fn id(&self) -> PageId;
    fn title(&self) -> &str;
    fn ui(&mut self, ui: &mut Ui, ctx: &mut PageCtx<'_>);
}

/// A page generated from `ui_layouts/`.
pub struct LayoutPage<'l>(pub &'l layout::Page);

impl Page for LayoutPage<'_> {
    fn id(&self) -> PageId {
        PageId::Layout(self.0.id.clone())
    }

    fn title(&self) -> &str {
        &self.0.title
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut PageCtx<'_>) {
        layout_page::show(ui, ctx, self.0);
    }
}

/// The document's text, editable.
pub struct RawTomlPage;

impl Page for RawTomlPage {
    fn id(&self) -> PageId {
        PageId::RawToml
    }

    fn title(&self) -> &str {
        "Raw TOML"
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut PageCtx<'_>) {
        raw_toml::show(ui, ctx);
    }
}

/// What saving would change on disk.
pub struct DiffPage;

impl Page for DiffPage {
    fn id(&self) -> PageId {
        PageId::Diff
    }

    fn title(&self) -> &str {
        "Diff"
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut PageCtx<'_>) {
        diff::show(ui, ctx);
    }
}

/// Preview & push: its view toggles; the live proxy comes through the context.
#[derive(Debug, Default)]
pub struct PreviewPage {
    view: preview::PreviewView,
}

impl PreviewPage {
    /// The served models as the page lists them (joined with the registry by the app).
    pub fn set_served(&mut self, served: Vec<crate::core::proxy::served::ServedModel>) {
        self.view.served = served;
    }
}

impl Page for PreviewPage {
    fn id(&self) -> PageId {
        PageId::Preview
    }

    fn title(&self) -> &str {
        "Preview & push"
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut PageCtx<'_>) {
        preview::show(
            ui,
            ctx.live,
            &mut self.view,
            ctx.session,
            ctx.session.layouts(),
            ctx.actions,
        );
    }
}

/// What ImageWorks will offer: the discovery document of the draft, with
/// the registry the Registry page has open.
pub struct DiscoveryPage<'s> {
    pub view: &'s mut discovery::DiscoveryView,
    pub registry: Option<&'s crate::core::registry::RegistryStore>,
}

impl Page for DiscoveryPage<'_> {
    fn id(&self) -> PageId {
        PageId::Discovery
    }

    fn title(&self) -> &str {
        "What ImageWorks will offer"
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut PageCtx<'_>) {
        discovery::show(ui, ctx, self.view, self.registry);
    }
}

/// The Registry page over the app's registry state.
pub struct RegistryPage<'s>(pub &'s mut registry::RegistryState);

impl Page for RegistryPage<'_> {
    fn id(&self) -> PageId {
        PageId::Registry
    }

    fn title(&self) -> &str {
        "Registry"
    }

    fn ui(&mut self, ui: &mut Ui, ctx: &mut PageCtx<'_>) {
        registry::show(ui, self.0, ctx.actions);
    }
}
