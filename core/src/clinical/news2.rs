//! NEWS2 (Royal College of Physicians, 2017), scored exactly as CLINICAL.md gives it.
//!
//! A missing parameter makes the score partial: the total is then a lower bound and is
//! never presented as a low score.

use serde::{Deserialize, Serialize};
use std::fmt;

/// SpO2 scale. Scale 2 is set on the record by a clinician for confirmed hypercapnic
/// respiratory failure; it is never chosen per reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Spo2Scale {
    #[default]
    Scale1,
    Scale2,
}

/// ACVPU. Any level other than Alert scores 3; Confusion means *new* confusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Consciousness {
    Alert,
    NewConfusion,
    Voice,
    Pain,
    Unresponsive,
}

impl Consciousness {
    /// Parses the ACVPU letter (A, C, V, P, U), case-insensitive.
    pub fn from_letter(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "A" => Some(Self::Alert),
            "C" => Some(Self::NewConfusion),
            "V" => Some(Self::Voice),
            "P" => Some(Self::Pain),
            "U" => Some(Self::Unresponsive),
            _ => None,
        }
    }

    /// "new confusion": as a clinician says it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Alert => "alert",
            Self::NewConfusion => "new confusion",
            Self::Voice => "responds to voice",
            Self::Pain => "responds to pain",
            Self::Unresponsive => "unresponsive",
        }
    }

    pub fn letter(self) -> char {
        match self {
            Self::Alert => 'A',
            Self::NewConfusion => 'C',
            Self::Voice => 'V',
            Self::Pain => 'P',
            Self::Unresponsive => 'U',
        }
    }
}

/// The seven NEWS2 parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "uniffi", uniffi(name = "News2Parameter"))]
pub enum Parameter {
    RespirationRate,
    Spo2,
    AirOrOxygen,
    SystolicBp,
    Pulse,
    Consciousness,
    Temperature,
}

impl Parameter {
    pub const ALL: [Parameter; 7] = [
        Self::RespirationRate,
        Self::Spo2,
        Self::AirOrOxygen,
        Self::SystolicBp,
        Self::Pulse,
        Self::Consciousness,
        Self::Temperature,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::RespirationRate => "respiration rate",
            Self::Spo2 => "SpO2",
            Self::AirOrOxygen => "air or oxygen",
            Self::SystolicBp => "systolic BP",
            Self::Pulse => "pulse",
            Self::Consciousness => "consciousness",
            Self::Temperature => "temperature",
        }
    }
}

/// One set of vital signs as recorded. Any parameter may be missing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Observations {
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub respiration_rate: Option<u16>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub spo2: Option<u16>,
    /// `Some(true)` on supplemental oxygen, `Some(false)` on air.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub on_oxygen: Option<bool>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub systolic_bp: Option<u16>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub pulse: Option<u16>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub consciousness: Option<Consciousness>,
    /// Degrees Celsius; scored to one decimal place.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub temperature: Option<f64>,
}

/// A value no living patient could have, or a typing slip: refused, never scored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{parameter} of {value} is not possible; allowed: {allowed}")]
pub struct ObservationError {
    pub parameter: &'static str,
    pub value: String,
    pub allowed: &'static str,
}

impl Observations {
    /// Checks every value is physiologically possible.
    pub fn validate(&self) -> Result<(), ObservationError> {
        fn check(
            v: Option<u16>,
            lo: u16,
            hi: u16,
            parameter: &'static str,
            allowed: &'static str,
        ) -> Result<(), ObservationError> {
            match v {
                Some(x) if x < lo || x > hi => {
                    Err(ObservationError { parameter, value: x.to_string(), allowed })
                }
                _ => Ok(()),
            }
        }
        check(self.respiration_rate, 1, 80, "respiration rate", "1 to 80 breaths/min")?;
        check(self.spo2, 1, 100, "SpO2", "1 to 100 %")?;
        check(self.systolic_bp, 30, 300, "systolic BP", "30 to 300 mmHg")?;
        check(self.pulse, 20, 300, "pulse", "20 to 300 beats/min")?;
        if let Some(t) = self.temperature
            && (!t.is_finite() || !(25.0..=45.0).contains(&t))
        {
            return Err(ObservationError {
                parameter: "temperature",
                value: format!("{t}"),
                allowed: "25.0 to 45.0 °C",
            });
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The score of one parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ComponentScore {
    pub parameter: Parameter,
    pub score: u8,
}

/// Risk band from the aggregate and the single-parameter rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum RiskBand {
    Low,
    LowMedium,
    Medium,
    High,
}

impl fmt::Display for RiskBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Low => "low",
            Self::LowMedium => "low-medium",
            Self::Medium => "medium",
            Self::High => "high",
        })
    }
}

/// The clinical response row of the NEWS2 table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "uniffi", uniffi(name = "News2Response"))]
pub enum Response {
    /// Aggregate 0.
    Routine,
    /// Aggregate 1-4.
    RegisteredNurseAssessment,
    /// 3 in any single parameter (aggregate under 5).
    UrgentClinicianReview,
    /// Aggregate 5-6.
    UrgentReview,
    /// Aggregate 7 or more.
    EmergencyResponse,
}

impl Response {
    /// Minimum monitoring frequency, as the RCP table gives it.
    pub fn monitoring(self) -> &'static str {
        match self {
            Self::Routine => "12-hourly",
            Self::RegisteredNurseAssessment => "4-6-hourly",
            Self::UrgentClinicianReview | Self::UrgentReview => "1-hourly",
            Self::EmergencyResponse => "continuous",
        }
    }

    /// What to do in the community, where the response is escalation.
    pub fn escalation(self) -> &'static str {
        match self {
            Self::Routine => "Routine: continue the care plan.",
            Self::RegisteredNurseAssessment => {
                "A registered nurse assesses the patient and decides whether to increase monitoring or escalate."
            }
            Self::UrgentClinicianReview => {
                "Urgent clinical review: a score of 3 in one parameter. Contact the GP (or out-of-hours) now."
            }
            Self::UrgentReview => {
                "Urgent review (5 is the urgent threshold): contact the GP or out-of-hours urgently, within the hour."
            }
            Self::EmergencyResponse => "Emergency response: call 999.",
        }
    }
}

/// The scored result. When `partial`, `total` is a lower bound: the true score may be higher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct News2Score {
    pub total: u8,
    pub partial: bool,
    pub missing: Vec<Parameter>,
    pub components: Vec<ComponentScore>,
    pub scale: Spo2Scale,
    pub single_parameter_three: bool,
    pub band: RiskBand,
    pub response: Response,
}

/// The short form every list shows: "NEWS2 6, medium risk", or for an incomplete set
/// "NEWS2 at least 3, incomplete" (never a band: the true score may be higher).
pub fn short_label(total: u8, partial: bool, band: RiskBand) -> String {
    if partial {
        format!("NEWS2 at least {total}, incomplete")
    } else {
        format!("NEWS2 {total}, {band} risk")
    }
}

impl News2Score {
    /// The band to colour by: `None` for an incomplete set, which is shown in a neutral
    /// colour, never as low.
    pub fn complete_band(&self) -> Option<RiskBand> {
        (!self.partial).then_some(self.band)
    }

    /// See [`short_label`].
    pub fn label(&self) -> String {
        short_label(self.total, self.partial, self.band)
    }

    /// What to do. For an incomplete set this is the least that applies, and nothing when
    /// the known parameters score 0: no advice can rest on a score that may be higher.
    pub fn advice(&self) -> Option<&'static str> {
        (!self.partial || self.total > 0).then(|| self.response.escalation())
    }

    /// What to do, as every shell shows it under the score: for an incomplete set it is
    /// the least that applies ("At least: ..."), and nothing while what is known scores 0.
    pub fn advice_line(&self) -> Option<String> {
        self.advice().map(|a| if self.partial { format!("At least: {a}") } else { a.to_owned() })
    }

    /// One line a clinician can read at a glance.
    pub fn headline(&self) -> String {
        if self.partial {
            let missing: Vec<&str> = self.missing.iter().map(|p| p.label()).collect();
            format!(
                "NEWS2 PARTIAL: at least {} (missing {}). Not a complete score: record the missing observations.",
                self.total,
                missing.join(", ")
            )
        } else {
            format!("NEWS2 {} ({} risk)", self.total, self.band)
        }
    }
}

pub fn respiration_rate_score(rate: u16) -> u8 {
    match rate {
        0..=8 => 3,
        9..=11 => 1,
        12..=20 => 0,
        21..=24 => 2,
        _ => 3,
    }
}

pub fn spo2_scale1_score(spo2: u16) -> u8 {
    match spo2 {
        0..=91 => 3,
        92..=93 => 2,
        94..=95 => 1,
        _ => 0,
    }
}

/// Scale 2 needs to know air or oxygen above 92%; `None` when that is unknown.
pub fn spo2_scale2_score(spo2: u16, on_oxygen: Option<bool>) -> Option<u8> {
    match spo2 {
        0..=83 => Some(3),
        84..=85 => Some(2),
        86..=87 => Some(1),
        88..=92 => Some(0),
        _ => match on_oxygen? {
            false => Some(0),
            true => Some(match spo2 {
                93..=94 => 1,
                95..=96 => 2,
                _ => 3,
            }),
        },
    }
}

pub fn air_or_oxygen_score(on_oxygen: bool) -> u8 {
    if on_oxygen { 2 } else { 0 }
}

pub fn systolic_bp_score(systolic: u16) -> u8 {
    match systolic {
        0..=90 => 3,
        91..=100 => 2,
        101..=110 => 1,
        111..=219 => 0,
        _ => 3,
    }
}

pub fn pulse_score(pulse: u16) -> u8 {
    match pulse {
        0..=40 => 3,
        41..=50 => 1,
        51..=90 => 0,
        91..=110 => 1,
        111..=130 => 2,
        _ => 3,
    }
}

pub fn consciousness_score(c: Consciousness) -> u8 {
    if c == Consciousness::Alert { 0 } else { 3 }
}

/// Temperature is scored on its value rounded to one decimal place, as charted.
pub fn temperature_score(celsius: f64) -> u8 {
    let tenths = (celsius * 10.0).round() as i64;
    match tenths {
        i64::MIN..=350 => 3,
        351..=360 => 1,
        361..=380 => 0,
        381..=390 => 1,
        _ => 2,
    }
}

/// Scores a set of observations on the record's SpO2 scale.
pub fn score(obs: &Observations, scale: Spo2Scale) -> News2Score {
    let mut components = Vec::with_capacity(7);
    let mut missing = Vec::new();
    let mut put = |parameter: Parameter, score: Option<u8>| match score {
        Some(score) => components.push(ComponentScore { parameter, score }),
        None => missing.push(parameter),
    };
    put(Parameter::RespirationRate, obs.respiration_rate.map(respiration_rate_score));
    put(
        Parameter::Spo2,
        obs.spo2.and_then(|s| match scale {
            Spo2Scale::Scale1 => Some(spo2_scale1_score(s)),
            Spo2Scale::Scale2 => spo2_scale2_score(s, obs.on_oxygen),
        }),
    );
    put(Parameter::AirOrOxygen, obs.on_oxygen.map(air_or_oxygen_score));
    put(Parameter::SystolicBp, obs.systolic_bp.map(systolic_bp_score));
    put(Parameter::Pulse, obs.pulse.map(pulse_score));
    put(Parameter::Consciousness, obs.consciousness.map(consciousness_score));
    put(Parameter::Temperature, obs.temperature.map(temperature_score));

    let total: u8 = components.iter().map(|c| c.score).sum();
    let single_parameter_three = components.iter().any(|c| c.score == 3);
    let (band, response) = match total {
        7.. => (RiskBand::High, Response::EmergencyResponse),
        5..=6 => (RiskBand::Medium, Response::UrgentReview),
        _ if single_parameter_three => (RiskBand::LowMedium, Response::UrgentClinicianReview),
        1..=4 => (RiskBand::Low, Response::RegisteredNurseAssessment),
        0 => (RiskBand::Low, Response::Routine),
    };
    News2Score {
        total,
        partial: !missing.is_empty(),
        missing,
        components,
        scale,
        single_parameter_three,
        band,
        response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row: (value, expected score), covering both sides of every boundary in the table.
    #[test]
    fn respiration_rate_boundaries() {
        for (v, s) in [(1, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (60, 3)]
        {
            assert_eq!(respiration_rate_score(v), s, "resp {v}");
        }
    }

    #[test]
    fn spo2_scale1_boundaries() {
        for (v, s) in [(50, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)] {
            assert_eq!(spo2_scale1_score(v), s, "spo2 {v}");
        }
    }

    #[test]
    fn spo2_scale2_boundaries_on_air_and_oxygen() {
        for oxygen in [Some(false), Some(true), None] {
            for (v, s) in [(70, 3), (83, 3), (84, 2), (85, 2), (86, 1), (87, 1), (88, 0), (92, 0)] {
                assert_eq!(spo2_scale2_score(v, oxygen), Some(s), "spo2 {v} oxygen {oxygen:?}");
            }
        }
        for v in [93, 97, 100] {
            assert_eq!(spo2_scale2_score(v, Some(false)), Some(0), "{v} on air");
            assert_eq!(spo2_scale2_score(v, None), None, "{v} with air/oxygen unknown");
        }
        for (v, s) in [(93, 1), (94, 1), (95, 2), (96, 2), (97, 3), (100, 3)] {
            assert_eq!(spo2_scale2_score(v, Some(true)), Some(s), "{v} on oxygen");
        }
    }

    #[test]
    fn air_or_oxygen() {
        assert_eq!(air_or_oxygen_score(false), 0);
        assert_eq!(air_or_oxygen_score(true), 2);
    }

    #[test]
    fn systolic_boundaries() {
        for (v, s) in
            [(60, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3), (260, 3)]
        {
            assert_eq!(systolic_bp_score(v), s, "systolic {v}");
        }
    }

    #[test]
    fn pulse_boundaries() {
        for (v, s) in [
            (30, 3),
            (40, 3),
            (41, 1),
            (50, 1),
            (51, 0),
            (90, 0),
            (91, 1),
            (110, 1),
            (111, 2),
            (130, 2),
            (131, 3),
            (180, 3),
        ] {
            assert_eq!(pulse_score(v), s, "pulse {v}");
        }
    }

    #[test]
    fn consciousness_acvpu() {
        assert_eq!(consciousness_score(Consciousness::Alert), 0);
        for c in [
            Consciousness::NewConfusion,
            Consciousness::Voice,
            Consciousness::Pain,
            Consciousness::Unresponsive,
        ] {
            assert_eq!(consciousness_score(c), 3, "{c:?}");
        }
        for (l, c) in [
            ("a", Consciousness::Alert),
            ("C", Consciousness::NewConfusion),
            ("U", Consciousness::Unresponsive),
        ] {
            assert_eq!(Consciousness::from_letter(l), Some(c));
        }
        assert_eq!(Consciousness::from_letter("X"), None);
    }

    #[test]
    fn temperature_boundaries() {
        for (v, s) in [
            (34.0, 3),
            (35.0, 3),
            (35.1, 1),
            (36.0, 1),
            (36.1, 0),
            (38.0, 0),
            (38.1, 1),
            (39.0, 1),
            (39.1, 2),
            (41.0, 2),
            // Charted to one decimal: 35.04 is 35.0, 38.04 is 38.0.
            (35.04, 3),
            (38.04, 0),
        ] {
            assert_eq!(temperature_score(v), s, "temp {v}");
        }
    }

    fn full(rr: u16, spo2: u16, o2: bool, sbp: u16, pulse: u16, c: Consciousness, t: f64) -> Observations {
        Observations {
            respiration_rate: Some(rr),
            spo2: Some(spo2),
            on_oxygen: Some(o2),
            systolic_bp: Some(sbp),
            pulse: Some(pulse),
            consciousness: Some(c),
            temperature: Some(t),
        }
    }

    #[test]
    fn aggregate_bands_and_responses() {
        use Consciousness::*;
        let s = score(&full(16, 97, false, 120, 70, Alert, 37.0), Spo2Scale::Scale1);
        assert_eq!((s.total, s.band, s.response, s.partial), (0, RiskBand::Low, Response::Routine, false));

        let s = score(&full(22, 97, false, 120, 95, Alert, 37.0), Spo2Scale::Scale1);
        assert_eq!((s.total, s.band, s.response), (3, RiskBand::Low, Response::RegisteredNurseAssessment));

        // 4 from several parameters, none scoring 3: still low.
        let s = score(&full(22, 94, false, 120, 95, Alert, 37.0), Spo2Scale::Scale1);
        assert_eq!((s.total, s.band), (4, RiskBand::Low));

        // One parameter scoring 3 with an aggregate of 3: low-medium, urgent clinical review.
        let s = score(&full(16, 97, false, 120, 70, NewConfusion, 37.0), Spo2Scale::Scale1);
        assert_eq!((s.total, s.band, s.response), (3, RiskBand::LowMedium, Response::UrgentClinicianReview));
        assert!(s.single_parameter_three);

        // 5 is the urgent threshold.
        let s = score(&full(22, 94, false, 120, 115, Alert, 37.0), Spo2Scale::Scale1);
        assert_eq!((s.total, s.band, s.response), (5, RiskBand::Medium, Response::UrgentReview));
        let s = score(&full(22, 94, false, 105, 115, Alert, 37.0), Spo2Scale::Scale1);
        assert_eq!((s.total, s.band), (6, RiskBand::Medium));

        // 7 or more: emergency.
        let s = score(&full(22, 94, true, 120, 115, Alert, 37.0), Spo2Scale::Scale1);
        assert_eq!((s.total, s.band, s.response), (7, RiskBand::High, Response::EmergencyResponse));

        // The maximum is 20.
        let s = score(&full(30, 80, true, 80, 150, Unresponsive, 34.0), Spo2Scale::Scale1);
        assert_eq!((s.total, s.band), (20, RiskBand::High));
    }

    #[test]
    fn scale2_changes_the_spo2_score() {
        use Consciousness::*;
        let obs = full(16, 90, false, 120, 70, Alert, 37.0);
        assert_eq!(score(&obs, Spo2Scale::Scale1).total, 3);
        assert_eq!(score(&obs, Spo2Scale::Scale2).total, 0);
        let obs = full(16, 97, true, 120, 70, Alert, 37.0);
        // Scale 2 on oxygen at 97%: SpO2 3 + oxygen 2.
        assert_eq!(score(&obs, Spo2Scale::Scale2).total, 5);
        assert_eq!(score(&obs, Spo2Scale::Scale1).total, 2);
    }

    #[test]
    fn a_missing_parameter_is_partial_never_low() {
        let obs = Observations { pulse: Some(70), on_oxygen: Some(false), ..Default::default() };
        let s = score(&obs, Spo2Scale::Scale1);
        assert!(s.partial);
        assert_eq!(s.total, 0);
        assert_eq!(s.missing.len(), 5);
        assert!(s.headline().contains("PARTIAL"), "{}", s.headline());
        assert!(!s.headline().contains("low risk"));

        let none = score(&Observations::default(), Spo2Scale::Scale1);
        assert!(none.partial);
        assert_eq!(none.missing, Parameter::ALL.to_vec());

        // Scale 2 above 92% with air/oxygen unknown: SpO2 cannot be scored.
        let obs = Observations { spo2: Some(95), ..Default::default() };
        let s = score(&obs, Spo2Scale::Scale2);
        assert!(s.missing.contains(&Parameter::Spo2));
    }

    #[test]
    fn impossible_values_are_refused() {
        let bad = Observations { spo2: Some(140), ..Default::default() };
        let e = bad.validate().unwrap_err();
        assert_eq!(e.parameter, "SpO2");
        assert!(e.to_string().contains("1 to 100"), "{e}");
        assert!(Observations { temperature: Some(f64::NAN), ..Default::default() }.validate().is_err());
        assert!(Observations { temperature: Some(50.0), ..Default::default() }.validate().is_err());
        assert!(Observations { pulse: Some(0), ..Default::default() }.validate().is_err());
        assert!(Observations { systolic_bp: Some(301), ..Default::default() }.validate().is_err());
        assert!(Observations { respiration_rate: Some(81), ..Default::default() }.validate().is_err());
        assert!(Observations { spo2: Some(100), pulse: Some(20), ..Default::default() }.validate().is_ok());
    }

    /// The advice line every shell shows under a score: the least that applies for an
    /// incomplete set, nothing while what is known scores 0, the advice for a complete one.
    #[test]
    fn advice_under_a_score_is_the_least_that_applies_for_an_incomplete_set() {
        let incomplete = score(
            &Observations { respiration_rate: Some(26), pulse: Some(120), ..Default::default() },
            Spo2Scale::Scale1,
        );
        let line = incomplete.advice_line().expect("an incomplete 5 still says what to do");
        assert!(line.starts_with("At least: "), "{line}");
        let zero = score(&Observations { pulse: Some(80), ..Default::default() }, Spo2Scale::Scale1);
        assert_eq!(zero.advice_line(), None, "no advice rests on an incomplete 0");
        let complete = score(
            &Observations {
                respiration_rate: Some(16),
                spo2: Some(97),
                on_oxygen: Some(false),
                systolic_bp: Some(130),
                pulse: Some(72),
                consciousness: Some(Consciousness::Alert),
                temperature: Some(36.8),
            },
            Spo2Scale::Scale1,
        );
        assert_eq!(complete.advice_line().as_deref(), complete.advice());
    }
}
