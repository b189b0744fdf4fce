//! What a file is besides its bytes: where a symlink leads, its owner, group,
//! mode and hard links. A save keeps all of them (an editor that leaves a
//! proxy's 0640 `proxy:proxy` file as root's 0600 breaks the proxy).

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Linux gives up after 40 links (`ELOOP`); so do we.
const MAX_SYMLINK_HOPS: usize = 40;

/// The file a save really writes: `path` with every final-component symlink
/// followed (the link stays a link and its target gets the new bytes). A
/// dangling link leads to the path it names, which the save then creates.
pub(super) fn resolve_symlinks(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_SYMLINK_HOPS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "more than {MAX_SYMLINK_HOPS} symbolic links in a row"
    )))
}

/// The owner, group, mode and link count of an existing file.
#[derive(Clone, Debug)]
pub(super) struct Identity {
    permissions: fs::Permissions,
    #[cfg(unix)]
    owner: (u32, u32),
    links: u64,
}

impl Identity {
    pub(super) fn of(meta: &fs::Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Self {
            permissions: meta.permissions(),
            #[cfg(unix)]
            owner: (meta.uid(), meta.gid()),
            #[cfg(unix)]
            links: meta.nlink(),
            #[cfg(not(unix))]
            links: 1,
        }
    }

    /// Replacing a hard-linked file would leave the other names on the old
    /// content: such a file is written in place.
    pub(super) fn has_other_links(&self) -> bool {
        self.links > 1
    }

    /// No write permission for the owner (0444): refused unless forced.
    pub(super) fn is_read_only(&self) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            self.permissions.mode() & 0o200 == 0
        }
        #[cfg(not(unix))]
        {
            self.permissions.readonly()
        }
    }

    /// The mode as `ls` users know it (`0444`), for messages.
    pub(super) fn mode_text(&self) -> String {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            format!("{:04o}", self.permissions.mode() & 0o7777)
        }
        #[cfg(not(unix))]
        {
            "read-only".to_owned()
        }
    }

    /// Give `file` this identity's owner, group and mode. `Ok(false)`: the
    /// owner could not be given (not root, and the file is someone else's);
    /// the mode is set all the same.
    pub(super) fn apply_to(&self, file: &fs::File) -> std::io::Result<bool> {
        let owner_kept = self.apply_owner(file)?;
        // After the chown: changing the owner clears set-id bits.
        file.set_permissions(self.permissions.clone())?;
        Ok(owner_kept)
    }

    #[cfg(unix)]
    fn apply_owner(&self, file: &fs::File) -> std::io::Result<bool> {
        use std::os::unix::fs::MetadataExt;
        let meta = file.metadata()?;
        let (uid, gid) = self.owner;
        if (meta.uid(), meta.gid()) == (uid, gid) {
            return Ok(true);
        }
        match std::os::unix::fs::fchown(file, Some(uid), Some(gid)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => Ok(false),
            Err(e) => Err(e),
        }
    }

    #[cfg(not(unix))]
    fn apply_owner(&self, _file: &fs::File) -> std::io::Result<bool> {
        Ok(true)
    }
}
