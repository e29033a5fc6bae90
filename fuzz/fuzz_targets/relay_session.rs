#![no_main]
//! A relay session (real SQLite storage in a temporary directory) fed whatever the fuzzer
//! makes, as a device's stream.

use hedgerow_relay::{RelayState, SqliteRelayStorage, untrusted};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

struct Relay {
    runtime: tokio::runtime::Runtime,
    state: RelayState<SqliteRelayStorage>,
    _dir: std::path::PathBuf,
}

static RELAY: LazyLock<Relay> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = std::env::temp_dir().join(format!("hedgerow-fuzz-relay-{}", std::process::id()));
    let state = runtime.block_on(async { RelayState::new(SqliteRelayStorage::open(&dir).await.unwrap()) });
    Relay { runtime, state, _dir: dir }
});

fuzz_target!(|bytes: &[u8]| {
    RELAY.runtime.block_on(untrusted::relay_session(&RELAY.state, bytes));
});
