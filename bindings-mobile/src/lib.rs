//! Hedgerow for the Android and iOS shells.
//!
//! This crate will expose `hedgerow_core::Workspace` through UniFFI. Until it does, it
//! exports nothing, so that no shell can link against a facade that does not work.
