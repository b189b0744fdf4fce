//! Reads that only touch regular files and stop at a size limit.
//!
//! A config path can name anything: `/dev/zero` would be read until memory
//! runs out and a FIFO would block `open` forever. The type is checked before
//! opening, the file is opened non-blocking (a FIFO swapped in after the
//! check cannot block), and the opened handle's type is checked again.

use std::fmt;
use std::fs;
use std::io::{ErrorKind, Read};
use std::path::Path;

use super::SaveError;

/// The most bytes a reader accepts for one kind of file, and what that kind is
/// called in the refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLimit {
    pub bytes: u64,
    pub what: &'static str,
}

/// A `chat_proxy.toml` is a few kilobytes; the generated 5 MB benchmark file
/// is the largest seen. 16 MiB leaves room and refuses what is not a config.
pub const CONFIG_TEXT_LIMIT: ReadLimit = ReadLimit {
    bytes: 16 << 20,
    what: "a chat_proxy.toml config",
};

/// Registry JSON layers reach ~230 MB with 10,000 entries (the benchmark).
pub const REGISTRY_LAYER_LIMIT: ReadLimit = ReadLimit {
    bytes: 1 << 30,
    what: "a model registry layer",
};

impl fmt::Display for ReadLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (limit {})", self.what, human_size(self.bytes))
    }
}

pub(super) fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes >= MIB {
        // Display only: the precision lost in the float does not matter.
        #[allow(clippy::cast_precision_loss)]
        let mib = bytes as f64 / MIB as f64;
        format!("{mib:.1} MiB")
    } else {
        format!("{bytes} bytes")
    }
}

/// The regular file at `path`, opened for reading, with its metadata;
/// `None` when there is none.
pub(super) fn open_regular(path: &Path) -> Result<Option<(fs::File, fs::Metadata)>, SaveError> {
    match fs::metadata(path) {
        Ok(meta) => ensure_regular(path, &meta)?,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(SaveError::io(path, "read", e)),
    }
    let file = match open_nonblocking(path, false) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(SaveError::io(path, "read", e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| SaveError::io(path, "read", e))?;
    ensure_regular(path, &meta)?;
    Ok(Some((file, meta)))
}

/// Open without blocking on a FIFO (`O_NONBLOCK` has no effect on a regular file).
pub(super) fn open_nonblocking(path: &Path, write: bool) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(write);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nonblock = i32::try_from(rustix::fs::OFlags::NONBLOCK.bits()).unwrap_or(0);
        options.custom_flags(nonblock);
    }
    options.open(path)
}

pub(super) fn ensure_regular(path: &Path, meta: &fs::Metadata) -> Result<(), SaveError> {
    if meta.is_file() {
        return Ok(());
    }
    Err(SaveError::NotRegular {
        path: path.to_path_buf(),
        kind: kind_of(meta.file_type()),
    })
}

fn kind_of(file_type: fs::FileType) -> &'static str {
    if file_type.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// All of a regular file's bytes, refused past `limit`. The limit is checked
/// on the size first and on the bytes read too (the file may grow meanwhile).
pub(super) fn read_bounded(path: &Path, limit: ReadLimit) -> Result<Vec<u8>, SaveError> {
    let Some((file, meta)) = open_regular(path)? else {
        return Err(SaveError::io(
            path,
            "read",
            std::io::Error::from(ErrorKind::NotFound),
        ));
    };
    let too_large = |size| SaveError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    };
    if meta.len() > limit.bytes {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| SaveError::io(path, "read", e))?;
    if bytes.len() as u64 > limit.bytes {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}
