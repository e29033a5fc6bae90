//! Generates the Swift bindings from the compiled library and, inside a Debian trixie root
//! with the Swift toolchain (`scripts/swift-root`: no Debian 12 package runs Swift), compiles
//! them as their own module `Hedgerow`, as an iOS app imports them, then compiles the Swift
//! test (tests/swift/HedgerowTest.swift) and an app file that uses Swift's `Task { }`
//! against that module, and runs it with a real relay process, the library built here.

use hedgerow_tests::workspace_binary;
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(what: &str, command: &mut Command) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("{what} did not start: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{what} failed:\n{}\n{stderr}", String::from_utf8_lossy(&out.stdout));
    stderr
}

/// The trixie root, built by the script when it is not there yet.
fn swift_root() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/swift-root");
    let out = Command::new(&script).output().expect("running scripts/swift-root");
    assert!(out.status.success(), "scripts/swift-root failed:\n{}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Runs a shell command inside the root, in `/work` (the test's own directory there).
fn in_root(root: &Path, work: &str, what: &str, script: &str) -> String {
    run(what, Command::new("chroot").arg(root).args(["/bin/sh", "-c", &format!("cd {work} && {script}")]))
}

#[test]
fn swift_compiles_the_bindings_as_a_module_an_app_imports_and_drives_them_end_to_end() {
    let root = swift_root();
    let library = workspace_binary(&format!(
        "{}hedgerow_mobile{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    // The test's files live inside the root, so that its compiler and programs see them.
    let work = tempfile::Builder::new().prefix("hedgerow-swift-").tempdir_in(root.join("tmp")).unwrap();
    let inside = format!("/tmp/{}", work.path().file_name().unwrap().to_string_lossy());
    let generated = work.path().join("generated");
    run(
        "uniffi-bindgen",
        Command::new(workspace_binary("uniffi-bindgen"))
            .args(["generate", "--no-format", "--language", "swift", "--out-dir"])
            .arg(&generated)
            .arg("--library")
            .arg(&library)
            .current_dir(env!("CARGO_MANIFEST_DIR")),
    );
    // The C module (header and module map) beside the bindings module, as in a Swift package.
    let ffi = work.path().join("ffi");
    std::fs::create_dir_all(&ffi).unwrap();
    // Two C modules, the facade's and the core's (its view types and vocabularies), in one
    // module map; their Swift files are compiled together as the one Hedgerow module.
    let mut modules = String::new();
    for c in ["hedgerowFFI", "hedgerow_coreFFI"] {
        std::fs::copy(generated.join(format!("{c}.h")), ffi.join(format!("{c}.h"))).unwrap();
        modules += &std::fs::read_to_string(generated.join(format!("{c}.modulemap"))).unwrap();
    }
    std::fs::write(ffi.join("module.modulemap"), modules).unwrap();
    std::fs::copy(&library, work.path().join(library.file_name().unwrap())).unwrap();
    std::fs::copy(workspace_binary("hedgerow-relay"), work.path().join("hedgerow-relay")).unwrap();
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/swift");
    for file in ["HedgerowTest.swift", "App.swift"] {
        std::fs::copy(tests.join(file), work.path().join(file)).unwrap();
    }
    in_root(
        &root,
        &inside,
        "compiling the bindings as the Hedgerow module",
        "swiftc -parse-as-library -module-name Hedgerow -emit-library -emit-module -emit-module-path . \
         -I ffi -L . -lhedgerow_mobile generated/hedgerow.swift generated/hedgerow_core.swift -o libHedgerow.so",
    );
    in_root(
        &root,
        &inside,
        "compiling the app code and the test against the Hedgerow module",
        "swiftc -parse-as-library -I . -I ffi -L . -lHedgerow -lhedgerow_mobile HedgerowTest.swift App.swift \
         -o hedgerow-swift-test",
    );
    let report = in_root(
        &root,
        &inside,
        "the Swift test of the bindings",
        "LD_LIBRARY_PATH=. ./hedgerow-swift-test ./hedgerow-relay",
    );
    println!("{report}");
    assert!(report.contains("ok: direct sync and a cancelled task") && report.ends_with("OK\n"), "{report}");
}
