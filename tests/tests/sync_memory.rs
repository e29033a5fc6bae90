//! The sync protocol run in memory, flight by flight, with no sockets: round trips and
//! bytes counted exactly, and the relay's log pruned by snapshots.

use hedgerow_core::documents::{DocumentKind, Role};
use hedgerow_core::workspace::NewProblem;
use hedgerow_core::{NewClinician, NewPatient, Workspace};
use hedgerow_relay::{RelayState, RelayStorage, SqliteRelayStorage};
use hedgerow_tests::MemoryLink;
use hedgerow_tests::PASSPHRASE;
use std::sync::Arc;
use tempfile::TempDir;

struct Team {
    _dirs: Vec<TempDir>,
    relay: Arc<RelayState<SqliteRelayStorage>>,
    nurse: Workspace,
    gp: Workspace,
}

fn clinician(name: &str, role: Role) -> NewClinician {
    NewClinician { name: name.into(), role, registration: None }
}

async fn team() -> Team {
    let (rd, nd, gd) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let relay = Arc::new(RelayState::new(SqliteRelayStorage::open(rd.path()).await.unwrap()));
    let nurse =
        Workspace::create(nd.path(), PASSPHRASE, clinician("Nia Penhallow", Role::DistrictNurse), None)
            .await
            .unwrap();
    nurse.create_team("Hartsmoor District Nursing").await.unwrap();
    let invite = nurse.invite_device(false, chrono::Duration::hours(1)).await.unwrap();
    nurse.sync_via(&mut MemoryLink::new(relay.clone()), |_| {}).await.unwrap();
    let gp = Workspace::join_via(
        gd.path(),
        PASSPHRASE,
        clinician("Dr Tomasz Orrell", Role::Gp),
        "laptop",
        &invite.code,
        &mut MemoryLink::new(relay.clone()),
    )
    .await
    .unwrap();
    gp.sync_via(&mut MemoryLink::new(relay.clone()), |_| {}).await.unwrap();
    nurse.sync_via(&mut MemoryLink::new(relay.clone()), |_| {}).await.unwrap();
    Team { _dirs: vec![rd, nd, gd], relay, nurse, gp }
}

async fn add_patients(ws: &Workspace, n: usize) -> Vec<hedgerow_core::ids::PatientId> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            ws.add_patient(NewPatient {
                nhs_number: hedgerow_tests::fictional_nhs_number(i).parse().unwrap(),
                name: format!("Fictional Patient {i}"),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap(),
                address: None,
            })
            .await
            .unwrap()
            .id,
        );
    }
    out
}

#[tokio::test]
async fn a_sync_with_nothing_new_is_one_small_round_trip() {
    let t = team().await;
    add_patients(&t.nurse, 60).await;
    let mut link = MemoryLink::new(t.relay.clone());
    let first = t.nurse.sync_via(&mut link, |_| {}).await.unwrap();
    assert_eq!(first.bundles_pushed, 61, "60 records and the team document: {first:?}");
    assert_eq!(link.stats.round_trips, 2, "pull, then push");

    let mut link = MemoryLink::new(t.relay.clone());
    let r = t.gp.sync_via(&mut link, |_| {}).await.unwrap();
    assert_eq!(r.bundles_received, 61);
    assert_eq!(link.stats.round_trips, 1, "everything new comes in answer to one request");
    assert_eq!(t.gp.caseload().await.unwrap().len(), 60);

    for ws in [&t.nurse, &t.gp] {
        let mut link = MemoryLink::new(t.relay.clone());
        let r = ws.sync_via(&mut link, |_| {}).await.unwrap();
        assert_eq!((r.bundles_received, r.bundles_pushed), (0, 0));
        assert_eq!(link.stats.round_trips, 1, "{:?}", link.stats);
        assert!(link.stats.bytes_up < 1024 && link.stats.bytes_down < 1024, "{:?}", link.stats);
    }
}

#[tokio::test]
async fn snapshots_let_the_relay_drop_old_bundles_and_late_devices_still_get_everything() {
    let t = team().await;
    let p = add_patients(&t.nurse, 1).await[0];
    for i in 0..80 {
        t.nurse
            .add_problem(p, NewProblem { title: format!("Plan item {i}"), ..Default::default() })
            .await
            .unwrap();
        t.nurse.sync_via(&mut MemoryLink::new(t.relay.clone()), |_| {}).await.unwrap();
    }
    let team_id = t.nurse.identity().team_id.0;
    let log = t.relay.storage().entries_after(team_id, 0, [0; 32], usize::MAX).await.unwrap().entries;
    assert!(log.len() < 50, "80 pushes of one record, but {} entries kept after snapshots", log.len());
    assert!(log.iter().any(|(_, e)| matches!(e.kind, hedgerow_core::sync::wire::EntryKind::Snapshot { .. })));

    // The GP's device was away the whole time: it gets the record whole.
    t.gp.sync_via(&mut MemoryLink::new(t.relay.clone()), |_| {}).await.unwrap();
    let record = t.gp.open_patient(p).await.unwrap().record;
    assert_eq!(record.care_plan.len(), 80);
    assert_eq!(
        t.gp.document_heads(p.0, DocumentKind::Patient).await.unwrap(),
        t.nurse.document_heads(p.0, DocumentKind::Patient).await.unwrap()
    );
}

#[tokio::test]
async fn a_conflict_on_a_cpr_decision_reaches_every_device_the_same() {
    use hedgerow_core::documents::patient::CprRecommendation;
    let t = team().await;
    let p = add_patients(&t.nurse, 1).await[0];
    t.nurse.sync_via(&mut MemoryLink::new(t.relay.clone()), |_| {}).await.unwrap();
    t.gp.sync_via(&mut MemoryLink::new(t.relay.clone()), |_| {}).await.unwrap();
    // Both decide with no signal, differently.
    t.nurse
        .set_cpr(p, CprRecommendation::AttemptCpr, Some("patient".into()), "clinical judgement")
        .await
        .unwrap();
    t.gp.set_cpr(
        p,
        CprRecommendation::DoNotAttemptCpr,
        Some("patient and daughter".into()),
        "clinical judgement",
    )
    .await
    .unwrap();
    for ws in [&t.nurse, &t.gp, &t.nurse] {
        ws.sync_via(&mut MemoryLink::new(t.relay.clone()), |_| {}).await.unwrap();
    }
    let (a, b) = (t.nurse.conflicts(p).await.unwrap(), t.gp.conflicts(p).await.unwrap());
    assert!(!a.is_empty(), "the disagreement is shown, not hidden");
    assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::to_value(&b).unwrap());
}
