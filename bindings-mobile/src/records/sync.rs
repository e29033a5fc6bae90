use super::time;
pub use hedgerow_core::Identity;
use hedgerow_core::workspace as ws;
pub use hedgerow_core::workspace::Revocation;
pub use hedgerow_core::workspace::{
    DeviceListing as Device, Invitation, PeerReport, SyncProgress, SyncReport,
};
use std::time::SystemTime;

/// When this device last synced on one path: the relay, or a team device met directly.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SyncPathHistory {
    /// The relay's address, when this path is the relay.
    pub relay: Option<String>,
    /// The other device's public key (hex), when this path is a direct sync.
    pub device_public_key: Option<String>,
    pub device_label: Option<String>,
    pub clinician: Option<String>,
    pub last_attempt: SystemTime,
    pub last_success: Option<SystemTime>,
    /// Why the last attempt failed; absent when it worked.
    pub last_error: Option<String>,
}

impl From<ws::SyncPathView> for SyncPathHistory {
    fn from(v: ws::SyncPathView) -> Self {
        let h = v.history;
        let (relay, device_public_key) = match h.path {
            ws::SyncPath::Relay { address } => (Some(address), None),
            ws::SyncPath::Device { public_key } => (None, Some(public_key)),
        };
        Self {
            relay,
            device_public_key,
            device_label: v.device_label,
            clinician: v.clinician,
            last_attempt: time(h.last_attempt),
            last_success: h.last_success.map(time),
            last_error: h.last_error,
        }
    }
}
