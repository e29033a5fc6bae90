//! What a debug log of a sync holds: no key, no seed, no word of the record.

use super::winifred;
use hedgerow_core::documents::Role;
use hedgerow_tests::MemoryTeam;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How a byte string may show in a log: hex, or Rust's `Debug` of the bytes.
fn spellings(bytes: &[u8]) -> Vec<String> {
    let debug = format!("{:?}", &bytes[..8]);
    vec![hex::encode(bytes), hex::encode(&bytes[..8]), debug.trim_end_matches(']').to_owned()]
}

#[tokio::test]
async fn a_trace_level_sync_log_holds_no_key_bytes_and_no_patient_text() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);

    let mut team = MemoryTeam::new("Nia Penhallow", Role::DistrictNurse).await.unwrap();
    let p = winifred(&team.admin).await;
    let gp = team.join("Dr Tomasz Orrell", Role::Gp).await.unwrap();
    let lost = team.join("Ffion Carrow", Role::DistrictNurse).await.unwrap();
    let visit = team.admin.start_visit(p).await.unwrap();
    let note = "Daughter Eleri present; syringe driver site clean";
    team.admin.add_note(visit, note).await.unwrap();
    team.admin.revoke_device(&lost.identity().device_id.to_hex(), "tablet lost").await.unwrap();
    team.sync(&team.admin).await.unwrap();
    team.sync(&gp).await.unwrap();
    assert_eq!(gp.open_visit(visit).await.unwrap().narrative, note);
    drop(guard);

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("DEBUG") || log.contains("TRACE"), "the capture caught the sync's log");
    let mut needles: Vec<String> =
        ["Winifred", "Ashdown", "9990001235", "Lower Barn", "Eleri", "syringe driver"]
            .map(String::from)
            .to_vec();
    for ws in [&team.admin, &gp] {
        for (_, key) in ws.test_keyring().await.unwrap().unwrap().all() {
            needles.extend(spellings(key.bytes()));
        }
        needles.extend(spellings(ws.test_device_key().seed()));
    }
    for needle in &needles {
        assert!(!log.contains(needle.as_str()), "the log holds '{needle}'");
    }
}
