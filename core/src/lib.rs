//! Hedgerow's core: everything that is not a screen.
//!
//! Shells (the desktop app, the `hedgerow` command line, the mobile bindings) call
//! [`Workspace`] and nothing else that touches data; see ARCHITECTURE.md for the map.

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("hedgerow_core");
#[cfg(feature = "uniffi")]
pub mod ffi;

pub mod clinical;
#[cfg(feature = "test-support")]
pub mod crypto;
#[cfg(not(feature = "test-support"))]
pub(crate) mod crypto;
pub mod documents;
pub mod error;
pub mod ids;
#[cfg(feature = "test-support")]
pub mod store;
#[cfg(not(feature = "test-support"))]
pub(crate) mod store;
#[cfg(feature = "test-support")]
pub mod sync;
#[cfg(not(feature = "test-support"))]
pub(crate) mod sync;

pub use error::{Error, Result};
pub mod workspace;

pub use sync::transport::RelayAddress;
pub use workspace::{Identity, NewClinician, NewPatient, Workspace};
pub mod attribution;
pub mod authorship;
pub mod change_words;
pub mod conflicts;
pub mod demo;
pub mod fhir;
pub mod history;
pub mod view;
