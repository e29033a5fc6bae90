pub use hedgerow_core::Identity;
pub use hedgerow_core::view::{Referral, ReferralSummary};
pub use hedgerow_core::workspace::Revocation;
pub use hedgerow_core::workspace::{
    DeviceListing as Device, Invitation, PeerReport, ReferralSent, SyncPathView as SyncPathHistory,
    SyncProgress, SyncReport, TeamCardView,
};
