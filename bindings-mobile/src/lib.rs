//! Hedgerow's core for the Android and iOS shells, through UniFFI.
//!
//! This crate adds no clinical rule, SQL or protocol of its own: every call goes straight
//! to [`hedgerow_core::Workspace`], so the phone, the desktop app and the command line
//! behave the same. What it does add is the crossing itself:
//! - records and enums that Kotlin, Swift and Python can hold ([`records`]);
//! - one typed error enum ([`HedgerowError`]);
//! - a runtime of its own, so every async call runs off the caller's thread and any call is
//!   safe from a UI thread ([`runtime`]);
//! - a foreign trait for sync progress and "record changed" events ([`WorkspaceEvents`]).

uniffi::setup_scaffolding!("hedgerow");

mod clinical;
mod error;
mod events;
pub mod records;
mod runtime;
mod vocabulary;
mod workspace;

pub use clinical::{check_nhs_number, score_news2};
pub use error::HedgerowError;
pub use events::WorkspaceEvents;
pub use vocabulary::*;
pub use workspace::{Workspace, create_demo_workspace, create_workspace, join_team, open_workspace};
