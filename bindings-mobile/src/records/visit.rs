pub use hedgerow_core::clinical::news2::{ComponentScore, News2Score, Observations};
pub use hedgerow_core::view::{Addendum, Cancellation, Signature, VisitAction, WoundAssessment};
pub use hedgerow_core::workspace::NewWound as NewWoundAssessment;
pub use hedgerow_core::workspace::{
    RecordedObservations, ScoredObservations as ObservationSet, VisitView as Visit,
};
