//! Saves that keep a file's identity and never lose another writer's write.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use iw_studio::core::safe_save::{
    Expect, Fingerprint, SaveError, backup_path, read_text, save_atomically,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn mode_of(path: &Path) -> std::io::Result<u32> {
    Ok(fs::metadata(path)?.permissions().mode() & 0o7777)
}

fn file_with(dir: &Path, name: &str, text: &str, mode: u32) -> std::io::Result<PathBuf> {
    let path = dir.join(name);
    fs::write(&path, text)?;
    fs::set_permissions(&path, fs::Permissions::from_mode(mode))?;
    Ok(path)
}

/// Replace `path` the way an editor does: write a temp file, rename it over.
fn editor_write(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_file_name(".editor-write.tmp");
    fs::write(&tmp, text)?;
    fs::rename(&tmp, path)
}

/// A tiny xorshift: reproducible random delays without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A command to the second writer: write `text` after `delay`, then report.
struct WriteOrder {
    text: String,
    delay: Duration,
}

/// A second writer replaces the file at random moments while saves run.
///
/// Each trial writes a fresh base, then either
/// - the writer writes before the save reads (its write is "before the
///   read"): the save must succeed and the file must hold the save's bytes;
/// - or the save reads first and the writer's write (unique id) lands at a
///   random moment during or after the save: whatever the timing, the file
///   must end up holding the writer's bytes. Either the save reported a
///   conflict (writer got in before the exchange), or the save succeeded
///   and the writer's rename came after it. A file holding the save's bytes
///   here is a lost write.
///
/// Against a naive "read, compare fingerprint, rename" save this fails: the
/// compare and the rename are two steps, with the backup write and two
/// fsyncs between them (milliseconds), so a writer rename landing there
/// passes the compare and is then overwritten by the rename; random delays
/// over that span hit it in many of the trials.
#[test]
fn racing_writer_never_loses_a_write() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    let (orders, inbox) = mpsc::channel::<WriteOrder>();
    let (done, acks) = mpsc::channel::<std::io::Result<()>>();
    let writer_path = path.clone();
    let writer = thread::Builder::new()
        .name("second-writer".into())
        .spawn(move || {
            for order in inbox {
                thread::sleep(order.delay);
                if done.send(editor_write(&writer_path, &order.text)).is_err() {
                    break;
                }
            }
        })?;

    let budget = Duration::from_secs(8);
    let started = Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut trials, mut conflicts, mut lost) = (0u32, 0u32, Vec::new());
    while trials < 400 && started.elapsed() < budget {
        trials += 1;
        fs::write(&path, format!("base {trials}\n"))?;
        let write = format!("writer {trials}\n");
        let save = format!("save {trials}\n");
        let writer_first = rng.below(5) == 0;
        if writer_first {
            orders.send(WriteOrder {
                text: write.clone(),
                delay: Duration::ZERO,
            })?;
            acks.recv()??;
        }
        let loaded = read_text(&path)?;
        if !writer_first {
            orders.send(WriteOrder {
                text: write.clone(),
                delay: Duration::from_micros(rng.below(3_000)),
            })?;
        }
        let result = save_atomically(
            &path,
            save.as_bytes(),
            Expect::Unchanged(loaded.fingerprint),
        );
        if !writer_first {
            acks.recv()??;
        }
        let now = fs::read_to_string(&path)?;
        match (&result, writer_first) {
            (Ok(_), true) => assert_eq!(now, save, "trial {trials}: save after the write"),
            (Err(e), true) => return Err(format!("trial {trials}: unexpected {e}").into()),
            (Err(e), false) if e.is_conflict() => conflicts += 1,
            (Err(e), false) => return Err(format!("trial {trials}: unexpected {e}").into()),
            (Ok(_), false) => {}
        }
        if !writer_first && now != write {
            lost.push(format!("trial {trials}: {result:?} left {now:?}"));
        }
    }
    drop(orders);
    writer.join().map_err(|_| "the second writer panicked")?;
    println!(
        "{trials} trials, {conflicts} conflicts, {} lost",
        lost.len()
    );
    assert!(trials >= 200, "only {trials} trials in {budget:?}");
    assert!(lost.is_empty(), "lost writes: {lost:#?}");
    // A conflict undoes its exchange and removes its temp file: only the
    // file and its backup remain (the first version kept every conflict's
    // temp file, mistaking its own bytes for a third writer's).
    let mut names: Vec<String> = fs::read_dir(dir.path())?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    names.sort();
    assert_eq!(names, ["chat_proxy.toml", "chat_proxy.toml.bak"]);
    Ok(())
}

/// Runs as root only: chown needs it.
#[test]
fn owner_group_and_mode_are_kept() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = file_with(dir.path(), "chat_proxy.toml", "a = 1\n", 0o640)?;
    if fs::metadata(&path)?.uid() != 0 {
        println!("skipped: not root, cannot chown a file to 4242:4242");
        return Ok(());
    }
    std::os::unix::fs::chown(&path, Some(4242), Some(4242))?;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640))?;
    let fp = read_text(&path)?.fingerprint;
    save_atomically(&path, b"a = 2\n", Expect::Unchanged(fp))?;
    let meta = fs::metadata(&path)?;
    assert_eq!((meta.uid(), meta.gid()), (4242, 4242));
    assert_eq!(mode_of(&path)?, 0o640);
    let bak = fs::metadata(backup_path(&path))?;
    assert_eq!((bak.uid(), bak.gid()), (4242, 4242));
    assert_eq!(bak.permissions().mode() & 0o7777, 0o640);
    assert_eq!(fs::read_to_string(&path)?, "a = 2\n");
    Ok(())
}

#[test]
fn backup_has_the_originals_mode() -> TestResult {
    for mode in [0o644, 0o640, 0o600] {
        let dir = tempfile::tempdir()?;
        let path = file_with(dir.path(), "chat_proxy.toml", "a = 1\n", mode)?;
        save_atomically(&path, b"a = 2\n", Expect::Anything)?;
        assert_eq!(mode_of(&path)?, mode, "file, mode {mode:o}");
        assert_eq!(mode_of(&backup_path(&path))?, mode, "backup, mode {mode:o}");
    }
    Ok(())
}

#[test]
fn symlink_stays_and_its_target_is_written() -> TestResult {
    let dir = tempfile::tempdir()?;
    let real_dir = dir.path().join("etc");
    fs::create_dir(&real_dir)?;
    let target = file_with(&real_dir, "real.toml", "a = 1\n", 0o644)?;
    let link = dir.path().join("chat_proxy.toml");
    std::os::unix::fs::symlink("etc/real.toml", &link)?;
    let fp = read_text(&link)?.fingerprint;
    save_atomically(&link, b"a = 2\n", Expect::Unchanged(fp))?;
    assert!(fs::symlink_metadata(&link)?.file_type().is_symlink());
    assert_eq!(fs::read_link(&link)?, Path::new("etc/real.toml"));
    assert_eq!(fs::read_to_string(&target)?, "a = 2\n");
    assert_eq!(fs::read_to_string(backup_path(&target))?, "a = 1\n");
    assert!(
        !backup_path(&link).exists(),
        "the backup goes beside the target"
    );
    Ok(())
}

#[test]
fn hard_link_is_written_in_place() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = file_with(dir.path(), "chat_proxy.toml", "a = 1\n", 0o644)?;
    let other = dir.path().join("other-name.toml");
    fs::hard_link(&path, &other)?;
    let inode = fs::metadata(&path)?.ino();
    let fp = read_text(&path)?.fingerprint;
    save_atomically(&path, b"a = 2\n", Expect::Unchanged(fp))?;
    assert_eq!(fs::read_to_string(&path)?, "a = 2\n");
    assert_eq!(fs::read_to_string(&other)?, "a = 2\n");
    assert_eq!(fs::metadata(&path)?.ino(), inode);
    assert_eq!(fs::metadata(&other)?.ino(), inode);
    assert_eq!(fs::read_to_string(backup_path(&path))?, "a = 1\n");
    Ok(())
}

#[test]
fn hard_link_in_place_write_still_checks_for_conflicts() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = file_with(dir.path(), "chat_proxy.toml", "a = 1\n", 0o644)?;
    fs::hard_link(&path, dir.path().join("other-name.toml"))?;
    let stale = Fingerprint::of(b"a = 0\n");
    let err = save_atomically(&path, b"a = 2\n", Expect::Unchanged(stale))
        .err()
        .ok_or("expected a conflict")?;
    assert!(err.is_conflict(), "{err}");
    assert_eq!(fs::read_to_string(&path)?, "a = 1\n");
    Ok(())
}

#[test]
fn read_only_file_is_refused_unless_confirmed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = file_with(dir.path(), "chat_proxy.toml", "a = 1\n", 0o444)?;
    let fp = read_text(&path)?.fingerprint;
    let err = save_atomically(&path, b"a = 2\n", Expect::Unchanged(fp))
        .err()
        .ok_or("a read-only file must be refused")?;
    assert!(matches!(err, SaveError::ReadOnly { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("chat_proxy.toml"), "{message}");
    assert!(message.contains("read-only (mode 0444)"), "{message}");
    assert_eq!(fs::read_to_string(&path)?, "a = 1\n");
    assert!(
        !backup_path(&path).exists(),
        "nothing may change on a refusal"
    );
    assert_eq!(fs::read_dir(dir.path())?.count(), 1, "no temp file left");

    save_atomically(&path, b"a = 2\n", Expect::Anything)?;
    assert_eq!(fs::read_to_string(&path)?, "a = 2\n");
    assert_eq!(mode_of(&path)?, 0o444, "the confirmed write keeps the mode");
    Ok(())
}

#[test]
fn cli_set_keeps_mode_and_symlink() -> TestResult {
    let dir = tempfile::tempdir()?;
    let target = file_with(
        dir.path(),
        "real.toml",
        &fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample_configs/chat_proxy.toml"
        ))?,
        0o640,
    )?;
    let link = dir.path().join("chat_proxy.toml");
    std::os::unix::fs::symlink("real.toml", &link)?;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iw-studio"))
        .arg("set")
        .arg(&link)
        .args(["server.port", "9001"])
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(fs::symlink_metadata(&link)?.file_type().is_symlink());
    assert!(fs::read_to_string(&target)?.contains("port = 9001"));
    assert_eq!(mode_of(&target)?, 0o640);
    assert_eq!(mode_of(&backup_path(&target))?, 0o640);
    Ok(())
}

/// A small tmpfs mounted for one test and unmounted when dropped (also
/// when the test fails). `None` when mounting is refused (not root, no
/// CAP_SYS_ADMIN in a container): the test then says it is skipped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then_some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

/// Fill the disk, then free `pages` pages of 4 KiB.
fn fill_leaving(dir: &Path, pages: u64) -> std::io::Result<()> {
    use std::io::Write;
    let filler = dir.join("filler");
    let mut file = fs::File::create(&filler)?;
    let chunk = vec![b'x'; 4096];
    while file.write_all(&chunk).is_ok() {}
    let _ = file.sync_all();
    let len = fs::metadata(&filler)?.len() / 4096 * 4096;
    file.set_len(len.saturating_sub(pages * 4096))?;
    file.sync_all()
}

/// A hard-linked file on a full disk, saved with a longer text (written in
/// place): either the whole new text lands under both names, or the save
/// fails and both names hold the original bytes. Never a cut file.
#[test]
fn a_hard_linked_file_on_a_full_disk_is_never_cut() -> TestResult {
    let Some(disk) = SmallDisk::mount("64k") else {
        eprintln!(
            "skipped: cannot mount a tmpfs here (needs root); the seam test in safe_save.rs covers the logic"
        );
        return Ok(());
    };
    let path = disk.path().join("chat_proxy.toml");
    let original = "[server]\nport = 8100\n".repeat(90);
    fs::write(&path, &original)?;
    let link = disk.path().join("link.toml");
    fs::hard_link(&path, &link)?;
    let loaded = read_text(&path)?;
    // One page for the backup, none for the longer text.
    fill_leaving(disk.path(), 1)?;
    let longer = "[server]\nport = 8200  # the new port, longer\n".repeat(220);
    let result = save_atomically(
        &path,
        longer.as_bytes(),
        Expect::Unchanged(loaded.fingerprint),
    );
    let (a, b) = (fs::read_to_string(&path)?, fs::read_to_string(&link)?);
    match &result {
        Ok(_) => assert!(a == longer && b == longer, "saved but not whole"),
        Err(e) => {
            assert!(
                a == original && b == original,
                "{e}: the file was cut to {} bytes",
                a.len()
            );
            assert!(e.to_string().contains("unchanged"), "{e}");
        }
    }
    assert!(
        result.is_err(),
        "the disk was not full: the test proves nothing"
    );
    Ok(())
}
