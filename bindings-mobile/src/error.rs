//! The one error type the shells see. Each variant is a kind of failure a screen handles
//! differently; `detail` is the core's own sentence, written for the clinician.

use hedgerow_core::Error;

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum HedgerowError {
    #[error("{detail}")]
    WrongPassphrase { detail: String },
    #[error("{detail}")]
    NoWorkspace { detail: String },
    #[error("{detail}")]
    AlreadyExists { detail: String },
    /// The workspace has been locked; unlock it again with `open_workspace`.
    #[error("{detail}")]
    Locked { detail: String },
    #[error("{detail}")]
    InvalidNhsNumber { detail: String },
    /// A vital sign no living patient could have, or a typing slip.
    #[error("{detail}")]
    ImpossibleObservation { detail: String },
    /// Anything else the clinician typed that cannot be accepted as it is.
    #[error("{detail}")]
    Invalid { detail: String },
    #[error("{detail}")]
    DuplicatePatient { detail: String },
    #[error("{detail}")]
    UnknownPatient { detail: String },
    #[error("{detail}")]
    UnknownVisit { detail: String },
    /// The visit is signed: corrections go in as addenda.
    #[error("{detail}")]
    VisitSigned { detail: String },
    /// The patient is not on the team's caseload: open with a reason (break-glass).
    #[error("{detail}")]
    BreakGlassRequired { detail: String },
    #[error("{detail}")]
    ExportRefused { detail: String },
    /// A bundle that may be another person's record (NHS number matches, demographics do not).
    #[error("{detail}")]
    ImportRefused { detail: String },
    /// This device's clinician role may not do this (e.g. a carer recording a CPR decision).
    #[error("{detail}")]
    NotPermitted { detail: String },
    #[error("{detail}")]
    DiskFull { detail: String },
    /// The store or a document is damaged; nothing was changed.
    #[error("{detail}")]
    Damaged { detail: String },
    #[error("{detail}")]
    Storage { detail: String },
    /// Sync with the relay or another device failed; nothing already saved is lost.
    #[error("{detail}")]
    Sync { detail: String },
    /// Another device, the relay or a document export sent something that does not check
    /// out; it was refused and nothing of it kept. `sender` says which, in words.
    #[error("{detail}")]
    Refused { detail: String, sender: String },
    /// A document no device of the team signed: take it in only for review, with a reason.
    #[error("{detail}")]
    Unauthenticated { detail: String },
    #[error("{detail}")]
    Internal { detail: String },
}

impl From<Error> for HedgerowError {
    fn from(e: Error) -> Self {
        let detail = e.to_string();
        match e {
            Error::WrongPassphrase => Self::WrongPassphrase { detail },
            Error::NoWorkspace(_) => Self::NoWorkspace { detail },
            Error::AlreadyExists(_) => Self::AlreadyExists { detail },
            Error::NhsNumber(_) => Self::InvalidNhsNumber { detail },
            Error::Observation(_) => Self::ImpossibleObservation { detail },
            Error::Input(_) | Error::VisitCancelled(_) | Error::UnsavedVisitDraft(_) => {
                Self::Invalid { detail }
            }
            Error::DuplicatePatient(_) => Self::DuplicatePatient { detail },
            Error::UnknownPatient(_) => Self::UnknownPatient { detail },
            Error::UnknownVisit(_) => Self::UnknownVisit { detail },
            Error::VisitSigned(_) => Self::VisitSigned { detail },
            Error::BreakGlassRequired => Self::BreakGlassRequired { detail },
            Error::ExportRefused(_) => Self::ExportRefused { detail },
            Error::ImportRefused(_) => Self::ImportRefused { detail },
            Error::NotPermitted { .. } => Self::NotPermitted { detail },
            Error::DiskFull => Self::DiskFull { detail },
            Error::Corrupt(_) | Error::Incomplete(_) | Error::Migration(_) | Error::Document(_) => {
                Self::Damaged { detail }
            }
            Error::Database(_) | Error::Io(_) | Error::Crypto(_) => Self::Storage { detail },
            Error::Sync(_) | Error::Peer(_) => Self::Sync { detail },
            Error::Protocol { sender, .. } => Self::Refused { detail, sender: sender.to_string() },
            Error::Unauthenticated(_) => Self::Unauthenticated { detail },
            Error::Internal(_) => Self::Internal { detail },
        }
    }
}

impl HedgerowError {
    pub(crate) fn invalid(detail: impl Into<String>) -> Self {
        Self::Invalid { detail: detail.into() }
    }
}

pub(crate) type Result<T, E = HedgerowError> = std::result::Result<T, E>;
