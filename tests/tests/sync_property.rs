//! Random edits on several devices and random syncs between them, directly (over an
//! in-memory byte pipe) and through the relay (in memory): every device ends with the same
//! documents and every edit present.

use hedgerow_core::documents::{DocumentKind, Role};
use hedgerow_core::ids::{PatientId, VisitId};
use hedgerow_core::workspace::NewProblem;
use hedgerow_core::{NewClinician, NewPatient, Workspace};
use hedgerow_relay::{RelayState, SqliteRelayStorage};
use hedgerow_tests::MemoryLink;
use hedgerow_tests::PASSPHRASE;
use proptest::prelude::*;
use std::sync::Arc;

#[derive(Clone, Debug)]
enum Op {
    /// Device adds a care plan item to the shared record.
    Plan(usize),
    /// Device adds a paragraph to its own visit note.
    Note(usize),
    Relay(usize),
    Direct(usize, usize),
}

fn op(devices: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..devices).prop_map(Op::Plan),
        (0..devices).prop_map(Op::Note),
        (0..devices).prop_map(Op::Relay),
        (0..devices, 0..devices)
            .prop_filter("two devices", |(a, b)| a != b)
            .prop_map(|(a, b)| Op::Direct(a, b)),
    ]
}

async fn direct(a: &Workspace, b: &Workspace) {
    let (x, y) = tokio::io::duplex(64 * 1024);
    let (xr, xw) = tokio::io::split(x);
    let (yr, yw) = tokio::io::split(y);
    let (ra, rb) = tokio::join!(
        a.sync_with_peer_stream(b.device_public_key(), xr, xw),
        b.sync_with_peer_stream(a.device_public_key(), yr, yw)
    );
    // Every author is known to both: nothing is left out.
    assert_eq!(ra.unwrap().left_out, Vec::<String>::new());
    assert_eq!(rb.unwrap().left_out, Vec::<String>::new());
}

async fn run(devices: usize, ops: Vec<Op>) {
    let dirs: Vec<_> = (0..=devices).map(|_| tempfile::tempdir().unwrap()).collect();
    let relay = Arc::new(RelayState::new(SqliteRelayStorage::open(dirs[devices].path()).await.unwrap()));
    let link = || MemoryLink::new(relay.clone());
    let clinician = |i: usize| NewClinician {
        name: format!("Clinician {i}"),
        role: Role::DistrictNurse,
        registration: None,
    };
    let first = Workspace::create(dirs[0].path(), PASSPHRASE, clinician(0), None).await.unwrap();
    first.create_team("Property team").await.unwrap();
    let mut codes = Vec::new();
    for _ in 1..devices {
        codes.push(first.invite_device(false, chrono::Duration::hours(1)).await.unwrap().code);
    }
    let patient: PatientId = first
        .add_patient(NewPatient {
            nhs_number: "9990001235".parse().unwrap(),
            name: "Winifred Ashdown".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1939, 5, 17).unwrap(),
            address: None,
        })
        .await
        .unwrap()
        .id;
    first.sync_via(&mut link(), |_| {}).await.unwrap();
    let mut ws = vec![first];
    for (i, code) in codes.iter().enumerate() {
        let w = Workspace::join_via(
            dirs[i + 1].path(),
            PASSPHRASE,
            clinician(i + 1),
            "laptop",
            code,
            &mut link(),
        )
        .await
        .unwrap();
        w.sync_via(&mut link(), |_| {}).await.unwrap();
        ws.push(w);
    }
    for w in &ws {
        w.sync_via(&mut link(), |_| {}).await.unwrap();
    }
    let mut visits: Vec<Option<VisitId>> = vec![None; devices];
    let mut expected_plan = Vec::new();
    let mut expected_notes: Vec<Vec<String>> = vec![Vec::new(); devices];
    for (n, o) in ops.into_iter().enumerate() {
        match o {
            Op::Plan(d) => {
                let title = format!("item {n} by {d}");
                ws[d]
                    .add_problem(patient, NewProblem { title: title.clone(), ..Default::default() })
                    .await
                    .unwrap();
                expected_plan.push(title);
            }
            Op::Note(d) => {
                let v = match visits[d] {
                    Some(v) => v,
                    None => *visits[d].insert(ws[d].start_visit(patient).await.unwrap()),
                };
                let text = format!("paragraph {n}");
                ws[d].add_note(v, &text).await.unwrap();
                expected_notes[d].push(text);
            }
            Op::Relay(d) => {
                ws[d].sync_via(&mut link(), |_| {}).await.unwrap();
            }
            Op::Direct(a, b) => direct(&ws[a], &ws[b]).await,
        }
    }
    // Everyone meets the relay twice: all must then agree.
    for _ in 0..2 {
        for w in &ws {
            w.sync_via(&mut link(), |_| {}).await.unwrap();
        }
    }
    let heads = ws[0].document_heads(patient.0, DocumentKind::Patient).await.unwrap();
    let record = serde_json::to_value(ws[0].open_patient(patient).await.unwrap().record).unwrap();
    for w in &ws {
        assert_eq!(w.document_heads(patient.0, DocumentKind::Patient).await.unwrap(), heads);
        let titles: Vec<String> =
            w.open_patient(patient).await.unwrap().record.care_plan.iter().map(|c| c.title.clone()).collect();
        for t in &expected_plan {
            assert!(titles.contains(t), "lost plan item {t}");
        }
        assert_eq!(serde_json::to_value(w.open_patient(patient).await.unwrap().record).unwrap(), record);
        for (d, v) in visits.iter().enumerate() {
            if let Some(v) = v {
                let narrative = w.open_visit(*v).await.unwrap().narrative;
                for t in &expected_notes[d] {
                    assert!(narrative.contains(t), "lost note '{t}' of device {d}");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]
    #[test]
    fn any_edits_and_syncs_converge(devices in 3usize..=5, ops in prop::collection::vec(op(5), 4..14)) {
        let ops: Vec<Op> = ops
            .into_iter()
            .map(|o| match o {
                Op::Plan(d) => Op::Plan(d % devices),
                Op::Note(d) => Op::Note(d % devices),
                Op::Relay(d) => Op::Relay(d % devices),
                Op::Direct(a, b) if a % devices != b % devices => Op::Direct(a % devices, b % devices),
                Op::Direct(a, _) => Op::Relay(a % devices),
            })
            .collect();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(run(devices, ops));
    }
}

/// A direct sync cut off part-way (the stream ends after `cut` bytes) loses nothing, and
/// the next meeting completes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_sync_cut_mid_way_loses_nothing() {
    use tokio::io::AsyncReadExt;
    let (_dirs, a, b) = two_devices().await;
    let patients: Vec<NewPatient> = (0..40)
        .map(|i| NewPatient {
            nhs_number: hedgerow_tests::fictional_nhs_number(i).parse().unwrap(),
            name: format!("Fictional Patient {i}"),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap(),
            address: Some("Cut Lane".into()),
        })
        .collect();
    let ids: Vec<PatientId> = a.add_patients(patients).await.unwrap().into_iter().map(|p| p.id).collect();

    for cut in [300u64, 5_000, 20_000] {
        let (x, y) = tokio::io::duplex(64 * 1024);
        let (xr, xw) = tokio::io::split(x);
        let (yr, yw) = tokio::io::split(y);
        // B hears only the first `cut` bytes, then its connection drops.
        let (ra, rb) = tokio::join!(
            a.sync_with_peer_stream(b.device_public_key(), xr, xw),
            b.sync_with_peer_stream(a.device_public_key(), yr.take(cut), yw)
        );
        assert!(ra.is_err() || rb.is_err(), "a sync cut at {cut} bytes cannot have finished");
    }
    direct(&a, &b).await;
    for p in &ids {
        assert_eq!(
            a.document_heads(p.0, DocumentKind::Patient).await.unwrap(),
            b.document_heads(p.0, DocumentKind::Patient).await.unwrap()
        );
    }
    assert_eq!(b.caseload().await.unwrap().len(), 40);
}

/// A device that sends garbage, or connects and says nothing, is dropped with an error; the
/// device goes on syncing with others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_sends_garbage_or_stalls_is_dropped() {
    use tokio::io::AsyncWriteExt;
    let (_dirs, a, b) = two_devices().await;

    // Garbage: a frame that is no message.
    let (x, mut y) = tokio::io::duplex(64 * 1024);
    let (xr, xw) = tokio::io::split(x);
    y.write_all(&[0, 0, 0, 5, 0xff, 0xfe, 0xfd, 0xfc, 0xfb]).await.unwrap();
    let r = a.sync_with_peer_stream(b.device_public_key(), xr, xw).await;
    // Refused as what that device sent, naming it, not as something the clinician typed.
    let b_id = hex::encode(b.device_public_key());
    assert!(
        matches!(&r, Err(hedgerow_core::Error::Protocol { sender: hedgerow_core::error::Sender::Device(d), .. }) if *d == b_id),
        "{r:?}"
    );

    // Silence: connected, then nothing at all.
    let (x, _y) = tokio::io::duplex(64 * 1024);
    let (xr, xw) = tokio::io::split(x);
    let r = a.sync_with_peer_stream(b.device_public_key(), xr, xw).await;
    assert!(matches!(&r, Err(hedgerow_core::Error::Peer(m)) if m.contains("stopped answering")), "{r:?}");

    // And the device still syncs with a real peer.
    direct(&a, &b).await;
    assert_eq!(b.caseload().await.unwrap().len(), a.caseload().await.unwrap().len());
}

/// Two devices of one team, enrolled through an in-memory relay.
async fn two_devices() -> (Vec<tempfile::TempDir>, Workspace, Workspace) {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let relay = Arc::new(RelayState::new(SqliteRelayStorage::open(dirs[2].path()).await.unwrap()));
    let clinician =
        |name: &str| NewClinician { name: name.into(), role: Role::DistrictNurse, registration: None };
    let a = Workspace::create(dirs[0].path(), PASSPHRASE, clinician("Nia Penhallow"), None).await.unwrap();
    a.create_team("Hartsmoor District Nursing").await.unwrap();
    let code = a.invite_device(false, chrono::Duration::hours(1)).await.unwrap().code;
    a.sync_via(&mut MemoryLink::new(relay.clone()), |_| {}).await.unwrap();
    let b = Workspace::join_via(
        dirs[1].path(),
        PASSPHRASE,
        clinician("Dr Tomasz Orrell"),
        "laptop",
        &code,
        &mut MemoryLink::new(relay.clone()),
    )
    .await
    .unwrap();
    // Each confirms the other's enrolment with the relay, as before any direct sync.
    for w in [&b, &a] {
        w.sync_via(&mut MemoryLink::new(relay.clone()), |_| {}).await.unwrap();
    }
    (dirs, a, b)
}
