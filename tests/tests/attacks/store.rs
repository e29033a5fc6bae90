//! A stolen laptop's store, altered without the passphrase: rows deleted or put back, the
//! audit log cut; and reads of a record off the caseload without break-glass.

use super::winifred;
use hedgerow_core::documents::Role;
use hedgerow_core::documents::patient::AllergySeverity;
use hedgerow_core::ids::PatientId;
use hedgerow_core::store::DB_FILE;
use hedgerow_core::workspace::NewProblem;
use hedgerow_core::{Error, NewClinician, Workspace};
use hedgerow_tests::{MemoryTeam, PASSPHRASE, TWO_TEAMS};
use std::path::{Path, PathBuf};

/// The store file itself, opened as anyone with the laptop could, without the passphrase.
async fn raw(dir: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.join(DB_FILE).display())).await.unwrap()
}

async fn exec(pool: &sqlx::SqlitePool, sql: &str) -> u64 {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(pool).await.unwrap().rows_affected()
}

fn nurse() -> NewClinician {
    NewClinician {
        name: "Nia Penhallow".into(),
        role: Role::DistrictNurse,
        registration: Some("99Z9999X".into()),
    }
}

async fn workspace() -> (tempfile::TempDir, PathBuf, Workspace) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nurse");
    let ws = Workspace::create(&dir, PASSPHRASE, nurse(), None).await.unwrap();
    (tmp, dir, ws)
}

fn damaged(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Err(e @ Error::Corrupt(_)) => e.to_string(),
        other => panic!("expected the store to be reported damaged, got {other:?}"),
    }
}

#[tokio::test]
async fn deleting_a_chunk_of_a_record_is_refused_as_damage_not_a_shorter_record() {
    let (_tmp, dir, ws) = workspace().await;
    let p = winifred(&ws).await;
    ws.add_allergy(p, "Penicillin", Some("anaphylaxis".into()), AllergySeverity::Severe).await.unwrap();
    let pool = raw(&dir).await;
    let id = hex::encode(p.0);
    let deleted = exec(
        &pool,
        &format!("DELETE FROM document_chunks WHERE document_id = x'{id}' AND seq = (SELECT MAX(seq) FROM document_chunks WHERE document_id = x'{id}')"),
    )
    .await;
    assert_eq!(deleted, 1, "the allergy was written as a chunk");
    let why = damaged(ws.open_patient(p).await);
    assert!(why.contains("deleted or put back"), "{why}");
    // Not a record without its allergy on any read path.
    assert!(matches!(ws.record_history(p).await, Err(Error::Corrupt(_))));
    assert!(matches!(ws.export_fhir(p).await, Err(Error::Corrupt(_))));
}

#[tokio::test]
async fn an_older_snapshot_put_back_is_refused() {
    let (_tmp, dir, ws) = workspace().await;
    let p = winifred(&ws).await;
    let pool = raw(&dir).await;
    let old: Vec<u8> = sqlx::query_scalar("SELECT snapshot FROM documents WHERE id = ?")
        .bind(p.0.as_slice())
        .fetch_one(&pool)
        .await
        .unwrap();
    // Enough care plan to fold the changes into a new snapshot.
    for i in 0..40 {
        let detail = format!("Review {i}: {}", "pressure areas and skin integrity checked; ".repeat(8));
        ws.add_problem(
            p,
            NewProblem { title: format!("Problem {i}"), detail: Some(detail), ..Default::default() },
        )
        .await
        .unwrap();
    }
    let now: Vec<u8> = sqlx::query_scalar("SELECT snapshot FROM documents WHERE id = ?")
        .bind(p.0.as_slice())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(old, now, "the record was compacted into a new snapshot");
    sqlx::query("UPDATE documents SET snapshot = ? WHERE id = ?")
        .bind(&old)
        .bind(p.0.as_slice())
        .execute(&pool)
        .await
        .unwrap();
    exec(&pool, "DELETE FROM document_chunks").await;
    let why = damaged(ws.open_patient(p).await);
    assert!(why.contains("snapshot"), "{why}");
}

#[tokio::test]
async fn an_older_team_keyring_put_back_is_refused() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    winifred(&team.admin).await;
    let lost = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    let dir = team.admin.store().dir().to_owned();
    let pool = raw(&dir).await;
    let (value, version): (Vec<u8>, i64) =
        sqlx::query_as("SELECT value, version FROM settings WHERE name = 'team-keyring-v2'")
            .fetch_one(&pool)
            .await
            .unwrap();
    // After the rotation, the keyring from before it (which the revoked device also holds)
    // is put back, so the admin would go on writing under a key the thief has.
    team.admin.revoke_device(&lost.identity().device_id.to_hex(), "tablet stolen").await.unwrap();
    sqlx::query("UPDATE settings SET value = ?, version = ? WHERE name = 'team-keyring-v2'")
        .bind(&value)
        .bind(version)
        .execute(&pool)
        .await
        .unwrap();
    let err = team.sync(&team.admin).await.unwrap_err().to_string();
    assert!(err.contains("older copy was put back"), "{err}");
    // Deleting it is found as well.
    exec(&pool, "DELETE FROM settings WHERE name = 'team-keyring-v2'").await;
    let err = team.sync(&team.admin).await.unwrap_err().to_string();
    assert!(err.contains("was deleted"), "{err}");
}

#[tokio::test]
async fn deleting_audit_entries_is_reported_at_open_and_reaches_the_team() {
    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let p = winifred(&team.admin).await;
    let member = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    team.sync(&member).await.unwrap();
    // Enough entries that they go to the team at the next sync.
    for _ in 0..hedgerow_core::workspace::AUDIT_PUSH_AFTER {
        member.open_patient(p).await.unwrap();
    }
    team.sync(&member).await.unwrap();
    let dir = member.store().dir().to_owned();
    member.close().await;

    // The laptop's thief removes one entry from the middle and the last two.
    let pool = raw(&dir).await;
    let last: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log").fetch_one(&pool).await.unwrap();
    exec(&pool, &format!("DELETE FROM audit_log WHERE seq IN ({}, {}, {})", last / 2, last - 1, last)).await;
    pool.close().await;
    let member = Workspace::open(&dir, PASSPHRASE).await.unwrap();
    let check = member.audit_check().clone();
    assert!(!check.intact());
    assert!(check.breaks.iter().any(|b| b.contains(&format!("entry {} is missing", last / 2))), "{check:?}");
    assert!(check.breaks.iter().any(|b| b.contains("last 2 entries are missing")), "{check:?}");
    // Opened again, it is still reported, and recorded once.
    member.close().await;
    let member = Workspace::open(&dir, PASSPHRASE).await.unwrap();
    assert_eq!(member.audit_check().breaks, check.breaks);
    let own = member.audit_log(None).await.unwrap();
    assert_eq!(own.iter().filter(|e| e.detail.contains("found broken")).count(), 1);

    // The team's governance lead sees it on the admin's device, from which device, and the
    // deleted entries the relay already had are still in the team's copy.
    team.sync(&member).await.unwrap();
    let report = team.sync(&team.admin).await.unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    let audit = team.admin.team_audit(true).await.unwrap();
    let theirs: Vec<_> =
        audit.entries.iter().filter(|e| e.device == hex::encode(member.device_public_key())).collect();
    assert!(theirs.iter().any(|e| e.entry.detail.contains("found broken")), "{theirs:?}");
    assert!(theirs.iter().all(|e| e.device_label.contains("Ffion Carrow")), "{theirs:?}");
    let all = team.admin.team_audit(false).await.unwrap();
    let views = all
        .entries
        .iter()
        .filter(|e| e.device == hex::encode(member.device_public_key()) && e.entry.detail == "opened record")
        .count();
    assert!(
        views >= hedgerow_core::workspace::AUDIT_PUSH_AFTER,
        "the team's copy keeps what was deleted on the laptop: {views}"
    );
    // The log rewritten from the cut shows as such, and the device's own report names the
    // entry taken from its middle (which the team's copy still holds).
    let problems: Vec<&str> = all.entries.iter().filter_map(|e| e.problem.as_deref()).collect();
    assert!(problems.iter().any(|p| p.contains("rewritten")), "{problems:?}");
    let reported = theirs.iter().find(|e| e.entry.detail.contains("found broken")).unwrap();
    assert!(reported.entry.detail.contains(&format!("entry {} is missing", last / 2)), "{reported:?}");
    // Only admins read the team's log.
    assert!(member.team_audit(false).await.is_err());
}

/// Every way of reading a record, by name.
async fn reads(
    ws: &Workspace,
    p: PatientId,
    visit: hedgerow_core::ids::VisitId,
) -> Vec<(&'static str, Result<(), Error>)> {
    let at = hedgerow_core::documents::Timestamp::now();
    vec![
        ("open_patient", ws.open_patient(p).await.map(drop)),
        ("open_visit", ws.open_visit(visit).await.map(drop)),
        ("record_history", ws.record_history(p).await.map(drop)),
        ("briefing", ws.briefing(p).await.map(drop)),
        ("record_at", ws.record_at(p, at).await.map(drop)),
        (
            "changes_between",
            ws.changes_between(p, hedgerow_core::documents::Timestamp(0), at).await.map(drop),
        ),
        ("field_history", ws.field_history(p, "demographics/name").await.map(drop)),
        ("conflicts", ws.conflicts(p).await.map(drop)),
        ("observation_history", ws.observation_history(p).await.map(drop)),
        ("export_fhir", ws.export_fhir(p).await.map(drop)),
        ("export_summary", ws.export_summary(p).await.map(drop)),
        ("export_patient_document", ws.export_patient_document(p).await.map(drop)),
    ]
}

#[tokio::test]
async fn every_read_of_a_record_off_the_caseload_needs_break_glass() {
    let (_tmp, _dir, gp) = workspace().await;
    let tmp = tempfile::tempdir().unwrap();
    let other = Workspace::create(tmp.path(), PASSPHRASE, nurse(), None).await.unwrap();
    let p = winifred(&other).await;
    let doc = other.export_patient_document(p).await.unwrap();
    gp.merge_document(&doc, false, Some(TWO_TEAMS)).await.unwrap();
    // A visit this device wrote to it (writing is audited and flagged; reading is the question).
    let visit = gp.start_visit(p).await.unwrap();
    gp.add_note(visit, "Seen at home.").await.unwrap();

    for (name, r) in reads(&gp, p, visit).await {
        assert!(matches!(r, Err(Error::BreakGlassRequired)), "{name} read a record off the caseload: {r:?}");
    }
    assert!(gp.break_glass(p, "  ").await.is_err(), "a reason is required");
    gp.break_glass(p, "Out-of-hours call; patient's own nurse unavailable").await.unwrap();
    for (name, r) in reads(&gp, p, visit).await {
        assert!(!matches!(r, Err(Error::BreakGlassRequired)), "{name} still refused after break-glass");
    }
    let flagged: Vec<_> = gp.audit_log(Some(p)).await.unwrap().into_iter().filter(|e| e.flagged).collect();
    assert!(flagged.iter().any(|e| e.detail.contains("Out-of-hours")), "{flagged:?}");
}
