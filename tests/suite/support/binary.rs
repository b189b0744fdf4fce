//! Running the real `iw-studio` binary from an integration test, as an
//! admin would from a shell. Included by `#[path]`, so each test binary
//! takes only what it uses.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run the binary with `args`; the activity log goes to the test's temp folder.
pub fn studio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iw-studio"))
        .env("IW_STUDIO_LOG_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(args)
        .output()
        .expect("run iw-studio")
}

/// Run the binary in `cwd` (its log in `cwd/.logs`): exit code, stdout, stderr.
pub fn studio_in(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_iw-studio"))
        .current_dir(cwd)
        .env("IW_STUDIO_LOG_DIR", cwd.join(".logs"))
        .args(args)
        .output()
        .expect("run iw-studio");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `bytes` as `chat_proxy.toml` in a new temp folder.
pub fn write_temp(bytes: &[u8]) -> Result<(tempfile::TempDir, PathBuf), std::io::Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    std::fs::write(&path, bytes)?;
    Ok((dir, path))
}

pub fn arg(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}
