//! What the app's interface tests share: a workspace with a known patient, the app in a
//! kittest harness, and typing into it as a clinician would.
#![allow(dead_code)]

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use hedgerow_core::documents::Role;
use hedgerow_core::{NewClinician, NewPatient, Workspace};
use hedgerow_desktop::gui::HedgerowApp;
use std::path::Path;

pub const PASS: &str = "kestrel-bramble-9";

pub fn nurse() -> NewClinician {
    NewClinician { name: "Ada Quill".into(), role: Role::DistrictNurse, registration: None }
}

/// A workspace with one known patient (and, if asked, a few demo patients).
pub fn workspace(dir: &Path, demo: usize) -> hedgerow_core::ids::PatientId {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ws = Workspace::create_demo(dir, PASS, nurse()).await.unwrap();
        if demo > 0 {
            hedgerow_core::demo::populate(&ws, demo, 1, |_| {}).await.unwrap();
        }
        let id = ws
            .add_patient(NewPatient {
                nhs_number: "9434765919".parse().unwrap(),
                name: "Winifred Ashdown".into(),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1939, 5, 17).unwrap(),
                address: None,
            })
            .await
            .unwrap()
            .id;
        ws.close().await;
        id
    })
}

pub fn harness(dir: &Path) -> Harness<'static, HedgerowApp> {
    harness_sized(dir, egui::vec2(1200.0, 900.0))
}

pub fn harness_sized(dir: &Path, size: egui::Vec2) -> Harness<'static, HedgerowApp> {
    let app = HedgerowApp::new(dir.to_owned()).unwrap();
    let mut h =
        Harness::builder().with_size(size).build_ui_state(|ui, app: &mut HedgerowApp| app.ui(ui), app);
    h.run();
    h
}

pub fn type_into(h: &mut Harness<'_, HedgerowApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.get_by_label(label).type_text(text);
    h.run();
}

pub fn unlock(h: &mut Harness<'_, HedgerowApp>, passphrase: &str) {
    type_into(h, "Passphrase", passphrase);
    h.get_by_label("Unlock").click();
    h.run();
}

/// Finds a patient on Today by name and opens the first match's record.
pub fn open_record(h: &mut Harness<'_, HedgerowApp>, name: &str) {
    type_into(h, "Find a patient", name);
    h.get_all_by_label(name).next().unwrap().click();
    h.run();
}

/// Steps frames (a spinner never lets the app settle) until `done` holds, while a background
/// sync or join runs; panics after 30 s.
pub fn step_until(
    h: &mut Harness<'_, HedgerowApp>,
    what: &str,
    done: impl Fn(&Harness<'_, HedgerowApp>) -> bool,
) {
    for _ in 0..600 {
        h.step();
        if done(h) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{what} never happened");
}

/// Waits for `label` to appear, then lets the app settle.
pub fn wait_for(h: &mut Harness<'_, HedgerowApp>, label: &str) {
    step_until(h, &format!("'{label}' appearing"), |h| h.query_by_label_contains(label).is_some());
    h.run();
}
