//! Clinical rules: exact, pure, and tested at every boundary (see CLINICAL.md).

pub mod news2;
pub mod nhs_number;
pub mod roles;

pub use news2::{
    Consciousness, News2Score, ObservationError, Observations, Parameter, Response, RiskBand, Spo2Scale,
};
pub use nhs_number::{NhsNumber, NhsNumberError};
pub use roles::Action;
