//! A sync that fails on this device keeps the reason's type, so a shell can say what to do:
//! a full disk is a full disk, not "sync failed", and the next sync takes everything.

use hedgerow_core::Error;
use hedgerow_core::documents::Role;
use hedgerow_core::workspace::NewProblem;
use hedgerow_tests::{MemoryTeam, fictional_nhs_number};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A small file system of the test's own (tmpfs), unmounted when dropped. Needs root, as the
/// test command runs; without it the test fails rather than pass untried.
struct SmallDisk {
    path: PathBuf,
    _parent: tempfile::TempDir,
}

impl SmallDisk {
    fn new(megabytes: u32) -> Self {
        let parent = tempfile::tempdir().unwrap();
        let path = parent.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .status()
            .expect("mount runs");
        assert!(status.success(), "could not mount a small tmpfs at {} (run as root)", path.display());
        Self { path, _parent: parent }
    }

    /// Fills what is free but about `spare` bytes; returns the ballast file.
    fn fill_leaving(&self, spare: u64) -> PathBuf {
        let ballast = self.path.join("ballast");
        let mut f = std::fs::File::create(&ballast).unwrap();
        let block = vec![0xa5u8; 16 * 1024];
        while f.write_all(&block).is_ok() {}
        drop(f);
        let len = std::fs::metadata(&ballast).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&ballast)
            .unwrap()
            .set_len(len.saturating_sub(spare))
            .unwrap();
        ballast
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

async fn add_patients(ws: &hedgerow_core::Workspace, n: usize) {
    // A long plan item each, so the pull is far more than the space left.
    let detail =
        "Dressing regime, skin care, positioning and pain review as agreed with the patient. ".repeat(40);
    for i in 0..n {
        let p = ws
            .add_patient(hedgerow_core::NewPatient {
                nhs_number: fictional_nhs_number(100 + i).parse().unwrap(),
                name: format!("Patient {i} Ashcombe"),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1938, 1, 1 + (i % 28) as u32).unwrap(),
                address: Some(format!("{i} Mill Lane, Little Wyck")),
            })
            .await
            .unwrap()
            .id;
        let problem = NewProblem {
            title: "Venous leg ulcer".into(),
            detail: Some(detail.clone()),
            ..Default::default()
        };
        ws.add_problem(p, problem).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_during_a_pull_is_reported_as_a_full_disk_and_the_next_sync_takes_everything() {
    let team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let disk = SmallDisk::new(24);
    let gp = team.enrol_in(&disk.path, "Dr Tomasz Orrell", Role::Gp, false).await.unwrap();

    add_patients(&team.admin, 120).await;
    team.sync(&team.admin).await.unwrap();
    let ballast = disk.fill_leaving(48 * 1024);

    let pulled = team.sync(&gp).await;
    let err = pulled.expect_err("a pull of 120 records cannot fit in 48 KB");
    let err = err.downcast::<Error>().expect("a core error");
    assert!(matches!(err, Error::DiskFull), "the reason keeps its type through the sync: {err:?}");
    assert!(err.to_string().contains("the disk is full"), "{err}");

    // Space freed: the next sync takes the rest, nothing lost or doubled.
    std::fs::remove_file(&ballast).unwrap();
    let report = team.sync(&gp).await.unwrap();
    assert!(report.bundles_received > 0, "{report:?}");
    let mut theirs: Vec<String> =
        team.admin.caseload().await.unwrap().into_iter().map(|p| p.nhs_number).collect();
    let mut mine: Vec<String> = gp.caseload().await.unwrap().into_iter().map(|p| p.nhs_number).collect();
    theirs.sort();
    mine.sort();
    assert_eq!(mine, theirs);
    assert_eq!(mine.len(), 120);
    gp.close().await;
    assert_dir_opens(&disk.path).await;
}

/// The store on the small disk still opens and checks whole after the failed pull.
async fn assert_dir_opens(dir: &Path) {
    let ws = hedgerow_core::Workspace::open(dir, hedgerow_tests::PASSPHRASE).await.unwrap();
    assert_eq!(ws.caseload().await.unwrap().len(), 120);
    ws.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_saved_on_a_full_disk_is_refused_as_a_full_disk_and_saves_once_there_is_room() {
    let disk = SmallDisk::new(16);
    let clinician = hedgerow_core::NewClinician {
        name: "Nia Penhallow".into(),
        role: Role::DistrictNurse,
        registration: None,
    };
    let ws = hedgerow_core::Workspace::create(&disk.path, hedgerow_tests::PASSPHRASE, clinician, None)
        .await
        .unwrap();
    add_patients(&ws, 1).await;
    let patient = ws.caseload().await.unwrap()[0].id;
    let visit = ws.start_visit(patient).await.unwrap();
    let ballast = disk.fill_leaving(0);
    let note = "Leg ulcer redressed; granulating well. ".repeat(400);

    let refused = ws.add_note(visit, &note).await;
    assert!(matches!(refused, Err(Error::DiskFull)), "{refused:?}");
    std::fs::remove_file(&ballast).unwrap();
    // The same workspace, not restarted: the connection the full disk broke is not reused.
    ws.add_note(visit, &note).await.unwrap();
    let seen = ws.open_visit(visit).await.unwrap();
    assert_eq!(seen.narrative.trim(), note.trim(), "saved once: the refused save left nothing behind");
}
