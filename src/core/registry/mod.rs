//! The ImageWorks model registry: lossless JSON, layer merge with
//! provenance, conflict-safe store, edit commands, validation and filtering.
//! See `docs/model-registry.md` in the shared docs for the file contract.

pub mod capabilities;
pub mod checks;
pub mod edit;
pub mod error;
pub mod extra_args;
pub mod field_input;
pub mod filter;
pub mod finding;
pub mod json_text;
pub mod layer;
pub mod loaded;
pub mod maintenance;
pub mod masking;
pub mod merge;
pub mod model;
mod parallel;
pub mod roles;
pub mod session;
mod snapshot_text;
pub mod sort;
pub mod store;
pub mod validate;

pub use edit::{EditError, EditHistory, EditOutcome, RegistryCommand, apply_command};
pub use filter::{Filter, filter_entries};
pub use finding::{Finding, FindingFix, Severity};
pub use layer::{EntrySource, LazyLayer, MAX_ENTRY_DEPTH};
pub use loaded::{file_findings, validate, validate_loaded};
pub use merge::{EntryLayer, FieldSource, Merged, MergedEntry, merge_layers, provenance};
pub use model::RegistryEntry;
pub use session::{RegistryEditError, RegistrySession, entry_layout};
pub use sort::{SortColumn, SortOrder, TABLE_CAPABILITIES, host_port};
pub use store::{
    Layer, Layers, RegistryError, RegistryStore, SaveReport, SnapshotState, resolve_dir,
};
