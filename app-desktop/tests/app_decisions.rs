//! Decisions where a slip is dangerous, driven through the app as a clinician would: a CPR
//! decision and the settling of a conflict are each confirmed in a dialog that names what
//! changes, and each needs a reason that the audit log keeps.

use egui_kittest::kittest::{NodeT, Queryable};
use hedgerow_core::documents::Role;
use hedgerow_core::documents::patient::CprRecommendation;
use hedgerow_core::ids::PatientId;
use hedgerow_core::{NewClinician, Workspace};
use std::path::Path;

mod gui;

use gui::{PASS, harness, open_record, type_into, unlock, workspace};

const REASON: &str = "Clinical reason for the decision (kept in the audit log)";

fn enabled(h: &egui_kittest::Harness<'_, hedgerow_desktop::gui::HedgerowApp>, label: &str) -> bool {
    !h.get_by_label(label).accesskit_node().is_disabled()
}

fn audit_details(h: &egui_kittest::Harness<'_, hedgerow_desktop::gui::HedgerowApp>) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ws = h.state().workspace.as_ref().unwrap();
    rt.block_on(ws.audit_log(None)).unwrap().into_iter().map(|e| e.detail).collect()
}

#[test]
fn a_cpr_decision_is_chosen_deliberately_confirmed_for_the_named_patient_and_needs_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let patient = workspace(tmp.path(), 0);
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    open_record(&mut h, "Winifred Ashdown");
    h.get_by_label("End of life").click();
    h.run();

    // Nothing is chosen for the clinician, and the two choices are not a pair of look-alike
    // buttons side by side: one to a line.
    assert!(!enabled(&h, "Record the CPR decision"), "no decision until one is chosen");
    let attempt = h.get_by_label("Attempt CPR").rect();
    let dnacpr = h.get_by_label("Do not attempt CPR (DNACPR)").rect();
    assert!(dnacpr.min.y >= attempt.max.y, "one choice to a line: {attempt:?} {dnacpr:?}");

    h.get_by_label("Do not attempt CPR (DNACPR)").click();
    h.run();
    h.get_by_label("Record the CPR decision").click();
    h.run();
    // The dialog names the patient and what the decision replaces.
    assert!(h.query_by_label_contains("For Winifred Ashdown, NHS 943 476 5919").is_some());
    assert!(h.query_by_label("This replaces: CPR: no decision recorded").is_some());
    let confirm = "Confirm: do not attempt CPR (DNACPR)";
    assert!(!enabled(&h, confirm), "a decision needs its reason");

    // Going back records nothing.
    h.get_by_label("Go back").click();
    h.run();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ws = h.state().workspace.as_ref().unwrap();
    assert!(rt.block_on(ws.open_patient(patient)).unwrap().record.end_of_life.cpr.is_none());

    h.get_by_label("Record the CPR decision").click();
    h.run();
    type_into(&mut h, REASON, "metastatic cancer, CPR would not be successful");
    h.get_by_label(confirm).click();
    h.run();
    assert!(h.query_by_label("CPR: do not attempt CPR (DNACPR)").is_some(), "the banner shows the decision");
    assert!(h.query_by_label(confirm).is_none(), "the dialog has closed");
    let detail = audit_details(&h);
    assert!(
        detail.iter().any(|d| d.contains("do not attempt CPR (DNACPR)")
            && d.contains("reason: metastatic cancer, CPR would not be successful")),
        "the audit log keeps the decision and its reason: {detail:?}"
    );
}

/// Two devices decided offline: an attempt-CPR and a DNACPR, merged into one record.
fn disputed_cpr(dir: &Path, other: &Path) -> PatientId {
    let patient = workspace(dir, 0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mine = Workspace::open(dir, PASS).await.unwrap();
        let gp = Workspace::create(
            other,
            PASS,
            NewClinician { name: "Dr Priya Kellaway".into(), role: Role::Gp, registration: None },
            None,
        )
        .await
        .unwrap();
        let shared = mine.export_patient_document(patient).await.unwrap();
        gp.merge_document(&shared, true, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();
        mine.set_cpr(patient, CprRecommendation::AttemptCpr, None, "patient wishes").await.unwrap();
        let dnacpr = Some("patient and son".into());
        gp.set_cpr(patient, CprRecommendation::DoNotAttemptCpr, dnacpr, "advanced frailty").await.unwrap();
        let theirs = gp.export_patient_document(patient).await.unwrap();
        mine.merge_document(&theirs, false, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();
        assert_eq!(mine.conflicts(patient).await.unwrap().len(), 1);
        mine.close().await;
    });
    patient
}

#[test]
fn settling_a_conflict_says_what_leaves_the_record_asks_why_and_returns_to_the_patient() {
    let tmp = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let patient = disputed_cpr(tmp.path(), other.path());
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    assert!(h.query_by_label_contains("conflict: CPR recommendation").is_some(), "Today flags the patient");
    open_record(&mut h, "Winifred Ashdown");
    h.get_by_label("Resolve conflicts").click();
    h.run();
    assert!(h.query_by_label("Conflicts in Winifred Ashdown's record").is_some());
    assert!(h.query_by_label_contains("by Dr Priya Kellaway").is_some());
    assert!(h.query_by_label_contains("by Ada Quill").is_some());

    h.get_by_label("Keep \"do not attempt CPR (DNACPR)\"").click();
    h.run();
    assert!(h.query_by_label("Keep: do not attempt CPR (DNACPR)").is_some());
    assert!(
        h.query_by_label_contains("No longer on the record: attempt CPR (by Ada Quill").is_some(),
        "the dialog says which value leaves the record"
    );
    let confirm = "Confirm: keep \"do not attempt CPR (DNACPR)\"";
    assert!(!enabled(&h, confirm), "a choice needs a reason");
    type_into(&mut h, "Reason for your choice (kept in the audit log)", "ReSPECT form signed today");
    h.get_by_label(confirm).click();
    h.run();

    // Back on the record it was opened from, with the message there.
    assert!(h.query_by_label("Start a visit").is_some(), "back on Winifred's record");
    assert!(h.query_by_label_contains("Conflict resolved").is_some());
    assert!(h.query_by_label("CPR: do not attempt CPR (DNACPR)").is_some());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ws = h.state().workspace.as_ref().unwrap();
    assert!(rt.block_on(ws.conflicts(patient)).unwrap().is_empty());
    let detail = audit_details(&h);
    assert!(
        detail.iter().any(
            |d| d.contains("chose do not attempt CPR") && d.contains("reason: ReSPECT form signed today")
        ),
        "the audit log keeps the choice and the reason: {detail:?}"
    );
}

#[test]
fn going_back_from_a_conflict_dialog_settles_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let patient = disputed_cpr(tmp.path(), other.path());
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    h.get_by_label("Conflicts").click();
    h.run();
    h.get_by_label("Keep \"attempt CPR\"").click();
    h.run();
    type_into(&mut h, "Reason for your choice (kept in the audit log)", "slip");
    h.get_by_label("Go back").click();
    h.run();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ws = h.state().workspace.as_ref().unwrap();
    assert_eq!(rt.block_on(ws.conflicts(patient)).unwrap().len(), 1, "still open");
    assert!(h.query_by_label("Keep \"attempt CPR\"").is_some(), "still offered in the inbox");
}
