//! The UI-free core: everything the GUI and the CLI share.
pub mod array_entry;
pub mod config_file;
pub mod defaults;
pub mod discovery;
pub mod document;
pub mod endpoint_check;
pub mod layout;
pub mod proxy;
pub mod registry;
pub mod safe_save;
pub mod schema;
pub mod search;
pub mod session;
pub mod storage_backend;
pub mod text_diff;
pub mod validate;
pub mod value_input;
