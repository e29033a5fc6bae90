//! Checking who wrote the changes that arrive. Every change's Automerge actor belongs to
//! one device (the registry says which); a change is taken in only under an actor head
//! ([`ActorHead`]) that device signed, whoever passed the change on. So no member can write
//! in a colleague's name, or take a colleague's next sequence number and so block their
//! genuine edit: a change by actor A at sequence n that A's device never signed is refused,
//! and the document is left as it was.
//!
//! Changes by an actor that is no device of the team (history a device brought with it,
//! such as the demo's fictional colleagues) are taken only under a *vouch*: a head signed
//! by a team device that answers for them. Such changes keep an unconfirmed author.

use crate::sync::heads::ActorHead;
use automerge::{AutoCommit, ChangeHash};
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorshipError {
    #[error("a change's actor ({0}) is not the 16-byte actor of any Hedgerow device")]
    ForeignActor(String),
    #[error("a change by actor {0} belongs to no device of this team")]
    UnregisteredActor(String),
    #[error("a change by actor {actor} (number {seq}) was not signed by that actor's device")]
    NotSigned { actor: String, seq: u64 },
}

/// Which device key signs for which actor.
pub trait ActorKeys {
    fn device_of(&self, actor: &[u8; 16]) -> Option<[u8; 32]>;

    /// Whether `device` may vouch for changes by actors that are no device of the team.
    fn may_vouch(&self, _device: &[u8; 32]) -> bool {
        false
    }
}

impl ActorKeys for crate::sync::registry::Registry {
    fn device_of(&self, actor: &[u8; 16]) -> Option<[u8; 32]> {
        self.device_of_actor(actor).map(|d| d.device)
    }

    fn may_vouch(&self, device: &[u8; 32]) -> bool {
        self.device(device).is_some()
    }
}

/// The team's devices by actor, and those that may vouch, outside a registry.
#[derive(Debug, Default)]
pub struct KnownDevices {
    pub actors: std::collections::HashMap<[u8; 16], [u8; 32]>,
    pub vouchers: HashSet<[u8; 32]>,
}

impl ActorKeys for KnownDevices {
    fn device_of(&self, actor: &[u8; 16]) -> Option<[u8; 32]> {
        self.actors.get(actor).copied()
    }

    fn may_vouch(&self, device: &[u8; 32]) -> bool {
        self.vouchers.contains(device)
    }
}

impl<F: Fn(&[u8; 16]) -> Option<[u8; 32]>> ActorKeys for F {
    fn device_of(&self, actor: &[u8; 16]) -> Option<[u8; 32]> {
        self(actor)
    }
}

/// Checks every change `doc` has beyond `before` (the changes just taken in). Each must be
/// covered by a signed head of its actor: one of `offered` (sent with the changes) or
/// `stored` (this device's). Returns the offered heads that verified and are newer than
/// those stored, to be kept.
pub fn check_new_changes(
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    offered: &[ActorHead],
    stored: &[ActorHead],
    team: &[u8; 16],
    document: &[u8; 16],
    keys: &impl ActorKeys,
) -> Result<Vec<ActorHead>, AuthorshipError> {
    let mut by_actor: BTreeMap<[u8; 16], Vec<(u64, ChangeHash)>> = BTreeMap::new();
    // Metadata only: whole changes would be rebuilt from the document's columns.
    for c in doc.get_changes_meta(before) {
        let actor: [u8; 16] = c
            .actor
            .to_bytes()
            .try_into()
            .map_err(|_| AuthorshipError::ForeignActor(c.actor.to_hex_string()))?;
        by_actor.entry(actor).or_default().push((c.seq, c.hash));
    }
    let stored_seq: BTreeMap<[u8; 16], u64> = stored.iter().map(|h| (h.actor, h.seq)).collect();
    let mut keep = Vec::new();
    for (actor, changes) in by_actor {
        let name = hex::encode(actor);
        let device = keys.device_of(&actor);
        // The newest head of this actor that its device signed (or, for an actor that is no
        // device of the team, that a team device vouched for) and that is in the document.
        let signed = |h: &ActorHead| match &device {
            Some(d) => h.verifies(team, document, d),
            None => h.vouched_by(team, document).is_some_and(|by| keys.may_vouch(&by)),
        };
        let head = offered
            .iter()
            .chain(stored)
            .filter(|h| h.actor == actor && signed(h))
            .filter(|h| doc.get_change_meta_by_hash(&ChangeHash(h.change)).is_some())
            .max_by_key(|h| h.seq);
        let unsigned = |seq| AuthorshipError::NotSigned { actor: name.clone(), seq };
        let Some(head) = head else {
            if device.is_none() {
                return Err(AuthorshipError::UnregisteredActor(name));
            }
            return Err(unsigned(changes.iter().map(|(s, _)| *s).min().unwrap_or(0)));
        };
        // Everything not in the head's own history; a new change there is not covered.
        let after: HashSet<ChangeHash> =
            doc.get_changes_meta(&[ChangeHash(head.change)]).iter().map(|c| c.hash).collect();
        if let Some((seq, _)) = changes.iter().find(|(_, hash)| after.contains(hash)) {
            return Err(unsigned(*seq));
        }
        if head.seq > stored_seq.get(&actor).copied().unwrap_or(0) {
            keep.push(head.clone());
        }
    }
    Ok(keep)
}

/// A vouch by `key` for the newest change `actor` has made to `doc`; `None` if it made none.
pub fn vouch_for(
    doc: &mut AutoCommit,
    actor: [u8; 16],
    key: &crate::crypto::DeviceKey,
    team: &[u8; 16],
    document: &[u8; 16],
) -> Option<ActorHead> {
    let id = automerge::ActorId::from(actor.as_slice());
    let newest = doc.get_changes(&[]).into_iter().filter(|c| *c.actor_id() == id).max_by_key(|c| c.seq())?;
    Some(ActorHead::vouch(key, team, document, actor, newest.seq(), newest.hash().0))
}

/// This device's actor head for the newest change it has made to `doc` since `before`
/// (`&[]` for the whole document), signed; `None` if it made none.
pub fn own_head(
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    key: &crate::crypto::DeviceKey,
    team: &[u8; 16],
    document: &[u8; 16],
) -> Option<ActorHead> {
    let actor: [u8; 16] = doc.get_actor().to_bytes().try_into().ok()?;
    let me = doc.get_actor().clone();
    let newest =
        doc.get_changes(before).into_iter().filter(|c| *c.actor_id() == me).max_by_key(|c| c.seq())?;
    let (seq, hash) = (newest.seq(), newest.hash());
    Some(ActorHead::sign(key, team, document, actor, seq, hash.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::DeviceKey;
    use automerge::transaction::Transactable;
    use automerge::{ActorId, ROOT};

    const TEAM: [u8; 16] = [1; 16];
    const DOC: [u8; 16] = [2; 16];

    fn edit(doc: &mut AutoCommit, key: &str, v: &str) {
        doc.put(ROOT, key, v).unwrap();
        doc.commit();
    }

    #[test]
    fn a_change_in_a_colleagues_name_is_refused_and_their_own_is_taken() {
        let (victim, mallory) = (DeviceKey::generate().unwrap(), DeviceKey::generate().unwrap());
        let (va, ma) = ([10u8; 16], [20u8; 16]);
        let keys = |a: &[u8; 16]| match *a {
            x if x == va => Some(victim.public_key()),
            x if x == ma => Some(mallory.public_key()),
            _ => None,
        };
        let mut shared = AutoCommit::new().with_actor(ActorId::from(va.as_slice()));
        edit(&mut shared, "dose", "40 mg");
        let genuine_head = own_head(&mut shared, &[], &victim, &TEAM, &DOC).unwrap();
        let base = shared.get_heads();

        // Mallory writes under the victim's actor, at the victim's next number.
        let mut forged = shared.fork().with_actor(ActorId::from(va.as_slice()));
        edit(&mut forged, "dose", "400 mg");
        let fake = ActorHead::sign(&mallory, &TEAM, &DOC, va, 2, forged.get_heads()[0].0);
        let mut receiver = shared.fork();
        receiver.load_incremental(&forged.save_after(&base)).unwrap();
        let err = check_new_changes(
            &mut receiver,
            &base,
            &[fake],
            std::slice::from_ref(&genuine_head),
            &TEAM,
            &DOC,
            &keys,
        );
        assert_eq!(err, Err(AuthorshipError::NotSigned { actor: hex::encode(va), seq: 2 }));

        // The victim's own next change, signed by the victim, is taken.
        let mut real = shared.fork().with_actor(ActorId::from(va.as_slice()));
        edit(&mut real, "dose", "20 mg");
        let head = own_head(&mut real, &base, &victim, &TEAM, &DOC).unwrap();
        let mut receiver = shared.fork();
        receiver.load_incremental(&real.save_after(&base)).unwrap();
        let kept = check_new_changes(
            &mut receiver,
            &base,
            std::slice::from_ref(&head),
            &[genuine_head],
            &TEAM,
            &DOC,
            &keys,
        );
        assert_eq!(kept, Ok(vec![head]));

        // An actor no device of the team has is refused too.
        let mut stranger = shared.fork().with_actor(ActorId::from([30u8; 16].as_slice()));
        edit(&mut stranger, "dose", "1 g");
        let mut receiver = shared.fork();
        receiver.load_incremental(&stranger.save_after(&base)).unwrap();
        assert!(matches!(
            check_new_changes(&mut receiver, &base, &[], &[], &TEAM, &DOC, &keys),
            Err(AuthorshipError::UnregisteredActor(_))
        ));
    }

    #[test]
    fn a_vouch_answers_for_a_stranger_but_never_for_a_colleague() {
        let (victim, mallory) = (DeviceKey::generate().unwrap(), DeviceKey::generate().unwrap());
        let (va, ma, stranger) = ([10u8; 16], [20u8; 16], [30u8; 16]);
        let keys = KnownDevices {
            actors: [(va, victim.public_key()), (ma, mallory.public_key())].into(),
            vouchers: [victim.public_key(), mallory.public_key()].into(),
        };
        let mut shared = AutoCommit::new().with_actor(ActorId::from(va.as_slice()));
        edit(&mut shared, "dose", "40 mg");
        let genuine_head = own_head(&mut shared, &[], &victim, &TEAM, &DOC).unwrap();
        let base = shared.get_heads();

        // Mallory vouches for a change written under the victim's actor: refused.
        let mut forged = shared.fork().with_actor(ActorId::from(va.as_slice()));
        edit(&mut forged, "dose", "400 mg");
        let vouch = vouch_for(&mut forged, va, &mallory, &TEAM, &DOC).unwrap();
        let mut receiver = shared.fork();
        receiver.load_incremental(&forged.save_after(&base)).unwrap();
        let err = check_new_changes(
            &mut receiver,
            &base,
            &[vouch],
            std::slice::from_ref(&genuine_head),
            &TEAM,
            &DOC,
            &keys,
        );
        assert_eq!(err, Err(AuthorshipError::NotSigned { actor: hex::encode(va), seq: 2 }));

        // History by an actor that is no device of the team, vouched for by a team device:
        // taken, and the vouch kept.
        let mut brought = shared.fork().with_actor(ActorId::from(stranger.as_slice()));
        edit(&mut brought, "note", "seen by a colleague before the team was shared");
        let vouch = vouch_for(&mut brought, stranger, &victim, &TEAM, &DOC).unwrap();
        let mut receiver = shared.fork();
        receiver.load_incremental(&brought.save_after(&base)).unwrap();
        let kept =
            check_new_changes(&mut receiver, &base, std::slice::from_ref(&vouch), &[], &TEAM, &DOC, &keys);
        assert_eq!(kept, Ok(vec![vouch.clone()]));

        // The same vouch signed by a device outside the team is not enough.
        let outsider = DeviceKey::generate().unwrap();
        let foreign = vouch_for(&mut brought, stranger, &outsider, &TEAM, &DOC).unwrap();
        let mut receiver = shared.fork();
        receiver.load_incremental(&brought.save_after(&base)).unwrap();
        assert!(matches!(
            check_new_changes(&mut receiver, &base, &[foreign], &[], &TEAM, &DOC, &keys),
            Err(AuthorshipError::UnregisteredActor(_))
        ));
    }
}
