//! Team, device and sync commands.

use crate::cli::{DeviceCommand, TeamCommand};
use crate::commands::{open, parse_role};
use crate::output::print_json;
use crate::passphrase;
use anyhow::{Context, Result, anyhow};
use hedgerow_core::RelayAddress;
use hedgerow_core::workspace::{PeerReport, SyncReport, TeamCardView};
use hedgerow_core::{NewClinician, Workspace};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::path::Path;

fn parse_relay(s: &str) -> Result<RelayAddress> {
    s.parse().map_err(|e: String| anyhow!(e))
}

pub async fn team(dir: &Path, json: bool, cmd: TeamCommand) -> Result<()> {
    match cmd {
        TeamCommand::Create { name } => {
            let ws = open(dir).await?;
            let team = ws.create_team(&name).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "team": team.id, "name": team.name }));
            } else {
                println!("Team \"{}\" created; you are its first admin.", team.name);
                println!(
                    "Run `hedgerow sync --relay ADDRESS` to publish it, then `hedgerow team invite` for each new device."
                );
            }
        }
        TeamCommand::Invite { admin, valid_hours, qr, relay } => {
            if !(1..=24 * 14).contains(&valid_hours) {
                return Err(anyhow!("--valid-hours must be between 1 and 336 (two weeks)"));
            }
            let ws = open(dir).await?;
            let invite = ws.invite_device(admin, chrono::Duration::hours(valid_hours)).await?;
            let published = match relay {
                Some(r) => Some(ws.sync(&parse_relay(&r)?, |_| {}).await?),
                None => None,
            };
            ws.close().await;
            if let Some(path) = &qr {
                write_qr(path, &invite.code)?;
            }
            if json {
                print_json(&json!({ "invite": invite, "qr": qr, "published": published.is_some() }));
            } else {
                println!("Enrolment code (one use, until {}):", invite.expires_at.display());
                println!("\n  {}\n", invite.code);
                if let Some(p) = &qr {
                    println!("QR code written to {}.", p.display());
                }
                println!(
                    "On the new device: hedgerow team join CODE --relay ADDRESS --clinician NAME --role ROLE"
                );
                if published.is_none() {
                    println!("The invite reaches the relay at this device's next `hedgerow sync`.");
                }
            }
        }
        TeamCommand::Card { ods, qr } => {
            let ws = open(dir).await?;
            let card = ws.team_card(ods.as_deref()).await;
            ws.close().await;
            let card = card?;
            if let Some(path) = &qr {
                write_qr(path, &card.text)?;
            }
            if json {
                print_json(&json!({ "card": card, "qr": qr }));
            } else {
                print_card(&card, true);
                println!("\n{}\n", card.text);
                if let Some(p) = &qr {
                    println!("QR code written to {}.", p.display());
                }
                println!(
                    "The other team's admin runs `hedgerow team trust CARD` and checks the fingerprint with you."
                );
            }
        }
        TeamCommand::Trust { card, fingerprint } => {
            let text = card_text(&card)?;
            let ws = open(dir).await?;
            let result = trust(&ws, &text, fingerprint, json).await;
            ws.close().await;
            let trusted = result?;
            if json {
                print_json(&json!({ "trusted": trusted }));
            } else {
                println!("This team now trusts {}.", trusted.name);
            }
        }
        TeamCommand::Retention { days } => {
            let ws = open(dir).await?;
            let set = ws.set_ended_share_retention(days).await;
            ws.close().await;
            set?;
            if json {
                print_json(&json!({ "ended_share_retention_days": days }));
            } else {
                println!(
                    "A read-only copy of a record whose share another team ended is now kept for {days} day(s), then deleted from every device of the team."
                );
            }
        }
        TeamCommand::Partners => {
            let ws = open(dir).await?;
            let partners = ws.partner_teams().await;
            ws.close().await;
            let partners = partners?;
            if json {
                print_json(&json!({ "partners": partners }));
                return Ok(());
            }
            if partners.is_empty() {
                println!("This team trusts no other team yet (`hedgerow team trust CARD`).");
            }
            for p in &partners {
                println!(
                    "{}{}  fingerprint {}  trusted by {} {}",
                    p.name,
                    p.ods_code.as_deref().map(|c| format!(" (ODS {c})")).unwrap_or_default(),
                    p.fingerprint,
                    p.trusted_by.as_deref().unwrap_or("?"),
                    p.trusted_at.map(|t| t.display()).unwrap_or_default()
                );
            }
        }
        TeamCommand::Join { code, relay, clinician, role, registration, label } => {
            let role = parse_role(&role)?;
            let relay = parse_relay(&relay)?;
            let pass = passphrase::get(true)?;
            let ws = Workspace::join(
                dir,
                &pass,
                NewClinician { name: clinician, role, registration },
                &label,
                &code,
                &relay,
            )
            .await?;
            let me = ws.identity().clone();
            let caseload = ws.caseload().await?.len();
            ws.close().await;
            if json {
                print_json(&json!({ "data": dir, "identity": me, "caseload": caseload }));
            } else {
                println!(
                    "This device has joined the team as {} ({}); device {}.",
                    me.name,
                    me.role.label(),
                    me.device_id
                );
                println!("{caseload} patients on the caseload after the first sync.");
            }
        }
    }
    Ok(())
}

pub async fn device(dir: &Path, json: bool, cmd: DeviceCommand) -> Result<()> {
    let ws = open(dir).await?;
    match cmd {
        DeviceCommand::List => {
            let devices = ws.devices().await?;
            ws.close().await;
            if json {
                print_json(&json!({ "devices": devices }));
                return Ok(());
            }
            for d in devices {
                let status = match &d.revoked {
                    Some(r) => {
                        format!("REVOKED {} by {}: {}", r.revoked_at.display(), r.revoked_by.name, r.reason)
                    }
                    None => "active".into(),
                };
                println!(
                    "{}{}  {} ({}){}  {}",
                    d.device_id,
                    if d.this_device { " (this device)" } else { "" },
                    d.clinician,
                    d.label,
                    if d.admin { ", admin" } else { "" },
                    status
                );
                let by = d.enrolled_by.as_deref().unwrap_or("founded the team");
                let relay = if d.confirmed_by_relay { "" } else { "; not yet confirmed by the relay" };
                println!("    enrolled {} ({by}){relay}", d.enrolled_at.display());
            }
        }
        DeviceCommand::Revoke { device, reason } => {
            let d = ws.revoke_device(&device, &reason).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "revoked": d }));
            } else {
                println!("Revoked {} ({}, {}).", d.device_id, d.clinician, d.label);
                println!(
                    "The relay refuses it from your next `hedgerow sync`, and the team key has been rotated."
                );
            }
        }
    }
    Ok(())
}

pub async fn sync(dir: &Path, json: bool, relay: Option<String>) -> Result<()> {
    let ws = open(dir).await?;
    let relay = match relay {
        Some(r) => parse_relay(&r)?,
        None => ws
            .remembered_relay()
            .await?
            .ok_or_else(|| anyhow!("no relay known yet: give one with --relay ENDPOINT_ID@IP:PORT"))?,
    };
    // Drawn on stderr only when it is a terminal.
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let result = ws
        .sync(&relay, |p| {
            bar.set_message(format!(
                "{}: {} received ({} KB), {}/{} sent",
                p.phase.label(),
                p.bundles_received,
                p.bytes_received / 1024,
                p.bundles_pushed,
                p.bundles_to_push
            ));
        })
        .await;
    bar.finish_and_clear();
    ws.close().await;
    let report = result.with_context(|| format!("syncing with {relay}"))?;
    if json {
        print_json(&serde_json::to_value(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

fn print_report(r: &SyncReport) {
    println!(
        "Synced with the relay: {} received, {} sent ({} KB in, {} KB out).",
        r.bundles_received,
        r.bundles_pushed,
        r.bytes_received / 1024,
        r.bytes_sent / 1024
    );
    if r.patients_changed.is_empty() && r.documents_changed == 0 {
        if r.letters_received == 0 {
            println!("Nothing new from the team.");
        }
    } else {
        let mut what = r.patients_changed.clone();
        if r.team_changed {
            what.push("the team (members, devices or caseload)".into());
        }
        if what.is_empty() {
            what.push("visit notes".into());
        }
        println!("Changed by the team: {}", what.join(", "));
        println!("  {} documents updated, {} new to this device.", r.documents_changed, r.new_documents);
    }
    if r.open_conflicts > 0 {
        println!(
            "ATTENTION: {} open conflicts where clinicians disagree: run `hedgerow conflicts`.",
            r.open_conflicts
        );
    }
    if !r.team_keys_received.is_empty() {
        println!("New team key received (epoch {:?}).", r.team_keys_received);
    }
    if let Some(e) = r.waiting_for_key {
        println!("Some changes are sealed with team key epoch {e}, which this device does not have yet.");
    }
    for x in &r.unreadable {
        println!("Kept but not readable by this version (update Hedgerow): {x}");
    }
    if r.letters_delivered > 0 {
        println!(
            "Sent to other teams: {} letter(s) (referrals, answers, changes to shared records).",
            r.letters_delivered
        );
    }
    if r.letters_received > 0 {
        println!(
            "From other teams: {} letter(s) (referrals, answers, changes to shared records; `hedgerow referrals`).",
            r.letters_received
        );
    }
    if r.ended_copies_deleted > 0 {
        println!(
            "Deleted from this device: {} read-only record(s) whose share had ended, their retention passed.",
            r.ended_copies_deleted
        );
    }
    for x in &r.undelivered {
        println!("NOT SENT: {x}");
    }
    for x in &r.rejected {
        println!("Rejected: {x}");
    }
}

/// A card's team; the fingerprint only on the issuing side, which reads it out.
fn print_card(card: &TeamCardView, with_fingerprint: bool) {
    println!("Team:        {}", card.name);
    println!("ODS code:    {}", card.ods_code.as_deref().unwrap_or("not given"));
    if with_fingerprint {
        println!("Fingerprint: {}", card.fingerprint);
        println!("Issued:      {}", card.issued_at.display());
    }
}

/// A card given as its text, or as a file that holds it.
fn card_text(arg: &str) -> Result<String> {
    if arg.trim_start().starts_with("HRC1-") {
        return Ok(arg.to_owned());
    }
    std::fs::read_to_string(arg)
        .with_context(|| format!("{arg} is neither a team card (HRC1-...) nor a file holding one"))
}

async fn trust(ws: &Workspace, text: &str, fingerprint: Option<String>, json: bool) -> Result<TeamCardView> {
    let fingerprint = match fingerprint {
        Some(f) => f,
        None => {
            use std::io::{BufRead, IsTerminal, Write};
            let card = ws.read_team_card(text).await?;
            if json || !std::io::stdin().is_terminal() {
                return Err(anyhow!(
                    "give --fingerprint: the fingerprint {}'s admin reads to you from their own `hedgerow team card`",
                    card.name
                ));
            }
            // Not the card's fingerprint: the admin types what they were read, and the core
            // compares it.
            print_card(&card, false);
            print!("\nAsk {}'s admin to read you their team's fingerprint, and type it here: ", card.name);
            std::io::stdout().flush()?;
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line
        }
    };
    Ok(ws.trust_team(text, &fingerprint).await?)
}

fn write_qr(path: &Path, code: &str) -> Result<()> {
    let qr = qrcode::QrCode::new(code.as_bytes()).context("making the QR code")?;
    let img = qr.render::<image::Luma<u8>>().min_dimensions(360, 360).build();
    img.save(path).with_context(|| format!("writing {}", path.display()))
}

pub async fn sync_peer(dir: &Path, json: bool, peer: &str) -> Result<()> {
    let ws = open(dir).await?;
    let addr = parse_relay(peer)?;
    let result = ws.sync_with_peer(&addr).await;
    ws.close().await;
    let r = result.with_context(|| format!("syncing directly with {peer}"))?;
    if json {
        print_json(&serde_json::to_value(&r)?);
    } else {
        print_peer_report(&r);
    }
    Ok(())
}

pub async fn sync_nearby(dir: &Path, json: bool) -> Result<()> {
    let ws = open(dir).await?;
    let bar = ProgressBar::new_spinner();
    bar.set_message("looking for team devices on this network");
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let found = ws.nearby_devices(std::time::Duration::from_secs(3)).await;
    bar.finish_and_clear();
    let found = found?;
    let mut reports = Vec::new();
    for addr in &found {
        match ws.sync_with_peer(addr).await {
            Ok(r) => {
                if !json {
                    print_peer_report(&r);
                }
                reports.push(serde_json::to_value(&r)?);
            }
            Err(e) => {
                eprintln!("Could not sync with {addr}: {e}");
                reports.push(json!({ "peer": addr.to_string(), "error": e.to_string() }));
            }
        }
    }
    ws.close().await;
    if json {
        print_json(&json!({ "found": found.len(), "syncs": reports }));
    } else if found.is_empty() {
        println!("No team device is listening on this network (on theirs: hedgerow listen).");
    }
    Ok(())
}

fn print_peer_report(r: &PeerReport) {
    if r.partner_team.is_some() {
        println!("Synced directly with {}.", r.summary());
        return;
    }
    println!(
        "Synced directly with device {}: {} documents differed, {} changed here ({} new).",
        &r.peer[..16],
        r.documents_synced,
        r.documents_changed,
        r.new_documents
    );
    if !r.patients_changed.is_empty() {
        println!("Changed: {}", r.patients_changed.join(", "));
    }
    if r.open_conflicts > 0 {
        println!(
            "ATTENTION: {} open conflicts where clinicians disagree: run `hedgerow conflicts`.",
            r.open_conflicts
        );
    }
}

pub async fn listen(dir: &Path, json: bool, bind: std::net::SocketAddr, count: Option<usize>) -> Result<()> {
    let ws = open(dir).await?;
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut syncs = 0usize;
    let stop = async {
        let mut seen = 0usize;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                Some(()) = done_rx.recv() => {
                    seen += 1;
                    if count.is_some_and(|c| seen >= c) {
                        break;
                    }
                }
            }
        }
    };
    let result = ws
        .listen(
            bind,
            |addr| {
                if json {
                    print_json(&json!({ "listening": addr.to_string() }));
                } else {
                    println!("Listening for team devices at {addr}");
                    println!("On the other device: hedgerow sync --peer {addr}");
                }
                let _ = std::io::Write::flush(&mut std::io::stdout());
            },
            |r| {
                syncs += 1;
                match r {
                    Ok(r) if json => print_json(&serde_json::to_value(&r).unwrap_or_default()),
                    Ok(r) => print_peer_report(&r),
                    Err(e) => eprintln!("A direct sync failed: {e}"),
                }
                let _ = std::io::Write::flush(&mut std::io::stdout());
                let _ = done_tx.send(());
            },
            stop,
        )
        .await;
    ws.close().await;
    result?;
    if !json {
        println!("Stopped listening after {syncs} syncs.");
    }
    Ok(())
}
