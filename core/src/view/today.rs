//! A clinician's day at a glance, triaged once for every shell: who needs attention and in
//! what order, tasks and reviews due (overdue marked), visits recorded today and visits
//! left unsigned.

use crate::documents::Timestamp;
use crate::ids::PatientId;
use crate::store::{DueTask, PatientSummary};
use crate::workspace::OpenVisit;
use serde::Serialize;

/// Today for one clinician on one device, as of `date` in local time.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Today {
    /// Local calendar day this was triaged for.
    pub date: chrono::NaiveDate,
    /// The whole caseload, in the index's order.
    pub caseload: Vec<PatientSummary>,
    /// Open conflicts and raised NEWS2 scores, worst first: disagreements, then the highest
    /// score (an incomplete one counts by what it already scores).
    pub needs_attention: Vec<PatientSummary>,
    /// Open tasks due on or before `date`, earliest first.
    pub tasks_due: Vec<TaskDueToday>,
    /// Care plan and ReSPECT reviews due or overdue, most overdue first.
    pub reviews_due: Vec<ReviewDueToday>,
    /// Patients with a visit recorded today, latest first.
    pub visited_today: Vec<PatientSummary>,
    /// This clinician's visits not yet signed: a note nobody can rely on yet.
    pub unsigned_visits: Vec<OpenVisit>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TaskDueToday {
    pub task: DueTask,
    pub patient_name: String,
    /// Its due date is before today.
    pub overdue: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReviewDueToday {
    pub patient: PatientId,
    pub patient_name: String,
    /// "Care plan: Venous leg ulcer" or "ReSPECT plan".
    pub what: String,
    /// YYYY-MM-DD.
    pub due: String,
    /// 0 when due today.
    pub days_overdue: i64,
}

impl ReviewDueToday {
    /// "2026-11-20 OVERDUE by 5 day(s)" or "2026-11-25 due today".
    pub fn when(&self) -> String {
        match self.days_overdue {
            0 => format!("{} due today", self.due),
            d => format!("{} OVERDUE by {d} day(s)", self.due),
        }
    }
}

impl TaskDueToday {
    /// "2026-11-20 OVERDUE" or the due date.
    pub fn when(&self) -> String {
        if self.overdue { format!("{} OVERDUE", self.task.due_date) } else { self.task.due_date.clone() }
    }
}

/// Whether `t` falls on `date` in local time.
pub fn on_local_day(t: Timestamp, date: chrono::NaiveDate) -> bool {
    t.to_datetime().with_timezone(&chrono::Local).date_naive() == date
}

/// Triage for `date`.
pub fn today(
    date: chrono::NaiveDate,
    caseload: Vec<PatientSummary>,
    due: Vec<DueTask>,
    unsigned_visits: Vec<OpenVisit>,
) -> Today {
    let name_of =
        |id: &PatientId| caseload.iter().find(|p| &p.id == id).map(|p| p.name.clone()).unwrap_or_default();
    let mut needs_attention: Vec<PatientSummary> =
        caseload.iter().filter(|p| p.needs_attention()).cloned().collect();
    needs_attention.sort_by(|a, b| a.attention_rank().cmp(&b.attention_rank()));
    let mut visited_today: Vec<PatientSummary> =
        caseload.iter().filter(|p| p.last_visit.is_some_and(|t| on_local_day(t, date))).cloned().collect();
    visited_today.sort_by_key(|p| std::cmp::Reverse(p.last_visit));
    let mut reviews_due: Vec<ReviewDueToday> = caseload
        .iter()
        .flat_map(|p| {
            p.reviews.iter().filter_map(move |r| {
                Some(ReviewDueToday {
                    patient: p.id,
                    patient_name: p.name.clone(),
                    what: r.what.clone(),
                    due: r.due.clone(),
                    days_overdue: r.overdue_days(date)?,
                })
            })
        })
        .collect();
    reviews_due.sort_by_key(|r| std::cmp::Reverse(r.days_overdue));
    let tasks_due = due
        .into_iter()
        .map(|task| TaskDueToday {
            patient_name: name_of(&task.patient_id),
            overdue: task.overdue_on(date),
            task,
        })
        .collect();
    Today { date, caseload, needs_attention, tasks_due, reviews_due, visited_today, unsigned_visits }
}
