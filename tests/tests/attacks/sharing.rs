//! Attacks on trust between teams: a card changed after it was signed, a team of
//! someone's own making under the id of a team already trusted, a letter to a team that
//! has not trusted its sender, a referral from a revoked device, and letters slipped into
//! a log by another way than the relay's delivery between partners.

use hedgerow_core::Error;
use hedgerow_core::documents::Role;
use hedgerow_core::sync::card::{SignedCard, TeamCard};
use hedgerow_core::sync::keys::Keyring;
use hedgerow_core::sync::letter::seal_letter;
use hedgerow_core::sync::registry::{Registry, SignedStatement, Statement, StatementBody};
use hedgerow_core::sync::wire::{EntryKind, Refusal, Reply, Request};
use hedgerow_relay::RelayStorage;
use hedgerow_tests::{
    MemoryTeam, RawConnection, harold, hello, refusal_of, trusting_each_other, ward_and_hospice,
};

#[tokio::test]
async fn a_team_card_renamed_or_rekeyed_after_it_was_signed_is_refused() {
    let (ward, hospice) = ward_and_hospice().await;
    let card = hospice.admin.team_card(Some("8H734")).await.unwrap();
    let signed = SignedCard::from_text(&card.text).unwrap();
    let mut inner: TeamCard = postcard::from_bytes(&signed.card).unwrap();
    inner.name = "Rowan Hospice Referrals".into();
    let mut renamed = signed.clone();
    renamed.card = postcard::to_stdvec(&inner).unwrap();
    inner.name = "Rowan Hospice".into();
    // A key of the attacker's own, so that referrals would be sealed to them.
    inner.sharing_key = Keyring::generate([5; 32])
        .unwrap()
        .sharing_public(&hedgerow_core::sync::keys::KeyId { epoch: 0, minter: [5; 32] })
        .unwrap();
    let mut rekeyed = signed.clone();
    rekeyed.card = postcard::to_stdvec(&inner).unwrap();
    for forged in [renamed, rekeyed] {
        let refused = ward.admin.trust_team(&forged.to_text(), &card.fingerprint).await;
        assert!(matches!(refused, Err(Error::Protocol { .. })), "{refused:?}");
        assert!(matches!(ward.admin.read_team_card(&forged.to_text()).await, Err(Error::Protocol { .. })));
    }
    assert!(ward.admin.partner_teams().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_team_made_under_the_id_of_a_trusted_team_cannot_take_its_place() {
    let (ward, hospice) = ward_and_hospice().await;
    let card = hospice.admin.team_card(None).await.unwrap();
    ward.admin.trust_team(&card.text, &card.fingerprint).await.unwrap();

    // Mallory charters a team of her own under the hospice's id and signs a card for it.
    let hospice_id = hospice.team_id();
    let mallory = hedgerow_core::crypto::DeviceKey::generate().unwrap();
    let charter = SignedStatement::sign(
        &mallory,
        &Statement {
            team: hospice_id,
            issued_at: chrono::Utc::now().timestamp(),
            body: StatementBody::Charter { x25519: mallory.x25519_public(), actor: [4; 16] },
        },
    );
    let mut registry = Registry::new(hospice_id);
    registry.apply(charter, 1).unwrap();
    let ring = Keyring::generate(mallory.public_key()).unwrap();
    let key = ring.current().unwrap();
    let twin = TeamCard {
        team: hospice_id,
        name: "Rowan Hospice".into(),
        ods_code: None,
        sharing_key: ring.sharing_public(&key).unwrap(),
        sharing_key_id: key,
        issued_at: chrono::Utc::now().timestamp() + 60,
    };
    let forged = SignedCard::sign(&mallory, &twin, &registry).unwrap();
    let shown = ward.admin.read_team_card(&forged.to_text()).await.unwrap();
    assert_ne!(shown.fingerprint, card.fingerprint, "another charter is another fingerprint");
    assert!(!shown.trusted);
    // Even with her own fingerprint read out, the team already trusted under that id stays.
    let refused = ward.admin.trust_team(&forged.to_text(), &shown.fingerprint).await;
    assert!(matches!(refused, Err(Error::Input(m)) if m.contains("another fingerprint")));
    let partners = ward.admin.partner_teams().await.unwrap();
    assert_eq!(partners.len(), 1);
    assert_eq!(partners[0].fingerprint, card.fingerprint);
}

async fn harold_with_consent(ward: &MemoryTeam) -> hedgerow_core::ids::PatientId {
    let id = harold(&ward.admin).await;
    ward.admin.set_sharing_consent(id, "Rowan Hospice", true).await.unwrap();
    id
}

#[tokio::test]
async fn a_referral_to_a_team_that_has_not_trusted_the_ward_is_not_carried() {
    let (ward, hospice) = ward_and_hospice().await;
    let card = hospice.admin.team_card(None).await.unwrap();
    // Only the ward trusts: the hospice never agreed to take the ward's letters.
    ward.admin.trust_team(&card.text, &card.fingerprint).await.unwrap();
    let harold = harold_with_consent(&ward).await;
    ward.admin.refer(harold, "Rowan Hospice", "for symptom control", false).await.unwrap();
    let report = ward.sync(&ward.admin).await.unwrap();
    assert_eq!(report.letters_delivered, 0);
    assert_eq!(report.undelivered.len(), 1, "{report:?}");
    assert!(report.undelivered[0].contains("Rowan Hospice"), "{:?}", report.undelivered);
    let audit = ward.admin.audit_log(None).await.unwrap();
    assert!(audit.iter().any(|e| e.flagged && e.detail.contains("not delivered")), "{audit:?}");
    // The ward goes on syncing; the hospice holds nothing of Harold.
    let again = ward.sync(&ward.admin).await.unwrap();
    assert_eq!(again.undelivered.len(), 1, "kept, and tried again: {again:?}");
    hospice.sync(&hospice.admin).await.unwrap();
    assert!(hospice.admin.referrals().await.unwrap().is_empty());
    let log = hospice.relay.storage().entries_after(hospice.team_id(), 0, [0; 32], usize::MAX).await.unwrap();
    assert!(log.entries.iter().all(|(_, e)| !matches!(e.kind, EntryKind::Letter { .. })));

    // Once the hospice trusts the ward, the referral that waited goes.
    let ward_card = ward.admin.team_card(None).await.unwrap();
    hospice.admin.trust_team(&ward_card.text, &ward_card.fingerprint).await.unwrap();
    hospice.sync(&hospice.admin).await.unwrap();
    assert_eq!(ward.sync(&ward.admin).await.unwrap().letters_delivered, 1);
    assert_eq!(ward.sync(&ward.admin).await.unwrap().letters_delivered, 0, "once");
    hospice.sync(&hospice.admin).await.unwrap();
    assert_eq!(hospice.admin.referrals().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_referral_made_on_a_device_revoked_before_it_synced_never_reaches_the_hospice() {
    let (mut ward, hospice) = ward_and_hospice().await;
    trusting_each_other(&ward, &hospice).await;
    let harold = harold_with_consent(&ward).await;
    let laptop = ward.join("Tamsin Rook", Role::DistrictNurse).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    laptop.refer(harold, "Rowan Hospice", "for symptom control", false).await.unwrap();
    // The laptop is lost before it syncs; an admin revokes it.
    ward.admin.revoke_device(&laptop.identity().device_id.to_hex(), "laptop lost").await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    assert!(ward.sync(&laptop).await.is_err(), "the relay refuses a revoked device");
    hospice.sync(&hospice.admin).await.unwrap();
    assert!(hospice.admin.referrals().await.unwrap().is_empty());
}

#[tokio::test]
async fn letters_slipped_into_a_log_other_than_by_delivery_between_partners_are_refused() {
    let (ward, hospice) = ward_and_hospice().await;
    let card = hospice.admin.team_card(None).await.unwrap();
    let verified = SignedCard::from_text(&card.text).unwrap().verify().unwrap();
    let (key, c) = (ward.admin.test_device_key(), &verified.card);
    let registry = ward.admin.test_registry().await.unwrap();
    let letter =
        |to| seal_letter(&key, &registry, to, &c.sharing_key, c.sharing_key_id, b"let me in").unwrap();

    // Into the ward's own log as if a partner had sent it.
    let mut conn = RawConnection::open(&ward.relay, key.public_key(), super::now());
    let replies =
        conn.send(&[hello(ward.team_id()), Request::Push { entries: vec![letter(ward.team_id())] }]).await;
    assert_eq!(refusal_of(&replies), Some(Refusal::Malformed));

    // To the hospice, which has not trusted the ward: carried nowhere, and said so.
    let mut conn = RawConnection::open(&ward.relay, key.public_key(), super::now());
    let deliver = Request::Deliver { to: hospice.team_id(), entries: vec![letter(hospice.team_id())] };
    let replies = conn.send(&[hello(ward.team_id()), deliver]).await;
    assert!(matches!(replies.last(), Some(Reply::Undelivered { .. })), "{replies:?}");

    // Once both trust each other: a letter naming a third team as its sender, or signed by
    // a device other than the one connected, is refused.
    ward.admin.trust_team(&card.text, &card.fingerprint).await.unwrap();
    let ward_card = ward.admin.team_card(None).await.unwrap();
    hospice.admin.trust_team(&ward_card.text, &ward_card.fingerprint).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    hospice.sync(&hospice.admin).await.unwrap();
    let mut posing = letter(hospice.team_id());
    posing.kind = EntryKind::Letter { from: [9; 16] };
    let posing = hedgerow_core::sync::bundle::sign_entry(&key, &hospice.team_id(), posing);
    let mut conn = RawConnection::open(&ward.relay, key.public_key(), super::now());
    let replies = conn
        .send(&[hello(ward.team_id()), Request::Deliver { to: hospice.team_id(), entries: vec![posing] }])
        .await;
    assert_eq!(refusal_of(&replies), Some(Refusal::Malformed));
    let stranger = hedgerow_core::crypto::DeviceKey::generate().unwrap();
    let mut conn = RawConnection::open(&ward.relay, key.public_key(), super::now());
    let by_another =
        seal_letter(&stranger, &registry, hospice.team_id(), &c.sharing_key, c.sharing_key_id, b"x").unwrap();
    let replies = conn
        .send(&[hello(ward.team_id()), Request::Deliver { to: hospice.team_id(), entries: vec![by_another] }])
        .await;
    assert_eq!(refusal_of(&replies), Some(Refusal::BadSignature));
    hospice.sync(&hospice.admin).await.unwrap();
    assert!(hospice.admin.referrals().await.unwrap().is_empty());
}
