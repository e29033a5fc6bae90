//! The desktop app driven through its accessibility tree (egui_kittest), as a clinician
//! would: unlock, find a patient, record observations and see NEWS2 with its advice, sign,
//! and be refused with a wrong passphrase.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hedgerow_core::documents::Role;
use hedgerow_core::documents::patient::CprRecommendation;
use hedgerow_core::{NewClinician, NewPatient, Workspace};
use hedgerow_desktop::gui::HedgerowApp;
use std::path::Path;

mod gui;

use gui::{PASS, harness, nurse, open_record, step_until, type_into, unlock, wait_for, workspace};

#[test]
fn a_wrong_passphrase_is_refused_and_the_right_one_unlocks() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path(), 0);
    let mut h = harness(tmp.path());
    unlock(&mut h, "not-it");
    assert!(h.query_by_label_contains("passphrase is wrong").is_some());
    assert!(h.state().workspace.is_none());
    // The field keeps the focus: the right one is typed straight in, and Enter unlocks.
    h.event(egui::Event::Text(PASS.into()));
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    assert!(h.state().workspace.is_some());
    assert!(h.query_by_label_contains("NOT SYNCED since unlock").is_some(), "honest about sync");
    h.get_by_label("Lock").click();
    h.run();
    assert!(h.state().workspace.is_none());
}

#[test]
fn find_a_patient_record_observations_see_news2_and_sign() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path(), 20);
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    // A demo patient's record (care plan, medicines, chart) passes the accessibility check.
    let demo_name = {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ws = h.state().workspace.as_ref().unwrap();
        rt.block_on(ws.caseload()).unwrap().into_iter().find(|p| p.name != "Winifred Ashdown").unwrap().name
    };
    type_into(&mut h, "Find a patient", &demo_name);
    h.get_all_by_label(&demo_name).next().unwrap().click();
    h.run();
    // The doorstep essentials are on the record, open.
    assert!(h.query_by_label("Visit essentials").is_some());
    for label in ["Address", "Access", "Next of kin", "LPA (health and welfare)", "GP practice"] {
        assert!(h.query_by_label(label).is_some(), "the essentials say {label}");
    }
    assert!(h.query_all_by_label_contains(" Surgery (Y9").next().is_some(), "the demo patient's practice");
    for tab in [
        "Medicines",
        "Visits",
        "Observations chart",
        "End of life",
        "Alerts and allergies",
        "Tasks",
        "Briefing",
        "History",
        "Audit trail",
        "Care plan",
    ] {
        h.get_by_label(tab).click();
        h.run();
        if tab == "Observations chart" {
            // NEWS2 and each vital sign over time, from every visit's observations.
            assert!(h.query_by_label_contains("sets of observations").is_some());
            for vital in ["NEWS2", "Respiration rate (per minute)", "SpO2 (%)", "Pulse (per minute)"] {
                assert!(h.query_by_label(vital).is_some(), "a chart of {vital}");
            }
        }
    }
    h.get_by_label("Today").click();
    h.run();
    type_into(&mut h, "Find a patient", "winif");
    assert!(h.query_by_label_contains("1 of 21 patients").is_some());
    h.get_by_label("Winifred Ashdown").click();
    h.run();
    assert!(h.query_by_label_contains("NHS 943 476 5919").is_some(), "the banner shows the NHS number");
    h.get_by_label("Start a visit").click();
    h.run();

    // Live NEWS2 as values are typed: first partial, then complete.
    type_into(&mut h, "Pulse /min", "115");
    assert!(h.query_by_label_contains("NEWS2 PARTIAL: at least 2").is_some());
    type_into(&mut h, "Respiration rate /min", "22");
    type_into(&mut h, "SpO2 %", "94");
    type_into(&mut h, "Systolic BP mmHg", "120");
    type_into(&mut h, "Temperature °C", "37.0");
    h.get_by_label("Alert").click();
    h.run();
    assert!(
        h.query_by_label_contains("missing air or oxygen").is_some(),
        "air or oxygen has no default: until chosen the set is partial"
    );
    h.get_by_label("On oxygen").click();
    h.run();
    assert!(h.query_by_label_contains("NEWS2 7 (high risk)").is_some());
    assert!(h.query_by_label_contains("call 999").is_some(), "the escalation advice shows with the score");
    // An impossible value is refused, not scored.
    type_into(&mut h, "SpO2 %", "0");
    assert!(h.query_by_label_contains("SpO2 of 940 is not possible").is_some());
    h.get_by_label("SpO2 %").focus();
    h.run();
    h.key_press(egui::Key::Backspace);
    h.run();
    // One Save for everything typed.
    type_into(&mut h, "Note", "Breathless; GP contacted, ambulance called.");
    assert!(
        h.query_by_label_contains(
            "Not in the record yet (kept on this device as you type): observations, note"
        )
        .is_some()
    );
    h.get_by_label("Save").click();
    h.run();
    assert!(h.query_by_label("Everything typed is saved.").is_some());
    // The saved set says what it was scored from, not only the score.
    assert!(
        h.query_by_label(
            "RR 22/min, SpO2 94% (Scale 1) on oxygen, BP 120 systolic, pulse 115/min, ACVPU A (alert), temperature 37.0 °C"
        )
        .is_some()
    );
    assert!(h.query_by_label("Note so far").is_some());
    h.get_by_label("Sign this visit").click();
    h.run();
    // What is signed is shown first.
    assert!(h.query_by_label_contains("1 observation set(s), 0 wound assessment(s)").is_some());
    h.get_by_label("Sign").click();
    h.run();
    assert!(h.query_by_label_contains("Signed by Ada Quill").is_some());
    assert!(h.query_by_label_contains("signature verified").is_some());
    assert!(h.query_by_label("Note so far").is_none(), "a signed note is the note, not a note so far");

    // The record now shows the score on the caseload.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ws = h.state().workspace.as_ref().unwrap();
    let row = rt.block_on(ws.caseload()).unwrap().into_iter().find(|p| p.name == "Winifred Ashdown").unwrap();
    assert_eq!(row.latest_news2.unwrap().total, 7);
}

#[test]
fn first_run_offers_a_workspace_or_the_demo_caseload() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = harness(tmp.path());
    assert!(h.query_by_label("Load the demo caseload").is_some());
    type_into(&mut h, "Passphrase", "short");
    type_into(&mut h, "Passphrase again", "short");
    h.get_by_label("Create my workspace").click();
    h.run();
    assert!(h.query_by_label_contains("at least 8 characters").is_some());
    assert!(h.state().workspace.is_none());
}

#[test]
fn emergency_advice_for_a_patient_with_a_respect_plan_shows_the_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let patient = workspace(tmp.path(), 0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ws = Workspace::open(tmp.path(), PASS).await.unwrap();
        ws.set_cpr(patient, CprRecommendation::DoNotAttemptCpr, None, "advanced frailty").await.unwrap();
        let update = hedgerow_core::workspace::EndOfLifeUpdate {
            ceiling_of_treatment: Some("symptom control at home".into()),
            ..Default::default()
        };
        ws.update_end_of_life(patient, update).await.unwrap();
        ws.close().await;
    });
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    h.get_by_label("Winifred Ashdown").click();
    h.run();
    h.get_by_label("Start a visit").click();
    h.run();
    type_into(&mut h, "Pulse /min", "72");
    assert!(h.query_by_label_contains("ReSPECT plan").is_none(), "no reminder for a routine score");
    type_into(&mut h, "Respiration rate /min", "30");
    type_into(&mut h, "Systolic BP mmHg", "85");
    type_into(&mut h, "SpO2 %", "88");
    let reminder = h.get_by_label_contains("ReSPECT plan");
    let text = format!("{reminder:?}");
    assert!(text.contains("symptom control at home"), "{text}");
}

/// The sync screen: a sync with a real relay runs in the background and the top bar says
/// when it last worked.
#[test]
fn syncing_with_the_relay_from_the_app() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = hedgerow_tests::RelayProcess::start(
        &hedgerow_tests::workspace_binary("hedgerow-relay"),
        &tmp.path().join("relay"),
    );
    let dir = tmp.path().join("nurse");
    workspace(&dir, 0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ws = Workspace::open(&dir, PASS).await.unwrap();
        ws.create_team("Hartsmoor District Nursing").await.unwrap();
        ws.sync(&relay.address.parse().unwrap(), |_| {}).await.unwrap();
        ws.add_patient(NewPatient {
            nhs_number: "9990001235".parse().unwrap(),
            name: "Albert Penrose".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1931, 2, 3).unwrap(),
            address: None,
        })
        .await
        .unwrap();
        ws.close().await;
    });
    let mut h = harness(&dir);
    unlock(&mut h, PASS);
    assert!(h.query_by_label_contains("NOT SYNCED since unlock").is_some());
    h.get_by_label("Sync").click();
    h.run();
    // The relay the device last used is filled in.
    assert!(h.query_all_by_value(&relay.address).next().is_some(), "the remembered relay address");
    h.get_by_label("Sync with the relay now").click();
    // The spinner repaints for as long as the sync runs.
    for _ in 0..200 {
        h.step();
        if h.query_by_label_contains("Last sync at").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    h.run();
    let result = h.get_by_label_contains("Last sync at");
    let text = format!("{result:?}");
    assert!(text.contains("1 sent") || text.contains("2 sent"), "{text}");
    assert!(h.query_by_label_contains("Synced ").is_some(), "the top bar says it synced");
    // The history by path names the relay, when it last worked, and that it did.
    assert!(h.query_by_label(&format!("Relay {}", &relay.address[..16])).is_some(), "the relay's row");
    assert!(h.query_by_label("synced").is_some(), "the relay path's outcome");
    // An admin sees the whole team's audit trail, each entry with its device and patient.
    h.get_by_label("Audit log").click();
    h.run();
    h.get_by_label("Whole team").click();
    h.run();
    assert!(h.query_all_by_label_contains("(first device)").next().is_some(), "the device column");
    assert!(h.query_all_by_label("Albert Penrose").next().is_some(), "the patient column");
}

/// A workspace that is not in a shared team is told so before anyone presses Sync.
#[test]
fn the_sync_screen_says_when_there_is_no_team_to_sync_with() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path(), 0);
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    h.get_by_label("Sync").click();
    h.run();
    assert!(h.query_by_label_contains("not in a shared team yet").is_some());
    assert!(h.query_by_label("This device has never synced.").is_some());
}

/// With no relay in reach, the app finds a team device listening nearby, lists it by name,
/// syncs with it, and records when that path last worked.
#[test]
fn a_team_device_nearby_is_listed_and_synced_with() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = hedgerow_tests::RelayProcess::start(
        &hedgerow_tests::workspace_binary("hedgerow-relay"),
        &tmp.path().join("relay"),
    );
    let address: hedgerow_core::sync::transport::RelayAddress = relay.address.parse().unwrap();
    let dir = tmp.path().join("nurse");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let gp = rt.block_on(async {
        let ws =
            Workspace::create(&dir, PASS, nurse(), Some("Hartsmoor District Nursing".into())).await.unwrap();
        ws.create_team("Hartsmoor District Nursing").await.unwrap();
        ws.add_patient(NewPatient {
            nhs_number: "9990001235".parse().unwrap(),
            name: "Albert Penrose".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1931, 2, 3).unwrap(),
            address: None,
        })
        .await
        .unwrap();
        let invite = ws.invite_device(false, chrono::Duration::hours(1)).await.unwrap();
        ws.sync(&address, |_| {}).await.unwrap();
        let gp = Workspace::join(
            &tmp.path().join("gp"),
            PASS,
            NewClinician { name: "Dr Tomasz Orrell".into(), role: Role::Gp, registration: None },
            "surgery laptop",
            &invite.code,
            &address,
        )
        .await
        .unwrap();
        ws.sync(&address, |_| {}).await.unwrap(); // learns of the GP's device
        ws.close().await;
        gp
    });
    drop(relay); // no signal from here on
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = std::thread::spawn(move || {
        let gp = rt.block_on(async move {
            gp.listen("0.0.0.0:0".parse().unwrap(), |_| {}, |_| {}, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
            gp
        });
        (rt, gp)
    });
    let mut h = harness(&dir);
    unlock(&mut h, PASS);
    h.get_by_label("Sync").click();
    h.run();
    h.get_by_label("Look for team devices nearby").click();
    wait_for(&mut h, "Sync with Dr Tomasz Orrell (surgery laptop)");
    h.get_by_label("Sync with Dr Tomasz Orrell (surgery laptop)").click();
    wait_for(&mut h, "Last sync at");
    let result = format!("{:?}", h.get_by_label_contains("Last sync at"));
    assert!(result.contains("directly with Dr Tomasz Orrell"), "{result}");
    assert!(!result.contains("failed"), "{result}");
    // The path's history names the GP's device and says it worked.
    assert!(h.query_all_by_label("Dr Tomasz Orrell (surgery laptop)").next().is_some());
    assert!(h.query_all_by_label("synced").count() >= 2, "the relay and the GP's device both synced");
    let _ = stop.send(());
    let (rt, gp) = listener.join().unwrap();

    // The other way round, with no terminal: this device waits, and the GP's syncs with it.
    h.get_by_label("Let team devices sync with this one").click();
    step_until(&mut h, "Address for a device that cannot find this one", |h| {
        h.query_by_label_contains("Address for a device that cannot find this one").is_some()
    });
    let address = h
        .query_all_by_label_contains("")
        .filter_map(|n| n.accesskit_node().label().or_else(|| n.accesskit_node().value()))
        .find(|l| l.parse::<hedgerow_core::sync::transport::RelayAddress>().is_ok())
        .expect("the address is on screen");
    let report = rt.block_on(gp.sync_with_peer(&address.parse().unwrap())).expect("the GP's device synced");
    assert_eq!(report.peer.len(), 64, "{report:?}");
    step_until(&mut h, "a team device synced with this one", |h| {
        h.query_by_label_contains("a team device synced with this one").is_some()
    });
    h.get_by_label("Stop letting devices sync with this one").click();
    h.step();
    h.run();
    assert!(h.query_by_label("Let team devices sync with this one").is_some(), "stopped");
    rt.block_on(gp.close());
}

/// A record this device holds for a patient outside the caseload opens only through the
/// break-glass dialog, with a reason; the access is flagged in the audit log and shown in red.
#[test]
fn break_glass_opens_a_record_off_the_caseload_with_a_reason_and_flags_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nurse");
    workspace(&dir, 0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Another team's record of Edith, merged onto this device but not onto its caseload.
        let other = Workspace::create_demo(&tmp.path().join("other"), PASS, nurse()).await.unwrap();
        let edith = other
            .add_patient(NewPatient {
                nhs_number: "9990001243".parse().unwrap(),
                name: "Edith Brackley".into(),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1941, 2, 3).unwrap(),
                address: None,
            })
            .await
            .unwrap();
        let bytes = other.export_patient_document(edith.id).await.unwrap();
        other.close().await;
        let ws = Workspace::open(&dir, PASS).await.unwrap();
        ws.merge_document(&bytes, false, Some(hedgerow_tests::TWO_TEAMS)).await.unwrap();
        ws.close().await;
    });
    let mut h = harness(&dir);
    unlock(&mut h, PASS);
    type_into(&mut h, "Find a patient", "999 000 1243");
    assert!(h.query_by_label_contains("Edith").is_none(), "not listed: she is not on the caseload");
    h.get_by_label("Look for this record on this device (break-glass)").click();
    h.run();
    assert!(h.query_by_label("Break-glass access").is_some(), "the dialog asks why");
    // No reason, no access: the button stays disabled and the record stays closed.
    h.get_by_label("Open the record (break-glass)").click();
    h.run();
    assert!(h.query_by_label_contains("BREAK-GLASS ACCESS").is_none());
    type_into(&mut h, "Reason for access", "Covering the out-of-hours call: patient deteriorating");
    h.get_by_label("Open the record (break-glass)").click();
    h.run();
    assert!(h.query_by_label_contains("BREAK-GLASS ACCESS").is_some(), "the record says how it was opened");
    assert!(h.query_by_label_contains("Edith Brackley").is_some());
    h.get_by_label("Audit trail").click();
    h.run();
    assert!(h.query_by_label("break-glass (flagged)").is_some(), "this record's audit shows the access");
    assert!(
        h.query_all_by_label("break-glass: Covering the out-of-hours call: patient deteriorating")
            .next()
            .is_some(),
        "with the reason given"
    );
    // The whole log, filtered to what needs review.
    h.get_by_label("Audit log").click();
    h.run();
    assert!(h.query_by_label_contains("flagged for review (break-glass)").is_some());
    assert!(h.query_all_by_label("create").next().is_some(), "unflagged entries show too");
    h.get_by_label("Flagged for review only").click();
    h.run();
    assert!(h.query_all_by_label("create").next().is_none(), "only what needs review");
    assert!(h.query_by_label("break-glass (flagged)").is_some());
}

/// A care-home round: the residents of one home by room, a visit each, and back to the
/// round at the next resident not yet seen.
#[test]
fn a_care_home_round_steps_through_the_residents_in_room_order() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path(), 0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ws = Workspace::open(tmp.path(), PASS).await.unwrap();
        for (nhs, name, room) in [
            ("9990001243", "Edith Brackley", 9),
            ("9990001235", "Harold Coombe", 2),
            ("9990001251", "Mabel Dunsford", 5),
        ] {
            let id = ws
                .add_patient(NewPatient {
                    nhs_number: nhs.parse().unwrap(),
                    name: name.into(),
                    date_of_birth: chrono::NaiveDate::from_ymd_opt(1932, 4, 1).unwrap(),
                    address: Some(format!("Room {room}, Bramblewood House Care Home, Little Wyck")),
                })
                .await
                .unwrap()
                .id;
            if name == "Mabel Dunsford" {
                // A card with more rows than the next one.
                use hedgerow_core::documents::patient::{AlertKind, AllergySeverity};
                ws.add_alert(id, AlertKind::Clinical, "Hard of hearing: face her when speaking")
                    .await
                    .unwrap();
                ws.add_allergy(id, "Penicillin", Some("rash".into()), AllergySeverity::Moderate)
                    .await
                    .unwrap();
            }
        }
        ws.close().await;
    });
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    assert!(h.query_by_label("No visits recorded today yet.").is_some());
    h.get_by_label("Care-home round").click();
    h.run();
    h.get_by_label("Bramblewood House Care Home (3 residents, 0 seen today)").click();
    h.run();
    assert!(h.query_by_label("Resident 1 of 3: Harold Coombe").is_some(), "room 2 first");
    assert!(h.query_by_label_contains("born 1932-04-01").is_some(), "the card gives the date of birth");
    h.get_by_label("Start visit for Harold Coombe").click();
    h.run();
    assert!(h.query_by_label("Back to the record").is_some(), "in Harold's visit");
    h.get_by_label("Back to the round at Bramblewood House Care Home").click();
    h.run();
    assert!(h.query_by_label("Round: Bramblewood House Care Home (1/3 seen)").is_some());
    assert!(h.query_by_label("Resident 2 of 3: Mabel Dunsford").is_some(), "on to room 5");
    // Harold's visit was left open: the round says so, and offers to finish it.
    assert!(h.query_by_label("visit not signed").is_some());
    let where_before = ["Next resident", "Open the record"].map(|b| h.get_by_label(b).rect());
    h.get_by_label("Next resident").click();
    h.run();
    assert!(h.query_by_label("Resident 3 of 3: Edith Brackley").is_some(), "then room 9");
    // Mabel's card has an alert and an allergy, Edith's neither: the buttons stay put.
    let where_after = ["Next resident", "Open the record"].map(|b| h.get_by_label(b).rect());
    assert_eq!(where_before, where_after, "the round's buttons do not move from card to card");
    // Locking mid-round (a phone call) keeps the place: back at Edith after unlocking.
    h.get_by_label("Lock").click();
    h.run();
    unlock(&mut h, PASS);
    h.get_by_label("Back to the round at Bramblewood House Care Home").click();
    h.run();
    assert!(h.query_by_label("Resident 3 of 3: Edith Brackley").is_some(), "the round resumed where it was");
    h.get_by_label("End the round").click();
    h.run();
    assert!(h.query_by_label("Care-home round").is_some(), "the round is closed");
    // Back on Today, Harold's visit is listed among today's.
    assert!(h.query_by_label("Visits today").is_some());
    assert!(h.query_by_label("No visits recorded today yet.").is_none(), "Harold was visited today");
}

fn notice_contains(h: &Harness<'_, HedgerowApp>, text: &str) -> bool {
    h.query_by_label_contains(text).is_some()
}

/// Editing the record in place: a medicine added, its dose changed only with a reason, a
/// DNACPR decision, an allergy, a task with a checked date, and a wound assessment.
#[test]
fn a_clinician_edits_medicines_end_of_life_allergies_tasks_and_a_wound() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path(), 0);
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    open_record(&mut h, "Winifred Ashdown");

    h.get_by_label("Medicines").click();
    h.run();
    type_into(&mut h, "Medicine", "Morphine sulfate 10 mg/5 ml oral solution");
    type_into(&mut h, "Dose", "2.5 mg");
    type_into(&mut h, "Frequency", "when required");
    h.get_by_label("Add the medicine").click();
    h.run();
    assert!(h.query_by_label("2.5 mg oral when required").is_some(), "the new medicine is listed");
    // A long name leaves every action in reach at 1200 px.
    let long = "Glycopyrronium bromide 200 micrograms/ml solution for injection ampoules";
    type_into(&mut h, "Medicine", long);
    type_into(&mut h, "Dose", "200 micrograms");
    type_into(&mut h, "Frequency", "four-hourly when required");
    h.get_by_label("Add the medicine").click();
    h.run();
    for action in ["Change dose of", "Stop"] {
        let rect = h.get_by_label(&format!("{action} {long}")).rect();
        assert!(rect.max.x <= 1200.0, "{action} is in reach at 1200 px: {rect:?}");
    }
    h.get_by_label("Change dose of Morphine sulfate 10 mg/5 ml oral solution").click();
    h.run();
    type_into(&mut h, "New dose", "5 mg");
    h.get_by_label("Save the dose change").click();
    h.run();
    assert!(notice_contains(&h, "reason"), "a dose change needs a reason");
    type_into(&mut h, "Reason for the change", "pain not controlled");
    h.get_by_label("Save the dose change").click();
    h.run();
    assert!(h.query_by_label("5 mg oral when required").is_some(), "the dose changed");
    // The history says who changed what and when, and how the dose got here.
    h.get_by_label("History").click();
    h.run();
    assert!(h.query_all_by_label("change medicine").next().is_some(), "the change, by action");
    assert!(
        h.query_by_label("Morphine sulfate 10 mg/5 ml oral solution: dose 5 mg").is_some(),
        "and the value it set"
    );
    assert!(
        h.query_by_label("Morphine sulfate 10 mg/5 ml oral solution: change reason pain not controlled")
            .is_some(),
        "with the reason"
    );
    assert!(h.query_by_label("Dose of Morphine sulfate 10 mg/5 ml oral solution").is_some());
    assert!(h.query_by_label_contains(": 2.5 mg (Ada Quill)").is_some(), "the first dose, attributed");
    assert!(h.query_by_label_contains(": 5 mg (Ada Quill)").is_some(), "then the new one");

    h.get_by_label("End of life").click();
    h.run();
    type_into(&mut h, "Discussed with", "Winifred and her daughter");
    h.get_by_label("Do not attempt CPR (DNACPR)").click();
    h.run();
    h.get_by_label("Record the CPR decision").click();
    h.run();
    type_into(&mut h, "Clinical reason for the decision (kept in the audit log)", "advanced frailty");
    h.get_by_label("Confirm: do not attempt CPR (DNACPR)").click();
    h.run();
    assert!(h.query_by_label("CPR: do not attempt CPR (DNACPR)").is_some(), "the banner shows the decision");

    h.get_by_label("Alerts and allergies").click();
    h.run();
    type_into(&mut h, "Allergy to", "Penicillin");
    type_into(&mut h, "Reaction", "rash");
    h.get_by_label("Add the allergy").click();
    h.run();
    assert!(h.query_by_label_contains("ALLERGIES: Penicillin").is_some(), "the banner shows the allergy");
    assert!(
        h.query_by_label(
            "Consent to share with the care team: not recorded; national data opt-out: not recorded"
        )
        .is_some(),
        "consent is shown as recorded, never assumed"
    );

    h.get_by_label("Tasks").click();
    h.run();
    type_into(&mut h, "New task", "Order more dressings");
    type_into(&mut h, "Due (YYYY-MM-DD)", "25/11/2026");
    h.get_by_label("Add the task").click();
    h.run();
    assert!(notice_contains(&h, "is not a date written YYYY-MM-DD"));
    assert!(h.query_by_label_contains("Order more dressings for").is_none(), "nothing was added");

    h.get_by_label("Start a visit").click();
    h.run();
    type_into(&mut h, "Wound site", "left gaiter, medial");
    type_into(&mut h, "Length cm", "3.5");
    type_into(&mut h, "Width cm", "2");
    h.get_by_label("low").click();
    h.run();
    h.get_by_label("Save").click();
    h.run();
    assert!(h.query_by_label_contains("Wound, left gaiter, medial: 3.5 x 2 cm, exudate low").is_some());
}

/// With a CPR decision disputed (two devices decided offline, then merged), no screen shows
/// either value alone as the decision: the banner, Today, the round and the visit prompt.
#[test]
fn a_disputed_cpr_decision_is_never_shown_as_settled_on_any_screen() {
    let tmp = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    workspace(tmp.path(), 0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mine = Workspace::open(tmp.path(), PASS).await.unwrap();
        let edith = mine
            .add_patient(NewPatient {
                nhs_number: "9990001243".parse().unwrap(),
                name: "Edith Brackley".into(),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1932, 4, 1).unwrap(),
                address: Some("Room 9, Bramblewood House Care Home, Little Wyck".into()),
            })
            .await
            .unwrap()
            .id;
        let gp = Workspace::create(
            other.path(),
            PASS,
            NewClinician { name: "Dr Priya Kellaway".into(), role: Role::Gp, registration: None },
            None,
        )
        .await
        .unwrap();
        hedgerow_tests::dispute_cpr(&mine, &gp, edith).await.unwrap();
        mine.close().await;
    });
    let settled = [
        "CPR: attempt CPR",
        "CPR: do not attempt CPR (DNACPR)",
        "attempt CPR",
        "do not attempt CPR (DNACPR)",
    ];
    let shows_a_settled_value =
        |h: &Harness<'_, HedgerowApp>| settled.iter().find(|s| h.query_by_label(s).is_some()).copied();

    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    // Today: the caseload row and "needs attention".
    assert!(h.query_by_label("CPR: DISPUTED — see conflicts").is_some(), "the caseload row says disputed");
    assert!(h.query_by_label_contains("conflict: CPR recommendation").is_some());
    assert_eq!(shows_a_settled_value(&h), None);

    // The banner on the record.
    h.get_all_by_label("Edith Brackley").next().unwrap().click();
    h.run();
    assert!(h.query_by_label("CPR: DISPUTED — see conflicts").is_some(), "the banner says disputed");
    let disagreement = format!("{:?}", h.get_by_label_contains("Clinicians disagree about the CPR decision"));
    assert!(
        disagreement.contains("attempt CPR (Ada Quill")
            && disagreement.contains("(DNACPR) (Dr Priya Kellaway"),
        "{disagreement}"
    );
    assert_eq!(shows_a_settled_value(&h), None);
    h.get_by_label("End of life").click();
    h.run();
    assert!(h.query_by_label_contains("DISPUTED: clinicians disagree. Follow local policy").is_some());
    // Each value with who and when: once in the banner's sentence, once on its own line.
    for value in ["attempt CPR (Ada Quill,", "do not attempt CPR (DNACPR) (Dr Priya Kellaway,"] {
        assert_eq!(h.query_all_by_label_contains(value).count(), 2, "{value}");
    }

    // The visit prompt beside urgent advice: both, and what to do.
    h.get_by_label("Start a visit").click();
    h.run();
    type_into(&mut h, "Respiration rate /min", "30");
    type_into(&mut h, "Systolic BP mmHg", "85");
    type_into(&mut h, "SpO2 %", "88");
    let prompt = format!("{:?}", h.get_by_label_contains("ReSPECT plan is DISPUTED"));
    assert!(prompt.contains("local policy"), "{prompt}");
    assert!(
        prompt.contains("attempt CPR (Ada Quill") && prompt.contains("(DNACPR) (Dr Priya Kellaway"),
        "{prompt}"
    );
    assert!(h.query_by_label_contains("Escalate in line with it").is_none());

    // The care-home round: the card and the residents' CPR column.
    h.get_by_label("Care-home round").click();
    h.run();
    h.get_by_label_contains("Bramblewood House Care Home").click();
    h.run();
    assert!(h.query_all_by_label("CPR: DISPUTED — see conflicts").count() >= 2, "card and list both say so");
    assert_eq!(shows_a_settled_value(&h), None);
}

/// The round says "no CPR decision" rather than nothing, and a partial NEWS2 is never
/// coloured or worded as low.
#[test]
fn the_round_says_when_no_cpr_decision_is_recorded_and_a_partial_score_is_incomplete() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path(), 0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ws = Workspace::open(tmp.path(), PASS).await.unwrap();
        let harold = ws
            .add_patient(NewPatient {
                nhs_number: "9990001235".parse().unwrap(),
                name: "Harold Coombe".into(),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1932, 4, 1).unwrap(),
                address: Some("Room 2, Bramblewood House Care Home, Little Wyck".into()),
            })
            .await
            .unwrap()
            .id;
        let visit = ws.start_visit(harold).await.unwrap();
        let partial = hedgerow_core::clinical::Observations { pulse: Some(72), ..Default::default() };
        ws.record_observations(visit, partial).await.unwrap();
        ws.close().await;
    });
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    h.get_by_label("Care-home round").click();
    h.run();
    h.get_by_label_contains("Bramblewood House Care Home").click();
    h.run();
    assert!(h.query_by_label("CPR: no decision recorded").is_some(), "the card says so");
    assert!(h.query_by_label("no CPR decision").is_some(), "the residents' CPR column says so");
    assert_eq!(h.query_all_by_label_contains("NEWS2 at least 0, incomplete").count(), 2, "card and list");
    assert!(h.query_by_label("NEWS2 0").is_none(), "a partial 0 is never shown as a score of 0");
}

/// Starts a visit to Winifred from her record, on a fresh workspace.
fn visit_to_winifred(dir: &Path) -> Harness<'static, HedgerowApp> {
    workspace(dir, 0);
    let mut h = harness(dir);
    unlock(&mut h, PASS);
    h.get_by_label("Winifred Ashdown").click();
    h.run();
    h.get_by_label("Start a visit").click();
    h.run();
    h
}

#[test]
fn signing_with_a_typed_note_and_observations_unsaved_saves_them_into_what_is_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = visit_to_winifred(tmp.path());
    for (field, value) in [
        ("Respiration rate /min", "25"),
        ("SpO2 %", "93"),
        ("Systolic BP mmHg", "100"),
        ("Pulse /min", "112"),
        ("Temperature °C", "38.4"),
    ] {
        type_into(&mut h, field, value);
    }
    h.get_by_label("On air").click();
    h.get_by_label("Alert").click();
    h.run();
    type_into(&mut h, "Note", "Chest sounds wet at the bases; GP informed.");
    assert!(h.query_by_label("Visit essentials").is_some(), "the essentials are in visit entry, folded");
    // Nothing saved yet: Sign says so, and saves it all before signing.
    h.get_by_label("Sign this visit").click();
    h.run();
    assert!(
        h.query_by_label_contains("Typed and not saved yet: observations, note").is_some(),
        "Sign says what is not saved"
    );
    h.get_by_label("Save and sign").click();
    h.run();
    assert!(h.query_by_label_contains("Signed by Ada Quill").is_some());
    assert!(h.query_by_label("Chest sounds wet at the bases; GP informed.").is_some(), "the note was signed");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ws = h.state().workspace.as_ref().unwrap();
    let row = rt.block_on(ws.caseload()).unwrap().into_iter().find(|p| p.name == "Winifred Ashdown").unwrap();
    let news2 = row.latest_news2.expect("the observations were saved");
    assert_eq!(news2.total, 10, "{news2:?}");
    assert!(rt.block_on(ws.open_visits()).unwrap().is_empty(), "no visit left open");
    // A correction to the signed note: Enter adds it.
    type_into(&mut h, "Addendum", "Correction: crackles at the left base only.");
    h.key_press(egui::Key::Enter);
    h.run();
    assert!(h.query_by_label_contains("Correction: crackles at the left base only.").is_some());
    assert!(h.query_by_label_contains("Addendum by Ada Quill at").is_some(), "Enter added the addendum");
}

#[test]
fn locking_mid_visit_keeps_what_was_typed_and_unlocking_returns_to_the_visit() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = visit_to_winifred(tmp.path());
    type_into(&mut h, "Pulse /min", "96");
    type_into(&mut h, "Note", "Phone call from the daughter mid-visit");
    h.get_by_label("Lock").click();
    h.run();
    assert!(h.query_by_label("Unlock").is_some(), "locked");
    unlock(&mut h, PASS);
    // Straight back to the visit, with everything as typed.
    assert!(
        h.query_by_label_contains(
            "Not in the record yet (kept on this device as you type): observations, note"
        )
        .is_some(),
        "back in the visit"
    );
    assert!(h.query_all_by_value("Phone call from the daughter mid-visit").next().is_some());
    assert!(h.query_all_by_value("96").next().is_some());
    // Today lists the open visit, and the record offers to continue it.
    h.get_by_label("Today").click();
    h.run();
    assert!(h.query_by_label("Your visits not signed").is_some());
    assert!(h.query_by_label("typed, not saved").is_some());
    // Her name links to the visit (in the list of open visits) and to her record (caseload).
    h.get_all_by_label("Winifred Ashdown").last().unwrap().click();
    h.run();
    assert!(h.query_by_label_contains("Continue the visit started").is_some());
}

#[test]
fn a_visit_started_by_mistake_is_cancelled_with_a_reason_and_what_was_typed_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = visit_to_winifred(tmp.path());
    type_into(&mut h, "Note", "Wrong patient: meant Walter");
    h.get_by_label("Cancel visit").click();
    h.run();
    // No reason, no cancelling.
    h.get_by_label("Cancel the visit").click();
    h.run();
    assert!(h.query_by_label("Why cancel this visit?").is_some());
    type_into(&mut h, "Why cancel this visit?", "started on the wrong record");
    h.get_by_label("Cancel the visit").click();
    h.run();
    assert!(notice_contains(&h, "Visit cancelled"));
    h.get_by_label("Visits").click();
    h.run();
    assert!(h.query_by_label("cancelled").is_some(), "the visit stays, marked cancelled");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ws = h.state().workspace.as_ref().unwrap();
    assert!(rt.block_on(ws.open_visits()).unwrap().is_empty());
    let audit = rt.block_on(ws.audit_log(None)).unwrap();
    assert!(audit.iter().any(|e| e.detail.contains("cancelled visit") && e.detail.contains("wrong record")));
    let patient = rt.block_on(ws.caseload()).unwrap()[0].id;
    let visit = rt.block_on(ws.open_patient(patient)).unwrap().recent_visits[0].id;
    let view = rt.block_on(ws.open_visit(visit)).unwrap();
    let cancelled = view.cancelled.expect("cancelled");
    assert!(cancelled.discarded.contains("Wrong patient: meant Walter"), "{cancelled:?}");
}

#[test]
fn today_marks_overdue_tasks_finds_on_arrival_and_opens_a_single_match_with_enter() {
    let tmp = tempfile::tempdir().unwrap();
    let winifred = workspace(tmp.path(), 0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ws = Workspace::open(tmp.path(), PASS).await.unwrap();
        let yesterday = chrono::Local::now().date_naive() - chrono::Duration::days(1);
        ws.add_task(
            winifred,
            "Bloods: U&Es",
            Role::DistrictNurse,
            Some(yesterday),
            hedgerow_core::documents::patient::EntrySource::Clinical,
        )
        .await
        .unwrap();
        let ten_days_ago = chrono::Local::now().date_naive() - chrono::Duration::days(10);
        let ulcer = hedgerow_core::workspace::NewProblem {
            title: "Venous leg ulcer, left gaiter".into(),
            review_date: Some(ten_days_ago),
            ..Default::default()
        };
        ws.add_problem(winifred, ulcer).await.unwrap();
        let later = hedgerow_core::workspace::NewProblem {
            title: "Falls risk".into(),
            review_date: Some(chrono::Local::now().date_naive() + chrono::Duration::days(30)),
            ..Default::default()
        };
        ws.add_problem(winifred, later).await.unwrap();
        ws.close().await;
    });
    let mut h = harness(tmp.path());
    unlock(&mut h, PASS);
    let yesterday = (chrono::Local::now().date_naive() - chrono::Duration::days(1)).format("%Y-%m-%d");
    assert!(
        h.query_by_label(&format!("{yesterday} OVERDUE")).is_some(),
        "a task due yesterday is marked overdue"
    );
    // A care plan review past its date is listed with how late it is; one not yet due is not.
    assert!(h.query_by_label_contains("OVERDUE by 10 day(s)").is_some());
    assert!(h.query_by_label("Care plan: Venous leg ulcer, left gaiter").is_some());
    assert!(h.query_by_label("Care plan: Falls risk").is_none());
    // The search box has the focus: typing goes straight into it, and Enter opens the match.
    h.event(egui::Event::Text("winif".into()));
    h.run();
    assert!(h.query_by_label_contains("1 of 1 patients").is_some(), "typed into the search box");
    h.key_press(egui::Key::Enter);
    h.run();
    assert!(h.query_by_label("Start a visit").is_some(), "Winifred's record is open");
    // A message from one screen does not follow the clinician to the next.
    h.get_by_label("Start a visit").click();
    h.run();
    h.get_by_label("Cancel visit").click();
    h.run();
    type_into(&mut h, "Why cancel this visit?", "started twice");
    h.get_by_label("Cancel the visit").click();
    h.run();
    assert!(notice_contains(&h, "Visit cancelled"), "said on the screen it happened on");
    h.get_by_label("Today").click();
    h.run();
    assert!(!notice_contains(&h, "Visit cancelled"), "not carried to Today");
}
