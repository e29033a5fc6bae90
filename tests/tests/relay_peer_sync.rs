//! Direct sync between team devices over iroh on loopback, with no relay in the path.

mod common;

use common::{address, enrol, founder, relay, winifred};
use hedgerow_core::documents::{DocumentKind, Role};
use hedgerow_core::ids::PatientId;
use hedgerow_core::workspace::{NewProblem, PeerReport};
use hedgerow_core::{Error, Workspace};
use hedgerow_tests::meet_directly;

async fn record(ws: &Workspace, p: PatientId) -> serde_json::Value {
    serde_json::to_value(ws.open_patient(p).await.unwrap().document).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_sync_directly_and_a_third_gets_everything_from_one() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = relay(tmp.path());
    let addr = address(&relay);
    let nurse = founder(&relay, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &relay, "Dr Tomasz Orrell", Role::Gp).await;
    let hospice = enrol(&nurse, &relay, "Bryony Tregear", Role::HospiceNurse).await;
    let p = winifred(&nurse.ws).await;
    for d in [&nurse, &gp, &hospice, &nurse] {
        d.ws.sync(&addr, |_| {}).await.unwrap();
    }
    drop(relay); // from here on, no relay: the care home has no signal

    // Both edit the same plan and write their own visit notes.
    nurse
        .ws
        .add_problem(p, NewProblem { title: "Pressure area care".into(), ..Default::default() })
        .await
        .unwrap();
    gp.ws
        .add_problem(p, NewProblem { title: "Review analgesia".into(), ..Default::default() })
        .await
        .unwrap();
    let nurse_visit = nurse.ws.start_visit(p).await.unwrap();
    nurse.ws.add_note(nurse_visit, "Heels intact; repositioning chart in place.").await.unwrap();
    let gp_visit = gp.ws.start_visit(p).await.unwrap();
    gp.ws.add_note(gp_visit, "Pain controlled on current regime.").await.unwrap();

    let (dialed, heard) = meet_directly(&gp.ws, &nurse.ws).await;
    let dialed = dialed.unwrap();
    assert!(dialed.documents_synced >= 3, "{dialed:?}");
    assert_eq!(dialed.records_changed, vec![p], "the GP's plan edit and visit concern Winifred only");
    assert_eq!(heard.len(), 1);
    heard.into_iter().next().unwrap().unwrap();
    assert_eq!(record(&nurse.ws, p).await, record(&gp.ws, p).await);
    for v in [nurse_visit, gp_visit] {
        assert_eq!(
            nurse.ws.open_visit(v).await.unwrap().narrative,
            gp.ws.open_visit(v).await.unwrap().narrative
        );
    }
    let titles = record(&gp.ws, p).await["care_plan"].as_object().unwrap().len();
    assert_eq!(titles, 2);

    // The hospice nurse meets only the GP, and gets the nurse's work too.
    let (r, _) = meet_directly(&gp.ws, &hospice.ws).await;
    r.unwrap();
    assert_eq!(record(&hospice.ws, p).await, record(&nurse.ws, p).await);
    assert_eq!(
        hospice.ws.open_visit(nurse_visit).await.unwrap().narrative,
        "Heels intact; repositioning chart in place."
    );
    for id in [p.0, nurse_visit.0, gp_visit.0] {
        let kind = if id == p.0 { DocumentKind::Patient } else { DocumentKind::Visit };
        assert_eq!(
            hospice.ws.document_heads(id, kind).await.unwrap(),
            nurse.ws.document_heads(id, kind).await.unwrap()
        );
    }

    // Meeting again with nothing new: nothing differs.
    let (again, _) = meet_directly(&gp.ws, &nurse.ws).await;
    let again = again.unwrap();
    assert_eq!((again.documents_synced, again.documents_changed), (0, 0), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_outside_the_team_and_revoked_devices_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = relay(tmp.path());
    let addr = address(&relay);
    let nurse = founder(&relay, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &relay, "Dr Tomasz Orrell", Role::Gp).await;
    let other = founder(&relay, "Ffion Carrow", Role::DistrictNurse).await;
    for d in [&nurse, &gp] {
        d.ws.sync(&addr, |_| {}).await.unwrap();
    }

    // A device of another team dials: the listener refuses it and keeps listening.
    let (dialed, heard) = meet_directly(&gp.ws, &other.ws).await;
    assert!(matches!(dialed, Err(Error::Peer(_))), "{dialed:?}");
    assert!(heard.is_empty(), "the other team's dialler never reached the listener: it refused to dial");

    // Revoked: the GP's device learns of it from the relay and refuses the revoked device.
    let hospice = enrol(&nurse, &relay, "Bryony Tregear", Role::HospiceNurse).await;
    gp.ws.sync(&addr, |_| {}).await.unwrap();
    nurse.ws.sync(&addr, |_| {}).await.unwrap();
    nurse.ws.revoke_device(&hospice.ws.identity().device_id.to_hex(), "left the team").await.unwrap();
    nurse.ws.sync(&addr, |_| {}).await.unwrap();
    gp.ws.sync(&addr, |_| {}).await.unwrap();
    let (dialed, heard) = meet_directly(&gp.ws, &hospice.ws).await;
    assert!(dialed.is_err(), "a revoked device synced directly: {dialed:?}");
    assert!(matches!(heard.as_slice(), [Err(Error::Peer(_))]), "{heard:?}");

    // The listener still serves its team afterwards.
    let (ok, _) = meet_directly(&gp.ws, &nurse.ws).await;
    ok.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_devices_listening_nearby_are_found_without_internet() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = relay(tmp.path());
    let addr = address(&relay);
    let nurse = founder(&relay, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &relay, "Dr Tomasz Orrell", Role::Gp).await;
    nurse.ws.sync(&addr, |_| {}).await.unwrap();
    drop(relay);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let listening = gp.ws.listen("0.0.0.0:0".parse().unwrap(), |_| {}, |_| {}, async {
        let _ = stop_rx.await;
    });
    let looking = async {
        let found = nurse.ws.nearby_devices(std::time::Duration::from_secs(4)).await.unwrap();
        let _ = stop_tx.send(());
        found
    };
    let (l, found) = tokio::join!(listening, looking);
    l.unwrap();
    let gp_key = gp.ws.device_public_key();
    assert!(
        found.iter().any(|a| *a.id.as_bytes() == gp_key),
        "the GP's listening device was not found: {found:?}"
    );
}

/// The bytes two devices exchanged in a direct sync, both ways.
fn bytes(r: &PeerReport) -> u64 {
    r.bytes_sent + r.bytes_received
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_that_met_before_send_what_changed_not_the_caseload_and_one_that_lost_it_sends_all() {
    use hedgerow_core::NewPatient;
    use hedgerow_core::clinical::NhsNumber;
    let tmp = tempfile::tempdir().unwrap();
    let relay = relay(tmp.path());
    let addr = address(&relay);
    let nurse = founder(&relay, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &relay, "Dr Tomasz Orrell", Role::Gp).await;
    let caseload: Vec<NewPatient> = (0..80u8)
        .filter_map(|i| NhsNumber::from_first_nine([9, 9, 9, 0, 0, 2, i / 10, i % 10, 1]))
        .map(|nhs| NewPatient {
            nhs_number: nhs,
            name: format!("Resident {}", nhs.digits()),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1936, 2, 9).unwrap(),
            address: None,
        })
        .collect();
    let patients: Vec<PatientId> =
        nurse.ws.add_patients(caseload).await.unwrap().into_iter().map(|p| p.id).collect();
    assert!(patients.len() > 60);
    for d in [&nurse, &gp] {
        d.ws.sync(&addr, |_| {}).await.unwrap();
    }
    drop(relay);

    // The first meeting summarises every document: about 25 bytes each, each way.
    let (first, _) = meet_directly(&gp.ws, &nurse.ws).await;
    let first = first.unwrap();
    assert_eq!(first.documents_synced, 0, "both had everything from the relay");
    assert!(bytes(&first) > 2 * 60 * 24, "{} bytes", bytes(&first));

    // The next, with nothing changed: only what changed since the first, which is nothing.
    let (again, _) = meet_directly(&gp.ws, &nurse.ws).await;
    let again = again.unwrap();
    assert!(bytes(&again) < 1024, "{} bytes when nothing changed", bytes(&again));

    // One record changed: that record is synced, and no summary of the rest is sent.
    nurse
        .ws
        .add_problem(patients[5], NewProblem { title: "Falls risk".into(), ..Default::default() })
        .await
        .unwrap();
    let (one, _) = meet_directly(&gp.ws, &nurse.ws).await;
    let one = one.unwrap();
    assert_eq!(one.documents_synced, 1, "{one:?}");
    assert_eq!(record(&gp.ws, patients[5]).await, record(&nurse.ws, patients[5]).await);

    // The nurse's device loses what it agreed (a restore, say): both send whole summaries,
    // and nothing is missed.
    let db = nurse.dir.path().join(hedgerow_core::store::DB_FILE);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    sqlx::query("DELETE FROM peer_agreements").execute(&pool).await.unwrap();
    pool.close().await;
    gp.ws
        .add_problem(patients[9], NewProblem { title: "Hearing aids".into(), ..Default::default() })
        .await
        .unwrap();
    let (lost, _) = meet_directly(&gp.ws, &nurse.ws).await;
    let lost = lost.unwrap();
    assert!(bytes(&lost) > 2 * 60 * 24, "whole summaries: {} bytes", bytes(&lost));
    assert_eq!(lost.records_changed, vec![patients[9]]);
    assert_eq!(record(&nurse.ws, patients[9]).await, record(&gp.ws, patients[9]).await);
    assert!(
        bytes(&one) < bytes(&lost),
        "one record against the agreement ({} bytes) costs less than one with whole summaries ({})",
        bytes(&one),
        bytes(&lost)
    );
    let (after, _) = meet_directly(&gp.ws, &nurse.ws).await;
    assert!(bytes(&after.unwrap()) < 1024, "agreed again");
}
