//! Reading a GP system's FHIR R4 Bundle: demographics, allergies and medicines. Lenient in
//! what it accepts (any Bundle with a Patient carrying an NHS number), strict in what it
//! keeps: an invalid NHS number or a Bundle without a patient is refused whole; only
//! active medicines and allergies that are neither refuted, resolved nor entered in error
//! are taken, and the rest are listed as left out, with why.

use super::export::{DMD, NHS_NUMBER_SYSTEM};
use crate::clinical::NhsNumber;
use crate::documents::patient::{AllergySeverity, Route};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct ImportedPatient {
    pub nhs_number: NhsNumber,
    pub name: String,
    /// The family name, for the demographic cross-check against an existing record.
    pub family_name: Option<String>,
    pub date_of_birth: Option<chrono::NaiveDate>,
    pub address: Option<String>,
    pub allergies: Vec<ImportedAllergy>,
    pub medicines: Vec<ImportedMedicine>,
    /// Entries not taken in, each with why (e.g. "Amoxicillin: status completed").
    pub left_out: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportedAllergy {
    pub substance: String,
    pub reaction: Option<String>,
    pub severity: AllergySeverity,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportedMedicine {
    pub name: String,
    pub dmd_code: Option<String>,
    pub dose: String,
    pub frequency: String,
    pub route: Route,
}

#[derive(Debug, thiserror::Error)]
pub enum FhirImportError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a FHIR Bundle (resourceType is {0})")]
    NotBundle(String),
    #[error("the Bundle has no Patient resource")]
    NoPatient,
    #[error("the Patient has no NHS number (identifier system {NHS_NUMBER_SYSTEM})")]
    NoNhsNumber,
    #[error("the Patient's NHS number is invalid: {0}")]
    BadNhsNumber(#[from] crate::clinical::NhsNumberError),
    #[error("the Patient has no name")]
    NoName,
}

fn concept_text(c: &Value) -> Option<String> {
    c.get("text")
        .and_then(Value::as_str)
        .or_else(|| c.get("coding")?.as_array()?.iter().find_map(|x| x.get("display")?.as_str()))
        .map(str::to_owned)
}

pub fn parse(json: &str) -> Result<ImportedPatient, FhirImportError> {
    let bundle: Value = serde_json::from_str(json).map_err(|e| FhirImportError::NotJson(e.to_string()))?;
    let kind = bundle.get("resourceType").and_then(Value::as_str).unwrap_or("missing");
    if kind != "Bundle" {
        return Err(FhirImportError::NotBundle(kind.to_owned()));
    }
    let resources: Vec<&Value> = bundle
        .get("entry")
        .and_then(Value::as_array)
        .map(|e| e.iter().filter_map(|x| x.get("resource")).collect())
        .unwrap_or_default();
    let of = |t: &'static str| {
        resources.iter().copied().filter(move |r| r.get("resourceType").and_then(Value::as_str) == Some(t))
    };
    let patient = of("Patient").next().ok_or(FhirImportError::NoPatient)?;
    let nhs = patient
        .get("identifier")
        .and_then(Value::as_array)
        .and_then(|ids| {
            ids.iter().find(|i| i.get("system").and_then(Value::as_str) == Some(NHS_NUMBER_SYSTEM))
        })
        .and_then(|i| i.get("value")?.as_str())
        .ok_or(FhirImportError::NoNhsNumber)?;
    let nhs_number: NhsNumber = nhs.parse()?;
    let first_name = patient.get("name").and_then(Value::as_array).and_then(|names| names.first());
    let name = first_name
        .and_then(|n| {
            n.get("text").and_then(Value::as_str).map(str::to_owned).or_else(|| {
                let mut parts: Vec<String> = n
                    .get("given")
                    .and_then(Value::as_array)
                    .map(|g| g.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                parts.extend(n.get("family").and_then(Value::as_str).map(str::to_owned));
                (!parts.is_empty()).then(|| parts.join(" "))
            })
        })
        .ok_or(FhirImportError::NoName)?;
    let family_name = first_name
        .and_then(|n| n.get("family").and_then(Value::as_str).map(str::to_owned))
        .or_else(|| name.split_whitespace().next_back().map(str::to_owned));
    let date_of_birth = patient
        .get("birthDate")
        .and_then(Value::as_str)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let address = patient.get("address").and_then(Value::as_array).and_then(|a| a.first()).and_then(|a| {
        a.get("text").and_then(Value::as_str).map(str::to_owned).or_else(|| {
            let mut parts: Vec<String> = a
                .get("line")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            for key in ["city", "postalCode"] {
                parts.extend(a.get(key).and_then(Value::as_str).map(str::to_owned));
            }
            (!parts.is_empty()).then(|| parts.join(", "))
        })
    });

    let mut left_out = Vec::new();
    let allergies = of("AllergyIntolerance")
        .filter_map(|a| {
            let substance = a.get("code").and_then(concept_text)?;
            let clinical = status_code(a, "clinicalStatus");
            let verification = status_code(a, "verificationStatus");
            if matches!(verification.as_deref(), Some("refuted" | "entered-in-error")) {
                left_out.push(format!("allergy {substance}: {}", verification.unwrap_or_default()));
                return None;
            }
            if matches!(clinical.as_deref(), Some("inactive" | "resolved")) {
                left_out.push(format!("allergy {substance}: {}", clinical.unwrap_or_default()));
                return None;
            }
            let reaction = a.get("reaction").and_then(Value::as_array).and_then(|r| r.first());
            let mut reaction_text =
                reaction.and_then(|r| r.get("manifestation")?.as_array()?.first().and_then(concept_text));
            // An unconfirmed allergy is still shown: a warning that may be wrong is safer
            // than none, but it says so.
            if verification.as_deref() == Some("unconfirmed") {
                reaction_text = Some(match reaction_text {
                    Some(r) => format!("{r}; unconfirmed in the GP record"),
                    None => "unconfirmed in the GP record".into(),
                });
            }
            Some(ImportedAllergy {
                substance,
                reaction: reaction_text,
                severity: match reaction.and_then(|r| r.get("severity")?.as_str()) {
                    Some("mild") => AllergySeverity::Mild,
                    Some("moderate") => AllergySeverity::Moderate,
                    Some("severe") => AllergySeverity::Severe,
                    _ => AllergySeverity::Unknown,
                },
            })
        })
        .collect();

    let medicines = of("MedicationStatement")
        .filter_map(|m| {
            let concept = m.get("medicationCodeableConcept")?;
            let name = concept_text(concept)?;
            // Only a medicine the GP record says is being taken becomes current; completed,
            // stopped, not taken, entered in error, intended, on hold or unknown do not.
            let status = m.get("status").and_then(Value::as_str).unwrap_or("missing");
            if status != "active" {
                left_out.push(format!("medicine {name}: status {status}"));
                return None;
            }
            let dmd_code = concept
                .get("coding")
                .and_then(Value::as_array)
                .and_then(|c| c.iter().find(|x| x.get("system").and_then(Value::as_str) == Some(DMD)))
                .and_then(|x| x.get("code")?.as_str())
                .map(str::to_owned);
            let dosage = m.get("dosage").and_then(Value::as_array).and_then(|d| d.first());
            let text =
                dosage.and_then(|d| d.get("text")?.as_str()).unwrap_or("as directed").trim().to_owned();
            let frequency = dosage.and_then(|d| d.get("timing")?.get("code").and_then(concept_text));
            let (dose, frequency) = match frequency {
                Some(f) => (text.strip_suffix(f.as_str()).unwrap_or(&text).trim().to_owned(), f),
                None => (text, "as directed".to_owned()),
            };
            let route = dosage
                .and_then(|d| d.get("route").and_then(concept_text))
                .and_then(|r| Route::parse(&r.to_lowercase()))
                .unwrap_or(Route::Other);
            Some(ImportedMedicine {
                name,
                dmd_code,
                dose: if dose.is_empty() { "as directed".into() } else { dose },
                frequency,
                route,
            })
        })
        .collect();

    Ok(ImportedPatient {
        nhs_number,
        name,
        family_name,
        date_of_birth,
        address,
        allergies,
        medicines,
        left_out,
    })
}

/// The code of a status CodeableConcept (`clinicalStatus`, `verificationStatus`).
fn status_code(resource: &Value, key: &str) -> Option<String> {
    resource
        .get(key)?
        .get("coding")?
        .as_array()?
        .iter()
        .find_map(|c| c.get("code")?.as_str())
        .map(str::to_owned)
}
