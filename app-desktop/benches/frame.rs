//! Frame time of the desktop app with a 2,000-patient demo caseload: one egui frame of the
//! Today screen, a care-home round and a record's observations chart (layout, widgets,
//! accessibility tree), driven through egui_kittest without a GPU. Budget: a frame under 16 ms.
//!
//! Run: `cargo bench -p hedgerow-desktop --bench frame` (HEDGEROW_BENCH_PATIENTS to change the size).

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use hedgerow_core::documents::Role;
use hedgerow_core::{NewClinician, Workspace};
use hedgerow_desktop::gui::HedgerowApp;

const PASS: &str = "bench-passphrase";

fn frame(c: &mut Criterion) {
    let n: usize = std::env::var("HEDGEROW_BENCH_PATIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let tmp = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let ws = Workspace::create_demo(
            tmp.path(),
            PASS,
            NewClinician { name: "Ada Quill".into(), role: Role::DistrictNurse, registration: None },
        )
        .await
        .expect("create");
        hedgerow_core::demo::populate(&ws, n, 2026, |_| {}).await.expect("demo");
        ws.close().await;
    });
    let mut app = HedgerowApp::new(tmp.path().to_owned()).expect("app");
    // Each step is a quarter of a simulated second: thousands of them must not lock the app
    // mid-measurement, or the figures would be the lock screen's.
    app.lock_after = std::time::Duration::from_secs(10 * 365 * 86_400);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .build_ui_state(|ui, app: &mut HedgerowApp| app.ui(ui), app);
    h.run();
    h.get_by_label("Passphrase").focus();
    h.run();
    h.get_by_label("Passphrase").type_text(PASS);
    h.run();
    h.get_by_label("Unlock").click();
    h.run();
    assert!(h.state().workspace.is_some(), "unlocked");
    c.bench_function(&format!("one frame of Today with {n} patients"), |b| b.iter(|| h.step()));
    assert!(h.query_by_label("Find a patient").is_some(), "still on Today: the figure is Today's");

    // The care-home round at the first home, then a resident's observations chart.
    h.get_by_label("Care-home round").click();
    h.run();
    let home = h.get_all_by_label_contains("residents,").next().expect("a care home in the demo");
    home.click();
    h.run();
    c.bench_function(&format!("one frame of a care-home round ({n} patients)"), |b| b.iter(|| h.step()));
    assert!(h.query_by_label("End the round").is_some(), "still on the round");
    h.get_by_label("Open the record").click();
    h.run();
    h.get_by_label("Observations chart").click();
    h.run();
    c.bench_function("one frame of a record's observations chart", |b| b.iter(|| h.step()));
    assert!(h.query_by_label_contains("sets of observations").is_some(), "still on the chart");
}

criterion_group!(benches, frame);
criterion_main!(benches);
