//! A patient's record and visits as a FHIR R4 Bundle of UK Core resources.

use super::model::*;
use crate::clinical::{Parameter, news2};
use crate::documents::patient::{AllergySeverity, PatientRecord, PlanStatus, TaskStatus};
use crate::documents::{Timestamp, VisitNote};

pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const LOINC: &str = "http://loinc.org";
pub const DMD: &str = "https://dmd.nhs.uk";
const UCUM: &str = "http://unitsofmeasure.org";
const UK_CORE: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-";

fn meta(profile: &str) -> Meta {
    Meta { profile: vec![format!("{UK_CORE}{profile}")] }
}

fn instant(t: Timestamp) -> String {
    t.to_datetime().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Ids within one bundle: stable for the same record, so repeated exports line up.
fn id(kind: &str, key: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, format!("{kind}/{key}").as_bytes());
    let h = hex::encode(&digest.as_ref()[..16]);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn url(id: &str) -> String {
    format!("urn:uuid:{id}")
}

/// SNOMED CT codes of the NEWS2 scores (CLINICAL.md), LOINC and SNOMED codes and UCUM
/// units of the vital signs.
fn news2_score_code(p: Parameter) -> (&'static str, &'static str) {
    match p {
        Parameter::RespirationRate => {
            ("1104301000000104", "Royal College of Physicians NEWS2 respiration rate score")
        }
        Parameter::Spo2 => ("1104311000000102", "Royal College of Physicians NEWS2 SpO2 scale 1 score"),
        Parameter::AirOrOxygen => {
            ("1104331000000105", "Royal College of Physicians NEWS2 air or oxygen score")
        }
        Parameter::SystolicBp => {
            ("1104341000000101", "Royal College of Physicians NEWS2 systolic blood pressure score")
        }
        Parameter::Pulse => ("1104351000000103", "Royal College of Physicians NEWS2 pulse score"),
        Parameter::Consciousness => {
            ("1104361000000100", "Royal College of Physicians NEWS2 consciousness score")
        }
        Parameter::Temperature => ("1104371000000107", "Royal College of Physicians NEWS2 temperature score"),
    }
}

struct Vital {
    snomed: (&'static str, &'static str),
    loinc: (&'static str, &'static str),
    unit: (&'static str, &'static str),
}

fn vital(p: Parameter) -> Option<Vital> {
    Some(match p {
        Parameter::RespirationRate => Vital {
            snomed: ("86290005", "Respiratory rate"),
            loinc: ("9279-1", "Respiratory rate"),
            unit: ("breaths/minute", "/min"),
        },
        Parameter::Spo2 => Vital {
            snomed: ("431314004", "Peripheral oxygen saturation"),
            loinc: ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
            unit: ("%", "%"),
        },
        Parameter::SystolicBp => Vital {
            snomed: ("271649006", "Systolic blood pressure"),
            loinc: ("8480-6", "Systolic blood pressure"),
            unit: ("mmHg", "mm[Hg]"),
        },
        Parameter::Pulse => Vital {
            snomed: ("364075005", "Heart rate"),
            loinc: ("8867-4", "Heart rate"),
            unit: ("beats/minute", "/min"),
        },
        Parameter::Temperature => Vital {
            snomed: ("386725007", "Body temperature"),
            loinc: ("8310-5", "Body temperature"),
            unit: ("degrees C", "Cel"),
        },
        Parameter::AirOrOxygen | Parameter::Consciousness => return None,
    })
}

fn category(code: &str, display: &str) -> CodeableConcept {
    CodeableConcept::coded("http://terminology.hl7.org/CodeSystem/observation-category", code, display)
}

/// Builds the bundle. `exported_by` names the clinician exporting, for Provenance.
pub fn bundle(record: &PatientRecord, visits: &[VisitNote], exported_by: &str, now: Timestamp) -> Bundle {
    let d = &record.demographics;
    let patient_id = id("Patient", &record.id);
    let subject = Reference::to(&url(&patient_id));
    let mut entries: Vec<BundleEntry> = Vec::new();
    let push = |id: String, resource: Resource, entries: &mut Vec<BundleEntry>| {
        entries.push(BundleEntry { full_url: url(&id), resource });
    };

    let mut words: Vec<String> = d.name.split_whitespace().map(str::to_owned).collect();
    let family = words.pop();
    push(
        patient_id.clone(),
        Resource::Patient(Patient {
            id: patient_id.clone(),
            meta: meta("Patient"),
            identifier: vec![Identifier { system: NHS_NUMBER_SYSTEM.into(), value: d.nhs_number.clone() }],
            name: vec![HumanName {
                use_: Some("official".into()),
                text: Some(d.name.clone()),
                family,
                given: words,
            }],
            birth_date: Some(d.date_of_birth.clone()),
            address: d.address.iter().map(|a| Address { text: Some(a.clone()) }).collect(),
            general_practitioner: record.gp_practice.iter().map(|g| Reference::display(&g.name)).collect(),
        }),
        &mut entries,
    );

    let mut condition_refs = Vec::new();
    for (key, p) in &record.care_plan {
        let cid = id("Condition", key);
        condition_refs.push(Reference::to(&url(&cid)));
        let status = match p.status {
            PlanStatus::Active => "active",
            PlanStatus::Resolved => "resolved",
            PlanStatus::Closed => "inactive",
        };
        push(
            cid.clone(),
            Resource::Condition(Condition {
                id: cid,
                meta: meta("Condition"),
                clinical_status: CodeableConcept::coded(
                    "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    status,
                    status,
                ),
                category: vec![CodeableConcept::coded(
                    "http://terminology.hl7.org/CodeSystem/condition-category",
                    "problem-list-item",
                    "Problem List Item",
                )],
                code: CodeableConcept::text(&p.title),
                subject: subject.clone(),
                recorded_date: Some(instant(p.created_at)),
            }),
            &mut entries,
        );
    }
    if !record.care_plan.is_empty() {
        let cpid = id("CarePlan", &record.id);
        let mut activity = Vec::new();
        let mut notes = Vec::new();
        for p in record.care_plan.values() {
            for g in p.goals.values() {
                notes.push(Annotation { text: format!("Goal for '{}': {}", p.title, g.text) });
            }
            for i in p.interventions.values() {
                let status = if p.status == PlanStatus::Active { "in-progress" } else { "completed" };
                let freq = i.frequency.as_deref().map(|f| format!(" ({f})")).unwrap_or_default();
                activity.push(CarePlanActivity {
                    detail: CarePlanActivityDetail {
                        status: status.into(),
                        description: Some(format!("{}{freq}; by {}", i.text, i.owner_role)),
                    },
                });
            }
        }
        push(
            cpid.clone(),
            Resource::CarePlan(CarePlan {
                id: cpid,
                meta: meta("CarePlan"),
                status: "active".into(),
                intent: "plan".into(),
                title: "Community care plan".into(),
                description: None,
                subject: subject.clone(),
                addresses: condition_refs,
                activity,
                note: notes,
            }),
            &mut entries,
        );
    }

    for (key, m) in &record.medicines {
        let mid = id("MedicationStatement", key);
        let mut medication = CodeableConcept::text(&m.name);
        if let Some(code) = &m.dmd_code {
            medication.coding.push(Coding {
                system: DMD.into(),
                code: code.clone(),
                display: Some(m.name.clone()),
            });
        }
        let mut note = vec![];
        if m.anticipatory {
            let kept = m.kept_at.as_deref().map(|k| format!(", kept: {k}")).unwrap_or_default();
            note.push(Annotation { text: format!("Anticipatory (just in case) medicine{kept}") });
        }
        push(
            mid.clone(),
            Resource::MedicationStatement(MedicationStatement {
                id: mid,
                meta: meta("MedicationStatement"),
                status: if m.stop_date.is_some() { "stopped" } else { "active" }.into(),
                medication_codeable_concept: medication,
                subject: subject.clone(),
                effective_period: Some(Period { start: m.start_date.clone(), end: m.stop_date.clone() }),
                date_asserted: Some(instant(m.changed_at)),
                dosage: vec![Dosage {
                    text: Some(format!("{} {}", m.dose, m.frequency)),
                    timing: Some(Timing { code: Some(CodeableConcept::text(&m.frequency)) }),
                    route: Some(CodeableConcept::text(m.route.as_str())),
                }],
                note,
            }),
            &mut entries,
        );
    }

    for (key, a) in &record.allergies {
        let aid = id("AllergyIntolerance", key);
        let severity = match a.severity {
            AllergySeverity::Mild => Some("mild"),
            AllergySeverity::Moderate => Some("moderate"),
            AllergySeverity::Severe => Some("severe"),
            AllergySeverity::Unknown => None,
        };
        push(
            aid.clone(),
            Resource::AllergyIntolerance(AllergyIntolerance {
                id: aid,
                meta: meta("AllergyIntolerance"),
                clinical_status: CodeableConcept::coded(
                    "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "active",
                    "Active",
                ),
                verification_status: CodeableConcept::coded(
                    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                    "confirmed",
                    "Confirmed",
                ),
                code: CodeableConcept::text(&a.substance),
                patient: subject.clone(),
                recorded_date: Some(instant(a.recorded_at)),
                reaction: a
                    .reaction
                    .iter()
                    .map(|r| AllergyReaction {
                        manifestation: vec![CodeableConcept::text(r)],
                        severity: severity.map(str::to_owned),
                    })
                    .collect(),
            }),
            &mut entries,
        );
    }

    let consent_id = id("Consent", &record.id);
    let c = &record.consent;
    let opt_in = c.share_with_team && !c.national_data_opt_out;
    push(
        consent_id.clone(),
        Resource::Consent(Consent {
            id: consent_id,
            meta: meta("Consent"),
            status: "active".into(),
            scope: CodeableConcept::coded(
                "http://terminology.hl7.org/CodeSystem/consentscope",
                "patient-privacy",
                "Privacy Consent",
            ),
            category: vec![CodeableConcept::coded(LOINC, "59284-0", "Patient Consent")],
            patient: subject.clone(),
            date_time: c.recorded_at.map(instant),
            policy_rule: CodeableConcept::coded(
                "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                if opt_in { "OPTIN" } else { "OPTOUT" },
                if opt_in { "opt-in" } else { "opt-out" },
            ),
            provision: ConsentProvision { type_: if opt_in { "permit" } else { "deny" }.into() },
        }),
        &mut entries,
    );

    for (key, t) in &record.tasks {
        let tid = id("Task", key);
        let status = match t.status {
            TaskStatus::Open => "requested",
            TaskStatus::Done => "completed",
            TaskStatus::Cancelled => "cancelled",
        };
        push(
            tid.clone(),
            Resource::Task(Task {
                id: tid,
                meta: meta("Task"),
                status: status.into(),
                intent: "order".into(),
                description: t.title.clone(),
                for_: subject.clone(),
                authored_on: Some(instant(t.created_at)),
                restriction: t
                    .due_date
                    .as_ref()
                    .map(|d| TaskRestriction { period: Period { start: None, end: Some(d.clone()) } }),
                note: vec![Annotation {
                    text: format!(
                        "For: {}; entered by {} ({})",
                        t.assignee_role, t.created_by.name, t.source
                    ),
                }],
            }),
            &mut entries,
        );
    }

    for v in visits {
        let eid = id("Encounter", &v.id);
        let encounter = Reference::to(&url(&eid));
        push(
            eid.clone(),
            Resource::Encounter(Encounter {
                id: eid,
                meta: meta("Encounter"),
                status: if v.signature.is_some() { "finished" } else { "in-progress" }.into(),
                class: Coding {
                    system: "http://terminology.hl7.org/CodeSystem/v3-ActCode".into(),
                    code: "HH".into(),
                    display: Some("home health".into()),
                },
                subject: subject.clone(),
                period: Period { start: Some(instant(v.started_at)), end: None },
                participant: vec![EncounterParticipant { individual: Reference::display(&v.clinician.name) }],
            }),
            &mut entries,
        );
        for (key, set) in &v.observations {
            let obs = set.observations();
            let score = news2::score(&obs, set.scale());
            let when = instant(set.recorded_at);
            let performer = vec![Reference::display(&set.recorded_by.name)];
            let mut members = Vec::new();
            let values: [(Parameter, Option<f64>); 5] = [
                (Parameter::RespirationRate, obs.respiration_rate.map(f64::from)),
                (Parameter::Spo2, obs.spo2.map(f64::from)),
                (Parameter::SystolicBp, obs.systolic_bp.map(f64::from)),
                (Parameter::Pulse, obs.pulse.map(f64::from)),
                (Parameter::Temperature, obs.temperature),
            ];
            for (p, value) in values {
                let (Some(value), Some(vital)) = (value, vital(p)) else { continue };
                let oid = id("Observation", &format!("{}/{key}/{p:?}", v.id));
                let mut code = CodeableConcept::coded(SNOMED, vital.snomed.0, vital.snomed.1);
                code.coding.push(Coding {
                    system: LOINC.into(),
                    code: vital.loinc.0.into(),
                    display: Some(vital.loinc.1.into()),
                });
                push(
                    oid.clone(),
                    Resource::Observation(Observation {
                        id: oid,
                        meta: meta("Observation"),
                        status: "final".into(),
                        category: vec![category("vital-signs", "Vital Signs")],
                        code,
                        subject: subject.clone(),
                        encounter: encounter.clone(),
                        effective_date_time: when.clone(),
                        performer: performer.clone(),
                        value_quantity: Some(Quantity {
                            value,
                            unit: vital.unit.0.into(),
                            system: UCUM.into(),
                            code: vital.unit.1.into(),
                        }),
                        ..Default::default()
                    }),
                    &mut entries,
                );
            }
            if let Some(c) = obs.consciousness {
                let oid = id("Observation", &format!("{}/{key}/acvpu", v.id));
                push(
                    oid.clone(),
                    Resource::Observation(Observation {
                        id: oid,
                        meta: meta("Observation"),
                        status: "final".into(),
                        category: vec![category("vital-signs", "Vital Signs")],
                        code: CodeableConcept::coded(
                            SNOMED,
                            "1104441000000107",
                            "ACVPU (Alert Confusion Voice Pain Unresponsive) scale score",
                        ),
                        subject: subject.clone(),
                        encounter: encounter.clone(),
                        effective_date_time: when.clone(),
                        performer: performer.clone(),
                        value_codeable_concept: Some(CodeableConcept::text(&c.letter().to_string())),
                        ..Default::default()
                    }),
                    &mut entries,
                );
            }
            for component in &score.components {
                let oid = id("Observation", &format!("{}/{key}/score/{:?}", v.id, component.parameter));
                members.push(Reference::to(&url(&oid)));
                let (code, display) = news2_score_code(component.parameter);
                // CLINICAL.md gives no code for the Scale 2 SpO2 score: it goes as text, never
                // under the Scale 1 code.
                let scale2 = component.parameter == Parameter::Spo2
                    && set.scale() == crate::clinical::Spo2Scale::Scale2;
                let concept = if scale2 {
                    CodeableConcept::text("Royal College of Physicians NEWS2 SpO2 scale 2 score")
                } else {
                    CodeableConcept::coded(SNOMED, code, display)
                };
                push(
                    oid.clone(),
                    Resource::Observation(Observation {
                        id: oid,
                        meta: meta("Observation"),
                        status: "final".into(),
                        category: vec![category("survey", "Survey")],
                        code: concept,
                        subject: subject.clone(),
                        encounter: encounter.clone(),
                        effective_date_time: when.clone(),
                        performer: performer.clone(),
                        value_integer: Some(i64::from(component.score)),
                        ..Default::default()
                    }),
                    &mut entries,
                );
            }
            let tid = id("Observation", &format!("{}/{key}/news2", v.id));
            let missing: Vec<&str> = score.missing.iter().map(|p| p.label()).collect();
            let mut note =
                vec![Annotation { text: format!("{} risk: {}", score.band, score.response.escalation()) }];
            if score.partial {
                note.push(Annotation {
                    text: format!(
                        "PARTIAL score: missing {}; the true score may be higher",
                        missing.join(", ")
                    ),
                });
            }
            push(
                tid.clone(),
                Resource::Observation(Observation {
                    id: tid,
                    meta: meta("Observation"),
                    // A partial score is incomplete data, never a final low score.
                    status: if score.partial { "preliminary" } else { "final" }.into(),
                    category: vec![category("survey", "Survey")],
                    code: CodeableConcept::coded(
                        SNOMED,
                        "1104051000000101",
                        "Royal College of Physicians NEWS2 (National Early Warning Score 2) total score",
                    ),
                    subject: subject.clone(),
                    encounter: encounter.clone(),
                    effective_date_time: when,
                    performer,
                    value_integer: Some(i64::from(score.total)),
                    note,
                    has_member: members,
                    ..Default::default()
                }),
                &mut entries,
            );
        }
    }

    let targets: Vec<Reference> = entries.iter().map(|e| Reference::to(&e.full_url)).collect();
    let prov_id = id("Provenance", &format!("{}/{}", record.id, now.0));
    push(
        prov_id.clone(),
        Resource::Provenance(Provenance {
            id: prov_id,
            meta: meta("Provenance"),
            target: targets,
            recorded: instant(now),
            agent: vec![ProvenanceAgent {
                who: Reference::display(&format!("{exported_by} (exported from Hedgerow)")),
            }],
        }),
        &mut entries,
    );
    Bundle {
        id: id("Bundle", &format!("{}/{}", record.id, now.0)),
        type_: "collection".into(),
        timestamp: instant(now),
        entry: entries,
    }
}
