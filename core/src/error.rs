//! Errors at the core's boundary: each says what is wrong and, where it can, what to do.

use crate::clinical::{NhsNumberError, ObservationError};
use crate::crypto::CryptoError;
use crate::documents::DocumentError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("there is no Hedgerow workspace in {0}: run `hedgerow init` first")]
    NoWorkspace(PathBuf),
    #[error("a Hedgerow workspace already exists in {0}")]
    AlreadyExists(PathBuf),
    #[error("the passphrase is wrong; nothing was changed")]
    WrongPassphrase,
    #[error(
        "the workspace in {0} was never finished being set up (interrupted `hedgerow init`?); move it aside and run `hedgerow init` again"
    )]
    Incomplete(PathBuf),
    #[error("the store is damaged: {0}. Nothing was changed; restore from a backup or sync from the team.")]
    Corrupt(String),
    #[error("the disk is full: the change was not saved. Free some space and try again.")]
    DiskFull,
    #[error("the store could not be read or written: {0}")]
    Database(#[source] sqlx::Error),
    #[error("could not migrate the store: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Document(Box<DocumentError>),
    #[error(transparent)]
    NhsNumber(Box<NhsNumberError>),
    #[error(transparent)]
    Observation(Box<ObservationError>),
    #[error("a patient with NHS number {0} is already on this workspace")]
    DuplicatePatient(String),
    #[error("no patient with NHS number {0} on this workspace")]
    UnknownPatient(String),
    #[error("no visit {0} on this workspace")]
    UnknownVisit(String),
    #[error("visit {0} is signed: its note can no longer be changed (corrections are added as addenda)")]
    VisitSigned(String),
    #[error("visit {0} was cancelled: start a new visit to record anything")]
    VisitCancelled(String),
    #[error(
        "this visit has typed entries that are not saved ({0}): save them first, so that what is signed is everything recorded"
    )]
    UnsavedVisitDraft(String),
    #[error(
        "this patient is not on your team's caseload: opening the record is break-glass access, which needs a reason and is flagged for review"
    )]
    BreakGlassRequired,
    #[error("a {} may not {}: {} may", role.label(), action.label(), action.who_may())]
    NotPermitted { role: crate::documents::Role, action: crate::clinical::Action },
    #[error("export refused: {0}")]
    ExportRefused(String),
    #[error("import refused: {0}")]
    ImportRefused(String),
    /// What a clinician or operator typed or asked for cannot be done as it is.
    #[error("{0}")]
    Input(String),
    /// The relay, another device or a document export sent something that does not check
    /// out: it was refused and nothing of it kept.
    #[error("refused what {sender} sent: {detail}")]
    Protocol { sender: Sender, detail: String },
    /// A fault in Hedgerow itself, not in what anyone typed or sent.
    #[error("internal error: {0}")]
    Internal(String),
    /// A document from outside the team's signed sync, refused unless taken in for review.
    #[error("{0}")]
    Unauthenticated(String),
    #[error(transparent)]
    Sync(Box<crate::sync::transport::TransportError>),
    #[error("direct sync: {0}")]
    Peer(String),
    #[error("{0}")]
    Crypto(CryptoError),
    #[error("file system error: {0}")]
    Io(#[from] std::io::Error),
}

/// Who sent what was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sender {
    Relay,
    /// A team device in a direct sync, by its endpoint id (hex).
    Device(String),
    /// A document export or a file brought in by hand.
    Export,
    /// Another team's sharing card, pasted or scanned.
    TeamCard,
}

impl std::fmt::Display for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sender::Relay => f.write_str("the relay"),
            Sender::Device(id) => write!(f, "team device {}", id.get(..12).unwrap_or(id)),
            Sender::Export => f.write_str("a document export"),
            Sender::TeamCard => f.write_str("a team card"),
        }
    }
}

impl Error {
    /// The relay sent something that does not check out.
    pub fn from_relay(detail: impl Into<String>) -> Self {
        Error::Protocol { sender: Sender::Relay, detail: detail.into() }
    }

    /// A team device in a direct sync sent something that does not check out.
    pub fn from_device(device: &[u8; 32], detail: impl Into<String>) -> Self {
        Error::Protocol { sender: Sender::Device(hex::encode(device)), detail: detail.into() }
    }

    /// A document export does not check out.
    pub fn from_export(detail: impl Into<String>) -> Self {
        Error::Protocol { sender: Sender::Export, detail: detail.into() }
    }
}

macro_rules! boxed_from {
    ($($source:ty => $variant:ident),+) => {
        $(impl From<$source> for Error {
            fn from(e: $source) -> Self {
                Error::$variant(Box::new(e))
            }
        })+
    };
}
boxed_from!(DocumentError => Document, NhsNumberError => NhsNumber, ObservationError => Observation);

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<CryptoError> for Error {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::WrongPassphrase => Error::WrongPassphrase,
            CryptoError::Tampered | CryptoError::UnknownFormat(_) => Error::Corrupt(e.to_string()),
            other => Error::Crypto(other),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        // SQLite primary result codes: 11 CORRUPT, 13 FULL, 26 NOTADB.
        if let sqlx::Error::Database(db) = &e
            && let Some(code) = db.code().and_then(|c| c.parse::<i32>().ok())
        {
            match code & 0xff {
                11 | 26 => return Error::Corrupt(db.message().to_owned()),
                13 => return Error::DiskFull,
                _ => {}
            }
        }
        Error::Database(e)
    }
}

impl From<crate::sync::transport::TransportError> for Error {
    /// A failure of this device's own during a sync (a full disk, a damaged store) keeps its
    /// type, so a shell says "the disk is full", not "sync failed".
    fn from(e: crate::sync::transport::TransportError) -> Self {
        match e {
            crate::sync::transport::TransportError::Handler(own) => *own,
            other => Error::Sync(Box::new(other)),
        }
    }
}
