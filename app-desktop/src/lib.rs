//! The Hedgerow desktop app, as a library so that its interaction tests can drive it.
//! The `hedgerow` binary opens it when run without a command.

pub mod gui;
