//! A patient's vital signs over time, for the observations chart.

use super::{ScoredObservations, Workspace};
use crate::error::Result;
use crate::ids::PatientId;

impl Workspace {
    /// Every set of observations on the patient's visits held on this device, oldest
    /// first, each scored on the SpO2 scale in force when it was taken.
    pub async fn observation_history(&self, patient: PatientId) -> Result<Vec<ScoredObservations>> {
        let (_, visits) = self.record_and_visits(patient, None).await?;
        let mut all: Vec<ScoredObservations> =
            visits.iter().flat_map(|note| note.observation_sets()).map(ScoredObservations::of).collect();
        all.sort_by_key(|s| s.recorded_at);
        Ok(all)
    }
}
