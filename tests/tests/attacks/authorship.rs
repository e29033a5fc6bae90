//! Writing in a colleague's name, taking their next change number, sending a change that
//! leaves the record unreadable, and importing a document no one of the team signed.

use super::{now, patient_name, winifred};
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT, ReadDoc};
use hedgerow_core::Error;
use hedgerow_core::documents::Role;
use hedgerow_core::ids::PatientId;
use hedgerow_core::sync::bundle::{BundleBody, seal_bundle};
use hedgerow_core::sync::heads::ActorHead;
use hedgerow_core::sync::wire::{Reply, Request};
use hedgerow_core::workspace::{NewProblem, SignedExport};
use hedgerow_core::{NewClinician, NewPatient, Workspace};
use hedgerow_tests::{MemoryTeam, PASSPHRASE, RawConnection, hello, refusal_of};

fn actor_of(ws: &Workspace) -> [u8; 16] {
    hex::decode(&ws.identity().actor_id).unwrap().try_into().unwrap()
}

/// The record as `ws` holds it, and its signed heads.
async fn record_copy(ws: &Workspace, p: PatientId) -> (AutoCommit, Vec<ActorHead>) {
    let export = SignedExport::parse(&ws.export_patient_document(p).await.unwrap()).unwrap().unwrap();
    (AutoCommit::load(&export.document).unwrap(), export.heads)
}

/// One change to the record's demographics, written as `actor`.
fn edit_demographics(
    doc: &AutoCommit,
    actor: [u8; 16],
    field: &str,
    value: &str,
) -> (AutoCommit, u64, [u8; 32]) {
    let base = doc.clone().get_heads();
    let mut forged = doc.clone().with_actor(ActorId::from(actor.as_slice()));
    let (_, demographics) = forged.get(ROOT, "demographics").unwrap().unwrap();
    forged.put(&demographics, field, value).unwrap();
    forged.commit();
    let change = forged.get_changes(&base).into_iter().next().unwrap().clone();
    (forged, change.seq(), change.hash().0)
}

async fn push_changes(
    team: &MemoryTeam,
    from: &Workspace,
    p: PatientId,
    changes: Vec<u8>,
    heads: Vec<ActorHead>,
) -> Vec<Reply> {
    let ring = from.test_keyring().await.unwrap().unwrap();
    let body = BundleBody { document: p.0, kind: "patient".into(), changes, heads };
    let entry = seal_bundle(&from.test_device_key(), &team.team_id(), &ring, &body, false).unwrap();
    let mut conn = RawConnection::open(&team.relay, from.device_public_key(), now());
    conn.send(&[hello(team.team_id()), Request::Push { entries: vec![entry] }]).await
}

#[tokio::test]
async fn a_change_in_a_colleagues_name_is_refused_and_their_own_next_edit_lands() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let p = winifred(&team.admin).await;
    let rogue = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    let reader = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();

    // The rogue writes under the nurse's actor, at the nurse's next number, and signs the
    // head with its own key: were it taken, the nurse's genuine next edit would be refused
    // everywhere as a duplicate.
    let (copy, heads) = record_copy(&rogue, p).await;
    let victim = actor_of(&team.admin);
    let (forged, seq, hash) = edit_demographics(&copy, victim, "name", "Winifred Forged");
    let fake = ActorHead::sign(&rogue.test_device_key(), &team.team_id(), &p.0, victim, seq, hash);
    let mut forged = forged;
    let changes = forged.save_after(&copy.clone().get_heads());
    let all_heads = heads.into_iter().chain([fake]).collect();
    assert_eq!(refusal_of(&push_changes(&team, &rogue, p, changes, all_heads).await), None);

    let report = team.sync(&reader).await.unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(report.rejected[0].contains("not signed by that actor's device"), "{report:?}");
    assert_eq!(patient_name(&reader, p).await, "Winifred Ashdown");

    // The nurse's own next edit, offline all along, reaches the GP.
    team.admin
        .add_problem(p, NewProblem { title: "Leg ulcer, left".into(), ..Default::default() })
        .await
        .unwrap();
    team.sync(&team.admin).await.unwrap();
    let report = team.sync(&reader).await.unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    let record = reader.open_patient(p).await.unwrap().record;
    assert!(record.care_plan.iter().any(|c| c.title == "Leg ulcer, left"));
    assert_eq!(record.demographics.name, "Winifred Ashdown");
}

#[tokio::test]
async fn a_bundle_that_leaves_the_record_unreadable_is_not_committed() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let p = winifred(&team.admin).await;
    let rogue = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    let reader = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let before = reader.document_heads(p.0, hedgerow_core::documents::DocumentKind::Patient).await.unwrap();

    // Signed properly, by the rogue as itself: an NHS number that fails its check digit,
    // so the record no longer reads.
    let (copy, _) = record_copy(&rogue, p).await;
    let actor = actor_of(&rogue);
    let (mut broken, seq, hash) = edit_demographics(&copy, actor, "nhs_number", "9990001234");
    let head = ActorHead::sign(&rogue.test_device_key(), &team.team_id(), &p.0, actor, seq, hash);
    let changes = broken.save_after(&copy.clone().get_heads());
    assert_eq!(refusal_of(&push_changes(&team, &rogue, p, changes, vec![head]).await), None);

    let report = team.sync(&reader).await.unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert_eq!(
        reader.document_heads(p.0, hedgerow_core::documents::DocumentKind::Patient).await.unwrap(),
        before
    );
    assert_eq!(reader.open_patient(p).await.unwrap().record.demographics.nhs_number, "9990001235");
    // And the record keeps syncing.
    team.admin.add_problem(p, NewProblem { title: "Falls risk".into(), ..Default::default() }).await.unwrap();
    team.sync(&team.admin).await.unwrap();
    team.sync(&reader).await.unwrap();
    assert!(reader.open_patient(p).await.unwrap().record.care_plan.iter().any(|c| c.title == "Falls risk"));
}

/// A record a rogue member made on its own device, never synced: new to everyone else, so
/// it reaches them through the bulk path of a sync.
async fn rogue_record(rogue: &Workspace) -> (PatientId, AutoCommit, Vec<ActorHead>) {
    let p = rogue
        .add_patient(NewPatient {
            nhs_number: "9434765919".parse().unwrap(),
            name: "Edith Marrow".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1931, 2, 3).unwrap(),
            address: None,
        })
        .await
        .unwrap()
        .id;
    let (doc, heads) = record_copy(rogue, p).await;
    (p, doc, heads)
}

#[tokio::test]
async fn a_new_record_sent_with_bytes_that_do_not_parse_is_refused_not_stored() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let rogue = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    let reader = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let (p, mut doc, heads) = rogue_record(&rogue).await;

    // The record, properly signed, with bytes after it that are no Automerge chunk. Loaded
    // in part they would read; stored as they came, the record would never open again.
    let mut changes = doc.save();
    changes.extend_from_slice(b"\x85\x6f\x4a\x83 not a chunk");
    assert_eq!(refusal_of(&push_changes(&team, &rogue, p, changes, heads).await), None);

    let report = team.sync(&reader).await.unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(report.rejected[0].contains("do not load"), "{report:?}");
    let kind = hedgerow_core::documents::DocumentKind::Patient;
    assert_eq!(reader.document_heads(p.0, kind).await.unwrap(), None, "nothing of it was stored");
    // What the rogue's device pushes itself, whole, is taken in and opens.
    team.sync(&rogue).await.unwrap();
    team.sync(&reader).await.unwrap();
    assert_eq!(patient_name(&reader, p).await, "Edith Marrow");
}

#[tokio::test]
async fn a_new_record_in_a_colleagues_name_is_refused_though_it_comes_in_bulk() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let rogue = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    let reader = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let (p, doc, heads) = rogue_record(&rogue).await;

    // A change under the nurse's actor on a record only the rogue has, its head signed with
    // the rogue's own key.
    let victim = actor_of(&team.admin);
    let (mut forged, seq, hash) = edit_demographics(&doc, victim, "name", "Edith Forged");
    let fake = ActorHead::sign(&rogue.test_device_key(), &team.team_id(), &p.0, victim, seq, hash);
    let changes = forged.save();
    let all_heads = heads.into_iter().chain([fake]).collect();
    assert_eq!(refusal_of(&push_changes(&team, &rogue, p, changes, all_heads).await), None);

    let report = team.sync(&reader).await.unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(report.rejected[0].contains("not signed by that actor's device"), "{report:?}");
    assert_eq!(report.new_documents, 0, "{report:?}");
    let kind = hedgerow_core::documents::DocumentKind::Patient;
    assert_eq!(reader.document_heads(p.0, kind).await.unwrap(), None);
}

#[tokio::test]
async fn an_unsigned_document_import_is_refused_and_one_taken_for_review_never_syncs() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let reader = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    // A record made on a device outside the team.
    let dir = tempfile::tempdir().unwrap();
    let outsider = Workspace::create(
        dir.path(),
        PASSPHRASE,
        NewClinician { name: "Ffion Carrow".into(), role: Role::DistrictNurse, registration: None },
        None,
    )
    .await
    .unwrap();
    let p = outsider
        .add_patient(NewPatient {
            nhs_number: "9990000018".parse().unwrap(),
            name: "Albert Penrose".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1931, 2, 3).unwrap(),
            address: None,
        })
        .await
        .unwrap()
        .id;
    let signed = outsider.export_patient_document(p).await.unwrap();
    let bare = SignedExport::parse(&signed).unwrap().unwrap().document;
    // Claiming to be this team's export, with no heads.
    let posing = SignedExport { team: team.team_id(), document: bare.clone(), heads: vec![] }.to_bytes();
    for bytes in [&signed, &bare, &posing] {
        assert!(matches!(team.admin.merge_document(bytes, true, None).await, Err(Error::Unauthenticated(_))));
    }
    assert!(team.admin.open_patient(p).await.is_err(), "nothing was taken in");

    // Taken in with a reason: held here, flagged, and never passed on.
    let report = team
        .admin
        .merge_document(&bare, true, Some("paper record scanned at the GP practice"))
        .await
        .unwrap();
    assert!(report.held_for_review);
    assert_eq!(patient_name(&team.admin, p).await, "Albert Penrose");
    team.sync(&team.admin).await.unwrap();
    team.sync(&reader).await.unwrap();
    assert!(reader.open_patient(p).await.is_err(), "a held record reached another device");
    // A copy of a record the team already shares, changed outside the team, is not taken
    // in even with a reason: held, the shared record would stop syncing.
    let shared = super::winifred(&team.admin).await;
    team.sync(&team.admin).await.unwrap();
    outsider
        .merge_document(&team.admin.export_patient_document(shared).await.unwrap(), true, Some("copy"))
        .await
        .unwrap();
    outsider
        .add_problem(shared, NewProblem { title: "Changed outside the team".into(), ..Default::default() })
        .await
        .unwrap();
    let changed = outsider.export_patient_document(shared).await.unwrap();
    let err = team.admin.merge_document(&changed, false, Some("a colleague sent it")).await.unwrap_err();
    assert!(err.to_string().contains("already shared with your team"), "{err}");
    team.sync(&team.admin).await.unwrap();
    let report = team.sync(&reader).await.unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    let audit = team.admin.audit_log(None).await.unwrap();
    assert!(audit.iter().any(|e| e.flagged && e.detail.contains("paper record scanned")), "{audit:?}");
}

#[tokio::test]
async fn a_record_held_for_review_does_not_stop_a_direct_sync() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let gp = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let p = winifred(&team.admin).await;
    // The GP takes in a bare copy of the record (no signatures) before syncing it: held.
    let signed = team.admin.export_patient_document(p).await.unwrap();
    let bare = SignedExport::parse(&signed).unwrap().unwrap().document;
    assert!(gp.merge_document(&bare, true, Some("sent by email")).await.unwrap().held_for_review);
    team.admin
        .add_problem(p, NewProblem { title: "Leg ulcer, left".into(), ..Default::default() })
        .await
        .unwrap();
    let other = team
        .admin
        .add_patient(NewPatient {
            nhs_number: "9990000018".parse().unwrap(),
            name: "Albert Penrose".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1931, 2, 3).unwrap(),
            address: None,
        })
        .await
        .unwrap()
        .id;

    let (x, y) = tokio::io::duplex(64 * 1024);
    let (xr, xw) = tokio::io::split(x);
    let (yr, yw) = tokio::io::split(y);
    let (a, b) = tokio::join!(
        team.admin.sync_with_peer_stream(gp.device_public_key(), xr, xw),
        gp.sync_with_peer_stream(team.admin.device_public_key(), yr, yw)
    );
    a.unwrap();
    b.unwrap();
    // The rest synced; the held record was left as it was.
    assert_eq!(patient_name(&gp, other).await, "Albert Penrose");
    assert!(!gp.open_patient(p).await.unwrap().record.care_plan.iter().any(|c| c.title == "Leg ulcer, left"));
}

#[tokio::test]
async fn a_change_whose_note_names_a_colleague_is_shown_as_its_real_authors() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let p = winifred(&team.admin).await;
    let rogue = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    let reader = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    // Written and signed by the rogue's own device, with a note saying the nurse wrote it.
    let (copy, _) = record_copy(&rogue, p).await;
    let actor = actor_of(&rogue);
    let mut changed = copy.clone().with_actor(ActorId::from(actor.as_slice()));
    let (_, demographics) = changed.get(ROOT, "demographics").unwrap().unwrap();
    changed.put(&demographics, "name", "Winifred Ashdown-Carrow").unwrap();
    let note = hedgerow_core::documents::ChangeNote {
        action: "update details".into(),
        by: team.admin.identity().clinician_ref(),
        device: team.admin.identity().device_id.to_hex(),
    };
    changed.commit_with(
        automerge::transaction::CommitOptions::default()
            .with_message(note.to_message())
            .with_time(chrono::Utc::now().timestamp() + 5),
    );
    let base = copy.clone().get_heads();
    let change = changed.get_changes(&base).into_iter().next().unwrap().clone();
    let head = ActorHead::sign(
        &rogue.test_device_key(),
        &team.team_id(),
        &p.0,
        actor,
        change.seq(),
        change.hash().0,
    );
    let bytes = changed.save_after(&base);
    assert_eq!(refusal_of(&push_changes(&team, &rogue, p, bytes, vec![head]).await), None);
    team.sync(&reader).await.unwrap();

    let history = reader.field_history(p, "demographics/name").await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.value, "Winifred Ashdown-Carrow");
    assert_eq!(last.by.as_ref().unwrap().name, "Ffion Carrow", "{last:?}");
    assert!(last.verified);
    assert_eq!(last.claimed_by.as_ref().unwrap().name, "Nia Penhallow");
    let changes = reader.record_history(p).await.unwrap();
    assert_eq!(changes[0].by.as_ref().unwrap().name, "Ffion Carrow", "{:?}", changes[0]);
}
