//! The one rule for showing a field where a silent winner is unsafe: it is either settled,
//! or disputed with every value, its author and its time. Automerge always has a winner;
//! no view may show it as the decision while the field is disputed, so every view reads
//! watched fields through [`WatchedRecord`], never from the record directly.

use crate::conflicts::{Conflict, ConflictValue};
use crate::documents::patient::{
    Allergy, AllergySeverity, CareFocus, CprDecision, CprRecommendation, Medicine, PatientRecord, Place,
    Route,
};
use serde::{Deserialize, Serialize};

/// A watched field as every view shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Watched<T> {
    /// One value (which may be "not recorded"): this is the decision.
    Settled { value: T },
    /// Clinicians disagree: every value, in the conflict's order. None is the decision.
    Disputed { label: String, values: Vec<ConflictValue> },
}

impl<T> Watched<T> {
    /// Settled with `value` unless a conflict is open on any of `fields` (record paths).
    pub fn of(value: T, conflicts: &[Conflict], fields: &[&str]) -> Self {
        match conflicts.iter().find(|c| fields.contains(&c.field.as_str())) {
            Some(c) => Watched::Disputed { label: c.label.clone(), values: c.values.clone() },
            None => Watched::Settled { value },
        }
    }

    /// The decision, or `None` while disputed.
    pub fn settled(&self) -> Option<&T> {
        match self {
            Watched::Settled { value } => Some(value),
            Watched::Disputed { .. } => None,
        }
    }

    pub fn is_disputed(&self) -> bool {
        matches!(self, Watched::Disputed { .. })
    }

    /// Every value while disputed; empty when settled.
    pub fn alternatives(&self) -> &[ConflictValue] {
        match self {
            Watched::Settled { .. } => &[],
            Watched::Disputed { values, .. } => values,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Watched<U> {
        match self {
            Watched::Settled { value } => Watched::Settled { value: f(value) },
            Watched::Disputed { label, values } => Watched::Disputed { label, values },
        }
    }

    /// How a clinician reads it: the value as `show` writes it, or "DISPUTED: a (who,
    /// when) / b (who, when)".
    pub fn describe(&self, show: impl FnOnce(&T) -> String) -> String {
        match self {
            Watched::Settled { value } => show(value),
            Watched::Disputed { values, .. } => format!("DISPUTED: {}", alternatives_text(values)),
        }
    }
}

/// "attempt CPR (Dr Tomasz Orrell, 2026-11-20 14:05) / do not attempt CPR (DNACPR) (Ada
/// Quill, 2026-11-20 14:07)".
pub fn alternatives_text(values: &[ConflictValue]) -> String {
    values.iter().map(alternative_text).collect::<Vec<_>>().join(" / ")
}

pub fn alternative_text(v: &ConflictValue) -> String {
    let who = v.by.as_ref().map(|b| b.name.clone()).unwrap_or_else(|| "unknown author".into());
    match v.at {
        Some(at) => format!("{} ({who}, {})", v.value, at.display()),
        None => format!("{} ({who})", v.value),
    }
}

/// The CPR line every banner, round card and printout shows.
pub fn cpr_banner(cpr: &Watched<Option<CprRecommendation>>) -> String {
    match cpr {
        Watched::Settled { value: Some(c) } => format!("CPR: {}", c.label()),
        Watched::Settled { value: None } => "CPR: no decision recorded".into(),
        Watched::Disputed { .. } => "CPR: DISPUTED — see conflicts".into(),
    }
}

/// A watched field clinicians disagree about: what it is and every value, with who and when.
/// None is the decision; a screen shows them all.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Disputed {
    pub label: String,
    pub values: Vec<ConflictValue>,
}

impl Disputed {
    /// Every value of `w` while disputed; `None` when settled.
    pub fn of<T>(w: &Watched<T>) -> Option<Self> {
        match w {
            Watched::Settled { .. } => None,
            Watched::Disputed { label, values } => {
                Some(Self { label: label.clone(), values: values.clone() })
            }
        }
    }
}

/// A record read with its open conflicts, so that each watched field comes out as
/// [`Watched`].
#[derive(Clone, Copy)]
pub struct WatchedRecord<'a> {
    record: &'a PatientRecord,
    conflicts: &'a [Conflict],
}

/// What a clinician may rely on of one medicine.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WatchedMedicine<'a> {
    pub dose: Watched<&'a str>,
    pub frequency: Watched<&'a str>,
    pub route: Watched<Route>,
    pub stopped: Watched<Option<&'a str>>,
    pub reason: Watched<Option<&'a str>>,
}

impl WatchedMedicine<'_> {
    /// Still being taken: not stopped, or its stopping is disputed (one clinician says it is
    /// current).
    pub fn is_current(&self) -> bool {
        !matches!(self.stopped, Watched::Settled { value: Some(_) })
    }

    pub fn is_disputed(&self) -> bool {
        self.dose.is_disputed()
            || self.frequency.is_disputed()
            || self.route.is_disputed()
            || self.stopped.is_disputed()
            || self.reason.is_disputed()
    }

    /// "40 mg oral once daily", with any disputed part written as such.
    pub fn dosage(&self) -> String {
        format!(
            "{} {} {}",
            self.dose.describe(|d| (*d).to_owned()),
            self.route.describe(|r| r.label().to_owned()),
            self.frequency.describe(|f| (*f).to_owned())
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WatchedAllergy<'a> {
    pub substance: Watched<&'a str>,
    pub reaction: Watched<Option<&'a str>>,
    pub severity: Watched<AllergySeverity>,
}

impl WatchedAllergy<'_> {
    pub fn is_disputed(&self) -> bool {
        self.substance.is_disputed() || self.reaction.is_disputed() || self.severity.is_disputed()
    }

    /// "Penicillin (rash), severe", with any disputed part written as such.
    pub fn line(&self) -> String {
        let mut out = self.substance.describe(|s| (*s).to_owned());
        match &self.reaction {
            Watched::Settled { value: None } => {}
            r => out.push_str(&format!(" ({})", r.describe(|r| r.unwrap_or("").to_owned()))),
        }
        match &self.severity {
            Watched::Settled { value: AllergySeverity::Unknown } => {}
            s => out.push_str(&format!(", severity {}", s.describe(|s| s.label().to_owned()))),
        }
        out
    }
}

impl<'a> WatchedRecord<'a> {
    pub fn new(record: &'a PatientRecord, conflicts: &'a [Conflict]) -> Self {
        Self { record, conflicts }
    }

    pub fn record(&self) -> &'a PatientRecord {
        self.record
    }

    pub fn conflicts(&self) -> &'a [Conflict] {
        self.conflicts
    }

    fn field<T>(&self, value: T, fields: &[&str]) -> Watched<T> {
        Watched::of(value, self.conflicts, fields)
    }

    pub fn cpr(&self) -> Watched<Option<&'a CprDecision>> {
        self.field(
            self.record.end_of_life.cpr.as_ref(),
            &["end_of_life/cpr", "end_of_life/cpr/recommendation"],
        )
    }

    pub fn cpr_recommendation(&self) -> Watched<Option<CprRecommendation>> {
        self.cpr().map(|c| c.map(|c| c.recommendation))
    }

    pub fn ceiling_of_treatment(&self) -> Watched<Option<&'a str>> {
        self.field(
            self.record.end_of_life.ceiling_of_treatment.as_deref(),
            &["end_of_life/ceiling_of_treatment"],
        )
    }

    pub fn care_focus(&self) -> Watched<Option<CareFocus>> {
        self.field(self.record.end_of_life.care_focus, &["end_of_life/care_focus"])
    }

    pub fn has_capacity(&self) -> Watched<Option<bool>> {
        self.field(self.record.end_of_life.has_capacity, &["end_of_life/has_capacity"])
    }

    pub fn preferred_place_of_death(&self) -> Watched<Option<Place>> {
        self.field(
            self.record.end_of_life.preferred_place_of_death,
            &["end_of_life/preferred_place_of_death"],
        )
    }

    pub fn preferred_place_of_death_second(&self) -> Watched<Option<Place>> {
        let e = &self.record.end_of_life;
        self.field(e.preferred_place_of_death_second, &["end_of_life/preferred_place_of_death_second"])
    }

    pub fn preferred_place_of_care(&self) -> Watched<Option<Place>> {
        self.field(self.record.end_of_life.preferred_place_of_care, &["end_of_life/preferred_place_of_care"])
    }

    pub fn preferred_place_of_care_second(&self) -> Watched<Option<Place>> {
        let e = &self.record.end_of_life;
        self.field(e.preferred_place_of_care_second, &["end_of_life/preferred_place_of_care_second"])
    }

    /// Whether readings are scored on Scale 2: only a settled Scale 2 counts.
    pub fn scale2(&self) -> Watched<bool> {
        self.field(self.record.spo2_scale.scale2, &["spo2_scale", "spo2_scale/scale2"])
    }

    pub fn consent_to_share(&self) -> Watched<Option<bool>> {
        self.field(self.record.consent.share_with_team, &["consent", "consent/share_with_team"])
    }

    /// The patient's answer about sharing with one other team (by TeamId, hex).
    pub fn consent_to_share_with(&self, team: &str) -> Watched<Option<bool>> {
        let agreed = self.record.consent.share_with_teams.get(team).map(|c| c.agreed);
        let (entry, field) =
            (format!("consent/share_with_teams/{team}"), format!("consent/share_with_teams/{team}/agreed"));
        self.field(agreed, &[entry.as_str(), field.as_str()])
    }

    pub fn national_data_opt_out(&self) -> Watched<Option<bool>> {
        self.field(self.record.consent.national_data_opt_out, &["consent", "consent/national_data_opt_out"])
    }

    pub fn medicine(&self, id: &str, m: &'a Medicine) -> WatchedMedicine<'a> {
        let path = |f: &str| format!("medicines/{id}/{f}");
        let (dose, frequency, route, stop, reason) =
            (path("dose"), path("frequency"), path("route"), path("stop_date"), path("change_reason"));
        WatchedMedicine {
            dose: self.field(m.dose.as_str(), &[&dose]),
            frequency: self.field(m.frequency.as_str(), &[&frequency]),
            route: self.field(m.route, &[&route]),
            stopped: self.field(m.stop_date.as_deref(), &[&stop]),
            reason: self.field(m.change_reason.as_deref(), &[&reason]),
        }
    }

    pub fn allergy(&self, id: &str, a: &'a Allergy) -> WatchedAllergy<'a> {
        let path = |f: &str| format!("allergies/{id}/{f}");
        let (substance, reaction, severity) = (path("substance"), path("reaction"), path("severity"));
        WatchedAllergy {
            substance: self.field(a.substance.as_str(), &[&substance]),
            reaction: self.field(a.reaction.as_deref(), &[&reaction]),
            severity: self.field(a.severity, &[&severity]),
        }
    }

    /// The medicines still being taken, each with what may be relied on of it.
    pub fn current_medicines(&self) -> Vec<(&'a str, &'a Medicine, WatchedMedicine<'a>)> {
        self.record
            .medicines
            .iter()
            .map(|(id, m)| (id.as_str(), m, self.medicine(id, m)))
            .filter(|(_, _, w)| w.is_current())
            .collect()
    }

    /// Every allergy, as the banner lists it.
    pub fn allergy_lines(&self) -> Vec<String> {
        self.record.allergies.iter().map(|(id, a)| self.allergy(id, a).line()).collect()
    }

    /// What each open conflict is about, for lists that name them.
    pub fn conflict_labels(&self) -> Vec<String> {
        self.conflicts.iter().map(|c| c.label.clone()).collect()
    }
}
