//! Teams that know each other: a hospice issues its sharing card, a hospital ward's admin
//! checks its fingerprint and trusts it, and the whole ward team then knows the hospice.

use hedgerow_core::Error;
use hedgerow_core::documents::Role;
use hedgerow_core::store::AuditAction;
use hedgerow_tests::MemoryTeam;

async fn ward_and_hospice() -> (MemoryTeam, MemoryTeam) {
    let ward = MemoryTeam::named("Ward 7, Hartsmoor General", "Dr Ines Calloway", Role::Gp).await.unwrap();
    let hospice = MemoryTeam::named("Rowan Hospice", "Maren Oduya", Role::HospiceNurse).await.unwrap();
    (ward, hospice)
}

#[tokio::test]
async fn a_ward_trusts_a_hospice_card_once_its_admin_has_been_read_the_fingerprint() {
    let (mut ward, hospice) = ward_and_hospice().await;
    let card = hospice.admin.team_card(Some("8h734")).await.unwrap();
    assert_eq!((card.name.as_str(), card.ods_code.as_deref()), ("Rowan Hospice", Some("8H734")));
    assert!(card.text.starts_with("HRC1-"));
    // The ODS code stays on the team for the next card.
    assert_eq!(hospice.admin.team_card(None).await.unwrap().ods_code.as_deref(), Some("8H734"));

    let shown = ward.admin.read_team_card(&card.text).await.unwrap();
    assert_eq!(
        (shown.name.as_str(), shown.fingerprint.as_str()),
        ("Rowan Hospice", card.fingerprint.as_str())
    );
    assert!(!shown.trusted);

    let misread = format!("{}0", &card.fingerprint[..card.fingerprint.len() - 1]);
    let misread =
        if misread == card.fingerprint { format!("{}1", &misread[..misread.len() - 1]) } else { misread };
    assert!(matches!(ward.admin.trust_team(&card.text, &misread).await, Err(Error::Input(_))));
    assert!(ward.admin.partner_teams().await.unwrap().is_empty());

    let typed = card.fingerprint.to_lowercase().replace(' ', "-");
    let trusted = ward.admin.trust_team(&card.text, &typed).await.unwrap();
    assert!(trusted.trusted);
    assert_eq!(trusted.trusted_by.as_deref(), Some("Dr Ines Calloway"));
    let audit = ward.admin.audit_log(None).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == AuditAction::Team && e.detail.contains("trusted team Rowan Hospice")),
        "{audit:?}"
    );

    // Every device of the ward team knows the hospice after its next sync.
    let nurse = ward.join("Tamsin Rook", Role::DistrictNurse).await.unwrap();
    let partners = nurse.partner_teams().await.unwrap();
    assert_eq!(partners.len(), 1);
    assert_eq!(
        (partners[0].name.as_str(), partners[0].fingerprint.as_str()),
        ("Rowan Hospice", card.fingerprint.as_str())
    );
    assert!(nurse.read_team_card(&card.text).await.unwrap().trusted);
}

#[tokio::test]
async fn only_a_team_admin_issues_the_card_or_trusts_another_team() {
    let (mut ward, hospice) = ward_and_hospice().await;
    let card = hospice.admin.team_card(None).await.unwrap();
    let nurse = ward.join("Tamsin Rook", Role::DistrictNurse).await.unwrap();
    assert!(matches!(nurse.team_card(None).await, Err(Error::Input(m)) if m.contains("admin")));
    assert!(
        matches!(nurse.trust_team(&card.text, &card.fingerprint).await, Err(Error::Input(m)) if m.contains("admin"))
    );
    // A team's own card is not another team.
    let own = ward.admin.team_card(None).await.unwrap();
    assert!(matches!(ward.admin.trust_team(&own.text, &own.fingerprint).await, Err(Error::Input(_))));
    assert!(matches!(ward.admin.team_card(Some("not an ods code")).await, Err(Error::Input(_))));
}
