//! Teams that know each other: a team's sharing card, and trusting another team's card,
//! the first step of referring a patient to it (docs/sync-protocol.md, "Sharing between
//! teams"). A card is public: it lets whoever holds it read nothing.

use super::{Context, team::KEYRING};
use crate::clinical::Action;
use crate::documents::patient::TeamConsent;
use crate::documents::team::PartnerTeam;
use crate::documents::{DocumentKind, Team, Timestamp};
use crate::error::{Error, Result, Sender};
use crate::ids::PatientId;
use crate::store::AuditAction;
use crate::sync::card::{CardError, SignedCard, TeamCard, VerifiedCard, valid_ods_code};
use serde::Serialize;

/// A team's sharing card as a clinician sees it: whom it names, and the fingerprint its
/// admins read to each other before one trusts it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TeamCardView {
    pub team_id: String,
    pub name: String,
    pub ods_code: Option<String>,
    /// The team's identity in five groups of four (`4F2A 19C0 ...`), the same on every
    /// card the team issues.
    pub fingerprint: String,
    pub issued_at: Timestamp,
    /// The card itself (`HRC1-...`), to paste or put in a QR code.
    pub text: String,
    /// This team already trusts the team of this card (with this fingerprint).
    pub trusted: bool,
    /// Who trusted it, and when, for a trusted team.
    pub trusted_by: Option<String>,
    pub trusted_at: Option<Timestamp>,
}

fn refused(e: CardError) -> Error {
    Error::Protocol { sender: Sender::TeamCard, detail: e.to_string() }
}

fn view(verified: &VerifiedCard, text: String, partner: Option<&PartnerTeam>) -> TeamCardView {
    let card = &verified.card;
    TeamCardView {
        team_id: hex::encode(card.team),
        name: card.name.clone(),
        ods_code: card.ods_code.clone(),
        fingerprint: verified.fingerprint.to_string(),
        issued_at: Timestamp(card.issued_at * 1000),
        text,
        trusted: partner.is_some(),
        trusted_by: partner.map(|p| p.trusted_by.name.clone()),
        trusted_at: partner.map(|p| p.trusted_at),
    }
}

/// The fingerprint as typed or read out: case, spaces and dashes do not matter.
fn same_fingerprint(typed: &str, shown: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
    };
    !norm(typed).is_empty() && norm(typed) == norm(shown)
}

pub(super) async fn team_card(cx: &Context, ods_code: Option<&str>) -> Result<TeamCardView> {
    let ods_code = ods_code.map(|c| c.trim().to_uppercase()).filter(|c| !c.is_empty());
    if let Some(c) = &ods_code
        && !valid_ods_code(c)
    {
        return Err(Error::Input(format!(
            "\"{c}\" is not an ODS code: an organisation's code is 3 to 10 letters and digits (e.g. RJ1 or A81001)"
        )));
    }
    let mut tx = cx.store.begin_write().await?;
    super::team::require_admin(cx, &mut tx, "issue the team's sharing card").await?;
    // The card proves the signer an admin from what the relay confirmed, so that every
    // statement in its proof is one the team's devices hold too.
    let registry = super::team::replayed_registry(cx, &mut tx).await?;
    if !registry.device(&cx.device_key.public_key()).is_some_and(|d| d.admin && d.active()) {
        return Err(Error::Input(
            "the relay has not confirmed this device as the team's admin yet: sync with the relay, then issue the card".into(),
        ));
    }
    let keyring =
        super::team::keyring(&mut tx).await?.ok_or_else(|| Error::Internal("no team key".into()))?;
    let key_id = keyring.current().ok_or_else(|| Error::Internal("the keyring is empty".into()))?;
    let mut team = super::team::draft_team(cx, &mut tx).await?;
    if ods_code.is_some() && team.value.ods_code != ods_code {
        team.value.ods_code = ods_code;
        cx.save(&mut tx, &mut team, "set the team's ODS code").await?;
    }
    let card = TeamCard {
        team: cx.me.team_id.0,
        name: team.value.name.clone(),
        ods_code: team.value.ods_code.clone(),
        sharing_key: keyring.sharing_public(&key_id).expect("the current key is held"),
        sharing_key_id: key_id,
        issued_at: chrono::Utc::now().timestamp(),
    };
    let signed = SignedCard::sign(&cx.device_key, &card, &registry).map_err(|e| match e {
        CardError::Name => {
            Error::Input("the team's name cannot go on a card: give it 1 to 200 characters".into())
        }
        other => Error::Internal(other.to_string()),
    })?;
    let verified = signed.verify().map_err(|e| Error::Internal(e.to_string()))?;
    cx.audit(&mut tx, AuditAction::Team, None, "issued the team's sharing card".into()).await?;
    tx.commit().await?;
    Ok(view(&verified, signed.to_text(), None))
}

pub(super) async fn read_team_card(cx: &Context, text: &str) -> Result<TeamCardView> {
    let (verified, text) = check_card(cx, text)?;
    let team = team_document(cx).await?;
    let partner = team.partners.get(&hex::encode(verified.card.team));
    let trusted = partner.filter(|p| p.fingerprint == hex::encode(verified.fingerprint.0));
    Ok(view(&verified, text, trusted))
}

pub(super) async fn trust_team(cx: &Context, text: &str, fingerprint: &str) -> Result<TeamCardView> {
    let (verified, text) = check_card(cx, text)?;
    let shown = verified.fingerprint.to_string();
    if !same_fingerprint(fingerprint, &shown) {
        return Err(Error::Input(
            "the fingerprint you were read does not match this card's: it is not the card of the team you spoke to; do not trust it".into(),
        ));
    }
    let id = hex::encode(verified.card.team);
    let mut tx = cx.store.begin_write().await?;
    super::team::require_admin(cx, &mut tx, "trust another team").await?;
    let mut team = super::team::draft_team(cx, &mut tx).await?;
    let fingerprint_hex = hex::encode(verified.fingerprint.0);
    if let Some(held) = team.value.partners.get(&id) {
        if held.fingerprint != fingerprint_hex {
            return Err(Error::Input(format!(
                "this team already trusts a team \"{}\" under that id with another fingerprint: a card cannot stand in for a team already trusted",
                held.name
            )));
        }
        // An older card than the one trusted is not taken in its place.
        let held_at = SignedCard::from_text(&held.card).ok().and_then(|c| c.verify().ok());
        if held_at.is_some_and(|h| h.card.issued_at > verified.card.issued_at) {
            return Err(Error::Input("this card is older than the one this team trusts already".into()));
        }
    }
    let partner = PartnerTeam {
        name: verified.card.name.clone(),
        ods_code: verified.card.ods_code.clone(),
        fingerprint: fingerprint_hex,
        card: text.clone(),
        trusted_by: cx.me.clinician_ref(),
        trusted_at: Timestamp::now(),
    };
    team.value.partners.insert(id, partner.clone());
    cx.save(&mut tx, &mut team, "trust another team").await?;
    // What the relay and every device check before a letter passes between the teams.
    super::referral::publish_partner(cx, &mut tx, &verified).await?;
    let what = format!("trusted team {} ({}), fingerprint {shown}", partner.name, ods_label(&partner));
    cx.audit(&mut tx, AuditAction::Team, None, what).await?;
    tx.commit().await?;
    Ok(view(&verified, text, Some(&partner)))
}

pub(super) async fn set_sharing_consent(
    cx: &Context,
    patient: PatientId,
    team: &str,
    agreed: bool,
) -> Result<()> {
    cx.permit(Action::RecordConsent, Some(patient)).await?;
    let (id, partner) = partner(cx, team).await?;
    let action = format!("record consent to share with {}", partner.name);
    cx.edit_patient(patient, &action, |record, by, at: Timestamp| {
        let answer =
            TeamConsent { team: partner.name.clone(), agreed, recorded_by: by.clone(), recorded_at: at };
        record.consent.share_with_teams.insert(id.clone(), answer);
        Ok(())
    })
    .await?;
    if !agreed {
        super::share_end::end_shares_for_withdrawn_consent(cx, patient, Some(&id)).await?;
    }
    Ok(())
}

/// A team this team trusts, by name (any case), id or the start of its id.
pub(super) async fn partner(cx: &Context, team: &str) -> Result<(String, PartnerTeam)> {
    let wanted = team.trim();
    let partners = team_document(cx).await?.partners;
    let mut found: Vec<(String, PartnerTeam)> = partners
        .into_iter()
        .filter(|(id, p)| {
            p.name.eq_ignore_ascii_case(wanted)
                || (wanted.len() >= 6 && id.starts_with(&wanted.to_lowercase()))
        })
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::Input(format!(
            "this team does not trust a team \"{wanted}\": an admin trusts its card first (`hedgerow team trust CARD`)"
        ))),
        _ => Err(Error::Input(format!("more than one trusted team is called \"{wanted}\": give its id"))),
    }
}

pub(super) async fn partner_teams(cx: &Context) -> Result<Vec<TeamCardView>> {
    let team = team_document(cx).await?;
    let mut out = Vec::new();
    for partner in team.partners.values() {
        let (verified, text) = check_card(cx, &partner.card)?;
        out.push(view(&verified, text, Some(partner)));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn check_card(cx: &Context, text: &str) -> Result<(VerifiedCard, String)> {
    let signed = SignedCard::from_text(text).map_err(refused)?;
    let verified = signed.verify().map_err(refused)?;
    if verified.card.team == cx.me.team_id.0 {
        return Err(Error::Input("that is this team's own card".into()));
    }
    Ok((verified, signed.to_text()))
}

pub(super) async fn team_document(cx: &Context) -> Result<Team> {
    let mut rx = cx.store.begin_read().await?;
    if rx.setting(KEYRING).await?.is_none() {
        return Err(Error::Input(
            "this device is not in a shared team yet: create or join one before working with other teams"
                .into(),
        ));
    }
    rx.read_document::<Team>(&cx.me.team_id.0, DocumentKind::Team)
        .await?
        .ok_or_else(|| Error::Corrupt("the team document is missing".into()))
}

fn ods_label(p: &PartnerTeam) -> String {
    p.ods_code.as_deref().map_or_else(|| "no ODS code".to_owned(), |c| format!("ODS {c}"))
}

#[cfg(test)]
mod tests {
    use super::same_fingerprint;

    #[test]
    fn a_fingerprint_matches_however_it_was_typed_and_never_when_empty() {
        assert!(same_fingerprint("4f2a-19c0 0000 1111 2222", "4F2A 19C0 0000 1111 2222"));
        assert!(!same_fingerprint("4F2A 19C0 0000 1111 2223", "4F2A 19C0 0000 1111 2222"));
        assert!(!same_fingerprint(" - ", ""));
    }
}
