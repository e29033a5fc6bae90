//! The `hedgerow` command line driven as a script would drive it.

mod common;

use common::{PASS, fails, hedgerow, json, ok};
use hedgerow_tests::TWO_TEAMS;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Adds furosemide 40 mg once daily to the test patient; returns the medicine's entry id.
fn add_furosemide(dir: &Path) -> String {
    let args = ["meds", "add", "9434765919", "--name", "Furosemide 40 mg tablets", "--dose", "40 mg"];
    let med = json(dir, &[&args[..], &["--route", "oral", "--frequency", "once daily"]].concat());
    med["id"].as_str().unwrap().to_owned()
}

fn init(dir: &Path) {
    ok(dir, &["init", "--clinician", "Ada Quill", "--role", "district-nurse", "--registration", "12A3456E"]);
}

#[test]
fn a_visit_from_start_to_signature() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    init(dir);
    let added = json(
        dir,
        &[
            "patient",
            "add",
            "--nhs",
            "943 476 5919",
            "--name",
            "Winifred Ashdown",
            "--dob",
            "1939-05-17",
            "--address",
            "2 Mill Lane, Little Wyck",
        ],
    );
    assert_eq!(added["patient"]["nhs_number"], "9434765919");

    let list = json(dir, &["patient", "list"]);
    assert_eq!(list["patients"].as_array().unwrap().len(), 1);
    let text = ok(dir, &["patient", "list"]);
    assert!(text.contains("943 476 5919") && text.contains("Winifred Ashdown"), "{text}");
    let found = json(dir, &["patient", "list", "--search", "winif"]);
    assert_eq!(found["patients"].as_array().unwrap().len(), 1);
    let none = json(dir, &["patient", "list", "--search", "Harold"]);
    assert_eq!(none["patients"].as_array().unwrap().len(), 0);

    let visit = ok(dir, &["visit", "start", "9434765919"]).trim().to_owned();
    assert_eq!(visit.len(), 32, "{visit}");

    // NEWS2 7: respiration 22 (2), SpO2 94 (1), oxygen (2), pulse 115 (2).
    let r = json(
        dir,
        &[
            "visit",
            "obs",
            &visit,
            "--resp-rate",
            "22",
            "--spo2",
            "94",
            "--oxygen",
            "--systolic",
            "120",
            "--pulse",
            "115",
            "--consciousness",
            "A",
            "--temp",
            "37.0",
        ],
    );
    assert_eq!(r["news2"]["total"], 7);
    assert_eq!(r["news2"]["partial"], false);
    assert_eq!(r["news2"]["band"], "high");
    assert!(r["news2"]["escalation"].as_str().unwrap().contains("999"));

    // A partial set: shown as partial, never as low.
    let r = json(dir, &["visit", "obs", &visit, "--pulse", "72"]);
    assert_eq!(r["news2"]["partial"], true);
    assert_eq!(r["news2"]["total"], 0);
    let text = ok(dir, &["visit", "obs", &visit, "--pulse", "72"]);
    assert!(text.contains("PARTIAL") && !text.contains("low risk"), "{text}");

    ok(dir, &["visit", "note", &visit, "--text", "Leg ulcer redressed; granulating."]);
    let signed = json(dir, &["visit", "sign", &visit]);
    assert_eq!(signed["signature"]["signed_by"]["name"], "Ada Quill");
    let err = fails(dir, &["visit", "note", &visit, "--text", "changed my mind"]);
    assert!(err.contains("signed"), "{err}");
    let err = fails(dir, &["visit", "obs", &visit, "--pulse", "80"]);
    assert!(err.contains("signed"), "{err}");

    let shown = json(dir, &["visit", "show", &visit]);
    assert_eq!(shown["visit"]["signature_valid"], true);
    assert_eq!(shown["visit"]["narrative"], "Leg ulcer redressed; granulating.");

    let record = json(dir, &["patient", "show", "9434765919"]);
    assert_eq!(record["patient"]["record"]["demographics"]["name"], "Winifred Ashdown");
    assert_eq!(record["patient"]["recent_visits"].as_array().unwrap().len(), 1);
    assert_eq!(record["patient"]["summary"]["latest_news2"]["total"], 0);

    // Every view, edit and export is in the audit log.
    let audit = json(dir, &["audit", "--patient", "9434765919"]);
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for a in ["create", "edit", "sign", "view"] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

#[test]
fn scale2_is_set_on_the_record_with_a_reason_and_never_by_a_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    init(dir);
    ok(dir, &["patient", "add", "--nhs", "9990000018", "--name", "Harold Coombe", "--dob", "1944-11-02"]);
    let visit = ok(dir, &["visit", "start", "9990000018"]).trim().to_owned();
    // A reading cannot set Scale 2: that would lower every later SpO2 score with no reason.
    let err = fails(dir, &["visit", "obs", &visit, "--spo2", "89", "--scale2"]);
    assert!(err.contains("--scale2"), "{err}");
    let r = json(dir, &["visit", "obs", &visit, "--spo2", "89", "--air"]);
    assert_eq!(r["news2"]["scale"], "scale1");
    assert_eq!(r["news2"]["components"][0]["score"], 3);
    let err = fails(dir, &["patient", "scale2", "9990000018", "--reason", " "]);
    assert!(err.contains("reason"), "{err}");
    ok(
        dir,
        &[
            "patient",
            "scale2",
            "9990000018",
            "--reason",
            "confirmed type 2 respiratory failure, target 88-92%",
        ],
    );
    let r = json(dir, &["visit", "obs", &visit, "--spo2", "89", "--air"]);
    assert_eq!(r["news2"]["scale"], "scale2");
    assert_eq!(r["news2"]["components"][0]["parameter"], "spo2");
    assert_eq!(r["news2"]["components"][0]["score"], 0);
    ok(dir, &["patient", "scale2", "9990000018", "--off", "--reason", "ABG normal on review"]);
    let r = json(dir, &["visit", "obs", &visit, "--spo2", "89", "--air"]);
    assert_eq!(r["news2"]["scale"], "scale1");
    let err = fails(dir, &["patient", "scale2", "9990000018"]);
    assert!(err.contains("--reason"), "{err}");
}

#[test]
fn invalid_input_says_what_is_wrong_and_what_is_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let err = fails(dir, &["patient", "list"]);
    assert!(err.contains("hedgerow init"), "{err}");
    let err = fails(dir, &["init", "--clinician", "Ada Quill", "--role", "wizard"]);
    assert!(err.contains("district-nurse"), "{err}");
    init(dir);
    let err = fails(dir, &["init", "--clinician", "Ada Quill", "--role", "gp"]);
    assert!(err.contains("already exists"), "{err}");

    let err = fails(dir, &["patient", "add", "--nhs", "9434765918", "--name", "X Y", "--dob", "1940-01-01"]);
    assert!(err.contains("check digit should be 9"), "{err}");
    let err = fails(dir, &["patient", "add", "--nhs", "12345", "--name", "X Y", "--dob", "1940-01-01"]);
    assert!(err.contains("10 digits"), "{err}");
    let err = fails(dir, &["patient", "add", "--nhs", "9434765919", "--name", "X Y", "--dob", "17/05/1939"]);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    ok(dir, &["patient", "add", "--nhs", "9434765919", "--name", "Winifred Ashdown", "--dob", "1939-05-17"]);
    let err = fails(
        dir,
        &["patient", "add", "--nhs", "943 476 5919", "--name", "Someone Else", "--dob", "1950-01-01"],
    );
    assert!(err.contains("already"), "{err}");
    let err = fails(dir, &["patient", "show", "9990000018"]);
    assert!(err.contains("no patient"), "{err}");

    let visit = ok(dir, &["visit", "start", "9434765919"]).trim().to_owned();
    let err = fails(dir, &["visit", "obs", &visit, "--spo2", "140"]);
    assert!(err.contains("SpO2") && err.contains("1 to 100"), "{err}");
    let err = fails(dir, &["visit", "obs", &visit, "--consciousness", "Z"]);
    assert!(err.contains("ACVPU"), "{err}");
    let err = fails(dir, &["visit", "obs", &visit, "--temp", "52"]);
    assert!(err.contains("temperature"), "{err}");
    let err = fails(dir, &["visit", "obs", "00000000000000000000000000000000", "--pulse", "70"]);
    assert!(err.contains("no visit"), "{err}");
    let err = fails(dir, &["visit", "note", "not-a-visit", "--text", "x"]);
    assert!(err.contains("not a visit id"), "{err}");
    let err = fails(dir, &["visit", "sign", &visit]);
    assert!(err.contains("nothing to sign"), "{err}");

    // With --json, a failure is one JSON document on stdout as well.
    let out = hedgerow(dir, &["--json", "visit", "obs", &visit, "--spo2", "140"]);
    assert!(!out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).expect("a JSON error document");
    assert!(doc["error"].as_str().unwrap().contains("SpO2"), "{doc}");

    // Fictional patients never go into a real workspace.
    let err = fails(dir, &["demo", "--patients", "3"]);
    assert!(err.contains("real records"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_hedgerow"))
        .args(["--data", dir.to_str().unwrap(), "patient", "list"])
        .env("HEDGEROW_PASSPHRASE", "not the passphrase")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("passphrase is wrong"));
}

#[test]
fn export_document_writes_loadable_automerge_and_is_audited() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    ok(&dir, &["patient", "add", "--nhs", "9434765919", "--name", "Winifred Ashdown", "--dob", "1939-05-17"]);
    let out = tmp.path().join("winifred.automerge");
    ok(&dir, &["export", "document", "--patient", "9434765919", "--out", out.to_str().unwrap()]);
    let bytes = std::fs::read(&out).unwrap();
    // The Automerge document travels with the signed heads of its authors.
    let export = hedgerow_core::workspace::SignedExport::parse(&bytes).unwrap().expect("a signed export");
    assert!(!export.heads.is_empty(), "the author's head is signed");
    let doc = automerge::AutoCommit::load(&export.document).expect("the export holds an Automerge document");
    use automerge::ReadDoc;
    let demographics = doc.get(automerge::ROOT, "demographics").unwrap().unwrap().1;
    let (name, _) = doc.get(&demographics, "name").unwrap().unwrap();
    assert_eq!(name.as_str(), Some("Winifred Ashdown"));
    // Never overwrites.
    let err = fails(&dir, &["export", "document", "--patient", "9434765919", "--out", out.to_str().unwrap()]);
    assert!(err.contains("already exist"), "{err}");
    let audit = json(&dir, &["audit"]);
    assert!(audit["entries"].as_array().unwrap().iter().any(|e| e["action"] == "export"));
}

#[test]
fn demo_creates_a_workspace_with_a_checked_caseload_and_due_tasks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let r = json(dir, &["demo", "--patients", "30"]);
    assert_eq!(r["demo"]["patients"], 30);
    assert!(r["demo"]["visits"].as_u64().unwrap() > 30 * 3);
    let list = json(dir, &["patient", "list"]);
    let patients = list["patients"].as_array().unwrap();
    assert_eq!(patients.len(), 30);
    for p in patients {
        let nhs = p["nhs_number"].as_str().unwrap();
        assert!(nhs.starts_with("999"), "demo numbers are in the test range: {nhs}");
        assert!(p["latest_news2"]["total"].is_u64());
    }
    let due = json(dir, &["tasks", "due", "--on", "2100-01-01"]);
    assert!(!due["tasks"].as_array().unwrap().is_empty());
    let first = json(dir, &["patient", "list", "--limit", "1"]);
    assert_eq!(first["patients"].as_array().unwrap().len(), 1);

    // A reader that stops early (`| head -n 1`) ends the listing quietly, without a panic.
    let mut child = Command::new(env!("CARGO_BIN_EXE_hedgerow"))
        .args(["--data", dir.to_str().unwrap(), "--json", "patient", "list"])
        .env("HEDGEROW_PASSPHRASE", PASS)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // A one-page pipe, so the listing (about 15 KB) cannot all fit before the reader leaves.
    {
        use std::os::fd::AsRawFd;
        // SAFETY: F_SETPIPE_SZ on a pipe we own; failure only leaves the default size.
        unsafe { libc::fcntl(stdout.as_raw_fd(), libc::F_SETPIPE_SZ, 4096) };
    }
    let mut first_bytes = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut first_bytes).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");

    let reindex = json(dir, &["reindex"]);
    assert_eq!(reindex["patients"], 30);
    // Run again: more patients, no duplicate NHS numbers.
    json(dir, &["demo", "--patients", "10", "--seed", "5"]);
    assert_eq!(json(dir, &["patient", "list"])["patients"].as_array().unwrap().len(), 40);
}

#[test]
fn two_devices_disagree_on_a_dose_and_a_clinician_resolves_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("nurse"), tmp.path().join("gp"));
    init(&a);
    ok(&b, &["init", "--clinician", "Dr Priya Kellaway", "--role", "gp"]);
    ok(&a, &["patient", "add", "--nhs", "9434765919", "--name", "Winifred Ashdown", "--dob", "1939-05-17"]);
    let plan = json(
        &a,
        &[
            "plan",
            "add",
            "9434765919",
            "--title",
            "Venous leg ulcer",
            "--goal",
            "Healed in 12 weeks",
            "--intervention",
            "Compression bandaging",
            "--frequency",
            "twice weekly",
            "--review",
            "2026-12-20",
        ],
    );
    assert_eq!(plan["id"].as_str().unwrap().len(), 16);
    let med = add_furosemide(&a);
    ok(&a, &["eol", "cpr", "9434765919", "--recommendation", "attempt-cpr", "--reason", "patient wishes"]);
    ok(
        &a,
        &[
            "eol",
            "set",
            "9434765919",
            "--register",
            "yes",
            "--place-of-death",
            "home",
            "--ceiling",
            "symptom control at home",
            "--involve",
            "daughter",
        ],
    );
    let file = |name: &str| tmp.path().join(name).to_str().unwrap().to_owned();
    ok(&a, &["export", "document", "--patient", "9434765919", "--out", &file("a1")]);
    let r =
        json(&b, &["import", "document", &file("a1"), "--add-to-caseload", "--unauthenticated", TWO_TEAMS]);
    assert_eq!(r["merged"]["new"], true);

    ok(&a, &["meds", "change", "9434765919", &med[..6], "--dose", "80 mg", "--reason", "more oedema"]);
    ok(&b, &["meds", "change", "9434765919", &med[..6], "--dose", "20 mg", "--reason", "low blood pressure"]);
    ok(&a, &["export", "document", "--patient", "9434765919", "--out", &file("a2")]);
    ok(&b, &["export", "document", "--patient", "9434765919", "--out", &file("b2")]);
    let r = json(&a, &["import", "document", &file("b2"), "--unauthenticated", TWO_TEAMS]);
    assert_eq!(r["merged"]["open_conflicts"], 2, "the dose and the reason for it");
    ok(&b, &["import", "document", &file("a2"), "--unauthenticated", TWO_TEAMS]);

    let ca = json(&a, &["conflicts", "9434765919"]);
    let cb = json(&b, &["conflicts", "9434765919"]);
    assert_eq!(ca, cb, "both devices show the same conflict");
    let conflict = &ca["conflicts"][0];
    let field = conflict["field"].as_str().unwrap().to_owned();
    assert_eq!(field, format!("medicines/{med}/dose"));
    let text = ok(&a, &["conflicts", "9434765919"]);
    assert!(text.contains("Ada Quill") && text.contains("Dr Priya Kellaway"), "{text}");
    let flagged = json(&a, &["conflicts"]);
    assert_eq!(flagged["patients"][0]["open_conflicts"], 2);
    let shown = ok(&a, &["patient", "show", "9434765919"]);
    assert!(shown.contains("CONFLICTS"), "{shown}");

    let choice =
        conflict["values"].as_array().unwrap().iter().position(|v| v["value"] == "20 mg").unwrap() + 1;
    ok(
        &b,
        &[
            "conflicts",
            "9434765919",
            "resolve",
            &field,
            "--choose",
            &choice.to_string(),
            "--reason",
            "BP 92/60",
        ],
    );
    let reason = json(&b, &["conflicts", "9434765919"])["conflicts"][0]["field"].as_str().unwrap().to_owned();
    assert_eq!(reason, format!("medicines/{med}/change_reason"));
    ok(&b, &["conflicts", "9434765919", "resolve", &reason, "--choose", "1", "--reason", "as decided"]);
    ok(&b, &["export", "document", "--patient", "9434765919", "--out", &file("b3")]);
    ok(&a, &["import", "document", &file("b3"), "--unauthenticated", TWO_TEAMS]);
    assert_eq!(json(&a, &["conflicts", "9434765919"])["conflicts"].as_array().unwrap().len(), 0);
    let record = json(&a, &["patient", "show", "9434765919"]);
    let medicines = record["patient"]["record"]["medicines"].as_array().unwrap();
    let resolved = medicines.iter().find(|m| m["id"] == med.as_str()).expect("the medicine is listed by id");
    assert_eq!(resolved["dose"], "20 mg");

    let history = json(&a, &["history", "9434765919", &field]);
    let values: Vec<&str> =
        history["history"].as_array().unwrap().iter().map(|h| h["value"].as_str().unwrap()).collect();
    assert!(
        values.contains(&"40 mg") && values.contains(&"80 mg") && values.contains(&"20 mg"),
        "{values:?}"
    );

    // Tasks, carers' entries labelled as theirs, addenda.
    ok(
        &a,
        &[
            "tasks",
            "add",
            "9434765919",
            "--title",
            "Bloods: U&Es",
            "--assignee-role",
            "district-nurse",
            "--due",
            "2026-11-01",
        ],
    );
    ok(
        &a,
        &[
            "tasks",
            "add",
            "9434765919",
            "--title",
            "Needs more pads",
            "--assignee-role",
            "district-nurse",
            "--source",
            "family",
        ],
    );
    let due = json(&a, &["tasks", "due", "--on", "2026-11-30"]);
    assert_eq!(due["tasks"].as_array().unwrap().len(), 1);
    let shown = ok(&a, &["patient", "show", "9434765919"]);
    assert!(shown.contains("(from family)"), "{shown}");
    let task = due["tasks"][0]["task"]["task_id"].as_str().unwrap().to_owned();
    ok(&a, &["tasks", "done", "9434765919", &task]);
    assert_eq!(json(&a, &["tasks", "due", "--on", "2026-11-30"])["tasks"].as_array().unwrap().len(), 0);
    let err = fails(&a, &["meds", "change", "9434765919", &med, "--dose", "10 mg", "--reason", " "]);
    assert!(err.contains("reason"), "{err}");
    let err = fails(
        &a,
        &[
            "meds",
            "add",
            "9434765919",
            "--name",
            "X",
            "--dose",
            "1",
            "--route",
            "nasal",
            "--frequency",
            "daily",
        ],
    );
    assert!(err.contains("allowed: oral"), "{err}");
    let visit = ok(&a, &["visit", "start", "9434765919"]).trim().to_owned();
    ok(&a, &["visit", "note", &visit, "--text", "Dressing changed."]);
    ok(&a, &["visit", "sign", &visit]);
    ok(&a, &["visit", "addendum", &visit, "--text", "Correction: left leg."]);
    let v = json(&a, &["visit", "show", &visit]);
    assert_eq!(v["visit"]["addenda"][0]["written_by"]["name"], "Ada Quill");
    assert_eq!(v["visit"]["signature_valid"], true);
}

#[test]
fn a_record_off_the_caseload_opens_only_by_break_glass() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    init(&a);
    init(&b);
    ok(&a, &["patient", "add", "--nhs", "9434765919", "--name", "Winifred Ashdown", "--dob", "1939-05-17"]);
    let file = tmp.path().join("doc").to_str().unwrap().to_owned();
    ok(&a, &["export", "document", "--patient", "9434765919", "--out", &file]);
    let err = fails(&b, &["import", "document", &file]);
    assert!(err.contains("not signed by devices of your team") && err.contains("--unauthenticated"), "{err}");
    let imported = json(&b, &["import", "document", &file, "--unauthenticated", TWO_TEAMS]);
    assert_eq!(imported["merged"]["held_for_review"], true);
    let err = fails(&b, &["patient", "show", "9434765919"]);
    assert!(err.contains("break-glass"), "{err}");
    // Every other way of reading it asks the same: its history, a printed summary.
    let err = fails(&b, &["history", "9434765919", "demographics/name"]);
    assert!(err.contains("--break-glass"), "{err}");
    assert!(!err.contains("Winifred"), "{err}");
    let summary = tmp.path().join("summary.html").to_str().unwrap().to_owned();
    let err = fails(&b, &["export", "summary", "--patient", "9434765919", "--out", &summary]);
    assert!(err.contains("--break-glass"), "{err}");
    assert!(!std::path::Path::new(&summary).exists());
    let history = ok(
        &b,
        &[
            "history",
            "9434765919",
            "demographics/name",
            "--break-glass",
            "Family asked about the name on file",
        ],
    );
    assert!(history.contains("Winifred Ashdown"), "{history}");
    let err = fails(&b, &["patient", "show", "9434765919", "--break-glass", ""]);
    assert!(err.contains("reason"), "{err}");
    ok(
        &b,
        &[
            "patient",
            "show",
            "9434765919",
            "--break-glass",
            "Out-of-hours call; patient's own nurse unavailable",
        ],
    );
    let flagged = json(&b, &["audit", "--flagged"]);
    let entries = flagged["entries"].as_array().unwrap();
    let glass: Vec<_> = entries.iter().filter(|e| e["action"] == "break-glass").collect();
    assert_eq!(glass.len(), 2);
    assert!(glass.iter().any(|g| g["detail"].as_str().unwrap().contains("Out-of-hours")));
    assert!(glass.iter().any(|g| g["detail"].as_str().unwrap().contains("Family asked")));
    // Receiving the record, outside the caseload, was flagged as well.
    assert!(entries.iter().any(|e| e["action"] == "import"), "{entries:?}");
    let list = json(&b, &["patient", "list"]);
    assert_eq!(list["patients"].as_array().unwrap().len(), 0, "off-caseload records are never listed");
}

#[test]
fn medicines_changed_by_others_since_my_last_visit_are_highlighted() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("nurse"), tmp.path().join("gp"));
    init(&a);
    ok(&b, &["init", "--clinician", "Dr Priya Kellaway", "--role", "gp"]);
    ok(&a, &["patient", "add", "--nhs", "9434765919", "--name", "Winifred Ashdown", "--dob", "1939-05-17"]);
    let med = add_furosemide(&a);
    let visit = ok(&a, &["visit", "start", "9434765919"]).trim().to_owned();
    ok(&a, &["visit", "action", &visit, "--text", "Weighed: 71.2 kg", "--done"]);
    ok(&a, &["visit", "action", &visit, "--text", "Ask GP to review furosemide"]);
    let shown = ok(&a, &["visit", "show", &visit]);
    assert!(
        shown.contains("Weighed: 71.2 kg (done)") && shown.contains("review furosemide (to do)"),
        "{shown}"
    );
    assert!(shown.contains("Allergies: none recorded"), "allergies on every view: {shown}");
    let file = |n: &str| tmp.path().join(n).to_str().unwrap().to_owned();
    ok(&a, &["export", "document", "--patient", "9434765919", "--out", &file("a")]);
    ok(&b, &["import", "document", &file("a"), "--add-to-caseload", "--unauthenticated", TWO_TEAMS]);
    ok(&b, &["meds", "change", "9434765919", &med, "--dose", "80 mg", "--reason", "ankle oedema"]);
    ok(&b, &["export", "document", "--patient", "9434765919", "--out", &file("b")]);
    ok(&a, &["import", "document", &file("b"), "--unauthenticated", TWO_TEAMS]);
    let shown = ok(&a, &["patient", "show", "9434765919"]);
    assert!(
        shown.contains("80 mg") && shown.contains("CHANGED since your last visit by Dr Priya Kellaway"),
        "{shown}"
    );
    let briefing = ok(&a, &["briefing", "9434765919"]);
    assert!(
        briefing.contains("Furosemide 40 mg tablets now 80 mg") && briefing.contains("ankle oedema"),
        "{briefing}"
    );
    // My own change afterwards is not news to me.
    ok(&a, &["meds", "change", "9434765919", &med, "--dose", "60 mg", "--reason", "GP phoned"]);
    let shown = ok(&a, &["patient", "show", "9434765919"]);
    assert!(!shown.contains("CHANGED since"), "{shown}");
}

#[test]
fn every_vital_sign_but_neither_air_nor_oxygen_is_a_partial_score() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    init(dir);
    ok(dir, &["patient", "add", "--nhs", "9434765919", "--name", "Winifred Ashdown", "--dob", "1939-05-17"]);
    let visit = ok(dir, &["visit", "start", "9434765919"]).trim().to_owned();
    let signs = [
        "--resp-rate",
        "16",
        "--spo2",
        "97",
        "--systolic",
        "130",
        "--pulse",
        "72",
        "--consciousness",
        "A",
        "--temp",
        "36.8",
    ];
    let mut args = vec!["visit", "obs", visit.as_str()];
    args.extend(signs);
    let r = json(dir, &args);
    assert_eq!(r["news2"]["partial"], true, "not on air by default: {r}");
    assert_eq!(r["news2"]["missing"], serde_json::json!(["air-or-oxygen"]));
    assert_eq!(r["news2"]["band"], serde_json::Value::Null, "an incomplete set has no band");
    assert_eq!(r["news2"]["escalation"], serde_json::Value::Null, "no advice on a partial 0");
    assert_eq!(r["news2"]["label"], "NEWS2 at least 0, incomplete");
    let text = ok(dir, &args);
    assert!(text.contains("NEWS2 PARTIAL: at least 0 (missing air or oxygen)"), "{text}");
    assert!(!text.contains("low") && !text.contains("Routine"), "{text}");
    let list = ok(dir, &["patient", "list"]);
    assert!(list.contains("NEWS2 at least 0, incomplete"), "{list}");
    assert!(!list.contains(">=0 low"), "{list}");
    // Said explicitly, the set is complete.
    args.push("--air");
    let r = json(dir, &args);
    assert_eq!(r["news2"]["partial"], false);
    assert_eq!(r["news2"]["total"], 0);
    assert!(fails(dir, &[&args[..], &["--oxygen"]].concat()).contains("cannot be used with"));
}

#[test]
fn a_disputed_cpr_decision_is_disputed_in_every_command_and_export() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("nurse"), tmp.path().join("gp"));
    init(&a);
    ok(&b, &["init", "--clinician", "Dr Priya Kellaway", "--role", "gp"]);
    ok(&a, &["patient", "add", "--nhs", "9434765919", "--name", "Winifred Ashdown", "--dob", "1939-05-17"]);
    let file = |n: &str| tmp.path().join(n).to_str().unwrap().to_owned();
    ok(&a, &["export", "document", "--patient", "9434765919", "--out", &file("a1")]);
    ok(&b, &["import", "document", &file("a1"), "--add-to-caseload", "--unauthenticated", TWO_TEAMS]);
    ok(&a, &["eol", "cpr", "9434765919", "--recommendation", "attempt-cpr", "--reason", "patient wishes"]);
    ok(
        &b,
        &[
            "eol",
            "cpr",
            "9434765919",
            "--recommendation",
            "do-not-attempt-cpr",
            "--reason",
            "advanced frailty",
        ],
    );
    ok(&b, &["export", "document", "--patient", "9434765919", "--out", &file("b1")]);
    ok(&a, &["import", "document", &file("b1"), "--unauthenticated", TWO_TEAMS]);

    let show = ok(&a, &["patient", "show", "9434765919"]);
    assert!(show.contains("CPR: DISPUTED — see conflicts"), "{show}");
    assert!(
        show.contains("attempt CPR (Ada Quill") && show.contains("(DNACPR) (Dr Priya Kellaway"),
        "{show}"
    );
    assert!(show.contains("follow local policy"), "{show}");
    assert!(
        !show.contains("CPR: attempt CPR\n") && !show.contains("CPR: do not attempt CPR (DNACPR)\n"),
        "{show}"
    );
    let list = ok(&a, &["patient", "list"]);
    assert!(list.contains("CPR: DISPUTED"), "{list}");
    let j = json(&a, &["patient", "show", "9434765919"]);
    assert_eq!(j["patient"]["summary"]["cpr"]["state"], "disputed", "{}", j["patient"]["summary"]["cpr"]);
    let visit = ok(&a, &["visit", "start", "9434765919"]).trim().to_owned();
    let shown = ok(&a, &["visit", "show", &visit]);
    assert!(shown.contains("CPR: DISPUTED") && shown.contains("clinicians disagree"), "{shown}");
    let summary = file("summary.html");
    ok(&a, &["export", "summary", "--patient", "9434765919", "--out", &summary]);
    let html = std::fs::read_to_string(&summary).unwrap();
    assert!(
        html.contains("CPR: DISPUTED") && html.contains("Dr Priya Kellaway") && html.contains("Ada Quill")
    );
    let err = fails(&a, &["export", "fhir", "--patient", "9434765919", "--out", &file("out.json")]);
    assert!(err.contains("open clinical conflict") && err.contains("CPR recommendation"), "{err}");
    assert!(!std::path::Path::new(&file("out.json")).exists(), "nothing written");
    // Resolving needs a reason.
    let list = json(&a, &["conflicts", "9434765919"]);
    let field = list["conflicts"][0]["field"].as_str().unwrap().to_owned();
    let err = fails(&a, &["conflicts", "9434765919", "resolve", &field, "--choose", "1"]);
    assert!(err.contains("--reason"), "{err}");
}

#[test]
fn patient_details_and_the_gp_practice_are_kept_up_to_date() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    init(dir);
    ok(dir, &["patient", "add", "--nhs", "9434765919", "--name", "Winifred Ashdown", "--dob", "1939-05-17"]);
    ok(
        dir,
        &[
            "patient",
            "update",
            "9434765919",
            "--gender",
            "female",
            "--access-notes",
            "Key safe 4721, back door",
            "--gp-name",
            "Little Wyck Surgery",
            "--gp-ods",
            "Y90001",
        ],
    );
    let shown = ok(dir, &["patient", "show", "9434765919"]);
    assert!(shown.contains("GP practice: Little Wyck Surgery (Y90001)"), "{shown}");
    assert!(shown.contains("Access: Key safe 4721, back door"), "{shown}");
    let err = fails(dir, &["patient", "update", "9434765919", "--gp-name", "X", "--gp-ods", "Y9-0001"]);
    assert!(err.contains("not an ODS code"), "{err}");
    let err = fails(dir, &["patient", "update", "9434765919", "--gender", "f"]);
    assert!(err.contains("allowed: female, male, other, unknown"), "{err}");
}

#[test]
fn next_of_kin_and_a_lasting_power_of_attorney_are_recorded_and_shown_at_the_door() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    init(dir);
    ok(dir, &["patient", "add", "--nhs", "9434765919", "--name", "Winifred Ashdown", "--dob", "1939-05-17"]);
    let shown = ok(dir, &["patient", "show", "9434765919"]);
    assert!(shown.contains("Next of kin: none recorded"), "{shown}");
    let helen = [
        "contact",
        "add",
        "9434765919",
        "--name",
        "Helen Ashdown",
        "--relationship",
        "child",
        "--phone",
        "07700 900123",
        "--next-of-kin",
        "--lpa",
        "health-and-welfare",
    ];
    let added = json(dir, &helen);
    let shown = ok(dir, &["patient", "show", "9434765919"]);
    assert!(shown.contains("Next of kin: Helen Ashdown (child), 07700 900123"), "{shown}");
    assert!(shown.contains("LPA (health and welfare): Helen Ashdown (child), 07700 900123"), "{shown}");
    let err = fails(dir, &[&helen[..10], &["--lpa", "welfare"]].concat());
    assert!(err.contains("allowed: health-and-welfare, property-and-financial, both"), "{err}");
    let err = fails(dir, &["contact", "add", "9434765919", "--name", "Sam", "--relationship", "cousin"]);
    assert!(err.contains("unknown relationship 'cousin'"), "{err}");
    let id = added["id"].as_str().unwrap();
    ok(dir, &["contact", "remove", "9434765919", &id[..8]]);
    let shown = ok(dir, &["patient", "show", "9434765919"]);
    assert!(shown.contains("Next of kin: none recorded"), "{shown}");
}

#[test]
fn today_lists_who_needs_attention_and_what_is_overdue_as_the_app_does() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    init(dir);
    ok(dir, &["patient", "add", "--nhs", "9434765919", "--name", "Winifred Ashdown", "--dob", "1939-05-17"]);
    ok(dir, &["patient", "add", "--nhs", "9990000018", "--name", "Harold Coombe", "--dob", "1944-11-02"]);
    let visit = ok(dir, &["visit", "start", "9434765919"]).trim().to_owned();
    // Incomplete, but respiration 26 and pulse 120 already score 5.
    ok(dir, &["visit", "obs", &visit, "--resp-rate", "26", "--pulse", "120"]);
    let task = ["tasks", "add", "9990000018", "--title", "Order dressings", "--due", "2026-11-28"];
    ok(dir, &[&task[..], &["--assignee-role", "district-nurse"]].concat());

    let day = json(dir, &["today", "--on", "2026-12-01"]);
    assert_eq!(day["date"], "2026-12-01");
    let flagged: Vec<&str> =
        day["needs_attention"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(flagged, ["Winifred Ashdown"], "{day}");
    assert_eq!(day["tasks_due"][0]["overdue"], true);
    assert_eq!(day["tasks_due"][0]["patient_name"], "Harold Coombe");
    assert_eq!(day["unsigned_visits"].as_array().unwrap().len(), 1);

    let text = ok(dir, &["today", "--on", "2026-12-01"]);
    assert!(text.contains("NEWS2 at least 5, incomplete"), "{text}");
    assert!(text.contains("2026-11-28 OVERDUE") && text.contains("Order dressings"), "{text}");
    assert!(text.contains("Your visits not signed:"), "{text}");
    let err = fails(dir, &["today", "--on", "01/12/2026"]);
    assert!(err.contains("is not a date written YYYY-MM-DD"), "{err}");
}

#[test]
fn a_care_plan_review_past_its_date_is_marked_overdue_until_the_item_is_resolved() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    init(dir);
    ok(dir, &["patient", "add", "--nhs", "9434765919", "--name", "Winifred Ashdown", "--dob", "1939-05-17"]);
    let plan =
        json(dir, &["plan", "add", "9434765919", "--title", "Venous leg ulcer", "--review", "2020-01-06"]);
    let shown = ok(dir, &["patient", "show", "9434765919"]);
    assert!(shown.contains("review 2020-01-06 OVERDUE by"), "{shown}");

    let item = plan["id"].as_str().unwrap();
    ok(dir, &["plan", "update", "9434765919", item, "--status", "resolved"]);
    let shown = ok(dir, &["patient", "show", "9434765919"]);
    assert!(!shown.contains("OVERDUE"), "a resolved item is not late (nor listed as open): {shown}");
}

#[test]
fn the_record_as_it_stood_shows_the_dose_of_that_moment_in_words_and_as_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    init(dir);
    ok(dir, &["patient", "add", "--nhs", "9434765919", "--name", "Winifred Ashdown", "--dob", "1939-05-17"]);
    let med = add_furosemide(dir);
    // Changes are timed to the second: the moment sits a second clear of each.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let then = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    ok(dir, &["meds", "change", "9434765919", &med[..6], "--dose", "80 mg", "--reason", "more oedema"]);

    let shown = ok(dir, &["patient", "as-of", "9434765919", "--at", &then]);
    assert!(shown.contains("Furosemide 40 mg tablets 40 mg oral once daily"), "{shown}");
    assert!(!shown.contains("80 mg"), "{shown}");
    let record = json(dir, &["patient", "as-of", "9434765919", "--at", &then]);
    let medicines = record["record"]["medicines"].as_array().unwrap();
    assert_eq!(medicines[0]["id"], med.as_str(), "listed with its id");
    assert_eq!(medicines[0]["dosage"], "40 mg oral once daily");
}
