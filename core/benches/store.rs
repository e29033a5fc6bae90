//! Benchmarks against DESIGN.md's budgets on a 2,000-patient demo caseload:
//! - unlock and list the caseload (budget: under 1 s),
//! - open one patient record with its last 10 visits (budget: under 20 ms),
//! - an edit durable on disk (budget: under 10 ms).
//!
//! Run: `cargo bench -p hedgerow-core --bench store`. Set HEDGEROW_BENCH_PATIENTS to change
//! the caseload size.

use criterion::{Criterion, criterion_group, criterion_main};
use hedgerow_core::documents::Role;
use hedgerow_core::{NewClinician, Workspace};
use std::time::{Duration, Instant};

const PASS: &str = "bench-passphrase";

fn patients() -> usize {
    std::env::var("HEDGEROW_BENCH_PATIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().to_owned();
    let n = patients();
    let (patient, visit) = rt.block_on(async {
        let ws = Workspace::create_demo(
            &dir,
            PASS,
            NewClinician { name: "Ada Quill".into(), role: Role::DistrictNurse, registration: None },
        )
        .await
        .expect("create");
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

criterion_group!(store, benches);
criterion_main!(store);
