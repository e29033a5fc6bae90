//! The app killed (SIGKILL) while a nurse types a visit note: what was on screen is in the
//! store when it opens again. The typing runs in a child process (this test binary run again
//! with `HEDGEROW_TYPING_INTO`), driving the real app through its accessibility tree.

mod gui;

use egui_kittest::kittest::Queryable;
use gui::{PASS, harness_sized, type_into, unlock, workspace};
use hedgerow_core::Workspace;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, Stdio};

const NOTE: &str = "Leg ulcer cleansed and redressed; patient reports less pain overnight, \
                    mobilising with frame. Daughter present throughout.";
const CHILD: &str = "HEDGEROW_TYPING_INTO";

/// In the child: unlock, start a visit and type the note a character a frame, saying how
/// much is on screen after each frame, until killed.
fn type_until_killed(dir: &Path) {
    let mut h = harness_sized(dir, egui::vec2(1280.0, 720.0));
    unlock(&mut h, PASS);
    h.get_by_label("Winifred Ashdown").click();
    h.run();
    h.get_by_label("Start a visit").click();
    h.run();
    let mut out = std::io::stdout();
    for (i, c) in NOTE.chars().enumerate() {
        type_into(&mut h, "Note", &c.to_string());
        writeln!(out, "on screen {}", i + 1).unwrap();
        out.flush().unwrap();
    }
    // Typed it all: wait to be killed rather than close cleanly.
    std::thread::sleep(std::time::Duration::from_secs(60));
}

#[test]
fn a_note_being_typed_survives_the_app_being_killed() {
    if let Ok(dir) = std::env::var(CHILD) {
        type_until_killed(Path::new(&dir));
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path(), 0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_note_being_typed_survives_the_app_being_killed", "--nocapture"])
        .env(CHILD, tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed part-way through the note, at a point it has shown.
    let mut shown = 0;
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("on screen ") {
            shown = n.parse().unwrap();
            if shown >= 40 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no flush, no close
    child.wait().unwrap();
    assert!(shown >= 40, "the child typed {shown} characters before it was killed");

    let draft = rt.block_on(async {
        let ws = Workspace::open(tmp.path(), PASS).await.unwrap();
        let (_, visit) = ws.visit_in_progress().await.unwrap().expect("the visit being typed into");
        ws.visit_draft(visit).await.unwrap().expect("the note as typed")
    });
    let kept: String = NOTE.chars().take(draft.note.chars().count()).collect();
    assert_eq!(draft.note, kept, "the note as typed, nothing else");
    assert!(draft.note.chars().count() >= shown, "lost what was on screen: kept {:?}", draft.note);
}
