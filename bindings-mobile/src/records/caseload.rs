//! The caseload and the day: the core's own view types, derived for UniFFI in the core
//! (`hedgerow_core` namespace); nothing is restated here.

pub use hedgerow_core::conflicts::{Conflict, ConflictValue};
pub use hedgerow_core::ffi::{WatchedCprRecommendation, WatchedScale2};
pub use hedgerow_core::view::{DueTask, LatestNews2, PatientSummary, ReviewDue, VisitSummary};
pub use hedgerow_core::view::{ReviewDueToday, TaskDueToday, Today};
pub use hedgerow_core::workspace::{CareHome, OpenVisit};
