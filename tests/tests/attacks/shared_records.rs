//! Attacks on a record shared between teams, by a device of the partner team running
//! modified software: changes to a patient of the ward's it was never shared, changes
//! that reach another patient's record under a shared patient's name, and changes to a
//! record after the ward ended the share; and a hospice device its team revoked, handing
//! its changes to a ward device directly.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use hedgerow_core::documents::patient::EntrySource;
use hedgerow_core::documents::{DocumentKind, Role};
use hedgerow_core::ids::PatientId;
use hedgerow_core::sync::heads::ActorHead;
use hedgerow_tests::{MemoryTeam, meet_directly, ward_and_hospice};

/// Edith (fictional), on the ward and never referred.
async fn edith(ward: &MemoryTeam) -> PatientId {
    let edith = hedgerow_core::NewPatient {
        nhs_number: "9434765870".parse().unwrap(),
        name: "Edith Brannock".into(),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1938, 6, 2).unwrap(),
        address: None,
    };
    ward.admin.add_patient(edith).await.unwrap().id
}

/// Harold, referred by the ward and accepted by the hospice: shared.
async fn harold_shared(ward: &MemoryTeam, hospice: &MemoryTeam) -> PatientId {
    hedgerow_tests::harold_shared_with_the_hospice(ward, hospice, &hospice.admin).await
}

/// A change of the hospice device's own to document `id`, signed as its own: it checks
/// against the hospice's registry, so only what it reaches stops it.
fn forged_change(hospice: &MemoryTeam, id: [u8; 16]) -> (Vec<u8>, Vec<ActorHead>) {
    let actor: [u8; 16] = hex::decode(&hospice.admin.identity().actor_id).unwrap().try_into().unwrap();
    let mut doc = AutoCommit::new().with_actor(ActorId::from(actor.as_slice()));
    doc.put(ROOT, "name", "Mallory").unwrap();
    doc.commit();
    let hash = doc.get_heads()[0].0;
    let key = hospice.admin.test_device_key();
    let head = ActorHead::sign(&key, &hospice.team_id(), &id, actor, 1, hash);
    (doc.save(), vec![head])
}

async fn rejected_at_the_ward(ward: &MemoryTeam, hospice: &MemoryTeam) -> Vec<String> {
    hospice.sync(&hospice.admin).await.unwrap();
    ward.sync(&ward.admin).await.unwrap().rejected
}

#[tokio::test]
async fn a_partner_cannot_write_a_record_the_ward_never_shared_with_it() {
    let (ward, hospice) = ward_and_hospice().await;
    harold_shared(&ward, &hospice).await;
    let edith = edith(&ward).await;
    let (changes, heads) = forged_change(&hospice, edith.0);
    let docs = vec![(edith.0, DocumentKind::Patient, changes, heads)];
    hospice.admin.test_post_changes("Ward 7, Hartsmoor General", edith, docs).await.unwrap();
    let rejected = rejected_at_the_ward(&ward, &hospice).await;
    assert!(rejected.iter().any(|r| r.contains("does not share")), "{rejected:?}");
    assert_eq!(ward.admin.open_patient(edith).await.unwrap().record.demographics.name, "Edith Brannock");
}

#[tokio::test]
async fn a_partner_cannot_reach_another_patients_record_under_a_shared_patients_name() {
    let (ward, hospice) = ward_and_hospice().await;
    let harold = harold_shared(&ward, &hospice).await;
    let edith = edith(&ward).await;
    let (changes, heads) = forged_change(&hospice, edith.0);
    let docs = vec![(edith.0, DocumentKind::Patient, changes, heads)];
    hospice.admin.test_post_changes("Ward 7, Hartsmoor General", harold, docs).await.unwrap();
    let rejected = rejected_at_the_ward(&ward, &hospice).await;
    assert!(rejected.iter().any(|r| r.contains("another patient")), "{rejected:?}");
    let after = ward.admin.open_patient(edith).await.unwrap();
    assert_eq!(after.record.demographics.name, "Edith Brannock");
    assert!(after.conflicts.is_empty());
}

#[tokio::test]
async fn a_partner_whose_share_ended_cannot_write_the_record_any_more() {
    let (ward, hospice) = ward_and_hospice().await;
    let harold = harold_shared(&ward, &hospice).await;
    ward.admin.end_share(harold, "Rowan Hospice", "consent withdrawn").await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    hospice.sync(&hospice.admin).await.unwrap();
    // The hospice's copy is read-only; modified software writes anyway.
    let (changes, heads) = forged_change(&hospice, harold.0);
    let docs = vec![(harold.0, DocumentKind::Patient, changes, heads)];
    hospice.admin.test_post_changes("Ward 7, Hartsmoor General", harold, docs).await.unwrap();
    // Left out as a letter still in flight when the share ended would be, and audited.
    rejected_at_the_ward(&ward, &hospice).await;
    let after = ward.admin.open_patient(harold).await.unwrap();
    assert_eq!(after.record.demographics.name, "Harold Pennick");
    assert!(after.conflicts.is_empty());
    let audit = ward.admin.audit_log(Some(harold)).await.unwrap();
    assert!(audit.iter().any(|e| e.detail.contains("arrived after the share had ended")), "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_hospice_device_cannot_hand_its_changes_to_the_ward_at_the_bedside() {
    Box::pin(revoked_at_the_bedside()).await;
}

async fn revoked_at_the_bedside() {
    let (ward, mut hospice) = ward_and_hospice().await;
    let ada = hospice.join("Ada Kell", Role::HospiceNurse).await.unwrap();
    let harold = harold_shared(&ward, &hospice).await;
    hospice.sync(&ada).await.unwrap();
    // Ada's tablet is lost; the hospice revokes it. The ward learns the hospice's newer
    // registry with the next changes from the hospice.
    hospice.admin.revoke_device(&ada.identity().device_id.to_hex(), "tablet lost").await.unwrap();
    hospice.sync(&hospice.admin).await.unwrap();
    let check = "Check pressure areas";
    hospice.admin.add_task(harold, check, Role::HospiceNurse, None, EntrySource::Clinical).await.unwrap();
    hospice.sync(&hospice.admin).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    // Whoever has the tablet (never synced since) writes and dials the ward's device: its
    // letters carry the registry it last knew, which still names it.
    let forged = "Stop all medicines";
    ada.add_task(harold, forged, Role::HospiceNurse, None, EntrySource::Clinical).await.unwrap();
    let (dialled, heard) = meet_directly(&ward.admin, &ada).await;
    assert!(dialled.is_err(), "{dialled:?}");
    let [Err(refused)] = heard.as_slice() else { panic!("{heard:?}") };
    assert!(refused.to_string().contains("has since revoked"), "{refused}");
    let after = ward.admin.open_patient(harold).await.unwrap();
    assert!(after.record.tasks.iter().any(|t| t.title == check));
    assert!(
        !after.record.tasks.iter().any(|t| t.title == forged),
        "the revoked device's change was taken in"
    );
}

/// A device of a third team dials the ward's device naming the hospice's team, with the
/// hospice's own registry (which letters carry): the ward says nothing of itself or of what
/// it holds of Harold.
#[tokio::test]
async fn a_device_naming_a_partner_team_it_is_not_of_learns_nothing_of_the_shared_records() {
    use hedgerow_core::sync::partner::{PartnerEvent, PartnerSession, Side};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (ward, hospice) = ward_and_hospice().await;
    harold_shared(&ward, &hospice).await;
    let practice = ward.beside("Fellbrook Surgery", "Dr Aled Morrow", Role::Gp).await.unwrap();
    let borrowed = hospice.admin.test_registry().await.unwrap().statements().to_vec();
    let (near, far) = tokio::io::duplex(1 << 20);
    let ((mut r, mut w), (lr, lw)) = (tokio::io::split(near), tokio::io::split(far));
    // The transport authenticates the practice's device: that is who dials.
    let listening =
        ward.admin.exchange_letters_stream(practice.admin.device_public_key(), Side::Listener, lr, lw);
    let dialling = async move {
        let mut session = PartnerSession::new(hospice.team_id(), borrowed, Side::Dialler);
        let (mut heard, mut buf) = (Vec::new(), vec![0u8; 64 * 1024]);
        let outcome = loop {
            while let Some(f) = session.poll_transmit() {
                w.write_all(&f).await.unwrap();
            }
            while let Some(ev) = session.poll_event() {
                heard.push(ev);
            }
            let n = r.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break Ok(());
            }
            if let Err(e) = session.handle_input(&buf[..n]) {
                break Err(e);
            }
        };
        while let Some(ev) = session.poll_event() {
            heard.push(ev);
        }
        (heard, outcome)
    };
    let (listened, (heard, outcome)) = tokio::join!(Box::pin(listening), dialling);
    let refused = listened.expect_err("refused");
    assert!(refused.to_string().contains("is not a device of Rowan Hospice"), "{refused}");
    assert!(outcome.is_err(), "told to go: {outcome:?}");
    assert!(
        !heard.iter().any(|e| matches!(e, PartnerEvent::Hello { .. } | PartnerEvent::Holding { .. })),
        "the ward said who it is or what it holds: {heard:?}"
    );
}
