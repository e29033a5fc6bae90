//! The patient record as a clinician reads it, the one shape every shell renders: entries
//! the document keys by id arrive as lists carrying their `id` (which is what edits take
//! back), vocabularies as enums with a `label()`, and every watched field either settled or
//! listed in its entry's `disputed` with every value, so no screen can show a disputed CPR
//! decision, dose or allergy as the decision. The names match the document's
//! (`documents::patient`), which is the stored shape; these are what is shown.

mod end_of_life;
mod medicines;

pub use end_of_life::{CprDecision, EndOfLife};
pub use medicines::Medicine;

use super::{Disputed, Watched, WatchedRecord};
use crate::documents::patient::{
    self as document, AlertKind, AllergySeverity, ContactRelationship, EntrySource, Gender, PlanStatus,
    TaskStatus,
};
use crate::documents::{ClinicianRef, Role, Timestamp};
use crate::ids::PatientId;
use serde::Serialize;

/// A patient record as opened: what is shown, decided once.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PatientRecord {
    pub id: PatientId,
    pub demographics: Demographics,
    pub gp_practice: Option<GpPractice>,
    pub contacts: Vec<Contact>,
    pub alerts: Vec<Alert>,
    pub allergies: Vec<Allergy>,
    pub consent: Consent,
    pub care_plan: Vec<Problem>,
    /// Every medicine, stopped ones too (`current` says which are still taken).
    pub medicines: Vec<Medicine>,
    pub end_of_life: EndOfLife,
    pub tasks: Vec<Task>,
    /// Notes by carers and family in their own words, apart from clinical entries.
    pub carer_notes: Vec<CarerNote>,
    pub spo2_scale: Spo2ScaleSetting,
    /// Referrals of the patient to other teams, newest first, with their answers.
    pub referrals: Vec<super::ReferralMade>,
    pub created_by: ClinicianRef,
    pub created_at: Timestamp,
}

/// Who opens the record and on what day: what "changed since your last visit" and "review
/// overdue" are measured from.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    pub clinician_id: &'a str,
    pub today: chrono::NaiveDate,
}

impl PatientRecord {
    /// The record as `reader` sees it today; an error only if the document's id is damaged.
    pub fn read(w: &WatchedRecord<'_>, reader: Reader<'_>) -> crate::Result<Self> {
        let r = w.record();
        let id = r.id.parse().map_err(|e| crate::Error::Corrupt(format!("the record's id: {e}")))?;
        // Never, if this clinician has not visited: then nothing is "since".
        let last_visit =
            r.visits.values().filter(|v| v.clinician.id == reader.clinician_id).map(|v| v.started_at).max();
        Ok(Self {
            id,
            demographics: Demographics::from(&r.demographics),
            gp_practice: r.gp_practice.as_ref().map(GpPractice::from),
            contacts: r.contacts.iter().map(|(id, c)| Contact::new(id, c)).collect(),
            alerts: r.alerts.iter().map(|(id, a)| Alert::new(id, a)).collect(),
            allergies: r.allergies.iter().map(|(id, a)| Allergy::new(w, id, a)).collect(),
            consent: Consent::new(w, &r.consent),
            care_plan: r.care_plan.iter().map(|(id, p)| Problem::new(w, id, p, reader.today)).collect(),
            medicines: r
                .medicines
                .iter()
                .map(|(id, m)| Medicine::new(w, id, m, reader.clinician_id, last_visit))
                .collect(),
            end_of_life: EndOfLife::new(w),
            tasks: r.tasks.iter().map(|(id, t)| Task::new(id, t)).collect(),
            carer_notes: r
                .carer_notes
                .iter()
                .map(|(id, n)| CarerNote {
                    id: id.clone(),
                    text: n.text.clone(),
                    source: n.source,
                    written_by: n.written_by.clone(),
                    written_at: n.written_at,
                })
                .collect(),
            spo2_scale: Spo2ScaleSetting::new(w, &r.spo2_scale),
            referrals: {
                let mut out: Vec<_> =
                    r.referrals.iter().map(|(id, m)| super::ReferralMade::new(id, m)).collect();
                out.sort_by_key(|m| std::cmp::Reverse(m.referred_at));
                out
            },
            created_by: r.created_by.clone(),
            created_at: r.created_at,
        })
    }

    /// The scale a new reading is scored on: Scale 2 only when settled on it (see
    /// [`crate::view::scoring_scale`]).
    pub fn scoring_scale(&self) -> crate::clinical::Spo2Scale {
        if self.spo2_scale.scale2 {
            crate::clinical::Spo2Scale::Scale2
        } else {
            crate::clinical::Spo2Scale::Scale1
        }
    }

    /// The medicines still being taken, including one whose stopping is disputed.
    pub fn current_medicines(&self) -> impl Iterator<Item = &Medicine> {
        self.medicines.iter().filter(|m| m.current)
    }

    /// The open tasks, in the record's order.
    pub fn open_tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.iter().filter(|t| t.status == TaskStatus::Open)
    }

    /// The care plan items still being worked on, including one whose status is disputed
    /// (one clinician says it is active).
    pub fn active_plan(&self) -> impl Iterator<Item = &Problem> {
        self.care_plan.iter().filter(|p| p.status.is_none_or(|s| s == PlanStatus::Active))
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

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CarerNote {
    pub id: String,
    pub text: String,
    pub source: EntrySource,
    pub written_by: ClinicianRef,
    pub written_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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

impl From<&document::Demographics> for Demographics {
    fn from(d: &document::Demographics) -> Self {
        Self {
            nhs_number: d.nhs_number.clone(),
            name: d.name.clone(),
            preferred_name: d.preferred_name.clone(),
            date_of_birth: d.date_of_birth.clone(),
            address: d.address.clone(),
            phone: d.phone.clone(),
            access_notes: d.access_notes.clone(),
            gender: d.gender,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GpPractice {
    pub name: String,
    /// The practice's ODS code, e.g. "Y12345".
    pub ods_code: Option<String>,
    pub phone: Option<String>,
}

impl From<&document::GpPractice> for GpPractice {
    fn from(g: &document::GpPractice) -> Self {
        Self { name: g.name.clone(), ods_code: g.ods_code.clone(), phone: g.phone.clone() }
    }
}

impl From<GpPractice> for document::GpPractice {
    fn from(g: GpPractice) -> Self {
        Self { name: g.name, ods_code: g.ods_code, phone: g.phone }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
    fn new(id: &str, c: &document::Contact) -> Self {
        Self {
            id: id.to_owned(),
            name: c.name.clone(),
            relationship: c.relationship,
            phone: c.phone.clone(),
            next_of_kin: c.next_of_kin,
            main_informal_carer: c.main_informal_carer,
            lasting_power_of_attorney: c.lasting_power_of_attorney.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Alert {
    pub id: String,
    pub kind: AlertKind,
    pub text: String,
    pub added_by: ClinicianRef,
    pub added_at: Timestamp,
    pub active: bool,
}

impl Alert {
    fn new(id: &str, a: &document::Alert) -> Self {
        Self {
            id: id.to_owned(),
            kind: a.kind,
            text: a.text.clone(),
            added_by: a.added_by.clone(),
            added_at: a.added_at,
            active: a.active,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Allergy {
    pub id: String,
    /// The substance, or "DISPUTED: ..." with every value while clinicians disagree.
    pub substance: String,
    /// The reaction, or "DISPUTED: ..." with every value while clinicians disagree.
    pub reaction: Option<String>,
    /// `None` while disputed.
    pub severity: Option<AllergySeverity>,
    /// As the banner shows it, any disputed part written as disputed.
    pub line: String,
    /// Substance, reaction or severity that clinicians disagree about.
    pub disputed: Vec<Disputed>,
    pub recorded_by: ClinicianRef,
    pub recorded_at: Timestamp,
}

impl Allergy {
    fn new(w: &WatchedRecord<'_>, id: &str, a: &document::Allergy) -> Self {
        let watched = w.allergy(id, a);
        Self {
            id: id.to_owned(),
            line: watched.line(),
            disputed: disputed(&[
                Disputed::of(&watched.substance),
                Disputed::of(&watched.reaction),
                Disputed::of(&watched.severity),
            ]),
            substance: watched.substance.describe(|s| (*s).to_owned()),
            reaction: match &watched.reaction {
                Watched::Settled { value } => value.map(str::to_owned),
                disputed => Some(disputed.describe(|_| String::new())),
            },
            severity: settled(&watched.severity),
            recorded_by: a.recorded_by.clone(),
            recorded_at: a.recorded_at,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Consent {
    /// `None` until the patient has been asked (never assumed), or while disputed.
    pub share_with_team: Option<bool>,
    /// `None` until asked, or while disputed.
    pub national_data_opt_out: Option<bool>,
    /// "yes", "NO", "not recorded" or every disputed answer.
    pub sharing_text: String,
    pub opt_out_text: String,
    pub disputed: Vec<Disputed>,
    pub recorded_by: Option<ClinicianRef>,
    pub recorded_at: Option<Timestamp>,
    /// The patient's answer about sharing with each other team, by team name.
    pub with_teams: Vec<TeamConsent>,
}

/// The patient's answer about sharing the record with one other team.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TeamConsent {
    pub team_id: String,
    pub team: String,
    /// `None` while disputed.
    pub agreed: Option<bool>,
    /// "yes", "NO" or every disputed answer.
    pub text: String,
    pub recorded_by: Option<ClinicianRef>,
    pub recorded_at: Option<Timestamp>,
}

impl Consent {
    fn new(w: &WatchedRecord<'_>, c: &document::Consent) -> Self {
        let (share, opt_out) = (w.consent_to_share(), w.national_data_opt_out());
        // A refusal to share and a registered opt-out are what a clinician must notice.
        let answer = |v: &Option<bool>, yes: &str, no: &str| match v {
            Some(true) => yes.to_owned(),
            Some(false) => no.to_owned(),
            None => "not recorded".to_owned(),
        };
        Self {
            share_with_team: settled(&share).flatten(),
            national_data_opt_out: settled(&opt_out).flatten(),
            sharing_text: share.describe(|v| answer(v, "yes", "NO")),
            opt_out_text: opt_out.describe(|v| answer(v, "YES", "no")),
            // Who recorded it is the last writer's, not a decision, while they disagree.
            recorded_by: c.recorded_by.clone().filter(|_| !share.is_disputed() && !opt_out.is_disputed()),
            recorded_at: c.recorded_at.filter(|_| !share.is_disputed() && !opt_out.is_disputed()),
            disputed: disputed(&[Disputed::of(&share), Disputed::of(&opt_out)]),
            with_teams: Self::with_teams(w, c),
        }
    }

    fn with_teams(w: &WatchedRecord<'_>, c: &document::Consent) -> Vec<TeamConsent> {
        let mut out: Vec<TeamConsent> = c
            .share_with_teams
            .iter()
            .map(|(id, t)| {
                let answer = w.consent_to_share_with(id);
                let settled = !answer.is_disputed();
                TeamConsent {
                    team_id: id.clone(),
                    team: t.team.clone(),
                    agreed: answer.settled().copied().flatten(),
                    text: answer.describe(|v| if *v == Some(false) { "NO".into() } else { "yes".into() }),
                    recorded_by: Some(t.recorded_by.clone()).filter(|_| settled),
                    recorded_at: Some(t.recorded_at).filter(|_| settled),
                }
            })
            .collect();
        out.sort_by(|a, b| a.team.cmp(&b.team));
        out
    }
}

/// A problem or need in the care plan, with its goals and interventions.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Problem {
    pub id: String,
    /// The title, or "DISPUTED: ..." with every title while clinicians disagree.
    pub title: String,
    pub detail: Option<String>,
    /// `None` while disputed.
    pub status: Option<PlanStatus>,
    /// `None` while disputed.
    pub owner_role: Option<Role>,
    /// `None` while disputed.
    pub review_date: Option<String>,
    /// "review 2026-11-30 OVERDUE by 1 day(s)", "review 2026-12-01 due today", or "review
    /// DISPUTED: ..." with every date.
    pub review: String,
    /// Past its settled review date while still active.
    pub review_overdue: bool,
    /// Title, status, owner or review date that clinicians disagree about.
    pub disputed: Vec<Disputed>,
    pub goals: Vec<Goal>,
    pub interventions: Vec<Intervention>,
    pub created_by: ClinicianRef,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Goal {
    pub id: String,
    pub text: String,
    pub target_date: Option<String>,
    pub achieved: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Intervention {
    pub id: String,
    pub text: String,
    pub frequency: Option<String>,
    pub owner_role: Role,
    pub status: PlanStatus,
}

impl Problem {
    fn new(w: &WatchedRecord<'_>, id: &str, p: &document::Problem, today: chrono::NaiveDate) -> Self {
        let field = |f: &str| format!("care_plan/{id}/{f}");
        let conflicts = w.conflicts();
        let title = Watched::of(p.title.as_str(), conflicts, &[&field("title")]);
        let status = Watched::of(p.status, conflicts, &[&field("status")]);
        let owner = Watched::of(p.owner_role, conflicts, &[&field("owner_role")]);
        let date = Watched::of(p.review_date.as_deref(), conflicts, &[&field("review_date")]);
        let (review, review_overdue) = match (&date, &status) {
            (Watched::Settled { .. }, Watched::Settled { .. }) => super::plan_review(p, today),
            (Watched::Disputed { .. }, _) => (format!("review {}", date.describe(|_| String::new())), false),
            // Whether it is still active is disputed: the date, never "overdue" by one side.
            (_, Watched::Disputed { .. }) => {
                (p.review_date.as_deref().map_or("no review date".into(), |d| format!("review {d}")), false)
            }
        };
        Self {
            id: id.to_owned(),
            title: title.describe(|t| (*t).to_owned()),
            detail: p.detail.clone(),
            status: settled(&status),
            owner_role: settled(&owner),
            review_date: settled(&date).flatten().map(str::to_owned),
            review,
            review_overdue,
            disputed: disputed(&[
                Disputed::of(&title),
                Disputed::of(&status),
                Disputed::of(&owner),
                Disputed::of(&date),
            ]),
            goals: p
                .goals
                .iter()
                .map(|(id, g)| Goal {
                    id: id.clone(),
                    text: g.text.clone(),
                    target_date: g.target_date.clone(),
                    achieved: g.achieved,
                })
                .collect(),
            interventions: p
                .interventions
                .iter()
                .map(|(id, i)| Intervention {
                    id: id.clone(),
                    text: i.text.clone(),
                    frequency: i.frequency.clone(),
                    owner_role: i.owner_role,
                    status: i.status,
                })
                .collect(),
            created_by: p.created_by.clone(),
            created_at: p.created_at,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Task {
    pub id: String,
    pub title: String,
    pub assignee_role: Role,
    pub due_date: Option<String>,
    pub status: TaskStatus,
    pub source: EntrySource,
    pub created_by: ClinicianRef,
    pub created_at: Timestamp,
}

impl Task {
    fn new(id: &str, t: &document::Task) -> Self {
        Self {
            id: id.to_owned(),
            title: t.title.clone(),
            assignee_role: t.assignee_role,
            due_date: t.due_date.clone(),
            status: t.status,
            source: t.source,
            created_by: t.created_by.clone(),
            created_at: t.created_at,
        }
    }
}

/// NEWS2 SpO2 scale for this patient, set by a clinician.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Spo2ScaleSetting {
    /// Readings are scored on Scale 2: only when settled (Scale 1 while disputed).
    pub scale2: bool,
    pub disputed: Option<Disputed>,
    /// Who set it, when and why; `None` while disputed.
    pub set_by: Option<ClinicianRef>,
    pub set_at: Option<Timestamp>,
    pub reason: Option<String>,
}

impl Spo2ScaleSetting {
    fn new(w: &WatchedRecord<'_>, s: &document::Spo2ScaleSetting) -> Self {
        let scale2 = w.scale2();
        // Who set it and why are one side's while clinicians disagree.
        let settled = !scale2.is_disputed();
        Self {
            scale2: scale2.settled() == Some(&true),
            disputed: Disputed::of(&scale2),
            set_by: s.set_by.clone().filter(|_| settled),
            set_at: s.set_at.filter(|_| settled),
            reason: s.reason.clone().filter(|_| settled),
        }
    }
}
