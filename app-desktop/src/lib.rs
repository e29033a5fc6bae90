//! The Hedgerow desktop app, as a library so that its interaction tests can drive it.
//! The `hedgerow` binary opens it when run without a command.

pub mod gui;

/// The stack of the runtime's worker threads: a sync's future is deep, and debug builds'
/// frames outgrow tokio's 2 MiB default.
pub const WORKER_STACK: usize = 8 * 1024 * 1024;
