//! The relay's log: pruning other people's entries, decompression bombs, revoked devices
//! that keep a connection open or whose later bundles a relay serves, a device joining
//! during a long pull, and a relay put back from a backup.

use super::{now, winifred};
use hedgerow_core::Workspace;
use hedgerow_core::crypto::DeviceKey;
use hedgerow_core::documents::Role;
use hedgerow_core::ids::PatientId;
use hedgerow_core::sync::bundle::{BundleBody, seal_bundle, sign_entry};
use hedgerow_core::sync::client::{ClientSession, INFLATE_BUDGET, SessionPlan, SyncEvent};
use hedgerow_core::sync::transport::{Link, SessionHandler, TransportError};
use hedgerow_core::sync::wire::{EntryKind, LogEntry, Refusal, Reply, Request};
use hedgerow_core::workspace::{NewProblem, SignedExport};
use hedgerow_relay::{RelayState, RelayStorage, SqliteRelayStorage};
use hedgerow_tests::{MemoryTeam, RawConnection, ScriptedLink, hello, refusal_of};
use std::sync::Arc;

async fn push_as(team: &MemoryTeam, key: &DeviceKey, entries: Vec<LogEntry>) -> Vec<Reply> {
    let mut conn = RawConnection::open(&team.relay, key.public_key(), now());
    conn.send(&[hello(team.team_id()), Request::Push { entries }]).await
}

async fn all_entries(team: &MemoryTeam) -> Vec<(u64, LogEntry)> {
    team.relay.storage().entries_after(team.team_id(), 0, [0; 32], usize::MAX).await.unwrap().entries
}

async fn problem(ws: &Workspace, p: PatientId, title: &str) {
    ws.add_problem(p, NewProblem { title: title.into(), ..Default::default() }).await.unwrap();
}

async fn has_problem(ws: &Workspace, p: PatientId, title: &str) -> bool {
    ws.open_patient(p).await.unwrap().record.care_plan.iter().any(|c| c.title == title)
}

/// A snapshot bundle of the record as `ws` holds it, sealed and signed by `ws`.
async fn snapshot_of(ws: &Workspace, p: PatientId) -> LogEntry {
    let export = SignedExport::parse(&ws.export_patient_document(p).await.unwrap()).unwrap().unwrap();
    let body =
        BundleBody { document: p.0, kind: "patient".into(), changes: export.document, heads: export.heads };
    let ring = ws.test_keyring().await.unwrap().unwrap();
    seal_bundle(&ws.test_device_key(), &ws.identity().team_id.0, &ring, &body, true).unwrap()
}

#[tokio::test]
async fn a_snapshot_cannot_prune_another_authors_changes_or_the_team_keys() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let p = winifred(&team.admin).await;
    let rogue = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    let reader = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let lost = team.join("Eleri Vaughan", Role::HealthcareAssistant).await.unwrap();
    // A rotation, so the log holds team key envelopes.
    team.admin.revoke_device(&lost.identity().device_id.to_hex(), "tablet lost").await.unwrap();
    team.sync(&team.admin).await.unwrap();
    team.sync(&rogue).await.unwrap();
    // The nurse's change the GP has not fetched yet.
    problem(&team.admin, p, "Pressure area care, sacrum").await;
    team.sync(&team.admin).await.unwrap();
    let before = all_entries(&team).await;
    let keys_before = before.iter().filter(|(_, e)| matches!(e.kind, EntryKind::TeamKey { .. })).count();
    assert!(keys_before >= 2);

    // The rogue stores a snapshot of the same record (which would drop everything under
    // its tag), and one with the all-zero tag the key envelopes carry.
    let snapshot = snapshot_of(&rogue, p).await;
    let ring = rogue.test_keyring().await.unwrap().unwrap();
    let envelope_eraser = sign_entry(
        &rogue.test_device_key(),
        &team.team_id(),
        LogEntry {
            author: rogue.device_public_key(),
            key: ring.current().unwrap(),
            doc_tag: [0; 16],
            kind: EntryKind::Snapshot { earlier_tags: vec![[0; 16]] },
            sealed: vec![0; 64],
            signature: Vec::new(),
        },
    );
    assert_eq!(
        refusal_of(&push_as(&team, &rogue.test_device_key(), vec![snapshot, envelope_eraser]).await),
        None
    );

    let after = all_entries(&team).await;
    for (seq, e) in before.iter().filter(|(_, e)| e.author != rogue.device_public_key()) {
        assert!(
            after.iter().any(|(s, _)| s == seq),
            "entry {seq} ({}) by another device was pruned",
            e.kind.code()
        );
    }
    let report = team.sync(&reader).await.unwrap();
    assert!(has_problem(&reader, p, "Pressure area care, sacrum").await, "{report:?}");
}

/// Counts the inflated bytes of each batch a session hands out.
#[derive(Default)]
struct Batches {
    bundles: usize,
    largest_batch: u64,
}

impl SessionHandler for Batches {
    async fn on_event(
        &mut self,
        event: SyncEvent,
        session: &mut ClientSession,
    ) -> Result<(), TransportError> {
        match event {
            SyncEvent::Received { bundles, .. } => {
                self.bundles += bundles.len();
                let bytes: u64 = bundles.iter().map(|b| b.body.changes.len() as u64).sum();
                self.largest_batch = self.largest_batch.max(bytes);
            }
            SyncEvent::PullDone { .. } => session.push(Vec::new()),
            _ => {}
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_batch_of_decompression_bombs_is_opened_within_the_budget() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let p = winifred(&team.admin).await;
    let rogue = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    let reader = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    // Bundles of a few kilobytes that inflate to 30 MiB each, eight of them in one batch:
    // 240 MiB held at once if every body in a batch were opened together.
    let ring = rogue.test_keyring().await.unwrap().unwrap();
    let body =
        BundleBody { document: p.0, kind: "patient".into(), changes: vec![0; 30 << 20], heads: vec![] };
    let bomb = seal_bundle(&rogue.test_device_key(), &team.team_id(), &ring, &body, false).unwrap();
    assert!(bomb.sealed.len() < 256 * 1024, "{} bytes sealed", bomb.sealed.len());
    assert_eq!(refusal_of(&push_as(&team, &rogue.test_device_key(), vec![bomb; 8]).await), None);

    let plan = SessionPlan {
        team: team.team_id(),
        cursor: 0,
        pushed_through: 0,
        log_id: None,
        registry: reader.test_registry().await.unwrap().statements().to_vec(),
        anchor: None,
        publish: vec![],
        offers: vec![],
        letters: Vec::new(),
    };
    let ring = reader.test_keyring().await.unwrap().unwrap();
    let mut session = ClientSession::new(reader.test_device_key(), ring, plan).unwrap();
    let mut batches = Batches::default();
    team.link().run(&reader.test_device_key(), &mut session, &mut batches).await.unwrap();
    assert!(batches.bundles >= 8, "{}", batches.bundles);
    assert!(batches.largest_batch <= INFLATE_BUDGET, "{} bytes held at once", batches.largest_batch);
    // And the device itself takes nothing from them and keeps its record.
    let kind = hedgerow_core::documents::DocumentKind::Patient;
    let heads = reader.document_heads(p.0, kind).await.unwrap();
    let report = team.sync(&reader).await.unwrap();
    assert_eq!(report.bundles_received, 8, "{report:?}");
    assert_eq!(report.documents_changed, 0, "{report:?}");
    assert_eq!(reader.document_heads(p.0, kind).await.unwrap(), heads);
    assert_eq!(reader.open_patient(p).await.unwrap().record.demographics.name, "Winifred Ashdown");
}

#[tokio::test]
async fn a_revoked_device_holding_its_connection_open_is_cut_off() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    winifred(&team.admin).await;
    let revoked = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    let id = team.team_id();
    let key = revoked.test_device_key();
    // The laptop connects while still enrolled, and keeps the connection.
    let mut conn = RawConnection::open(&team.relay, key.public_key(), now());
    let welcome = conn.send(&[hello(id)]).await;
    assert!(matches!(welcome[..], [Reply::Welcome { enrolled: true, .. }]), "{welcome:?}");
    team.admin.revoke_device(&revoked.identity().device_id.to_hex(), "laptop stolen").await.unwrap();
    team.sync(&team.admin).await.unwrap();

    let replies = conn.send(&[Request::Pull { after: 0, log_id: None }]).await;
    assert_eq!(refusal_of(&replies), Some(Refusal::Revoked), "{replies:?}");
    assert!(conn.is_closing());
    let mut conn = RawConnection::open(&team.relay, key.public_key(), now());
    let replies = conn.send(&[hello(id)]).await;
    assert_eq!(refusal_of(&replies), Some(Refusal::Revoked), "{replies:?}");
}

#[tokio::test]
async fn bundles_a_revoked_device_wrote_after_its_revocation_are_refused() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let p = winifred(&team.admin).await;
    let revoked = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    let reader = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    team.admin.revoke_device(&revoked.identity().device_id.to_hex(), "left the team").await.unwrap();
    team.sync(&team.admin).await.unwrap();
    team.sync(&reader).await.unwrap();

    // The revoked laptop writes under the old key, and a relay serves it as if it came in
    // before the revocation.
    problem(&revoked, p, "Stop all medicines").await;
    let entry = snapshot_of(&revoked, p).await;
    team.relay.storage().append_entries(team.team_id(), &[entry]).await.unwrap();
    let report = team.sync(&reader).await.unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(!has_problem(&reader, p, "Stop all medicines").await);
}

#[tokio::test]
async fn a_device_joining_during_a_long_pull_is_not_skipped() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let p = winifred(&team.admin).await;
    let reader = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    // The reader's pull starts with the registry as it is; before the relay serves the
    // log, a new device joins and writes.
    let (paused_tx, paused) = tokio::sync::oneshot::channel();
    let (resume, resume_rx) = tokio::sync::oneshot::channel();
    let mut link = ScriptedLink::new(team.relay.clone());
    link.pause_before_pull = Some((paused_tx, resume_rx));
    let relay = team.relay.clone();
    let (report, newcomer) = tokio::join!(reader.sync_via(&mut link, |_| {}), async {
        paused.await.unwrap();
        let newcomer = team.join("Bryony Tregear", Role::HospiceNurse).await.unwrap();
        problem(&newcomer, p, "Anticipatory medicines in the home").await;
        newcomer.sync_via(&mut hedgerow_tests::MemoryLink::new(relay), |_| {}).await.unwrap();
        resume.send(()).unwrap();
        newcomer
    });
    let report = report.unwrap();
    assert_eq!(report.waiting_for_author, None, "{report:?}");
    assert!(report.rejected.is_empty(), "{report:?}");
    assert!(has_problem(&reader, p, "Anticipatory medicines in the home").await, "{report:?}");
    drop(newcomer);
}

#[tokio::test]
async fn a_relay_restored_from_a_backup_loses_and_skips_nothing() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let p = winifred(&team.admin).await;
    let gp = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let backup = team.new_dir().unwrap().join("relay-backup.db");
    team.relay.storage().backup(&backup).await.unwrap();

    // After the backup, both write and sync; then the relay's disk dies and the backup is
    // put back.
    problem(&team.admin, p, "Catheter care").await;
    team.sync(&team.admin).await.unwrap();
    problem(&gp, p, "Review pain relief").await;
    team.sync(&gp).await.unwrap();
    team.sync(&team.admin).await.unwrap();
    team.relay.storage().close().await;
    SqliteRelayStorage::restore(team.relay_dir(), &backup).await.unwrap();
    team.relay = Arc::new(RelayState::new(SqliteRelayStorage::open(team.relay_dir()).await.unwrap()));

    let report = team.sync(&team.admin).await.unwrap();
    assert!(report.log_reset, "{report:?}");
    team.sync(&gp).await.unwrap();
    // A device enrolled after the restore gets everything both wrote after the backup.
    let newcomer = team.join("Bryony Tregear", Role::HospiceNurse).await.unwrap();
    assert!(has_problem(&newcomer, p, "Catheter care").await);
    assert!(has_problem(&newcomer, p, "Review pain relief").await);
}

#[tokio::test]
async fn a_relay_log_that_went_back_without_a_new_id_is_pulled_again() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let p = winifred(&team.admin).await;
    let gp = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let backup = team.new_dir().unwrap().join("relay-copy.db");
    team.relay.storage().backup(&backup).await.unwrap();
    problem(&team.admin, p, "Catheter care").await;
    team.sync(&team.admin).await.unwrap();
    team.sync(&gp).await.unwrap();
    // The file is copied back by hand, log id and all.
    team.relay.storage().close().await;
    let db = team.relay_dir().join(hedgerow_relay::storage::sqlite::RELAY_DB_FILE);
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", db.display()));
    }
    std::fs::copy(&backup, &db).unwrap();
    team.relay = Arc::new(RelayState::new(SqliteRelayStorage::open(team.relay_dir()).await.unwrap()));

    let report = team.sync(&team.admin).await.unwrap();
    assert!(report.log_reset, "the writer's pushes are past the log's end: {report:?}");
    team.sync(&gp).await.unwrap();
    let newcomer = team.join("Bryony Tregear", Role::HospiceNurse).await.unwrap();
    assert!(has_problem(&newcomer, p, "Catheter care").await);
}

#[tokio::test]
async fn a_change_built_on_changes_a_snapshot_pruned_is_not_lost() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let p = winifred(&team.admin).await;
    let gp = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    problem(&team.admin, p, "Catheter care").await;
    team.sync(&team.admin).await.unwrap();
    // The GP's change builds on the nurse's; then the nurse's snapshot replaces the nurse's
    // earlier entries, which a device pulling from the start meets after the GP's.
    team.sync(&gp).await.unwrap();
    problem(&gp, p, "Review pain relief").await;
    team.sync(&gp).await.unwrap();
    let snapshot = snapshot_of(&team.admin, p).await;
    assert_eq!(refusal_of(&push_as(&team, &team.admin.test_device_key(), vec![snapshot]).await), None);

    let newcomer = team.join("Bryony Tregear", Role::HospiceNurse).await.unwrap();
    assert!(has_problem(&newcomer, p, "Catheter care").await);
    assert!(has_problem(&newcomer, p, "Review pain relief").await, "the GP's change was lost");
}
