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
