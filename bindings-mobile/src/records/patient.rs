use super::{ClinicianRef, Conflict, Disputed, PatientSummary, VisitSummary, list, optional_date, time};
use crate::error::{HedgerowError, Result};
use crate::{
    AlertKind, AllergySeverity, CareFocus, ContactRelationship, CprRecommendation, EntrySource, Gender,
    Involvement, Place, PlanStatus, Role, Route, TaskStatus,
};
use hedgerow_core::documents::patient as core;
use hedgerow_core::view::{Watched, WatchedRecord};
use hedgerow_core::workspace as ws;
use std::time::SystemTime;

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
        let record = PatientRecord::from_watched(&v.watched());
        Self {
            summary: v.summary,
            record,
            recent_visits: list(v.recent_visits),
            conflicts: list(v.conflicts),
        }
    }
}

/// The disputed fields among `fields`.
fn disputed(fields: &[Option<Disputed>]) -> Vec<Disputed> {
    fields.iter().flatten().cloned().collect()
}

/// The settled value, or `None` while disputed.
fn settled<T: Clone>(w: &Watched<T>) -> Option<T> {
    w.settled().cloned()
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
    /// Notes by carers and family in their own words, apart from clinical entries.
    pub carer_notes: Vec<CarerNote>,
    pub spo2_scale: Spo2ScaleSetting,
    pub created_by: ClinicianRef,
    pub created_at: SystemTime,
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CarerNote {
    pub id: String,
    pub text: String,
    pub source: EntrySource,
    pub written_by: ClinicianRef,
    pub written_at: SystemTime,
}

fn entries<C, T>(map: core::Entries<C>, make: impl Fn(String, C) -> T) -> Vec<T> {
    map.into_iter().map(|(id, e)| make(id, e)).collect()
}

impl PatientRecord {
    fn from_watched(w: &WatchedRecord<'_>) -> Self {
        let r = w.record().clone();
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
            allergies: entries(r.allergies, |id, a| Allergy::new(w, id, a)),
            consent: Consent::new(w, r.consent),
            care_plan: entries(r.care_plan, Problem::new),
            medicines: entries(r.medicines, |id, m| Medicine::watched(w, id, m)),
            end_of_life: EndOfLife::new(w, r.end_of_life),
            tasks: entries(r.tasks, Task::new),
            carer_notes: entries(r.carer_notes, |id, n| CarerNote {
                id,
                text: n.text,
                source: n.source,
                written_by: n.written_by,
                written_at: time(n.written_at),
            }),
            spo2_scale: Spo2ScaleSetting::new(w, r.spo2_scale),
            created_by: r.created_by,
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
    pub gender: Option<Gender>,
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
            gender: d.gender,
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
            relationship: c.relationship,
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
            kind: a.kind,
            text: a.text,
            added_by: a.added_by,
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
    /// As the banner shows it, any disputed part written as disputed.
    pub line: String,
    /// Substance, reaction or severity that clinicians disagree about.
    pub disputed: Vec<Disputed>,
    pub recorded_by: ClinicianRef,
    pub recorded_at: SystemTime,
}

impl Allergy {
    fn new(w: &WatchedRecord<'_>, id: String, a: core::Allergy) -> Self {
        let watched = w.allergy(&id, &a);
        let line = watched.line();
        let disputed = disputed(&[
            Disputed::of(&watched.substance),
            Disputed::of(&watched.reaction),
            Disputed::of(&watched.severity),
        ]);
        Self {
            id,
            line,
            disputed,
            substance: a.substance,
            reaction: a.reaction,
            severity: a.severity,
            recorded_by: a.recorded_by,
            recorded_at: time(a.recorded_at),
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Consent {
    /// `None` until the patient has been asked (never assumed), or while disputed.
    pub share_with_team: Option<bool>,
    pub national_data_opt_out: Option<bool>,
    pub disputed: Vec<Disputed>,
    pub recorded_by: Option<ClinicianRef>,
    pub recorded_at: Option<SystemTime>,
}

impl Consent {
    fn new(w: &WatchedRecord<'_>, c: core::Consent) -> Self {
        let (share, opt_out) = (w.consent_to_share(), w.national_data_opt_out());
        Self {
            share_with_team: settled(&share).flatten(),
            national_data_opt_out: settled(&opt_out).flatten(),
            disputed: disputed(&[Disputed::of(&share), Disputed::of(&opt_out)]),
            recorded_by: c.recorded_by,
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
            status: p.status,
            owner_role: p.owner_role,
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
                owner_role: i.owner_role,
                status: i.status,
            }),
            created_by: p.created_by,
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
    /// "40 mg oral once daily", any disputed part written as disputed.
    pub dosage: String,
    /// Dose, frequency, route, stopping or reason that clinicians disagree about.
    pub disputed: Vec<Disputed>,
    /// A different dose or frequency in the GP record, for a clinician to review.
    pub gp_proposal: Option<String>,
}

impl Medicine {
    fn watched(w: &WatchedRecord<'_>, id: String, m: core::Medicine) -> Self {
        let watched = w.medicine(&id, &m);
        let dosage = watched.dosage();
        let disputed = disputed(&[
            Disputed::of(&watched.dose),
            Disputed::of(&watched.frequency),
            Disputed::of(&watched.route),
            Disputed::of(&watched.stopped),
            Disputed::of(&watched.reason),
        ]);
        // A disputed dose or frequency is never handed out as if it were the value.
        let shown = |w: &Watched<&str>| w.describe(|v| (*v).to_owned());
        let (dose, frequency) = (shown(&watched.dose), shown(&watched.frequency));
        Self { dosage, disputed, dose, frequency, ..Self::new(id, m) }
    }

    pub(crate) fn new(id: String, m: core::Medicine) -> Self {
        Self {
            dosage: format!("{} {} {}", m.dose, m.route.label(), m.frequency),
            disputed: Vec::new(),
            gp_proposal: m.gp_proposal.map(|p| {
                format!("GP record: {} {} (imported {})", p.dose, p.frequency, p.imported_at.display())
            }),
            id,
            name: m.name,
            dmd_code: m.dmd_code,
            dose: m.dose,
            route: m.route,
            frequency: m.frequency,
            start_date: m.start_date,
            stop_date: m.stop_date,
            anticipatory: m.anticipatory,
            kept_at: m.kept_at,
            changed_by: m.changed_by,
            changed_at: time(m.changed_at),
            change_reason: m.change_reason,
        }
    }
}

/// EPaCCS core content and the ReSPECT form's items. A watched item clinicians disagree
/// about is `None` here and listed in `disputed` (the CPR decision in `cpr_disputed`).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct EndOfLife {
    pub has_plan: bool,
    pub on_palliative_register: bool,
    pub preferred_place_of_care: Option<Place>,
    pub preferred_place_of_care_second: Option<Place>,
    pub preferred_place_of_death: Option<Place>,
    pub preferred_place_of_death_second: Option<Place>,
    pub cpr: Option<CprDecision>,
    pub cpr_disputed: Option<Disputed>,
    pub ceiling_of_treatment: Option<String>,
    pub ceiling_set_by: Option<ClinicianRef>,
    pub ceiling_set_at: Option<SystemTime>,
    pub care_focus: Option<CareFocus>,
    pub care_focus_reasons: Option<String>,
    pub involvement: Option<Involvement>,
    pub involvement_detail: Option<String>,
    pub legal_proxy: Option<String>,
    pub advance_decision_location: Option<String>,
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
    /// Every other end of life item clinicians disagree about.
    pub disputed: Vec<Disputed>,
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CprDecision {
    pub recommendation: CprRecommendation,
    pub made_by: ClinicianRef,
    pub made_at: SystemTime,
    pub discussed_with: Option<String>,
}

impl EndOfLife {
    fn new(w: &WatchedRecord<'_>, e: core::EndOfLife) -> Self {
        let cpr = w.cpr();
        let ceiling = w.ceiling_of_treatment();
        let (care, care2) = (w.preferred_place_of_care(), w.preferred_place_of_care_second());
        let (death, death2) = (w.preferred_place_of_death(), w.preferred_place_of_death_second());
        let (focus, capacity) = (w.care_focus(), w.has_capacity());
        let place = |p: &Watched<Option<core::Place>>| settled(p).flatten();
        Self {
            has_plan: w.record().end_of_life_care(),
            on_palliative_register: e.on_palliative_register,
            preferred_place_of_care: place(&care),
            preferred_place_of_care_second: place(&care2),
            preferred_place_of_death: place(&death),
            preferred_place_of_death_second: place(&death2),
            cpr: settled(&cpr).flatten().map(|c| CprDecision {
                recommendation: c.recommendation,
                made_by: c.made_by.clone(),
                made_at: time(c.made_at),
                discussed_with: c.discussed_with.clone(),
            }),
            cpr_disputed: Disputed::of(&cpr),
            ceiling_of_treatment: settled(&ceiling).flatten().map(str::to_owned),
            ceiling_set_by: e.ceiling_set_by,
            ceiling_set_at: e.ceiling_set_at.map(time),
            care_focus: settled(&focus).flatten(),
            care_focus_reasons: e.care_focus_reasons,
            involvement: e.involvement,
            involvement_detail: e.involvement_detail,
            legal_proxy: e.legal_proxy,
            advance_decision_location: e.advance_decision_location,
            summary: e.summary,
            personal_preferences: e.personal_preferences,
            people_to_involve: e.people_to_involve,
            has_capacity: settled(&capacity).flatten(),
            key_worker: e.key_worker,
            hospice: e.hospice,
            anticipatory_medicines_prescribed: e.anticipatory_medicines_prescribed,
            anticipatory_medicines_location: e.anticipatory_medicines_location,
            respect_review_date: e.respect_review_date,
            actual_place_of_death: e.actual_place_of_death,
            date_of_death: e.date_of_death,
            disputed: disputed(&[
                Disputed::of(&ceiling),
                Disputed::of(&care),
                Disputed::of(&care2),
                Disputed::of(&death),
                Disputed::of(&death2),
                Disputed::of(&focus),
                Disputed::of(&capacity),
            ]),
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
            assignee_role: t.assignee_role,
            due_date: t.due_date,
            status: t.status,
            source: t.source,
            created_by: t.created_by,
            created_at: time(t.created_at),
        }
    }
}

/// NEWS2 SpO2 scale for this patient, set by a clinician.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Spo2ScaleSetting {
    /// Readings are scored on Scale 2: only when settled (Scale 1 while disputed).
    pub scale2: bool,
    pub disputed: Option<Disputed>,
    pub set_by: Option<ClinicianRef>,
    pub set_at: Option<SystemTime>,
    pub reason: Option<String>,
}

impl Spo2ScaleSetting {
    fn new(w: &WatchedRecord<'_>, s: core::Spo2ScaleSetting) -> Self {
        let scale2 = w.scale2();
        Self {
            scale2: scale2.settled() == Some(&true),
            disputed: Disputed::of(&scale2),
            set_by: s.set_by,
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
            gp_practice: u.gp_practice.map(|g| core::GpPractice {
                name: g.name,
                ods_code: g.ods_code,
                phone: g.phone,
            }),
        }
    }
}
