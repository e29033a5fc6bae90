use super::time;
use crate::{Role, SyncPhase};
use hedgerow_core::workspace as ws;
use std::time::SystemTime;

/// Who is using this device.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Identity {
    pub clinician_id: String,
    pub name: String,
    pub role: Role,
    pub registration: Option<String>,
    pub device_id: String,
    pub team_id: String,
    /// A workspace of fictional patients for trying Hedgerow.
    pub demo: bool,
}

impl From<&hedgerow_core::Identity> for Identity {
    fn from(i: &hedgerow_core::Identity) -> Self {
        Self {
            clinician_id: i.clinician_id.to_hex(),
            name: i.name.clone(),
            role: i.role,
            registration: i.registration.clone(),
            device_id: i.device_id.to_hex(),
            team_id: i.team_id.to_hex(),
            demo: i.demo,
        }
    }
}

/// Where a sync with the relay has got to, for a progress bar.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SyncProgress {
    pub phase: SyncPhase,
    /// The phase in words, e.g. "receiving the team's changes".
    pub phase_label: String,
    pub bundles_received: u64,
    pub bytes_received: u64,
    pub bundles_pushed: u64,
    pub bundles_to_push: u64,
}

impl From<&ws::SyncProgress> for SyncProgress {
    fn from(p: &ws::SyncProgress) -> Self {
        Self {
            phase: p.phase,
            phase_label: p.phase.label().to_owned(),
            bundles_received: p.bundles_received as u64,
            bytes_received: p.bytes_received as u64,
            bundles_pushed: p.bundles_pushed as u64,
            bundles_to_push: p.bundles_to_push as u64,
        }
    }
}

/// What a sync with the relay did.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SyncReport {
    pub relay: String,
    pub bundles_received: u64,
    pub bundles_pushed: u64,
    pub documents_changed: u64,
    /// Patients whose records changed, by name.
    pub patients_changed: Vec<String>,
    /// Patients whose record or visits changed, by id.
    pub records_changed: Vec<String>,
    pub new_documents: u64,
    /// Members, devices or the caseload changed.
    pub team_changed: bool,
    pub open_conflicts: u64,
    pub rejected: Vec<String>,
    /// Kept, but needing a newer Hedgerow to read.
    pub unreadable: Vec<String>,
    pub team_keys_received: Vec<u32>,
    /// The team key epoch this device is still waiting for, if any.
    pub waiting_for_key: Option<u32>,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

impl From<ws::SyncReport> for SyncReport {
    fn from(r: ws::SyncReport) -> Self {
        Self {
            relay: r.relay,
            bundles_received: r.bundles_received as u64,
            bundles_pushed: r.bundles_pushed as u64,
            documents_changed: r.documents_changed as u64,
            patients_changed: r.patients_changed,
            records_changed: r.records_changed.iter().map(|p| p.to_hex()).collect(),
            new_documents: r.new_documents as u64,
            team_changed: r.team_changed,
            open_conflicts: r.open_conflicts as u64,
            rejected: r.rejected,
            unreadable: r.unreadable,
            team_keys_received: r.team_keys_received,
            waiting_for_key: r.waiting_for_key,
            bytes_sent: r.bytes_sent as u64,
            bytes_received: r.bytes_received as u64,
        }
    }
}

/// What a direct sync with another team device did.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PeerReport {
    /// The other device's public key, hex.
    pub peer: String,
    pub documents_synced: u64,
    pub new_documents: u64,
    pub documents_changed: u64,
    pub patients_changed: Vec<String>,
    pub records_changed: Vec<String>,
    pub open_conflicts: u64,
    pub unreadable: Vec<String>,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

impl From<ws::PeerReport> for PeerReport {
    fn from(r: ws::PeerReport) -> Self {
        Self {
            peer: r.peer,
            documents_synced: r.documents_synced as u64,
            new_documents: r.new_documents as u64,
            documents_changed: r.documents_changed as u64,
            patients_changed: r.patients_changed,
            records_changed: r.records_changed.iter().map(|p| p.to_hex()).collect(),
            open_conflicts: r.open_conflicts as u64,
            unreadable: r.unreadable,
            bytes_sent: r.bytes_sent as u64,
            bytes_received: r.bytes_received as u64,
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Revocation {
    pub revoked_by: String,
    pub revoked_at: SystemTime,
    pub reason: String,
}

/// A device of the team.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Device {
    pub device_id: String,
    pub label: String,
    pub clinician: String,
    pub public_key: String,
    pub admin: bool,
    pub enrolled_at: SystemTime,
    pub enrolled_by: Option<String>,
    pub revoked: Option<Revocation>,
    /// The relay has confirmed this device's enrolment (or revocation).
    pub confirmed_by_relay: bool,
    pub this_device: bool,
}

impl From<ws::DeviceListing> for Device {
    fn from(d: ws::DeviceListing) -> Self {
        Self {
            device_id: d.device_id,
            label: d.label,
            clinician: d.clinician,
            public_key: d.public_key,
            admin: d.admin,
            enrolled_at: time(d.enrolled_at),
            enrolled_by: d.enrolled_by,
            revoked: d.revoked.map(|r| Revocation {
                revoked_by: r.revoked_by.name,
                revoked_at: time(r.revoked_at),
                reason: r.reason,
            }),
            confirmed_by_relay: d.confirmed_by_relay,
            this_device: d.this_device,
        }
    }
}

/// An invite to hand to a new device's user, once, before it expires.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Invitation {
    pub code: String,
    pub expires_at: SystemTime,
    pub admin: bool,
}

impl From<ws::Invitation> for Invitation {
    fn from(i: ws::Invitation) -> Self {
        Self { code: i.code, expires_at: time(i.expires_at), admin: i.admin }
    }
}

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
