//! Hedgerow's sync protocol, shared by devices (hedgerow-core) and the relay
//! (hedgerow-relay): wire framing and messages, the team registry and its replay rules,
//! sealed and signed bundles, team-key envelopes, enrolment messages (the invite code and the
//! sealed offer) and the keys and seals under them.
//!
//! Sans-IO and storage-free: nothing here opens a socket, a file or a database, and
//! nothing knows what a care record is. A bundle's document is an id, a [`DocumentKind`]
//! tag and opaque bytes; heads are 32-byte hashes.

pub mod bundle;
pub mod card;
pub mod crypto;
pub mod enrolment;
pub mod heads;
pub mod keys;
pub mod letter;
pub mod registry;
pub mod wire;

pub use bundle::{ChainedEntry, DocumentKind};
