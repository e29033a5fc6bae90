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
    /// `None` while disputed (the dosage says so).
    pub route: Option<Route>,
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
            route: watched.route.settled().copied(),
            frequency: shown(&watched.frequency),
            start_date: m.start_date.clone(),
            stop_date: watched.stopped.settled().copied().flatten().map(str::to_owned),
            stopping: match &watched.stopped {
                Watched::Settled { value: None } => None,
                Watched::Settled { value: Some(date) } => Some(format!("stopped {date}")),
                disputed => Some(format!("stopping {}", disputed.describe(|_| String::new()))),
            },
            current: watched.is_current(),
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

#[cfg(test)]
mod tests {
    use crate::conflicts::{Conflict, ConflictValue};
    use crate::documents::patient::{Demographics, Medicine as Stored, PatientRecord, Route, VisitRef};
    use crate::documents::{ClinicianRef, Role, Timestamp};
    use crate::view::{PatientRecord as Shown, Reader, WatchedRecord};

    fn clinician(id: char, name: &str) -> ClinicianRef {
        ClinicianRef { id: id.to_string().repeat(32), name: name.into(), role: Role::Gp, registration: None }
    }

    fn record_with_furosemide(stop_date: Option<&str>, changed_at: i64) -> PatientRecord {
        let demographics = Demographics {
            nhs_number: "9434765919".into(),
            name: "Winifred Ashdown".into(),
            preferred_name: None,
            date_of_birth: "1939-05-17".into(),
            address: None,
            phone: None,
            access_notes: None,
            gender: None,
        };
        let mut r =
            PatientRecord::new("ab".repeat(16), demographics, clinician('a', "Ada Quill"), Timestamp(0));
        r.medicines.insert(
            "m1".into(),
            Stored {
                name: "Furosemide 40 mg tablets".into(),
                dmd_code: None,
                dose: "40 mg".into(),
                route: Route::Oral,
                frequency: "once daily".into(),
                start_date: None,
                stop_date: stop_date.map(str::to_owned),
                anticipatory: false,
                kept_at: None,
                changed_by: clinician('b', "Dr Priya Kellaway"),
                changed_at: Timestamp(changed_at),
                change_reason: None,
                gp_proposal: None,
            },
        );
        r.visits.insert(
            "v1".into(),
            VisitRef { started_at: Timestamp(1_000), clinician: clinician('a', "Ada Quill") },
        );
        r
    }

    fn side(value: &str, by: &str) -> ConflictValue {
        ConflictValue {
            value: value.into(),
            by: Some(clinician('c', by)),
            device: None,
            at: Some(Timestamp(2_000)),
            actor: None,
            verified: true,
            claimed_by: None,
        }
    }

    fn read(r: &PatientRecord, conflicts: &[Conflict], reader: char) -> Shown {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let id = reader.to_string().repeat(32);
        Shown::read(&WatchedRecord::new(r, conflicts), Reader { clinician_id: &id, today }).unwrap()
    }

    #[test]
    fn a_disputed_stopping_is_no_stop_date_the_medicine_stays_current_and_every_value_is_named() {
        let r = record_with_furosemide(Some("2026-11-30"), 500);
        let conflicts = [Conflict {
            field: "medicines/m1/stop_date".into(),
            label: "Furosemide 40 mg tablets: stopped".into(),
            values: vec![side("2026-11-30", "Dr Priya Kellaway"), side("not stopped", "Ada Quill")],
        }];
        let m = &read(&r, &conflicts, 'a').medicines[0];
        assert_eq!(m.stop_date, None, "neither is the decision");
        assert!(m.current, "one clinician says it is still taken");
        let stopping = m.stopping.as_deref().unwrap();
        assert!(
            stopping.starts_with("stopping DISPUTED: ") && stopping.contains("not stopped"),
            "{stopping}"
        );
        assert_eq!(m.disputed.len(), 1);

        let settled = &read(&r, &[], 'a').medicines[0];
        assert_eq!((settled.stop_date.as_deref(), settled.current), (Some("2026-11-30"), false));
        assert_eq!(settled.stopping.as_deref(), Some("stopped 2026-11-30"));
    }

    #[test]
    fn changed_since_your_last_visit_is_a_change_by_someone_else_after_it() {
        let after = record_with_furosemide(None, 5_000);
        assert!(read(&after, &[], 'a').medicines[0].changed_since_your_last_visit);
        let before = record_with_furosemide(None, 500);
        assert!(!read(&before, &[], 'a').medicines[0].changed_since_your_last_visit);
        // The GP made the change and never visited: nothing is "since" for her.
        assert!(!read(&after, &[], 'b').medicines[0].changed_since_your_last_visit);
    }

    #[test]
    fn a_disputed_allergy_severity_or_care_plan_status_has_no_value_and_every_one_is_named() {
        use crate::documents::patient::{Allergy, AllergySeverity, PlanStatus, Problem};
        let mut r = record_with_furosemide(None, 500);
        r.allergies.insert(
            "a1".into(),
            Allergy {
                substance: "Penicillin".into(),
                reaction: Some("rash".into()),
                severity: AllergySeverity::Mild,
                recorded_by: clinician('a', "Ada Quill"),
                recorded_at: Timestamp(0),
            },
        );
        r.care_plan.insert(
            "p1".into(),
            Problem {
                title: "Leg ulcer, left".into(),
                detail: None,
                status: PlanStatus::Resolved,
                owner_role: Role::DistrictNurse,
                review_date: Some("2026-11-20".into()),
                goals: Default::default(),
                interventions: Default::default(),
                created_by: clinician('a', "Ada Quill"),
                created_at: Timestamp(0),
            },
        );
        let conflicts = [
            Conflict {
                field: "allergies/a1/severity".into(),
                label: "Allergy Penicillin: severity".into(),
                values: vec![side("mild", "Ada Quill"), side("severe", "Dr Priya Kellaway")],
            },
            Conflict {
                field: "care_plan/p1/status".into(),
                label: "Care plan 'Leg ulcer, left': status".into(),
                values: vec![side("resolved", "Ada Quill"), side("active", "Dr Priya Kellaway")],
            },
        ];
        let shown = read(&r, &conflicts, 'a');
        let allergy = &shown.allergies[0];
        assert_eq!(allergy.severity, None, "neither severity is the decision");
        assert!(allergy.line.contains("DISPUTED") && allergy.line.contains("severe"), "{}", allergy.line);
        let plan = &shown.care_plan[0];
        assert_eq!(plan.status, None);
        assert_eq!(plan.disputed.len(), 1);
        assert!(!plan.review_overdue, "not overdue by one side's status");
        assert_eq!(shown.active_plan().count(), 1, "one clinician says it is active");
        let settled = read(&r, &[], 'a');
        assert_eq!(settled.allergies[0].severity, Some(AllergySeverity::Mild));
        assert_eq!(settled.active_plan().count(), 0, "resolved");
    }
}
