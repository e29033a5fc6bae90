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

impl ReferralStatus {
    /// Where a referral stands, from its answer (the receiving team's, wherever it is kept).
    pub(crate) fn of(answer: Option<&crate::documents::patient::ReferralAnswer>) -> Self {
        match answer {
            None => Self::Waiting,
            Some(a) if a.accepted => Self::Accepted,
            Some(_) => Self::Declined,
        }
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

/// A referral of the patient to another team, as the referring team's record shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReferralMade {
    pub id: String,
    /// The receiving team's id (32 hex characters) and name.
    pub team_id: String,
    pub team: String,
    pub reason: String,
    pub urgent: bool,
    pub referred_by: ClinicianRef,
    pub referred_at: Timestamp,
    /// Waiting until the receiving team's answer arrives.
    pub status: ReferralStatus,
    /// Who in the receiving team answered, when, and why it was declined.
    pub answered_by: Option<ClinicianRef>,
    pub answered_at: Option<Timestamp>,
    pub decline_reason: Option<String>,
}

impl ReferralMade {
    pub(crate) fn new(id: &str, r: &crate::documents::patient::ReferralMade) -> Self {
        let a = r.answer.as_ref();
        Self {
            id: id.to_owned(),
            team_id: r.to_team.clone(),
            team: r.team.clone(),
            reason: r.reason.clone(),
            urgent: r.urgent,
            referred_by: r.referred_by.clone(),
            referred_at: r.referred_at,
            status: ReferralStatus::of(a),
            answered_by: a.map(|a| a.by.clone()),
            answered_at: a.map(|a| a.at),
            decline_reason: a.and_then(|a| a.reason.clone()),
        }
    }

    /// "Referred to Rowan Hospice on 3 Dec 2026 by Dr Ines Calloway (urgent): accepted by
    /// Ada Kell", in one line.
    pub fn line(&self) -> String {
        let urgent = if self.urgent { " (urgent)" } else { "" };
        let answer = match (self.status, &self.answered_by) {
            (ReferralStatus::Waiting, _) => "waiting for an answer".to_owned(),
            (ReferralStatus::Accepted, Some(by)) => format!("accepted by {}", by.name),
            (ReferralStatus::Declined, Some(by)) => {
                format!(
                    "declined by {}: {}",
                    by.name,
                    self.decline_reason.as_deref().unwrap_or("no reason given")
                )
            }
            (status, None) => status.label().to_owned(),
        };
        format!(
            "Referred to {} on {} by {}{urgent}, \"{}\": {answer}",
            self.team,
            self.referred_at.display(),
            self.referred_by.name,
            self.reason
        )
    }
}

/// What the receiving team may read of the record before accepting: who the patient is,
/// the banner (alerts and allergies; the CPR banner is the end of life plan's), the end of life plan, the care plan being worked on
/// and the medicines being taken. Disputed values stay disputed here as everywhere.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReferralSummary {
    pub referral: Referral,
    pub demographics: Demographics,
    /// "CPR: ...": the end of life plan's banner, disputed when clinicians disagree.
    pub cpr_banner: String,
    pub cpr_disputed: bool,
    /// The end of life plan in lines to show as they are: ceiling of treatment, preferred
    /// places of care and death, and each disputed item ("DISPUTED: ...").
    pub plan_lines: Vec<String>,
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
        let e = &record.end_of_life;
        let mut plan_lines = Vec::new();
        if let Some(c) = &e.ceiling_of_treatment {
            plan_lines.push(format!("Ceiling of treatment: {c}"));
        }
        for (what, place) in [("care", e.preferred_place_of_care), ("death", e.preferred_place_of_death)] {
            if let Some(p) = place {
                plan_lines.push(format!("Preferred place of {what}: {}", p.label()));
            }
        }
        if let Some(d) = &e.cpr_disputed {
            plan_lines.push(format!("DISPUTED: {}", d.label));
        }
        plan_lines.extend(e.disputed.iter().map(|d| format!("DISPUTED: {}", d.label)));
        Self {
            referral,
            cpr_banner: e.cpr_banner.clone(),
            cpr_disputed: e.cpr_disputed.is_some(),
            plan_lines,
            demographics: record.demographics,
            alerts,
            allergies: record.allergies,
            end_of_life: record.end_of_life,
            care_plan,
            medicines,
        }
    }
}
