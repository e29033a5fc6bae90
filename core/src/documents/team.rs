//! The team document: who is in the team, their devices, and the caseload they share.

use super::schema::{ClinicianRef, Role, Timestamp};
use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: u64 = 1;

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Team {
    /// Always "team".
    pub kind: String,
    pub schema: u64,
    pub id: String,
    pub name: String,
    /// Keyed by ClinicianId.
    pub clinicians: BTreeMap<String, Clinician>,
    /// Keyed by DeviceId.
    pub devices: BTreeMap<String, Device>,
    /// The patients this team cares for, keyed by PatientId.
    pub caseload: BTreeMap<String, CaseloadEntry>,
    /// The team's organisation's ODS code, put on its sharing card.
    #[autosurgeon(missing = "Default::default")]
    pub ods_code: Option<String>,
    /// Other teams whose sharing cards an admin of this team trusted, keyed by TeamId.
    #[autosurgeon(missing = "Default::default")]
    pub partners: BTreeMap<String, PartnerTeam>,
    /// This team's answers to referrals it received, keyed by referral id, so that every
    /// device of the team knows which are still waiting.
    #[autosurgeon(missing = "Default::default")]
    pub referrals: BTreeMap<String, super::patient::ReferralAnswer>,
    /// The records this team shares with other teams: by PatientId, then by TeamId.
    #[autosurgeon(missing = "Default::default")]
    pub shares: BTreeMap<String, BTreeMap<String, RecordShare>>,
    /// This team's copies that another team's ending of a share left read-only, by
    /// PatientId: kept for `ended_share_retention_days`, then deleted.
    #[autosurgeon(missing = "Default::default")]
    pub ended_copies: BTreeMap<String, EndedCopy>,
    /// The team's policy: how long a read-only copy is kept after another team ends a
    /// share ([`DEFAULT_ENDED_SHARE_RETENTION_DAYS`] if not set).
    #[autosurgeon(missing = "Default::default")]
    pub ended_share_retention_days: Option<u64>,
}

/// How long a read-only copy of a record whose share ended is kept by default.
pub const DEFAULT_ENDED_SHARE_RETENTION_DAYS: u64 = 30;

/// A record shared with another team, from when, and whether the share ended.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct RecordShare {
    /// The other team's name, as its card gave it.
    pub team: String,
    pub since: Timestamp,
    /// The referral that began it, hex.
    pub referral: String,
    pub ended: Option<ShareEnded>,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct ShareEnded {
    pub at: Timestamp,
    /// The clinician who ended it, and their team's name.
    pub by: ClinicianRef,
    pub by_team: String,
    pub reason: String,
}

/// This team's copy of a record after another team ended the share.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct EndedCopy {
    pub ended: ShareEnded,
    pub keep_until: Timestamp,
    /// When the copy was deleted from the team's devices.
    pub deleted_at: Option<Timestamp>,
}

/// Another team this team may refer patients to, as its card named it when an admin
/// trusted it.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct PartnerTeam {
    pub name: String,
    pub ods_code: Option<String>,
    /// The SHA-256 of the team's charter, hex: the team's identity, which the admins compared.
    pub fingerprint: String,
    /// The card as trusted (`HRC1-...`): its sharing key and the proof of its signer.
    pub card: String,
    pub trusted_by: ClinicianRef,
    pub trusted_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Clinician {
    pub name: String,
    pub role: Role,
    /// NMC PIN, GMC number or HCPC registration.
    pub registration: Option<String>,
    pub admin: bool,
    pub added_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Device {
    pub clinician_id: String,
    pub label: String,
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// The Automerge actor id this device writes with, hex.
    pub actor_id: String,
    pub enrolled_by: Option<ClinicianRef>,
    pub enrolled_at: Timestamp,
    pub revoked: Option<Revocation>,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Revocation {
    pub revoked_by: ClinicianRef,
    pub revoked_at: Timestamp,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct CaseloadEntry {
    pub added_by: ClinicianRef,
    pub added_at: Timestamp,
}

impl Team {
    pub fn new(id: String, name: String) -> Self {
        Self {
            kind: "team".into(),
            schema: SCHEMA_VERSION,
            id,
            name,
            clinicians: BTreeMap::new(),
            devices: BTreeMap::new(),
            caseload: BTreeMap::new(),
            ods_code: None,
            partners: BTreeMap::new(),
            referrals: BTreeMap::new(),
            shares: BTreeMap::new(),
            ended_copies: BTreeMap::new(),
            ended_share_retention_days: None,
        }
    }

    /// The clinician whose device writes with this Automerge actor, if the team knows it.
    pub fn clinician_for_actor(&self, actor_hex: &str) -> Option<(&str, &Clinician)> {
        let device = self.devices.values().find(|d| d.actor_id == actor_hex)?;
        let c = self.clinicians.get(&device.clinician_id)?;
        Some((device.clinician_id.as_str(), c))
    }
}
