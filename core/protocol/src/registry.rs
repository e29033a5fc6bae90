//! The team's device registry: signed statements the relay can check without any key.
//!
//! The relay cannot read the (encrypted) team document, so who may sync is decided by an
//! append-only list of statements, each signed by a device: the founder's charter, grants,
//! invites, joins and revocations. Relay and devices replay the same list with the same
//! rules and so agree on which devices are enrolled, which are admins and which are revoked.
//!
//! Each statement carries the log position at which the relay accepted it, so that "was
//! this device enrolled, or an admin, when it wrote that entry?" has one answer everywhere:
//! an entry at position `q` counts against the registry as it stood after every statement
//! at a position below `q`.

use crate::crypto::{DeviceKey, verify_signature};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const SIGNING_CONTEXT: &[u8] = b"hedgerow/statement/v2\0";
const JOIN_PROOF_CONTEXT: &[u8] = b"hedgerow/join-proof/v2\0";

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
    Charter { x25519: [u8; 32], actor: [u8; 16] },
    /// An admin enrols a device directly.
    Grant { device: [u8; 32], x25519: [u8; 32], actor: [u8; 16], admin: bool },
    /// An admin publishes a one-time invite. `key` is the public half of a signing key
    /// derived from the secret in the code: only a holder of the code can sign a join.
    Invite { key: [u8; 32], expires_at: i64, admin: bool },
    /// A new device (the signer) takes up an invite; `proof` is the invite key's signature
    /// over the joining device, its X25519 key and its Automerge actor ([`join_proof`]).
    Join { invite: [u8; 32], x25519: [u8; 32], actor: [u8; 16], proof: Vec<u8> },
    /// An admin revokes a device.
    Revoke { device: [u8; 32] },
    /// An admin trusts another team, named by its id and the digest of its charter (its
    /// fingerprint): the relay then carries that team's letters (referrals, answers) into
    /// this team's log, and this team's into that one's when it trusts this team back.
    Partner { team: [u8; 16], charter: [u8; 32] },
}

/// A statement as published: its exact bytes, who signed them and the signature.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedStatement {
    pub statement: Vec<u8>,
    pub signer: [u8; 32],
    pub signature: Vec<u8>,
}

impl std::fmt::Debug for SignedStatement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignedStatement(by {}, {} bytes)", hex::encode(&self.signer[..4]), self.statement.len())
    }
}

/// A statement with the log position at which the relay accepted it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionedStatement {
    pub statement: SignedStatement,
    /// Every log entry at a position above this one came after the statement.
    pub position: u64,
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

    /// SHA-256 of the statement as published, for pinning a registry's first statement.
    pub fn digest(&self) -> [u8; 32] {
        let bytes = postcard::to_stdvec(self).expect("encoding to a Vec cannot fail");
        let mut out = [0u8; 32];
        out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref());
        out
    }
}

/// What an invite's key signs for a joining device.
pub fn join_proof(team: &[u8; 16], device: &[u8; 32], x25519: &[u8; 32], actor: &[u8; 16]) -> Vec<u8> {
    [JOIN_PROOF_CONTEXT, team.as_slice(), device, x25519, actor].concat()
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
    #[error("the join does not carry the invite's proof: only the holder of the code can join")]
    NoInviteProof,
    #[error("the device is already enrolled")]
    AlreadyEnrolled,
    #[error("that Automerge actor already belongs to another device")]
    ActorTaken,
    #[error("no such device is enrolled")]
    UnknownDevice,
    #[error("an admin cannot revoke their own device")]
    SelfRevoke,
    #[error("statements must be at rising log positions")]
    OutOfOrder,
    #[error("a team cannot be its own partner")]
    OwnTeam,
    #[error("that team is already a partner under another charter")]
    PartnerTaken,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnrolledDevice {
    #[serde(with = "hex_bytes")]
    pub device: [u8; 32],
    #[serde(skip)]
    pub x25519: [u8; 32],
    /// The Automerge actor the device writes with.
    #[serde(skip)]
    pub actor: [u8; 16],
    pub admin: bool,
    /// The admin device that granted or invited it; `None` for the founder.
    #[serde(with = "opt_hex_bytes")]
    pub enrolled_by: Option<[u8; 32]>,
    pub enrolled_at: i64,
    pub enrolled_position: u64,
    #[serde(with = "opt_hex_bytes")]
    pub revoked_by: Option<[u8; 32]>,
    pub revoked_at: Option<i64>,
    pub revoked_position: Option<u64>,
}

impl EnrolledDevice {
    pub fn active(&self) -> bool {
        self.revoked_by.is_none()
    }

    /// Whether a log entry at `position` was written while this device was enrolled.
    pub fn active_at(&self, position: u64) -> bool {
        self.enrolled_position < position && self.revoked_position.is_none_or(|r| position <= r)
    }
}

#[derive(Clone, Debug)]
struct Invite {
    by: [u8; 32],
    issued_at: i64,
    expires_at: i64,
    admin: bool,
    used: bool,
}

/// The registry's state after replaying its statements in order.
#[derive(Clone, Debug)]
pub struct Registry {
    team: [u8; 16],
    statements: Vec<PositionedStatement>,
    devices: BTreeMap<[u8; 32], EnrolledDevice>,
    invites: BTreeMap<[u8; 32], Invite>,
    actors: BTreeMap<[u8; 16], [u8; 32]>,
    /// Partner teams by id, with the digest of the charter an admin trusted.
    partners: BTreeMap<[u8; 16], [u8; 32]>,
}

impl Registry {
    pub fn new(team: [u8; 16]) -> Self {
        Self {
            team,
            statements: Vec::new(),
            devices: BTreeMap::new(),
            invites: BTreeMap::new(),
            actors: BTreeMap::new(),
            partners: BTreeMap::new(),
        }
    }

    /// Replays a stored list; any statement that fails means the list is not trustworthy.
    pub fn replay(team: [u8; 16], statements: &[PositionedStatement]) -> Result<Self, RegistryError> {
        let mut r = Self::new(team);
        for s in statements {
            r.apply(s.statement.clone(), s.position)?;
        }
        Ok(r)
    }

    pub fn team(&self) -> [u8; 16] {
        self.team
    }

    pub fn statements(&self) -> &[PositionedStatement] {
        &self.statements
    }

    pub fn has_charter(&self) -> bool {
        !self.statements.is_empty()
    }

    /// The SHA-256 of the charter as published: the team's fingerprint.
    pub fn charter_digest(&self) -> Option<[u8; 32]> {
        self.statements.first().map(|s| s.statement.digest())
    }

    /// The charter digest an admin trusted for partner team `team`, if it is one.
    pub fn partner(&self, team: &[u8; 16]) -> Option<[u8; 32]> {
        self.partners.get(team).copied()
    }

    pub fn device(&self, key: &[u8; 32]) -> Option<&EnrolledDevice> {
        self.devices.get(key)
    }

    pub fn devices(&self) -> impl Iterator<Item = &EnrolledDevice> {
        self.devices.values()
    }

    /// The device that writes with this Automerge actor.
    pub fn device_of_actor(&self, actor: &[u8; 16]) -> Option<&EnrolledDevice> {
        self.actors.get(actor).and_then(|d| self.devices.get(d))
    }

    pub fn is_active(&self, key: &[u8; 32]) -> bool {
        self.devices.get(key).is_some_and(EnrolledDevice::active)
    }

    fn active_admin(&self, key: &[u8; 32]) -> bool {
        self.devices.get(key).is_some_and(|d| d.active() && d.admin)
    }

    /// Whether `key` was an admin when it wrote a log entry at `position`.
    pub fn admin_at(&self, key: &[u8; 32], position: u64) -> bool {
        self.devices.get(key).is_some_and(|d| d.admin && d.active_at(position))
    }

    /// The position of the newest statement (0 before the charter).
    pub fn position(&self) -> u64 {
        self.statements.last().map_or(0, |s| s.position)
    }

    /// Checks one statement against the rules and, if it passes, appends it at `position`.
    pub fn apply(&mut self, signed: SignedStatement, position: u64) -> Result<(), RegistryError> {
        if position < self.position() {
            return Err(RegistryError::OutOfOrder);
        }
        let st = signed.verified()?;
        if st.team != self.team {
            return Err(RegistryError::WrongTeam);
        }
        let signer = signed.signer;
        let enrol = |by: Option<[u8; 32]>, device, x25519, actor, admin| EnrolledDevice {
            device,
            x25519,
            actor,
            admin,
            enrolled_by: by,
            enrolled_at: st.issued_at,
            enrolled_position: position,
            revoked_by: None,
            revoked_at: None,
            revoked_position: None,
        };
        match st.body {
            StatementBody::Charter { x25519, actor } => {
                if self.has_charter() {
                    return Err(RegistryError::Charter);
                }
                self.add_device(enrol(None, signer, x25519, actor, true))?;
            }
            _ if !self.has_charter() => return Err(RegistryError::Charter),
            StatementBody::Grant { device, x25519, actor, admin } => {
                if !self.active_admin(&signer) {
                    return Err(RegistryError::NotAdmin("enrol a device"));
                }
                self.add_device(enrol(Some(signer), device, x25519, actor, admin))?;
            }
            StatementBody::Invite { key, expires_at, admin } => {
                if !self.active_admin(&signer) {
                    return Err(RegistryError::NotAdmin("invite a device"));
                }
                if self.invites.contains_key(&key) {
                    return Err(RegistryError::Invite);
                }
                let invite = Invite { by: signer, issued_at: st.issued_at, expires_at, admin, used: false };
                self.invites.insert(key, invite);
            }
            StatementBody::Join { invite, x25519, actor, proof } => {
                let open = self.invites.get(&invite).ok_or(RegistryError::Invite)?;
                // The join's own time must fall within the invite's: the relay checks its
                // clock against the expiry when it accepts the claim.
                if open.used || st.issued_at < open.issued_at || st.issued_at > open.expires_at {
                    return Err(RegistryError::Invite);
                }
                if !verify_signature(&invite, &join_proof(&self.team, &signer, &x25519, &actor), &proof) {
                    return Err(RegistryError::NoInviteProof);
                }
                // The inviting admin may have been revoked since.
                let (by, admin) = (open.by, open.admin);
                if !self.active_admin(&by) {
                    return Err(RegistryError::Invite);
                }
                self.add_device(enrol(Some(by), signer, x25519, actor, admin))?;
                if let Some(i) = self.invites.get_mut(&invite) {
                    i.used = true;
                }
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
                    d.revoked_position = Some(position);
                }
            }
            StatementBody::Partner { team, charter } => {
                if !self.active_admin(&signer) {
                    return Err(RegistryError::NotAdmin("trust another team"));
                }
                if team == self.team {
                    return Err(RegistryError::OwnTeam);
                }
                // Another charter under a trusted team's id is another team.
                if self.partners.get(&team).is_some_and(|held| *held != charter) {
                    return Err(RegistryError::PartnerTaken);
                }
                self.partners.insert(team, charter);
            }
        }
        self.statements.push(PositionedStatement { statement: signed, position });
        Ok(())
    }

    fn add_device(&mut self, d: EnrolledDevice) -> Result<(), RegistryError> {
        if self.devices.contains_key(&d.device) {
            return Err(RegistryError::AlreadyEnrolled);
        }
        if self.actors.contains_key(&d.actor) {
            return Err(RegistryError::ActorTaken);
        }
        self.actors.insert(d.actor, d.device);
        self.devices.insert(d.device, d);
        Ok(())
    }

    /// Whether an invite with this key is open (published, unused, unexpired at `now`).
    pub fn invite_open(&self, key: &[u8; 32], now: i64) -> bool {
        self.invites.get(key).is_some_and(|i| !i.used && now <= i.expires_at && self.active_admin(&i.by))
    }

    /// The keys of every invite still open at `now`.
    pub fn open_invites(&self, now: i64) -> Vec<[u8; 32]> {
        self.invites.keys().filter(|k| self.invite_open(k, now)).copied().collect()
    }

    /// The expiry of an invite, if it was published.
    pub fn invite_expiry(&self, key: &[u8; 32]) -> Option<i64> {
        self.invites.get(key).map(|i| i.expires_at)
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

    fn st(key: &DeviceKey, issued_at: i64, body: StatementBody) -> SignedStatement {
        SignedStatement::sign(key, &Statement { team: [1; 16], issued_at, body })
    }

    fn join(device: &DeviceKey, invite: &DeviceKey, actor: u8, issued_at: i64) -> SignedStatement {
        let x = device.x25519_public();
        let proof = invite.sign(&join_proof(&[1; 16], &device.public_key(), &x, &[actor; 16])).to_vec();
        st(
            device,
            issued_at,
            StatementBody::Join { invite: invite.public_key(), x25519: x, actor: [actor; 16], proof },
        )
    }

    #[test]
    fn charter_grant_invite_join_revoke() {
        let founder = DeviceKey::generate().unwrap();
        let nurse = DeviceKey::generate().unwrap();
        let gp = DeviceKey::generate().unwrap();
        let stranger = DeviceKey::generate().unwrap();
        let invite = DeviceKey::generate().unwrap();
        let mut r = Registry::new([1; 16]);
        let grant = st(
            &founder,
            100,
            StatementBody::Grant {
                device: nurse.public_key(),
                x25519: [0; 32],
                actor: [2; 16],
                admin: false,
            },
        );
        assert_eq!(r.apply(grant.clone(), 0), Err(RegistryError::Charter), "nothing before a charter");
        r.apply(
            st(&founder, 100, StatementBody::Charter { x25519: founder.x25519_public(), actor: [1; 16] }),
            0,
        )
        .unwrap();
        assert_eq!(
            r.apply(st(&founder, 100, StatementBody::Charter { x25519: [0; 32], actor: [9; 16] }), 0),
            Err(RegistryError::Charter)
        );
        r.apply(grant, 3).unwrap();
        assert!(r.is_active(&nurse.public_key()));
        assert_eq!(r.device_of_actor(&[2; 16]).unwrap().device, nurse.public_key());
        let bad = st(
            &nurse,
            100,
            StatementBody::Invite { key: invite.public_key(), expires_at: 200, admin: false },
        );
        assert_eq!(r.apply(bad, 3), Err(RegistryError::NotAdmin("invite a device")));
        r.apply(
            st(
                &founder,
                100,
                StatementBody::Invite { key: invite.public_key(), expires_at: 200, admin: false },
            ),
            5,
        )
        .unwrap();
        assert!(r.invite_open(&invite.public_key(), 150));
        assert!(!r.invite_open(&invite.public_key(), 201));
        r.apply(join(&gp, &invite, 3, 150), 7).unwrap();
        assert!(r.is_active(&gp.public_key()));
        assert_eq!(r.device(&gp.public_key()).unwrap().enrolled_by, Some(founder.public_key()));
        assert_eq!(r.apply(join(&stranger, &invite, 4, 150), 7), Err(RegistryError::Invite), "one use only");
        let mut forged = st(&founder, 100, StatementBody::Revoke { device: gp.public_key() });
        forged.signer = nurse.public_key();
        assert_eq!(r.apply(forged, 8), Err(RegistryError::BadSignature));
        r.apply(st(&founder, 100, StatementBody::Revoke { device: gp.public_key() }), 9).unwrap();
        assert!(!r.is_active(&gp.public_key()));
        let d = r.device(&gp.public_key()).unwrap();
        assert!(d.active_at(8) && d.active_at(9) && !d.active_at(10) && !d.active_at(7));
        let other = SignedStatement::sign(
            &founder,
            &Statement { team: [2; 16], issued_at: 1, body: StatementBody::Revoke { device: [0; 32] } },
        );
        assert_eq!(r.apply(other, 9), Err(RegistryError::WrongTeam));
        assert_eq!(
            r.apply(st(&founder, 1, StatementBody::Revoke { device: nurse.public_key() }), 2),
            Err(RegistryError::OutOfOrder)
        );
        let again = Registry::replay([1; 16], r.statements()).unwrap();
        assert_eq!(again.devices().count(), 3);
        assert!(!again.is_active(&gp.public_key()));
    }

    #[test]
    fn a_join_needs_the_invite_keys_proof_its_own_actor_and_a_time_within_the_invite() {
        let founder = DeviceKey::generate().unwrap();
        let invite = DeviceKey::generate().unwrap();
        let thief = DeviceKey::generate().unwrap();
        let mut r = Registry::new([1; 16]);
        r.apply(
            st(&founder, 100, StatementBody::Charter { x25519: founder.x25519_public(), actor: [1; 16] }),
            0,
        )
        .unwrap();
        r.apply(
            st(
                &founder,
                100,
                StatementBody::Invite { key: invite.public_key(), expires_at: 200, admin: true },
            ),
            1,
        )
        .unwrap();
        // Knowing the invite's public key is not enough: the proof must be by the invite key.
        let x = thief.x25519_public();
        let self_proof = thief.sign(&join_proof(&[1; 16], &thief.public_key(), &x, &[5; 16])).to_vec();
        let claim =
            StatementBody::Join { invite: invite.public_key(), x25519: x, actor: [5; 16], proof: self_proof };
        assert_eq!(r.apply(st(&thief, 150, claim), 2), Err(RegistryError::NoInviteProof));
        // Backdating a join to before the invite, or after its expiry, is refused.
        assert_eq!(r.apply(join(&thief, &invite, 5, 50), 2), Err(RegistryError::Invite));
        assert_eq!(r.apply(join(&thief, &invite, 5, 201), 2), Err(RegistryError::Invite));
        // Another device's actor cannot be claimed.
        assert_eq!(r.apply(join(&thief, &invite, 1, 150), 2), Err(RegistryError::ActorTaken));
        r.apply(join(&thief, &invite, 5, 150), 2).unwrap();
    }

    #[test]
    fn only_an_admin_names_a_partner_and_a_partner_keeps_its_charter() {
        let founder = DeviceKey::generate().unwrap();
        let nurse = DeviceKey::generate().unwrap();
        let mut r = Registry::new([1; 16]);
        let charter =
            st(&founder, 100, StatementBody::Charter { x25519: founder.x25519_public(), actor: [1; 16] });
        r.apply(charter.clone(), 0).unwrap();
        assert_eq!(r.charter_digest(), Some(charter.digest()));
        let grant = StatementBody::Grant {
            device: nurse.public_key(),
            x25519: [0; 32],
            actor: [2; 16],
            admin: false,
        };
        r.apply(st(&founder, 100, grant), 1).unwrap();
        let hospice = StatementBody::Partner { team: [7; 16], charter: [9; 32] };
        assert_eq!(
            r.apply(st(&nurse, 100, hospice.clone()), 2),
            Err(RegistryError::NotAdmin("trust another team"))
        );
        assert_eq!(
            r.apply(st(&founder, 100, StatementBody::Partner { team: [1; 16], charter: [9; 32] }), 2),
            Err(RegistryError::OwnTeam)
        );
        r.apply(st(&founder, 100, hospice.clone()), 2).unwrap();
        assert_eq!(r.partner(&[7; 16]), Some([9; 32]));
        r.apply(st(&founder, 101, hospice), 3).unwrap();
        assert_eq!(
            r.apply(st(&founder, 102, StatementBody::Partner { team: [7; 16], charter: [8; 32] }), 4),
            Err(RegistryError::PartnerTaken),
            "another charter under a trusted team's id"
        );
        let again = Registry::replay([1; 16], r.statements()).unwrap();
        assert_eq!(again.partner(&[7; 16]), Some([9; 32]));
        assert_eq!(again.partner(&[8; 16]), None);
    }
}
