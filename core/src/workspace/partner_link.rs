//! Letters handed over directly to a device of a team this team shares records with (the
//! store side of [`PartnerSession`]): the letters this device would give the relay for that
//! team, the changes to the shared records the other device says it lacks, and those it is
//! given, opened and taken in as from its own log. The outbox's letters stay there for the
//! relay, and the relay gets the shared records' changes at the next sync as it would have,
//! so the other team's other devices get them too; taking one in twice changes nothing.

use super::Context;
use super::peer::PeerReport;
use super::referral::{LetterContent, partner_card};
use super::team::OUTBOX_LETTER;
use crate::error::{Error, Result};
use crate::store::AuditAction;
use crate::sync::client::INFLATE_BUDGET;
use crate::sync::partner::{Held, MAX_LETTERS, PartnerError, PartnerEvent, PartnerSession, Side};
use crate::sync::registry::{PositionedStatement, Registry};
use crate::sync::wire::LogEntry;
use automerge::ChangeHash;
use std::collections::{BTreeMap, HashMap};

fn peer_err(e: impl std::fmt::Display) -> Error {
    Error::Peer(e.to_string())
}

fn session_err(peer: &[u8; 32], e: PartnerError) -> Error {
    match e {
        PartnerError::Wire(_) | PartnerError::Protocol(_) => Error::from_device(peer, e.to_string()),
        PartnerError::SameTeam | PartnerError::Goodbye(_) => peer_err(e),
    }
}

pub(super) async fn exchange_letters_stream(
    cx: &Context,
    peer: [u8; 32],
    side: Side,
    mut r: impl tokio::io::AsyncRead + Unpin,
    mut w: impl tokio::io::AsyncWrite + Unpin,
) -> Result<PeerReport> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ours = super::team::confirmed_registry(&mut cx.store.begin_read().await?).await?;
    let mut session = PartnerSession::new(cx.me.team_id.0, ours, side);
    let mut report = PeerReport { peer: hex::encode(peer), ..Default::default() };
    let mut refused: Option<String> = None;
    let outcome: Result<()> = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            while let Some(ev) = session.poll_event() {
                if refused.is_some() {
                    continue; // nothing more is done with a device refused
                }
                match ev {
                    PartnerEvent::Hello { team, registry } => {
                        match check_partner_device(cx, &peer, team, registry).await? {
                            Ok(name) => {
                                report.partner_team = Some(name);
                                session.hold(holding_for(cx, team).await?);
                            }
                            Err(why) => {
                                // The other end is told no more than that.
                                session.refuse("this device's team shares no records with yours");
                                refused = Some(format!("refused device {}: {why}", hex::encode(&peer[..8])));
                            }
                        }
                    }
                    PartnerEvent::Holding { documents } => {
                        let team = session.their_team().unwrap_or_default();
                        let (mut letters, not_sent) = Box::pin(letters_for(cx, team, documents)).await?;
                        if letters.len() > MAX_LETTERS {
                            let over = letters.len() - MAX_LETTERS;
                            letters.truncate(MAX_LETTERS);
                            report.left_out.push(format!(
                                "{over} letter(s) past the exchange's limit: they go through the relay"
                            ));
                        }
                        report.left_out.extend(not_sent);
                        report.letters_sent = letters.len() as u64;
                        session.send_letters(letters);
                    }
                    PartnerEvent::Letters { entries } => {
                        let team = session.their_team().unwrap_or_default();
                        Box::pin(take_handed_letters(cx, peer, team, entries, &mut report)).await?;
                    }
                }
            }
            while let Some(f) = session.poll_transmit() {
                w.write_all(&f).await.map_err(peer_err)?;
            }
            w.flush().await.map_err(peer_err)?;
            if session.is_done() {
                crate::sync::transport::close_both_ways(&mut r, &mut w).await;
                return match refused.take() {
                    Some(why) => Err(Error::Peer(why)),
                    None => Ok(()),
                };
            }
            let n = tokio::time::timeout(super::peer_link::PEER_STALL, r.read(&mut buf))
                .await
                .map_err(|_| peer_err("the other device stopped answering"))?
                .map_err(peer_err)?;
            if n == 0 {
                return Err(peer_err("the other device closed the connection before the exchange finished"));
            }
            session.handle_input(&buf[..n]).map_err(|e| session_err(&peer, e))?;
        }
    }
    .await;
    report.bytes_sent = session.bytes_sent as u64;
    report.bytes_received = session.bytes_received as u64;
    audit_letter_exchange(cx, &report, &outcome).await?;
    outcome?;
    Ok(report)
}

/// Whether `peer`, saying it is of `team` with `registry`, is an active device of a team
/// this team trusts: that team's name, or why not. The registry must replay to the
/// charter this team's admin trusted (its `Partner` statement), and name `peer` active,
/// as must the newest registry of that team seen here.
async fn check_partner_device(
    cx: &Context,
    peer: &[u8; 32],
    team: [u8; 16],
    registry: Vec<PositionedStatement>,
) -> Result<std::result::Result<String, String>> {
    let Some(name) =
        super::sharing::team_document(cx).await?.partners.get(&hex::encode(team)).map(|p| p.name.clone())
    else {
        return Ok(Err(format!("its team ({}) is not one this team shares records with", hex::encode(team))));
    };
    let mut tx = cx.store.begin_write().await?;
    let trusted = super::team::replayed_registry(cx, &mut tx).await?.partner(&team);
    let charter = Registry::replay(team, &registry).ok().and_then(|r| r.charter_digest());
    if trusted.is_none() || charter != trusted {
        return Ok(Err(format!("it named {name} with a registry that is not the one this team trusts")));
    }
    match super::partner_registry::newest_partner_registry(&mut tx, team, &name, peer, registry).await? {
        Ok(_) => {
            tx.commit().await?;
            Ok(Ok(name))
        }
        Err(why) => Ok(Err(why)),
    }
}

/// What this device holds of every document of the records shared with `team`.
async fn holding_for(cx: &Context, team: [u8; 16]) -> Result<Vec<Held>> {
    let docs = cx.store.begin_read().await?.documents_shared_with(&team).await?;
    Ok(docs
        .into_iter()
        .map(|d| Held { document: d.id, heads: d.heads.iter().map(|h| h.0).collect() })
        .collect())
}

/// Every letter this device holds for `team`: what it has not yet given the relay, and
/// for each shared record the other device lacks something of, the changes beyond what
/// it said it holds (`theirs`), written now. These go by hand only: the relay gets the
/// team's letters at the next sync, as it would have.
async fn letters_for(
    cx: &Context,
    team: [u8; 16],
    theirs: Vec<Held>,
) -> Result<(Vec<LogEntry>, Vec<String>)> {
    let stated: HashMap<[u8; 16], Vec<ChangeHash>> =
        theirs.into_iter().map(|h| (h.document, h.heads.into_iter().map(ChangeHash).collect())).collect();
    let team_doc = super::sharing::team_document(cx).await?;
    let mut tx = cx.store.begin_write().await?;
    let mut out = Vec::new();
    for item in tx.outbox().await? {
        if item.kind != OUTBOX_LETTER {
            continue;
        }
        if let Ok((to, entry)) = postcard::from_bytes::<([u8; 16], LogEntry)>(&item.payload)
            && to == team
        {
            out.push(entry);
        }
    }
    let registry = super::team::replayed_registry(cx, &mut tx).await?;
    let card = team_doc.partners.get(&hex::encode(team)).and_then(|p| partner_card(&p.card).ok());
    let mut not_sent = Vec::new();
    let Some(card) = card.filter(|_| registry.is_active(&cx.device_key.public_key())) else {
        return Ok((out, not_sent));
    };
    let authors = super::shared_record::author_directory(cx, &mut tx, &team_doc.name).await?;
    let mut by_patient: BTreeMap<[u8; 16], Vec<_>> = BTreeMap::new();
    for d in tx.documents_shared_with(&team).await? {
        let theirs = stated.get(&d.id).cloned().unwrap_or_default();
        let same = theirs.len() == d.heads.len() && theirs.iter().all(|h| d.heads.contains(h));
        if !same {
            by_patient.entry(d.patient).or_default().push((d.id, d.kind, d.version, theirs));
        }
    }
    for (patient, docs) in by_patient {
        if let (Some(letter), _) =
            super::shared_record::changes_letter(&mut tx, &authors, patient, docs).await?
        {
            // One record too large to hand over does not stop the rest.
            let payload = match super::referral::post_letter_entry(
                cx,
                &registry,
                &card,
                &LetterContent::Changes(letter),
            ) {
                Ok(p) => p,
                Err(e) => {
                    let id = crate::ids::PatientId(patient).to_hex();
                    not_sent.push(format!(
                        "the changes to record {id} were not handed over ({e}): they go through the relay"
                    ));
                    continue;
                }
            };
            let (_, entry): ([u8; 16], LogEntry) =
                postcard::from_bytes(&payload).map_err(|e| Error::Internal(e.to_string()))?;
            out.push(entry);
        }
    }
    Ok((out, not_sent))
}

/// Opens each letter as the relay's would be, and takes it in: sealed to this team,
/// written by the device handing it over, of the team it said, which this team's
/// registry names as a partner under the charter its admin trusted.
async fn take_handed_letters(
    cx: &Context,
    peer: [u8; 32],
    team: [u8; 16],
    entries: Vec<LogEntry>,
    report: &mut PeerReport,
) -> Result<()> {
    let (keyring, registry) = {
        let mut rx = cx.store.begin_read().await?;
        let keyring = super::team::keyring(&mut rx)
            .await?
            .ok_or_else(|| Error::Internal("this team device holds no team key".into()))?;
        (keyring, super::team::replayed_registry(cx, &mut rx).await?)
    };
    for entry in entries {
        let by = hex::encode(&entry.author[..8]);
        if entry.author != peer {
            report.left_out.push(format!("a letter by device {by}, handed over by another device"));
            continue;
        }
        let letter =
            match crate::sync::letter::open_letter(&cx.me.team_id.0, &keyring, &entry, INFLATE_BUDGET) {
                Ok(l) => l,
                Err(e) => {
                    report.left_out.push(format!("a letter by device {by} that does not open: {e}"));
                    continue;
                }
            };
        if letter.from != team || registry.partner(&letter.from) != Some(letter.charter) {
            report.left_out.push(format!("a letter by device {by} from a team this team does not trust"));
            continue;
        }
        let statements = letter.registry.statements().to_vec();
        match Box::pin(super::referral::take_letter(
            cx,
            letter.from,
            letter.author,
            statements,
            &letter.content,
        ))
        .await?
        {
            None => report.letters_received += 1,
            Some(why) => report.left_out.push(format!("a letter by device {by}: {why}")),
        }
    }
    Ok(())
}

async fn audit_letter_exchange(cx: &Context, report: &PeerReport, outcome: &Result<()>) -> Result<()> {
    let mut tx = cx.store.begin_write().await?;
    let with = match &report.partner_team {
        Some(name) => format!("a device of {name} ({})", &report.peer[..16]),
        None => format!("device {}", &report.peer[..16]),
    };
    let detail = match outcome {
        Ok(()) => format!(
            "handed letters directly to {with}: {} sent, {} taken in, {} left out",
            report.letters_sent,
            report.letters_received,
            report.left_out.len()
        ),
        Err(e) => format!("a direct letter exchange with {with} failed: {e}"),
    };
    cx.audit(&mut tx, AuditAction::Sync, None, detail).await?;
    tx.commit().await
}
