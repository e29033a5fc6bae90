//! The core's closed vocabularies, which cross as UniFFI enums derived in the core itself
//! (its `uniffi` feature), each with `label()` in clinicians' words: nothing is restated here.

pub use hedgerow_core::clinical::news2::{
    Consciousness, Parameter as News2Parameter, Response as News2Response, RiskBand, Spo2Scale,
};
pub use hedgerow_core::view::Exudate;
pub use hedgerow_core::view::Role;
pub use hedgerow_core::view::{
    AlertKind, AllergySeverity, CareFocus, ContactRelationship, CprRecommendation, EntrySource, Gender,
    Involvement, Place, PlanStatus, Route, TaskStatus,
};
pub use hedgerow_core::view::{AuditAction, ReferralStatus};
pub use hedgerow_core::workspace::SyncPhase;
