//! A medicine as shown: its dosage in words, what clinicians disagree about, and whether it
//! changed since this clinician last visited.

use super::disputed;
use crate::documents::patient::{self as document, Route};
use crate::documents::{ClinicianRef, Timestamp};
use crate::view::{Disputed, Watched, WatchedRecord};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Medicine {
    pub id: String,
    pub name: String,
    pub dmd_code: Option<String>,
    /// The dose, or "DISPUTED: ..." with every dose while clinicians disagree.
    pub dose: String,
    pub route: Route,
    /// The frequency, or "DISPUTED: ..." with every frequency while clinicians disagree.
    pub frequency: String,
    pub start_date: Option<String>,
    /// When it was stopped; `None` while taken or while its stopping is disputed.
    pub stop_date: Option<String>,
    /// "stopped 2026-11-20", or "stopping DISPUTED: ..." with every value; `None` while it
    /// is taken.
    pub stopping: Option<String>,
    /// Still being taken: not stopped, or its stopping is disputed (one clinician says it
    /// is current).
    pub current: bool,
    /// A "just in case" medicine for symptom control at the end of life.
    pub anticipatory: bool,
    pub kept_at: Option<String>,
    pub changed_by: ClinicianRef,
    pub changed_at: Timestamp,
    /// Why it last changed, or "DISPUTED: ..." with every reason while clinicians disagree.
    pub change_reason: Option<String>,
    /// Changed by someone else since the reader's last visit (never, if they have not
    /// visited).
    pub changed_since_your_last_visit: bool,
    /// "40 mg oral once daily", any disputed part written as disputed.
    pub dosage: String,
    /// Dose, frequency, route, stopping or reason that clinicians disagree about.
    pub disputed: Vec<Disputed>,
    /// A different dose or frequency in the GP record, for a clinician to review.
    pub gp_proposal: Option<String>,
}

impl Medicine {
    pub(super) fn new(
        w: &WatchedRecord<'_>,
        id: &str,
        m: &document::Medicine,
        reader: &str,
        last_visit: Option<Timestamp>,
    ) -> Self {
        let watched = w.medicine(id, m);
        // A disputed dose or frequency is never handed out as if it were the value.
        let shown = |w: &Watched<&str>| w.describe(|v| (*v).to_owned());
        Self {
            id: id.to_owned(),
            name: m.name.clone(),
            dmd_code: m.dmd_code.clone(),
            dose: shown(&watched.dose),
            route: m.route,
            frequency: shown(&watched.frequency),
            start_date: m.start_date.clone(),
            stop_date: watched.stopped.settled().copied().flatten().map(str::to_owned),
            stopping: match &watched.stopped {
                Watched::Settled { value: None } => None,
                Watched::Settled { value: Some(date) } => Some(format!("stopped {date}")),
                disputed => Some(format!("stopping {}", disputed.describe(|_| String::new()))),
            },
            current: m.stop_date.is_none() || watched.stopped.is_disputed(),
            anticipatory: m.anticipatory,
            kept_at: m.kept_at.clone(),
            changed_by: m.changed_by.clone(),
            changed_at: m.changed_at,
            change_reason: match &watched.reason {
                Watched::Settled { value } => value.map(str::to_owned),
                disputed => Some(disputed.describe(|_| String::new())),
            },
            changed_since_your_last_visit: last_visit
                .is_some_and(|t| m.changed_at > t && m.changed_by.id != reader),
            dosage: watched.dosage(),
            disputed: disputed(&[
                Disputed::of(&watched.dose),
                Disputed::of(&watched.frequency),
                Disputed::of(&watched.route),
                Disputed::of(&watched.stopped),
                Disputed::of(&watched.reason),
            ]),
            gp_proposal: m.gp_proposal.as_ref().map(|p| {
                format!(
                    "the GP record says {} {} (imported {})",
                    p.dose,
                    p.frequency,
                    p.imported_at.display()
                )
            }),
        }
    }
}
