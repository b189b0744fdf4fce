//! The stand-in proxy as a process of its own, so a restart is a real one:
//! the restart script stops the process (its port refuses connections
//! meanwhile) and starts a new one on the same port, with a fresh uptime
//! and the file as it is then, as `docker restart` does to the real proxy.
//!
//! The process is the test binary itself, running its ignored test
//! `stand_in_proxy_process` below; no extra binary has to be built. It stops itself after
//! [`MAX_LIFETIME_S`] whatever happens, and the handle kills it on drop.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::test_proxy::TestProxy;

/// A stand-in process never outlives this.
const MAX_LIFETIME_S: u64 = 90;

const WORKDIR_VAR: &str = "IW_STAND_IN_WORKDIR";
const FILE_VAR: &str = "IW_STAND_IN_FILE";
const ADDR_VAR: &str = "IW_STAND_IN_ADDR";

/// Not a test: the stand-in proxy process the restart tests start and
/// restart; serves until killed when the env asks, returns at once
/// otherwise (`cargo test -- --ignored`).
#[test]
#[ignore = "the stand-in proxy process; runs only when a restart test starts it"]
fn stand_in_proxy_process() {
    let (Ok(workdir), Ok(file)) = (std::env::var(WORKDIR_VAR), std::env::var(FILE_VAR)) else {
        return;
    };
    let addr = std::env::var(ADDR_VAR).unwrap_or_else(|_| "127.0.0.1:0".to_owned());
    let workdir = PathBuf::from(workdir);
    // Like the real proxy: every CHAT_PROXY_* variable it was started with.
    let mut env: std::collections::BTreeMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("CHAT_PROXY_"))
        .collect();
    env.insert("CHAT_PROXY_CONFIG_FILE".to_owned(), file);
    // The stock proxy reads its file at import: one tomllib cannot read
    // stops it before it listens.
    if let Some(e) = super::test_proxy::startup_error(&workdir, &env) {
        eprintln!("stand-in: tomllib.TOMLDecodeError: {e}");
        std::process::exit(1);
    }
    let proxy = match TestProxy::start_at(&workdir, env, &addr) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("stand-in: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    // Published last, atomically: whoever reads it can connect.
    let url = proxy.url();
    let tmp = workdir.join("stand-in.url.tmp");
    if std::fs::write(&tmp, &url).is_err()
        || std::fs::rename(&tmp, workdir.join("stand-in.url")).is_err()
    {
        std::process::exit(1);
    }
    std::thread::sleep(Duration::from_secs(MAX_LIFETIME_S));
    std::process::exit(0);
}

/// A running stand-in process and the scripts that start and restart it.
pub struct StandInProcess {
    dir: PathBuf,
    url: String,
}

impl StandInProcess {
    /// Start one serving `file` (absolute), with its scripts in `dir`.
    pub fn start(dir: &Path, file: &Path) -> std::io::Result<Self> {
        Self::start_with_env(dir, file, &[])
    }

    /// As [`StandInProcess::start`], the proxy (and every restart of it)
    /// running with these `CHAT_PROXY_*` variables.
    pub fn start_with_env(dir: &Path, file: &Path, env: &[(&str, &str)]) -> std::io::Result<Self> {
        Self::start_inner(dir, file, env, &[])
    }

    /// As [`StandInProcess::start`], started with `env` in the environment
    /// the scripts inherit (not written into them): as a proxy started by
    /// hand or by a script from an admin's shell, whose restart takes the
    /// environment of whoever runs the restart command.
    // Only tests/flows.rs uses it.
    #[allow(dead_code)]
    pub fn start_inheriting_env(
        dir: &Path,
        file: &Path,
        env: &[(&str, &str)],
    ) -> std::io::Result<Self> {
        Self::start_inner(dir, file, &[], env)
    }

    fn start_inner(
        dir: &Path,
        file: &Path,
        env: &[(&str, &str)],
        inherited: &[(&str, &str)],
    ) -> std::io::Result<Self> {
        let exe = std::env::current_exe()?;
        let env: String = env.iter().map(|(k, v)| format!("{k}='{v}' ")).collect();
        let start = format!(
            "#!/bin/sh\n\
             # Start the stand-in in the background, on the port in stand-in.url if there is one.\n\
             cd '{dir}' || exit 1\n\
             addr=\"\"\n\
             [ -f stand-in.addr ] && addr=\"$(cat stand-in.addr)\"\n\
             [ -f stand-in.url ] && addr=\"$(sed 's#^http://##' stand-in.url)\"\n\
             # Kept apart from stand-in.url: a start that fails (a file it\n\
             # cannot read) publishes no URL, and the next start takes the same port.\n\
             [ -n \"$addr\" ] && echo \"$addr\" > stand-in.addr\n\
             rm -f stand-in.url\n\
             {env}{workdir}='{dir}' {file_var}='{file}' {addr_var}=\"${{addr:-127.0.0.1:0}}\" \\\n\
               nohup '{exe}' support::stand_in_process::stand_in_proxy_process --exact --ignored --nocapture --test-threads=1 \\\n\
               </dev/null >>stand-in.log 2>&1 &\n\
             echo $! > stand-in.pid\n",
            dir = dir.display(),
            file = file.display(),
            exe = exe.display(),
            workdir = WORKDIR_VAR,
            file_var = FILE_VAR,
            addr_var = ADDR_VAR,
        );
        std::fs::write(dir.join("start.sh"), start)?;
        let restart = "#!/bin/sh\n\
             # What `docker restart` is to the real proxy: stop it, wait until it is gone, start it.\n\
             cd \"$(dirname \"$0\")\" || exit 1\n\
             echo \"restarting pid $(cat stand-in.pid)\" >&2\n\
             pid=\"$(cat stand-in.pid)\"\n\
             kill \"$pid\" 2>/dev/null\n\
             i=0\n\
             while kill -0 \"$pid\" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done\n\
             sh ./start.sh\n";
        std::fs::write(dir.join("restart.sh"), restart)?;
        run_script(&dir.join("start.sh"), inherited)?;
        let url = wait_for_url(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            url,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Polls the process's health until it reports an uptime of at least
    /// `seconds`, so that a restart's fresh uptime is told apart from it
    /// (bounded: 20 s).
    pub fn wait_for_uptime(&self, seconds: f64) -> std::io::Result<()> {
        let addr = self.url.trim_start_matches("http://").to_owned();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if health_uptime(&addr).is_some_and(|up| up >= seconds) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(std::io::Error::other(format!(
                    "the stand-in at {addr} did not report {seconds} s of uptime within 20 s"
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The restart command a profile or `--restart-command` gets.
    pub fn restart_command(&self) -> String {
        format!("sh {}", self.dir.join("restart.sh").display())
    }

    /// A restart command whose new process keeps the command's stderr open
    /// (as a script that starts the proxy in the background without
    /// redirecting it does): the command exits while its output has not ended.
    // Only tests/suite/live/restart.rs uses it; the other users of this file do not.
    #[allow(dead_code)]
    pub fn restart_command_keeping_stderr(&self) -> std::io::Result<String> {
        let start = std::fs::read_to_string(self.dir.join("start.sh"))?;
        let keeping = start.replace(">>stand-in.log 2>&1 &", ">>stand-in.log &");
        if keeping == start {
            return Err(std::io::Error::other("start.sh no longer redirects stderr"));
        }
        std::fs::write(self.dir.join("start-keeping-stderr.sh"), keeping)?;
        let restart = std::fs::read_to_string(self.dir.join("restart.sh"))?
            .replace("sh ./start.sh", "sh ./start-keeping-stderr.sh");
        let path = self.dir.join("restart-keeping-stderr.sh");
        std::fs::write(&path, restart)?;
        Ok(format!("sh {}", path.display()))
    }

    /// The process now serving (after a restart, the new one).
    fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("stand-in.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for StandInProcess {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
    }
}

fn run_script(script: &Path, env: &[(&str, &str)]) -> std::io::Result<()> {
    let status = std::process::Command::new("sh")
        .arg(script)
        .envs(env.iter().copied())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "{} failed: {status}",
            script.display()
        )))
    }
}

/// `uptime_seconds` from `GET /v1/health`, over a plain HTTP/1.0 socket.
fn health_uptime(addr: &str) -> Option<f64> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET /v1/health HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let body = answer.split_once("\r\n\r\n")?.1;
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    json["uptime_seconds"].as_f64()
}

/// The URL the process publishes once it listens (bounded wait).
fn wait_for_url(dir: &Path) -> std::io::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(url) = std::fs::read_to_string(dir.join("stand-in.url")) {
            return Ok(url);
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("stand-in.log")).unwrap_or_default();
            return Err(std::io::Error::other(format!(
                "the stand-in process did not start within 20 s: {log}"
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
