//! ImageWorks Config Studio: a lossless editor for `chat_proxy.toml` and the
//! model registry, with a GUI and a CLI over one UI-free core.
pub mod app_log;
pub mod cli;
pub mod core;
pub mod ui;
