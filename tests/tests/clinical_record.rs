//! The clinical record across devices: concurrent disagreement surfaced as conflicts,
//! resolved by a clinician; history of a dose; addenda to signed notes; break-glass.

use hedgerow_core::conflicts::Conflict;
use hedgerow_core::documents::Role;
use hedgerow_core::documents::patient::{CprRecommendation, PlanStatus, Route};
use hedgerow_core::ids::PatientId;
use hedgerow_core::store::AuditAction;
use hedgerow_core::workspace::{MedicineChange, NewMedicine, NewProblem, ProblemUpdate};
use hedgerow_core::{Error, NewClinician, NewPatient, Workspace};
use hedgerow_tests::PASSPHRASE;
use tempfile::TempDir;

async fn device(name: &str, role: Role) -> (TempDir, Workspace) {
    let tmp = tempfile::tempdir().unwrap();
    let ws = Workspace::create(
        tmp.path(),
        PASSPHRASE,
        NewClinician { name: name.into(), role, registration: None },
        None,
    )
    .await
    .unwrap();
    (tmp, ws)
}

struct Shared {
    patient: PatientId,
    problem: String,
    medicine: String,
}

/// The nurse's device creates the record with a plan item, a medicine and a CPR decision.
async fn shared_record(nurse: &Workspace) -> Shared {
    let patient = nurse
        .add_patient(NewPatient {
            nhs_number: "9434765919".parse().unwrap(),
            name: "Winifred Ashdown".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1939, 5, 17).unwrap(),
            address: None,
        })
        .await
        .unwrap()
        .id;
    let problem = nurse
        .add_problem(
            patient,
            NewProblem { title: "Venous leg ulcer, left gaiter".into(), ..Default::default() },
        )
        .await
        .unwrap();
    let medicine = nurse
        .add_medicine(
            patient,
            NewMedicine {
                name: "Furosemide 40 mg tablets".into(),
                dmd_code: None,
                dose: "40 mg".into(),
                route: Route::Oral,
                frequency: "once daily".into(),
                anticipatory: false,
                kept_at: None,
                reason: Some("started by GP".into()),
            },
        )
        .await
        .unwrap();
    nurse.set_cpr(patient, CprRecommendation::AttemptCpr, None, "clinical judgement").await.unwrap();
    Shared { patient, problem, medicine }
}

fn fields(conflicts: &[Conflict]) -> Vec<String> {
    let mut f: Vec<String> = conflicts.iter().map(|c| c.field.clone()).collect();
    f.sort();
    f
}

#[tokio::test]
async fn concurrent_disagreements_are_conflicts_the_same_everywhere_until_a_clinician_resolves_them() {
    let (_a_dir, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let (_b_dir, gp) = device("Dr Priya Kellaway", Role::Gp).await;
    let s = shared_record(&nurse).await;
    let first = nurse.export_patient_document(s.patient).await.unwrap();
    gp.merge_document(&first, true, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();

    // Offline, at the same time, they disagree.
    nurse
        .update_problem(
            s.patient,
            &s.problem,
            ProblemUpdate { status: Some(PlanStatus::Resolved), ..Default::default() },
        )
        .await
        .unwrap();
    nurse
        .change_medicine(
            s.patient,
            &s.medicine,
            MedicineChange { dose: Some("80 mg".into()), reason: "more oedema".into(), ..Default::default() },
        )
        .await
        .unwrap();
    nurse
        .set_cpr(
            s.patient,
            CprRecommendation::DoNotAttemptCpr,
            Some("patient and daughter".into()),
            "clinical judgement",
        )
        .await
        .unwrap();
    gp.update_problem(
        s.patient,
        &s.problem,
        ProblemUpdate { status: Some(PlanStatus::Closed), ..Default::default() },
    )
    .await
    .unwrap();
    gp.change_medicine(
        s.patient,
        &s.medicine,
        MedicineChange { dose: Some("20 mg".into()), reason: "low BP".into(), ..Default::default() },
    )
    .await
    .unwrap();
    // The GP re-confirms the old decision: still a disagreement with the nurse's new one.
    gp.set_cpr(s.patient, CprRecommendation::AttemptCpr, Some("patient".into()), "clinical judgement")
        .await
        .unwrap();

    let from_nurse = nurse.export_patient_document(s.patient).await.unwrap();
    let from_gp = gp.export_patient_document(s.patient).await.unwrap();

    // Third and fourth devices merge the two in opposite orders.
    let (_c_dir, c) = device("Owen Pritchard", Role::HospiceNurse).await;
    let (_d_dir, d) = device("Nell Avery", Role::Paramedic).await;
    c.merge_document(&from_nurse, true, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();
    c.merge_document(&from_gp, true, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();
    d.merge_document(&from_gp, true, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();
    d.merge_document(&from_nurse, true, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();
    nurse.merge_document(&from_gp, false, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();
    gp.merge_document(&from_nurse, false, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();

    let expected = vec![
        format!("care_plan/{}/status", s.problem),
        "end_of_life/cpr".to_owned(),
        format!("medicines/{}/change_reason", s.medicine),
        format!("medicines/{}/dose", s.medicine),
    ];
    let reference = nurse.conflicts(s.patient).await.unwrap();
    assert_eq!(fields(&reference), expected, "{reference:#?}");
    let record = nurse.open_patient(s.patient).await.unwrap().record;
    for ws in [&gp, &c, &d] {
        assert_eq!(
            ws.conflicts(s.patient).await.unwrap(),
            reference,
            "every device shows the same conflicts"
        );
        assert_eq!(ws.open_patient(s.patient).await.unwrap().record, record, "and the same values");
    }
    // Both values, with authors and times.
    let cpr = reference.iter().find(|c| c.field == "end_of_life/cpr").unwrap();
    let mut values: Vec<&str> = cpr.values.iter().map(|v| v.value.as_str()).collect();
    values.sort();
    assert_eq!(values, ["attempt CPR", "do not attempt CPR (DNACPR)"], "in clinicians' words");
    let mut authors: Vec<&str> = cpr.values.iter().map(|v| v.by.as_ref().unwrap().name.as_str()).collect();
    authors.sort();
    assert_eq!(authors, ["Ada Quill", "Dr Priya Kellaway"]);
    assert!(cpr.values.iter().all(|v| v.at.is_some()));
    let dose = reference.iter().find(|c| c.field.ends_with("/dose")).unwrap();
    let mut doses: Vec<&str> = dose.values.iter().map(|v| v.value.as_str()).collect();
    doses.sort();
    assert_eq!(doses, ["20 mg", "80 mg"]);
    // An unrelated edit (an allergy, another field of the conflicted medicine) decides nothing.
    let (_e_dir, e) = device("Mo Hartley", Role::CommunityNurse).await;
    e.merge_document(&from_nurse, true, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();
    e.merge_document(&from_gp, true, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();
    e.add_allergy(
        s.patient,
        "Penicillin",
        Some("rash".into()),
        hedgerow_core::documents::patient::AllergySeverity::Moderate,
    )
    .await
    .unwrap();
    e.change_medicine(
        s.patient,
        &s.medicine,
        MedicineChange {
            frequency: Some("once daily, morning".into()),
            reason: "timing".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // A new reason, written with the new frequency, is a decision on the reason; nothing
    // else is decided by it.
    let still: Vec<String> = expected.iter().filter(|f| !f.ends_with("/change_reason")).cloned().collect();
    assert_eq!(
        fields(&e.conflicts(s.patient).await.unwrap()),
        still,
        "an unrelated edit must not resolve conflicts"
    );
    // The record stays flagged on the caseload.
    let row = c.caseload().await.unwrap().into_iter().find(|p| p.id == s.patient).unwrap();
    assert_eq!(row.open_conflicts, 4);

    // The GP resolves all three on their device.
    for conflict in &reference {
        let want = if conflict.field == "end_of_life/cpr" {
            "do not attempt CPR (DNACPR)"
        } else if conflict.field.ends_with("/dose") {
            "20 mg"
        } else if conflict.field.ends_with("/change_reason") {
            "low BP"
        } else {
            "closed"
        };
        let choice = conflict.values.iter().position(|v| v.value == want).unwrap() + 1;
        gp.resolve_conflict(s.patient, &conflict.field, choice, "discussed with the patient and the team")
            .await
            .unwrap();
    }
    assert!(gp.conflicts(s.patient).await.unwrap().is_empty());
    let resolved = gp.open_patient(s.patient).await.unwrap().document;
    assert_eq!(resolved.end_of_life.cpr.as_ref().unwrap().recommendation, CprRecommendation::DoNotAttemptCpr);
    assert_eq!(resolved.medicines[&s.medicine].dose, "20 mg");
    assert_eq!(resolved.care_plan[&s.problem].status, PlanStatus::Closed);

    // After the next sync the others see it resolved, with the same values.
    let after = gp.export_patient_document(s.patient).await.unwrap();
    for ws in [&nurse, &c, &d] {
        ws.merge_document(&after, false, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();
        assert!(ws.conflicts(s.patient).await.unwrap().is_empty());
        assert_eq!(ws.open_patient(s.patient).await.unwrap().document, resolved);
        let row = ws.caseload().await.unwrap().into_iter().find(|p| p.id == s.patient).unwrap();
        assert_eq!(row.open_conflicts, 0);
    }

    // Resolving what is not in conflict, or choosing a value that is not there, is refused.
    let err = gp.resolve_conflict(s.patient, "end_of_life/cpr", 1, "checked").await.unwrap_err();
    assert!(err.to_string().contains("no open conflict"), "{err}");
}

#[tokio::test]
async fn the_same_value_written_twice_at_once_is_not_a_conflict() {
    let (_a, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let (_b, gp) = device("Dr Priya Kellaway", Role::Gp).await;
    let s = shared_record(&nurse).await;
    gp.merge_document(
        &nurse.export_patient_document(s.patient).await.unwrap(),
        true,
        Some(hedgerow_tests::TWO_TEAMS),
    )
    .await
    .unwrap();
    for ws in [&nurse, &gp] {
        ws.change_medicine(
            s.patient,
            &s.medicine,
            MedicineChange { dose: Some("60 mg".into()), reason: "agreed".into(), ..Default::default() },
        )
        .await
        .unwrap();
        ws.set_cpr(s.patient, CprRecommendation::DoNotAttemptCpr, None, "clinical judgement").await.unwrap();
    }
    nurse
        .merge_document(
            &gp.export_patient_document(s.patient).await.unwrap(),
            false,
            Some(hedgerow_tests::TWO_TEAMS),
        )
        .await
        .unwrap();
    assert!(nurse.conflicts(s.patient).await.unwrap().is_empty());
}

#[tokio::test]
async fn history_shows_who_changed_a_dose_and_when() {
    let (_a, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let (_b, gp) = device("Dr Priya Kellaway", Role::Gp).await;
    let s = shared_record(&nurse).await;
    gp.merge_document(
        &nurse.export_patient_document(s.patient).await.unwrap(),
        true,
        Some(hedgerow_tests::TWO_TEAMS),
    )
    .await
    .unwrap();
    gp.change_medicine(
        s.patient,
        &s.medicine,
        MedicineChange { dose: Some("80 mg".into()), reason: "oedema".into(), ..Default::default() },
    )
    .await
    .unwrap();
    nurse
        .merge_document(
            &gp.export_patient_document(s.patient).await.unwrap(),
            false,
            Some(hedgerow_tests::TWO_TEAMS),
        )
        .await
        .unwrap();
    nurse
        .change_medicine(
            s.patient,
            &s.medicine,
            MedicineChange { dose: Some("60 mg".into()), reason: "GP phoned".into(), ..Default::default() },
        )
        .await
        .unwrap();
    let history = nurse.field_history(s.patient, &format!("medicines/{}/dose", s.medicine)).await.unwrap();
    let seen: Vec<(&str, &str)> =
        history.iter().map(|h| (h.value.as_str(), h.by.as_ref().unwrap().name.as_str())).collect();
    assert_eq!(seen, [("40 mg", "Ada Quill"), ("80 mg", "Dr Priya Kellaway"), ("60 mg", "Ada Quill")]);
    assert_eq!(history[1].action.as_deref(), Some("change medicine"));
    let now = chrono::Utc::now().timestamp_millis();
    assert!(history.iter().all(|h| (now - h.at.0).abs() < 120_000), "times are when the changes were made");
    let cpr = nurse.field_history(s.patient, "end_of_life/cpr/recommendation").await.unwrap();
    assert_eq!(cpr.len(), 1);
    assert_eq!(cpr[0].value, "attempt-cpr");
}

#[tokio::test]
async fn a_signed_note_cannot_change_but_takes_attributed_addenda() {
    let (_a, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let s = shared_record(&nurse).await;
    let visit = nurse.start_visit(s.patient).await.unwrap();
    nurse.add_note(visit, "Dressing changed.").await.unwrap();
    let err = nurse.add_addendum(visit, "too early").await.unwrap_err();
    assert!(err.to_string().contains("not signed yet"), "{err}");
    nurse.sign_visit(visit).await.unwrap();
    assert!(matches!(nurse.add_note(visit, "changed").await, Err(Error::VisitSigned(_))));
    nurse.add_addendum(visit, "Correction: left leg, not right.").await.unwrap();
    let v = nurse.open_visit(visit).await.unwrap();
    assert_eq!(v.narrative, "Dressing changed.");
    assert_eq!(v.signature_valid, Some(true), "the addendum leaves the signed body intact");
    assert_eq!(v.addenda.len(), 1);
    assert_eq!(v.addenda[0].written_by.name, "Ada Quill");
    assert_eq!(v.addenda[0].text, "Correction: left leg, not right.");
}

#[tokio::test]
async fn opening_a_record_off_the_caseload_is_break_glass_with_a_reason_audited_and_flagged() {
    let (_a, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let (_b, other) = device("Sam Ferris", Role::CommunityNurse).await;
    let s = shared_record(&nurse).await;
    other
        .merge_document(
            &nurse.export_patient_document(s.patient).await.unwrap(),
            false,
            Some(hedgerow_tests::TWO_TEAMS),
        )
        .await
        .unwrap();
    assert!(matches!(other.open_patient(s.patient).await, Err(Error::BreakGlassRequired)));
    // Nor is it listed, searchable by name, or in the tasks due.
    other
        .add_task(
            s.patient,
            "Bloods",
            Role::DistrictNurse,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1),
            hedgerow_core::documents::patient::EntrySource::Clinical,
        )
        .await
        .unwrap();
    assert!(other.caseload().await.unwrap().is_empty());
    assert!(other.search("Winifred").await.unwrap().is_empty());
    assert!(other.due_tasks(chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap()).await.unwrap().is_empty());
    // An edit outside the caseload is allowed (urgent care comes first) but flagged for review.
    let edits = other.audit_log(Some(s.patient)).await.unwrap();
    let task = edits.iter().find(|e| e.detail.starts_with("add task")).unwrap();
    assert!(task.flagged && task.detail.contains("outside the team's caseload"), "{task:?}");
    let err = other.open_patient_break_glass(s.patient, "   ").await.unwrap_err();
    assert!(err.to_string().contains("reason"), "{err}");
    let view = other
        .open_patient_break_glass(s.patient, "covering for a colleague; patient called out of hours")
        .await
        .unwrap();
    assert_eq!(view.record.demographics.name, "Winifred Ashdown");
    let log = other.audit_log(Some(s.patient)).await.unwrap();
    let glass: Vec<_> = log.iter().filter(|e| e.action == AuditAction::BreakGlass).collect();
    assert_eq!(glass.len(), 1);
    assert!(glass[0].flagged);
    assert!(glass[0].detail.contains("covering for a colleague"));
    assert_eq!(glass[0].clinician.name, "Sam Ferris");
    // On one's own caseload no reason is needed.
    assert!(nurse.open_patient(s.patient).await.is_ok());
}

#[tokio::test]
async fn a_malformed_or_foreign_document_is_refused_and_changes_nothing() {
    let (_a, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let s = shared_record(&nurse).await;
    let before = nurse.open_patient(s.patient).await.unwrap().record;
    let err = nurse
        .merge_document(b"not automerge at all", false, Some(hedgerow_tests::TWO_TEAMS))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not an Automerge document"), "{err}");
    let mut stranger = automerge::AutoCommit::new();
    use automerge::transaction::Transactable;
    stranger.put(automerge::ROOT, "hello", "world").unwrap();
    let err =
        nurse.merge_document(&stranger.save(), false, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap_err();
    assert!(err.to_string().contains("not a Hedgerow document"), "{err}");
    assert_eq!(nurse.open_patient(s.patient).await.unwrap().record, before);
}

#[tokio::test]
async fn the_briefing_shows_what_others_changed_since_my_last_visit() {
    let (_a, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let (_b, gp) = device("Dr Priya Kellaway", Role::Gp).await;
    let s = shared_record(&nurse).await;
    let mine = nurse.start_visit(s.patient).await.unwrap();
    nurse.add_note(mine, "Settled.").await.unwrap();
    let before = nurse.briefing(s.patient).await.unwrap();
    assert!(before.my_last_visit.is_some());
    assert!(before.medicines_changed.is_empty() && before.visits_by_others.is_empty(), "{before:#?}");
    // Change times are kept to the second: let the GP's changes come clearly after.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    gp.merge_document(
        &nurse.export_patient_document(s.patient).await.unwrap(),
        true,
        Some(hedgerow_tests::TWO_TEAMS),
    )
    .await
    .unwrap();
    gp.change_medicine(
        s.patient,
        &s.medicine,
        MedicineChange { dose: Some("80 mg".into()), reason: "ankle oedema".into(), ..Default::default() },
    )
    .await
    .unwrap();
    let theirs = gp.start_visit(s.patient).await.unwrap();
    gp.record_observations(
        theirs,
        hedgerow_core::clinical::Observations { pulse: Some(112), ..Default::default() },
    )
    .await
    .unwrap();
    gp.add_note(theirs, "Breathless on exertion; furosemide increased.").await.unwrap();
    nurse
        .merge_document(
            &gp.export_patient_document(s.patient).await.unwrap(),
            false,
            Some(hedgerow_tests::TWO_TEAMS),
        )
        .await
        .unwrap();
    // Visits are separate documents: the GP's visit comes over too.
    let mut rx = gp.store().begin_read().await.unwrap();
    let mut visit_doc =
        rx.load_document(&theirs.0, hedgerow_core::documents::DocumentKind::Visit).await.unwrap().unwrap();
    drop(rx);
    nurse.merge_document(&visit_doc.save(), false, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();

    let b = nurse.briefing(s.patient).await.unwrap();
    assert_eq!(b.medicines_changed.len(), 1);
    assert_eq!(b.medicines_changed[0].dose, "80 mg");
    assert_eq!(b.medicines_changed[0].changed_by.name, "Dr Priya Kellaway");
    // The record marks the same medicine, matched by its id, and only that one.
    let shown = nurse.open_patient(s.patient).await.unwrap().record;
    let changed: Vec<&str> =
        shown.medicines.iter().filter(|m| m.changed_since_your_last_visit).map(|m| m.id.as_str()).collect();
    assert_eq!(changed, [b.medicines_changed[0].id.as_str()]);
    assert_eq!(b.visits_by_others.len(), 1);
    assert!(b.visits_by_others[0].note_preview.contains("furosemide increased"));
    assert!(
        b.record_changes
            .iter()
            .any(|c| c.action == "change medicine" && c.by.as_ref().unwrap().name == "Dr Priya Kellaway")
    );
    assert!(
        b.record_changes.iter().all(|c| c.by.as_ref().unwrap().name != "Ada Quill"),
        "my own changes are not news to me"
    );
    assert!(b.news2_trend.last().unwrap().partial);
}

#[tokio::test]
async fn the_record_as_it_stood_and_what_changed_between_two_moments() {
    let (_a, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let s = shared_record(&nurse).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let then = hedgerow_core::documents::Timestamp::now();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    nurse
        .change_medicine(
            s.patient,
            &s.medicine,
            MedicineChange { dose: Some("80 mg".into()), reason: "oedema".into(), ..Default::default() },
        )
        .await
        .unwrap();
    nurse.set_cpr(s.patient, CprRecommendation::DoNotAttemptCpr, None, "clinical judgement").await.unwrap();
    let past = nurse.record_at(s.patient, then).await.unwrap();
    assert_eq!(past.document.medicines[&s.medicine].dose, "40 mg");
    let shown = past.record.medicines.iter().find(|m| m.id == s.medicine).expect("listed by id");
    assert_eq!(shown.dosage, "40 mg oral once daily", "as a screen showed it then");
    assert_eq!(
        past.watched().cpr_recommendation().settled().copied().flatten(),
        Some(CprRecommendation::AttemptCpr)
    );
    let now = nurse.open_patient(s.patient).await.unwrap().document;
    assert_eq!(
        nurse.record_at(s.patient, hedgerow_core::documents::Timestamp::now()).await.unwrap().document,
        now
    );
    let diff =
        nurse.changes_between(s.patient, then, hedgerow_core::documents::Timestamp::now()).await.unwrap();
    assert!(
        diff.iter().any(|d| d.field == format!("medicines/{}/dose", s.medicine) && d.value == "80 mg"),
        "{diff:#?}"
    );
    assert!(
        diff.iter().any(|d| d.field == "end_of_life/cpr/recommendation" && d.value == "do-not-attempt-cpr"),
        "{diff:#?}"
    );
    assert!(!diff.iter().any(|d| d.field.starts_with("demographics")), "unchanged fields are not listed");
    let err = nurse.record_at(s.patient, hedgerow_core::documents::Timestamp(0)).await.unwrap_err();
    assert!(err.to_string().contains("did not exist"), "{err}");
}

#[tokio::test]
async fn a_wound_assessment_is_structured_checked_and_signed_with_the_note() {
    use hedgerow_core::documents::visit::Exudate;
    use hedgerow_core::workspace::NewWound;
    let (_a, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let s = shared_record(&nurse).await;
    let visit = nurse.start_visit(s.patient).await.unwrap();
    let wound = |pain| NewWound {
        site: "left gaiter, medial".into(),
        length_cm: 4.5,
        width_cm: 3.0,
        depth_cm: Some(0.2),
        tissue: Some("granulating 80%, slough 20%".into()),
        exudate: Exudate::Moderate,
        signs_of_infection: false,
        pain_score: Some(pain),
        dressing: Some("non-adherent, two-layer compression".into()),
    };
    let err = nurse.record_wound(visit, wound(11)).await.unwrap_err();
    assert!(err.to_string().contains("0 (none) to 10"), "{err}");
    nurse.record_wound(visit, wound(3)).await.unwrap();
    nurse.sign_visit(visit).await.unwrap();
    let v = nurse.open_visit(visit).await.unwrap();
    assert_eq!(v.wound_assessments.len(), 1);
    assert_eq!(v.wound_assessments[0].recorded_by.name, "Ada Quill", "attributed to who recorded it");
    assert_eq!(v.signature_valid, Some(true));
    assert!(matches!(nurse.record_wound(visit, wound(2)).await, Err(Error::VisitSigned(_))));
}

#[tokio::test]
async fn observation_history_gathers_every_visit_oldest_first_each_scored() {
    use hedgerow_core::clinical::{Consciousness, Observations};
    let (_tmp, nurse) = device("Nia Penhallow", Role::DistrictNurse).await;
    let (_gp_tmp, gp) = device("Dr Priya Kellaway", Role::Gp).await;
    let shared = shared_record(&nurse).await;
    let first = nurse.start_visit(shared.patient).await.unwrap();
    let calm = Observations {
        respiration_rate: Some(16),
        spo2: Some(97),
        on_oxygen: Some(false),
        systolic_bp: Some(128),
        pulse: Some(72),
        consciousness: Some(Consciousness::Alert),
        temperature: Some(36.8),
    };
    nurse.record_observations(first, calm.clone()).await.unwrap();
    let second = nurse.start_visit(shared.patient).await.unwrap();
    // RR 24 → 2, SpO2 93 → 2, air → 0, SBP 105 → 1, pulse 112 → 2, A → 0, 38.4 °C → 1: 8.
    let unwell = Observations {
        respiration_rate: Some(24),
        spo2: Some(93),
        systolic_bp: Some(105),
        pulse: Some(112),
        temperature: Some(38.4),
        ..calm
    };
    nurse.record_observations(second, unwell).await.unwrap();
    let history = nurse.observation_history(shared.patient).await.unwrap();
    let totals: Vec<u8> = history.iter().map(|s| s.news2.total).collect();
    assert_eq!(totals, vec![0, 8], "oldest first, each scored");
    assert_eq!(history[1].observations.pulse, Some(112));
    // A device without the record has no history to show.
    assert!(gp.observation_history(shared.patient).await.is_err());
}

#[tokio::test]
async fn a_visit_draft_is_saved_whole_or_not_at_all_and_is_never_signed_around() {
    let (_tmp, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let shared = shared_record(&nurse).await;
    let visit = nurse.start_visit(shared.patient).await.unwrap();
    let mut draft = hedgerow_core::workspace::VisitDraft {
        pulse: "118".into(),
        note: "Flushed and breathless.".into(),
        wound_site: "sacrum".into(),
        wound_length_cm: "two".into(),
        ..Default::default()
    };
    nurse.put_visit_draft(visit, &draft).await.unwrap();
    // Signing around what is typed and not saved is refused, and says what.
    nurse.add_note(visit, "Seen at home.").await.unwrap();
    match nurse.sign_visit(visit).await {
        Err(Error::UnsavedVisitDraft(what)) => assert_eq!(what, "observations, wound assessment, note"),
        other => panic!("signed around the draft: {other:?}"),
    }
    // One part invalid: nothing of it is saved, and the draft stays.
    let err = nurse.save_visit_draft(visit).await.unwrap_err();
    assert!(err.to_string().contains("is not a number of centimetres"), "{err}");
    let view = nurse.open_visit(visit).await.unwrap();
    assert!(view.observations.is_empty() && view.narrative == "Seen at home.", "{view:?}");
    assert_eq!(nurse.visit_draft(visit).await.unwrap().as_ref(), Some(&draft));
    // Mended, it is saved in one go and the draft is gone.
    draft.wound_length_cm = "2".into();
    draft.wound_width_cm = "1.5".into();
    draft.wound_exudate = Some(hedgerow_core::documents::visit::Exudate::Low);
    nurse.put_visit_draft(visit, &draft).await.unwrap();
    let saved = nurse.save_visit_draft(visit).await.unwrap();
    assert!(saved.observations.is_some() && saved.wound && saved.note);
    assert_eq!(nurse.visit_draft(visit).await.unwrap(), None);
    let view = nurse.open_visit(visit).await.unwrap();
    assert_eq!((view.observations.len(), view.wound_assessments.len()), (1, 1));
    assert!(view.narrative.ends_with("Flushed and breathless."), "{}", view.narrative);
    nurse.sign_visit(visit).await.unwrap();
    assert!(nurse.open_visits().await.unwrap().is_empty());
    // Nothing more is kept as typed for a signed visit.
    let late = hedgerow_core::workspace::VisitDraft { note: "late".into(), ..Default::default() };
    assert!(matches!(nurse.put_visit_draft(visit, &late).await, Err(Error::VisitSigned(_))));
    assert_eq!(nurse.visit_in_progress().await.unwrap(), None);

    // A cancelled visit takes nothing more, and is not open.
    let other = nurse.start_visit(shared.patient).await.unwrap();
    assert_eq!(nurse.open_visits().await.unwrap().len(), 1);
    assert!(nurse.cancel_visit(other, "  ").await.is_err(), "a reason is needed");
    nurse.cancel_visit(other, "opened in error").await.unwrap();
    assert!(matches!(nurse.add_note(other, "late").await, Err(Error::VisitCancelled(_))));
    assert!(matches!(nurse.sign_visit(other).await, Err(Error::VisitCancelled(_))));
    assert!(nurse.open_visits().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_record_history_shows_the_values_each_change_set_without_its_bookkeeping() {
    let (_d, nurse) = device("Ada Quill", Role::DistrictNurse).await;
    let s = shared_record(&nurse).await;
    let change = MedicineChange {
        dose: Some("80 mg".into()),
        frequency: None,
        route: None,
        reason: "ankle oedema worse".into(),
    };
    nurse.change_medicine(s.patient, &s.medicine, change).await.unwrap();
    let history = nurse.record_history(s.patient).await.unwrap();
    let changed = &history.iter().find(|c| c.action == "change medicine").unwrap().changed;
    assert!(changed.contains(&"Furosemide 40 mg tablets: dose 80 mg".to_owned()), "{changed:?}");
    assert!(changed.contains(&"Furosemide 40 mg tablets: change reason ankle oedema worse".to_owned()));
    let added = &history.iter().find(|c| c.action == "add medicine").unwrap().changed;
    assert!(added.contains(&"Furosemide 40 mg tablets: dose 40 mg".to_owned()), "{added:?}");
    for c in &history {
        assert!(c.changed.len() <= hedgerow_core::workspace::VALUES_SHOWN);
        for line in &c.changed {
            for field in ["changed by", "changed at", "added by", "recorded by", "created at", "made by"] {
                assert!(!line.contains(field), "bookkeeping shown: {line}");
            }
        }
    }
}
