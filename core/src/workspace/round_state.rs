//! The care-home round in progress, kept on this device, so that locking (or the app closing)
//! part-way through a round does not lose the clinician's place in it.

use super::Context;
use crate::error::{Error, Result};
use crate::ids::PatientId;
use serde::{Deserialize, Serialize};

const ROUND: &str = "round-in-progress";

/// Which home, and the resident the clinician was at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundInProgress {
    pub home: String,
    pub resident: Option<PatientId>,
}

pub(super) async fn keep_round(cx: &Context, round: Option<&RoundInProgress>) -> Result<()> {
    let mut tx = cx.store.begin_write().await?;
    match round {
        Some(r) => tx.put_setting(ROUND, &postcard::to_stdvec(r).expect("encodes")).await?,
        None => tx.delete_setting(ROUND).await?,
    }
    tx.commit().await
}

pub(super) async fn round_in_progress(cx: &Context) -> Result<Option<RoundInProgress>> {
    let mut rx = cx.store.begin_read().await?;
    rx.setting(ROUND)
        .await?
        .map(|b| postcard::from_bytes(&b).map_err(|e| Error::Corrupt(format!("the round in progress: {e}"))))
        .transpose()
}
