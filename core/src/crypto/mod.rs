//! Keys and sealing: the protocol's primitives (hedgerow-protocol's `crypto`), and the
//! passphrase vault that guards this device's data key, which only a device has.

mod vault;

pub use hedgerow_protocol::crypto::*;
pub use vault::{KdfParams, Vault};
