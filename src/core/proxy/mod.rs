//! The live chat proxy: what it will run with, what a push does to its file,
//! talking to it, and pushing drafts to it safely.

pub mod api_types;
pub mod effective;
pub mod env_parse;
pub mod json_value;

pub use api_types::{Health, ModelEntry, ModelList, ProxyConfigView, PutResponse};
pub use effective::{
    Flags, Preview, PreviewMismatch, PreviewMode, PreviewRow, Source, local_proxy_env, preview,
};
pub use env_parse::{EnvOutcome, parse_env_value};
pub mod writer;
pub use writer::{Loss, PROXY_HEADER, losses, regenerate};
pub mod client;
pub use client::{ApiFuture, ClientConfig, HttpProxyClient, ProxyApi, ProxyError};
pub mod profiles;
pub use profiles::{ConnectionProfile, ProfileError, Profiles};
pub mod push;
pub use push::{
    CurrentText, LossBasis, PlannedChange, PushError, PushMode, PushOutcome, PushPlan, PushedKey,
    StaleConflict, execute_push, plan_push,
};
pub mod history;
pub use history::{HistoryEntry, HistoryError, HistoryList, HistoryResult};
pub mod worker;
pub use worker::ProxyWorker;
pub mod fake;
pub use fake::FakeProxy;
