//! A record shared between teams, synced directly where both devices are present: the ward
//! doctor and the hospice nurse at Harold's bedside, with no signal, hand each other the
//! changes to his record over iroh on loopback; the relay later carries the same letters
//! to the teams' other devices, and nothing is taken in twice.

use hedgerow_core::documents::Role;
use hedgerow_core::documents::patient::EntrySource;
use hedgerow_core::workspace::MedicineChange;
use hedgerow_tests::{
    harold, harold_shared_with_the_hospice, meet_directly, trusting_each_other, ward_and_hospice,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_harolds_bedside_the_ward_and_the_hospice_hand_each_other_their_changes_with_no_relay() {
    Box::pin(bedside()).await;
}

async fn bedside() {
    let (ward, mut hospice) = ward_and_hospice().await;
    let ada = hospice.join("Ada Kell", Role::HospiceNurse).await.unwrap();
    let patient = harold_shared_with_the_hospice(&ward, &hospice, &ada).await;
    hospice.sync(&ada).await.unwrap();

    // No signal in the house: each changes the record on their own device.
    let furosemide = ward.admin.open_patient(patient).await.unwrap().record.medicines[0].id.clone();
    let dose = MedicineChange {
        dose: Some("40 mg".into()),
        frequency: None,
        route: None,
        reason: "kidney function falling".into(),
    };
    ward.admin.change_medicine(patient, &furosemide, dose).await.unwrap();
    let task = "Review syringe driver";
    ada.add_task(patient, task, Role::HospiceNurse, None, EntrySource::Clinical).await.unwrap();

    let (dialled, heard) = meet_directly(&ada, &ward.admin).await;
    let dialled = dialled.unwrap();
    assert_eq!(dialled.partner_team.as_deref(), Some("Rowan Hospice"));
    assert!(dialled.letters_sent >= 1 && dialled.letters_received >= 1, "{dialled:?}");
    assert!(dialled.left_out.is_empty(), "{:?}", dialled.left_out);
    assert_eq!(dialled.documents_synced, 0, "no document crosses but in a letter");
    let [Ok(listened)] = heard.as_slice() else { panic!("{heard:?}") };
    assert_eq!(listened.partner_team.as_deref(), Some("Ward 7, Hartsmoor General"));
    assert_eq!(
        (listened.letters_sent, listened.letters_received),
        (dialled.letters_received, dialled.letters_sent),
        "every letter handed over was taken in"
    );
    assert!(listened.left_out.is_empty(), "{:?}", listened.left_out);
    for ws in [&ward.admin, &ada] {
        let seen = ws.open_patient(patient).await.unwrap();
        assert_eq!(seen.record.medicines[0].dose, "40 mg", "{}", ws.identity().name);
        assert!(seen.record.tasks.iter().any(|t| t.title == task), "{}", ws.identity().name);
    }
    let audit = ward.admin.audit_log(Some(patient)).await.unwrap();
    assert!(
        audit.iter().any(|e| e.detail.contains("from Rowan Hospice by Ada Kell of Rowan Hospice")),
        "{audit:?}"
    );
    let exchanges = ward.admin.audit_log(None).await.unwrap();
    assert!(
        exchanges
            .iter()
            .any(|e| e.detail.starts_with("handed letters directly to a device of Rowan Hospice"))
    );

    // Back in signal: the relay carries the same letters on to the hospice's other device,
    // and neither device takes in again what it already had.
    let before = ada.audit_log(Some(patient)).await.unwrap().len();
    ward.sync(&ward.admin).await.unwrap();
    let back = hospice.sync(&ada).await.unwrap();
    assert!(back.rejected.is_empty(), "{:?}", back.rejected);
    assert!(back.letters_received >= 1, "the relay's copies came too: {back:?}");
    hospice.sync(&hospice.admin).await.unwrap();
    let maren = hospice.admin.open_patient(patient).await.unwrap();
    assert_eq!(maren.record.medicines[0].dose, "40 mg");
    hospice.sync(&ada).await.unwrap();
    let took_again = ada.audit_log(Some(patient)).await.unwrap()[before..]
        .iter()
        .filter(|e| e.detail.starts_with("took in"))
        .count();
    assert_eq!(took_again, 0, "the relay's copy of what came by hand changed nothing");

    // Meeting again with nothing new: nothing to hand over.
    let (again, _) = meet_directly(&ada, &ward.admin).await;
    let again = again.unwrap();
    assert_eq!((again.letters_sent, again.letters_received), (0, 0), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_whose_team_shares_nothing_with_the_listener_is_refused_and_learns_nothing() {
    let (ward, hospice) = ward_and_hospice().await;
    let practice = ward.beside("Fellbrook Surgery", "Dr Aled Morrow", Role::Gp).await.unwrap();
    // The practice trusts the hospice, not the ward; it dials the ward's device.
    trusting_each_other(&practice, &hospice).await;
    harold(&ward.admin).await;
    let (dialled, heard) = meet_directly(&ward.admin, &practice.admin).await;
    let err = dialled.expect_err("refused");
    assert!(err.to_string().contains("shares no records"), "{err}");
    let [Err(refused)] = heard.as_slice() else { panic!("{heard:?}") };
    assert!(refused.to_string().contains("not one this team shares records with"), "{refused}");
    assert!(practice.admin.caseload().await.unwrap().is_empty());
    assert!(practice.admin.referrals().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_built_on_letters_still_at_the_relay_is_handed_over_with_them() {
    Box::pin(built_on_letters_at_the_relay()).await;
}

async fn built_on_letters_at_the_relay() {
    // The hospice accepts; the ward takes the answer in and sends its next changes to the
    // relay, which the hospice's device has not synced with since.
    let (ward, hospice) = ward_and_hospice().await;
    let patient = harold_shared_with_the_hospice(&ward, &hospice, &hospice.admin).await;
    let task = "Bring the syringe driver";
    ward.admin.add_task(patient, task, Role::HospiceNurse, None, EntrySource::Clinical).await.unwrap();

    // By hand, the ward's device writes what the hospice's says it lacks, letters at the
    // relay or not.
    let (dialled, heard) = meet_directly(&hospice.admin, &ward.admin).await;
    assert!(dialled.unwrap().left_out.is_empty());
    let [Ok(listened)] = heard.as_slice() else { panic!("{heard:?}") };
    assert!(listened.left_out.is_empty(), "{:?}", listened.left_out);
    let seen = hospice.admin.open_patient(patient).await.unwrap();
    assert!(seen.record.tasks.iter().any(|t| t.title == task), "the task came by hand");
    // The relay's copies, after, change nothing and are not flagged.
    let later = hospice.sync(&hospice.admin).await.unwrap();
    assert!(later.letters_received >= 1, "a letter was waiting at the relay: {later:?}");
    assert!(later.rejected.is_empty(), "{:?}", later.rejected);
}
