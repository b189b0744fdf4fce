//! Everything the user can ask for, handled in one place (`app::handle`).

use std::path::PathBuf;

use crate::core::document::DocPath;
use crate::core::session::Command;
use crate::ui::live::LiveAction;
use crate::ui::nav::PageId;
use crate::ui::registry_action::RegistryAction;

#[derive(Debug)]
pub enum Action {
    /// A change to the document (undoable).
    Edit(Command),
    Undo,
    Redo,
    Save,
    /// Save, then close the window once everything is saved (the
    /// "Unsaved changes" question's Save); a save that fails keeps it open.
    SaveAndClose,
    /// A form field now shows `text` (`None`: the file's value again); the
    /// session keeps text it cannot write as a problem.
    FieldText {
        path: DocPath,
        text: Option<String>,
    },
    /// Save even though the file changed on disk (after the user confirmed).
    SaveOverwriting,
    SaveAs,
    SaveAsPath(PathBuf),
    Open,
    OpenPath(PathBuf),
    NewFromDefaults,
    Reload,
    /// Keep the edits after an external change; the next save overwrites.
    KeepMine,
    Navigate(PageId),
    /// Show the page holding this setting and highlight it.
    Focus(DocPath),
    FocusFind,
    /// Show the Raw TOML page with the cursor on this line (1-based).
    ShowLine(usize),
    ShowProblems,
    /// Close after the user chose to discard unsaved changes.
    DiscardAndClose,
    /// Close the question on screen without doing anything.
    DismissDialog,
    /// Something on the Registry page (its own registry and history).
    Registry(RegistryAction),
    /// Something about the live proxy: refresh, profiles, push, revert.
    Live(LiveAction),
    /// Close the window (the unsaved-changes guard still asks).
    Quit,
    /// Show or hide the Problems panel.
    ToggleProblems,
    /// Go this many pages down (up when negative) the navigation.
    StepPage(isize),
    SetTheme(crate::ui::theme::ThemeChoice),
    /// Show the activity log's folder in the system's file manager.
    OpenLogFolder,
    /// Move the keyboard focus to the next (previous, when negative)
    /// region: navigation, page, Problems panel.
    CycleFocus(isize),
    /// Open the command palette, the shortcut sheet or About.
    Show(Overlay),
}

/// What shows over the window until closed (Escape closes each).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overlay {
    #[default]
    None,
    Palette,
    Shortcuts,
    About,
}
