//! Taking in a GP system's FHIR bundle safely: another person's record under the same NHS
//! number is refused whole; only current medicines and allergies become the record's; a
//! dose the GP record says differently is put to a clinician, never applied or dropped.

use hedgerow_core::documents::Role;
use hedgerow_core::documents::patient::{AllergySeverity, Route};
use hedgerow_core::workspace::NewMedicine;
use hedgerow_core::{Error, NewClinician, NewPatient, Workspace};
use hedgerow_tests::PASSPHRASE;
use serde_json::{Value, json};

async fn nurse(dir: &std::path::Path) -> Workspace {
    Workspace::create(
        dir,
        PASSPHRASE,
        NewClinician { name: "Ada Quill".into(), role: Role::DistrictNurse, registration: None },
        None,
    )
    .await
    .unwrap()
}

fn medicine(name: &str, status: &str, dosage: &str, timing: &str) -> Value {
    json!({ "resource": {
        "resourceType": "MedicationStatement",
        "status": status,
        "medicationCodeableConcept": { "text": name },
        "subject": { "reference": "urn:uuid:p" },
        "dosage": [{ "text": dosage, "timing": { "code": { "text": timing } }, "route": { "text": "oral" } }]
    }})
}

fn allergy(substance: &str, clinical: Option<&str>, verification: Option<&str>) -> Value {
    let mut a = json!({
        "resourceType": "AllergyIntolerance",
        "code": { "text": substance },
        "patient": { "reference": "urn:uuid:p" },
        "reaction": [{ "manifestation": [{ "text": "rash" }], "severity": "moderate" }]
    });
    if let Some(c) = clinical {
        a["clinicalStatus"] = json!({ "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": c }] });
    }
    if let Some(v) = verification {
        a["verificationStatus"] = json!({ "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": v }] });
    }
    json!({ "resource": a })
}

fn gp_bundle(family: &str, given: &str, dob: &str, extra: Vec<Value>) -> String {
    let mut entry = vec![json!({ "resource": {
        "resourceType": "Patient",
        "identifier": [{ "system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919" }],
        "name": [{ "family": family, "given": [given] }],
        "birthDate": dob,
        "address": [{ "line": ["2 Mill Lane"], "city": "Little Wyck" }]
    }})];
    entry.extend(extra);
    json!({ "resourceType": "Bundle", "type": "collection", "entry": entry }).to_string()
}

async fn winifred(ws: &Workspace) -> hedgerow_core::ids::PatientId {
    let p = ws
        .add_patient(NewPatient {
            nhs_number: "9434765919".parse().unwrap(),
            name: "Winifred Ashdown".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1939, 5, 17).unwrap(),
            address: None,
        })
        .await
        .unwrap()
        .id;
    ws.add_medicine(
        p,
        NewMedicine {
            name: "Furosemide 40 mg tablets".into(),
            dmd_code: None,
            dose: "40 mg".into(),
            route: Route::Oral,
            frequency: "once daily".into(),
            anticipatory: false,
            kept_at: None,
            reason: None,
        },
    )
    .await
    .unwrap();
    p
}

#[tokio::test]
async fn a_bundle_whose_patient_differs_from_the_record_under_the_same_nhs_number_is_refused_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = nurse(tmp.path()).await;
    let patient = winifred(&ws).await;
    let before = ws.open_patient(patient).await.unwrap().record;
    let extra = || vec![allergy("Latex", Some("active"), Some("confirmed"))];
    for (bundle, difference) in [
        (gp_bundle("Ashdown", "Winifred", "1939-05-18", extra()), "date of birth 1939-05-18"),
        (gp_bundle("Coombe", "Winifred", "1939-05-17", extra()), "family name Coombe"),
    ] {
        match ws.import_fhir(&bundle).await {
            Err(Error::ImportRefused(reason)) => {
                assert!(reason.contains(difference), "the difference is named: {reason}");
                assert!(reason.contains("nothing was imported"), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    assert_eq!(ws.open_patient(patient).await.unwrap().record, before, "the record is untouched");
    let log = ws.audit_log(Some(patient)).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.detail.starts_with("FHIR import refused") && e.flagged).count(), 2);
    // The same person (family name in another case) is taken in.
    let report = ws.import_fhir(&gp_bundle("ASHDOWN", "Winifred", "1939-05-17", extra())).await.unwrap();
    assert_eq!(report.allergies_added, 1);
}

#[tokio::test]
async fn only_active_medicines_and_current_allergies_become_the_records() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = nurse(tmp.path()).await;
    let bundle = gp_bundle(
        "Ashdown",
        "Winifred",
        "1939-05-17",
        vec![
            medicine("Amlodipine 5 mg tablets", "active", "5 mg once daily", "once daily"),
            medicine(
                "Amoxicillin 500 mg capsules",
                "completed",
                "500 mg three times a day",
                "three times a day",
            ),
            medicine("Warfarin 1 mg tablets", "entered-in-error", "3 mg once daily", "once daily"),
            medicine("Simvastatin 40 mg tablets", "not-taken", "40 mg at night", "at night"),
            medicine("Ramipril 2.5 mg capsules", "stopped", "2.5 mg once daily", "once daily"),
            medicine("Metformin 500 mg tablets", "on-hold", "500 mg twice daily", "twice daily"),
            allergy("Penicillin", Some("active"), Some("confirmed")),
            allergy("Aspirin", Some("resolved"), Some("confirmed")),
            allergy("Codeine", None, Some("entered-in-error")),
            allergy("Ibuprofen", Some("active"), Some("refuted")),
            allergy("Latex", Some("active"), Some("unconfirmed")),
        ],
    );
    let report = ws.import_fhir(&bundle).await.unwrap();
    assert!(report.created);
    assert_eq!((report.medicines_added, report.allergies_added), (1, 2));
    let record = ws.open_patient(report.patient).await.unwrap().document;
    let meds: Vec<&str> = record.medicines.values().map(|m| m.name.as_str()).collect();
    assert_eq!(meds, ["Amlodipine 5 mg tablets"]);
    let mut allergies: Vec<(&str, Option<&str>, AllergySeverity)> = record
        .allergies
        .values()
        .map(|a| (a.substance.as_str(), a.reaction.as_deref(), a.severity))
        .collect();
    allergies.sort();
    assert_eq!(
        allergies,
        [
            ("Latex", Some("rash; unconfirmed in the GP record"), AllergySeverity::Moderate),
            ("Penicillin", Some("rash"), AllergySeverity::Moderate),
        ]
    );
    for why in [
        "medicine Amoxicillin 500 mg capsules: status completed",
        "medicine Warfarin 1 mg tablets: status entered-in-error",
        "medicine Simvastatin 40 mg tablets: status not-taken",
        "medicine Ramipril 2.5 mg capsules: status stopped",
        "medicine Metformin 500 mg tablets: status on-hold",
        "allergy Aspirin: resolved",
        "allergy Codeine: entered-in-error",
        "allergy Ibuprofen: refuted",
    ] {
        assert!(report.left_out.iter().any(|l| l == why), "{why} not reported in {:?}", report.left_out);
    }
}

#[tokio::test]
async fn a_changed_gp_dose_is_proposed_to_a_clinician_never_applied_or_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = nurse(tmp.path()).await;
    let patient = winifred(&ws).await;
    let bundle = gp_bundle(
        "Ashdown",
        "Winifred",
        "1939-05-17",
        vec![medicine("Furosemide 40 mg tablets", "active", "80 mg once daily", "once daily")],
    );
    let report = ws.import_fhir(&bundle).await.unwrap();
    assert_eq!(report.medicines_added, 0, "the same medicine is not added twice");
    assert_eq!(
        report.gp_proposals,
        ["Furosemide 40 mg tablets: this record 40 mg once daily, the GP record 80 mg once daily"]
    );
    let record = ws.open_patient(patient).await.unwrap().document;
    let (id, m) = record.medicines.iter().next().unwrap();
    assert_eq!(m.dose, "40 mg", "not applied");
    let p = m.gp_proposal.as_ref().expect("kept for review");
    assert_eq!((p.dose.as_str(), p.frequency.as_str()), ("80 mg", "once daily"));
    // Importing the same bundle again keeps one proposal; a clinician's change settles it.
    ws.import_fhir(&bundle).await.unwrap();
    let change = hedgerow_core::workspace::MedicineChange {
        dose: Some("80 mg".into()),
        reason: "as the GP increased it".into(),
        ..Default::default()
    };
    ws.change_medicine(patient, id, change).await.unwrap();
    let m = ws.open_patient(patient).await.unwrap().document.medicines[id].clone();
    assert_eq!((m.dose.as_str(), m.gp_proposal), ("80 mg", None));
}
