//! Design tokens: every colour and size the pages use. Pages use these names,
//! never colour literals, so the look changes in one place.

use egui::{Color32, Visuals};

pub const NAV_WIDTH: f32 = 230.0;
pub const LABEL_WIDTH: f32 = 230.0;
pub const EDITOR_WIDTH: f32 = 260.0;
/// A number field: room for the widest value (`25000000`) and a unit.
pub const NUMBER_WIDTH: f32 = 130.0;
pub const CARD_ROUNDING: u8 = 6;
pub const SECTION_GAP: f32 = 14.0;
pub const ROW_GAP: f32 = 6.0;

pub fn error(v: &Visuals) -> Color32 {
    if v.dark_mode {
        Color32::from_rgb(0xff, 0x6b, 0x6b)
    } else {
        Color32::from_rgb(0xc0, 0x1c, 0x28)
    }
}

pub fn warning(v: &Visuals) -> Color32 {
    if v.dark_mode {
        Color32::from_rgb(0xf5, 0xc2, 0x11)
    } else {
        Color32::from_rgb(0x9c, 0x6a, 0x00)
    }
}

pub fn ok(v: &Visuals) -> Color32 {
    if v.dark_mode {
        Color32::from_rgb(0x57, 0xe3, 0x89)
    } else {
        Color32::from_rgb(0x1a, 0x7f, 0x37)
    }
}

pub fn accent(v: &Visuals) -> Color32 {
    v.hyperlink_color
}

pub fn muted(v: &Visuals) -> Color32 {
    v.weak_text_color()
}

/// Background of a badge of the given tone.
pub fn badge_fill(v: &Visuals, tone: Color32) -> Color32 {
    tone.gamma_multiply(if v.dark_mode { 0.22 } else { 0.14 })
}

/// Diff lines.
pub fn added(v: &Visuals) -> Color32 {
    ok(v)
}

pub fn removed(v: &Visuals) -> Color32 {
    error(v)
}

/// The card a section or storage asset sits on.
pub fn card(v: &Visuals) -> egui::Frame {
    egui::Frame::group(&egui::Style {
        visuals: v.clone(),
        ..Default::default()
    })
    .fill(v.faint_bg_color)
    .corner_radius(CARD_ROUNDING)
    .inner_margin(10.0)
}

/// A card tinted as a warning, as wide as the page: what is about to be
/// lost or changed, said before it happens.
pub fn warning_card<R>(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let v = ui.visuals().clone();
    card(&v)
        .fill(badge_fill(&v, warning(&v)))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add(ui)
        })
        .inner
}

/// The highlight behind a field the user jumped to.
pub fn focus_fill(v: &Visuals) -> Color32 {
    accent(v).gamma_multiply(0.18)
}

/// The app's adjustments to egui's themes, installed once per context.
/// egui's light visuals paint a text field near-white, without an edge, on
/// a near-white panel, so fields could not be told from labels; in the
/// light theme fields are white with a grey edge (buttons get the edge too).
pub fn install(ctx: &egui::Context) {
    ctx.style_mut_of(egui::Theme::Light, |style| {
        let v = &mut style.visuals;
        v.text_edit_bg_color = Some(Color32::WHITE);
        v.widgets.inactive.bg_stroke = egui::Stroke::new(1.0, Color32::from_gray(180));
    });
}

/// The theme the user chose (View ▸ Theme), kept in the app settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ThemeChoice {
    Light,
    #[default]
    Dark,
    FollowSystem,
}

impl ThemeChoice {
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            Self::Light => egui::ThemePreference::Light,
            Self::Dark => egui::ThemePreference::Dark,
            Self::FollowSystem => egui::ThemePreference::System,
        }
    }
}
