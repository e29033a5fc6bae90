//! Referral between teams on one relay: a hospital ward refers Harold, discharged to die at
//! home, to the hospice; the hospice reads the summary at once, a hospice nurse accepts,
//! and every device of the hospice then holds his record while the ward is told.

use hedgerow_core::Error;
use hedgerow_core::documents::Role;
use hedgerow_core::documents::patient::CprRecommendation;
use hedgerow_core::store::AuditAction;
use hedgerow_core::view::ReferralStatus;
use hedgerow_tests::{harold, trusting_each_other, ward_and_hospice, ward_hospice_and_district_nurses};

#[tokio::test]
async fn the_ward_refers_harold_and_the_hospice_reads_the_summary_then_takes_him_on() {
    let (ward, mut hospice) = ward_and_hospice().await;
    trusting_each_other(&ward, &hospice).await;
    let patient = harold(&ward.admin).await;
    let visit = ward.admin.start_visit(patient).await.unwrap();
    ward.admin.add_note(visit, "Breathless on the stairs; ankles swollen.").await.unwrap();
    ward.admin.sign_visit(visit).await.unwrap();
    ward.admin.set_sharing_consent(patient, "Rowan Hospice", true).await.unwrap();
    let reason = "Discharged home for end of life care; breathless at rest";
    let sent = ward.admin.refer(patient, "Rowan Hospice", reason, true).await.unwrap();
    assert_eq!(ward.sync(&ward.admin).await.unwrap().letters_delivered, 1);

    let nurse = hospice.join("Ada Kell", Role::HospiceNurse).await.unwrap();
    let hca = hospice.join("Sol Brightwater", Role::HealthcareAssistant).await.unwrap();
    hospice.sync(&nurse).await.unwrap();
    let inbox = nurse.referrals().await.unwrap();
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    let r = &inbox[0];
    assert_eq!(
        (r.id.as_str(), r.name.as_str(), r.from_team.as_str()),
        (sent.id.as_str(), "Harold Pennick", "Ward 7, Hartsmoor General")
    );
    assert_eq!((r.reason.as_str(), r.urgent, r.status), (reason, true, ReferralStatus::Waiting));
    assert_eq!(r.referred_by.name, "Dr Ines Calloway");
    // Before acceptance the hospice holds no record of him, only the referral.
    assert!(nurse.open_patient(patient).await.is_err());
    assert!(nurse.caseload().await.unwrap().is_empty());

    let summary = nurse.referral_summary(&r.id).await.unwrap();
    assert_eq!(summary.cpr_banner, "CPR: do not attempt CPR (DNACPR)");
    assert_eq!(summary.medicines.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["Furosemide"]);
    let audit = nurse.audit_log(Some(patient)).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == AuditAction::Referral && e.detail.contains("read the referral summary"))
    );

    // Taking a patient on is a registered clinician's decision.
    assert!(matches!(hca.accept_referral(&r.id).await, Err(Error::NotPermitted { .. })));
    assert_eq!(nurse.accept_referral(&r.id).await.unwrap(), patient);
    let record = nurse.open_patient(patient).await.unwrap();
    assert_eq!(record.record.demographics.name, "Harold Pennick");
    // His visit notes came with the record, the ward doctor's signature still checking.
    let note = nurse.open_visit(visit).await.unwrap();
    assert_eq!(note.narrative, "Breathless on the stairs; ankles swollen.");
    assert_eq!(note.signature_valid, Some(true));
    assert!(
        matches!(nurse.accept_referral(&r.id).await, Err(Error::Input(m)) if m.contains("already accepted"))
    );

    // The rest of the hospice holds him after its next sync, through the accepting nurse.
    hospice.sync(&nurse).await.unwrap();
    let report = hospice.sync(&hospice.admin).await.unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(hospice.admin.caseload().await.unwrap().len(), 1);
    let seen = hospice.admin.open_patient(patient).await.unwrap();
    assert_eq!(seen.record.end_of_life.cpr_banner, "CPR: do not attempt CPR (DNACPR)");
    let on_their_copy = &seen.record.referrals[0];
    assert_eq!(
        (on_their_copy.status, on_their_copy.team.as_str()),
        (ReferralStatus::Accepted, "Rowan Hospice")
    );
    assert_eq!(hospice.admin.referrals().await.unwrap()[0].status, ReferralStatus::Accepted);
    assert_eq!(hospice.admin.open_visit(visit).await.unwrap().signature_valid, Some(true));

    // The ward is told, and its audit log has the hospice's reading of the summary too.
    // The answer, the reading of the summary, two openings of the shared record, and the
    // acceptance written on it.
    assert_eq!(ward.sync(&ward.admin).await.unwrap().letters_received, 5);
    let made = ward.admin.open_patient(patient).await.unwrap().document.referrals;
    let answer = made.get(&sent.id).and_then(|m| m.answer.clone()).expect("answered");
    assert!(answer.accepted);
    assert_eq!(answer.by.name, "Ada Kell");
    let audit = ward.admin.audit_log(Some(patient)).await.unwrap();
    assert!(audit.iter().any(|e| e.detail.contains("referred to Rowan Hospice (urgent)")));
    assert!(audit.iter().any(|e| e.detail.contains("Rowan Hospice accepted the referral")));
    assert!(
        audit.iter().any(|e| e.detail == "Ada Kell of Rowan Hospice read the referral summary"),
        "{audit:?}"
    );
}

#[tokio::test]
async fn a_referral_needs_a_trusted_team_and_the_patients_settled_yes() {
    let (ward, hospice) = ward_and_hospice().await;
    let patient = harold(&ward.admin).await;
    let refer = || ward.admin.refer(patient, "Rowan Hospice", "for symptom control", false);
    assert!(matches!(refer().await, Err(Error::Input(m)) if m.contains("does not trust")));
    trusting_each_other(&ward, &hospice).await;
    assert!(matches!(refer().await, Err(Error::Input(m)) if m.contains("not recorded")));
    ward.admin.set_sharing_consent(patient, "Rowan Hospice", false).await.unwrap();
    assert!(matches!(refer().await, Err(Error::Input(m)) if m.contains("said no")));
    assert!(matches!(
        ward.admin.refer(patient, "Rowan Hospice", "  ", false).await,
        Err(Error::Input(m)) if m.contains("say why")
    ));
    ward.admin.set_sharing_consent(patient, "Rowan Hospice", true).await.unwrap();
    refer().await.unwrap();
}

#[tokio::test]
async fn a_declined_referral_tells_the_ward_why_and_the_hospice_keeps_none_of_the_record() {
    let (ward, mut hospice) = ward_and_hospice().await;
    trusting_each_other(&ward, &hospice).await;
    let patient = harold(&ward.admin).await;
    ward.admin.set_sharing_consent(patient, "Rowan Hospice", true).await.unwrap();
    let sent = ward.admin.refer(patient, "Rowan Hospice", "for day hospice", false).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    let nurse = hospice.join("Ada Kell", Role::HospiceNurse).await.unwrap();
    assert!(matches!(nurse.decline_referral(&sent.id, "").await, Err(Error::Input(_))));
    nurse.decline_referral(&sent.id, "outside our area: refer to Fellbrook Hospice").await.unwrap();
    assert!(matches!(nurse.referral_summary(&sent.id).await, Err(Error::Input(m)) if m.contains("declined")));
    // The hospice's other devices drop the record the referral carried too.
    hospice.sync(&nurse).await.unwrap();
    hospice.sync(&hospice.admin).await.unwrap();
    assert_eq!(hospice.admin.referrals().await.unwrap()[0].status, ReferralStatus::Declined);
    assert!(hospice.admin.referral_summary(&sent.id).await.is_err());
    assert!(hospice.admin.open_patient(patient).await.is_err());

    ward.sync(&ward.admin).await.unwrap();
    let made = ward.admin.open_patient(patient).await.unwrap().document.referrals;
    let answer = made[&sent.id].answer.clone().expect("answered");
    assert!(!answer.accepted);
    assert_eq!(answer.reason.as_deref(), Some("outside our area: refer to Fellbrook Hospice"));
}

#[tokio::test]
async fn a_cpr_decision_disputed_on_the_ward_reaches_the_hospice_disputed_never_settled() {
    let (mut ward, mut hospice) = ward_and_hospice().await;
    trusting_each_other(&ward, &hospice).await;
    let patient = harold(&ward.admin).await;
    let registrar = ward.join("Dr Oren Vasquez", Role::Gp).await.unwrap();
    // Two doctors record different decisions apart; the ward's devices then meet.
    ward.admin.set_cpr(patient, CprRecommendation::DoNotAttemptCpr, None, "frailty").await.unwrap();
    registrar.set_cpr(patient, CprRecommendation::AttemptCpr, None, "patient wishes").await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    ward.sync(&registrar).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    ward.admin.set_sharing_consent(patient, "Rowan Hospice", true).await.unwrap();
    let sent = ward.admin.refer(patient, "Rowan Hospice", "for advance care planning", false).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();

    let nurse = hospice.join("Ada Kell", Role::HospiceNurse).await.unwrap();
    let summary = nurse.referral_summary(&sent.id).await.unwrap();
    assert_eq!(summary.cpr_banner, "CPR: DISPUTED — see conflicts");
    assert!(summary.cpr_disputed && summary.plan_lines.iter().any(|l| l.starts_with("DISPUTED")));
    assert!(summary.end_of_life.cpr.is_none(), "no decision is shown as the decision");
    assert!(summary.end_of_life.cpr_disputed.is_some());
    nurse.accept_referral(&sent.id).await.unwrap();
    let record = nurse.open_patient(patient).await.unwrap();
    assert_eq!(record.record.end_of_life.cpr_banner, "CPR: DISPUTED — see conflicts");
    assert!(record.summary.open_conflicts > 0, "the conflict came with the record");
}

#[tokio::test]
async fn the_hospice_refers_harold_on_to_the_district_nurses_who_check_every_author_back_to_the_ward() {
    let (ward, mut hospice, mut nurses) = ward_hospice_and_district_nurses().await;
    let patient = harold(&ward.admin).await;
    ward.admin.set_sharing_consent(patient, "Rowan Hospice", true).await.unwrap();
    let first =
        ward.admin.refer(patient, "Rowan Hospice", "for end of life care at home", true).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    let hospice_nurse = hospice.join("Ada Kell", Role::HospiceNurse).await.unwrap();
    hospice_nurse.accept_referral(&first.id).await.unwrap();
    // The hospice records his consent for the district nurses, and refers him on.
    hospice_nurse.set_sharing_consent(patient, "Hartsmoor District Nursing", true).await.unwrap();
    let on = hospice_nurse
        .refer(patient, "Hartsmoor District Nursing", "daily visits for symptom control", false)
        .await
        .unwrap();
    hospice.sync(&hospice_nurse).await.unwrap();

    let district_nurse = nurses.join("Tamsin Rook", Role::DistrictNurse).await.unwrap();
    let inbox = district_nurse.referrals().await.unwrap();
    assert_eq!((inbox.len(), inbox[0].from_team.as_str()), (1, "Rowan Hospice"));
    district_nurse.accept_referral(&on.id).await.unwrap();
    // The ward's changes came through the hospice, vouched for there: checked, and kept.
    let record = district_nurse.open_patient(patient).await.unwrap();
    assert_eq!(record.record.end_of_life.cpr_banner, "CPR: do not attempt CPR (DNACPR)");
    let teams: Vec<&str> = record.record.referrals.iter().map(|m| m.team.as_str()).collect();
    assert_eq!(teams, ["Hartsmoor District Nursing", "Rowan Hospice"], "both referrals, newest first");
    nurses.sync(&district_nurse).await.unwrap();
    let report = nurses.sync(&nurses.admin).await.unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(nurses.admin.caseload().await.unwrap().len(), 1);
    // The ward, which never trusted the district nurses, holds nothing new; the hospice is told.
    // The answer, the district nurse's opening of the record, and the record as each of
    // the district nurses' devices first sends it.
    assert_eq!(hospice.sync(&hospice_nurse).await.unwrap().letters_received, 4);
}
