//! A team's sharing card: what another team needs before it can refer a patient to this one.
//!
//! A card names the team (its id, name and organisation's ODS code) and carries the public
//! key referrals to it are sealed to. One of the team's admin devices signs it, and it
//! brings the team's registry from its charter through that device's enrolment, so that
//! whoever receives it can check, with no relay and no key, that the signer was an admin of
//! the team whose charter has this fingerprint. It holds nothing secret: a card lets its
//! holder read nothing.
//!
//! The fingerprint (of the charter) is what the two teams' admins compare out of band
//! before one trusts the other's card; a name anyone can type.

use crate::crypto::{DeviceKey, verify_signature};
use crate::keys::KeyId;
use crate::registry::{Registry, RegistryError, SignedStatement};
use serde::{Deserialize, Serialize};
use std::fmt;

const SIGNING_CONTEXT: &[u8] = b"hedgerow/team-card/v1\0";
const TEXT_PREFIX: &str = "HRC1-";
/// A card's text is read from a paste or a QR code: bounded before it is decoded.
const MAX_TEXT: usize = 64 * 1024;
/// A proof longer than this is refused before it is replayed.
const MAX_PROOF: usize = 512;
const MAX_NAME: usize = 200;

/// What a team says about itself to the teams that refer to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamCard {
    pub team: [u8; 16],
    pub name: String,
    /// The organisation's code in the NHS Organisation Data Service, if given.
    pub ods_code: Option<String>,
    /// X25519 public key that referrals to this team are sealed to, and the team key it is
    /// derived from ([`crate::keys::Keyring::sharing_secret`]).
    pub sharing_key: [u8; 32],
    pub sharing_key_id: KeyId,
    /// Seconds since 1970, by the signer's clock.
    pub issued_at: i64,
}

/// A card as handed over: its exact bytes, the admin device that signed them, the
/// signature and the registry prefix that shows the signer was an admin.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCard {
    pub card: Vec<u8>,
    pub signer: [u8; 32],
    pub signature: Vec<u8>,
    pub proof: Vec<SignedStatement>,
}

impl fmt::Debug for SignedCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignedCard(by {}, {} statements)", hex::encode(&self.signer[..4]), self.proof.len())
    }
}

/// The SHA-256 of a team's charter as published: the team's identity, stable across cards.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fingerprint(pub [u8; 32]);

impl fmt::Display for Fingerprint {
    /// Its first 80 bits, in five groups of four, for reading over the phone.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = hex::encode_upper(&self.0[..10]);
        let groups: Vec<&str> = (0..5).map(|i| &hex[i * 4..i * 4 + 4]).collect();
        f.write_str(&groups.join(" "))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// A card whose signature and proof checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCard {
    pub card: TeamCard,
    pub fingerprint: Fingerprint,
    pub signer: [u8; 32],
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CardError {
    #[error("not a team card: it starts {TEXT_PREFIX} and has hexadecimal characters after that")]
    NotACard,
    #[error("the card is too long to be a team card")]
    TooLong,
    #[error("the card's signature does not verify: it was changed after it was signed")]
    BadSignature,
    #[error("the card does not decode: {0}")]
    Malformed(String),
    #[error("the card's registry does not check: {0}")]
    Proof(RegistryError),
    #[error("the card was not signed by an admin of the team it names")]
    NotAdmin,
    #[error("the card's team name must be 1 to {MAX_NAME} characters")]
    Name,
    #[error("an ODS code is 3 to 10 letters and digits")]
    OdsCode,
}

/// Whether `code` has the shape of an ODS organisation code (e.g. `RJ1`, `A81001`).
pub fn valid_ods_code(code: &str) -> bool {
    (3..=10).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl SignedCard {
    /// Signs `card` with an admin device of the team, whose registry is `registry`.
    pub fn sign(key: &DeviceKey, card: &TeamCard, registry: &Registry) -> Result<Self, CardError> {
        check_fields(card)?;
        let signer = key.public_key();
        // The shortest prefix of the registry after which the signer is an admin.
        let mut replay = Registry::new(card.team);
        let mut proof = Vec::new();
        for s in registry.statements() {
            if replay.device(&signer).is_some_and(|d| d.admin && d.active()) {
                break;
            }
            replay.apply(s.statement.clone(), s.position).map_err(CardError::Proof)?;
            proof.push(s.statement.clone());
        }
        if !replay.device(&signer).is_some_and(|d| d.admin && d.active()) || !registry.is_active(&signer) {
            return Err(CardError::NotAdmin);
        }
        let bytes = postcard::to_stdvec(card).expect("encoding to a Vec cannot fail");
        let signature = key.sign(&[SIGNING_CONTEXT, &bytes].concat()).to_vec();
        Ok(Self { card: bytes, signer, signature, proof })
    }

    /// The card, once its signature checks and its proof shows the signer an admin of the
    /// team the card names.
    pub fn verify(&self) -> Result<VerifiedCard, CardError> {
        if !verify_signature(&self.signer, &[SIGNING_CONTEXT, &self.card].concat(), &self.signature) {
            return Err(CardError::BadSignature);
        }
        let card: TeamCard =
            postcard::from_bytes(&self.card).map_err(|e| CardError::Malformed(e.to_string()))?;
        check_fields(&card)?;
        if self.proof.len() > MAX_PROOF {
            return Err(CardError::TooLong);
        }
        let charter = self.proof.first().ok_or(CardError::Proof(RegistryError::Charter))?;
        let mut registry = Registry::new(card.team);
        for (position, s) in (1u64..).zip(&self.proof) {
            registry.apply(s.clone(), position).map_err(CardError::Proof)?;
        }
        if !registry.device(&self.signer).is_some_and(|d| d.admin && d.active()) {
            return Err(CardError::NotAdmin);
        }
        Ok(VerifiedCard { card, fingerprint: Fingerprint(charter.digest()), signer: self.signer })
    }

    /// The card as text to paste or put in a QR code: `HRC1-` and upper-case hexadecimal
    /// (which a QR code holds in its compact alphanumeric mode).
    pub fn to_text(&self) -> String {
        let bytes = postcard::to_stdvec(self).expect("encoding to a Vec cannot fail");
        format!("{TEXT_PREFIX}{}", hex::encode_upper(bytes))
    }

    pub fn from_text(text: &str) -> Result<Self, CardError> {
        if text.len() > MAX_TEXT {
            return Err(CardError::TooLong);
        }
        let compact: String = text.trim().chars().filter(|c| !c.is_whitespace()).collect();
        let body = compact.strip_prefix(TEXT_PREFIX).ok_or(CardError::NotACard)?;
        let bytes = hex::decode(body).map_err(|_| CardError::NotACard)?;
        postcard::from_bytes(&bytes).map_err(|e| CardError::Malformed(e.to_string()))
    }
}

fn check_fields(card: &TeamCard) -> Result<(), CardError> {
    let name = card.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(CardError::Name);
    }
    if card.ods_code.as_deref().is_some_and(|c| !valid_ods_code(c)) {
        return Err(CardError::OdsCode);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
