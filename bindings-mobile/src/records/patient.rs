use super::{Conflict, PatientSummary, VisitSummary, list, optional_date};
use crate::error::{HedgerowError, Result};
use crate::{CareFocus, Gender, Involvement, Place, PlanStatus, Role, Route};
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
}

impl From<ws::PatientView> for PatientView {
    fn from(v: ws::PatientView) -> Self {
        Self {
            summary: v.summary,
            record: v.record,
            recent_visits: list(v.recent_visits),
            conflicts: list(v.conflicts),
        }
    }
}

// What the shells send in.

#[derive(Clone, Debug, uniffi::Record)]
pub struct NewClinician {
    pub name: String,
    pub role: Role,
    /// NMC PIN or GMC number.
    #[uniffi(default)]
    pub registration: Option<String>,
}

impl From<NewClinician> for hedgerow_core::NewClinician {
    fn from(c: NewClinician) -> Self {
        Self { name: c.name, role: c.role, registration: c.registration }
    }
}

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

#[derive(Clone, Debug, uniffi::Record)]
pub struct NewMedicine {
    pub name: String,
    #[uniffi(default)]
    pub dmd_code: Option<String>,
    pub dose: String,
    pub route: Route,
    pub frequency: String,
    #[uniffi(default)]
    pub anticipatory: bool,
    #[uniffi(default)]
    pub kept_at: Option<String>,
    #[uniffi(default)]
    pub reason: Option<String>,
}

impl From<NewMedicine> for ws::NewMedicine {
    fn from(m: NewMedicine) -> Self {
        Self {
            name: m.name,
            dmd_code: m.dmd_code,
            dose: m.dose,
            route: m.route,
            frequency: m.frequency,
            anticipatory: m.anticipatory,
            kept_at: m.kept_at,
            reason: m.reason,
        }
    }
}

/// A dose, frequency or route change; the reason is required.
#[derive(Clone, Debug, uniffi::Record)]
pub struct MedicineChange {
    #[uniffi(default)]
    pub dose: Option<String>,
    #[uniffi(default)]
    pub frequency: Option<String>,
    #[uniffi(default)]
    pub route: Option<Route>,
    pub reason: String,
}

impl From<MedicineChange> for ws::MedicineChange {
    fn from(c: MedicineChange) -> Self {
        Self { dose: c.dose, frequency: c.frequency, route: c.route, reason: c.reason }
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

/// The patient's details to change; those not given stay as they are (an empty text clears).
#[derive(Clone, Debug, Default, uniffi::Record)]
pub struct DetailsUpdate {
    #[uniffi(default)]
    pub preferred_name: Option<String>,
    #[uniffi(default)]
    pub address: Option<String>,
    #[uniffi(default)]
    pub phone: Option<String>,
    #[uniffi(default)]
    pub access_notes: Option<String>,
    #[uniffi(default)]
    pub gender: Option<Gender>,
    #[uniffi(default)]
    pub gp_practice: Option<GpPractice>,
}

impl From<DetailsUpdate> for ws::DetailsUpdate {
    fn from(u: DetailsUpdate) -> Self {
        Self {
            preferred_name: u.preferred_name,
            address: u.address,
            phone: u.phone,
            access_notes: u.access_notes,
            gender: u.gender,
            gp_practice: u.gp_practice.map(Into::into),
        }
    }
}
