//! The encrypted store as a clinician's laptop meets it: reopened, stolen, crashed,
//! damaged, or handed a document from a newer Hedgerow.

use hedgerow_core::clinical::{Consciousness, Observations};
use hedgerow_core::documents::{DocumentError, DocumentKind, Role};
use hedgerow_core::store::DB_FILE;
use hedgerow_core::{Error, NewClinician, NewPatient, Workspace};
use hedgerow_tests::{PASSPHRASE, files_below, plaintext_hits};
use std::path::Path;

fn nurse() -> NewClinician {
    NewClinician {
        name: "Ada Quill".into(),
        role: Role::DistrictNurse,
        registration: Some("12A3456E".into()),
    }
}

fn obs() -> Observations {
    Observations {
        respiration_rate: Some(18),
        spo2: Some(95),
        on_oxygen: Some(false),
        systolic_bp: Some(128),
        pulse: Some(84),
        consciousness: Some(Consciousness::Alert),
        temperature: Some(37.2),
    }
}

async fn patient(ws: &Workspace, nhs: &str, name: &str) -> hedgerow_core::ids::PatientId {
    ws.add_patient(NewPatient {
        nhs_number: nhs.parse().unwrap(),
        name: name.into(),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1939, 5, 17).unwrap(),
        address: Some("Lower Furzeham Farm, Ebbcombe".into()),
    })
    .await
    .unwrap()
    .id
}

fn file_digest(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[tokio::test]
async fn a_record_reads_back_identical_after_reopening_and_a_wrong_passphrase_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ws = Workspace::create(dir, PASSPHRASE, nurse(), None).await.unwrap();
    let pid = patient(&ws, "9434765919", "Winifred Ashdown").await;
    let visit = ws.start_visit(pid).await.unwrap();
    ws.record_observations(visit, obs()).await.unwrap();
    ws.add_note(visit, "Leg ulcer redressed; granulating well.").await.unwrap();
    ws.sign_visit(visit).await.unwrap();
    let before = ws.open_patient(pid).await.unwrap();
    let visit_before = ws.open_visit(visit).await.unwrap();
    let caseload_before = ws.caseload().await.unwrap();
    ws.close().await;

    let db = dir.join(DB_FILE);
    let on_disk = file_digest(&db);
    for wrong in ["heather-kestrel-8", "", "HEATHER-KESTREL-7"] {
        let err = Workspace::open(dir, wrong).await.expect_err("wrong passphrase must fail");
        assert!(matches!(err, Error::WrongPassphrase), "{wrong:?}: {err}");
        assert!(err.to_string().contains("passphrase is wrong"));
    }
    assert_eq!(file_digest(&db), on_disk, "a wrong passphrase wrote to the database");

    let ws = Workspace::open(dir, PASSPHRASE).await.unwrap();
    let after = ws.open_patient(pid).await.unwrap();
    assert_eq!(after.record, before.record);
    assert_eq!(after.summary, before.summary);
    assert_eq!(after.recent_visits, before.recent_visits);
    let visit_after = ws.open_visit(visit).await.unwrap();
    assert_eq!(visit_after.narrative, visit_before.narrative);
    assert_eq!(visit_after.signature, visit_before.signature);
    assert_eq!(visit_after.signature_valid, Some(true));
    assert_eq!(ws.caseload().await.unwrap(), caseload_before);
    ws.close().await;
}

#[tokio::test]
async fn no_name_nhs_number_address_or_note_text_is_on_disk_in_plaintext() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ws = Workspace::create_demo(dir, PASSPHRASE, nurse()).await.unwrap();
    hedgerow_core::demo::populate(&ws, 30, 7, |_| {}).await.unwrap();
    let pid = patient(&ws, "9434765919", "Winifred Ashdown").await;
    let visit = ws.start_visit(pid).await.unwrap();
    ws.record_observations(visit, obs()).await.unwrap();
    let note = "Daughter Philippa worried about falls on the stairs";
    ws.add_note(visit, note).await.unwrap();

    let mut needles: Vec<String> = vec![
        "Winifred Ashdown".into(),
        "Ashdown".into(),
        "9434765919".into(),
        "943 476 5919".into(),
        "Lower Furzeham".into(),
        note.into(),
        "Philippa".into(),
        "Ada Quill".into(),
    ];
    for p in ws.caseload().await.unwrap() {
        needles.push(p.name.clone());
        needles.push(p.nhs_number.clone());
        needles.push(p.nhs_display());
        if let Some(a) = &p.address {
            needles.push(a.clone());
        }
    }
    // While open: the WAL and shared-memory files hold recent writes.
    assert!(
        files_below(dir).iter().any(|f| f.to_string_lossy().ends_with("-wal")),
        "expected a WAL file while open"
    );
    let hits = plaintext_hits(dir, &needles);
    assert!(hits.is_empty(), "plaintext found while open: {hits:?}");
    ws.close().await;
    let hits = plaintext_hits(dir, &needles);
    assert!(hits.is_empty(), "plaintext found after closing: {hits:?}");
}

#[tokio::test]
async fn a_corrupt_or_truncated_database_is_a_clear_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ws = Workspace::create_demo(dir, PASSPHRASE, nurse()).await.unwrap();
    hedgerow_core::demo::populate(&ws, 20, 3, |_| {}).await.unwrap();
    ws.close().await;
    let db = dir.join(DB_FILE);
    let good = std::fs::read(&db).unwrap();
    assert!(good.len() > 64 * 1024);

    // Truncated to its first pages.
    std::fs::write(&db, &good[..8192]).unwrap();
    let result = async {
        let ws = Workspace::open(dir, PASSPHRASE).await?;
        ws.caseload().await
    }
    .await;
    let err = result.expect_err("a truncated store must not read as fine");
    assert!(matches!(err, Error::Corrupt(_)), "truncated: {err}");

    // Pages overwritten in the middle.
    let mut damaged = good.clone();
    let mid = damaged.len() / 2;
    for b in &mut damaged[mid..mid + 16384] {
        *b = 0xA5;
    }
    std::fs::write(&db, &damaged).unwrap();
    let result = async {
        let ws = Workspace::open(dir, PASSPHRASE).await?;
        ws.reindex().await.map(|_| ())?;
        ws.caseload().await.map(|_| ())
    }
    .await;
    let err = result.expect_err("a damaged store must not read as fine");
    assert!(matches!(err, Error::Corrupt(_)), "damaged: {err}");
    assert!(err.to_string().contains("damaged"), "{err}");

    // Not a database at all.
    std::fs::write(&db, b"this is a shopping list, not a care record".repeat(200)).unwrap();
    let err = Workspace::open(dir, PASSPHRASE).await.expect_err("garbage must fail");
    assert!(matches!(err, Error::Corrupt(_)), "garbage: {err}");

    // Empty file.
    std::fs::write(&db, b"").unwrap();
    let err = Workspace::open(dir, PASSPHRASE).await.expect_err("empty file must fail");
    assert!(matches!(err, Error::Corrupt(_) | Error::Incomplete(_)), "empty: {err}");

    // No store at all.
    let empty = tempfile::tempdir().unwrap();
    let err = Workspace::open(empty.path(), PASSPHRASE).await.err().unwrap();
    assert!(matches!(err, Error::NoWorkspace(_)), "{err}");
    assert!(err.to_string().contains("hedgerow init"));
}

#[tokio::test]
async fn a_document_of_a_newer_schema_is_refused_whole_and_reported_by_reindex() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = Workspace::create(tmp.path(), PASSPHRASE, nurse(), None).await.unwrap();
    let pid = patient(&ws, "9434765919", "Winifred Ashdown").await;
    let other = patient(&ws, "9990000018", "Harold Coombe").await;

    // A newer Hedgerow wrote schema 2 into this record (e.g. after a sync).
    {
        use automerge::transaction::Transactable;
        let mut tx = ws.store().begin_write().await.unwrap();
        let mut doc = tx.load_document(&pid.0, DocumentKind::Patient).await.unwrap().unwrap();
        let heads = doc.get_heads();
        doc.put(automerge::ROOT, "schema", 2u64).unwrap();
        doc.put(automerge::ROOT, "future_field", "something new").unwrap();
        doc.commit();
        let chunk = doc.save_after(&heads);
        tx.append_chunk(&pid.0, DocumentKind::Patient, &chunk, &mut doc).await.unwrap();
        tx.commit().await.unwrap();
    }

    let err = ws.open_patient(pid).await.expect_err("newer schema must be refused");
    match &err {
        Error::Document(d) if matches!(**d, DocumentError::NewerSchema { found: 2, supported: 1, .. }) => {}
        other => panic!("expected NewerSchema, got {other}"),
    }
    assert!(err.to_string().contains("update Hedgerow"), "{err}");
    let err = ws.start_visit(pid).await.expect_err("and never half-written either");
    assert!(matches!(&err, Error::Document(d) if matches!(**d, DocumentError::NewerSchema { .. })), "{err}");
    assert!(ws.export_patient_document(pid).await.is_err());

    let report = ws.reindex().await.unwrap();
    assert_eq!(report.patients, 1);
    assert_eq!(report.unreadable.len(), 1, "{:?}", report.unreadable);
    assert!(report.unreadable[0].contains("schema version 2"), "{:?}", report.unreadable);
    assert!(ws.open_patient(other).await.is_ok(), "the other records stay usable");
    ws.close().await;
}

#[tokio::test]
async fn reindex_rebuilds_the_same_query_tables_from_the_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = Workspace::create_demo(tmp.path(), PASSPHRASE, nurse()).await.unwrap();
    hedgerow_core::demo::populate(&ws, 40, 11, |_| {}).await.unwrap();
    let pid = patient(&ws, "9434765919", "Winifred Ashdown").await;
    let visit = ws.start_visit(pid).await.unwrap();
    ws.record_observations(visit, obs()).await.unwrap();
    let caseload = ws.caseload().await.unwrap();
    let due = ws.due_tasks(chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap()).await.unwrap();
    let visits = ws.open_patient(pid).await.unwrap().recent_visits;
    let report = ws.reindex().await.unwrap();
    assert_eq!(report.patients, 41);
    assert!(report.unreadable.is_empty());
    assert_eq!(ws.caseload().await.unwrap(), caseload);
    let mut due_after = ws.due_tasks(chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap()).await.unwrap();
    let mut due_before = due.clone();
    due_before.sort_by(|a, b| (&a.due_date, &a.task_id).cmp(&(&b.due_date, &b.task_id)));
    due_after.sort_by(|a, b| (&a.due_date, &a.task_id).cmp(&(&b.due_date, &b.task_id)));
    assert_eq!(due_after, due_before);
    assert!(!due_before.is_empty(), "the demo caseload has due tasks");
    assert_eq!(ws.open_patient(pid).await.unwrap().recent_visits, visits);
    ws.close().await;
}

#[tokio::test]
async fn demo_patients_never_go_into_a_real_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = Workspace::create(tmp.path(), PASSPHRASE, nurse(), None).await.unwrap();
    patient(&ws, "9434765919", "Winifred Ashdown").await;
    let err = hedgerow_core::demo::populate(&ws, 5, 1, |_| {}).await.expect_err("refused");
    assert!(err.to_string().contains("real records"), "{err}");
    assert_eq!(ws.caseload().await.unwrap().len(), 1);
    ws.close().await;
}

#[tokio::test]
async fn no_demo_patient_has_an_allergy_or_a_current_medicine_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = Workspace::create_demo(tmp.path(), PASSPHRASE, nurse()).await.unwrap();
    hedgerow_core::demo::populate(&ws, 60, 7, |_| {}).await.unwrap();
    for p in ws.caseload().await.unwrap() {
        let r = ws.open_patient(p.id).await.unwrap().record;
        let mut allergies: Vec<&str> = r.allergies.iter().map(|a| a.substance.as_str()).collect();
        let mut medicines: Vec<&str> =
            r.medicines.iter().filter(|m| m.stop_date.is_none()).map(|m| m.name.as_str()).collect();
        let (a, m) = (allergies.len(), medicines.len());
        allergies.sort_unstable();
        allergies.dedup();
        medicines.sort_unstable();
        medicines.dedup();
        assert_eq!(allergies.len(), a, "{}: an allergy listed twice", p.name);
        assert_eq!(medicines.len(), m, "{}: a medicine listed twice", p.name);
    }
    ws.close().await;
}

#[tokio::test]
async fn many_edits_compact_and_still_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = Workspace::create(tmp.path(), PASSPHRASE, nurse(), None).await.unwrap();
    let pid = patient(&ws, "9434765919", "Winifred Ashdown").await;
    let visit = ws.start_visit(pid).await.unwrap();
    let mut max_chunks = 0;
    let mut compactions = 0;
    let mut last_snapshot = 0;
    for i in 0..200 {
        ws.add_note(visit, &format!("line {i}")).await.unwrap();
        let s = ws.store().begin_read().await.unwrap().document_storage(&visit.0).await.unwrap().unwrap();
        assert!(s.chunk_bytes <= s.snapshot_bytes, "chunks outgrew the snapshot without compaction: {s:?}");
        max_chunks = max_chunks.max(s.chunks);
        if s.snapshot_bytes != last_snapshot {
            compactions += 1;
            last_snapshot = s.snapshot_bytes;
        }
    }
    assert!(max_chunks > 1, "edits are appended as chunks, not rewritten whole");
    assert!(compactions > 2, "the document was compacted as it grew ({compactions})");
    ws.close().await;
    let ws = Workspace::open(tmp.path(), PASSPHRASE).await.unwrap();
    let v = ws.open_visit(visit).await.unwrap();
    let lines: Vec<&str> = v.narrative.split("\n\n").collect();
    assert_eq!(lines.len(), 200);
    assert_eq!(lines[0], "line 0");
    assert_eq!(lines[199], "line 199");
    ws.close().await;
}

#[tokio::test]
async fn query_rows_of_an_older_shape_are_rebuilt_when_the_store_is_unlocked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ws = Workspace::create(dir, PASSPHRASE, nurse(), None).await.unwrap();
    patient(&ws, "9434765919", "Winifred Ashdown").await;
    let caseload = ws.caseload().await.unwrap();
    // A store written by an older Hedgerow: its rows are in a shape this one does not read
    // (here, not readable at all) and its index version is older.
    let mut tx = ws.store().begin_write().await.unwrap();
    tx.put_setting("index-version", b"1").await.unwrap();
    tx.commit().await.unwrap();
    ws.close().await;
    {
        let pool =
            sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.join(DB_FILE).display())).await.unwrap();
        sqlx::query("UPDATE patient_index SET summary = x'0102'").execute(&pool).await.unwrap();
        pool.close().await;
    }
    let ws = Workspace::open(dir, PASSPHRASE).await.unwrap();
    assert_eq!(ws.caseload().await.unwrap(), caseload, "rebuilt from the documents, not reported as damage");
    let log = ws.audit_log(None).await.unwrap();
    assert!(log.iter().any(|e| e.detail.starts_with("rebuilt query tables")));
    // Once rebuilt, the next unlock does not rebuild again.
    ws.close().await;
    let ws = Workspace::open(dir, PASSPHRASE).await.unwrap();
    let rebuilt = ws
        .audit_log(None)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.detail.starts_with("rebuilt query tables"))
        .count();
    assert_eq!(rebuilt, 1);
}

/// A record is kept loaded between edits; a second workspace on the same directory (as a
/// second process is) writes in between, and neither edit is lost.
#[tokio::test]
async fn edits_from_two_workspaces_on_one_store_both_stand_though_records_are_kept_loaded() {
    use hedgerow_core::workspace::DetailsUpdate;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let laptop = Workspace::create(dir, PASSPHRASE, nurse(), None).await.unwrap();
    let pid = patient(&laptop, "9434765919", "Winifred Ashdown").await;
    let details = |phone: Option<&str>, access: Option<&str>| DetailsUpdate {
        phone: phone.map(Into::into),
        access_notes: access.map(Into::into),
        ..Default::default()
    };
    laptop.update_details(pid, details(Some("01454 000001"), None)).await.unwrap();
    let second = Workspace::open(dir, PASSPHRASE).await.unwrap();
    second.update_details(pid, details(Some("01454 000002"), None)).await.unwrap();
    assert_eq!(
        laptop.open_patient(pid).await.unwrap().document.demographics.phone.as_deref(),
        Some("01454 000002")
    );
    laptop.update_details(pid, details(None, Some("Key safe 4471"))).await.unwrap();
    let d = second.open_patient(pid).await.unwrap().document.demographics;
    assert_eq!(d.phone.as_deref(), Some("01454 000002"), "the other workspace's phone number stands");
    assert_eq!(d.access_notes.as_deref(), Some("Key safe 4471"));
    laptop.close().await;
    second.close().await;
}
