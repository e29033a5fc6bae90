//! What an operator relies on, run on the real relay binary: the Prometheus endpoint, JSON
//! logs, the systemd unit's command line, and moving a relay from SQLite to PostgreSQL with
//! its devices going on from where they were.

mod common;

use common::{address, enrol, founder, relay};
use hedgerow_core::NewPatient;
use hedgerow_core::documents::Role;
use hedgerow_tests::{PostgresCluster, RelayProcess, free_port, scrape_metrics as scrape, series};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

async fn add_patients(ws: &hedgerow_core::Workspace, from: usize, n: usize) {
    for k in from..from + n {
        ws.add_patient(NewPatient {
            nhs_number: hedgerow_tests::fictional_nhs_number(k).parse().unwrap(),
            name: format!("Fictional Patient {k}"),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap(),
            address: None,
        })
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_endpoint_counts_connections_syncs_bytes_storage_time_and_refusals_by_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let relay = RelayProcess::start_with(
        &hedgerow_tests::relay_binary(),
        &tmp.path().join("data"),
        &["--metrics", &format!("127.0.0.1:{port}")],
    );
    let nurse = founder(&relay, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &relay, "Dr Tomasz Orrell", Role::Gp).await;
    nurse.ws.sync(&address(&relay), |_| {}).await.unwrap();
    nurse.ws.revoke_device(&gp.ws.identity().device_id.to_hex(), "laptop stolen from car").await.unwrap();
    nurse.ws.sync(&address(&relay), |_| {}).await.unwrap();
    assert!(gp.ws.sync(&address(&relay), |_| {}).await.is_err(), "the revoked device is refused");

    // A connection's counts are added as it closes, just after the device's sync returns.
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        let page = scrape(port);
        if series(&page, "hedgerow_relay_refusals_total{reason=\"Revoked\"}").is_some()
            || Instant::now() > deadline
        {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(series(&page, "hedgerow_relay_refusals_total{reason=\"Revoked\"}"), Some(1.0), "{page}");
    assert!(series(&page, "hedgerow_relay_syncs_total").is_some_and(|n| n >= 4.0), "{page}");
    // Each sync is a session on its own stream; a device keeps its connection between syncs,
    // so the nurse's four syncs came over one.
    let sessions = series(&page, "hedgerow_relay_sessions_total").unwrap_or(0.0);
    let connections = series(&page, "hedgerow_relay_connections_total").unwrap_or(0.0);
    assert!(sessions >= 6.0, "{page}");
    assert!(connections >= 3.0 && connections <= sessions - 3.0, "{page}");
    assert!(series(&page, "hedgerow_relay_entries_stored_total").is_some_and(|n| n >= 1.0), "{page}");
    assert!(series(&page, "hedgerow_relay_bytes_received_total").is_some_and(|n| n > 1000.0), "{page}");
    assert!(series(&page, "hedgerow_relay_bytes_sent_total").is_some_and(|n| n > 1000.0), "{page}");
    assert!(page.contains("hedgerow_relay_storage_seconds{operation=\"append_entries\""), "{page}");
    assert!(page.contains("hedgerow_relay_flight_seconds"), "{page}");
}

#[test]
fn with_json_logs_every_line_the_relay_writes_is_one_json_object() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut child = Command::new(hedgerow_tests::relay_binary())
        .args(["--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0", "--log-format", "json"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim().strip_prefix("hedgerow-relay listening at ").expect("the address").to_owned();
    // Every line up to the start's own, read while the relay runs.
    let mut lines = Vec::new();
    for l in BufReader::new(child.stderr.take().unwrap()).lines() {
        let l = l.unwrap();
        let v: serde_json::Value = serde_json::from_str(&l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        let start = v["message"] == "relay started";
        lines.push(v);
        if start {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(lines.len() >= 2, "the limits and the start: {lines:?}");
    let started = lines.last().filter(|l| l["message"] == "relay started").expect("the start is logged");
    assert_eq!(started["level"], "INFO");
    assert_eq!(started["address"].as_str(), Some(address.as_str()));
}

#[test]
fn the_systemd_units_command_line_starts_the_relay() {
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../sync-relay/deploy/hedgerow-relay.service"),
    )
    .unwrap();
    let exec = unit.lines().find_map(|l| l.strip_prefix("ExecStart=")).expect("an ExecStart line");
    let tmp = tempfile::tempdir().unwrap();
    // The unit's own flags, with this machine's paths and free ports in place of its own.
    let metrics = format!("127.0.0.1:{}", free_port());
    let args: Vec<String> = exec
        .split_whitespace()
        .skip(1)
        .map(|a| match a {
            "/var/lib/hedgerow-relay" => tmp.path().join("data").display().to_string(),
            "0.0.0.0:4919" => "127.0.0.1:0".to_owned(),
            "127.0.0.1:9464" => metrics.clone(),
            other => other.to_owned(),
        })
        .collect();
    let mut child = Command::new(hedgerow_tests::relay_binary())
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.starts_with("hedgerow-relay listening at "),
        "the unit's command line did not start the relay: {line:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_moved_from_sqlite_to_postgres_keeps_every_devices_place_in_the_log() {
    let pg = PostgresCluster::start();
    let url = pg.database("relay");
    let tmp = tempfile::tempdir().unwrap();
    let mut sqlite = relay(tmp.path());
    let nurse = founder(&sqlite, "Nia Penhallow", Role::DistrictNurse).await;
    let gp = enrol(&nurse, &sqlite, "Dr Tomasz Orrell", Role::Gp).await;
    add_patients(&nurse.ws, 0, 20).await;
    nurse.ws.sync(&address(&sqlite), |_| {}).await.unwrap();
    gp.ws.sync(&address(&sqlite), |_| {}).await.unwrap();
    sqlite.kill();

    let data = sqlite.data.clone();
    let copy = |to: &str| {
        Command::new(hedgerow_tests::relay_binary())
            .args(["--data", data.to_str().unwrap(), "copy-to", "--database", to])
            .output()
            .unwrap()
    };
    let out = copy(&url);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("copied 1 teams, ") && !said.contains(" 0 entries"), "{said}");
    let again = copy(&url);
    assert!(!again.status.success(), "a second copy into the same database is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a relay log"));

    // The same key, so the same endpoint id; over PostgreSQL now.
    let moved = RelayProcess::start_with(&hedgerow_tests::relay_binary(), &data, &["--database", &url]);
    assert_eq!(moved.address.split('@').next(), sqlite.address.split('@').next());
    add_patients(&nurse.ws, 20, 1).await;
    let pushed = nurse.ws.sync(&address(&moved), |_| {}).await.unwrap();
    assert!(!pushed.log_reset, "the nurse goes on from her place: {pushed:?}");
    let pulled = gp.ws.sync(&address(&moved), |_| {}).await.unwrap();
    assert!(!pulled.log_reset, "the GP goes on from hers: {pulled:?}");
    assert_eq!(pulled.new_documents, 1, "only the new record arrives: {pulled:?}");
    let hospice = enrol(&nurse, &moved, "Ife Marchbank", Role::HospiceNurse).await;
    hospice.ws.sync(&address(&moved), |_| {}).await.unwrap();
    assert_eq!(hospice.ws.caseload().await.unwrap().len(), 21, "a new device gets every record");
}

#[test]
fn a_second_relay_process_on_one_sqlite_store_is_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let first = relay(tmp.path());
    let out = Command::new(hedgerow_tests::relay_binary())
        .args(["--data", first.data.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a second process started on the same store");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("another relay process is serving the store"), "{said}");
    // A backup beside the serving relay still works: it shares the file without claiming it.
    let copy = tmp.path().join("copy.db");
    let out = Command::new(hedgerow_tests::relay_binary())
        .args(["--data", first.data.to_str().unwrap(), "backup", "--to", copy.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(copy.exists());
}

#[test]
fn a_database_that_cannot_be_reached_is_named_with_the_reason_and_no_password() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("postgres://relay:s3cret@127.0.0.1:{}/hedgerow", free_port());
    let started = Instant::now();
    let out = Command::new(hedgerow_tests::relay_binary())
        .args(["--data", tmp.path().to_str().unwrap(), "--database", &url])
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("opening the relay's database postgres://relay:***@127.0.0.1"), "{said}");
    assert!(said.contains("Connection refused"), "the reason, not a pool timing out: {said}");
    assert!(!said.contains("s3cret"), "{said}");
    assert!(started.elapsed() < Duration::from_secs(8), "said at once, not after the pool's timeout");
}
