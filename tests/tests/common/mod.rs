//! Devices and a relay for the scenario tests.

use hedgerow_core::documents::Role;
use hedgerow_core::sync::transport::RelayAddress;
use hedgerow_core::{NewClinician, Workspace};
use hedgerow_tests::{PASSPHRASE, RelayProcess};
use tempfile::TempDir;

pub struct Device {
    #[allow(dead_code)]
    pub dir: TempDir,
    pub ws: Workspace,
}

#[allow(dead_code)]
pub fn relay(data: &std::path::Path) -> RelayProcess {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    // The data directory inside the temporary one, so the log beside it is cleaned up too.
    RelayProcess::start(&hedgerow_tests::relay_binary(), &data.join("data"))
}

pub fn address(relay: &RelayProcess) -> RelayAddress {
    relay.address.parse().expect("the relay prints a valid address")
}

fn clinician(name: &str, role: Role) -> NewClinician {
    NewClinician { name: name.into(), role, registration: None }
}

/// The founding admin's device, with a shared team published at the relay.
pub async fn founder(relay: &RelayProcess, name: &str, role: Role) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::create(
        dir.path(),
        PASSPHRASE,
        clinician(name, role),
        Some("Hartsmoor Community Nursing".into()),
    )
    .await
    .unwrap();
    ws.create_team("Hartsmoor Community Nursing").await.unwrap();
    ws.sync(&address(relay), |_| {}).await.unwrap();
    Device { dir, ws }
}

/// A new device enrolled through the relay with an invite from `admin`.
pub async fn enrol(admin: &Device, relay: &RelayProcess, name: &str, role: Role) -> Device {
    let invite = admin.ws.invite_device(false, chrono::Duration::hours(24)).await.unwrap();
    admin.ws.sync(&address(relay), |_| {}).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::join(
        dir.path(),
        PASSPHRASE,
        clinician(name, role),
        "laptop",
        &invite.code,
        &address(relay),
    )
    .await
    .unwrap();
    Device { dir, ws }
}

#[allow(unused_imports)]
pub use hedgerow_tests::winifred;
