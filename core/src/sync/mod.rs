//! Sync: the relay protocol, sealed bundles, team keys and the device registry, all
//! sans-IO. [`client::ClientSession`] and [`relay::RelaySession`] take bytes in and give
//! bytes and events out; [`transport`] moves those bytes over iroh or in memory.

pub mod bundle;
pub mod client;
pub mod enrolment;
pub mod heads;
pub mod keys;
pub mod peer;
pub mod registry;
pub mod relay;
pub mod relay_store;
pub mod transport;
pub mod untrusted;
pub mod wire;
