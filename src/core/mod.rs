//! The UI-free core: everything the GUI and the CLI share.
pub mod registry;
pub mod safe_save;
