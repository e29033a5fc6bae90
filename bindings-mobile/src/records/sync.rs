pub use hedgerow_core::Identity;
pub use hedgerow_core::workspace::Revocation;
pub use hedgerow_core::workspace::{
    DeviceListing as Device, Invitation, PeerReport, SyncPathView as SyncPathHistory, SyncProgress,
    SyncReport, TeamCardView,
};
