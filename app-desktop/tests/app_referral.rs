//! Referral in the app: a hospice nurse sees a referral waiting in the top bar, finds the
//! ward's urgent referral of Harold in the inbox, reads the summary, accepts him onto the caseload, and the record's "Other teams"
//! tab refuses a referral on without his consent and ends the share with the ward.

use egui_kittest::kittest::{NodeT, Queryable};
use hedgerow_core::documents::Role;

mod gui;

use gui::{harness, unlock};

fn referred_to_the_hospice(
    nurse_dir: &std::path::Path,
) -> (hedgerow_tests::MemoryTeam, hedgerow_tests::MemoryTeam) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (ward, hospice) = hedgerow_tests::ward_and_hospice().await;
        hedgerow_tests::trusting_each_other(&ward, &hospice).await;
        let harold = hedgerow_tests::harold(&ward.admin).await;
        ward.admin.set_sharing_consent(harold, "Rowan Hospice", true).await.unwrap();
        ward.admin
            .refer(harold, "Rowan Hospice", "Discharged home for end of life care", true)
            .await
            .unwrap();
        ward.sync(&ward.admin).await.unwrap();
        let nurse = hospice.enrol_in(nurse_dir, "Ada Kell", Role::HospiceNurse, false).await.unwrap();
        hospice.sync(&nurse).await.unwrap();
        nurse.close().await;
        (ward, hospice)
    })
}

#[test]
fn a_hospice_nurse_reads_the_wards_referral_and_takes_harold_on_in_the_app() {
    let tmp = tempfile::tempdir().unwrap();
    let nurse_dir = tmp.path().join("hospice-nurse");
    let _teams = referred_to_the_hospice(&nurse_dir);
    let mut h = harness(&nurse_dir);
    unlock(&mut h, hedgerow_tests::PASSPHRASE);

    // The top bar says a referral is waiting, wherever the nurse is.
    h.get_by_label("Referrals (1 waiting)").click();
    h.run();
    assert!(h.query_by_label("Harold Pennick (943 476 5919)").is_some(), "in the inbox");
    assert!(h.query_by_label("waiting for an answer").is_some());
    assert!(h.query_by_label("URGENT").is_some());
    assert!(h.query_by_label_contains("from Ward 7, Hartsmoor General, by Dr Ines Calloway").is_some());
    h.get_by_label("Read summary").click();
    h.run();
    assert!(h.query_by_label("CPR: do not attempt CPR (DNACPR)").is_some(), "the CPR decision first");
    assert!(h.query_by_label("Furosemide 80 mg once each morning").is_some());
    h.get_by_label("Accept: take on to our caseload").click();
    h.run();
    assert!(h.query_by_label("Harold Pennick is on your team's caseload.").is_some());
    assert!(h.query_by_label("Referrals").is_some(), "none waiting once answered");

    // His record is open; referring him on needs his consent for that team.
    h.get_by_label("Other teams").click();
    h.run();
    assert!(h.query_by_label("Rowan Hospice: yes").is_some(), "the consent the ward recorded came with him");
    assert!(h.query_by_label_contains("Referred to Rowan Hospice on").is_some(), "the ward's referral");
    assert!(h.query_by_label_contains("accepted by Ada Kell").is_some(), "and this team's answer");
    h.get_by_label("Refer to Ward 7, Hartsmoor General").click();
    h.run();
    assert!(
        h.query_by_label_contains("say why the patient is referred").is_some(),
        "a referral without a reason is refused"
    );
    gui::type_into(&mut h, "Why (the receiving team reads it first):", "back for review");
    h.get_by_label("Refer to Ward 7, Hartsmoor General").click();
    h.run();
    assert!(h.query_by_label_contains("consent to share their record with Ward 7").is_some(), "refused");

    // The record is shared with the ward from the acceptance on; the nurse ends the share.
    assert!(h.query_by_label_contains("Ward 7, Hartsmoor General: since").is_some(), "shared with the ward");
    h.get_by_label("End share with Ward 7, Hartsmoor General").click();
    h.run();
    assert!(h.query_by_label_contains("say why the share ends").is_some(), "not without a reason");
    gui::type_into(&mut h, "Why it ends:", "discharged home");
    h.get_by_label("End share with Ward 7, Hartsmoor General").click();
    h.run();
    assert!(h.query_by_label_contains("The share with Ward 7, Hartsmoor General has ended").is_some());
    assert!(
        h.query_by_label_contains("by Ada Kell of Rowan Hospice: discharged home").is_some(),
        "shown ended"
    );
}

/// The ward's doctor after the hospice ended the ward's share: Harold is off the caseload;
/// the break-glass dialog says the record is a read-only copy and why; opened, the record
/// says so and nothing of it can be changed.
#[test]
fn the_wards_copy_after_the_hospice_ended_the_share_opens_read_only() {
    let tmp = tempfile::tempdir().unwrap();
    let doctor_dir = tmp.path().join("ward-doctor");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _teams = rt.block_on(async {
        let (ward, hospice) = hedgerow_tests::ward_and_hospice().await;
        let harold = hedgerow_tests::harold_shared_with_the_hospice(&ward, &hospice, &hospice.admin).await;
        let doctor = ward.enrol_in(&doctor_dir, "Dr Kit Rowe", Role::Gp, false).await.unwrap();
        ward.sync(&doctor).await.unwrap();
        hospice.admin.end_share(harold, "Ward 7, Hartsmoor General", "discharged home").await.unwrap();
        hospice.sync(&hospice.admin).await.unwrap();
        ward.sync(&doctor).await.unwrap();
        assert!(doctor.read_only_copy(harold).await.unwrap().is_some());
        doctor.close().await;
        (ward, hospice)
    });
    let mut h = harness(&doctor_dir);
    unlock(&mut h, hedgerow_tests::PASSPHRASE);
    gui::type_into(&mut h, "Find a patient", "943 476 5919");
    assert!(h.query_by_label_contains("Harold").is_none(), "off the caseload");
    h.get_by_label("Look for this record on this device (break-glass)").click();
    h.run();
    assert!(
        h.query_by_label_contains("A read-only copy of the record for NHS number 943 476 5919").is_some(),
        "the dialog says what is held"
    );
    assert!(h.query_by_label_contains("ended by Maren Oduya of Rowan Hospice (discharged home)").is_some());
    gui::type_into(&mut h, "Reason for access", "Checking what was given on the ward");
    h.get_by_label("Open the record (break-glass)").click();
    h.run();
    assert!(h.query_by_label_contains("READ-ONLY COPY").is_some());
    assert!(
        h.query_by_label_contains("BREAK-GLASS ACCESS: a read-only copy kept after its share ended")
            .is_some()
    );
    assert!(h.get_by_label("Start a visit").accesskit_node().is_disabled(), "no visit on a read-only copy");
    assert!(h.get_by_label("Edit visit essentials").accesskit_node().is_disabled());
    h.get_by_label("Medicines").click();
    h.run();
    assert!(
        h.get_by_label("Add the medicine").accesskit_node().is_disabled(),
        "the medicines form is greyed"
    );
    h.get_by_label("Audit trail").click();
    h.run();
    assert!(h.query_by_label("break-glass (flagged)").is_some(), "reading it is still audited");
}
