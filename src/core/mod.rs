//! The UI-free core: everything the GUI and the CLI share.
pub mod document;
pub mod layout;
pub mod proxy;
pub mod safe_save;
