//! `uniffi-bindgen`, built from this workspace so that the generator always matches the
//! UniFFI version hedgerow-mobile is compiled with. `scripts/mobile-bindings` drives it.

fn main() {
    uniffi::uniffi_bindgen_main()
}
