//! End of life and ReSPECT on the record: the CPR recommendation (each decision a new entry,
//! with its clinical reason), the plan's other items, and a death.

use super::Context;
use super::record::{date, required};
use crate::clinical::Action;
use crate::documents::patient::*;
use crate::error::{Error, Result};
use crate::ids::PatientId;
use chrono::NaiveDate;

#[derive(Clone, Debug, Default)]
pub struct EndOfLifeUpdate {
    pub on_palliative_register: Option<bool>,
    pub preferred_place_of_care: Option<Place>,
    pub preferred_place_of_care_second: Option<Place>,
    pub preferred_place_of_death: Option<Place>,
    pub preferred_place_of_death_second: Option<Place>,
    pub ceiling_of_treatment: Option<String>,
    pub summary: Option<String>,
    pub personal_preferences: Option<String>,
    pub people_to_involve: Option<Vec<String>>,
    pub has_capacity: Option<bool>,
    pub key_worker: Option<String>,
    pub hospice: Option<String>,
    pub anticipatory_medicines_location: Option<String>,
    pub respect_review_date: Option<NaiveDate>,
    pub care_focus: Option<CareFocus>,
    pub care_focus_reasons: Option<String>,
    pub involvement: Option<Involvement>,
    pub involvement_detail: Option<String>,
    pub legal_proxy: Option<String>,
    pub advance_decision_location: Option<String>,
}

impl EndOfLifeUpdate {
    fn is_empty(&self) -> bool {
        let Self {
            on_palliative_register,
            preferred_place_of_care,
            preferred_place_of_care_second,
            preferred_place_of_death,
            preferred_place_of_death_second,
            ceiling_of_treatment,
            summary,
            personal_preferences,
            people_to_involve,
            has_capacity,
            key_worker,
            hospice,
            anticipatory_medicines_location,
            respect_review_date,
            care_focus,
            care_focus_reasons,
            involvement,
            involvement_detail,
            legal_proxy,
            advance_decision_location,
        } = self;
        on_palliative_register.is_none()
            && preferred_place_of_care.is_none()
            && preferred_place_of_care_second.is_none()
            && preferred_place_of_death.is_none()
            && preferred_place_of_death_second.is_none()
            && ceiling_of_treatment.is_none()
            && summary.is_none()
            && personal_preferences.is_none()
            && people_to_involve.is_none()
            && has_capacity.is_none()
            && key_worker.is_none()
            && hospice.is_none()
            && anticipatory_medicines_location.is_none()
            && respect_review_date.is_none()
            && care_focus.is_none()
            && care_focus_reasons.is_none()
            && involvement.is_none()
            && involvement_detail.is_none()
            && legal_proxy.is_none()
            && advance_decision_location.is_none()
    }
}

pub(super) async fn set_cpr(
    cx: &Context,
    patient: PatientId,
    recommendation: CprRecommendation,
    discussed_with: Option<String>,
    reason: &str,
) -> Result<()> {
    cx.permit(Action::RecordCprDecision, Some(patient)).await?;
    let reason = required(reason, "the reason for the CPR decision")?;
    let action = format!("record CPR recommendation: {}; reason: {reason}", recommendation.label());
    cx.edit_patient_doc(patient, &action, &["end_of_life"], |doc, record, by, at| {
        use automerge::{ObjType, ROOT, ReadDoc, transaction::Transactable};
        let eol = match doc.get(&ROOT, "end_of_life").map_err(crate::documents::DocumentError::from)? {
            Some((automerge::Value::Object(_), id)) => id,
            _ => return Err(Error::Corrupt("the record has no end of life section".into())),
        };
        doc.put_object(&eol, "cpr", ObjType::Map).map_err(crate::documents::DocumentError::from)?;
        record.end_of_life.cpr =
            Some(CprDecision { recommendation, made_by: by.clone(), made_at: at, discussed_with });
        Ok(())
    })
    .await
}

pub(super) async fn update_end_of_life(cx: &Context, patient: PatientId, u: EndOfLifeUpdate) -> Result<()> {
    if u.is_empty() {
        return Err(Error::Input("nothing to change in the end of life plan".into()));
    }
    if u.ceiling_of_treatment.is_some() {
        cx.permit(Action::SetCeilingOfTreatment, Some(patient)).await?;
    }
    cx.permit(Action::UpdateEndOfLifePlan, Some(patient)).await?;
    let ceiling = u.ceiling_of_treatment.map(|c| required(&c, "the ceiling of treatment")).transpose()?;
    cx.edit_patient(patient, "update end of life plan", |record, by, at| {
        let e = &mut record.end_of_life;
        fn set<T>(slot: &mut Option<T>, v: Option<T>) {
            if v.is_some() {
                *slot = v;
            }
        }
        if let Some(r) = u.on_palliative_register {
            e.on_palliative_register = r;
        }
        if let Some(c) = ceiling {
            e.ceiling_of_treatment = Some(c);
            e.ceiling_set_by = Some(by.clone());
            e.ceiling_set_at = Some(at);
        }
        set(&mut e.preferred_place_of_care, u.preferred_place_of_care);
        set(&mut e.preferred_place_of_care_second, u.preferred_place_of_care_second);
        set(&mut e.preferred_place_of_death, u.preferred_place_of_death);
        set(&mut e.preferred_place_of_death_second, u.preferred_place_of_death_second);
        set(&mut e.summary, u.summary);
        set(&mut e.personal_preferences, u.personal_preferences);
        set(&mut e.has_capacity, u.has_capacity);
        set(&mut e.key_worker, u.key_worker);
        set(&mut e.hospice, u.hospice);
        set(&mut e.care_focus, u.care_focus);
        set(&mut e.care_focus_reasons, u.care_focus_reasons);
        set(&mut e.involvement, u.involvement);
        set(&mut e.involvement_detail, u.involvement_detail);
        set(&mut e.legal_proxy, u.legal_proxy);
        set(&mut e.advance_decision_location, u.advance_decision_location);
        if let Some(loc) = u.anticipatory_medicines_location {
            e.anticipatory_medicines_prescribed = true;
            e.anticipatory_medicines_location = Some(loc);
        }
        set(&mut e.respect_review_date, u.respect_review_date.map(date));
        if let Some(people) = u.people_to_involve {
            e.people_to_involve = people;
        }
        Ok(())
    })
    .await
}

pub(super) async fn record_death(
    cx: &Context,
    patient: PatientId,
    place: Place,
    date_of_death: NaiveDate,
) -> Result<()> {
    cx.permit(Action::RecordDeath, Some(patient)).await?;
    if date_of_death > chrono::Local::now().date_naive() {
        return Err(Error::Input(format!("date of death {date_of_death} is in the future")));
    }
    cx.edit_patient(patient, "record death", |record, by, _| {
        let e = &mut record.end_of_life;
        e.actual_place_of_death = Some(place);
        e.date_of_death = Some(date(date_of_death));
        e.death_recorded_by = Some(by.clone());
        Ok(())
    })
    .await
}
