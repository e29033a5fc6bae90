//! What the core tells a shell while it works: implemented in Kotlin, Swift or Python.

use crate::records::{PeerReport, SyncProgress};

/// Called from Hedgerow's own threads, never the caller's: post to the UI thread before
/// touching views. Calls must return quickly.
#[uniffi::export(foreign)]
pub trait WorkspaceEvents: Send + Sync {
    /// A sync with the relay moved on.
    fn sync_progress(&self, progress: SyncProgress);
    /// A patient's record or visits changed under the shell (a sync brought changes):
    /// screens showing this patient should reload.
    fn record_changed(&self, patient_id: String);
    /// This device is listening for team devices nearby at `address`.
    fn listening(&self, address: String);
    /// A team device synced with this one while it was listening.
    fn peer_synced(&self, report: PeerReport);
}
