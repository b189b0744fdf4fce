//! Why a registry could not be read or written.

use std::path::PathBuf;

use crate::core::safe_save::SaveError;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Io(#[from] SaveError),
    /// The entry layout that types the editor's fields did not load.
    #[error("{0}")]
    Layout(String),
    #[error("{path}: line {line}, column {column}: {message}")]
    Malformed {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: entry {index}: {message}")]
    BadShape {
        path: PathBuf,
        index: usize,
        message: String,
    },
    #[error(
        "{path}: entry {index} ({name}) is nested {depth} levels deep; this editor holds at \
         most {max} levels (ImageWorks reads deeper), so the registry was not opened and \
         nothing was written"
    )]
    TooDeep {
        path: PathBuf,
        index: usize,
        name: String,
        depth: usize,
        max: usize,
    },
    #[error("{path}: a symbolic link to {target}, which does not exist")]
    DanglingLink { path: PathBuf, target: PathBuf },
    #[error(
        "{path}: the curated layer changed on disk since it was opened; \
         nothing was written (reload to see the other change, then edit again)"
    )]
    CuratedConflict { path: PathBuf },
    #[error(
        "{path}: the discovered layer changed on disk since it was opened, and it has \
         changes here too; nothing was written (reload, then make the change again)"
    )]
    DiscoveredConflict { path: PathBuf },
}
