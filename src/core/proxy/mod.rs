//! The live chat proxy: what it will run with, what a push does to its file,
//! talking to it, and pushing drafts to it safely. The stock proxy's
//! behaviour is the contract in `shared/docs/chat-proxy-config-api.md`;
//! every setting's key, section, order, default, env var and parse kind
//! comes from the layouts.
//!
//! The flow a front end drives (the GUI from a [`ProxyWorker`], the CLI on
//! its own runtime):
//! 1. [`ProxyApi::config`] → [`ProxyConfigView`] (or offline: [`local_proxy_env`]).
//! 2. [`preview`] → [`Preview`]: one [`PreviewRow`] per setting plus
//!    [`PreviewMismatch`]es when the proxy does not behave like the model.
//! 3. [`plan_push`] with the same view → [`PushPlan`] (changes, diff, losses),
//!    or [`PushError::Invalid`] for a draft with validation errors.
//! 4. [`execute_push`] → [`PushOutcome`] (push lock, stale guard, write,
//!    read-back of every key; "outcome unknown" when the write may or may not
//!    have happened);
//!    record it with [`history::record`]`(dir, &`[`HistoryEntry::of_push`]`(..))`.

pub mod api_types;
pub mod broken;
pub mod client;
pub mod effective;
pub mod env_parse;
#[cfg(any(test, feature = "test-support"))]
pub mod fake;
pub mod fleet;
pub mod history;
pub mod json_value;
pub mod masked;
pub mod path_map;
pub mod profiles;
pub mod profiles_file;
pub mod proxy_text;
pub mod push;
pub mod push_lock;
pub mod push_run;
pub mod restart;
pub mod restart_state;
pub mod served;
pub mod three_way;
pub mod unsent;
pub mod version;
pub mod worker;
pub mod workflow;
pub mod writer;

pub use api_types::{Health, ModelEntry, ModelList, ProxyConfigView, PutResponse};
pub use client::{ApiFuture, ClientConfig, HttpProxyClient, ProxyApi, ProxyError};
pub use effective::{
    EnvSplit, EnvValue, Flags, Preview, PreviewMismatch, PreviewMode, PreviewRow, Source,
    local_proxy_env, preview, runtime_from, split_env,
};
pub use env_parse::{EnvOutcome, parse_env_value};
#[cfg(any(test, feature = "test-support"))]
pub use fake::FakeProxy;
pub use history::{HistoryEntry, HistoryError, HistoryList, HistoryResult};
pub use masked::MaskedKey;
pub use path_map::{LocalPath, PathMap, PathMapError};
pub use profiles::{ConnectionProfile, ProfileError, Profiles};
pub use push::{
    CurrentText, FileModeChange, LossBasis, PlannedChange, PushError, PushMode, PushPlan,
    PushTarget, StaleConflict, plan_push,
};
pub use push_run::{ConcurrentChange, PushOutcome, PushStatus, PushedKey, execute_push};
pub use restart::{
    Expected, GpuStatus, RestartReport, RestartRequest, RestartResult, RestartStage,
    restart_and_verify,
};
pub use restart_state::{PendingKey, RestartState, restart_state};
pub use served::{Attr, AttrSource, ServedModel, served_ids, served_models};
pub use three_way::{ConflictChoice, DraftBase, KeptKey, KeyConflict, ThreeWay};
pub use version::{KnownKeys, UnknownKey, UnreadKey, known_key_differences};
pub use worker::ProxyWorker;
pub use writer::{Loss, Mangled, PROXY_HEADER, losses, regenerate};
