//! F6 / Shift+F6: the keyboard focus moves between the window's regions
//! (navigation, the page, the Problems panel) instead of tabbing through
//! every widget on the way. Each frame records where the regions are; a
//! jump focuses the first widget of the next region that can take focus,
//! as last drawn.

use egui::{Id, Rect};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    Navigation,
    Page,
    Problems,
}

/// The regions drawn this frame, in F6 order.
#[derive(Debug, Default)]
pub struct Regions {
    drawn: Vec<(Region, Rect)>,
}

impl Regions {
    pub fn clear(&mut self) {
        self.drawn.clear();
    }

    pub fn record(&mut self, region: Region, rect: Rect) {
        self.drawn.push((region, rect));
        self.drawn.sort_by_key(|(r, _)| *r as u8);
    }

    /// The region holding the focused widget, if any.
    pub fn focused(&self, ctx: &egui::Context) -> Option<Region> {
        let id = ctx.memory(|m| m.focused())?;
        let rect = ctx.viewport(|v| v.prev_pass.widgets.get(id).map(|w| w.interact_rect))?;
        self.region_at(rect)
    }

    fn region_at(&self, rect: Rect) -> Option<Region> {
        self.drawn
            .iter()
            .find(|(_, r)| r.contains(rect.center()))
            .map(|(region, _)| *region)
    }

    /// Focus the first widget of the region `step` places after (before,
    /// when negative) the focused one; regions with nothing focusable are
    /// passed over. Returns the region focused.
    pub fn cycle(&self, ctx: &egui::Context, step: isize) -> Option<Region> {
        let n = self.drawn.len() as isize;
        if n == 0 {
            return None;
        }
        let at = self
            .focused(ctx)
            .and_then(|f| self.drawn.iter().position(|(r, _)| *r == f))
            .map_or(if step > 0 { -1 } else { 0 }, |i| i as isize);
        let direction = step.signum();
        (1..=n).find_map(|k| {
            let (region, rect) = self.drawn[(at + direction * k).rem_euclid(n) as usize];
            let id = first_focusable(ctx, rect)?;
            ctx.memory_mut(|m| m.request_focus(id));
            Some(region)
        })
    }
}

/// The first widget inside `rect` that takes keyboard focus, in drawing
/// order (top to bottom): visible, enabled, not clipped away.
fn first_focusable(ctx: &egui::Context, rect: Rect) -> Option<Id> {
    ctx.viewport(|v| {
        v.prev_pass
            .widgets
            .layers()
            .flat_map(|(_, widgets)| widgets.iter())
            .find(|w| {
                w.layer_id.order == egui::Order::Background
                    && w.visible
                    && w.enabled
                    && w.sense.is_focusable()
                    && w.interact_rect.is_positive()
                    && rect.contains(w.interact_rect.center())
            })
            .map(|w| w.id)
    })
}
