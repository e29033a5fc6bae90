//! Harold's story across three teams on one relay: the ward refers him to the hospice,
//! which refers him on to the district nurses; all three keep one record, a CPR decision
//! recorded differently on the ward and at the hospice is disputed on all three, the
//! hospice ends the ward's share, and the ward's copy is read-only and then deleted. A
//! fourth team on the relay, and the relay itself, hold no trace of him.

use hedgerow_core::Error;
use hedgerow_core::documents::Role;
use hedgerow_core::documents::patient::{CprRecommendation, EntrySource};
use hedgerow_core::ids::PatientId;
use hedgerow_core::workspace::MedicineChange;
use hedgerow_tests::{
    MemoryLink, MemoryTeam, harold, plaintext_hits, trusting_each_other, ward_and_hospice,
    ward_hospice_and_district_nurses,
};

/// Syncs each device once, in order.
async fn round(devices: &[(&MemoryTeam, &hedgerow_core::Workspace)]) {
    for (team, ws) in devices {
        let report = team.sync(ws).await.unwrap();
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    }
}

fn banner(view: &hedgerow_core::workspace::PatientView) -> &str {
    &view.record.end_of_life.cpr_banner
}

async fn refer_and_accept(
    from: (&MemoryTeam, &hedgerow_core::Workspace),
    to: (&MemoryTeam, &hedgerow_core::Workspace),
    patient: PatientId,
    team_name: &str,
) {
    from.1.set_sharing_consent(patient, team_name, true).await.unwrap();
    let sent = from.1.refer(patient, team_name, "end of life care at home", true).await.unwrap();
    from.0.sync(from.1).await.unwrap();
    to.0.sync(to.1).await.unwrap();
    to.1.accept_referral(&sent.id).await.unwrap();
    to.0.sync(to.1).await.unwrap();
    // The referrer takes the answer in, and with it the share.
    from.0.sync(from.1).await.unwrap();
}

#[tokio::test]
async fn harolds_record_is_one_record_across_the_ward_the_hospice_and_the_district_nurses() {
    // On the heap: the whole story's future is larger than a test thread's stack.
    Box::pin(harolds_story()).await;
}

async fn harolds_story() {
    let (ward, mut hospice, mut nurses) = ward_hospice_and_district_nurses().await;
    let practice = ward.beside("Fellbrook Surgery", "Dr Aled Morrow", Role::Gp).await.unwrap();
    trusting_each_other(&practice, &hospice).await;
    let patient = harold(&ward.admin).await;
    let ada = hospice.join("Ada Kell", Role::HospiceNurse).await.unwrap();
    let tamsin = nurses.join("Tamsin Rook", Role::DistrictNurse).await.unwrap();

    refer_and_accept((&ward, &ward.admin), (&hospice, &ada), patient, "Rowan Hospice").await;
    refer_and_accept((&hospice, &ada), (&nurses, &tamsin), patient, "Hartsmoor District Nursing").await;
    let everyone = [
        (&ward, &ward.admin),
        (&hospice, &ada),
        (&hospice, &hospice.admin),
        (&nurses, &tamsin),
        (&nurses, &nurses.admin),
    ];
    round(&everyone).await;
    assert_eq!(ada.shared_with(patient).await.unwrap().len(), 2, "the ward and the district nurses");
    assert_eq!(ward.admin.shared_with(patient).await.unwrap()[0].team, "Rowan Hospice");

    // Each team edits; after two rounds every device of all three has every edit.
    let furosemide = ward.admin.open_patient(patient).await.unwrap().record.medicines[0].id.clone();
    let dose = MedicineChange {
        dose: Some("40 mg".into()),
        frequency: None,
        route: None,
        reason: "kidney function falling".into(),
    };
    ward.admin.change_medicine(patient, &furosemide, dose).await.unwrap();
    let visit = tamsin.start_visit(patient).await.unwrap();
    tamsin.add_note(visit, "Comfortable; son staying overnight.").await.unwrap();
    tamsin.sign_visit(visit).await.unwrap();
    let task = "Review syringe driver";
    ada.add_task(patient, task, Role::HospiceNurse, None, EntrySource::Clinical).await.unwrap();
    // Through the hospice, from the district nurses to the ward: three rounds at most.
    for _ in 0..3 {
        round(&everyone).await;
    }
    for (_, ws) in &everyone {
        let seen = ws.open_patient(patient).await.unwrap();
        assert_eq!(seen.record.medicines[0].dose, "40 mg", "{}", ws.identity().name);
        assert!(seen.record.tasks.iter().any(|t| t.title == task), "{}", ws.identity().name);
        let note = ws.open_visit(visit).await.unwrap_or_else(|e| panic!("{}: {e}", ws.identity().name));
        assert_eq!(
            (note.narrative.as_str(), note.signature_valid),
            ("Comfortable; son staying overnight.", Some(true))
        );
    }
    // Attribution names the clinician and their team, on the other teams' devices.
    let history = tamsin.field_history(patient, &format!("medicines/{furosemide}/dose")).await.unwrap();
    let by = history.last().and_then(|c| c.by.clone()).expect("attributed");
    assert_eq!(by.name, "Dr Ines Calloway (Ward 7, Hartsmoor General)");
    // The ward's audit log has the other teams' edits and readings of his record.
    hospice.sync(&ada).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    let audit = ward.admin.audit_log(Some(patient)).await.unwrap();
    assert!(
        audit.iter().any(|e| e.detail.contains("from Rowan Hospice by Ada Kell of Rowan Hospice")),
        "{audit:?}"
    );
    assert!(
        audit.iter().any(|e| e.detail == "Ada Kell of Rowan Hospice opened the shared record"),
        "{audit:?}"
    );

    // The ward and the hospice record different CPR decisions apart: disputed on all three.
    ward.admin.set_cpr(patient, CprRecommendation::AttemptCpr, None, "patient now wishes CPR").await.unwrap();
    ada.set_cpr(patient, CprRecommendation::DoNotAttemptCpr, None, "reconfirmed with Harold").await.unwrap();
    for _ in 0..3 {
        round(&everyone).await;
    }
    for (_, ws) in &everyone {
        let seen = ws.open_patient(patient).await.unwrap();
        assert_eq!(banner(&seen), "CPR: DISPUTED — see conflicts", "{}", ws.identity().name);
        let cpr = ws.conflicts(patient).await.unwrap();
        let names: Vec<String> = cpr
            .iter()
            .filter(|c| c.label == "CPR recommendation")
            .flat_map(|c| c.values.iter().filter_map(|v| v.by.as_ref().map(|b| b.name.clone())))
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    // The no-change sync stays one round trip, whatever is shared.
    let mut link = MemoryLink::new(ward.relay.clone());
    tamsin.sync_via(&mut link, |_| {}).await.unwrap();
    let mut link = MemoryLink::new(ward.relay.clone());
    let quiet = tamsin.sync_via(&mut link, |_| {}).await.unwrap();
    assert_eq!((link.stats.round_trips, quiet.shared_letters, quiet.bundles_received), (1, 0, 0));

    // Harold leaves hospital: the hospice ends the ward's share. The ward's policy keeps an
    // ended copy for no days, so it goes at the sync after the one that ends it.
    ward.admin.set_ended_share_retention(0).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    let refused = ada.end_share(patient, "Ward 7, Hartsmoor General", "").await;
    assert!(matches!(refused, Err(Error::Input(_))));
    ada.end_share(patient, "Ward 7, Hartsmoor General", "discharged home").await.unwrap();
    ada.add_task(patient, "Visit after discharge", Role::HospiceNurse, None, EntrySource::Clinical)
        .await
        .unwrap();
    hospice.sync(&ada).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    let ended = ward.admin.read_only_copy(patient).await.unwrap().expect("read-only");
    assert!(ended.contains("Ada Kell of Rowan Hospice (discharged home)"), "{ended}");
    let edit = ward.admin.set_cpr(patient, CprRecommendation::AttemptCpr, None, "again").await;
    assert!(matches!(edit, Err(Error::Input(m)) if m.contains("read-only copy")));
    let copy = ward.admin.open_patient_break_glass(patient, "reading the ended copy").await.unwrap();
    assert!(!copy.record.tasks.iter().any(|t| t.title == "Visit after discharge"), "nothing new reaches it");
    assert!(ward.admin.caseload().await.unwrap().is_empty());
    let shares = ada.shared_with(patient).await.unwrap();
    assert!(shares.iter().any(|s| s.team == "Ward 7, Hartsmoor General" && s.ended.is_some()), "{shares:?}");

    let report = ward.sync(&ward.admin).await.unwrap();
    assert_eq!(report.ended_copies_deleted, 1);
    assert!(ward.admin.open_patient_break_glass(patient, "after deletion").await.is_err());
    assert!(ward.admin.open_visit(visit).await.is_err());
    let audit = ward.admin.audit_log(Some(patient)).await.unwrap();
    assert!(audit.iter().any(|e| e.detail.contains("deleted the read-only copy")), "{audit:?}");
    // The hospice and the district nurses go on with one record.
    nurses.sync(&tamsin).await.unwrap();
    assert!(
        tamsin
            .open_patient(patient)
            .await
            .unwrap()
            .record
            .tasks
            .iter()
            .any(|t| t.title == "Visit after discharge")
    );

    // The practice, which the hospice trusts but which was never shared Harold with, and
    // the relay, hold no trace of him.
    practice.sync(&practice.admin).await.unwrap();
    assert!(practice.admin.caseload().await.unwrap().is_empty());
    let needles = ["Harold Pennick".to_owned(), "9434765919".to_owned(), "Mill Lane".to_owned()];
    let mut dirs = vec![ward.relay_dir().to_owned()];
    dirs.push(practice.admin_dir().to_owned());
    for dir in dirs {
        assert!(plaintext_hits(&dir, &needles).is_empty(), "{}", dir.display());
    }
}

#[tokio::test]
async fn changes_from_a_team_the_record_is_not_shared_with_are_left_out() {
    let (ward, mut hospice) = ward_and_hospice().await;
    trusting_each_other(&ward, &hospice).await;
    let patient = harold(&ward.admin).await;
    let ada = hospice.join("Ada Kell", Role::HospiceNurse).await.unwrap();
    refer_and_accept((&ward, &ward.admin), (&hospice, &ada), patient, "Rowan Hospice").await;
    // The ward ends the share; the hospice's device, not synced since, edits its copy.
    ward.admin.end_share(patient, "Rowan Hospice", "consent withdrawn").await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    // The hospice device takes the ending in before it sends: nothing of its goes.
    ada.add_task(patient, "Stale task", Role::HospiceNurse, None, EntrySource::Clinical).await.ok();
    let report = hospice.sync(&ada).await.unwrap();
    assert_eq!(report.shared_letters, 0, "{report:?}");
    ward.sync(&ward.admin).await.unwrap();
    let seen = ward.admin.open_patient(patient).await.unwrap();
    assert!(!seen.record.tasks.iter().any(|t| t.title == "Stale task"));
}

#[tokio::test]
async fn consent_withdrawn_ends_every_share_but_with_the_team_that_recorded_it() {
    Box::pin(consent_withdrawn_story()).await;
}

async fn consent_withdrawn_story() {
    let (ward, mut hospice, mut nurses) = ward_hospice_and_district_nurses().await;
    let patient = harold(&ward.admin).await;
    let ada = hospice.join("Ada Kell", Role::HospiceNurse).await.unwrap();
    let tamsin = nurses.join("Tamsin Rook", Role::DistrictNurse).await.unwrap();
    refer_and_accept((&ward, &ward.admin), (&hospice, &ada), patient, "Rowan Hospice").await;
    refer_and_accept((&hospice, &ada), (&nurses, &tamsin), patient, "Hartsmoor District Nursing").await;

    // Harold tells the ward he no longer wants his record shared with anyone.
    ward.admin.set_consent(patient, false, false).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    hospice.sync(&ada).await.unwrap();
    nurses.sync(&tamsin).await.unwrap();
    assert!(ward.admin.read_only_copy(patient).await.unwrap().is_none(), "the ward keeps its record");
    for ws in [&ada, &tamsin] {
        let why = ws.read_only_copy(patient).await.unwrap().expect("read-only");
        assert!(why.contains("withdrew consent"), "{why}");
    }
    let ended = tamsin.shared_with(patient).await.unwrap();
    assert!(ended.iter().all(|s| s.ended.is_some()), "{ended:?}");
    // Nothing more goes between them.
    let edit =
        MedicineChange { dose: Some("20 mg".into()), frequency: None, route: None, reason: "review".into() };
    let furosemide = ward.admin.open_patient(patient).await.unwrap().record.medicines[0].id.clone();
    ward.admin.change_medicine(patient, &furosemide, edit).await.unwrap();
    assert_eq!(ward.sync(&ward.admin).await.unwrap().shared_letters, 0);
}

/// A letter of the ward's changes that the hospice never took in (counted as held all the
/// same): the ward's next letter builds on it, the hospice cannot take that in, says what
/// it holds, and the ward sends what is missing. Nothing of the ward's is lost for good.
#[tokio::test]
async fn changes_a_partner_never_took_in_go_again_once_it_says_what_it_holds() {
    Box::pin(lost_letter()).await;
}

async fn lost_letter() {
    let (ward, hospice) = ward_and_hospice().await;
    let patient = hedgerow_tests::harold_shared_with_the_hospice(&ward, &hospice, &hospice.admin).await;
    hospice.sync(&hospice.admin).await.unwrap();
    let furosemide = ward.admin.open_patient(patient).await.unwrap().record.medicines[0].id.clone();
    let dose = MedicineChange {
        dose: Some("40 mg".into()),
        frequency: None,
        route: None,
        reason: "kidney function".into(),
    };
    ward.admin.change_medicine(patient, &furosemide, dose).await.unwrap();
    ward.admin.test_count_as_held("Rowan Hospice", patient).await.unwrap();
    let task = "Review syringe driver";
    ward.admin.add_task(patient, task, Role::HospiceNurse, None, EntrySource::Clinical).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    let gap = hospice.sync(&hospice.admin).await.unwrap();
    assert!(gap.rejected.iter().any(|r| r.contains("build on changes this device does not have")), "{gap:?}");
    // The ward hears what the hospice holds, and sends the rest in the same sync.
    ward.sync(&ward.admin).await.unwrap();
    let mended = hospice.sync(&hospice.admin).await.unwrap();
    assert!(mended.rejected.is_empty(), "{:?}", mended.rejected);
    let seen = hospice.admin.open_patient(patient).await.unwrap();
    assert_eq!(seen.record.medicines[0].dose, "40 mg", "the change in the lost letter arrived");
    assert!(seen.record.tasks.iter().any(|t| t.title == task), "and the one built on it");
}
