//! The GUI's side of the profiles file: moved there from the app's settings
//! once, read at start, written (safe save, conflict check) whenever a
//! profile changes, so the CLI's `--fleet` sees the same profiles.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::core::proxy::Profiles;
use crate::core::proxy::profiles_file::{self, ProfilesFile};
use crate::core::safe_save::{Expect, Fingerprint};

pub(super) struct ProfilesStore {
    path: PathBuf,
    /// The file as last read or written (its fleets are kept on save).
    file: ProfilesFile,
    fingerprint: Option<Fingerprint>,
}

impl ProfilesStore {
    /// Move `settings` into the file if there is none yet, then read it.
    /// Returns the store, the profiles to use (`None`: the file has none,
    /// keep the settings'), and a problem to show.
    pub(super) fn open(
        path: PathBuf,
        settings: &Profiles,
    ) -> (Option<Self>, Option<Profiles>, Option<String>) {
        if let Err(e) = profiles_file::migrate(&path, settings) {
            return (
                None,
                None,
                Some(format!("profiles not moved to the file: {e}")),
            );
        }
        match ProfilesFile::load_with_fingerprint(&path) {
            Ok((file, fingerprint)) => {
                let profiles = file.to_profiles();
                (
                    Some(Self {
                        path,
                        file,
                        fingerprint,
                    }),
                    profiles,
                    None,
                )
            }
            Err(e) => (None, None, Some(e.to_string())),
        }
    }

    pub(super) fn fleets(&self) -> &BTreeMap<String, Vec<String>> {
        &self.file.fleets
    }

    /// Write `profiles` (the file's fleets kept); refused when someone else
    /// changed the file since it was read.
    pub(super) fn save(&mut self, profiles: &Profiles) -> Result<(), String> {
        let file = self.file.with_profiles(profiles);
        if file == self.file {
            return Ok(());
        }
        let expect = self.fingerprint.map_or(Expect::Absent, Expect::Unchanged);
        let outcome = profiles_file::save(&self.path, &file, expect).map_err(|e| e.to_string())?;
        self.fingerprint = Some(outcome.fingerprint());
        self.file = file;
        Ok(())
    }
}
