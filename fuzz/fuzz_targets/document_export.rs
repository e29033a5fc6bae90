#![no_main]
//! `hedgerow_core::sync::untrusted::document_export` on whatever the fuzzer makes.

use hedgerow_core::sync::untrusted;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    untrusted::document_export(bytes);
});
