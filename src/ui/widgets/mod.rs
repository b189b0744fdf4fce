//! House widgets shared by the pages.
mod badge;
mod committed_text;
mod cut_label;
mod field_row;
mod flag_editor;
mod list_editor;
mod multi_select;
mod quick_fix;
mod section_title;
mod shown;
mod toggle;
mod typed_input;

pub use badge::badge;
pub use committed_text::{TextLook, committed_text};
pub use cut_label::cut_label;
pub use field_row::{FieldPlace, field_rows};
pub use flag_editor::flag_editor;
pub use list_editor::list_editor;
pub use multi_select::multi_select;
pub use quick_fix::quick_fix_button;
pub use section_title::section_title;
pub use shown::{shown, shown_value};
pub use toggle::toggle;
