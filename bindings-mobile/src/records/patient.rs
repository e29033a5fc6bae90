use super::{Conflict, PatientSummary, VisitSummary, list, optional_date};
use crate::error::{HedgerowError, Result};
use crate::{CareFocus, Involvement, Place, PlanStatus, Role};
pub use hedgerow_core::view::{
    Alert, Allergy, CarerNote, Consent, Contact, CprDecision, Demographics, Disputed, EndOfLife, Goal,
    GpPractice, Intervention, Medicine, PatientRecord, Problem, Spo2ScaleSetting, Task,
};
use hedgerow_core::workspace as ws;

/// A patient record as opened, with the last visits and the open conflicts. A watched
/// field clinicians disagree about has no value here: it is in its entry's `disputed`
/// (or `cpr_disputed`), with every value, so no screen can show one as the decision.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PatientView {
    pub summary: PatientSummary,
    pub record: PatientRecord,
    pub recent_visits: Vec<VisitSummary>,
    pub conflicts: Vec<Conflict>,
    /// The other teams the record is shared with, and shares that ended.
    pub shared_with: Vec<hedgerow_core::workspace::SharedWith>,
    /// Why this team's copy is read-only, if another team ended the share.
    pub read_only: Option<String>,
}

impl From<ws::PatientView> for PatientView {
    fn from(v: ws::PatientView) -> Self {
        Self {
            summary: v.summary,
            record: v.record,
            recent_visits: list(v.recent_visits),
            conflicts: list(v.conflicts),
            shared_with: v.shared_with,
            read_only: v.read_only,
        }
    }
}

// What the shells send in: those with dates or an NHS number are checked here, so that a
// mistyped one is a typed error; the rest are the core's own.
pub use hedgerow_core::NewClinician;
pub use hedgerow_core::workspace::{DetailsUpdate, MedicineChange, NewMedicine};

#[derive(Clone, Debug, uniffi::Record)]
pub struct NewPatient {
    /// Ten digits; spaces allowed.
    pub nhs_number: String,
    pub name: String,
    /// YYYY-MM-DD.
    pub date_of_birth: String,
    #[uniffi(default)]
    pub address: Option<String>,
}

impl TryFrom<NewPatient> for hedgerow_core::NewPatient {
    type Error = HedgerowError;
    fn try_from(p: NewPatient) -> Result<Self> {
        Ok(Self {
            nhs_number: p.nhs_number.parse().map_err(|e: hedgerow_core::clinical::NhsNumberError| {
                HedgerowError::InvalidNhsNumber { detail: e.to_string() }
            })?,
            name: p.name,
            date_of_birth: super::date(&p.date_of_birth, "the date of birth")?,
            address: p.address,
        })
    }
}

#[derive(Clone, Debug, uniffi::Record)]
pub struct NewProblem {
    pub title: String,
    #[uniffi(default)]
    pub detail: Option<String>,
    #[uniffi(default)]
    pub owner_role: Option<Role>,
    #[uniffi(default)]
    pub review_date: Option<String>,
    #[uniffi(default)]
    pub goal: Option<String>,
    #[uniffi(default)]
    pub intervention: Option<String>,
    #[uniffi(default)]
    pub frequency: Option<String>,
}

impl TryFrom<NewProblem> for ws::NewProblem {
    type Error = HedgerowError;
    fn try_from(p: NewProblem) -> Result<Self> {
        Ok(Self {
            title: p.title,
            detail: p.detail,
            owner_role: p.owner_role,
            review_date: optional_date(p.review_date, "the review date")?,
            goal: p.goal,
            intervention: p.intervention,
            frequency: p.frequency,
        })
    }
}

/// Only the fields given change.
#[derive(Clone, Debug, uniffi::Record)]
pub struct ProblemUpdate {
    #[uniffi(default)]
    pub title: Option<String>,
    #[uniffi(default)]
    pub status: Option<PlanStatus>,
    #[uniffi(default)]
    pub review_date: Option<String>,
    #[uniffi(default)]
    pub owner_role: Option<Role>,
}

impl TryFrom<ProblemUpdate> for ws::ProblemUpdate {
    type Error = HedgerowError;
    fn try_from(u: ProblemUpdate) -> Result<Self> {
        Ok(Self {
            title: u.title,
            status: u.status,
            review_date: optional_date(u.review_date, "the review date")?,
            owner_role: u.owner_role,
        })
    }
}

/// Only the fields given change.
#[derive(Clone, Debug, Default, uniffi::Record)]
pub struct EndOfLifeUpdate {
    #[uniffi(default)]
    pub on_palliative_register: Option<bool>,
    #[uniffi(default)]
    pub preferred_place_of_care: Option<Place>,
    #[uniffi(default)]
    pub preferred_place_of_care_second: Option<Place>,
    #[uniffi(default)]
    pub preferred_place_of_death: Option<Place>,
    #[uniffi(default)]
    pub preferred_place_of_death_second: Option<Place>,
    #[uniffi(default)]
    pub ceiling_of_treatment: Option<String>,
    #[uniffi(default)]
    pub summary: Option<String>,
    #[uniffi(default)]
    pub personal_preferences: Option<String>,
    #[uniffi(default)]
    pub people_to_involve: Option<Vec<String>>,
    #[uniffi(default)]
    pub has_capacity: Option<bool>,
    #[uniffi(default)]
    pub key_worker: Option<String>,
    #[uniffi(default)]
    pub hospice: Option<String>,
    #[uniffi(default)]
    pub anticipatory_medicines_location: Option<String>,
    #[uniffi(default)]
    pub respect_review_date: Option<String>,
    #[uniffi(default)]
    pub care_focus: Option<CareFocus>,
    #[uniffi(default)]
    pub care_focus_reasons: Option<String>,
    #[uniffi(default)]
    pub involvement: Option<Involvement>,
    #[uniffi(default)]
    pub involvement_detail: Option<String>,
    #[uniffi(default)]
    pub legal_proxy: Option<String>,
    #[uniffi(default)]
    pub advance_decision_location: Option<String>,
}

impl TryFrom<EndOfLifeUpdate> for ws::EndOfLifeUpdate {
    type Error = HedgerowError;
    fn try_from(u: EndOfLifeUpdate) -> Result<Self> {
        Ok(Self {
            on_palliative_register: u.on_palliative_register,
            preferred_place_of_care: u.preferred_place_of_care,
            preferred_place_of_care_second: u.preferred_place_of_care_second,
            preferred_place_of_death: u.preferred_place_of_death,
            preferred_place_of_death_second: u.preferred_place_of_death_second,
            ceiling_of_treatment: u.ceiling_of_treatment,
            summary: u.summary,
            personal_preferences: u.personal_preferences,
            people_to_involve: u.people_to_involve,
            has_capacity: u.has_capacity,
            key_worker: u.key_worker,
            hospice: u.hospice,
            anticipatory_medicines_location: u.anticipatory_medicines_location,
            respect_review_date: optional_date(u.respect_review_date, "the ReSPECT review date")?,
            care_focus: u.care_focus,
            care_focus_reasons: u.care_focus_reasons,
            involvement: u.involvement,
            involvement_detail: u.involvement_detail,
            legal_proxy: u.legal_proxy,
            advance_decision_location: u.advance_decision_location,
        })
    }
}
