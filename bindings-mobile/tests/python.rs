//! Generates the Python bindings from the compiled library and runs the Python test that
//! drives them (tests/python/test_hedgerow.py) against a real relay process: the same
//! generated interface over the same C ABI as Kotlin (tests/kotlin.rs) and Swift.

use hedgerow_tests::workspace_binary;
use std::path::Path;
use std::process::Command;

#[test]
fn python_drives_the_generated_bindings_end_to_end() {
    let library = workspace_binary(&format!(
        "{}hedgerow_mobile{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let bindgen = workspace_binary("uniffi-bindgen");
    let relay = workspace_binary("hedgerow-relay");
    let out = tempfile::tempdir().unwrap();
    let generated = Command::new(&bindgen)
        .args(["generate", "--no-format", "--language", "python", "--out-dir"])
        .arg(out.path())
        .arg("--library")
        .arg(&library)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running uniffi-bindgen");
    assert!(
        generated.status.success(),
        "uniffi-bindgen failed: {}",
        String::from_utf8_lossy(&generated.stderr)
    );
    // The generated module loads the library from its own directory.
    std::os::unix::fs::symlink(&library, out.path().join(library.file_name().unwrap())).unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/test_hedgerow.py");
    let run = Command::new("python3")
        .arg(&script)
        .env("HEDGEROW_BINDINGS", out.path())
        .env("HEDGEROW_RELAY", &relay)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("running python3 (scripts/setup installs it)");
    let report = String::from_utf8_lossy(&run.stderr);
    println!("{report}");
    assert!(run.status.success(), "the Python test of the bindings failed:\n{report}");
    assert!(report.contains("OK"), "{report}");
}
