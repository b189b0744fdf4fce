//! Bounded, typed inputs: `iw-studio check` on what is not a config answers
//! at once with a clear error instead of blocking or filling memory.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Run `iw-studio check <path>`, killed (and the test failed) after `limit`.
fn check_within(path: &Path, limit: Duration) -> Result<(Output, Duration), String> {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_iw-studio"))
        .arg("check")
        .arg(path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run iw-studio: {e}"))?;
    // Drain the pipes while waiting: a large output must not block the child.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::Builder::new()
            .name("drain-pipe".to_owned())
            .spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
            .expect("start a pipe reader")
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "“check {}” still running after {limit:?}",
                    path.display()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let elapsed = started.elapsed();
    let out = Output {
        status,
        stdout: stdout.join().map_err(|_| "stdout reader panicked")?,
        stderr: stderr.join().map_err(|_| "stderr reader panicked")?,
    };
    Ok((out, elapsed))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A bound that only a hang exceeds, even in a debug build on a loaded
/// machine running the whole suite at once.
const GENEROUS: Duration = Duration::from_secs(60);

#[test]
fn fifo_is_refused_at_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    let fifo = dir.path().join("chat_proxy.toml");
    let made = Command::new("mkfifo").arg(&fifo).status()?;
    assert!(made.success(), "mkfifo failed");
    // Nobody ever writes to the FIFO: a blocking open would hang here.
    let (out, _) = check_within(&fifo, GENEROUS)?;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains("chat_proxy.toml"), "{message}");
    assert!(
        message.contains("a FIFO (named pipe), not a regular file"),
        "{message}"
    );
    Ok(())
}

#[test]
fn dev_zero_is_refused_at_once() -> TestResult {
    let (out, _) = check_within(Path::new("/dev/zero"), GENEROUS)?;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains("/dev/zero"), "{message}");
    assert!(
        message.contains("a character device, not a regular file"),
        "{message}"
    );
    Ok(())
}

#[test]
fn over_limit_file_is_refused_as_too_large() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    // Sparse: 20 MiB of size, no disk used.
    std::fs::File::create(&path)?.set_len(20 << 20)?;
    let (out, _) = check_within(&path, GENEROUS)?;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains("chat_proxy.toml"), "{message}");
    assert!(message.contains("is 20.0 MiB, too large"), "{message}");
    assert!(message.contains("limit 16.0 MiB"), "{message}");
    assert!(
        message.contains("this is not a chat_proxy.toml config"),
        "{message}"
    );
    Ok(())
}

#[test]
fn five_megabyte_unknown_key_is_answered_quickly() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    let key = "p".repeat(5_000_000);
    std::fs::write(&path, format!("[server]\n{key} = 1\n"))?;
    let (out, elapsed) = check_within(&path, GENEROUS)?;
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(
        all.contains("unknown key"),
        "no finding for the key: {}",
        all.chars().take(500).collect::<String>()
    );
    assert!(
        !all.contains("did you mean"),
        "no suggestion for a 5 MB key"
    );
    // Bounded by `check_within` (the unbounded suggestion search took
    // minutes); speed itself is a benchmark's business, not a test's.
    println!("5 MB key answered in {elapsed:?}");
    Ok(())
}
