//! The UI-free core: everything the GUI and the CLI share.
pub mod safe_save;
pub mod layout;
pub mod document;
pub mod validate;
pub mod proxy;
