//! EPaCCS core content and the ReSPECT form as shown: a CPR decision only when settled.

use super::{disputed, settled};
use crate::documents::patient::{CareFocus, CprRecommendation, Involvement, Place};
use crate::documents::{ClinicianRef, Timestamp};
use crate::view::{Disputed, Watched, WatchedRecord};
use serde::Serialize;

/// A watched item clinicians disagree about is `None` here and listed in `disputed` (the
/// CPR decision in `cpr_disputed`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct EndOfLife {
    /// Anything of an end of life plan is recorded.
    pub has_plan: bool,
    pub on_palliative_register: bool,
    pub preferred_place_of_care: Option<Place>,
    pub preferred_place_of_care_second: Option<Place>,
    pub preferred_place_of_death: Option<Place>,
    pub preferred_place_of_death_second: Option<Place>,
    pub cpr: Option<CprDecision>,
    pub cpr_disputed: Option<Disputed>,
    /// "CPR: do not attempt CPR (DNACPR)", "CPR: no decision recorded", or "CPR: DISPUTED —
    /// see conflicts" (the values are in `cpr_disputed`).
    pub cpr_banner: String,
    pub ceiling_of_treatment: Option<String>,
    /// Who set the ceiling and when; `None` while it is disputed.
    pub ceiling_set_by: Option<ClinicianRef>,
    pub ceiling_set_at: Option<Timestamp>,
    pub care_focus: Option<CareFocus>,
    pub care_focus_reasons: Option<String>,
    pub involvement: Option<Involvement>,
    pub involvement_detail: Option<String>,
    pub legal_proxy: Option<String>,
    pub advance_decision_location: Option<String>,
    pub summary: Option<String>,
    pub personal_preferences: Option<String>,
    pub people_to_involve: Vec<String>,
    pub has_capacity: Option<bool>,
    pub key_worker: Option<String>,
    pub hospice: Option<String>,
    pub anticipatory_medicines_prescribed: bool,
    pub anticipatory_medicines_location: Option<String>,
    pub respect_review_date: Option<String>,
    pub actual_place_of_death: Option<Place>,
    pub date_of_death: Option<String>,
    /// Every other end of life item clinicians disagree about.
    pub disputed: Vec<Disputed>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CprDecision {
    pub recommendation: CprRecommendation,
    pub made_by: ClinicianRef,
    pub made_at: Timestamp,
    pub discussed_with: Option<String>,
}

impl EndOfLife {
    pub(super) fn new(w: &WatchedRecord<'_>) -> Self {
        let e = &w.record().end_of_life;
        let cpr = w.cpr();
        let ceiling = w.ceiling_of_treatment();
        let (care, care2) = (w.preferred_place_of_care(), w.preferred_place_of_care_second());
        let (death, death2) = (w.preferred_place_of_death(), w.preferred_place_of_death_second());
        let (focus, capacity) = (w.care_focus(), w.has_capacity());
        let place = |p: &Watched<Option<Place>>| settled(p).flatten();
        Self {
            has_plan: w.record().end_of_life_care(),
            on_palliative_register: e.on_palliative_register,
            preferred_place_of_care: place(&care),
            preferred_place_of_care_second: place(&care2),
            preferred_place_of_death: place(&death),
            preferred_place_of_death_second: place(&death2),
            cpr: settled(&cpr).flatten().map(|c| CprDecision {
                recommendation: c.recommendation,
                made_by: c.made_by.clone(),
                made_at: c.made_at,
                discussed_with: c.discussed_with.clone(),
            }),
            cpr_disputed: Disputed::of(&cpr),
            cpr_banner: crate::view::cpr_banner(&w.cpr_recommendation()),
            ceiling_of_treatment: settled(&ceiling).flatten().map(str::to_owned),
            // Who set it is one side's while the ceiling is disputed.
            ceiling_set_by: e.ceiling_set_by.clone().filter(|_| !ceiling.is_disputed()),
            ceiling_set_at: e.ceiling_set_at.filter(|_| !ceiling.is_disputed()),
            care_focus: settled(&focus).flatten(),
            care_focus_reasons: e.care_focus_reasons.clone(),
            involvement: e.involvement,
            involvement_detail: e.involvement_detail.clone(),
            legal_proxy: e.legal_proxy.clone(),
            advance_decision_location: e.advance_decision_location.clone(),
            summary: e.summary.clone(),
            personal_preferences: e.personal_preferences.clone(),
            people_to_involve: e.people_to_involve.clone(),
            has_capacity: settled(&capacity).flatten(),
            key_worker: e.key_worker.clone(),
            hospice: e.hospice.clone(),
            anticipatory_medicines_prescribed: e.anticipatory_medicines_prescribed,
            anticipatory_medicines_location: e.anticipatory_medicines_location.clone(),
            respect_review_date: e.respect_review_date.clone(),
            actual_place_of_death: e.actual_place_of_death,
            date_of_death: e.date_of_death.clone(),
            disputed: disputed(&[
                Disputed::of(&ceiling),
                Disputed::of(&care),
                Disputed::of(&care2),
                Disputed::of(&death),
                Disputed::of(&death2),
                Disputed::of(&focus),
                Disputed::of(&capacity),
            ]),
        }
    }
}
