//! Clinical checks a shell runs as the clinician types, with no workspace and no waiting.

use crate::error::{HedgerowError, Result};
use crate::records::{News2Score, Observations};
use hedgerow_core::clinical::{NhsNumber, Spo2Scale, news2};

/// Checks an NHS number (Modulus 11) and returns it formatted as 3-3-4 digits.
#[uniffi::export]
pub fn check_nhs_number(text: String) -> Result<String> {
    text.parse::<NhsNumber>()
        .map(|n| n.to_string())
        .map_err(|e| HedgerowError::InvalidNhsNumber { detail: e.to_string() })
}

/// Scores observations while they are being typed, before anything is saved. Values no
/// living patient could have are refused, as `record_observations` refuses them.
#[uniffi::export]
pub fn score_news2(observations: Observations, scale2: bool) -> Result<News2Score> {
    let obs: news2::Observations = observations;
    obs.validate().map_err(|e| HedgerowError::ImpossibleObservation { detail: e.to_string() })?;
    let scale = if scale2 { Spo2Scale::Scale2 } else { Spo2Scale::Scale1 };
    Ok(news2::score(&obs, scale))
}
