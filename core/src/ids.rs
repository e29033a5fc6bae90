//! Random 128-bit identifiers. An id says nothing about the patient it names.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a Hedgerow id (32 hexadecimal characters)")]
pub struct BadId(pub String);

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            pub fn random() -> Self {
                Self(crate::crypto::random_bytes::<16>().expect("system random source"))
            }
            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                Some(Self(bytes.try_into().ok()?))
            }
            pub fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
        }

        impl FromStr for $name {
            type Err = BadId;
            fn from_str(s: &str) -> Result<Self, BadId> {
                let bytes = hex::decode(s.trim()).map_err(|_| BadId(s.to_owned()))?;
                Self::from_slice(&bytes).ok_or_else(|| BadId(s.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_hex())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// A patient record document.
    PatientId
);
id_type!(
    /// A visit note document.
    VisitId
);
id_type!(
    /// A team document.
    TeamId
);
id_type!(
    /// A clinician (a person, across all their devices).
    ClinicianId
);
id_type!(
    /// One device (laptop or phone) of a clinician.
    DeviceId
);

/// A fresh id for an entry inside a document (a problem, a medicine, a task).
pub fn entry_id() -> String {
    hex::encode(crate::crypto::random_bytes::<8>().expect("system random source"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_as_hex_and_reject_garbage() {
        let id = PatientId::random();
        assert_eq!(id.to_hex().len(), 32);
        assert_eq!(id.to_hex().parse::<PatientId>().unwrap(), id);
        assert!("xyz".parse::<PatientId>().is_err());
        assert!("abcd".parse::<PatientId>().is_err());
        assert_ne!(PatientId::random(), PatientId::random());
    }
}
