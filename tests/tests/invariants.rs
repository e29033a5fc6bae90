//! ARCHITECTURE.md's invariants that a search of the sources can check.

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    hedgerow_tests::files_below(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect()
}

/// Lines of the desktop app's and the mobile bindings' sources that contain any of
/// `forbidden`, as "path:line: needle"; with `code_only`, comment lines and a file's own unit
/// tests (after `#[cfg(test)]`, which may build the moments they check) are left out.
fn shell_lines_containing(forbidden: &[&str], code_only: bool) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut hits = Vec::new();
    for shell in ["app-desktop/src", "bindings-mobile/src"] {
        for file in sources(&root.join(shell)) {
            let text = std::fs::read_to_string(&file).unwrap();
            let code = if code_only { text.split("#[cfg(test)]").next().unwrap_or_default() } else { &text };
            for (n, line) in code.lines().enumerate() {
                if code_only && line.trim_start().starts_with("//") {
                    continue;
                }
                for f in forbidden {
                    if line.contains(f) {
                        hits.push(format!("{}:{}: {f}", file.strip_prefix(root).unwrap().display(), n + 1));
                    }
                }
            }
        }
    }
    hits
}

/// Shells reach data only through the facade (`Workspace`, and what it returns in `view`):
/// never the stored documents' types, the store, its transactions, the sync machinery or the
/// keys. Outside the core those
/// modules exist only with its `test-support` feature, which no shell enables (below); this
/// also keeps a shell's code from leaning on them in a test build, where the feature is on.
#[test]
fn shells_reach_data_only_through_the_workspace_facade() {
    let forbidden = [
        // The vocabularies a shell names are re-exported by `view`; what it sends in is a
        // `workspace` input type (`NewContact`), never the stored shape.
        "hedgerow_core::documents",
        "hedgerow_core::store",
        "hedgerow_core::sync",
        "hedgerow_core::crypto",
        ".store()",
        "begin_write",
        "begin_read",
        "sqlx::",
    ];
    let hits = shell_lines_containing(&forbidden, false);
    assert!(hits.is_empty(), "call hedgerow_core::Workspace instead:\n{}", hits.join("\n"));
}

/// Shells never read a watched field from the record directly, where Automerge's winner
/// would pass for the decision, and never colour an incomplete NEWS2 by its band: both go
/// through the core's view (`view::WatchedRecord`, `complete_band`).
#[test]
fn shells_read_watched_fields_and_news2_bands_only_through_the_core_view() {
    let forbidden = [
        // The stored document is for the core's rules, never read by a shell: `PatientView`'s
        // `record` is what is shown, and its methods (`visit_essentials`) derive the rest.
        ".document.",
        ".document)",
        ".document,",
        "end_of_life.cpr",
        "spo2_scale.scale2",
        "ceiling_of_treatment.clone",
        "e.preferred_place_of",
        "e.has_capacity",
        "consent.share_with_team",
        "band_colour(n.band)",
        "band_colour(score.band)",
        // Air or oxygen is a choice, never a default.
        "on_oxygen: Some(",
    ];
    let hits = shell_lines_containing(&forbidden, false);
    assert!(hits.is_empty(), "read these through hedgerow_core::view instead:\n{}", hits.join("\n"));
}

/// The rules clinicians rely on are decided once, in the core, so the three shells cannot
/// disagree: no shell parses a typed date or moment, triages Today, words an incomplete
/// score, compares a vocabulary's stored token, or decides what is overdue or today.
#[test]
fn no_clinical_rule_label_or_date_parser_lives_in_a_shell() {
    let forbidden = [
        // Dates and moments: `view::parse_date`, `view::parse_moment`.
        "parse_from_str",
        "parse_from_rfc3339",
        // Today's triage: `Workspace::today` (`view::Today`).
        ".needs_attention()",
        ".attention_rank()",
        ".overdue_days(",
        "OVERDUE",
        ".date_naive() ==",
        // An incomplete NEWS2 in words: `LatestNews2::label`, `score_text`, `News2Score::label`.
        "(incomplete)",
        "At least",
        "at least {",
        "Response::",
        // A stored token is never a label nor compared as text: `label()`, the enum itself.
        ".as_str() ==",
        ".as_str() !=",
        ".as_str() <",
        "r.as_str());",
        "s.as_str());",
        ".selected_text(status.as_str())",
    ];
    let hits = shell_lines_containing(&forbidden, true);
    assert!(
        hits.is_empty(),
        "decide these in hedgerow_core (view, Workspace::today) instead:\n{}",
        hits.join("\n")
    );
}

/// The crates each package links in a normal (not dev or build) build, by `cargo tree`.
fn linked_crates(package: &str) -> Vec<String> {
    crates_in_tree(package, "normal")
}

/// The crates in `cargo tree -p package -e edges`.
fn crates_in_tree(package: &str, edges: &str) -> Vec<String> {
    let mut names: Vec<String> = cargo_tree(package, edges)
        .iter()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `cargo tree`'s lines for a normal build of `package`: each crate, its version and path,
/// then its enabled features in brackets.
fn linked_with_features(package: &str) -> Vec<String> {
    cargo_tree(package, "normal")
}

fn cargo_tree(package: &str, edges: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            edges,
            "--prefix",
            "none",
            "--format",
            "{p} [{f}]",
            "-p",
            package,
        ])
        .current_dir(root)
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

/// The store, sync and crypto modules are the core's own: the shells build the core
/// without `test-support`, so that a shell's release build cannot reach them.
#[test]
fn no_shell_builds_the_core_with_its_test_support() {
    for shell in ["hedgerow-desktop", "hedgerow-mobile"] {
        let core: Vec<String> =
            linked_with_features(shell).into_iter().filter(|l| l.starts_with("hedgerow-core ")).collect();
        assert!(!core.is_empty(), "{shell} links hedgerow-core");
        for line in core {
            assert!(!line.contains("test-support"), "{shell} builds {line}");
        }
    }
}

/// The relay is blind by construction: it links the protocol, never the device's core, the
/// document engine or the record schema; nor do its own tests and benches (`cargo tree -p
/// hedgerow-relay` with dev-dependencies), whose scenarios with real devices live here.
#[test]
fn the_relay_links_the_protocol_and_never_the_core_or_automerge() {
    let linked = linked_crates("hedgerow-relay");
    assert!(linked.iter().any(|c| c == "hedgerow-protocol"), "{linked:?}");
    let whole_tree = crates_in_tree("hedgerow-relay", "normal,build,dev");
    for never in ["hedgerow-core", "automerge", "autosurgeon", "argon2"] {
        assert!(!linked.iter().any(|c| c == never), "hedgerow-relay links {never}");
        assert!(!whole_tree.iter().any(|c| c == never), "hedgerow-relay's tree holds {never}");
    }
}

/// The protocol is sans-IO and storage-free; the device's core holds no relay storage and
/// no PostgreSQL driver (which only the relay may use).
#[test]
fn the_protocol_does_no_io_and_the_core_holds_no_relay_storage() {
    let protocol = linked_crates("hedgerow-protocol");
    for never in ["automerge", "sqlx", "sqlx-core", "iroh", "tokio", "hedgerow-core"] {
        assert!(!protocol.iter().any(|c| c == never), "hedgerow-protocol links {never}");
    }
    let core = linked_crates("hedgerow-core");
    for never in ["hedgerow-relay", "sqlx-postgres"] {
        assert!(!core.iter().any(|c| c == never), "hedgerow-core links {never}");
    }
}

/// The facade is one file of one-line calls, the way rust-analyzer's `ide::Analysis` is:
/// every public call a shell makes is an `impl Workspace` method in `workspace/facade.rs`
/// that hands its arguments to a feature module's function with the shared `Context`. No
/// feature module writes `impl Workspace`, so none reaches another's state but through a
/// function the compiler can see.
#[test]
fn the_workspace_facade_hands_each_call_on_in_one_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("core/src");
    let mut outside = Vec::new();
    for file in sources(&root) {
        let text = std::fs::read_to_string(&file).unwrap();
        if text.lines().any(|l| l.starts_with("impl Workspace")) && !file.ends_with("workspace/facade.rs") {
            outside.push(file.strip_prefix(&root).unwrap().display().to_string());
        }
    }
    assert!(outside.is_empty(), "write these calls in workspace/facade.rs: {outside:?}");

    let facade = std::fs::read_to_string(root.join("workspace/facade.rs")).unwrap();
    let body = facade.split_once("impl Workspace {\n").expect("the facade's impl").1;
    let (mut methods, mut long) = (0, Vec::new());
    let mut lines = body.lines().peekable();
    while let Some(line) = lines.next() {
        if !(line.starts_with("    pub") && line.contains("fn ")) {
            continue;
        }
        methods += 1;
        let mut signature = line.to_owned();
        while !signature.trim_end().ends_with('{') {
            signature = lines.next().expect("a signature ends with its body's brace").to_owned();
        }
        let statements: Vec<&str> = lines.by_ref().take_while(|l| *l != "    }").collect();
        if statements.len() != 1 {
            long.push(line.trim().to_owned());
        }
    }
    assert!(methods > 100, "the facade lists every call ({methods} found)");
    assert!(long.is_empty(), "hand these on in one line to their feature module:\n{}", long.join("\n"));
}
