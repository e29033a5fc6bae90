//! The relay killed with SIGKILL in the middle of a sync, then restarted on the same data:
//! devices resume, and nothing is lost or applied twice. Killed between syncs, the
//! connection a device kept from its last sync is dialled again.

mod common;

use common::{address, enrol, founder, relay};
use hedgerow_core::NewPatient;
use hedgerow_core::documents::{DocumentKind, Role};
use hedgerow_core::workspace::NewProblem;
use std::sync::mpsc;

const PATIENTS: usize = 150;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_resume_after_the_relay_is_killed_mid_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let mut relay = relay(tmp.path());
    let nurse = founder(&relay, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &relay, "Dr Tomasz Orrell", Role::Gp).await;

    let mut ids = Vec::new();
    for n in 0..PATIENTS {
        let p = nurse
            .ws
            .add_patient(NewPatient {
                nhs_number: hedgerow_tests::fictional_nhs_number(n).parse().unwrap(),
                name: format!("Fictional Patient {n}"),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap(),
                address: None,
            })
            .await
            .unwrap()
            .id;
        nurse
            .ws
            .add_problem(p, NewProblem { title: format!("Plan item {n}"), ..Default::default() })
            .await
            .unwrap();
        ids.push(p);
    }

    // Killed while the nurse's device is sending.
    let (tx, rx) = mpsc::channel::<()>();
    let addr = address(&relay);
    let sending = {
        let tx = tx.clone();
        nurse.ws.sync(&addr, move |p| {
            if p.phase == hedgerow_core::workspace::SyncPhase::Sending {
                let _ = tx.send(());
            }
        })
    };
    let killer = async {
        tokio::task::spawn_blocking(move || rx.recv()).await.unwrap().unwrap();
        relay.kill();
    };
    let (first, ()) = tokio::join!(sending, killer);
    assert!(first.is_err(), "the sync could not finish: the relay was killed as it began sending");
    relay.restart();
    let addr = address(&relay);
    nurse.ws.sync(&addr, |_| {}).await.unwrap();

    // Killed while the GP's device is receiving.
    let (tx, rx) = mpsc::channel::<()>();
    let receiving = gp.ws.sync(&addr, move |p| {
        if p.bundles_received > 0 {
            let _ = tx.send(());
        }
    });
    let killer = async {
        tokio::task::spawn_blocking(move || rx.recv()).await.unwrap().unwrap();
        relay.kill();
    };
    let (_, ()) = tokio::join!(receiving, killer);
    relay.restart();
    let addr = address(&relay);
    gp.ws.sync(&addr, |_| {}).await.unwrap();
    nurse.ws.sync(&addr, |_| {}).await.unwrap();
    let again = gp.ws.sync(&addr, |_| {}).await.unwrap();
    assert_eq!(again.bundles_received, 0, "a further sync brings nothing new: {again:?}");

    // Every record arrived once, whole, and identical to the nurse's.
    assert_eq!(gp.ws.caseload().await.unwrap().len(), PATIENTS);
    for (n, p) in ids.iter().enumerate() {
        let record = gp.ws.open_patient(*p).await.unwrap().record;
        let titles: Vec<&str> = record.care_plan.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles, vec![format!("Plan item {n}")], "patient {n}");
        assert_eq!(
            gp.ws.document_heads(p.0, DocumentKind::Patient).await.unwrap(),
            nurse.ws.document_heads(p.0, DocumentKind::Patient).await.unwrap()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_restarted_between_syncs_is_dialled_again_and_the_next_sync_goes_through() {
    let tmp = tempfile::tempdir().unwrap();
    let mut relay = relay(tmp.path());
    let addr = address(&relay);
    let nurse = founder(&relay, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &relay, "Dr Tomasz Orrell", Role::Gp).await;
    let p = common::winifred(&nurse.ws).await;
    nurse.ws.sync(&addr, |_| {}).await.unwrap();

    // The nurse's device keeps its connection; the relay dies and comes back where it was.
    relay.restart_on_its_address();
    assert_eq!(address(&relay), addr, "the relay came back on the address the devices hold");
    nurse
        .ws
        .add_problem(p, NewProblem { title: "Pressure area care".into(), ..Default::default() })
        .await
        .unwrap();
    let report = nurse.ws.sync(&addr, |_| {}).await.expect("the kept connection was dialled again");
    assert!(report.bundles_pushed >= 1, "{report:?}");

    gp.ws.sync(&addr, |_| {}).await.unwrap();
    let titles: Vec<String> =
        gp.ws.open_patient(p).await.unwrap().record.care_plan.iter().map(|c| c.title.clone()).collect();
    assert_eq!(titles, vec!["Pressure area care".to_owned()]);
}
