//! Clinicians syncing through a real relay process on loopback.

mod common;

use common::{address, enrol, founder, relay, winifred};
use hedgerow_core::Workspace;
use hedgerow_core::documents::{DocumentKind, Role};
use hedgerow_core::ids::PatientId;
use hedgerow_core::workspace::{NewProblem, ProblemUpdate};

async fn record_json(ws: &Workspace, p: PatientId) -> serde_json::Value {
    serde_json::to_value(ws.open_patient(p).await.unwrap().document).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_clinicians_edit_offline_and_converge_in_every_order() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = relay(relay_dir.path());
    let addr = address(&relay);
    let nurse = founder(&relay, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &relay, "Dr Tomasz Orrell", Role::Gp).await;
    let hospice = enrol(&nurse, &relay, "Bryony Tregear", Role::HospiceNurse).await;

    let patient = winifred(&nurse.ws).await;
    let problem = nurse
        .ws
        .add_problem(patient, NewProblem { title: "Pressure area care".into(), ..Default::default() })
        .await
        .unwrap();
    nurse.ws.sync(&addr, |_| {}).await.unwrap();
    for d in [&gp, &hospice] {
        let r = d.ws.sync(&addr, |_| {}).await.unwrap();
        assert!(r.patients_changed.contains(&"Winifred Ashdown".to_owned()), "{r:?}");
        assert_eq!(r.records_changed, vec![patient], "screens showing Winifred are told to refresh");
    }

    let devices = [&nurse, &gp, &hospice];
    let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    for (round, order) in orders.iter().enumerate() {
        // Everyone edits the same care plan with no signal.
        let mut expected = Vec::new();
        for (i, d) in devices.iter().enumerate() {
            let title = format!("round {round}: plan item from device {i}");
            d.ws.add_problem(patient, NewProblem { title: title.clone(), ..Default::default() })
                .await
                .unwrap();
            expected.push(title);
        }
        let detail = format!("round {round}, reviewed by device {}", order[0]);
        devices[order[0]]
            .ws
            .update_problem(
                patient,
                &problem,
                ProblemUpdate { title: Some(detail.clone()), ..Default::default() },
            )
            .await
            .unwrap();
        // They sync one after another, in this round's order, then once more all round.
        for &i in order.iter().chain(order.iter()) {
            devices[i].ws.sync(&addr, |_| {}).await.unwrap();
        }
        let first = record_json(&nurse.ws, patient).await;
        for d in &devices[1..] {
            assert_eq!(record_json(&d.ws, patient).await, first, "round {round} order {order:?}");
        }
        let heads = nurse.ws.document_heads(patient.0, DocumentKind::Patient).await.unwrap();
        for d in &devices[1..] {
            assert_eq!(d.ws.document_heads(patient.0, DocumentKind::Patient).await.unwrap(), heads);
        }
        let titles: Vec<String> = first["care_plan"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p["title"].as_str().unwrap().to_owned())
            .collect();
        for t in expected.iter().chain([&detail]) {
            assert!(titles.contains(t), "round {round}: '{t}' was lost: {titles:?}");
        }
    }
}
