//! Generates the Kotlin bindings from the compiled library, compiles them with the Kotlin
//! test (tests/kotlin/HedgerowTest.kt) using the real Kotlin compiler, and runs it on the JVM
//! through JNA against a real relay process, as the Android shell would call the core.
//! `scripts/setup` installs the JDK, JNA and the compiler (npm `kotlin-compiler`).

use hedgerow_tests::workspace_binary;
use std::path::{Path, PathBuf};
use std::process::Command;

fn kotlin_home() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kotlin/node_modules/kotlin-compiler")
}

fn run(what: &str, command: &mut Command) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("{what} did not start ({e}): run scripts/setup"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{what} failed:\n{}\n{stderr}", String::from_utf8_lossy(&out.stdout));
    stderr
}

#[test]
fn kotlin_compiles_the_generated_bindings_and_drives_them_end_to_end() {
    let library = workspace_binary(&format!(
        "{}hedgerow_mobile{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let out = tempfile::tempdir().unwrap();
    run(
        "uniffi-bindgen",
        Command::new(workspace_binary("uniffi-bindgen"))
            .args(["generate", "--no-format", "--language", "kotlin", "--out-dir"])
            .arg(out.path())
            .arg("--library")
            .arg(&library)
            .current_dir(env!("CARGO_MANIFEST_DIR")),
    );
    // The facade's package and the core's own (its view types and vocabularies).
    let generated = out.path().join("uniffi/hedgerow/hedgerow.kt");
    let core = out.path().join("uniffi/hedgerow_core/hedgerow_core.kt");
    let test = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kotlin/HedgerowTest.kt");
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kotlin/AppModel.kt");
    let home = kotlin_home();
    let coroutines = home.join("lib/kotlinx-coroutines-core-jvm.jar");
    let jna = Path::new("/usr/share/java/jna.jar");
    let jar = out.path().join("test.jar");
    let classpath = |parts: &[&Path]| std::env::join_paths(parts).unwrap();
    run(
        "kotlinc",
        Command::new(home.join("bin/kotlinc"))
            .arg(&generated)
            .arg(&core)
            .arg(&test)
            .arg(&app)
            .arg("-cp")
            .arg(classpath(&[jna, &coroutines]))
            .arg("-d")
            .arg(&jar)
            .arg("-nowarn"),
    );
    let stdlib = home.join("lib/kotlin-stdlib.jar");
    let library_dir = library.parent().unwrap();
    let report = run(
        "the Kotlin test of the bindings",
        Command::new("java")
            .arg(format!("-Djna.library.path={}", library_dir.display()))
            .arg("-cp")
            .arg(classpath(&[&jar, jna, &coroutines, &stdlib]))
            .arg("HedgerowTestKt")
            .arg(workspace_binary("hedgerow-relay")),
    );
    println!("{report}");
    assert!(
        report.contains("ok: direct sync and a cancelled coroutine") && report.ends_with("OK\n"),
        "{report}"
    );
}
