//! Enrolment messages: the invite code a new device is given and the offer sealed to it.
//!
//! The invite code carries a random secret. From it come a signing key, whose public half
//! the admin publishes in the invite, and a key that seals the offer: the team's keys, its
//! team document, and what the new device must find at the start of the team's registry.
//! A join counts only with the invite key's signature over the joining device, so only a
//! holder of the code can claim the invite; the relay hands the sealed offer to that
//! device alone, and only a holder of the code can open it.

use crate::crypto::{CryptoError, DeviceKey, Sealer, hkdf32, random_bytes};
use crate::registry::{SignedStatement, join_proof};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroizing;

const CODE_PREFIX: &str = "HR1-";

/// A one-time enrolment code: the team and the invite secret.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteCode {
    pub team: [u8; 16],
    secret: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InviteCode(team {})", hex::encode(self.team))
    }
}

impl fmt::Display for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{CODE_PREFIX}{}{}", hex::encode(self.team), hex::encode(*self.secret))
    }
}

impl FromStr for InviteCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            "not an enrolment code: it starts HR1- and has 96 hexadecimal characters after that".to_owned()
        };
        let compact: String = s.trim().chars().filter(|c| !c.is_whitespace()).collect();
        let body = compact.strip_prefix(CODE_PREFIX).ok_or_else(bad)?;
        let bytes = hex::decode(body).map_err(|_| bad())?;
        if bytes.len() != 48 {
            return Err(bad());
        }
        let mut secret = Zeroizing::new([0u8; 32]);
        secret.copy_from_slice(&bytes[16..]);
        Ok(Self { team: bytes[..16].try_into().expect("16 bytes"), secret })
    }
}

impl InviteCode {
    pub fn generate(team: [u8; 16]) -> Result<Self, CryptoError> {
        Ok(Self { team, secret: Zeroizing::new(random_bytes::<32>()?) })
    }

    /// The invite's signing key, from the secret: its public half is published in the
    /// invite, and it signs the joining device.
    fn signing_key(&self) -> DeviceKey {
        let seed = hkdf32(self.secret.as_slice(), b"hedgerow invite", b"signing key");
        DeviceKey::from_seed(*seed).expect("any 32 bytes are an Ed25519 seed")
    }

    /// What the relay and the registry see of the invite: its public key.
    pub fn key(&self) -> [u8; 32] {
        self.signing_key().public_key()
    }

    /// The invite key's signature that lets `device` (with these keys) join.
    pub fn proof(&self, device: &[u8; 32], x25519: &[u8; 32], actor: &[u8; 16]) -> Vec<u8> {
        self.signing_key().sign(&join_proof(&self.team, device, x25519, actor)).to_vec()
    }

    fn sealer(&self) -> Sealer {
        Sealer::new(&hkdf32(self.secret.as_slice(), b"hedgerow invite", b"offer"))
    }

    pub fn seal_offer(&self, offer: &Offer) -> Result<Vec<u8>, CryptoError> {
        let plain = Zeroizing::new(postcard::to_stdvec(offer).expect("encoding to a Vec cannot fail"));
        self.sealer().seal(&self.team, &plain)
    }

    pub fn open_offer(&self, sealed: &[u8]) -> Result<Offer, CryptoError> {
        let plain = self.sealer().open(&self.team, sealed)?;
        postcard::from_bytes(&plain).map_err(|_| CryptoError::Tampered)
    }
}

/// What a new device receives: everything it needs to read and write the team's records.
#[derive(Clone, Serialize, Deserialize)]
pub struct Offer {
    pub team: [u8; 16],
    /// `Keyring::to_bytes`.
    pub keyring: Vec<u8>,
    /// The team document, `save()`d.
    pub team_document: Vec<u8>,
    /// The inviting clinician (`ClinicianRef` as JSON).
    pub invited_by: String,
    pub admin: bool,
    /// The digest of the team's first registry statement (its charter): a first sync
    /// whose registry does not start with it is refused, so no relay can pose as the team.
    pub charter: [u8; 32],
    /// The invite itself, which the registry must hold too.
    pub invite: SignedStatement,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Statement, StatementBody};

    #[test]
    fn codes_round_trip_and_offers_open_only_with_their_code() {
        let code = InviteCode::generate([4; 16]).unwrap();
        let text = code.to_string();
        assert!(text.starts_with("HR1-"));
        let back: InviteCode = text.parse().unwrap();
        assert_eq!(back, code);
        assert_eq!(back.key(), code.key());
        let founder = DeviceKey::generate().unwrap();
        let invite = SignedStatement::sign(
            &founder,
            &Statement { team: [4; 16], issued_at: 0, body: StatementBody::Revoke { device: [0; 32] } },
        );
        let offer = Offer {
            team: [4; 16],
            keyring: vec![1, 2, 3],
            team_document: vec![],
            invited_by: "{}".into(),
            admin: false,
            charter: [7; 32],
            invite,
        };
        let sealed = code.seal_offer(&offer).unwrap();
        assert_eq!(back.open_offer(&sealed).unwrap().keyring, vec![1, 2, 3]);
        let other = InviteCode::generate([4; 16]).unwrap();
        assert!(other.open_offer(&sealed).is_err());
        assert!("HR1-1234".parse::<InviteCode>().is_err());
        let mut typo = text.clone();
        typo.replace_range(10..11, if &text[10..11] == "0" { "1" } else { "0" });
        let typo: InviteCode = typo.parse().unwrap();
        assert!(typo.open_offer(&sealed).is_err());
    }
}
