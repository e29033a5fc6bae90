//! Referrals between teams as clinicians see them: the receiving team's inbox, and the
//! summary it may read before it takes the patient on.

use super::record::{Alert, Allergy, Demographics, EndOfLife, Medicine, PatientRecord, Problem};
use crate::documents::{ClinicianRef, Timestamp};
use crate::ids::PatientId;
use serde::Serialize;

crate::documents::schema::vocabulary! {
    /// Where a referral this team received stands.
    pub enum ReferralStatus {
        Waiting => "waiting" as "waiting for an answer",
        Accepted => "accepted" as "accepted: on this team's caseload",
        Declined => "declined",
    }
}

/// A referral this team received, as the inbox lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Referral {
    /// The referral's id (32 hex characters), which accepting and declining take.
    pub id: String,
    pub patient: PatientId,
    pub name: String,
    /// Formatted `943 476 5919`.
    pub nhs_number: String,
    /// The referring team, by the name its card gave.
    pub from_team: String,
    pub referred_by: ClinicianRef,
    pub reason: String,
    pub urgent: bool,
    pub referred_at: Timestamp,
    pub received_at: Timestamp,
    pub status: ReferralStatus,
    /// Who in this team accepted or declined it, when, and why it was declined.
    pub answered_by: Option<ClinicianRef>,
    pub answered_at: Option<Timestamp>,
    pub decline_reason: Option<String>,
}

/// What the receiving team may read of the record before accepting: who the patient is,
/// the banner (alerts and allergies; the CPR banner is the end of life plan's), the end of life plan, the care plan being worked on
/// and the medicines being taken. Disputed values stay disputed here as everywhere.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReferralSummary {
    pub referral: Referral,
    pub demographics: Demographics,
    pub alerts: Vec<Alert>,
    pub allergies: Vec<Allergy>,
    pub end_of_life: EndOfLife,
    pub care_plan: Vec<Problem>,
    pub medicines: Vec<Medicine>,
}

impl ReferralSummary {
    pub fn new(referral: Referral, record: PatientRecord) -> Self {
        let care_plan = record.active_plan().cloned().collect();
        let medicines = record.current_medicines().cloned().collect();
        let alerts = record.alerts.into_iter().filter(|a| a.active).collect();
        Self {
            referral,
            demographics: record.demographics,
            alerts,
            allergies: record.allergies,
            end_of_life: record.end_of_life,
            care_plan,
            medicines,
        }
    }
}
