//! The team without a terminal, through a real relay process: a nurse makes her workspace a
//! shared team in the app, invites a device (the code and its QR code on screen), a GP's new
//! laptop joins with that code from its lock screen, and the nurse revokes it, with a
//! reason, when it is lost; the relay then refuses it.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hedgerow_desktop::gui::HedgerowApp;

mod gui;

use gui::{PASS, harness, step_until, type_into, unlock, workspace};

fn sync_with_relay(h: &mut Harness<'_, HedgerowApp>, relay: &str) {
    if h.query_by_label("Sync with the relay now").is_none() {
        h.get_by_label("Sync").click();
        h.run();
    }
    if h.query_all_by_value(relay).next().is_none() {
        type_into(h, "Relay address", relay);
    }
    h.get_by_label("Sync with the relay now").click();
    h.step();
    step_until(h, "the sync", |h| h.query_all_by_label_contains("Syncing:").next().is_none());
    h.run();
}

#[test]
fn a_team_is_made_a_device_invited_joined_and_revoked_all_in_the_app() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = hedgerow_tests::RelayProcess::start(
        &hedgerow_tests::workspace_binary("hedgerow-relay"),
        &tmp.path().join("relay"),
    );
    let nurse_dir = tmp.path().join("nurse");
    workspace(&nurse_dir, 0);
    let mut nurse = harness(&nurse_dir);
    unlock(&mut nurse, PASS);

    // The sync screen offers to make the team, not a command to type.
    nurse.get_by_label("Sync").click();
    nurse.run();
    assert!(nurse.query_by_label_contains("hedgerow team create").is_none(), "no terminal needed");
    nurse.get_by_label("Set up a shared team").click();
    nurse.run();
    assert!(
        nurse
            .query_by_label_contains("Only on this device (not yet at the relay): 1 patient record")
            .is_some(),
        "what a lost laptop would lose is said"
    );
    type_into(&mut nurse, "Team name", "Hartsmoor District Nursing");
    nurse.get_by_label("Create the shared team").click();
    nurse.run();
    assert!(nurse.query_by_label_contains("Team Hartsmoor District Nursing created").is_some());
    sync_with_relay(&mut nurse, &relay.address);
    assert!(nurse.query_by_label_contains("Synced ").is_some(), "the first sync worked");
    nurse.get_by_label("Team and devices").click();
    nurse.run();
    assert!(nurse.query_by_label("Everything changed on this device has reached the relay.").is_some());

    // An invite: the code, and the same code as a QR code.
    nurse.get_by_label("Invite a device").click();
    nurse.run();
    let qr =
        nurse.get_by_label_contains("QR code of the invite ").accesskit_node().label().unwrap_or_default();
    let code = qr.trim_start_matches("QR code of the invite ").to_owned();
    // Written out beside it in groups of four, which is what the GP types.
    let written = nurse
        .query_all_by_label_contains("HR1-")
        .filter_map(|n| n.accesskit_node().label().or_else(|| n.accesskit_node().value()))
        .find(|l| l.starts_with("HR1-"))
        .expect("the code is written out");
    assert_eq!(written.split_whitespace().collect::<String>(), code, "the same code");
    assert!(written.contains(&format!(" {} ", &code[8..12])), "in groups of four: {written}");
    nurse.get_by_label("Sync now").click();
    nurse.run();
    sync_with_relay(&mut nurse, &relay.address);

    // A GP's new laptop joins from its lock screen with the code.
    let gp_dir = tmp.path().join("gp");
    let mut gp = harness(&gp_dir);
    type_into(&mut gp, "Passphrase", PASS);
    type_into(&mut gp, "Passphrase again", PASS);
    type_into(&mut gp, "Your name", "Dr Priya Kellaway");
    type_into(&mut gp, "Invite code", &written.replace('\n', " "));
    type_into(&mut gp, "Relay address", &relay.address);
    gp.get_by_label("Join a team with an invite code").click();
    gp.step();
    step_until(&mut gp, "the join", |h| h.query_by_label("Find a patient").is_some());
    gp.run();
    assert!(gp.query_by_label("Winifred Ashdown").is_some(), "the team's caseload arrived with the join");

    // The nurse sees the laptop in the team, and revokes it when it is lost.
    sync_with_relay(&mut nurse, &relay.address);
    nurse.get_by_label("Team and devices").click();
    nurse.run();
    let revoke = "Revoke Dr Priya Kellaway's desktop (Dr Priya Kellaway)";
    nurse.get_by_label(revoke).click();
    nurse.run();
    let confirm = nurse.get_by_label("Revoke the device");
    assert!(confirm.accesskit_node().is_disabled(), "a revocation needs its reason");
    type_into(&mut nurse, "Why (lost, stolen, left the team...)", "left on a train");
    nurse.get_by_label("Revoke the device").click();
    nurse.run();
    assert!(nurse.query_by_label_contains("is revoked and the team key changed").is_some());
    assert!(nurse.query_by_label_contains(": left on a train").is_some(), "the list says why");
    assert!(nurse.query_by_label(revoke).is_none(), "nothing left to revoke");
    sync_with_relay(&mut nurse, &relay.address);

    // The relay now refuses the revoked laptop.
    sync_with_relay(&mut gp, &relay.address);
    assert!(gp.query_by_label_contains("Sync failed").is_some(), "the revoked laptop is refused");
}
