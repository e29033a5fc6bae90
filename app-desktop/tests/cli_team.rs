//! Teams, enrolment, revocation and sync from the command line, against a real relay.

mod common;

use common::{PASS, fails, hedgerow, json, ok};
use hedgerow_tests::{RelayProcess, workspace_binary};
use std::process::Command;

/// Kills a helper process if the test ends early.
struct Reap(u32);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.to_string()).status();
    }
}

#[test]
fn create_invite_join_sync_and_revoke_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = RelayProcess::start(&workspace_binary("hedgerow-relay"), &tmp.path().join("relay"));
    let (nurse, gp) = (tmp.path().join("nurse"), tmp.path().join("gp"));
    json(&nurse, &["init", "--clinician", "Nia Penhallow", "--role", "district-nurse"]);
    // Sync needs a shared team; invites need an admin of one.
    assert!(fails(&nurse, &["sync", "--relay", &relay.address]).contains("team create"));
    assert!(fails(&nurse, &["team", "invite"]).contains("team create"));
    json(&nurse, &["team", "create", "Hartsmoor District Nursing"]);
    json(
        &nurse,
        &["patient", "add", "--nhs", "999 000 1235", "--name", "Winifred Ashdown", "--dob", "1939-05-17"],
    );
    let report = json(&nurse, &["sync", "--relay", &relay.address]);
    assert_eq!(report["bundles_pushed"], 2, "{report}");

    let qr = tmp.path().join("invite.png");
    let invite = json(&nurse, &["team", "invite", "--qr", qr.to_str().unwrap(), "--relay", &relay.address]);
    let code = invite["invite"]["code"].as_str().unwrap().to_owned();
    assert!(std::fs::read(&qr).unwrap().starts_with(b"\x89PNG"), "a QR code PNG");
    // A mistyped code, and the wrong relay address, say what is wrong.
    let mut typo = code.clone();
    typo.pop();
    assert!(
        fails(&gp, &["team", "join", &typo, "--relay", &relay.address, "--clinician", "X", "--role", "gp"])
            .contains("not an enrolment code")
    );
    assert!(
        fails(&gp, &["team", "join", &code, "--relay", "nonsense", "--clinician", "X", "--role", "gp"])
            .contains("relay address")
    );
    let joined = json(
        &gp,
        &[
            "team",
            "join",
            &code,
            "--relay",
            &relay.address,
            "--clinician",
            "Dr Tomasz Orrell",
            "--role",
            "gp",
            "--label",
            "surgery laptop",
        ],
    );
    assert_eq!(joined["caseload"], 1, "{joined}");
    // One use only.
    let again = tmp.path().join("again");
    assert!(
        fails(
            &again,
            &["team", "join", &code, "--relay", &relay.address, "--clinician", "Y", "--role", "gp"]
        )
        .contains("invite")
    );

    // The GP's device is not an admin, so it may not revoke; the nurse's may.
    let devices = json(&nurse, &["sync"]);
    assert_eq!(devices["team_changed"], true, "{devices}");
    // With no relay: the GP's device listens, the nurse's dials it directly.
    json(
        &nurse,
        &["patient", "add", "--nhs", "999 000 0018", "--name", "Albert Penrose", "--dob", "1931-02-03"],
    );
    let mut listener = Command::new(env!("CARGO_BIN_EXE_hedgerow"))
        .args(["--data", gp.to_str().unwrap(), "listen", "--listen", "127.0.0.1:0", "--count", "1"])
        .env("HEDGEROW_PASSPHRASE", PASS)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let listener_pid = listener.id();
    let _reap = Reap(listener_pid);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(listener.stdout.as_mut().unwrap()), &mut line)
        .unwrap();
    let peer = line
        .trim()
        .strip_prefix("Listening for team devices at ")
        .expect("the listener prints its address")
        .to_owned();
    let direct = json(&nurse, &["sync", "--peer", &peer]);
    assert!(direct["documents_synced"].as_u64().unwrap() >= 2, "{direct}");
    assert!(listener.wait().unwrap().success());
    let list = json(&gp, &["patient", "list"]);
    assert!(list.to_string().contains("Albert Penrose"), "{list}");

    let list = json(&nurse, &["device", "list"]);
    let gp_device =
        list["devices"].as_array().unwrap().iter().find(|d| d["label"] == "surgery laptop").unwrap().clone();
    assert_eq!(gp_device["clinician"], "Dr Tomasz Orrell");
    assert_eq!(gp_device["enrolled_by"], "Nia Penhallow");
    let id = gp_device["device_id"].as_str().unwrap();
    assert!(fails(&gp, &["device", "revoke", id, "--reason", "test"]).contains("admin"));
    let revoked = json(&nurse, &["device", "revoke", &id[..8], "--reason", "laptop stolen"]);
    assert_eq!(revoked["revoked"]["revoked"]["reason"], "laptop stolen");
    json(&nurse, &["sync"]);
    assert!(fails(&gp, &["sync"]).contains("revoked"));
    let text = String::from_utf8(hedgerow(&nurse, &["device", "list"]).stdout).unwrap();
    assert!(text.contains("REVOKED") && text.contains("laptop stolen"), "{text}");
}

#[test]
fn a_carer_cannot_record_a_dnacpr_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = RelayProcess::start(&workspace_binary("hedgerow-relay"), &tmp.path().join("relay"));
    let (nurse, carer) = (tmp.path().join("nurse"), tmp.path().join("carer"));
    json(&nurse, &["init", "--clinician", "Nia Penhallow", "--role", "district-nurse"]);
    json(&nurse, &["team", "create", "Hartsmoor District Nursing"]);
    json(
        &nurse,
        &["patient", "add", "--nhs", "999 000 1235", "--name", "Winifred Ashdown", "--dob", "1939-05-17"],
    );
    let invite = json(&nurse, &["team", "invite", "--relay", &relay.address]);
    let code = invite["invite"]["code"].as_str().unwrap().to_owned();
    json(
        &carer,
        &[
            "team",
            "join",
            &code,
            "--relay",
            &relay.address,
            "--clinician",
            "Sandra Ashdown",
            "--role",
            "carer",
        ],
    );
    let err = fails(
        &carer,
        &[
            "eol",
            "cpr",
            "9990001235",
            "--recommendation",
            "do-not-attempt-cpr",
            "--reason",
            "advanced frailty",
        ],
    );
    assert!(err.contains("a carer may not record a CPR decision"), "{err}");
    let err = fails(
        &carer,
        &["conflicts", "9990001235", "resolve", "end_of_life/cpr", "--choose", "1", "--reason", "x"],
    );
    assert!(err.contains("may not resolve a clinical conflict"), "{err}");
    let audit = json(&carer, &["audit", "--flagged"]);
    let refused: Vec<_> =
        audit["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "refused").collect();
    assert_eq!(refused.len(), 2, "{audit}");
    // What a carer may do: a note in their own words, labelled as theirs.
    json(&carer, &["carer-note", "9990001235", "--text", "Mum ate a little breakfast."]);
    let shown = String::from_utf8(hedgerow(&carer, &["patient", "show", "9990001235"]).stdout).unwrap();
    assert!(shown.contains("From carers and family") && shown.contains("Sandra Ashdown (carer"), "{shown}");
    assert!(shown.contains("CPR: no decision recorded"), "{shown}");
}

#[test]
fn a_demo_caseload_shared_with_a_team_reaches_a_new_device_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = RelayProcess::start(&workspace_binary("hedgerow-relay"), &tmp.path().join("relay"));
    let (nurse, gp) = (tmp.path().join("nurse"), tmp.path().join("gp"));
    // The demo's visits are written by fictional colleagues who have no device of the team:
    // the founding device answers for them, so the team takes them in.
    ok(&nurse, &["demo", "--patients", "6"]);
    json(&nurse, &["team", "create", "Penwith District Nurses"]);
    json(&nurse, &["sync", "--relay", &relay.address]);
    let invite = json(&nurse, &["team", "invite", "--relay", &relay.address]);
    let code = invite["invite"]["code"].as_str().unwrap().to_owned();
    let joined = json(
        &gp,
        &[
            "team",
            "join",
            &code,
            "--relay",
            &relay.address,
            "--clinician",
            "Dr Tomasz Orrell",
            "--role",
            "gp",
        ],
    );
    assert_eq!(joined["caseload"], 6, "{joined}");
    let report = json(&gp, &["sync"]);
    assert_eq!(report["rejected"].as_array().map_or(0, Vec::len), 0, "{report}");
    // Their authorship is shown as not confirmed by the team.
    let first = json(&gp, &["patient", "list"]);
    let nhs = first["patients"][0]["nhs_number"].as_str().unwrap().to_owned();
    let shown = json(&gp, &["patient", "show", &nhs]);
    let medicines = shown["patient"]["record"]["medicines"].as_array().unwrap();
    let id = medicines.first().and_then(|m| m["id"].as_str()).expect("demo patients have a medicine");
    // The short id the record view shows is enough.
    let history = ok(&gp, &["history", &nhs, &format!("medicines/{}/dose", &id[..8])]);
    assert!(history.contains("(author not confirmed by the team)"), "{history}");
}

#[test]
fn a_hospice_card_trusted_and_harold_referred_to_the_hospice_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = RelayProcess::start(&workspace_binary("hedgerow-relay"), &tmp.path().join("relay"));
    let (hospice, ward) = (tmp.path().join("hospice"), tmp.path().join("ward"));
    json(&hospice, &["init", "--clinician", "Maren Oduya", "--role", "hospice-nurse"]);
    json(&hospice, &["team", "create", "Rowan Hospice"]);
    // The relay must have confirmed the admin before its card can prove it.
    assert!(fails(&hospice, &["team", "card"]).contains("sync with the relay"));
    json(&hospice, &["sync", "--relay", &relay.address]);
    let qr = tmp.path().join("card.png");
    let card = json(&hospice, &["team", "card", "--ods", "8H734", "--qr", qr.to_str().unwrap()]);
    assert!(std::fs::read(&qr).unwrap().starts_with(b"\x89PNG"), "a QR code PNG");
    let (text, fingerprint) =
        (card["card"]["text"].as_str().unwrap(), card["card"]["fingerprint"].as_str().unwrap());
    let file = tmp.path().join("card.txt");
    std::fs::write(&file, text).unwrap();

    json(&ward, &["init", "--clinician", "Dr Ines Calloway", "--role", "gp"]);
    json(&ward, &["team", "create", "Ward 7, Hartsmoor General"]);
    // No fingerprint and no terminal to type it at: asked for, never shown.
    let asked = fails(&ward, &["team", "trust", file.to_str().unwrap()]);
    assert!(asked.contains("--fingerprint") && !asked.contains(fingerprint), "{asked}");
    assert!(
        fails(&ward, &["team", "trust", text, "--fingerprint", "0000 0000 0000 0000 0000"])
            .contains("does not match")
    );
    let trusted = json(&ward, &["team", "trust", file.to_str().unwrap(), "--fingerprint", fingerprint]);
    assert_eq!(trusted["trusted"]["name"], "Rowan Hospice", "{trusted}");
    let partners = json(&ward, &["team", "partners"]);
    assert_eq!(partners["partners"][0]["ods_code"], "8H734", "{partners}");
    assert!(ok(&ward, &["team", "partners"]).contains("Rowan Hospice (ODS 8H734)"));

    // The patient is asked about the hospice by name.
    json(
        &ward,
        &["patient", "add", "--nhs", "943 476 5919", "--name", "Harold Pennick", "--dob", "1941-02-09"],
    );
    assert!(
        fails(&ward, &["share-consent", "9434765919", "--team", "Hartsmoor Hospice", "--share", "yes"])
            .contains("does not trust")
    );
    json(&ward, &["share-consent", "9434765919", "--team", "Rowan Hospice", "--share", "yes"]);
    assert!(
        ok(&ward, &["patient", "show", "9434765919"]).contains("Consent to share with Rowan Hospice: yes")
    );
    let dnacpr = ["--recommendation", "do-not-attempt-cpr", "--reason", "heart failure, end stage"];
    ok(&ward, &[&["eol", "cpr", "9434765919"][..], &dnacpr].concat());

    // The hospice trusts the ward back; then the ward refers Harold.
    json(&ward, &["sync", "--relay", &relay.address]);
    let ward_card = json(&ward, &["team", "card"]);
    let (ward_text, ward_fp) =
        (ward_card["card"]["text"].as_str().unwrap(), ward_card["card"]["fingerprint"].as_str().unwrap());
    json(&hospice, &["team", "trust", ward_text, "--fingerprint", ward_fp]);
    json(&hospice, &["sync"]);
    let reason = "Discharged home for end of life care";
    let sent = ok(&ward, &["refer", "9434765919", "--to", "Rowan Hospice", "--reason", reason, "--urgent"]);
    assert!(sent.contains("Referred to Rowan Hospice"), "{sent}");
    assert!(ok(&ward, &["sync"]).contains("Sent to other teams: 1"));

    let got = ok(&hospice, &["sync"]);
    assert!(got.contains("From other teams: 1") && !got.contains("Nothing new"), "{got}");
    let listed = ok(&hospice, &["referrals"]);
    assert!(
        listed.contains("URGENT Harold Pennick (943 476 5919) from Ward 7, Hartsmoor General"),
        "{listed}"
    );
    assert!(listed.contains("waiting for an answer"), "{listed}");
    let id = json(&hospice, &["referrals"])[0]["id"].as_str().unwrap().to_owned();
    let shown = ok(&hospice, &["referrals", "show", &id[..8]]);
    assert!(shown.contains("CPR: do not attempt CPR (DNACPR)"), "{shown}");
    assert!(fails(&hospice, &["patient", "show", "9434765919"]).contains("943"));
    assert!(ok(&hospice, &["referrals", "accept", &id[..8]]).contains("on your team's caseload"));
    assert!(ok(&hospice, &["patient", "show", "9434765919"]).contains("Harold Pennick"));
    json(&hospice, &["sync"]);
    json(&ward, &["sync"]);
    let shown = ok(&ward, &["patient", "show", "9434765919"]);
    assert!(
        shown.contains("Referred to Rowan Hospice on") && shown.contains("accepted by Maren Oduya"),
        "{shown}"
    );
}
