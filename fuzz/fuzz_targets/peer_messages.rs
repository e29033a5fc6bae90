#![no_main]
//! `hedgerow_core::sync::untrusted::peer_messages` on whatever the fuzzer makes.

use hedgerow_core::sync::untrusted::{self, Fixture};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static FIXTURE: LazyLock<Fixture> = LazyLock::new(Fixture::new);

fuzz_target!(|bytes: &[u8]| {
    untrusted::peer_messages(&FIXTURE, bytes);
});
