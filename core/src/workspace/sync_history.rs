//! When this device last synced, path by path: the relay, and each team device it met
//! directly. Written in the same transaction as the sync's audit entry, so the history and
//! the audit log never disagree.

use super::Context;
use crate::documents::Timestamp;
use crate::error::Result;
use crate::store::WriteTx;
use serde::{Deserialize, Serialize};

const SYNC_HISTORY: &str = "sync-history";

/// A way this device syncs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SyncPath {
    /// Through the relay at this address.
    Relay { address: String },
    /// Directly with the team device with this public key (hex).
    Device { public_key: String },
}

/// The last attempt and the last success on one path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathHistory {
    pub path: SyncPath,
    pub last_attempt: Timestamp,
    pub last_success: Option<Timestamp>,
    /// Why the last attempt failed; `None` when it worked.
    pub last_error: Option<String>,
}

/// A path as the sync screen shows it: the relay's address or the other device (with its
/// name when the team knows it), the last attempt and the last success.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "uniffi", uniffi(name = "SyncPathHistory"))]
pub struct SyncPathView {
    /// The relay's address, when this path is the relay.
    pub relay: Option<String>,
    /// The other device's public key (hex), when this path is a direct sync.
    pub device_public_key: Option<String>,
    pub device_label: Option<String>,
    pub clinician: Option<String>,
    pub last_attempt: Timestamp,
    pub last_success: Option<Timestamp>,
    /// Why the last attempt failed; `None` when it worked.
    pub last_error: Option<String>,
}

/// Bookkeeping only: if it cannot be read, start again rather than refuse to sync.
fn parse(stored: Option<Vec<u8>>) -> Vec<PathHistory> {
    stored.and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default()
}

pub(crate) async fn record_sync_attempt(
    tx: &mut WriteTx<'_>,
    path: SyncPath,
    outcome: std::result::Result<(), String>,
) -> Result<()> {
    let mut all = parse(tx.setting(SYNC_HISTORY).await?.map(|b| b.to_vec()));
    let now = Timestamp::now();
    let previous = all.iter().position(|h| h.path == path).map(|i| all.remove(i));
    let last_success = match outcome {
        Ok(()) => Some(now),
        Err(_) => previous.and_then(|p| p.last_success),
    };
    all.push(PathHistory { path, last_attempt: now, last_success, last_error: outcome.err() });
    all.sort_by(|a, b| a.path.cmp(&b.path));
    let bytes = serde_json::to_vec(&all).expect("JSON of plain values");
    tx.put_setting(SYNC_HISTORY, &bytes).await
}

pub(super) async fn sync_history(cx: &Context) -> Result<Vec<SyncPathView>> {
    let all = parse(cx.store.begin_read().await?.setting(SYNC_HISTORY).await?.map(|b| b.to_vec()));
    let devices = super::team::devices(cx).await?;
    Ok(all
        .into_iter()
        .map(|history| {
            let device = match &history.path {
                SyncPath::Device { public_key } => devices.iter().find(|d| &d.public_key == public_key),
                SyncPath::Relay { .. } => None,
            };
            let (relay, device_public_key) = match history.path {
                SyncPath::Relay { address } => (Some(address), None),
                SyncPath::Device { public_key } => (None, Some(public_key)),
            };
            SyncPathView {
                relay,
                device_public_key,
                device_label: device.map(|d| d.label.clone()),
                clinician: device.map(|d| d.clinician.clone()),
                last_attempt: history.last_attempt,
                last_success: history.last_success,
                last_error: history.last_error,
            }
        })
        .collect())
}
