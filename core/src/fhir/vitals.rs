//! One set of vital signs as UK Core observations (CLINICAL.md; the vendored profiles in
//! tests/fhir/uk-core), and the NEWS2 total worked out from them.
//!
//! Each vital sign has its own profile, which fixes the LOINC code and the unit's words;
//! systolic pressure travels as a component of a blood pressure panel; air or oxygen is an
//! inspired-oxygen observation; the NEWS2 total carries its sub-scores as components and
//! points at the vital signs it came from (`derivedFrom`, as UK Core's guidance says). A
//! partial set has no total: its score is only a lower bound, and UK Core's total is final.

use super::export::{LOINC, SNOMED, UCUM, id, meta, url};
use super::model::*;
use crate::clinical::{Consciousness, Parameter, Spo2Scale, news2};
use crate::documents::visit::ObservationSet;

/// Where a set's observations belong.
pub(super) struct SetContext<'a> {
    pub visit_id: &'a str,
    pub key: &'a str,
    pub subject: &'a Reference,
    pub encounter: &'a Reference,
    pub when: String,
    pub performer: Vec<Reference>,
}

struct Vital {
    profile: &'static str,
    snomed: (&'static str, &'static str),
    loinc: (&'static str, &'static str),
    /// (unit as UK Core spells it, UCUM code)
    unit: (&'static str, &'static str),
}

fn vital(p: Parameter) -> Option<Vital> {
    Some(match p {
        Parameter::RespirationRate => Vital {
            profile: "Observation-VitalSigns-RespirationRate",
            snomed: ("86290005", "Respiratory rate"),
            loinc: ("9279-1", "Respiratory rate"),
            unit: ("per minute", "/min"),
        },
        // UK Core fixes this one LOINC code for SpO2, pulse oximetry included.
        Parameter::Spo2 => Vital {
            profile: "Observation-VitalSigns-OxygenSaturation",
            snomed: ("431314004", "Peripheral oxygen saturation"),
            loinc: ("2708-6", "Oxygen saturation in Arterial blood"),
            unit: ("percent", "%"),
        },
        Parameter::Pulse => Vital {
            profile: "Observation-VitalSigns-HeartRate",
            snomed: ("364075005", "Heart rate"),
            loinc: ("8867-4", "Heart rate"),
            unit: ("per minute", "/min"),
        },
        Parameter::Temperature => Vital {
            profile: "Observation-VitalSigns-BodyTemperature",
            snomed: ("386725007", "Body temperature"),
            loinc: ("8310-5", "Body temperature"),
            unit: ("degree Celsius", "Cel"),
        },
        Parameter::SystolicBp | Parameter::AirOrOxygen | Parameter::Consciousness => return None,
    })
}

fn coded_twice(snomed: (&str, &str), loinc: (&str, &str)) -> CodeableConcept {
    let mut code = CodeableConcept::coded(SNOMED, snomed.0, snomed.1);
    code.coding.push(Coding { system: LOINC.into(), code: loinc.0.into(), display: Some(loinc.1.into()) });
    code
}

fn quantity(value: f64, unit: (&str, &str)) -> Quantity {
    Quantity { value, unit: unit.0.into(), system: UCUM.into(), code: unit.1.into() }
}

fn category(code: &str, display: &str) -> CodeableConcept {
    CodeableConcept::coded("http://terminology.hl7.org/CodeSystem/observation-category", code, display)
}

/// The SNOMED CT code of each NEWS2 sub-score (UKCore-EarlyWarningSubScore).
pub fn sub_score_code(p: Parameter, scale: Spo2Scale) -> (&'static str, &'static str) {
    match (p, scale) {
        (Parameter::RespirationRate, _) => {
            ("1104301000000104", "Royal College of Physicians NEWS2 - respiration rate score")
        }
        (Parameter::Spo2, Spo2Scale::Scale1) => {
            ("1104311000000102", "Royal College of Physicians NEWS2 - SpO2 scale 1 score")
        }
        (Parameter::Spo2, Spo2Scale::Scale2) => {
            ("1104321000000108", "Royal College of Physicians NEWS2 - SpO2 scale 2 score")
        }
        (Parameter::AirOrOxygen, _) => {
            ("1104331000000105", "Royal College of Physicians NEWS2 - air or oxygen score")
        }
        (Parameter::SystolicBp, _) => {
            ("1104341000000101", "Royal College of Physicians NEWS2 - systolic blood pressure score")
        }
        (Parameter::Pulse, _) => ("1104351000000103", "Royal College of Physicians NEWS2 - pulse score"),
        (Parameter::Consciousness, _) => {
            ("1104361000000100", "Royal College of Physicians NEWS2 - consciousness score")
        }
        (Parameter::Temperature, _) => {
            ("1104371000000107", "Royal College of Physicians NEWS2 - temperature score")
        }
    }
}

/// ACVPU values (UKCore-ACVPU).
fn acvpu(c: Consciousness) -> (&'static str, &'static str) {
    match c {
        Consciousness::Alert => ("248234008", "Mentally alert"),
        Consciousness::NewConfusion => ("130987000", "Acute confusion"),
        Consciousness::Voice => ("300202002", "Responds to voice"),
        Consciousness::Pain => ("450847001", "Responds to pain"),
        Consciousness::Unresponsive => ("422768004", "Unresponsive"),
    }
}

/// The set's observations, each as `(id, resource)`, the NEWS2 total last when complete.
pub(super) fn observations(cx: &SetContext<'_>, set: &ObservationSet) -> Vec<(String, Resource)> {
    let obs = set.observations();
    let scale = set.scale();
    let oid = |part: &str| id("Observation", &format!("{}/{}/{part}", cx.visit_id, cx.key));
    let base = |oid: &str, profile: &str, category: CodeableConcept, code: CodeableConcept| Observation {
        id: oid.to_owned(),
        meta: meta(profile),
        status: "final".into(),
        category: vec![category],
        code,
        subject: cx.subject.clone(),
        encounter: cx.encounter.clone(),
        effective_date_time: cx.when.clone(),
        performer: cx.performer.clone(),
        ..Default::default()
    };
    let mut out: Vec<(String, Resource)> = Vec::new();
    let values = [
        (Parameter::RespirationRate, obs.respiration_rate.map(f64::from)),
        (Parameter::Spo2, obs.spo2.map(f64::from)),
        (Parameter::Pulse, obs.pulse.map(f64::from)),
        (Parameter::Temperature, obs.temperature),
    ];
    for (p, value) in values {
        let (Some(value), Some(v)) = (value, vital(p)) else { continue };
        let oid = oid(&format!("{p:?}"));
        let mut o =
            base(&oid, v.profile, category("vital-signs", "Vital Signs"), coded_twice(v.snomed, v.loinc));
        o.value_quantity = Some(quantity(value, v.unit));
        out.push((oid, Resource::Observation(o)));
    }
    if let Some(systolic) = obs.systolic_bp {
        let oid = oid("SystolicBp");
        let mut o = base(
            &oid,
            "Observation-VitalSigns-BloodPressure",
            category("vital-signs", "Vital Signs"),
            coded_twice(
                ("75367002", "Blood pressure"),
                ("85354-9", "Blood pressure panel with all children optional"),
            ),
        );
        let mut code =
            coded_twice(("271649006", "Systolic blood pressure"), ("8480-6", "Systolic blood pressure"));
        code.text = Some("Systolic blood pressure".into());
        o.component = vec![ObservationComponent {
            code,
            value_quantity: Some(quantity(f64::from(systolic), ("millimeter of mercury", "mm[Hg]"))),
        }];
        out.push((oid, Resource::Observation(o)));
    }
    if let Some(on_oxygen) = obs.on_oxygen {
        let oid = oid("AirOrOxygen");
        let code = if on_oxygen {
            CodeableConcept::coded(SNOMED, "371825009", "Patient on oxygen")
        } else {
            CodeableConcept::coded(SNOMED, "722742002", "Breathing room air")
        };
        let o = base(&oid, "Observation-InspiredOxygen", category("therapy", "Therapy"), code);
        out.push((oid, Resource::Observation(o)));
    }
    if let Some(c) = obs.consciousness {
        let oid = oid("acvpu");
        let mut o = base(
            &oid,
            "Observation-ACVPU",
            category("survey", "Survey"),
            CodeableConcept::coded(
                SNOMED,
                "1104441000000107",
                "Alert Confusion Voice Pain Unresponsive scale score",
            ),
        );
        let (code, display) = acvpu(c);
        o.value_codeable_concept = Some(CodeableConcept::coded(SNOMED, code, display));
        out.push((oid, Resource::Observation(o)));
    }

    let score = news2::score(&obs, scale);
    if score.partial {
        return out;
    }
    let tid = oid("news2");
    let mut total = base(
        &tid,
        "Observation-EarlyWarningTotalScore",
        category("survey", "Survey"),
        CodeableConcept::coded(
            SNOMED,
            "1104051000000101",
            "Royal College of Physicians National Early Warning Score 2 total score",
        ),
    );
    let score_of = |v: u8| Quantity {
        value: f64::from(v),
        unit: "score".into(),
        system: UCUM.into(),
        code: "{ScoreOf}".into(),
    };
    total.value_quantity = Some(score_of(score.total));
    total.component = score
        .components
        .iter()
        .map(|c| {
            let (code, display) = sub_score_code(c.parameter, scale);
            ObservationComponent {
                code: CodeableConcept::coded(SNOMED, code, display),
                value_quantity: Some(score_of(c.score)),
            }
        })
        .collect();
    total.derived_from = out.iter().map(|(oid, _)| Reference::to(&url(oid))).collect();
    total.note = vec![Annotation { text: format!("{}: {}", score.label(), score.response.escalation()) }];
    out.push((tid, Resource::Observation(total)));
    out
}
