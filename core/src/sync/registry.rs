//! The team's device registry: signed statements the relay can check without any key.
//!
//! The relay cannot read the (encrypted) team document, so who may sync is decided by an
//! append-only list of statements, each signed by a device: the founder's charter, grants,
//! invites, joins and revocations. Relay and devices replay the same list with the same
//! rules and so agree on which devices are enrolled, which are admins and which are revoked.

use crate::crypto::{DeviceKey, verify_signature};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const SIGNING_CONTEXT: &[u8] = b"hedgerow/statement/v1\0";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub team: [u8; 16],
    /// Seconds since 1970, by the signer's clock.
    pub issued_at: i64,
    pub body: StatementBody,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatementBody {
    /// The team's first statement: its signer is the founding admin device.
    Charter { x25519: [u8; 32] },
    /// An admin enrols a device directly.
    Grant { device: [u8; 32], x25519: [u8; 32], admin: bool },
    /// An admin publishes a one-time invite; `tag` is derived from the secret in the code.
    Invite { tag: [u8; 32], expires_at: i64, admin: bool },
    /// A new device (the signer) takes up an invite.
    Join { tag: [u8; 32], x25519: [u8; 32] },
    /// An admin revokes a device.
    Revoke { device: [u8; 32] },
}

/// A statement as published: its exact bytes, who signed them and the signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedStatement {
    pub statement: Vec<u8>,
    pub signer: [u8; 32],
    pub signature: Vec<u8>,
}

impl SignedStatement {
    pub fn sign(key: &DeviceKey, statement: &Statement) -> Self {
        let bytes = postcard::to_stdvec(statement).expect("encoding to a Vec cannot fail");
        let signature = key.sign(&[SIGNING_CONTEXT, &bytes].concat()).to_vec();
        Self { statement: bytes, signer: key.public_key(), signature }
    }

    /// The statement, once its signature checks.
    pub fn verified(&self) -> Result<Statement, RegistryError> {
        if !verify_signature(&self.signer, &[SIGNING_CONTEXT, &self.statement].concat(), &self.signature) {
            return Err(RegistryError::BadSignature);
        }
        postcard::from_bytes(&self.statement).map_err(|e| RegistryError::Malformed(e.to_string()))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    #[error("the statement's signature does not verify")]
    BadSignature,
    #[error("the statement does not decode: {0}")]
    Malformed(String),
    #[error("the statement is for another team")]
    WrongTeam,
    #[error("the team has no charter yet, or already has one")]
    Charter,
    #[error("only an enrolled admin device may {0}")]
    NotAdmin(&'static str),
    #[error("the invite is unknown, already used or expired")]
    Invite,
    #[error("the device is already enrolled")]
    AlreadyEnrolled,
    #[error("no such device is enrolled")]
    UnknownDevice,
    #[error("an admin cannot revoke their own device")]
    SelfRevoke,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnrolledDevice {
    #[serde(with = "hex_bytes")]
    pub device: [u8; 32],
    #[serde(skip)]
    pub x25519: [u8; 32],
    pub admin: bool,
    /// The admin device that granted or invited it; `None` for the founder.
    #[serde(with = "opt_hex_bytes")]
    pub enrolled_by: Option<[u8; 32]>,
    pub enrolled_at: i64,
    #[serde(with = "opt_hex_bytes")]
    pub revoked_by: Option<[u8; 32]>,
    pub revoked_at: Option<i64>,
}

impl EnrolledDevice {
    pub fn active(&self) -> bool {
        self.revoked_by.is_none()
    }
}

#[derive(Clone, Debug)]
struct Invite {
    by: [u8; 32],
    expires_at: i64,
    admin: bool,
    used: bool,
}

/// The registry's state after replaying its statements in order.
#[derive(Clone, Debug)]
pub struct Registry {
    team: [u8; 16],
    statements: Vec<SignedStatement>,
    devices: BTreeMap<[u8; 32], EnrolledDevice>,
    invites: BTreeMap<[u8; 32], Invite>,
}

impl Registry {
    pub fn new(team: [u8; 16]) -> Self {
        Self { team, statements: Vec::new(), devices: BTreeMap::new(), invites: BTreeMap::new() }
    }

    /// Replays a stored list; any statement that fails means the list is not trustworthy.
    pub fn replay(team: [u8; 16], statements: &[SignedStatement]) -> Result<Self, RegistryError> {
        let mut r = Self::new(team);
        for s in statements {
            r.apply(s.clone())?;
        }
        Ok(r)
    }

    pub fn team(&self) -> [u8; 16] {
        self.team
    }

    pub fn statements(&self) -> &[SignedStatement] {
        &self.statements
    }

    pub fn has_charter(&self) -> bool {
        !self.statements.is_empty()
    }

    pub fn device(&self, key: &[u8; 32]) -> Option<&EnrolledDevice> {
        self.devices.get(key)
    }

    pub fn devices(&self) -> impl Iterator<Item = &EnrolledDevice> {
        self.devices.values()
    }

    pub fn is_active(&self, key: &[u8; 32]) -> bool {
        self.devices.get(key).is_some_and(EnrolledDevice::active)
    }

    fn active_admin(&self, key: &[u8; 32]) -> bool {
        self.devices.get(key).is_some_and(|d| d.active() && d.admin)
    }

    /// Checks one statement against the rules and, if it passes, appends it.
    pub fn apply(&mut self, signed: SignedStatement) -> Result<(), RegistryError> {
        let st = signed.verified()?;
        if st.team != self.team {
            return Err(RegistryError::WrongTeam);
        }
        let signer = signed.signer;
        let enrol = |by: Option<[u8; 32]>, device, x25519, admin| EnrolledDevice {
            device,
            x25519,
            admin,
            enrolled_by: by,
            enrolled_at: st.issued_at,
            revoked_by: None,
            revoked_at: None,
        };
        match st.body {
            StatementBody::Charter { x25519 } => {
                if self.has_charter() {
                    return Err(RegistryError::Charter);
                }
                self.devices.insert(signer, enrol(None, signer, x25519, true));
            }
            _ if !self.has_charter() => return Err(RegistryError::Charter),
            StatementBody::Grant { device, x25519, admin } => {
                if !self.active_admin(&signer) {
                    return Err(RegistryError::NotAdmin("enrol a device"));
                }
                if self.devices.contains_key(&device) {
                    return Err(RegistryError::AlreadyEnrolled);
                }
                self.devices.insert(device, enrol(Some(signer), device, x25519, admin));
            }
            StatementBody::Invite { tag, expires_at, admin } => {
                if !self.active_admin(&signer) {
                    return Err(RegistryError::NotAdmin("invite a device"));
                }
                if self.invites.contains_key(&tag) {
                    return Err(RegistryError::Invite);
                }
                self.invites.insert(tag, Invite { by: signer, expires_at, admin, used: false });
            }
            StatementBody::Join { tag, x25519 } => {
                if self.devices.contains_key(&signer) {
                    return Err(RegistryError::AlreadyEnrolled);
                }
                let invite = self.invites.get_mut(&tag).ok_or(RegistryError::Invite)?;
                if invite.used || st.issued_at > invite.expires_at {
                    return Err(RegistryError::Invite);
                }
                // The inviting admin may have been revoked since.
                let (by, admin) = (invite.by, invite.admin);
                if !self.active_admin(&by) {
                    return Err(RegistryError::Invite);
                }
                if let Some(i) = self.invites.get_mut(&tag) {
                    i.used = true;
                }
                self.devices.insert(signer, enrol(Some(by), signer, x25519, admin));
            }
            StatementBody::Revoke { device } => {
                if !self.active_admin(&signer) {
                    return Err(RegistryError::NotAdmin("revoke a device"));
                }
                if device == signer {
                    return Err(RegistryError::SelfRevoke);
                }
                let d = self.devices.get_mut(&device).ok_or(RegistryError::UnknownDevice)?;
                if d.active() {
                    d.revoked_by = Some(signer);
                    d.revoked_at = Some(st.issued_at);
                }
            }
        }
        self.statements.push(signed);
        Ok(())
    }

    /// Whether an invite with this tag is open (published, unused, unexpired at `now`).
    pub fn invite_open(&self, tag: &[u8; 32], now: i64) -> bool {
        self.invites.get(tag).is_some_and(|i| !i.used && now <= i.expires_at && self.active_admin(&i.by))
    }
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }
}

mod opt_hex_bytes {
    pub fn serialize<S: serde::Serializer>(v: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&hex::encode(v)),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(key: &DeviceKey, body: StatementBody) -> SignedStatement {
        SignedStatement::sign(key, &Statement { team: [1; 16], issued_at: 100, body })
    }

    #[test]
    fn charter_grant_invite_join_revoke() {
        let founder = DeviceKey::generate().unwrap();
        let nurse = DeviceKey::generate().unwrap();
        let gp = DeviceKey::generate().unwrap();
        let stranger = DeviceKey::generate().unwrap();
        let mut r = Registry::new([1; 16]);
        // Nothing before a charter.
        let grant =
            st(&founder, StatementBody::Grant { device: nurse.public_key(), x25519: [0; 32], admin: false });
        assert_eq!(r.apply(grant.clone()), Err(RegistryError::Charter));
        r.apply(st(&founder, StatementBody::Charter { x25519: founder.x25519_public() })).unwrap();
        assert_eq!(
            r.apply(st(&founder, StatementBody::Charter { x25519: [0; 32] })),
            Err(RegistryError::Charter)
        );
        r.apply(grant).unwrap();
        assert!(r.is_active(&nurse.public_key()));
        // A non-admin cannot invite.
        let bad = st(&nurse, StatementBody::Invite { tag: [9; 32], expires_at: 200, admin: false });
        assert_eq!(r.apply(bad), Err(RegistryError::NotAdmin("invite a device")));
        r.apply(st(&founder, StatementBody::Invite { tag: [9; 32], expires_at: 200, admin: false })).unwrap();
        assert!(r.invite_open(&[9; 32], 150));
        assert!(!r.invite_open(&[9; 32], 201));
        r.apply(st(&gp, StatementBody::Join { tag: [9; 32], x25519: gp.x25519_public() })).unwrap();
        assert!(r.is_active(&gp.public_key()));
        assert_eq!(r.device(&gp.public_key()).unwrap().enrolled_by, Some(founder.public_key()));
        // One use only.
        assert_eq!(
            r.apply(st(&stranger, StatementBody::Join { tag: [9; 32], x25519: [0; 32] })),
            Err(RegistryError::Invite)
        );
        // Revocation; a signature by someone else's key is refused.
        let mut forged = st(&founder, StatementBody::Revoke { device: gp.public_key() });
        forged.signer = nurse.public_key();
        assert_eq!(r.apply(forged), Err(RegistryError::BadSignature));
        r.apply(st(&founder, StatementBody::Revoke { device: gp.public_key() })).unwrap();
        assert!(!r.is_active(&gp.public_key()));
        // Another team's statement.
        let other = SignedStatement::sign(
            &founder,
            &Statement { team: [2; 16], issued_at: 1, body: StatementBody::Revoke { device: [0; 32] } },
        );
        assert_eq!(r.apply(other), Err(RegistryError::WrongTeam));
        // Replaying gives the same state.
        let again = Registry::replay([1; 16], r.statements()).unwrap();
        assert_eq!(again.devices().count(), 3);
        assert!(!again.is_active(&gp.public_key()));
    }
}
