//! Benchmarks against DESIGN.md's budgets on a 2,000-patient demo caseload:
//! - unlock and list the caseload (budget: under 1 s),
//! - open one patient record with its last 10 visits (budget: under 20 ms),
//! - an edit durable on disk (budget: under 10 ms).
//!
//! Then a record with five years of weekly visits (260 visit notes, 5,000 changes on the
//! record): opened from disk, edited, and the memory its loaded Automerge document takes.
//!
//! Run: `cargo bench -p hedgerow-core --bench store`. Set HEDGEROW_BENCH_PATIENTS to change
//! the caseload size, HEDGEROW_BENCH_CHANGES the long record's history.

use criterion::{Criterion, criterion_group, criterion_main};
use hedgerow_core::documents::DocumentKind;
use hedgerow_core::documents::Role;
use hedgerow_core::workspace::{DetailsUpdate, NewPatient};
use hedgerow_core::{NewClinician, Workspace};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

const PASS: &str = "bench-passphrase";

/// Counts the bytes live on the heap, to weigh a loaded document.
struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

async fn demo_workspace(dir: &std::path::Path) -> Workspace {
    let nurse = NewClinician { name: "Ada Quill".into(), role: Role::DistrictNurse, registration: None };
    Workspace::create_demo(dir, PASS, nurse).await.expect("create")
}

fn patients() -> usize {
    env_number("HEDGEROW_BENCH_PATIENTS", 2000)
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().to_owned();
    let n = patients();
    let (patient, visit) = rt.block_on(async {
        let ws = demo_workspace(&dir).await;
        let started = Instant::now();
        let report = hedgerow_core::demo::populate(&ws, n, 2026, |_| {}).await.expect("demo");
        eprintln!(
            "demo caseload: {} patients, {} visits, written in {:.1?}",
            report.patients,
            report.visits,
            started.elapsed()
        );
        let caseload = ws.caseload().await.expect("caseload");
        let patient = caseload[caseload.len() / 2].id;
        let visit = ws.start_visit(patient).await.expect("visit");
        ws.close().await;
        (patient, visit)
    });
    let db_bytes = std::fs::metadata(dir.join(hedgerow_core::store::DB_FILE)).map(|m| m.len()).unwrap_or(0);
    eprintln!("store size: {:.1} MiB", db_bytes as f64 / 1048576.0);

    let mut g = c.benchmark_group("budgets");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function(format!("unlock and list a caseload of {n}"), |b| {
        b.to_async(&rt).iter(|| async {
            let ws = Workspace::open(&dir, PASS).await.expect("open");
            let caseload = ws.caseload().await.expect("caseload");
            assert_eq!(caseload.len(), n);
            ws.close().await;
        })
    });
    g.finish();

    let ws = rt.block_on(Workspace::open(&dir, PASS)).expect("open");
    let mut g = c.benchmark_group("budgets");
    g.sample_size(50);
    g.bench_function("caseload list only (already unlocked)", |b| {
        b.to_async(&rt).iter(|| async { ws.caseload().await.expect("caseload") })
    });
    g.bench_function("open one record with its last 10 visits (audited)", |b| {
        b.to_async(&rt).iter(|| async {
            let view = ws.open_patient(patient).await.expect("open");
            assert!(view.recent_visits.len() <= 10);
        })
    });
    // A field on a patient record, set and cleared in turn on 100 records in rotation, as a
    // day's edits spread over a caseload: load, change, append a sealed chunk, refresh the
    // caseload row, audit, commit with fsync.
    let records: Vec<_> =
        rt.block_on(ws.caseload()).expect("caseload").iter().skip(100).take(100).map(|p| p.id).collect();
    let mut k = 0usize;
    g.bench_function("durable edit (patient record field, committed with fsync)", |b| {
        b.to_async(&rt).iter(|| {
            k += 1;
            let (record, on) = (records[k % records.len()], (k / records.len()).is_multiple_of(2));
            let ws = &ws;
            async move {
                ws.set_scale2(record, on, "confirmed hypercapnic respiratory failure").await.expect("edit")
            }
        })
    });
    // The worst case: one record edited over and over, its Automerge history growing with
    // every sample (a thousand or more changes by the end).
    let mut on = false;
    g.bench_function("durable edit, one record edited 1000+ times in a row", |b| {
        b.to_async(&rt).iter(|| {
            on = !on;
            let ws = &ws;
            async move {
                ws.set_scale2(patient, on, "confirmed hypercapnic respiratory failure").await.expect("edit")
            }
        })
    });
    // A visit note paragraph, the typical edit during a visit, spread over 100 visits so
    // that each note stays the length of a real one.
    let visits: Vec<_> = rt.block_on(async {
        let caseload = ws.caseload().await.expect("caseload");
        let mut v = vec![visit];
        for p in caseload.iter().take(99) {
            v.push(ws.start_visit(p.id).await.expect("visit"));
        }
        v
    });
    let mut i = 0usize;
    g.bench_function("durable edit (visit note paragraph, committed with fsync)", |b| {
        b.to_async(&rt).iter(|| {
            i += 1;
            let visit = visits[i % visits.len()];
            let text = format!("Round {i}: comfortable, no concerns.");
            let ws = &ws;
            async move { ws.add_note(visit, &text).await.expect("edit") }
        })
    });
    g.finish();
    rt.block_on(ws.close());
}

fn changes() -> usize {
    env_number("HEDGEROW_BENCH_CHANGES", 5000)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Five years of weekly visits on one record: each week a visit started (with a line of
/// note) and the rest of the record's changes spread between them, as access notes,
/// phone numbers and SpO2 scale settings kept up to date.
fn long_history(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().to_owned();
    let (weeks, target) = (260usize, changes());
    let patient = rt.block_on(async {
        let ws = demo_workspace(&dir).await;
        let started = Instant::now();
        let new = NewPatient {
            nhs_number: "9990000018".parse().expect("NHS number"),
            name: "Edith Long".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1931, 5, 17).expect("date"),
            address: Some("3 Orchard Row, Thornbury".into()),
        };
        let patient = ws.add_patient(new).await.expect("patient").id;
        // The record's changes: one to create it, one per visit started, the rest edits.
        let edits = target.saturating_sub(1 + weeks);
        for week in 0..weeks {
            let visit = ws.start_visit(patient).await.expect("visit");
            ws.add_note(visit, &format!("Week {week}: comfortable, wound healing.")).await.expect("note");
            for e in 0..edits / weeks + usize::from(week < edits % weeks) {
                if e % 3 == 2 {
                    ws.set_scale2(patient, e % 2 == 0, "confirmed hypercapnic respiratory failure").await
                } else {
                    let update = DetailsUpdate {
                        access_notes: Some(format!("Key safe 4{week:03}, week {week} edit {e}")),
                        ..Default::default()
                    };
                    ws.update_details(patient, update).await
                }
                .expect("edit");
            }
        }
        let mut rx = ws.store().begin_read().await.expect("read");
        let mut doc =
            rx.load_document(&patient.0, DocumentKind::Patient).await.expect("load").expect("record");
        eprintln!(
            "long record: {} changes, {weeks} visit notes, written in {:.1?}",
            doc.get_changes(&[]).len(),
            started.elapsed()
        );
        drop(rx);
        ws.close().await;
        patient
    });

    let mut g = c.benchmark_group("long history");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    // Opened from disk: each sample unlocks the store anew (not timed), so nothing of the
    // record is loaded before it is opened.
    g.bench_function(format!("open a record of {target} changes from disk"), |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let dir = dir.clone();
            async move {
                let mut took = Duration::ZERO;
                for _ in 0..iters {
                    let ws = Workspace::open(&dir, PASS).await.expect("open");
                    let started = Instant::now();
                    let view = ws.open_patient(patient).await.expect("open record");
                    took += started.elapsed();
                    assert!(!view.recent_visits.is_empty());
                    ws.close().await;
                }
                took
            }
        })
    });
    g.finish();

    let ws = rt.block_on(Workspace::open(&dir, PASS)).expect("open");
    let before = LIVE.load(Ordering::Relaxed);
    let (doc, loaded_in, hydrated_in) = rt.block_on(async {
        let mut rx = ws.store().begin_read().await.expect("read");
        let started = Instant::now();
        let doc = rx.load_document(&patient.0, DocumentKind::Patient).await.expect("load").expect("record");
        let loaded_in = started.elapsed();
        let _: hedgerow_core::documents::PatientRecord =
            hedgerow_core::documents::read(&doc, DocumentKind::Patient).expect("hydrate");
        (doc, loaded_in, started.elapsed() - loaded_in)
    });
    eprintln!(
        "long record from disk: loaded in {loaded_in:.1?} ({:.1} KiB on the heap), read in {hydrated_in:.1?} more",
        (LIVE.load(Ordering::Relaxed) - before) as f64 / 1024.0
    );
    drop(doc);

    let mut g = c.benchmark_group("long history");
    g.sample_size(50);
    let mut on = false;
    g.bench_function(format!("durable edit of a record of {target}+ changes"), |b| {
        b.to_async(&rt).iter(|| {
            on = !on;
            let ws = &ws;
            async move {
                ws.set_scale2(patient, on, "confirmed hypercapnic respiratory failure").await.expect("edit")
            }
        })
    });
    g.bench_function(format!("open a record of {target}+ changes, recently edited"), |b| {
        b.to_async(&rt).iter(|| async { ws.open_patient(patient).await.expect("open") })
    });
    g.finish();
    rt.block_on(ws.close());
}

criterion_group!(store, benches, long_history);
criterion_main!(store);
