//! A saved set of observations in words: every value with its unit, air or oxygen, and
//! the SpO2 scale, so a score is never read without what it was scored from.

use crate::clinical::Consciousness;
use crate::documents::visit::ObservationSet;

/// "RR 22/min, SpO2 93% (Scale 1) on oxygen, BP 98 systolic, pulse 118/min, ACVPU C (new
/// confusion), temperature 38.4 °C". A value not taken says so.
pub fn observation_values(o: &ObservationSet) -> String {
    fn or_missing(v: Option<String>) -> String {
        v.unwrap_or_else(|| "not recorded".into())
    }
    let scale = if o.spo2_scale == "scale-2" { "Scale 2" } else { "Scale 1" };
    let air = match o.on_oxygen {
        Some(true) => "on oxygen",
        Some(false) => "on air",
        None => "air or oxygen not recorded",
    };
    let acvpu = o.consciousness.as_deref().map(|l| match Consciousness::from_letter(l) {
        Some(c) => format!("{} ({})", c.letter(), c.label()),
        None => l.to_owned(),
    });
    format!(
        "RR {}, SpO2 {} ({scale}) {air}, BP {}, pulse {}, ACVPU {}, temperature {}",
        or_missing(o.respiration_rate.map(|v| format!("{v}/min"))),
        or_missing(o.spo2.map(|v| format!("{v}%"))),
        or_missing(o.systolic_bp.map(|v| format!("{v} systolic"))),
        or_missing(o.pulse.map(|v| format!("{v}/min"))),
        or_missing(acvpu),
        or_missing(o.temperature_c.map(|v| format!("{v:.1} °C"))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::{ClinicianRef, Role, Timestamp};

    fn set() -> ObservationSet {
        ObservationSet {
            recorded_at: Timestamp(0),
            recorded_by: ClinicianRef {
                id: "0".repeat(32),
                name: "Ada Quill".into(),
                role: Role::DistrictNurse,
                registration: None,
            },
            respiration_rate: Some(22),
            spo2: Some(93),
            spo2_scale: "scale-1".into(),
            on_oxygen: Some(true),
            systolic_bp: Some(98),
            pulse: Some(118),
            consciousness: Some("C".into()),
            temperature_c: Some(38.4),
        }
    }

    #[test]
    fn every_value_is_written_with_its_unit_air_or_oxygen_and_the_scale() {
        assert_eq!(
            observation_values(&set()),
            "RR 22/min, SpO2 93% (Scale 1) on oxygen, BP 98 systolic, pulse 118/min, ACVPU C (new confusion), temperature 38.4 °C"
        );
    }

    #[test]
    fn a_value_not_taken_says_so_and_air_is_never_assumed() {
        let o = ObservationSet { on_oxygen: None, pulse: None, spo2_scale: "scale-2".into(), ..set() };
        let text = observation_values(&o);
        assert!(text.contains("(Scale 2) air or oxygen not recorded"), "{text}");
        assert!(text.contains("pulse not recorded"), "{text}");
    }
}
