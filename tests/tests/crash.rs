//! A laptop lid shut mid-write, a battery dying, a process killed: every edit that was
//! acknowledged must be there afterwards, and the store must open cleanly.

use hedgerow_core::documents::Role;
use hedgerow_core::{NewClinician, NewPatient, Workspace};
use hedgerow_tests::PASSPHRASE;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn edits_acknowledged_before_sigkill_survive() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ws = Workspace::create(
        dir,
        PASSPHRASE,
        NewClinician { name: "Ada Quill".into(), role: Role::DistrictNurse, registration: None },
        None,
    )
    .await
    .unwrap();
    let pid = ws
        .add_patient(NewPatient {
            nhs_number: "9434765919".parse().unwrap(),
            name: "Winifred Ashdown".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1939, 5, 17).unwrap(),
            address: None,
        })
        .await
        .unwrap()
        .id;
    let visit = ws.start_visit(pid).await.unwrap();
    ws.close().await;

    let mut acked: Vec<u64> = Vec::new();
    let mut next = 0u64;
    // Three rounds, killed after different numbers of acknowledged edits.
    for stop_after in [5usize, 37, 80] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hedgerow-edit-writer"))
            .args([dir.to_str().unwrap(), &visit.to_hex(), &next.to_string()])
            .env("HEDGEROW_PASSPHRASE", PASSPHRASE)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut round = 0;
        while round < stop_after {
            let line = lines.next().expect("writer ended early").unwrap();
            let n: u64 = line.strip_prefix("ack ").unwrap().parse().unwrap();
            acked.push(n);
            round += 1;
        }
        // SIGKILL while the writer is in the middle of its next edit.
        child.kill().unwrap();
        child.wait().unwrap();
        // Anything acknowledged between our last read and the kill also counts.
        for line in lines.map_while(Result::ok) {
            if let Some(n) = line.strip_prefix("ack ").and_then(|n| n.parse().ok()) {
                acked.push(n);
            }
        }
        next = acked.iter().max().unwrap() + 1 + 1000;

        let ws = Workspace::open(dir, PASSPHRASE).await.expect("the store opens cleanly after SIGKILL");
        let note = ws.open_visit(visit).await.unwrap().narrative;
        let present: std::collections::HashSet<&str> = note.split("\n\n").collect();
        for n in &acked {
            assert!(present.contains(format!("edit {n}").as_str()), "acknowledged edit {n} was lost");
        }
        // And it still takes writes.
        ws.add_note(visit, "after the crash").await.unwrap();
        ws.close().await;
    }
    assert!(acked.len() >= 122);
}

/// A new laptop's first sync of a 10,000-record caseload, killed part way: every bundle it
/// reported applied is there when it opens again, and the sync it resumes brings exactly
/// the rest, none of what it already had again.
#[tokio::test(flavor = "multi_thread")]
async fn a_first_sync_killed_midway_keeps_what_it_applied_and_resumes_without_receiving_it_again() {
    use hedgerow_core::sync::transport::{IrohLink, RelayAddress};
    const RECORDS: usize = 10_000;
    let tmp = tempfile::tempdir().unwrap();
    let relay = hedgerow_tests::RelayProcess::start(
        &hedgerow_tests::workspace_binary("hedgerow-relay"),
        &tmp.path().join("relay"),
    );
    let address: RelayAddress = relay.address.parse().unwrap();
    let clinician = |name: &str, role| NewClinician { name: name.into(), role, registration: None };
    let nurse = Workspace::create(
        &tmp.path().join("nurse"),
        PASSPHRASE,
        clinician("Ada Quill", Role::DistrictNurse),
        None,
    )
    .await
    .unwrap();
    nurse.create_team("Crash team").await.unwrap();
    let mut ids = Vec::new();
    for start in (0..RECORDS).step_by(1_000) {
        let batch = (start..start + 1_000)
            .map(|i| NewPatient {
                nhs_number: hedgerow_tests::fictional_nhs_number(i).parse().unwrap(),
                name: format!("Fictional Patient {i}"),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap(),
                address: None,
            })
            .collect();
        ids.extend(nurse.add_patients(batch).await.unwrap().into_iter().map(|p| p.id));
    }
    let code = nurse.invite_device(false, chrono::Duration::hours(1)).await.unwrap().code;
    nurse.sync(&address, |_| {}).await.unwrap();
    let laptop = tmp.path().join("gp");
    let gp = Workspace::join_via(
        &laptop,
        PASSPHRASE,
        clinician("Dr Tomasz Orrell", Role::Gp),
        "laptop",
        &code,
        &mut IrohLink { relay: &address },
    )
    .await
    .unwrap();
    gp.close().await;

    let mut child = Command::new(env!("CARGO_BIN_EXE_hedgerow-first-sync"))
        .args([laptop.to_str().unwrap(), &relay.address])
        .env("HEDGEROW_PASSPHRASE", PASSPHRASE)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let applied = |line: &str| line.strip_prefix("applied ").and_then(|n| n.parse::<u64>().ok());
    let mut acknowledged = loop {
        let line = lines.next().expect("the sync ended before applying anything").unwrap();
        if let Some(n) = applied(&line) {
            break n;
        }
    };
    // SIGKILL while it applies the next part.
    child.kill().unwrap();
    child.wait().unwrap();
    for line in lines.map_while(Result::ok) {
        assert!(!line.starts_with("done"), "the sync finished before it was killed: {line}");
        acknowledged = acknowledged.max(applied(&line).unwrap_or(0));
    }

    let gp = Workspace::open(&laptop, PASSPHRASE).await.expect("the store opens cleanly after SIGKILL");
    let held = gp.caseload().await.unwrap().len() as u64;
    // Every bundle reported applied is kept (the team document's own bundle aside).
    assert!(held + 1 >= acknowledged, "{acknowledged} bundles were reported applied, {held} records kept");
    assert!(held < RECORDS as u64, "killed mid-way, yet all {held} records are here");

    let report = gp.sync(&address, |_| {}).await.unwrap();
    assert_eq!(report.new_documents, RECORDS as u64 - held, "every record missing came, each once");
    assert!(
        report.bundles_received <= RECORDS as u64 - held + 1,
        "{} bundles received again though {held} records were kept",
        report.bundles_received
    );
    assert_eq!(gp.caseload().await.unwrap().len(), RECORDS);
    for id in ids.iter().step_by(101) {
        let kind = hedgerow_core::documents::DocumentKind::Patient;
        assert_eq!(
            gp.document_heads(id.0, kind).await.unwrap(),
            nurse.document_heads(id.0, kind).await.unwrap(),
            "the record reads the same on both devices"
        );
    }
    gp.close().await;
    nurse.close().await;
}
