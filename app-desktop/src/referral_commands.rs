//! Referrals between teams from the command line: refer a patient, and the receiving
//! team's inbox (list, show the summary, accept, decline).

use crate::cli::{ReferralsCommand, ShareCommand};
use crate::commands::{find, open};
use crate::output::print_json;
use anyhow::Result;
use hedgerow_core::view::{Referral, ReferralStatus, ReferralSummary};
use serde_json::json;
use std::path::Path;

pub async fn refer(dir: &Path, json: bool, nhs: &str, to: &str, reason: &str, urgent: bool) -> Result<()> {
    let ws = open(dir).await?;
    let patient = find(&ws, nhs).await?;
    let sent = ws.refer(patient, to, reason, urgent).await;
    ws.close().await;
    let sent = sent?;
    if json {
        print_json(&serde_json::to_value(&sent)?);
    } else {
        println!(
            "Referred to {} [{}]. The referral goes with the next sync (`hedgerow sync`).",
            sent.team,
            &sent.id[..8]
        );
    }
    Ok(())
}

pub async fn share(dir: &Path, json: bool, action: ShareCommand) -> Result<()> {
    let ws = open(dir).await?;
    let result = share_on(&ws, json, action).await;
    ws.close().await;
    result
}

async fn share_on(ws: &hedgerow_core::Workspace, json: bool, action: ShareCommand) -> Result<()> {
    match action {
        ShareCommand::List { nhs } => {
            let shares = ws.shared_with(find(ws, &nhs).await?).await?;
            if json {
                print_json(&json!(shares));
            } else if shares.is_empty() {
                println!("Not shared with another team.");
            }
            for s in shares.iter().filter(|_| !json) {
                let since = s.since.to_datetime().format("%-d %b %Y");
                match &s.ended {
                    None => println!("Shared with {} since {since}", s.team),
                    Some(ended) => println!("Was shared with {} from {since}; {ended}", s.team),
                }
            }
        }
        ShareCommand::End { nhs, team, reason } => {
            ws.end_share(find(ws, &nhs).await?, &team, &reason).await?;
            if json {
                print_json(&json!({ "ended": team }));
            } else {
                println!(
                    "The share with {team} has ended: it gets nothing more of this record, and is told at the next sync."
                );
            }
        }
    }
    Ok(())
}

pub async fn referrals(dir: &Path, json: bool, action: Option<ReferralsCommand>) -> Result<()> {
    let ws = open(dir).await?;
    let result = match action {
        None => list(&ws, json).await,
        Some(ReferralsCommand::Show { id }) => show(&ws, json, &id).await,
        Some(ReferralsCommand::Accept { id }) => {
            let id = full_id(&ws, &id).await?;
            let patient = ws.accept_referral(&id).await;
            patient.map(|p| {
                if json {
                    print_json(&json!({ "accepted": id, "patient": p.to_hex() }));
                } else {
                    println!("Accepted: the patient is on your team's caseload (`hedgerow patient list`).");
                }
            })
        }
        Some(ReferralsCommand::Decline { id, reason }) => {
            let id = full_id(&ws, &id).await?;
            ws.decline_referral(&id, &reason).await.map(|()| {
                if json {
                    print_json(&json!({ "declined": id }));
                } else {
                    println!("Declined: the referring team is told at the next sync.");
                }
            })
        }
    };
    ws.close().await;
    Ok(result?)
}

/// A referral's id from its first characters, as the list shows them.
async fn full_id(ws: &hedgerow_core::Workspace, start: &str) -> Result<String> {
    let start = start.trim().to_ascii_lowercase();
    let found: Vec<Referral> =
        ws.referrals().await?.into_iter().filter(|r| !start.is_empty() && r.id.starts_with(&start)).collect();
    match found.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(anyhow::anyhow!("no referral starts with '{start}' (`hedgerow referrals` lists them)")),
        _ => Err(anyhow::anyhow!("'{start}' matches {} referrals: give more of the id", found.len())),
    }
}

async fn list(ws: &hedgerow_core::Workspace, json: bool) -> Result<(), hedgerow_core::Error> {
    let referrals = ws.referrals().await?;
    if json {
        print_json(&serde_json::to_value(&referrals).unwrap_or_default());
        return Ok(());
    }
    if referrals.is_empty() {
        println!("No referrals have reached this team.");
    }
    for r in &referrals {
        println!("{}", line(r));
    }
    Ok(())
}

fn line(r: &Referral) -> String {
    let urgent = if r.urgent { "URGENT " } else { "" };
    format!(
        "[{}] {urgent}{} ({}) from {}, by {} ({}), {}: {} — {}",
        &r.id[..8],
        r.name,
        r.nhs_number,
        r.from_team,
        r.referred_by.name,
        r.referred_by.role.label(),
        r.referred_at.display(),
        r.reason,
        r.status.label()
    )
}

async fn show(ws: &hedgerow_core::Workspace, json: bool, id: &str) -> Result<(), hedgerow_core::Error> {
    let Some(found) = ws.referrals().await?.into_iter().find(|r| r.id.starts_with(&id.trim().to_lowercase()))
    else {
        return Err(hedgerow_core::Error::Input(format!("no referral starts with '{id}'")));
    };
    let s = ws.referral_summary(&found.id).await?;
    if json {
        print_json(&serde_json::to_value(&s).unwrap_or_default());
    } else {
        print_summary(&s);
    }
    Ok(())
}

fn print_summary(s: &ReferralSummary) {
    let r = &s.referral;
    println!("{}", line(r));
    if let (ReferralStatus::Declined, Some(why)) = (r.status, &r.decline_reason) {
        println!("Declined by {}: {why}", r.answered_by.as_ref().map_or("", |b| b.name.as_str()));
    }
    let d = &s.demographics;
    println!("\n{}  NHS {}  born {}", d.name, r.nhs_number, d.date_of_birth);
    println!("{}", s.cpr_banner);
    for a in &s.alerts {
        println!("Alert ({}): {}", a.kind.label(), a.text);
    }
    for a in &s.allergies {
        println!("Allergy: {}", a.line);
    }
    if s.allergies.is_empty() {
        println!("Allergies: none recorded");
    }
    if !s.plan_lines.is_empty() {
        println!("\nEnd of life plan:");
        for line in &s.plan_lines {
            println!("  {line}");
        }
    }
    println!("\nCare plan:");
    for p in &s.care_plan {
        println!("  {}{}", p.title, p.detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default());
    }
    println!("\nMedicines:");
    for m in &s.medicines {
        println!("  {} {} {}", m.name, m.dose, m.frequency);
    }
}
