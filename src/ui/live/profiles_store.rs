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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::proxy::ConnectionProfile;

    #[test]
    fn settings_move_once_then_edits_are_saved_with_the_fleets_kept()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("profiles.toml");
        let mut settings = Profiles::default();
        settings.add(ConnectionProfile::new("gpu", "http://gpu:8100"))?;
        let (store, profiles, problem) = ProfilesStore::open(path.clone(), &settings);
        assert!(problem.is_none() && store.is_some(), "{problem:?}");
        assert_eq!(profiles.as_ref(), Some(&settings));
        // Someone adds a fleet by hand; the app's next edit keeps it.
        let text = std::fs::read_to_string(&path)? + "\n[fleets]\nlab = [\"gpu\", \"local\"]\n";
        std::fs::write(&path, text)?;
        let (reread, _, problem) = ProfilesStore::open(path.clone(), &Profiles::default());
        let mut store = reread.ok_or_else(|| format!("{problem:?}"))?;
        assert_eq!(store.fleets().get("lab").map(Vec::len), Some(2));
        settings.remove("local")?;
        store.save(&settings)?;
        let saved = ProfilesFile::load(&path)?;
        assert_eq!(saved.profiles.len(), 1);
        assert_eq!(saved.fleets.get("lab"), Some(&vec!["gpu".to_owned()]));
        // A change on disk since the last read is not overwritten.
        std::fs::write(&path, "[[profile]]\nname = \"other\"\n")?;
        settings.add(ConnectionProfile::new("third", "http://t:8100"))?;
        assert!(store.save(&settings).is_err());
        Ok(())
    }
}
