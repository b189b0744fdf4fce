//! House widgets shared by the pages.
mod badge;
mod field_row;
mod list_editor;
mod quick_fix;
mod toggle;

pub use badge::badge;
pub use field_row::{FieldPlace, field_rows};
pub use list_editor::list_editor;
pub use quick_fix::quick_fix_button;
pub use toggle::toggle;
