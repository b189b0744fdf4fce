//! The frame around the pages.
pub mod find;
pub mod help;
pub mod menu_bar;
pub mod nav;
pub mod palette;
pub mod problems;
pub mod status_bar;
pub mod top_bar;
