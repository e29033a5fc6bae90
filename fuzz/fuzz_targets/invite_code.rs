#![no_main]
//! `hedgerow_core::sync::untrusted::invite_code` on whatever the fuzzer makes.

use hedgerow_core::sync::untrusted;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    untrusted::invite_code(bytes);
});
