//! The patient record: one Automerge document per patient, shared by the whole team.

use super::schema::{ClinicianRef, Role, Timestamp, vocabulary};
use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: u64 = 1;

/// Entries inside the record are maps keyed by a random entry id (16 hex characters), so
/// that two clinicians adding or editing different entries never collide.
pub type Entries<T> = BTreeMap<String, T>;

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct PatientRecord {
    /// Always "patient".
    pub kind: String,
    pub schema: u64,
    /// PatientId as 32 hex characters.
    pub id: String,
    pub demographics: Demographics,
    pub gp_practice: Option<GpPractice>,
    pub contacts: Entries<Contact>,
    pub alerts: Entries<Alert>,
    pub allergies: Entries<Allergy>,
    pub consent: Consent,
    pub care_plan: Entries<Problem>,
    pub medicines: Entries<Medicine>,
    /// Always present (empty until used), so that clinicians writing to it at the same
    /// time write into one map and any disagreement shows as a conflict on a field.
    pub end_of_life: EndOfLife,
    pub tasks: Entries<Task>,
    /// Notes by carers and family in their own words, kept apart from clinical entries.
    #[autosurgeon(missing = "Default::default")]
    pub carer_notes: Entries<CarerNote>,
    /// Index of this patient's visit notes, keyed by VisitId.
    pub visits: BTreeMap<String, VisitRef>,
    /// Referrals of this patient to other teams, keyed by referral id.
    #[autosurgeon(missing = "Default::default")]
    pub referrals: BTreeMap<String, ReferralMade>,
    /// NEWS2 SpO2 scale for this patient, set by a clinician (always present).
    pub spo2_scale: Spo2ScaleSetting,
    pub created_by: ClinicianRef,
    pub created_at: Timestamp,
}

/// A referral of the patient to another team, and its answer once it came.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct ReferralMade {
    /// The receiving team's TeamId, hex.
    pub to_team: String,
    /// Its name, as its card gave it.
    pub team: String,
    pub reason: String,
    pub urgent: bool,
    pub referred_by: ClinicianRef,
    pub referred_at: Timestamp,
    pub answer: Option<ReferralAnswer>,
}

/// The receiving team's answer to a referral.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct ReferralAnswer {
    pub accepted: bool,
    /// Who answered, in the receiving team.
    pub by: ClinicianRef,
    pub at: Timestamp,
    /// Why it was declined.
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Demographics {
    /// Ten digits, no spaces; always passes the Modulus 11 check.
    pub nhs_number: String,
    pub name: String,
    pub preferred_name: Option<String>,
    /// ISO 8601 date, YYYY-MM-DD.
    pub date_of_birth: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// How to get in: key safe, dog, parking.
    pub access_notes: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub gender: Option<Gender>,
}

vocabulary! {
    /// Administrative gender, as FHIR's `administrative-gender` codes it.
    pub enum Gender {
        Female => "female",
        Male => "male",
        Other => "other",
        Unknown => "unknown",
    }
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct GpPractice {
    pub name: String,
    /// The practice's ODS code, e.g. "Y12345".
    pub ods_code: Option<String>,
    pub phone: Option<String>,
}

vocabulary! {
    pub enum ContactRelationship {
        Spouse => "spouse",
        Partner => "partner",
        Child => "child",
        Sibling => "sibling",
        Friend => "friend",
        Neighbour => "neighbour",
        PaidCarer => "paid-carer" as "paid carer",
        Other => "other",
    }
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Contact {
    pub name: String,
    pub relationship: ContactRelationship,
    pub phone: Option<String>,
    pub next_of_kin: bool,
    pub main_informal_carer: bool,
    /// Lasting power of attorney held, if any: "health-and-welfare", "property-and-financial", "both".
    pub lasting_power_of_attorney: Option<String>,
}

vocabulary! {
    pub enum AlertKind {
        LoneWorker => "lone-worker" as "lone worker",
        Access => "access",
        Safeguarding => "safeguarding",
        Infection => "infection",
        Communication => "communication",
        Clinical => "clinical",
    }
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub text: String,
    pub added_by: ClinicianRef,
    pub added_at: Timestamp,
    pub active: bool,
}

vocabulary! {
    pub enum AllergySeverity {
        Mild => "mild",
        Moderate => "moderate",
        Severe => "severe",
        Unknown => "unknown",
    }
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Allergy {
    pub substance: String,
    pub reaction: Option<String>,
    pub severity: AllergySeverity,
    pub recorded_by: ClinicianRef,
    pub recorded_at: Timestamp,
}

/// Consent starts as not recorded (`None`), never as a "yes" nobody gave.
#[derive(Clone, Debug, Default, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Consent {
    /// The patient agreed (or refused) to share their record with the care team.
    pub share_with_team: Option<bool>,
    /// The patient has (or has not) registered a national data opt-out.
    pub national_data_opt_out: Option<bool>,
    pub recorded_by: Option<ClinicianRef>,
    pub recorded_at: Option<Timestamp>,
    /// The patient's answer about sharing the record with each other team it may be
    /// referred to, keyed by TeamId: asked team by team, never assumed.
    #[autosurgeon(missing = "Default::default")]
    pub share_with_teams: BTreeMap<String, TeamConsent>,
}

/// Whether the patient agreed to share the record with one other team.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct TeamConsent {
    /// The team's name when the patient was asked.
    pub team: String,
    pub agreed: bool,
    pub recorded_by: ClinicianRef,
    pub recorded_at: Timestamp,
}

vocabulary! {
    pub enum PlanStatus {
        Active => "active",
        Resolved => "resolved",
        Closed => "closed",
    }
}

/// A problem or need, with its goals and the interventions that serve them.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Problem {
    pub title: String,
    pub detail: Option<String>,
    pub status: PlanStatus,
    pub owner_role: Role,
    /// YYYY-MM-DD.
    pub review_date: Option<String>,
    pub goals: Entries<Goal>,
    pub interventions: Entries<Intervention>,
    pub created_by: ClinicianRef,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Goal {
    pub text: String,
    pub target_date: Option<String>,
    pub achieved: bool,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Intervention {
    pub text: String,
    /// As the team writes it: "daily", "twice weekly", "every 3 days".
    pub frequency: Option<String>,
    pub owner_role: Role,
    pub status: PlanStatus,
}

vocabulary! {
    pub enum Route {
        Oral => "oral",
        Subcutaneous => "subcutaneous",
        Intramuscular => "intramuscular",
        Topical => "topical",
        Transdermal => "transdermal",
        Inhaled => "inhaled",
        Other => "other",
    }
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Medicine {
    pub name: String,
    /// dm+d concept id where known.
    pub dmd_code: Option<String>,
    pub dose: String,
    pub route: Route,
    pub frequency: String,
    pub start_date: Option<String>,
    pub stop_date: Option<String>,
    /// A "just in case" medicine for symptom control at the end of life.
    pub anticipatory: bool,
    /// Where it is kept in the home, for anticipatory medicines.
    pub kept_at: Option<String>,
    pub changed_by: ClinicianRef,
    pub changed_at: Timestamp,
    pub change_reason: Option<String>,
    /// A different dose or frequency in the GP record at the last import, for a clinician
    /// to review: never applied, never dropped.
    #[autosurgeon(missing = "Default::default")]
    pub gp_proposal: Option<GpProposal>,
}

/// What the GP system's record says of a medicine when it differs from this record.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct GpProposal {
    pub dose: String,
    pub frequency: String,
    pub imported_by: ClinicianRef,
    pub imported_at: Timestamp,
}

vocabulary! {
    pub enum CprRecommendation {
        AttemptCpr => "attempt-cpr" as "attempt CPR",
        DoNotAttemptCpr => "do-not-attempt-cpr" as "do not attempt CPR (DNACPR)",
    }
}

vocabulary! {
    pub enum Place {
        Home => "home",
        CareHome => "care-home" as "care home",
        Hospice => "hospice",
        Hospital => "hospital",
        Other => "other",
        NotDiscussed => "not-discussed" as "not discussed",
    }
}

vocabulary! {
    /// ReSPECT (version 3) section 3: the focus of care, on a scale.
    pub enum CareFocus {
        PrioritiseSustainingLife => "prioritise-sustaining-life" as "prioritise sustaining life",
        Balance => "balance" as "balance sustaining life and comfort",
        PrioritiseComfort => "prioritise-comfort" as "prioritise comfort",
    }
}

vocabulary! {
    /// ReSPECT section 6: who was involved in making the plan.
    pub enum Involvement {
        PatientInvolved => "patient-involved" as "the person has capacity and was fully involved",
        LegalProxyInvolved => "legal-proxy-involved" as "the person lacks capacity; their legal proxy (welfare attorney) was involved",
        FamilyInvolved => "family-involved" as "the person lacks capacity and has no legal proxy; made in their best interests with family or friends",
        NotInvolved => "not-involved" as "not discussed with the person or those close to them (reason recorded)",
    }
}

/// EPaCCS core content and the ReSPECT form's items.
#[derive(Clone, Debug, Default, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct EndOfLife {
    /// On the practice's palliative care (EPaCCS) register.
    pub on_palliative_register: bool,
    pub preferred_place_of_care: Option<Place>,
    pub preferred_place_of_care_second: Option<Place>,
    pub preferred_place_of_death: Option<Place>,
    pub preferred_place_of_death_second: Option<Place>,
    pub cpr: Option<CprDecision>,
    /// ReSPECT clinical recommendation, e.g. "ward-based care, not ITU".
    pub ceiling_of_treatment: Option<String>,
    /// Who set the ceiling of treatment, and when.
    #[autosurgeon(missing = "Default::default")]
    pub ceiling_set_by: Option<ClinicianRef>,
    #[autosurgeon(missing = "Default::default")]
    pub ceiling_set_at: Option<Timestamp>,
    /// ReSPECT section 3: the focus of care, and the clinician's reasons.
    #[autosurgeon(missing = "Default::default")]
    pub care_focus: Option<CareFocus>,
    #[autosurgeon(missing = "Default::default")]
    pub care_focus_reasons: Option<String>,
    /// ReSPECT section 6: who was involved in making the plan, and any detail (names, or
    /// why it was not discussed).
    #[autosurgeon(missing = "Default::default")]
    pub involvement: Option<Involvement>,
    #[autosurgeon(missing = "Default::default")]
    pub involvement_detail: Option<String>,
    /// The legal proxy or health and welfare attorney, with how to reach them.
    #[autosurgeon(missing = "Default::default")]
    pub legal_proxy: Option<String>,
    /// Where an advance decision to refuse treatment (or advance care plan) is kept.
    #[autosurgeon(missing = "Default::default")]
    pub advance_decision_location: Option<String>,
    /// ReSPECT summary: diagnosis, prognosis, where advance decisions are kept.
    pub summary: Option<String>,
    /// ReSPECT personal preferences: what matters to the patient.
    pub personal_preferences: Option<String>,
    pub people_to_involve: Vec<String>,
    pub has_capacity: Option<bool>,
    pub key_worker: Option<String>,
    pub hospice: Option<String>,
    pub anticipatory_medicines_prescribed: bool,
    pub anticipatory_medicines_location: Option<String>,
    pub respect_review_date: Option<String>,
    pub actual_place_of_death: Option<Place>,
    /// YYYY-MM-DD.
    pub date_of_death: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub death_recorded_by: Option<ClinicianRef>,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct CprDecision {
    pub recommendation: CprRecommendation,
    pub made_by: ClinicianRef,
    pub made_at: Timestamp,
    pub discussed_with: Option<String>,
}

vocabulary! {
    pub enum TaskStatus {
        Open => "open",
        Done => "done",
        Cancelled => "cancelled",
    }
}

vocabulary! {
    /// Entries by carers or family are theirs, kept apart from clinical entries.
    pub enum EntrySource {
        Clinical => "clinical",
        Carer => "carer",
        Family => "family",
    }
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Task {
    pub title: String,
    pub assignee_role: Role,
    /// YYYY-MM-DD.
    pub due_date: Option<String>,
    pub status: TaskStatus,
    pub source: EntrySource,
    pub created_by: ClinicianRef,
    pub created_at: Timestamp,
}

/// A note by a carer or family member, in their own words.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct CarerNote {
    pub text: String,
    pub source: EntrySource,
    pub written_by: ClinicianRef,
    pub written_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct VisitRef {
    pub started_at: Timestamp,
    pub clinician: ClinicianRef,
}

/// Scale 2 is for confirmed hypercapnic respiratory failure (target 88-92%), set on the
/// record by a clinician; every reading is then scored on it.
#[derive(Clone, Debug, Default, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Spo2ScaleSetting {
    pub scale2: bool,
    pub set_by: Option<ClinicianRef>,
    pub set_at: Option<Timestamp>,
    pub reason: Option<String>,
}

impl PatientRecord {
    pub fn new(id: String, demographics: Demographics, by: ClinicianRef, at: Timestamp) -> Self {
        Self {
            kind: "patient".into(),
            schema: SCHEMA_VERSION,
            id,
            demographics,
            gp_practice: None,
            contacts: Entries::new(),
            alerts: Entries::new(),
            allergies: Entries::new(),
            consent: Consent::default(),
            care_plan: Entries::new(),
            medicines: Entries::new(),
            end_of_life: EndOfLife::default(),
            tasks: Entries::new(),
            carer_notes: Entries::new(),
            visits: BTreeMap::new(),
            referrals: BTreeMap::new(),
            spo2_scale: Spo2ScaleSetting::default(),
            created_by: by,
            created_at: at,
        }
    }

    /// Has an end of life plan: on the register, or with any EPaCCS or ReSPECT item
    /// recorded (a ceiling of treatment alone is a plan).
    pub fn end_of_life_care(&self) -> bool {
        let e = &self.end_of_life;
        e.on_palliative_register
            || e.cpr.is_some()
            || e.ceiling_of_treatment.is_some()
            || e.care_focus.is_some()
            || e.preferred_place_of_death.is_some()
            || e.preferred_place_of_death_second.is_some()
            || e.preferred_place_of_care.is_some()
            || e.preferred_place_of_care_second.is_some()
            || e.anticipatory_medicines_prescribed
            || e.respect_review_date.is_some()
            || e.advance_decision_location.is_some()
            || e.legal_proxy.is_some()
            || e.date_of_death.is_some()
    }
}
