//! The command table (as rerun's `UICommand`): one list of what the user
//! can ask for by name, with its label, shortcut and tooltip. It feeds the
//! menu bar, the keyboard handling and the tooltips; each command maps to
//! an existing `Action`, so everything still goes through `StudioApp::handle`.

use egui::{Key, KeyboardShortcut, Modifiers};

use crate::ui::actions::{Action, Overlay};
use crate::ui::live::LiveAction;
use crate::ui::theme::ThemeChoice;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UiCommand {
    Open,
    Save,
    SaveAs,
    Reload,
    Quit,
    Undo,
    Redo,
    Find,
    PreviousPage,
    NextPage,
    NextRegion,
    PreviousRegion,
    ToggleProblems,
    ThemeLight,
    ThemeDark,
    ThemeFollowSystem,
    ProxyRefresh,
    Push,
    CommandPalette,
    ShortcutSheet,
    About,
}

const CMD: Modifiers = Modifiers::COMMAND;
const CMD_SHIFT: Modifiers = Modifiers::COMMAND.plus(Modifiers::SHIFT);

impl UiCommand {
    pub const ALL: [UiCommand; 21] = [
        Self::Open,
        Self::Save,
        Self::SaveAs,
        Self::Reload,
        Self::Quit,
        Self::Undo,
        Self::Redo,
        Self::Find,
        Self::PreviousPage,
        Self::NextPage,
        Self::NextRegion,
        Self::PreviousRegion,
        Self::ToggleProblems,
        Self::ThemeLight,
        Self::ThemeDark,
        Self::ThemeFollowSystem,
        Self::ProxyRefresh,
        Self::Push,
        Self::CommandPalette,
        Self::ShortcutSheet,
        Self::About,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open…",
            Self::Save => "Save",
            Self::SaveAs => "Save as…",
            Self::Reload => "Reload",
            Self::Quit => "Quit",
            Self::Undo => "Undo",
            Self::Redo => "Redo",
            Self::Find => "Find",
            Self::PreviousPage => "Previous page",
            Self::NextPage => "Next page",
            Self::NextRegion => "Focus next region",
            Self::PreviousRegion => "Focus previous region",
            Self::ToggleProblems => "Problems panel",
            Self::ThemeLight => "Light",
            Self::ThemeDark => "Dark",
            Self::ThemeFollowSystem => "Follow system",
            Self::ProxyRefresh => "Refresh",
            Self::Push => "Push…",
            Self::CommandPalette => "Command palette…",
            Self::ShortcutSheet => "Keyboard shortcuts",
            Self::About => "About Config Studio",
        }
    }

    /// The menu the command is in (and the group of the shortcut sheet).
    pub fn menu(self) -> &'static str {
        match self {
            Self::Open | Self::Save | Self::SaveAs | Self::Reload | Self::Quit => "File",
            Self::Undo | Self::Redo | Self::Find => "Edit",
            Self::PreviousPage
            | Self::NextPage
            | Self::NextRegion
            | Self::PreviousRegion
            | Self::ToggleProblems => "View",
            Self::ThemeLight | Self::ThemeDark | Self::ThemeFollowSystem => "Theme",
            Self::ProxyRefresh | Self::Push => "Proxy",
            Self::CommandPalette | Self::ShortcutSheet | Self::About => "Help",
        }
    }

    /// "File: Save": the label with its menu, as the palette lists it.
    pub fn palette_label(self) -> String {
        format!("{}: {}", self.menu(), self.label())
    }

    /// Whether the command acts on an open document (greyed out without one).
    pub fn needs_file(self) -> bool {
        matches!(
            self,
            Self::Save
                | Self::SaveAs
                | Self::Reload
                | Self::Find
                | Self::PreviousPage
                | Self::NextPage
                | Self::NextRegion
                | Self::PreviousRegion
                | Self::ToggleProblems
                | Self::Push
        )
    }

    pub fn tooltip(self) -> &'static str {
        match self {
            Self::Open => "Open a chat_proxy.toml",
            Self::Save => {
                "Save the config and the model registry's edits: validated, atomic, previous version kept as .bak"
            }
            Self::SaveAs => "Save under a new name",
            Self::Reload => "Read the file from disk again (undoable)",
            Self::Quit => "Close the window (asks first when there are unsaved changes)",
            Self::Undo => "Undo the last edit, of the config or the registry",
            Self::Redo => "Redo the last undone edit",
            Self::Find => "Find a setting by label, key, help text or env var",
            Self::PreviousPage => "Show the page above in the navigation",
            Self::NextPage => "Show the page below in the navigation",
            Self::NextRegion => "Move the keyboard focus: navigation → page → Problems panel",
            Self::PreviousRegion => {
                "Move the keyboard focus back: Problems panel → page → navigation"
            }
            Self::ToggleProblems => "Show or hide the Problems panel",
            Self::ThemeLight => "Light theme",
            Self::ThemeDark => "Dark theme",
            Self::ThemeFollowSystem => "Light or dark as the system is",
            Self::ProxyRefresh => "Ask the live proxy for its health, config and models",
            Self::Push => "Review a push of this document to the live proxy (API)",
            Self::CommandPalette => "Run any command or go to any page by typing its name",
            Self::ShortcutSheet => "Every keyboard shortcut on one sheet",
            Self::About => "Version, and where the form layouts come from",
        }
    }

    /// Every shortcut of the command; the first is the one shown.
    pub fn shortcuts(self) -> Vec<KeyboardShortcut> {
        const fn k(m: Modifiers, key: Key) -> KeyboardShortcut {
            KeyboardShortcut::new(m, key)
        }
        match self {
            Self::Open => vec![k(CMD, Key::O)],
            Self::Save => vec![k(CMD, Key::S)],
            Self::SaveAs => vec![k(CMD_SHIFT, Key::S)],
            Self::Quit => vec![k(CMD, Key::Q)],
            Self::Undo => vec![k(CMD, Key::Z)],
            Self::Redo => vec![k(CMD_SHIFT, Key::Z), k(CMD, Key::Y)],
            Self::Find => vec![k(CMD, Key::F)],
            Self::PreviousPage => vec![k(CMD, Key::PageUp)],
            Self::NextPage => vec![k(CMD, Key::PageDown)],
            Self::NextRegion => vec![k(Modifiers::NONE, Key::F6)],
            Self::PreviousRegion => vec![k(Modifiers::SHIFT, Key::F6)],
            Self::ProxyRefresh => vec![k(Modifiers::NONE, Key::F5)],
            Self::CommandPalette => vec![k(CMD_SHIFT, Key::P)],
            Self::ShortcutSheet => vec![k(Modifiers::NONE, Key::F1)],
            Self::Reload
            | Self::ToggleProblems
            | Self::ThemeLight
            | Self::ThemeDark
            | Self::ThemeFollowSystem
            | Self::Push
            | Self::About => vec![],
        }
    }

    pub fn shortcut(self) -> Option<KeyboardShortcut> {
        self.shortcuts().first().copied()
    }

    /// The tooltip with the shortcut, as the top bar's buttons show it.
    pub fn tooltip_with_shortcut(self, ctx: &egui::Context) -> String {
        match self.shortcut() {
            Some(s) => format!("{} ({})", self.tooltip(), ctx.format_shortcut(&s)),
            None => self.tooltip().to_owned(),
        }
    }

    pub fn action(self) -> Action {
        match self {
            Self::Open => Action::Open,
            Self::Save => Action::Save,
            Self::SaveAs => Action::SaveAs,
            Self::Reload => Action::Reload,
            Self::Quit => Action::Quit,
            Self::Undo => Action::Undo,
            Self::Redo => Action::Redo,
            Self::Find => Action::FocusFind,
            Self::PreviousPage => Action::StepPage(-1),
            Self::NextPage => Action::StepPage(1),
            Self::NextRegion => Action::CycleFocus(1),
            Self::PreviousRegion => Action::CycleFocus(-1),
            Self::ToggleProblems => Action::ToggleProblems,
            Self::ThemeLight => Action::SetTheme(ThemeChoice::Light),
            Self::ThemeDark => Action::SetTheme(ThemeChoice::Dark),
            Self::ThemeFollowSystem => Action::SetTheme(ThemeChoice::FollowSystem),
            Self::ProxyRefresh => Action::Live(LiveAction::Refresh),
            Self::Push => Action::Live(LiveAction::OpenPush(Default::default())),
            Self::CommandPalette => Action::Show(Overlay::Palette),
            Self::ShortcutSheet => Action::Show(Overlay::Shortcuts),
            Self::About => Action::Show(Overlay::About),
        }
    }
}

/// The one keyboard loop: the actions of the shortcuts pressed this frame.
/// Shortcuts with more modifiers are tried first (Ctrl+Shift+Z before Ctrl+Z,
/// which would match it too).
pub fn pressed(ctx: &egui::Context) -> Vec<Action> {
    let mut table: Vec<(KeyboardShortcut, UiCommand)> = UiCommand::ALL
        .iter()
        .flat_map(|c| c.shortcuts().into_iter().map(move |s| (s, *c)))
        .collect();
    table.sort_by_key(|(s, _)| std::cmp::Reverse(modifier_count(s.modifiers)));
    let mut out = Vec::new();
    ctx.input_mut(|i| {
        for (shortcut, command) in table {
            if i.consume_shortcut(&shortcut) {
                out.push(command.action());
            }
        }
    });
    out
}

fn modifier_count(m: Modifiers) -> u8 {
    u8::from(m.alt) + u8::from(m.shift) + u8::from(m.command || m.ctrl || m.mac_cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_commands_share_a_shortcut() {
        let all: Vec<KeyboardShortcut> =
            UiCommand::ALL.iter().flat_map(|c| c.shortcuts()).collect();
        for (i, a) in all.iter().enumerate() {
            assert!(!all[i + 1..].contains(a), "{a:?} is used twice");
        }
    }

    #[test]
    fn every_command_has_a_label_and_a_tooltip() {
        for c in UiCommand::ALL {
            assert!(!c.label().is_empty() && !c.tooltip().is_empty(), "{c:?}");
        }
    }
}
