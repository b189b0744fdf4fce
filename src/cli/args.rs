//! The arguments the proxy commands share, single proxy and fleet alike:
//! how to reach a proxy, where its folders are here, what a plan and a
//! push take. In a module of their own so that `proxy` and `fleet` both
//! name them without naming each other.

use std::path::PathBuf;

use crate::core::proxy::{ConflictChoice, ConnectionProfile, PathMap, PushMode};

/// How to reach the proxy (besides its URL).
#[derive(clap::Args, Clone, Debug)]
pub struct ConnectOpts {
    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Env var holding a bearer token (the token is read at request time, never printed).
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Extra CA certificate (PEM) to trust for https.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
}

/// Where the proxy's folders are on this machine.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct PathOpts {
    /// Map a folder as the proxy reports it to this machine's, e.g.
    /// /app/configs=/home/me/imageworks/configs (Docker) or .=/srv/imageworks
    /// (the proxy's working folder, for a relative config_file_path). Repeatable.
    #[arg(long = "path-map", value_name = "PROXY=LOCAL")]
    pub path_maps: Vec<PathMap>,
}

#[derive(clap::Args, Clone, Debug)]
pub struct StatusArgs {
    /// Base URL of the proxy, e.g. http://127.0.0.1:8100.
    #[arg(long, value_name = "URL")]
    pub proxy: String,
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// Tell which pushed keys wait for a restart, from the pushes recorded in this folder (as given to `push --history-dir`).
    #[arg(long, value_name = "DIR")]
    pub history_dir: Option<PathBuf>,
}

#[derive(clap::Args, Clone, Debug)]
pub struct PreviewArgs {
    /// The draft `chat_proxy.toml`.
    pub file: PathBuf,
    /// Compare with this proxy (its env and file); without it, this machine's CHAT_PROXY_* vars are used.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// Only settings that differ: from the proxy's file when connected, from the default offline.
    #[arg(long)]
    pub only_diff: bool,
    /// With --proxy: tell which pushed keys wait for a restart, from the pushes recorded in this folder.
    #[arg(long, value_name = "DIR")]
    pub history_dir: Option<PathBuf>,
}

/// A draft and the proxy it goes to: what `diff` and `push` plan from.
#[derive(clap::Args, Clone, Debug)]
pub struct PlanArgs {
    /// The draft `chat_proxy.toml`.
    pub file: PathBuf,
    /// The proxy's base URL; repeat it for several proxies (a fleet made on the spot).
    #[arg(long, value_name = "URL", required_unless_present = "fleet")]
    pub proxy: Vec<String>,
    /// A fleet from the profiles file (`iw-studio profiles path`): every proxy in it.
    #[arg(long, value_name = "NAME", conflicts_with = "proxy")]
    pub fleet: Option<String>,
    /// With several proxies: how many are contacted at once [default: every proxy, up to 32].
    #[arg(long, value_name = "N", value_parser = parse_parallel)]
    pub parallel: Option<usize>,
    #[command(flatten)]
    pub connect: ConnectOpts,
    #[command(flatten)]
    pub paths: PathOpts,
    /// api: PUT the changed keys (the proxy rewrites its file, lossy); file: write the draft to the proxy's file (lossless; the file must be reachable from here).
    #[arg(long, value_enum, default_value_t)]
    pub mode: CliPushMode,
}

/// `--parallel N`: a whole number of at least 1.
pub fn parse_parallel(raw: &str) -> Result<usize, String> {
    match raw.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("“{raw}” is not a number of proxies of at least 1")),
    }
}

impl PlanArgs {
    /// `--parallel`, or its default for `members` proxies.
    pub fn parallel_for(&self, members: usize) -> usize {
        self.parallel
            .unwrap_or_else(|| crate::core::proxy::fleet::default_parallel(members))
    }

    /// A fleet (`--fleet`, or `--proxy` more than once) rather than one proxy.
    pub fn is_fleet(&self) -> bool {
        self.fleet.is_some() || self.proxy.len() > 1
    }

    /// The one proxy of a single-proxy command.
    pub fn single_proxy(&self) -> &str {
        self.proxy.first().map_or("", String::as_str)
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct DiffArgs {
    #[command(flatten)]
    pub target: PlanArgs,
}

#[derive(clap::Args, Clone, Debug)]
pub struct PushArgs {
    #[command(flatten)]
    pub target: PlanArgs,
    /// Accept the losses of an API push without asking.
    #[arg(long)]
    pub yes: bool,
    /// Show what would happen; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Record the push in this folder's push history.
    #[arg(long, value_name = "DIR")]
    pub history_dir: Option<PathBuf>,
    /// Profile name recorded in the history.
    #[arg(long, default_value = "cli")]
    pub profile: String,
    /// A key changed both on the proxy and in the draft since the draft's
    /// base (known from --history-dir): ask (refuse and show base, proxy and
    /// draft), mine (push the draft's value) or theirs (keep the proxy's).
    #[arg(long, value_enum, default_value_t)]
    pub on_conflict: CliConflictChoice,
    #[command(flatten)]
    pub restart: RestartOpts,
}

/// Restart the proxy after the push and verify what it runs.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct RestartOpts {
    /// After pushing, run the restart command, wait for the proxy to come
    /// back with a fresh uptime, and compare its runtime with the push.
    /// (One proxy: needs --restart-command. A fleet: each profile's restart command.)
    #[arg(long)]
    pub restart: bool,
    /// The restart command, split like a shell would (no shell runs it),
    /// e.g. "docker restart imageworks-chat-proxy".
    #[arg(long, value_name = "CMD ARGS")]
    pub restart_command: Option<String>,
    /// Seconds to wait for the command and for the proxy to come back.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub restart_timeout: f64,
    /// Restart even when a job holds the GPU lease (it will be interrupted).
    #[arg(long)]
    pub interrupt_gpu_job: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CliConflictChoice {
    #[default]
    Ask,
    Mine,
    Theirs,
}

impl From<CliConflictChoice> for ConflictChoice {
    fn from(c: CliConflictChoice) -> Self {
        match c {
            CliConflictChoice::Ask => ConflictChoice::Ask,
            CliConflictChoice::Mine => ConflictChoice::Mine,
            CliConflictChoice::Theirs => ConflictChoice::Theirs,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CliPushMode {
    #[default]
    Api,
    File,
}

impl From<CliPushMode> for PushMode {
    fn from(m: CliPushMode) -> Self {
        match m {
            CliPushMode::Api => PushMode::Api,
            CliPushMode::File => PushMode::File,
        }
    }
}

impl ConnectOpts {
    /// The one-off profile these flags describe, for `url`.
    pub fn profile(&self, url: &str) -> ConnectionProfile {
        ConnectionProfile {
            token_env: self.token_env.clone(),
            timeout_s: self.timeout,
            ca_file: self.ca_file.clone(),
            ..ConnectionProfile::new("cli", url)
        }
    }
}
