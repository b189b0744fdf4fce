//! A `chat_proxy.toml` on disk: the document plus what is needed to save it
//! back safely (its path and the fingerprint of what was read).

use std::path::{Path, PathBuf};

use crate::core::document::{ConfigDocument, ParseError, parse_spanned};
use crate::core::layout::LayoutSet;
use crate::core::safe_save::{self, Expect, Fingerprint, SaveError, SaveOutcome};
use crate::core::validate::{Finding, validate_parsed};

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Read(#[from] SaveError),
    #[error("{}:{}:{}: not valid TOML: {}\n  {} | {}", path.display(), error.line, error.column, error.message, error.line, error.line_text)]
    Parse { path: PathBuf, error: ParseError },
}

#[derive(Clone, Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub doc: ConfigDocument,
    /// What was on disk when it was read; a save checks the disk still has it.
    pub fingerprint: Fingerprint,
}

impl ConfigFile {
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        Self::open_validated(path, None).map(|(file, _)| file)
    }

    /// Open and validate with one parse (the spans of that parse give the lines).
    pub fn open_validated(
        path: &Path,
        layouts: Option<&LayoutSet>,
    ) -> Result<(Self, Vec<Finding>), OpenError> {
        let loaded = safe_save::read_text(path)?;
        let parsed = parse_spanned(&loaded.text).map_err(|error| OpenError::Parse {
            path: path.to_path_buf(),
            error,
        })?;
        let findings = layouts
            .map(|l| validate_parsed(&parsed, l))
            .unwrap_or_default();
        let file = Self {
            path: path.to_path_buf(),
            doc: ConfigDocument::from_spanned(parsed),
            fingerprint: loaded.fingerprint,
        };
        Ok((file, findings))
    }

    /// Save over the file, refusing when it changed on disk since it was read.
    pub fn save(&mut self) -> Result<SaveOutcome, SaveError> {
        let expect = Expect::Unchanged(self.fingerprint);
        let outcome = safe_save::save_atomically(&self.path, self.doc.text().as_bytes(), expect)?;
        self.fingerprint = outcome.fingerprint();
        Ok(outcome)
    }
}
