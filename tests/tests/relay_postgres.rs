//! Several real relay processes over one real PostgreSQL (a throwaway cluster of the
//! test's own), with devices syncing through different processes: they converge, a
//! revocation through one process holds at every other at once, a process killed mid-push
//! or the database restarted mid-sync loses nothing, and log positions never become visible
//! out of order while two processes append to one team.

mod common;

use common::{Device, address, enrol, founder};
use hedgerow_core::documents::Role;
use hedgerow_core::ids::PatientId;
use hedgerow_core::sync::client::SyncError;
use hedgerow_core::sync::transport::{RelayAddress, TransportError};
use hedgerow_core::sync::wire::Refusal;
use hedgerow_core::workspace::{NewProblem, SyncPhase};
use hedgerow_core::{Error, NewPatient, Workspace};
use hedgerow_tests::{PostgresCluster, RelayProcess};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// A relay process of its own (its own key and address) over the database at `url`.
fn relay_over(tmp: &Path, name: &str, url: &str) -> RelayProcess {
    RelayProcess::start_with(&hedgerow_tests::relay_binary(), &tmp.join(name), &["--database", url])
}

static NEXT_PATIENT: AtomicUsize = AtomicUsize::new(0);

/// `n` fictional patients, each with one care plan item named after the patient.
async fn add_patients(ws: &Workspace, n: usize) -> Vec<PatientId> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let k = NEXT_PATIENT.fetch_add(1, Ordering::Relaxed);
        let p = ws
            .add_patient(NewPatient {
                nhs_number: hedgerow_tests::fictional_nhs_number(k).parse().unwrap(),
                name: format!("Fictional Patient {k}"),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap(),
                address: None,
            })
            .await
            .unwrap()
            .id;
        ws.add_problem(p, NewProblem { title: format!("Plan item of patient {k}"), ..Default::default() })
            .await
            .unwrap();
        ids.push(p);
    }
    ids
}

const ROUNDS: usize = 8;

/// Three new records, pushed, `ROUNDS` times; then one writer fewer.
async fn write_rounds(d: &Device, addr: &RelayAddress, writing: &AtomicUsize) {
    for _ in 0..ROUNDS {
        add_patients(&d.ws, 3).await;
        d.ws.sync(addr, |_| {}).await.unwrap();
    }
    writing.fetch_sub(1, Ordering::SeqCst);
}

/// Pulls again and again while any writer writes; how many times.
async fn pull_while_writing(d: &Device, addr: &RelayAddress, writing: &AtomicUsize) -> usize {
    let mut pulls = 0;
    while writing.load(Ordering::SeqCst) > 0 {
        d.ws.sync(addr, |_| {}).await.unwrap();
        pulls += 1;
    }
    pulls
}

async fn caseload_size(d: &Device) -> usize {
    d.ws.caseload().await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_syncing_through_three_relay_processes_over_one_database_converge() {
    let pg = PostgresCluster::start();
    let url = pg.database("relay");
    let tmp = tempfile::tempdir().unwrap();
    let relays: Vec<RelayProcess> =
        ["r1", "r2", "r3"].iter().map(|n| relay_over(tmp.path(), n, &url)).collect();
    let addrs: Vec<_> = relays.iter().map(address).collect();
    assert!(addrs[0] != addrs[1] && addrs[1] != addrs[2], "three processes, three endpoints");

    // Founded through one process, joined through the others.
    let nurse = founder(&relays[0], "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &relays[1], "Dr Tomasz Orrell", Role::Gp).await;
    let hospice = enrol(&nurse, &relays[2], "Ife Marchbank", Role::HospiceNurse).await;

    add_patients(&nurse.ws, 4).await;
    add_patients(&gp.ws, 3).await;
    add_patients(&hospice.ws, 2).await;
    for round in 0..2 {
        for (i, d) in [&nurse, &gp, &hospice].into_iter().enumerate() {
            // Each device through a different process each round.
            d.ws.sync(&addrs[(i + round) % 3], |_| {}).await.unwrap();
        }
    }
    for d in [&nurse, &gp, &hospice] {
        assert_eq!(caseload_size(d).await, 9, "every device has every record");
    }

    // Two processes suffice: what is pushed through one is pulled through the other.
    let new = add_patients(&gp.ws, 1).await[0];
    gp.ws.sync(&addrs[0], |_| {}).await.unwrap();
    let r = nurse.ws.sync(&addrs[1], |_| {}).await.unwrap();
    assert!(r.records_changed.contains(&new), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_revoked_through_one_relay_process_is_refused_at_another_at_once() {
    let pg = PostgresCluster::start();
    let url = pg.database("relay");
    let tmp = tempfile::tempdir().unwrap();
    let (r1, r2) = (relay_over(tmp.path(), "r1", &url), relay_over(tmp.path(), "r2", &url));
    let nurse = founder(&r1, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &r1, "Dr Tomasz Orrell", Role::Gp).await;
    // The second process has read and cached the team's registry with the GP enrolled.
    gp.ws.sync(&address(&r2), |_| {}).await.unwrap();
    nurse.ws.sync(&address(&r1), |_| {}).await.unwrap();

    nurse.ws.revoke_device(&gp.ws.identity().device_id.to_hex(), "laptop stolen from car").await.unwrap();
    nurse.ws.sync(&address(&r1), |_| {}).await.unwrap();
    match gp.ws.sync(&address(&r2), |_| {}).await {
        Err(Error::Sync(e)) => assert!(
            matches!(*e, TransportError::Sync(SyncError::Refused { code: Refusal::Revoked, .. })),
            "{e}"
        ),
        other => panic!("the revoked device synced through the other process: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_process_killed_mid_push_loses_nothing_while_the_others_go_on() {
    let pg = PostgresCluster::start();
    let url = pg.database("relay");
    let tmp = tempfile::tempdir().unwrap();
    let (mut r1, r2) = (relay_over(tmp.path(), "r1", &url), relay_over(tmp.path(), "r2", &url));
    let nurse = founder(&r2, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &r2, "Dr Tomasz Orrell", Role::Gp).await;
    let ids = add_patients(&nurse.ws, 120).await;

    // The process the nurse pushes through is killed as she begins sending.
    let (tx, rx) = mpsc::channel::<()>();
    let doomed = address(&r1);
    let pushing = nurse.ws.sync(&doomed, move |p| {
        if p.phase == SyncPhase::Sending {
            let _ = tx.send(());
        }
    });
    let killer = async {
        tokio::task::spawn_blocking(move || rx.recv()).await.unwrap().unwrap();
        r1.kill();
    };
    let (first, ()) = tokio::join!(pushing, killer);
    assert!(first.is_err(), "the push could not finish: its relay process was killed");

    // The other process goes on: the nurse's next sync takes the rest, the GP gets it all.
    let addr = address(&r2);
    nurse.ws.sync(&addr, |_| {}).await.unwrap();
    gp.ws.sync(&addr, |_| {}).await.unwrap();
    let again = gp.ws.sync(&addr, |_| {}).await.unwrap();
    assert_eq!(again.bundles_received, 0, "nothing arrives twice: {again:?}");
    assert_eq!(caseload_size(&gp).await, ids.len());
    for p in &ids {
        let record = gp.ws.open_patient(*p).await.unwrap().record;
        assert_eq!(record.care_plan.len(), 1, "one care plan item, once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_mid_sync_fails_the_sync_cleanly_and_the_next_one_succeeds() {
    let pg = PostgresCluster::start();
    let url = pg.database("relay");
    let tmp = tempfile::tempdir().unwrap();
    let relay = relay_over(tmp.path(), "r1", &url);
    let nurse = founder(&relay, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &relay, "Dr Tomasz Orrell", Role::Gp).await;
    let ids = add_patients(&nurse.ws, 120).await;

    let (tx, rx) = mpsc::channel::<()>();
    let addr = address(&relay);
    let pushing = nurse.ws.sync(&addr, move |p| {
        if p.phase == SyncPhase::Sending {
            let _ = tx.send(());
        }
    });
    let database_stops = async {
        tokio::task::spawn_blocking(move || rx.recv()).await.unwrap().unwrap();
        pg.stop();
    };
    let (first, ()) = tokio::join!(pushing, database_stops);
    match first {
        Err(Error::Sync(e)) => assert!(
            matches!(*e, TransportError::Sync(SyncError::Refused { code: Refusal::Unavailable, .. }))
                || matches!(*e, TransportError::Io(_)),
            "the device is told the relay could not store it, not something else: {e}"
        ),
        other => panic!("a push while the database was down did not fail: {other:?}"),
    }

    pg.start_again();
    nurse.ws.sync(&address(&relay), |_| {}).await.unwrap();
    gp.ws.sync(&address(&relay), |_| {}).await.unwrap();
    assert_eq!(caseload_size(&gp).await, ids.len(), "{}", pg.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_positions_never_become_visible_out_of_order_while_two_processes_append_to_one_team() {
    let pg = PostgresCluster::start();
    let url = pg.database("relay");
    let tmp = tempfile::tempdir().unwrap();
    let (r1, r2) = (relay_over(tmp.path(), "r1", &url), relay_over(tmp.path(), "r2", &url));
    let (a1, a2) = (address(&r1), address(&r2));
    let nurse = founder(&r1, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &r2, "Dr Tomasz Orrell", Role::Gp).await;
    let reader1 = enrol(&nurse, &r1, "Ife Marchbank", Role::HospiceNurse).await;
    let reader2 = enrol(&nurse, &r2, "Carys Wendle", Role::CommunityNurse).await;
    for d in [&nurse, &gp, &reader1, &reader2] {
        d.ws.sync(&a1, |_| {}).await.unwrap();
    }

    let writing = AtomicUsize::new(2);
    let ((), (), pulls1, pulls2) = tokio::join!(
        write_rounds(&nurse, &a1, &writing),
        write_rounds(&gp, &a2, &writing),
        pull_while_writing(&reader1, &a2, &writing),
        pull_while_writing(&reader2, &a1, &writing),
    );
    assert!(pulls1 > 1 && pulls2 > 1, "the readers pulled while the writers pushed ({pulls1}, {pulls2})");

    // After the writers are done, one more pull each: whatever a reader's cursor passed
    // while an earlier position was still to commit would now be missing for good.
    for d in [&reader1, &reader2, &nurse, &gp] {
        d.ws.sync(&a1, |_| {}).await.unwrap();
        assert_eq!(caseload_size(d).await, 2 * ROUNDS * 3, "every device has every record");
    }
}

/// The same rule at the storage itself, with far more appends than devices make: two
/// storages (two pools, as two processes have) append one entry at a time from several tasks
/// while readers pull in a loop from their cursor. A reader that ever saw a position before
/// an earlier one committed would end without that entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_never_passes_an_entry_still_to_commit_under_concurrent_appends() {
    use hedgerow_protocol::keys::KeyId;
    use hedgerow_protocol::wire::{EntryKind, LogEntry};
    use hedgerow_relay::{PostgresRelayStorage, RelayStorage};
    use std::collections::BTreeSet;

    const TEAM: [u8; 16] = [6; 16];
    const APPENDERS: usize = 4;
    const EACH: usize = 150;
    let pg = PostgresCluster::start();
    let url = pg.database("relay");
    let storages =
        [PostgresRelayStorage::open(&url).await.unwrap(), PostgresRelayStorage::open(&url).await.unwrap()];
    let appending = AtomicUsize::new(APPENDERS);

    let append = |n: usize| {
        let (storage, appending) = (&storages[n % 2], &appending);
        async move {
            for i in 0..EACH {
                let tag = ((n * EACH + i) as u64).to_be_bytes();
                let entry = LogEntry {
                    author: [n as u8 + 1; 32],
                    key: KeyId { epoch: 0, minter: [1; 32] },
                    doc_tag: [tag, tag].concat().try_into().unwrap(),
                    kind: EntryKind::Changes,
                    sealed: vec![0; 64],
                    signature: vec![0; 64],
                };
                storage.append_entries(TEAM, &[entry]).await.unwrap();
            }
            appending.fetch_sub(1, Ordering::SeqCst);
        }
    };
    let read = |n: usize| {
        let (storage, appending) = (&storages[n % 2], &appending);
        async move {
            let (mut cursor, mut seen) = (0, BTreeSet::new());
            loop {
                let done = appending.load(Ordering::SeqCst) == 0;
                let batch = storage.entries_after(TEAM, cursor, [0; 32], 1 << 20).await.unwrap();
                seen.extend(batch.entries.iter().map(|(_, e)| e.doc_tag));
                cursor = batch.scanned_to;
                if done && batch.entries.is_empty() {
                    return seen.len();
                }
            }
        }
    };
    let (_, _, _, _, seen1, seen2) =
        tokio::join!(append(0), append(1), append(2), append(3), read(0), read(1));
    assert_eq!((seen1, seen2), (APPENDERS * EACH, APPENDERS * EACH), "a reader skipped entries");

    // A pull that finds nothing new carries the high water read with it, so the relay
    // answers it in one round trip; a team with nothing yet has a high water of 0.
    let (all, at_end) = (APPENDERS * EACH, storages[0].entries_after(TEAM, 0, [0; 32], 1 << 30));
    let at_end = at_end.await.unwrap();
    assert_eq!(at_end.entries.len(), all);
    let end = storages[1].entries_after(TEAM, at_end.scanned_to, [0; 32], 1 << 20).await.unwrap();
    assert!(end.entries.is_empty());
    assert_eq!(end.high_water, Some(storages[1].high_water(TEAM).await.unwrap()));
    assert_eq!(end.high_water, Some(all as u64));
    let nothing = storages[0].entries_after([7; 16], 0, [0; 32], 1 << 20).await.unwrap();
    assert_eq!((nothing.entries.len(), nothing.high_water), (0, Some(0)));
}
