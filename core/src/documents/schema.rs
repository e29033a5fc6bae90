//! Shared building blocks of the documents: the schema header, timestamps, closed
//! vocabularies stored as strings, and who-did-it references.

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, stored as an Automerge timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        Self(chrono::Utc::now().timestamp_millis())
    }
    pub fn to_datetime(self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_millis(self.0).unwrap_or_default()
    }
    /// As clinicians read it, in the device's local time: `2026-11-22 14:05`.
    pub fn display(self) -> String {
        self.to_datetime().with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string()
    }
}

impl Reconcile for Timestamp {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.timestamp(self.0)
    }
}

impl Hydrate for Timestamp {
    fn hydrate_timestamp(t: i64) -> Result<Self, HydrateError> {
        Ok(Self(t))
    }
    fn hydrate_int(t: i64) -> Result<Self, HydrateError> {
        Ok(Self(t))
    }
}

/// A closed list of values stored as fixed strings; shells parse user input with it.
pub trait Vocabulary: Sized + Copy + 'static {
    fn parse(s: &str) -> Option<Self>;
    /// The allowed values, comma-separated, for error messages.
    fn allowed() -> String;
}

/// Declares a closed vocabulary stored in documents as a fixed lowercase string.
/// Each word may give `as "label"`, how clinicians read it; without one the stored word is
/// the label.
macro_rules! vocabulary {
    (@label $s:literal) => { $s };
    (@label $s:literal, $label:literal) => { $label };
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $variant:ident => $s:literal $(as $label:literal)?),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $variant),+ }

        // The shells get the words too: `label()` is a method in Kotlin and Swift.
        #[cfg(feature = "uniffi")]
        #[uniffi::export]
        impl $name {
            /// In clinicians' words, for screens.
            #[uniffi::method(name = "label")]
            pub fn ffi_label(&self) -> String {
                self.label().to_owned()
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            /// In clinicians' words, for screens and printouts (never parsed back).
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $crate::documents::schema::vocabulary!(@label $s $(, $label)?)),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
            /// The allowed values, for error messages.
            pub fn allowed() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::documents::schema::Vocabulary for $name {
            fn parse(s: &str) -> Option<Self> {
                $name::parse(s)
            }
            fn allowed() -> String {
                $name::allowed()
            }
        }

        impl autosurgeon::Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: autosurgeon::Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
                r.str(self.as_str())
            }
        }

        impl autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
                Self::parse(s).ok_or_else(|| {
                    autosurgeon::HydrateError::unexpected(format!("one of: {}", Self::allowed()), s.to_owned())
                })
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary! {
    /// What a clinician is, in the team's words.
    pub enum Role {
        DistrictNurse => "district-nurse" as "district nurse",
        CommunityNurse => "community-nurse" as "community nurse",
        Gp => "gp" as "GP",
        HospiceNurse => "hospice-nurse" as "hospice nurse",
        PalliativeConsultant => "palliative-consultant" as "palliative care consultant",
        Paramedic => "paramedic",
        HealthcareAssistant => "healthcare-assistant" as "healthcare assistant",
        Therapist => "therapist",
        CareHomeStaff => "care-home-staff" as "care-home staff",
        Carer => "carer",
        Family => "family" as "family member",
        Admin => "admin" as "administrator",
    }
}

/// Who did something, as it stood when they did it (names change; ids do not).
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ClinicianRef {
    /// ClinicianId as 32 hex characters.
    pub id: String,
    pub name: String,
    pub role: Role,
    /// NMC PIN, GMC number or HCPC registration as it was when they acted, so that every
    /// CPR decision, ceiling of treatment and signature carries it. Absent in records
    /// written before it was kept; left out of signed bodies when absent, so that those
    /// signatures still verify.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<String>,
}

/// The message every change carries: what was done, by whom, from which device. It makes
/// any change attributable from the document alone, before the team document has synced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeNote {
    pub action: String,
    pub by: ClinicianRef,
    /// DeviceId, hex.
    pub device: String,
}

impl ChangeNote {
    pub fn to_message(&self) -> String {
        serde_json::to_string(self).expect("JSON of plain values")
    }

    /// `None` for a change written by something other than Hedgerow.
    pub fn parse(message: &str) -> Option<Self> {
        serde_json::from_str(message).ok()
    }
}

/// The kinds of document Hedgerow keeps: the protocol's tag.
pub use hedgerow_protocol::DocumentKind;

/// The newest schema version of `kind` that this build reads and writes.
pub fn current_schema(kind: DocumentKind) -> u64 {
    match kind {
        DocumentKind::Patient => super::patient::SCHEMA_VERSION,
        DocumentKind::Visit => super::visit::SCHEMA_VERSION,
        DocumentKind::Team => super::team::SCHEMA_VERSION,
    }
}

/// Why a document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(
        "this {kind} document has schema version {found}, newer than this version of Hedgerow reads ({supported}); update Hedgerow to open it"
    )]
    NewerSchema { kind: DocumentKind, found: u64, supported: u64 },
    #[error("not a Hedgerow {expected} document: {reason}")]
    NotHedgerow { expected: DocumentKind, reason: String },
    #[error("the {kind} document does not match its schema: {source}")]
    Malformed {
        kind: DocumentKind,
        #[source]
        source: HydrateError,
    },
    #[error("the document could not be changed: {0}")]
    Write(#[from] autosurgeon::ReconcileError),
    #[error("the Automerge data is unreadable: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

/// Reads the header (`kind`, `schema`) before anything else, so that a newer document is
/// refused whole instead of half-read.
pub fn check_header<D: autosurgeon::ReadDoc>(doc: &D, expected: DocumentKind) -> Result<u64, DocumentError> {
    use automerge::{ROOT, ScalarValue, Value};
    let kind = match doc.get(&ROOT, "kind")? {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(k) => k.to_string(),
            _ => return Err(not_hedgerow(expected, "its kind is not a string")),
        },
        _ => return Err(not_hedgerow(expected, "it has no kind")),
    };
    if kind != expected.as_str() {
        return Err(not_hedgerow(expected, &format!("it is a '{kind}' document")));
    }
    let schema = match doc.get(&ROOT, "schema")? {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Uint(v) => *v,
            ScalarValue::Int(v) if *v >= 0 => *v as u64,
            _ => return Err(not_hedgerow(expected, "its schema version is not a whole number")),
        },
        _ => return Err(not_hedgerow(expected, "it has no schema version")),
    };
    let supported = current_schema(expected);
    if schema > supported {
        return Err(DocumentError::NewerSchema { kind: expected, found: schema, supported });
    }
    if schema == 0 {
        return Err(not_hedgerow(expected, "schema version 0 does not exist"));
    }
    Ok(schema)
}

fn not_hedgerow(expected: DocumentKind, reason: &str) -> DocumentError {
    DocumentError::NotHedgerow { expected, reason: reason.to_owned() }
}

/// Hydrates a whole document after checking its header.
pub fn read<T: Hydrate, D: autosurgeon::ReadDoc>(doc: &D, kind: DocumentKind) -> Result<T, DocumentError> {
    check_header(doc, kind)?;
    autosurgeon::hydrate(doc).map_err(|source| DocumentError::Malformed { kind, source })
}
