//! What every shell shows, decided once: watched fields as settled or disputed, the scale
//! NEWS2 is scored on, the ReSPECT reminder beside urgent escalation advice, the visit
//! essentials and saved observations in words.

mod essentials;
mod observations;
mod record;
mod referral;
pub(crate) mod today;
mod watched;

pub use essentials::{Essential, visit_essentials};
// Rows of the query tables as shells show them: the caseload, visits, tasks and reviews due,
// the audit log. Their stored form is private to the store.
pub use crate::store::{
    AuditAction, AuditCheck, AuditEntry, DueTask, LatestNews2, PatientSummary, ReviewDue, VisitSummary,
};
pub use observations::observation_values;
pub use referral::{Referral, ReferralMade, ReferralStatus, ReferralSummary};
pub use today::{ReviewDueToday, TaskDueToday, Today, on_local_day};

pub use record::{
    Alert, Allergy, CarerNote, Consent, Contact, CprDecision, Demographics, EndOfLife, Goal, GpPractice,
    Intervention, Medicine, PatientRecord, Problem, Reader, Spo2ScaleSetting, Task,
};
// The record's closed vocabularies and plain values, as shells name them: each vocabulary is
// a stored token with `label()` in clinicians' words, so the view uses it as it is.
pub use crate::documents::patient::{
    AlertKind, AllergySeverity, CareFocus, ContactRelationship, CprRecommendation, EntrySource, Gender,
    Involvement, Place, PlanStatus, Route, TaskStatus,
};
pub use crate::documents::visit::{
    Action as VisitAction, Addendum, Cancellation, Exudate, Signature, WoundAssessment,
};
pub use crate::documents::{ClinicianRef, Role, Timestamp, Vocabulary};
pub use watched::{
    Disputed, Watched, WatchedAllergy, WatchedMedicine, WatchedRecord, alternative_text, alternatives_text,
    cpr_banner,
};

use crate::clinical::{News2Score, Response, Spo2Scale};
use crate::conflicts::Conflict;
use crate::documents::PatientRecord as PatientDocument;

/// A date a clinician typed, written YYYY-MM-DD as the record keeps dates; `what` names it in
/// the error ("the due date '25/11/2026' is not a date written YYYY-MM-DD, e.g. 2026-11-25").
/// The one parser every shell uses for typed dates.
pub fn parse_date(text: &str, what: &str) -> crate::Result<chrono::NaiveDate> {
    let text = text.trim();
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        crate::Error::Input(format!("{what} '{text}' is not a date written YYYY-MM-DD, e.g. 2026-11-25"))
    })
}

/// A moment a clinician typed: "2026-11-22 14:05[:30]" in local time, or RFC 3339.
pub fn parse_moment(text: &str) -> crate::Result<crate::documents::Timestamp> {
    use chrono::TimeZone;
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(crate::documents::Timestamp(t.timestamp_millis()));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, format)
            && let Some(local) = chrono::Local.from_local_datetime(&naive).earliest()
        {
            return Ok(crate::documents::Timestamp(local.timestamp_millis()));
        }
    }
    Err(crate::Error::Input(format!(
        "'{text}' is not a moment; write it as YYYY-MM-DD HH:MM (local time), e.g. 2026-11-22 14:05"
    )))
}

/// A care plan item's review as a screen shows it, and whether it is late: "review
/// 2026-11-30 OVERDUE by 1 day(s)", "review 2026-12-01 due today", "review 2026-12-20", or
/// "no review date". Only an active item can be late.
pub fn plan_review(problem: &crate::documents::patient::Problem, today: chrono::NaiveDate) -> (String, bool) {
    let Some(date) = problem.review_date.as_deref() else { return ("no review date".into(), false) };
    let review = crate::store::ReviewDue { what: String::new(), due: date.to_owned() };
    let active = problem.status == crate::documents::patient::PlanStatus::Active;
    match review.overdue_days(today).filter(|_| active) {
        Some(0) => (format!("review {date} due today"), false),
        Some(days) => (format!("review {date} OVERDUE by {days} day(s)"), true),
        None => (format!("review {date}"), false),
    }
}

/// The scale a new reading is scored on. Scale 2 is for confirmed hypercapnic respiratory
/// failure; while clinicians disagree about it, it is not confirmed, so Scale 1 (the RCP
/// default) applies until one of them resolves the conflict.
pub fn scoring_scale(record: &PatientDocument, conflicts: &[Conflict]) -> Spo2Scale {
    match WatchedRecord::new(record, conflicts).scale2().settled() {
        Some(true) => Spo2Scale::Scale2,
        _ => Spo2Scale::Scale1,
    }
}

/// Beside urgent or emergency advice: the patient's ReSPECT plan, which escalation follows,
/// or, while any of it is disputed, every recommendation and what to do about that.
pub fn respect_reminder(record: &WatchedRecord<'_>, score: &News2Score) -> Option<String> {
    if !matches!(
        score.response,
        Response::EmergencyResponse | Response::UrgentReview | Response::UrgentClinicianReview
    ) {
        return None;
    }
    let cpr = record.cpr_recommendation();
    let ceiling = record.ceiling_of_treatment();
    let mut parts = Vec::new();
    match &cpr {
        Watched::Settled { value: Some(c) } => parts.push(format!("CPR: {}", c.label())),
        Watched::Settled { value: None } => {}
        Watched::Disputed { values, .. } => parts.push(format!("CPR: {}", alternatives_text(values))),
    }
    match &ceiling {
        Watched::Settled { value: Some(c) } => parts.push(format!("ceiling of treatment: {c}")),
        Watched::Settled { value: None } => {}
        Watched::Disputed { values, .. } => {
            parts.push(format!("ceiling of treatment: {}", alternatives_text(values)))
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(if cpr.is_disputed() || ceiling.is_disputed() {
        format!(
            "This patient's ReSPECT plan is DISPUTED ({}). Clinicians disagree and neither is the decision: follow local policy for a disputed decision, escalate now, and have a clinician resolve the conflict on the record.",
            parts.join("; ")
        )
    } else {
        format!("This patient has a ReSPECT plan ({}). Escalate in line with it.", parts.join("; "))
    })
}
