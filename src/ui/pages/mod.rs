//! One file per page.
pub mod diff;
pub mod endpoints;
pub mod layout_page;
pub mod preview;
pub mod profiles;
pub mod push_dialog;
pub mod raw_toml;
pub mod registry;
pub mod storage;
pub mod welcome;
