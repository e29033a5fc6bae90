//! `hedgerow-relay`: the blind store-and-forward relay, as a library and the binary around
//! it. It keeps each team's sealed bundles until the team's devices fetch them, and holds
//! no key that opens them.
//!
//! - [`RelaySession`] is the protocol's relay side, a state machine with no IO: bytes,
//!   storage results and the time in; frames, storage requests and a deadline out.
//! - [`RelayState`] is what one process's connections share (storage, limits, the
//!   registry cache) and does the storage work sessions ask for.
//! - [`storage`] holds the [`RelayStorage`] trait and its SQLite (default) and in-memory
//!   implementations.
//! - [`serve`] is the thin transport: iroh endpoint, accept loop, one task per connection.
//!
//! It depends on hedgerow-protocol only, never on hedgerow-core: no Automerge, no care
//! record, no device store (checked by `tests/tests/invariants.rs`).

mod job;
pub mod metrics;
pub mod serve;
pub mod session;
pub mod state;
pub mod storage;
pub mod untrusted;

pub use session::{
    IDLE_SECONDS, Output, RelaySession, SessionLimits, SessionStats, StorageReply, StorageRequest,
};
pub use state::{Flight, RelayLimits, RelayState};
#[cfg(feature = "postgres")]
pub use storage::PostgresRelayStorage;
pub use storage::{MemoryRelayStorage, PulledBatch, RelayStorage, SqliteRelayStorage, StorageError};
