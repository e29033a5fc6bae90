//! A patient's record and visits as a FHIR R4 Bundle of UK Core resources.

use super::model::*;
use crate::documents::patient::{
    AllergySeverity, CprRecommendation, Gender, PatientRecord, PlanStatus, TaskStatus,
};
use crate::documents::{Timestamp, VisitNote};

pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const LOINC: &str = "http://loinc.org";
pub const DMD: &str = "https://dmd.nhs.uk";
pub const UCUM: &str = "http://unitsofmeasure.org";
const UK_CORE: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-";
pub const ODS_ORGANISATION: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const NHS_NUMBER_VERIFICATION: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus";
const NHS_NUMBER_VERIFICATION_CODES: &str =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland";

pub(super) fn meta(profile: &str) -> Meta {
    Meta { profile: vec![format!("{UK_CORE}{profile}")] }
}

fn instant(t: Timestamp) -> String {
    t.to_datetime().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Ids within one bundle: stable for the same record, so repeated exports line up.
pub(super) fn id(kind: &str, key: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, format!("{kind}/{key}").as_bytes());
    let h = hex::encode(&digest.as_ref()[..16]);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

pub(super) fn url(id: &str) -> String {
    format!("urn:uuid:{id}")
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
            identifier: vec![Identifier {
                // The number as the clinician entered it, checked (Modulus 11) but not
                // traced against the Personal Demographics Service: code 02.
                extension: vec![Extension {
                    url: NHS_NUMBER_VERIFICATION.into(),
                    value_codeable_concept: Some(CodeableConcept::coded(
                        NHS_NUMBER_VERIFICATION_CODES,
                        "02",
                        "Number present but not traced",
                    )),
                }],
                system: NHS_NUMBER_SYSTEM.into(),
                value: d.nhs_number.clone(),
            }],
            gender: d.gender.map(|g| match g {
                Gender::Female => "female".into(),
                Gender::Male => "male".into(),
                Gender::Other => "other".into(),
                Gender::Unknown => "unknown".into(),
            }),
            name: vec![HumanName {
                use_: Some("official".into()),
                text: Some(d.name.clone()),
                family,
                given: words,
            }],
            birth_date: Some(d.date_of_birth.clone()),
            address: d.address.iter().map(|a| Address { text: Some(a.clone()) }).collect(),
            general_practitioner: record
                .gp_practice
                .iter()
                .map(|g| Reference {
                    identifier: g.ods_code.as_ref().map(|c| Identifier {
                        system: ODS_ORGANISATION.into(),
                        value: c.clone(),
                        ..Default::default()
                    }),
                    display: Some(g.name.clone()),
                    ..Default::default()
                })
                .collect(),
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
                        description: Some(format!("{}{freq}; by {}", i.text, i.owner_role.label())),
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
                // No empty Period: only what the record holds.
                effective_period: (m.start_date.is_some() || m.stop_date.is_some())
                    .then(|| Period { start: m.start_date.clone(), end: m.stop_date.clone() }),
                date_asserted: Some(instant(m.changed_at)),
                dosage: vec![Dosage {
                    text: Some(format!("{} {}", m.dose, m.frequency)),
                    timing: Some(Timing { code: Some(CodeableConcept::text(&m.frequency)) }),
                    route: Some(CodeableConcept::text(m.route.label())),
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

    // A Consent only for what the patient said: none while consent is not recorded.
    let c = &record.consent;
    if let Some(share) = c.share_with_team {
        let consent_id = id("Consent", &record.id);
        let opt_in = share && c.national_data_opt_out != Some(true);
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
                performer: c.recorded_by.iter().map(|b| Reference::display(&b.name)).collect(),
                policy: vec![],
                policy_rule: Some(CodeableConcept::coded(
                    "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    if opt_in { "OPTIN" } else { "OPTOUT" },
                    if opt_in { "opt-in" } else { "opt-out" },
                )),
                provision: ConsentProvision {
                    type_: if opt_in { "permit" } else { "deny" }.into(),
                    code: vec![],
                },
            }),
            &mut entries,
        );
    }

    // The CPR recommendation (ReSPECT) as an advance care directive. UK Core has no CPR
    // profile; its Consent profile names "Advance Care Directives ... (e.g. DNR)" as a use
    // (docs/fhir.md). The caller refuses to export while the decision is disputed.
    if let Some(cpr) = &record.end_of_life.cpr {
        let cid = id("Consent", &format!("{}/cpr", record.id));
        let permit = cpr.recommendation == CprRecommendation::AttemptCpr;
        let by = match &cpr.made_by.registration {
            Some(r) => format!("{} ({}, registration {r})", cpr.made_by.name, cpr.made_by.role.label()),
            None => format!("{} ({})", cpr.made_by.name, cpr.made_by.role.label()),
        };
        push(
            cid.clone(),
            Resource::Consent(Consent {
                id: cid,
                meta: meta("Consent"),
                status: "active".into(),
                scope: CodeableConcept::coded(
                    "http://terminology.hl7.org/CodeSystem/consentscope",
                    "adr",
                    "Advanced Care Directive",
                ),
                category: vec![CodeableConcept::coded(
                    "http://terminology.hl7.org/CodeSystem/consentcategorycodes",
                    "dnr",
                    "Do Not Resuscitate",
                )],
                patient: subject.clone(),
                date_time: Some(instant(cpr.made_at)),
                performer: vec![Reference::display(&by)],
                policy: vec![ConsentPolicy { uri: "https://www.resus.org.uk/respect".into() }],
                policy_rule: None,
                provision: ConsentProvision {
                    type_: if permit { "permit" } else { "deny" }.into(),
                    code: vec![CodeableConcept::coded(SNOMED, "89666000", "Cardiopulmonary resuscitation")],
                },
            }),
            &mut entries,
        );
    }

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
                        t.assignee_role.label(),
                        t.created_by.name,
                        t.source.label()
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
            let cx = super::vitals::SetContext {
                visit_id: &v.id,
                key,
                subject: &subject,
                encounter: &encounter,
                when: instant(set.recorded_at),
                performer: vec![Reference::display(&set.recorded_by.name)],
            };
            for (oid, resource) in super::vitals::observations(&cx, set) {
                push(oid, resource, &mut entries);
            }
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
