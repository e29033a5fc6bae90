//! Attacks on trust between teams: a card changed after it was signed, and a team of
//! someone's own making under the id of a team already trusted.

use hedgerow_core::Error;
use hedgerow_core::sync::card::{SignedCard, TeamCard};
use hedgerow_core::sync::keys::Keyring;
use hedgerow_core::sync::registry::{Registry, SignedStatement, Statement, StatementBody};
use hedgerow_tests::ward_and_hospice;

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
