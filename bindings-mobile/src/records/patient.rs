use super::{ClinicianRef, PatientSummary, VisitSummary, list, optional_date, time};
use crate::error::{HedgerowError, Result};
use crate::{
    AlertKind, AllergySeverity, ContactRelationship, CprRecommendation, EntrySource, Place, PlanStatus, Role,
    Route, TaskStatus,
};
use hedgerow_core::documents::patient as core;
use hedgerow_core::workspace as ws;
use std::time::SystemTime;

/// A patient record as opened, with the last visits.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PatientView {
    pub summary: PatientSummary,
    pub record: PatientRecord,
    pub recent_visits: Vec<VisitSummary>,
}

impl From<ws::PatientView> for PatientView {
    fn from(v: ws::PatientView) -> Self {
        Self { summary: v.summary.into(), record: v.record.into(), recent_visits: list(v.recent_visits) }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PatientRecord {
    pub id: String,
    pub demographics: Demographics,
    pub gp_practice: Option<GpPractice>,
    pub contacts: Vec<Contact>,
    pub alerts: Vec<Alert>,
    pub allergies: Vec<Allergy>,
    pub consent: Consent,
    pub care_plan: Vec<Problem>,
    pub medicines: Vec<Medicine>,
    pub end_of_life: EndOfLife,
    pub tasks: Vec<Task>,
    pub spo2_scale: Spo2ScaleSetting,
    pub created_by: ClinicianRef,
    pub created_at: SystemTime,
}

fn entries<C, T>(map: core::Entries<C>, make: impl Fn(String, C) -> T) -> Vec<T> {
    map.into_iter().map(|(id, e)| make(id, e)).collect()
}

impl From<core::PatientRecord> for PatientRecord {
    fn from(r: core::PatientRecord) -> Self {
        Self {
            id: r.id,
            demographics: r.demographics.into(),
            gp_practice: r.gp_practice.map(|g| GpPractice {
                name: g.name,
                ods_code: g.ods_code,
                phone: g.phone,
            }),
            contacts: entries(r.contacts, Contact::new),
            alerts: entries(r.alerts, Alert::new),
            allergies: entries(r.allergies, Allergy::new),
            consent: r.consent.into(),
            care_plan: entries(r.care_plan, Problem::new),
            medicines: entries(r.medicines, Medicine::new),
            end_of_life: r.end_of_life.into(),
            tasks: entries(r.tasks, Task::new),
            spo2_scale: r.spo2_scale.into(),
            created_by: r.created_by.into(),
            created_at: time(r.created_at),
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Demographics {
    /// Ten digits, no spaces.
    pub nhs_number: String,
    pub name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// How to get in: key safe, dog, parking.
    pub access_notes: Option<String>,
}

impl From<core::Demographics> for Demographics {
    fn from(d: core::Demographics) -> Self {
        Self {
            nhs_number: d.nhs_number,
            name: d.name,
            preferred_name: d.preferred_name,
            date_of_birth: d.date_of_birth,
            address: d.address,
            phone: d.phone,
            access_notes: d.access_notes,
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct GpPractice {
    pub name: String,
    pub ods_code: Option<String>,
    pub phone: Option<String>,
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub relationship: ContactRelationship,
    pub phone: Option<String>,
    pub next_of_kin: bool,
    pub main_informal_carer: bool,
    pub lasting_power_of_attorney: Option<String>,
}

impl Contact {
    fn new(id: String, c: core::Contact) -> Self {
        Self {
            id,
            name: c.name,
            relationship: c.relationship.into(),
            phone: c.phone,
            next_of_kin: c.next_of_kin,
            main_informal_carer: c.main_informal_carer,
            lasting_power_of_attorney: c.lasting_power_of_attorney,
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Alert {
    pub id: String,
    pub kind: AlertKind,
    pub text: String,
    pub added_by: ClinicianRef,
    pub added_at: SystemTime,
    pub active: bool,
}

impl Alert {
    fn new(id: String, a: core::Alert) -> Self {
        Self {
            id,
            kind: a.kind.into(),
            text: a.text,
            added_by: a.added_by.into(),
            added_at: time(a.added_at),
            active: a.active,
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Allergy {
    pub id: String,
    pub substance: String,
    pub reaction: Option<String>,
    pub severity: AllergySeverity,
    pub recorded_by: ClinicianRef,
    pub recorded_at: SystemTime,
}

impl Allergy {
    fn new(id: String, a: core::Allergy) -> Self {
        Self {
            id,
            substance: a.substance,
            reaction: a.reaction,
            severity: a.severity.into(),
            recorded_by: a.recorded_by.into(),
            recorded_at: time(a.recorded_at),
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Consent {
    pub share_with_team: bool,
    pub national_data_opt_out: bool,
    pub recorded_by: Option<ClinicianRef>,
    pub recorded_at: Option<SystemTime>,
}

impl From<core::Consent> for Consent {
    fn from(c: core::Consent) -> Self {
        Self {
            share_with_team: c.share_with_team,
            national_data_opt_out: c.national_data_opt_out,
            recorded_by: c.recorded_by.map(Into::into),
            recorded_at: c.recorded_at.map(time),
        }
    }
}

/// A problem or need in the care plan, with its goals and interventions.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Problem {
    pub id: String,
    pub title: String,
    pub detail: Option<String>,
    pub status: PlanStatus,
    pub owner_role: Role,
    pub review_date: Option<String>,
    pub goals: Vec<Goal>,
    pub interventions: Vec<Intervention>,
    pub created_by: ClinicianRef,
    pub created_at: SystemTime,
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Goal {
    pub id: String,
    pub text: String,
    pub target_date: Option<String>,
    pub achieved: bool,
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Intervention {
    pub id: String,
    pub text: String,
    pub frequency: Option<String>,
    pub owner_role: Role,
    pub status: PlanStatus,
}

impl Problem {
    fn new(id: String, p: core::Problem) -> Self {
        Self {
            id,
            title: p.title,
            detail: p.detail,
            status: p.status.into(),
            owner_role: p.owner_role.into(),
            review_date: p.review_date,
            goals: entries(p.goals, |id, g| Goal {
                id,
                text: g.text,
                target_date: g.target_date,
                achieved: g.achieved,
            }),
            interventions: entries(p.interventions, |id, i| Intervention {
                id,
                text: i.text,
                frequency: i.frequency,
                owner_role: i.owner_role.into(),
                status: i.status.into(),
            }),
            created_by: p.created_by.into(),
            created_at: time(p.created_at),
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Medicine {
    pub id: String,
    pub name: String,
    pub dmd_code: Option<String>,
    pub dose: String,
    pub route: Route,
    pub frequency: String,
    pub start_date: Option<String>,
    pub stop_date: Option<String>,
    /// A "just in case" medicine for symptom control at the end of life.
    pub anticipatory: bool,
    pub kept_at: Option<String>,
    pub changed_by: ClinicianRef,
    pub changed_at: SystemTime,
    pub change_reason: Option<String>,
}

impl Medicine {
    pub(crate) fn new(id: String, m: core::Medicine) -> Self {
        Self {
            id,
            name: m.name,
            dmd_code: m.dmd_code,
            dose: m.dose,
            route: m.route.into(),
            frequency: m.frequency,
            start_date: m.start_date,
            stop_date: m.stop_date,
            anticipatory: m.anticipatory,
            kept_at: m.kept_at,
            changed_by: m.changed_by.into(),
            changed_at: time(m.changed_at),
            change_reason: m.change_reason,
        }
    }
}

/// EPaCCS core content and the ReSPECT form's items.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct EndOfLife {
    pub on_palliative_register: bool,
    pub preferred_place_of_care: Option<Place>,
    pub preferred_place_of_care_second: Option<Place>,
    pub preferred_place_of_death: Option<Place>,
    pub preferred_place_of_death_second: Option<Place>,
    pub cpr: Option<CprDecision>,
    pub ceiling_of_treatment: Option<String>,
    pub summary: Option<String>,
    pub personal_preferences: Option<String>,
    pub people_to_involve: Vec<String>,
    pub has_capacity: Option<bool>,
    pub key_worker: Option<String>,
    pub hospice: Option<String>,
    pub anticipatory_medicines_prescribed: bool,
    pub anticipatory_medicines_location: Option<String>,
    pub respect_review_date: Option<String>,
    pub actual_place_of_death: Option<Place>,
    pub date_of_death: Option<String>,
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CprDecision {
    pub recommendation: CprRecommendation,
    pub made_by: ClinicianRef,
    pub made_at: SystemTime,
    pub discussed_with: Option<String>,
}

impl From<core::EndOfLife> for EndOfLife {
    fn from(e: core::EndOfLife) -> Self {
        Self {
            on_palliative_register: e.on_palliative_register,
            preferred_place_of_care: e.preferred_place_of_care.map(Into::into),
            preferred_place_of_care_second: e.preferred_place_of_care_second.map(Into::into),
            preferred_place_of_death: e.preferred_place_of_death.map(Into::into),
            preferred_place_of_death_second: e.preferred_place_of_death_second.map(Into::into),
            cpr: e.cpr.map(|c| CprDecision {
                recommendation: c.recommendation.into(),
                made_by: c.made_by.into(),
                made_at: time(c.made_at),
                discussed_with: c.discussed_with,
            }),
            ceiling_of_treatment: e.ceiling_of_treatment,
            summary: e.summary,
            personal_preferences: e.personal_preferences,
            people_to_involve: e.people_to_involve,
            has_capacity: e.has_capacity,
            key_worker: e.key_worker,
            hospice: e.hospice,
            anticipatory_medicines_prescribed: e.anticipatory_medicines_prescribed,
            anticipatory_medicines_location: e.anticipatory_medicines_location,
            respect_review_date: e.respect_review_date,
            actual_place_of_death: e.actual_place_of_death.map(Into::into),
            date_of_death: e.date_of_death,
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Task {
    pub id: String,
    pub title: String,
    pub assignee_role: Role,
    pub due_date: Option<String>,
    pub status: TaskStatus,
    pub source: EntrySource,
    pub created_by: ClinicianRef,
    pub created_at: SystemTime,
}

impl Task {
    pub(crate) fn new(id: String, t: core::Task) -> Self {
        Self {
            id,
            title: t.title,
            assignee_role: t.assignee_role.into(),
            due_date: t.due_date,
            status: t.status.into(),
            source: t.source.into(),
            created_by: t.created_by.into(),
            created_at: time(t.created_at),
        }
    }
}

/// NEWS2 SpO2 scale for this patient, set by a clinician.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Spo2ScaleSetting {
    pub scale2: bool,
    pub set_by: Option<ClinicianRef>,
    pub set_at: Option<SystemTime>,
    pub reason: Option<String>,
}

impl From<core::Spo2ScaleSetting> for Spo2ScaleSetting {
    fn from(s: core::Spo2ScaleSetting) -> Self {
        Self {
            scale2: s.scale2,
            set_by: s.set_by.map(Into::into),
            set_at: s.set_at.map(time),
            reason: s.reason,
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
        Self { name: c.name, role: c.role.into(), registration: c.registration }
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
            owner_role: p.owner_role.map(Into::into),
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
            status: u.status.map(Into::into),
            review_date: optional_date(u.review_date, "the review date")?,
            owner_role: u.owner_role.map(Into::into),
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
            route: m.route.into(),
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
        Self { dose: c.dose, frequency: c.frequency, route: c.route.map(Into::into), reason: c.reason }
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
}

impl TryFrom<EndOfLifeUpdate> for ws::EndOfLifeUpdate {
    type Error = HedgerowError;
    fn try_from(u: EndOfLifeUpdate) -> Result<Self> {
        Ok(Self {
            on_palliative_register: u.on_palliative_register,
            preferred_place_of_care: u.preferred_place_of_care.map(Into::into),
            preferred_place_of_care_second: u.preferred_place_of_care_second.map(Into::into),
            preferred_place_of_death: u.preferred_place_of_death.map(Into::into),
            preferred_place_of_death_second: u.preferred_place_of_death_second.map(Into::into),
            ceiling_of_treatment: u.ceiling_of_treatment,
            summary: u.summary,
            personal_preferences: u.personal_preferences,
            people_to_involve: u.people_to_involve,
            has_capacity: u.has_capacity,
            key_worker: u.key_worker,
            hospice: u.hospice,
            anticipatory_medicines_location: u.anticipatory_medicines_location,
            respect_review_date: optional_date(u.respect_review_date, "the ReSPECT review date")?,
        })
    }
}
