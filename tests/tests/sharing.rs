//! Teams that know each other: a hospice issues its sharing card, a hospital ward's admin
//! checks its fingerprint and trusts it, and the whole ward team then knows the hospice.

use hedgerow_core::Error;
use hedgerow_core::documents::Role;
use hedgerow_core::store::AuditAction;
use hedgerow_tests::ward_and_hospice;

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

async fn patient_of(ws: &hedgerow_core::Workspace, name: &str, n: usize) -> hedgerow_core::ids::PatientId {
    ws.add_patient(hedgerow_core::NewPatient {
        nhs_number: hedgerow_tests::fictional_nhs_number(n).parse().unwrap(),
        name: name.into(),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1941, 2, 9).unwrap(),
        address: None,
    })
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn consent_to_share_is_asked_team_by_team_and_a_disagreement_is_no_answer() {
    let (mut ward, hospice) = ward_and_hospice().await;
    let card = hospice.admin.team_card(None).await.unwrap();
    let harold = patient_of(&ward.admin, "Harold Pennick", 1).await;
    let edith = patient_of(&ward.admin, "Edith Marrable", 2).await;
    // Only a team this team trusts can be named.
    assert!(matches!(
        ward.admin.set_sharing_consent(harold, "Rowan Hospice", true).await,
        Err(Error::Input(_))
    ));
    ward.admin.trust_team(&card.text, &card.fingerprint).await.unwrap();
    ward.admin.set_sharing_consent(harold, "rowan hospice", true).await.unwrap();
    let record = ward.admin.open_patient(harold).await.unwrap().record;
    let with = &record.consent.with_teams;
    assert_eq!(with.len(), 1);
    assert_eq!(
        (with[0].team.as_str(), with[0].agreed, with[0].text.as_str()),
        ("Rowan Hospice", Some(true), "yes")
    );
    assert_eq!(with[0].team_id, card.team_id);
    // A yes for the hospice is not a yes for the care team, nor the reverse.
    assert_eq!(record.consent.share_with_team, None);
    ward.admin.set_consent(harold, true, false).await.unwrap();
    let record = ward.admin.open_patient(harold).await.unwrap().record;
    assert_eq!(record.consent.with_teams[0].agreed, Some(true), "recording the team consent keeps the rest");

    // Two clinicians record different answers apart: a change from yes to no beside a
    // first answer on another device, and two first answers; neither is the patient's.
    let nurse = ward.join("Tamsin Rook", Role::DistrictNurse).await.unwrap();
    ward.admin.set_sharing_consent(harold, &card.team_id, false).await.unwrap();
    ward.admin.set_sharing_consent(edith, "Rowan Hospice", true).await.unwrap();
    nurse.set_sharing_consent(edith, &card.team_id[..8], false).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    ward.sync(&nurse).await.unwrap();
    ward.sync(&ward.admin).await.unwrap();
    for ws in [&ward.admin, &nurse] {
        let harold = ws.open_patient(harold).await.unwrap().record.consent.with_teams;
        assert_eq!(
            (harold[0].agreed, harold[0].text.as_str()),
            (Some(false), "NO"),
            "one change, no conflict"
        );
        let labels: Vec<String> = ws.conflicts(edith).await.unwrap().into_iter().map(|c| c.label).collect();
        assert!(labels.iter().any(|l| l == "Consent to share with Rowan Hospice"), "{labels:?}");
        let with = ws.open_patient(edith).await.unwrap().record.consent.with_teams;
        assert_eq!(with[0].agreed, None, "neither answer is the patient's");
        assert!(with[0].text.starts_with("DISPUTED: "), "{}", with[0].text);
        assert_eq!(with[0].recorded_by, None);
    }
}
