//! The generator writes the Kotlin and Swift sources the Android and iOS shells build
//! against, from the compiled hedgerow-mobile library.

use hedgerow_tests::workspace_binary;
use std::path::Path;
use std::process::Command;

fn generate(language: &str, out: &Path) {
    let library = workspace_binary(&format!(
        "{}hedgerow_mobile{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let run = Command::new(env!("CARGO_BIN_EXE_uniffi-bindgen"))
        .args(["generate", "--no-format", "--language", language, "--out-dir"])
        .arg(out)
        .arg("--library")
        .arg(&library)
        .output()
        .expect("running uniffi-bindgen");
    assert!(run.status.success(), "{language}: {}", String::from_utf8_lossy(&run.stderr));
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn kotlin_sources_carry_the_whole_facade() {
    let out = tempfile::tempdir().unwrap();
    generate("kotlin", out.path());
    let kt = read(&out.path().join("uniffi/hedgerow/hedgerow.kt"));
    for expected in [
        "suspend fun `openWorkspace`",
        "suspend fun `syncWithRelay`",
        "suspend fun `syncWithPeer`",
        "suspend fun `recordObservations`",
        "suspend fun `signVisit`",
        "suspend fun `resolveConflict`",
        "fun `scoreNews2`",
        "sealed class HedgerowException",
        "class WrongPassphrase",
        "interface WorkspaceEvents",
    ] {
        assert!(kt.contains(expected), "the Kotlin bindings lack {expected}");
    }
    // The core's vocabularies come derived from the core, each with its words.
    let core = read(&out.path().join("uniffi/hedgerow_core/hedgerow_core.kt"));
    for expected in
        ["enum class CprRecommendation", "enum class Role", "fun `label`()", "enum class SyncPhase"]
    {
        assert!(core.contains(expected), "the core's Kotlin bindings lack {expected}");
    }
    assert!(kt.contains("\"hedgerow_mobile\""), "Kotlin loads libhedgerow_mobile.so (jniLibs)");
}

#[test]
fn swift_sources_carry_the_whole_facade_and_a_module_map() {
    let out = tempfile::tempdir().unwrap();
    generate("swift", out.path());
    let swift = read(&out.path().join("hedgerow.swift"));
    for expected in [
        "func openWorkspace(",
        "func syncWithRelay(",
        "func recordObservations(",
        "func signVisit(",
        "async throws",
        "enum HedgerowError: Swift.Error",
        "public protocol WorkspaceEvents",
    ] {
        assert!(swift.contains(expected), "the Swift bindings lack {expected}");
    }
    assert!(read(&out.path().join("hedgerowFFI.h")).contains("uniffi_hedgerow_mobile_fn_"));
    assert!(read(&out.path().join("hedgerowFFI.modulemap")).contains("hedgerowFFI"));
    let core = read(&out.path().join("hedgerow_core.swift"));
    for expected in
        ["public enum CprRecommendation", "public enum Role", "func label()", "public struct News2Score"]
    {
        assert!(core.contains(expected), "the core's Swift bindings lack {expected}");
    }
    assert!(read(&out.path().join("hedgerow_coreFFI.modulemap")).contains("hedgerow_coreFFI"));
}
