use super::*;
use crate::keys::Keyring;
use crate::registry::{Statement, StatementBody};

const HOSPICE: [u8; 16] = [9; 16];

fn statement(key: &DeviceKey, team: [u8; 16], body: StatementBody) -> SignedStatement {
    SignedStatement::sign(key, &Statement { team, issued_at: 1_800_000_000, body })
}

/// A team founded by `founder`, with a nurse enrolled by a grant (not an admin) and a
/// second admin enrolled the same way.
fn team(founder: &DeviceKey, nurse: &DeviceKey, admin: &DeviceKey, id: [u8; 16]) -> Registry {
    let mut r = Registry::new(id);
    let charter = StatementBody::Charter { x25519: founder.x25519_public(), actor: [1; 16] };
    r.apply(statement(founder, id, charter), 1).unwrap();
    for (i, (device, is_admin)) in [(nurse, false), (admin, true)].into_iter().enumerate() {
        let grant = StatementBody::Grant {
            device: device.public_key(),
            x25519: device.x25519_public(),
            actor: [i as u8 + 2; 16],
            admin: is_admin,
        };
        r.apply(statement(founder, id, grant), i as u64 + 2).unwrap();
    }
    r
}

fn card(keys: &Keyring, name: &str) -> TeamCard {
    let id = keys.current().unwrap();
    TeamCard {
        team: HOSPICE,
        name: name.into(),
        ods_code: Some("8H734".into()),
        sharing_key: keys.sharing_public(&id).unwrap(),
        sharing_key_id: id,
        issued_at: 1_800_000_100,
    }
}

/// A card signed by hand, past `SignedCard::sign`'s checks, with `registry` as its proof.
fn signed_by_hand(key: &DeviceKey, card: &TeamCard, registry: &Registry) -> SignedCard {
    let bytes = postcard::to_stdvec(card).unwrap();
    SignedCard {
        signature: key.sign(&[SIGNING_CONTEXT, &bytes].concat()).to_vec(),
        card: bytes,
        signer: key.public_key(),
        proof: registry.statements().iter().map(|s| s.statement.clone()).collect(),
    }
}

fn keys() -> (DeviceKey, DeviceKey, DeviceKey, Keyring) {
    let founder = DeviceKey::generate().unwrap();
    let ring = Keyring::generate(founder.public_key()).unwrap();
    (founder, DeviceKey::generate().unwrap(), DeviceKey::generate().unwrap(), ring)
}

#[test]
fn a_card_goes_through_text_and_names_its_team_by_the_charter() {
    let (founder, nurse, admin, ring) = keys();
    let registry = team(&founder, &nurse, &admin, HOSPICE);
    for signer in [&founder, &admin] {
        let signed = SignedCard::sign(signer, &card(&ring, "Rowan Hospice"), &registry).unwrap();
        let back = SignedCard::from_text(&format!("  {}\n", signed.to_text())).unwrap();
        let verified = back.verify().unwrap();
        assert_eq!(verified.card, card(&ring, "Rowan Hospice"));
        assert_eq!(verified.signer, signer.public_key());
        assert_eq!(verified.fingerprint.0, registry.statements()[0].statement.digest());
        assert_eq!(verified.fingerprint.to_string().len(), 24, "{}", verified.fingerprint);
    }
    // The founder's card carries only the charter; the second admin's, through its grant.
    let by_founder = SignedCard::sign(&founder, &card(&ring, "Rowan Hospice"), &registry).unwrap();
    assert_eq!(by_founder.proof.len(), 1);
    assert_eq!(SignedCard::sign(&admin, &card(&ring, "Rowan Hospice"), &registry).unwrap().proof.len(), 3);
}

#[test]
fn the_sharing_key_on_a_card_is_one_only_the_teams_key_holders_can_use() {
    let (_, _, _, ring) = keys();
    let id = ring.current().unwrap();
    let secret = ring.sharing_secret(&id).unwrap();
    assert_eq!(x25519_dalek::PublicKey::from(&secret).to_bytes(), ring.sharing_public(&id).unwrap());
    let (_, _, _, other) = keys();
    assert_ne!(other.sharing_public(&other.current().unwrap()), ring.sharing_public(&id));
}

#[test]
fn a_card_whose_name_or_key_was_changed_after_signing_is_refused() {
    let (founder, nurse, admin, ring) = keys();
    let registry = team(&founder, &nurse, &admin, HOSPICE);
    let signed = SignedCard::sign(&founder, &card(&ring, "Rowan Hospice"), &registry).unwrap();
    let mut renamed = card(&ring, "Rowan Hospice Referrals");
    let mut forged = signed.clone();
    forged.card = postcard::to_stdvec(&renamed).unwrap();
    assert_eq!(forged.verify(), Err(CardError::BadSignature));
    renamed.name = "Rowan Hospice".into();
    renamed.sharing_key = [7; 32];
    forged.card = postcard::to_stdvec(&renamed).unwrap();
    assert_eq!(forged.verify(), Err(CardError::BadSignature));
}

#[test]
fn a_card_signed_by_a_member_who_is_not_an_admin_is_refused() {
    let (founder, nurse, admin, ring) = keys();
    let registry = team(&founder, &nurse, &admin, HOSPICE);
    assert_eq!(
        SignedCard::sign(&nurse, &card(&ring, "Rowan Hospice"), &registry).err(),
        Some(CardError::NotAdmin)
    );
    // Made by hand, with the whole registry as its proof.
    let forged = signed_by_hand(&nurse, &card(&ring, "Rowan Hospice"), &registry);
    assert_eq!(forged.verify(), Err(CardError::NotAdmin));
}

#[test]
fn a_card_whose_proof_is_another_teams_registry_is_refused() {
    let (founder, nurse, admin, ring) = keys();
    let mallory = DeviceKey::generate().unwrap();
    let own = team(&mallory, &nurse, &admin, [6; 16]);
    let forged = signed_by_hand(&mallory, &card(&ring, "Rowan Hospice"), &own);
    assert_eq!(forged.verify(), Err(CardError::Proof(RegistryError::WrongTeam)));
    // A charter of its own under the hospice's id checks, but it is another team: its
    // fingerprint differs, which is what the admins compare.
    let real =
        SignedCard::sign(&founder, &card(&ring, "Rowan Hospice"), &team(&founder, &nurse, &admin, HOSPICE))
            .unwrap()
            .verify()
            .unwrap();
    let twin = team(&mallory, &nurse, &admin, HOSPICE);
    let fake = SignedCard::sign(&mallory, &card(&ring, "Rowan Hospice"), &twin).unwrap().verify().unwrap();
    assert_ne!(fake.fingerprint, real.fingerprint);
}

#[test]
fn what_is_not_a_card_says_so() {
    assert_eq!(SignedCard::from_text("HR1-00ff").err(), Some(CardError::NotACard));
    assert_eq!(SignedCard::from_text("HRC1-zz").err(), Some(CardError::NotACard));
    assert!(matches!(SignedCard::from_text("HRC1-00FF"), Err(CardError::Malformed(_))));
    assert_eq!(SignedCard::from_text(&"A".repeat(MAX_TEXT + 1)).err(), Some(CardError::TooLong));
    let (founder, nurse, admin, ring) = keys();
    let registry = team(&founder, &nurse, &admin, HOSPICE);
    let mut bad = card(&ring, "Rowan Hospice");
    bad.ods_code = Some("rj1; drop".into());
    assert_eq!(SignedCard::sign(&founder, &bad, &registry).err(), Some(CardError::OdsCode));
    bad.ods_code = None;
    bad.name = " ".into();
    assert_eq!(SignedCard::sign(&founder, &bad, &registry).err(), Some(CardError::Name));
    let mut empty = SignedCard::sign(&founder, &card(&ring, "Rowan Hospice"), &registry).unwrap();
    empty.proof.clear();
    assert_eq!(empty.verify(), Err(CardError::Proof(RegistryError::Charter)));
}
