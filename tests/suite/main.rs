//! The integration tests, one binary (linking the crate and its
//! dependencies once): `library` drives the core API, `cli` the real
//! binary, `gui` the app through egui_kittest, `live` stand-in proxies
//! (and the real one when asked). `cargo test --test suite gui::` runs a group.

mod cli;
mod gui;
mod library;
mod live;
mod support;
