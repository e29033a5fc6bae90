use super::{ClinicianRef, Disputed, list, time};
use crate::{CprRecommendation, RiskBand, Role};
use hedgerow_core::{store, view};
use std::time::SystemTime;

/// The latest NEWS2 on a record, as the caseload shows it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct LatestNews2 {
    pub total: u8,
    /// When true, `total` is a lower bound: observations were missing. Show `label`, in a
    /// neutral colour, never the band.
    pub partial: bool,
    pub band: RiskBand,
    /// "NEWS2 6, medium risk" or "NEWS2 at least 3, incomplete".
    pub label: String,
    pub recorded_at: SystemTime,
}

impl From<store::LatestNews2> for LatestNews2 {
    fn from(n: store::LatestNews2) -> Self {
        Self {
            label: n.label(),
            total: n.total,
            partial: n.partial,
            band: n.band.into(),
            recorded_at: time(n.recorded_at),
        }
    }
}

/// One row of the caseload: what the banner and the list need.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PatientSummary {
    pub id: String,
    /// Ten digits, no spaces.
    pub nhs_number: String,
    pub name: String,
    pub date_of_birth: String,
    pub address: Option<String>,
    pub alerts: Vec<String>,
    /// Each as the banner shows it; a disputed part is written as disputed.
    pub allergies: Vec<String>,
    /// The CPR decision when settled; `None` when none is recorded or while disputed.
    pub cpr: Option<CprRecommendation>,
    /// Every recommendation, with who and when, while clinicians disagree.
    pub cpr_disputed: Option<Disputed>,
    /// The line to show: "CPR: do not attempt CPR (DNACPR)", "CPR: no decision recorded",
    /// or "CPR: DISPUTED — see conflicts".
    pub cpr_banner: String,
    pub end_of_life: bool,
    pub latest_news2: Option<LatestNews2>,
    pub last_visit: Option<SystemTime>,
    pub open_tasks: u64,
    /// Readings are scored on Scale 2: only when settled.
    pub scale2: bool,
    pub scale2_disputed: bool,
    pub open_conflicts: u64,
    /// What each open conflict is about.
    pub conflicts_about: Vec<String>,
}

impl From<store::PatientSummary> for PatientSummary {
    fn from(p: store::PatientSummary) -> Self {
        let cpr_banner = p.cpr_banner();
        Self {
            id: p.id.to_hex(),
            nhs_number: p.nhs_number,
            name: p.name,
            date_of_birth: p.date_of_birth,
            address: p.address,
            alerts: p.alerts,
            allergies: p.allergies,
            cpr_banner,
            cpr: p.cpr.settled().copied().flatten().map(Into::into),
            cpr_disputed: Disputed::of(&p.cpr),
            end_of_life: p.end_of_life,
            latest_news2: p.latest_news2.map(Into::into),
            last_visit: p.last_visit.map(time),
            open_tasks: p.open_tasks as u64,
            scale2: p.scale2.settled() == Some(&true),
            scale2_disputed: p.scale2.is_disputed(),
            open_conflicts: p.open_conflicts as u64,
            conflicts_about: p.conflicts_about,
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct VisitSummary {
    pub id: String,
    pub patient_id: String,
    pub started_at: SystemTime,
    pub clinician: ClinicianRef,
    pub signed: bool,
    pub news2: Option<LatestNews2>,
    pub note_preview: String,
}

impl From<store::VisitSummary> for VisitSummary {
    fn from(v: store::VisitSummary) -> Self {
        Self {
            id: v.id.to_hex(),
            patient_id: v.patient_id.to_hex(),
            started_at: time(v.started_at),
            clinician: v.clinician.into(),
            signed: v.signed,
            news2: v.news2.map(Into::into),
            note_preview: v.note_preview,
        }
    }
}

/// An open task with a due date.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct DueTask {
    pub patient_id: String,
    pub task_id: String,
    pub title: String,
    pub due_date: String,
    pub assignee_role: Role,
}

impl From<store::DueTask> for DueTask {
    fn from(t: store::DueTask) -> Self {
        Self {
            patient_id: t.patient_id.to_hex(),
            task_id: t.task_id,
            title: t.title,
            due_date: t.due_date,
            assignee_role: t.assignee_role.into(),
        }
    }
}

/// A care home on the caseload with its residents in round order (by room, then name).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CareHome {
    pub name: String,
    pub residents: Vec<PatientSummary>,
}

impl From<hedgerow_core::workspace::CareHome> for CareHome {
    fn from(h: hedgerow_core::workspace::CareHome) -> Self {
        Self { name: h.name, residents: h.residents.into_iter().map(Into::into).collect() }
    }
}

/// The day at a glance, triaged by the core: the same lists, in the same order, as the
/// desktop app's Today.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Today {
    /// YYYY-MM-DD, local.
    pub date: String,
    pub caseload: Vec<PatientSummary>,
    /// Open conflicts and raised NEWS2 scores, worst first.
    pub needs_attention: Vec<PatientSummary>,
    pub tasks_due: Vec<TaskDueToday>,
    /// Care plan and ReSPECT reviews due or overdue, most overdue first.
    pub reviews_due: Vec<ReviewDueToday>,
    /// Visited today, latest first.
    pub visited_today: Vec<PatientSummary>,
    /// This clinician's visits not yet signed or cancelled.
    pub unsigned_visits: Vec<UnsignedVisit>,
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct TaskDueToday {
    pub task: DueTask,
    pub patient_name: String,
    pub overdue: bool,
    /// "2026-11-20 OVERDUE" or the due date.
    pub when: String,
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct ReviewDueToday {
    pub patient_id: String,
    pub patient_name: String,
    pub what: String,
    pub due: String,
    /// 0 when due today.
    pub days_overdue: i64,
    /// "2026-11-20 OVERDUE by 5 day(s)" or "2026-11-25 due today".
    pub when: String,
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct UnsignedVisit {
    pub visit_id: String,
    pub patient_id: String,
    pub started_at: SystemTime,
    /// Something is typed into it and not saved.
    pub unsaved: bool,
}

impl From<view::Today> for Today {
    fn from(t: view::Today) -> Self {
        Self {
            date: t.date.format("%Y-%m-%d").to_string(),
            caseload: list(t.caseload),
            needs_attention: list(t.needs_attention),
            tasks_due: t
                .tasks_due
                .into_iter()
                .map(|d| TaskDueToday {
                    when: d.when(),
                    task: d.task.into(),
                    patient_name: d.patient_name,
                    overdue: d.overdue,
                })
                .collect(),
            reviews_due: t
                .reviews_due
                .into_iter()
                .map(|r| ReviewDueToday {
                    when: r.when(),
                    patient_id: r.patient.to_hex(),
                    patient_name: r.patient_name,
                    what: r.what,
                    due: r.due,
                    days_overdue: r.days_overdue,
                })
                .collect(),
            visited_today: list(t.visited_today),
            unsigned_visits: t
                .unsigned_visits
                .into_iter()
                .map(|v| UnsignedVisit {
                    visit_id: v.visit.to_hex(),
                    patient_id: v.patient.to_hex(),
                    started_at: time(v.started_at),
                    unsaved: v.unsaved,
                })
                .collect(),
        }
    }
}
