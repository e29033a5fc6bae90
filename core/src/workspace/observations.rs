//! A patient's vital signs over time, for the observations chart.

use super::{Context, ScoredObservations};
use crate::error::Result;
use crate::ids::PatientId;

pub(super) async fn observation_history(cx: &Context, patient: PatientId) -> Result<Vec<ScoredObservations>> {
    let (_, visits) = super::exports::record_and_visits(cx, patient, None).await?;
    let mut all: Vec<ScoredObservations> =
        visits.iter().flat_map(|note| note.observation_sets()).map(ScoredObservations::of).collect();
    all.sort_by_key(|s| s.recorded_at);
    Ok(all)
}
