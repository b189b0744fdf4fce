//! House widgets shared by the pages.
mod badge;
mod field_row;
mod list_editor;
mod toggle;

pub use badge::badge;
pub use field_row::{FieldPlace, field_rows};
pub use list_editor::list_editor;
pub use toggle::toggle;
