//! Sync, the device's side: [`client::ClientSession`] talks to a relay, [`peer::PeerSession`]
//! to another device of the team and [`enrolment::EnrolSession`] claims an invite; all are
//! sans-IO and take bytes in and give bytes and events out. [`transport`] moves those bytes
//! over iroh. The protocol they speak (framing, registry, bundles, team keys) is
//! hedgerow-protocol's, re-exported here; the relay's side is hedgerow-relay, which this
//! crate never depends on.

pub use hedgerow_protocol::{bundle, card, heads, keys, letter, registry, wire};

pub mod client;
pub mod enrolment;
pub mod partner;
pub mod peer;
pub mod transport;
// For the fuzz targets and their CI test only.
#[cfg(feature = "test-support")]
pub mod untrusted;
