//! Commands that edit the clinical record, and its conflicts, history and imports.

use crate::cli::{
    AlertCommand, AllergyCommand, ConflictsCommand, ContactCommand, EolCommand, ImportCommand, MedsCommand,
    PlanCommand, TasksCommand,
};
use crate::commands::{find, open, parse_date};
use crate::output::print_json;
use anyhow::{Context, Result, anyhow};
use hedgerow_core::Workspace;
use hedgerow_core::view::Vocabulary;
use hedgerow_core::view::{
    AlertKind, AllergySeverity, CprRecommendation, EntrySource, Place, PlanStatus, Route, TaskStatus,
};
use hedgerow_core::workspace::{EndOfLifeUpdate, MedicineChange, NewMedicine, NewProblem, ProblemUpdate};
use serde_json::json;
use std::path::Path;

/// Parses a closed vocabulary, naming what is allowed when the input is not.
pub fn vocab<T: Vocabulary>(s: &str, what: &str) -> Result<T> {
    T::parse(s.trim()).ok_or_else(|| anyhow!("unknown {what} '{s}'; allowed: {}", T::allowed()))
}

fn opt_vocab<T: Vocabulary>(s: &Option<String>, what: &str) -> Result<Option<T>> {
    s.as_deref().map(|v| vocab(v, what)).transpose()
}

fn opt_date(s: &Option<String>, what: &str) -> Result<Option<chrono::NaiveDate>> {
    s.as_deref().map(|d| parse_date(d, what)).transpose()
}

/// Prints what a record edit did: the entry id for scripts, a line for people.
fn done(json: bool, what: &str, id: Option<&str>) {
    if json {
        print_json(&json!({ "saved": what, "id": id }));
    } else {
        match id {
            Some(id) => println!("Saved: {what} [{}].", &id[..id.len().min(8)]),
            None => println!("Saved: {what}."),
        }
    }
}

pub async fn plan(dir: &Path, json: bool, cmd: PlanCommand) -> Result<()> {
    let ws = open(dir).await?;
    match cmd {
        PlanCommand::Add { nhs, title, detail, owner_role, review, goal, intervention, frequency } => {
            let p = find(&ws, &nhs).await?;
            let new = NewProblem {
                title,
                detail,
                owner_role: opt_vocab(&owner_role, "role")?,
                review_date: opt_date(&review, "review date")?,
                goal,
                intervention,
                frequency,
            };
            let id = ws.add_problem(p, new).await?;
            done(json, "care plan problem", Some(&id));
        }
        PlanCommand::Update { nhs, item, title, status, review, owner_role } => {
            let p = find(&ws, &nhs).await?;
            let update = ProblemUpdate {
                title,
                status: opt_vocab::<PlanStatus>(&status, "status")?,
                review_date: opt_date(&review, "review date")?,
                owner_role: opt_vocab(&owner_role, "role")?,
            };
            let id = ws.update_problem(p, &item, update).await?;
            done(json, "care plan problem", Some(&id));
        }
    }
    ws.close().await;
    Ok(())
}

pub async fn meds(dir: &Path, json: bool, cmd: MedsCommand) -> Result<()> {
    let ws = open(dir).await?;
    match cmd {
        MedsCommand::Add { nhs, name, dose, route, frequency, dmd, anticipatory, kept_at, reason } => {
            let p = find(&ws, &nhs).await?;
            let route: Route = vocab(&route, "route")?;
            let new =
                NewMedicine { name, dmd_code: dmd, dose, route, frequency, anticipatory, kept_at, reason };
            let id = ws.add_medicine(p, new).await?;
            done(json, "medicine", Some(&id));
        }
        MedsCommand::Change { nhs, item, dose, frequency, route, reason } => {
            let p = find(&ws, &nhs).await?;
            let change = MedicineChange { dose, frequency, route: opt_vocab(&route, "route")?, reason };
            let id = ws.change_medicine(p, &item, change).await?;
            done(json, "medicine change", Some(&id));
        }
        MedsCommand::Stop { nhs, item, reason } => {
            let p = find(&ws, &nhs).await?;
            let id = ws.stop_medicine(p, &item, &reason).await?;
            done(json, "medicine stopped", Some(&id));
        }
    }
    ws.close().await;
    Ok(())
}

pub async fn allergy(dir: &Path, json: bool, cmd: AllergyCommand) -> Result<()> {
    let AllergyCommand::Add { nhs, substance, reaction, severity } = cmd;
    let severity: AllergySeverity = vocab(&severity, "severity")?;
    let ws = open(dir).await?;
    let p = find(&ws, &nhs).await?;
    let id = ws.add_allergy(p, &substance, reaction, severity).await?;
    ws.close().await;
    done(json, "allergy", Some(&id));
    Ok(())
}

pub async fn alert(dir: &Path, json: bool, cmd: AlertCommand) -> Result<()> {
    let ws = open(dir).await?;
    match cmd {
        AlertCommand::Add { nhs, kind, text } => {
            let kind: AlertKind = vocab(&kind, "alert kind")?;
            let p = find(&ws, &nhs).await?;
            let id = ws.add_alert(p, kind, &text).await?;
            done(json, "alert", Some(&id));
        }
        AlertCommand::End { nhs, item } => {
            let p = find(&ws, &nhs).await?;
            let id = ws.end_alert(p, &item).await?;
            done(json, "alert ended", Some(&id));
        }
    }
    ws.close().await;
    Ok(())
}

pub async fn contact(dir: &Path, json: bool, cmd: ContactCommand) -> Result<()> {
    let ws = open(dir).await?;
    match cmd {
        ContactCommand::Add { nhs, name, relationship, phone, next_of_kin, main_carer, lpa } => {
            let relationship = vocab(&relationship, "relationship")?;
            let p = find(&ws, &nhs).await?;
            let new = hedgerow_core::workspace::NewContact {
                name,
                relationship,
                phone,
                next_of_kin,
                main_informal_carer: main_carer,
                lasting_power_of_attorney: lpa,
            };
            let id = ws.add_contact(p, new).await?;
            done(json, "contact", Some(&id));
        }
        ContactCommand::Remove { nhs, item } => {
            let p = find(&ws, &nhs).await?;
            let id = ws.remove_contact(p, &item).await?;
            done(json, "contact removed", Some(&id));
        }
    }
    ws.close().await;
    Ok(())
}

pub async fn eol(dir: &Path, json: bool, cmd: EolCommand) -> Result<()> {
    let ws = open(dir).await?;
    match cmd {
        EolCommand::Cpr { nhs, recommendation, discussed_with, reason } => {
            let r: CprRecommendation = vocab(&recommendation, "CPR recommendation")?;
            let p = find(&ws, &nhs).await?;
            ws.set_cpr(p, r, discussed_with, &reason).await?;
            done(json, "CPR recommendation", None);
        }
        EolCommand::Set {
            nhs,
            register,
            place_of_care,
            place_of_care_second,
            place_of_death,
            place_of_death_second,
            ceiling,
            summary,
            preferences,
            involve,
            capacity,
            key_worker,
            hospice,
            jic_location,
            review,
            care_focus,
            care_focus_reasons,
            involvement,
            involvement_detail,
            legal_proxy,
            advance_decision,
        } => {
            let place = |s: &Option<String>| opt_vocab::<Place>(s, "place");
            let update = EndOfLifeUpdate {
                on_palliative_register: register.map(|r| r.yes()),
                preferred_place_of_care: place(&place_of_care)?,
                preferred_place_of_care_second: place(&place_of_care_second)?,
                preferred_place_of_death: place(&place_of_death)?,
                preferred_place_of_death_second: place(&place_of_death_second)?,
                ceiling_of_treatment: ceiling,
                summary,
                personal_preferences: preferences,
                people_to_involve: (!involve.is_empty()).then_some(involve),
                has_capacity: capacity.map(|c| c.yes()),
                key_worker,
                hospice,
                anticipatory_medicines_location: jic_location,
                respect_review_date: opt_date(&review, "review date")?,
                care_focus: opt_vocab(&care_focus, "care focus")?,
                care_focus_reasons,
                involvement: opt_vocab(&involvement, "involvement")?,
                involvement_detail,
                legal_proxy,
                advance_decision_location: advance_decision,
            };
            let p = find(&ws, &nhs).await?;
            ws.update_end_of_life(p, update).await?;
            done(json, "end of life plan", None);
        }
        EolCommand::Death { nhs, place, date } => {
            let place: Place = vocab(&place, "place of death")?;
            let date = parse_date(&date, "date of death")?;
            let p = find(&ws, &nhs).await?;
            ws.record_death(p, place, date).await?;
            done(json, "death recorded", None);
        }
    }
    ws.close().await;
    Ok(())
}

pub async fn tasks(dir: &Path, json: bool, cmd: TasksCommand) -> Result<()> {
    let ws = open(dir).await?;
    match cmd {
        TasksCommand::Due { on } => {
            let date = match on {
                Some(d) => parse_date(&d, "--on")?,
                None => chrono::Local::now().date_naive(),
            };
            let tasks = ws.due_tasks(date).await?;
            let caseload = ws.caseload().await?;
            let name_of = |id: &hedgerow_core::ids::PatientId| {
                caseload.iter().find(|p| &p.id == id).map(|p| p.name.clone()).unwrap_or_default()
            };
            if json {
                let rows: Vec<_> = tasks
                    .iter()
                    .map(|t| json!({ "task": t, "patient_name": name_of(&t.patient_id) }))
                    .collect();
                print_json(&json!({ "due_on_or_before": date.to_string(), "tasks": rows }));
            } else if tasks.is_empty() {
                println!("No open tasks due by {date}.");
            } else {
                for t in &tasks {
                    println!(
                        "{}  {:<28} {}  ({})",
                        t.due_date,
                        name_of(&t.patient_id),
                        t.title,
                        t.assignee_role.label()
                    );
                }
            }
        }
        TasksCommand::Add { nhs, title, assignee_role, due, source } => {
            let role = vocab(&assignee_role, "role")?;
            let source: EntrySource = vocab(&source, "source")?;
            let due = opt_date(&due, "due date")?;
            let p = find(&ws, &nhs).await?;
            let id = ws.add_task(p, &title, role, due, source).await?;
            done(json, "task", Some(&id));
        }
        TasksCommand::Done { nhs, task } => {
            let p = find(&ws, &nhs).await?;
            let id = ws.set_task_status(p, &task, TaskStatus::Done).await?;
            done(json, "task done", Some(&id));
        }
        TasksCommand::Cancel { nhs, task } => {
            let p = find(&ws, &nhs).await?;
            let id = ws.set_task_status(p, &task, TaskStatus::Cancelled).await?;
            done(json, "task cancelled", Some(&id));
        }
    }
    ws.close().await;
    Ok(())
}

pub async fn carer_note(dir: &Path, json: bool, nhs: &str, text: &str) -> Result<()> {
    let ws = open(dir).await?;
    let p = find(&ws, nhs).await?;
    let id = ws.add_carer_note(p, text).await?;
    ws.close().await;
    done(json, "carer note", Some(&id));
    Ok(())
}

pub async fn share_consent(dir: &Path, json: bool, nhs: &str, team: &str, share: bool) -> Result<()> {
    let ws = open(dir).await?;
    let p = find(&ws, nhs).await?;
    let result = ws.set_sharing_consent(p, team, share).await;
    ws.close().await;
    result?;
    done(json, "consent to share", None);
    Ok(())
}

pub async fn consent(dir: &Path, json: bool, nhs: &str, share: bool, opt_out: bool) -> Result<()> {
    let ws = open(dir).await?;
    let p = find(&ws, nhs).await?;
    ws.set_consent(p, share, opt_out).await?;
    ws.close().await;
    done(json, "consent", None);
    Ok(())
}

pub async fn conflicts(
    dir: &Path,
    json: bool,
    nhs: Option<String>,
    action: Option<ConflictsCommand>,
) -> Result<()> {
    let ws = open(dir).await?;
    match (nhs, action) {
        (Some(nhs), Some(ConflictsCommand::Resolve { field, choose, reason })) => {
            let p = find(&ws, &nhs).await?;
            ws.resolve_conflict(p, &field, choose, &reason).await?;
            done(json, "conflict resolved", None);
        }
        (None, Some(_)) => {
            return Err(anyhow!(
                "say whose conflict: hedgerow conflicts NHS resolve FIELD --choose N --reason \"WHY\""
            ));
        }
        (Some(nhs), None) => {
            let p = find(&ws, &nhs).await?;
            let list = ws.conflicts(p).await?;
            if json {
                print_json(&json!({ "conflicts": list }));
            } else if list.is_empty() {
                println!("No open conflicts.");
            } else {
                for c in &list {
                    println!("{}  ({})", c.label, c.field);
                    for (i, v) in c.values.iter().enumerate() {
                        let by =
                            v.by.as_ref()
                                .map(|b| format!("{} ({})", b.name, b.role.label()))
                                .unwrap_or_else(|| "unknown".into());
                        let at = v.at.map(|t| t.display()).unwrap_or_default();
                        println!("  {}. {}   by {by}, {at}", i + 1, v.value);
                    }
                }
                println!(
                    "Resolve one by choosing: hedgerow conflicts {nhs} resolve FIELD --choose N --reason \"WHY\""
                );
            }
        }
        (None, None) => {
            let flagged: Vec<_> = ws.caseload().await?.into_iter().filter(|p| p.open_conflicts > 0).collect();
            if json {
                print_json(&json!({ "patients": flagged }));
            } else if flagged.is_empty() {
                println!("No patient has open conflicts.");
            } else {
                for p in &flagged {
                    println!(
                        "{}  {:<28} {} open conflict{}",
                        p.nhs_display(),
                        p.name,
                        p.open_conflicts,
                        if p.open_conflicts == 1 { "" } else { "s" }
                    );
                }
            }
        }
    }
    ws.close().await;
    Ok(())
}

pub async fn history(dir: &Path, json: bool, nhs: &str, field: &str) -> Result<()> {
    let ws = open(dir).await?;
    let p = find(&ws, nhs).await?;
    let changes = ws.field_history(p, field).await?;
    ws.close().await;
    if json {
        print_json(&json!({ "field": field, "history": changes }));
    } else if changes.is_empty() {
        println!(
            "No history for '{field}' (is the path right? `hedgerow patient show {nhs} --json` shows the record's keys)."
        );
    } else {
        for c in &changes {
            let by =
                c.by.as_ref()
                    .map(|b| format!("{} ({})", b.name, b.role.label()))
                    .unwrap_or_else(|| "unknown".into());
            let claimed = match (&c.claimed_by, c.verified) {
                (Some(other), _) => format!("  (its note claims {})", other.name),
                (None, false) => "  (author not confirmed by the team)".into(),
                _ => String::new(),
            };
            println!(
                "{}  {:<32} {}  [{}]{claimed}",
                c.at.display(),
                by,
                c.value,
                c.action.as_deref().unwrap_or("")
            );
        }
    }
    Ok(())
}

pub async fn import(dir: &Path, json: bool, cmd: ImportCommand) -> Result<()> {
    let (file, add_to_caseload, unauthenticated) = match cmd {
        ImportCommand::Document { file, add_to_caseload, unauthenticated } => {
            (file, add_to_caseload, unauthenticated)
        }
        ImportCommand::Fhir { file } => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let ws = open(dir).await?;
            let report = ws.import_fhir(&text).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "imported": report }));
            } else {
                println!(
                    "{} the record: {} allerg{} and {} medicine{} added{}.",
                    if report.created { "Created" } else { "Updated" },
                    report.allergies_added,
                    if report.allergies_added == 1 { "y" } else { "ies" },
                    report.medicines_added,
                    if report.medicines_added == 1 { "" } else { "s" },
                    if report.demographics_updated { "; demographics updated" } else { "" }
                );
                for p in &report.gp_proposals {
                    println!(
                        "  FOR REVIEW, dose differs: {p} (kept on the medicine; change it with `hedgerow meds change` if the GP record is right)"
                    );
                }
                for l in &report.left_out {
                    println!("  left out: {l}");
                }
            }
            return Ok(());
        }
    };
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let ws: Workspace = open(dir).await?;
    let report = ws.merge_document(&bytes, add_to_caseload, unauthenticated.as_deref()).await?;
    ws.close().await;
    if json {
        print_json(&json!({ "merged": report }));
    } else {
        println!(
            "Merged a {} document: {} new change{}{}.",
            report.kind,
            report.new_changes,
            if report.new_changes == 1 { "" } else { "s" },
            if report.open_conflicts > 0 {
                format!("; {} open conflict(s): see `hedgerow conflicts`", report.open_conflicts)
            } else {
                String::new()
            }
        );
        if report.held_for_review {
            println!(
                "Not signed by your team's devices: held on this device for review, never synced (flagged in the audit log)."
            );
        }
    }
    Ok(())
}

/// A moment as clinicians write it, read by the core's one parser.
pub fn parse_moment(s: &str) -> Result<hedgerow_core::view::Timestamp> {
    Ok(hedgerow_core::view::parse_moment(s)?)
}

pub async fn as_of(dir: &Path, json: bool, nhs: &str, at: &str) -> Result<()> {
    let at = parse_moment(at)?;
    let ws = open(dir).await?;
    let p = find(&ws, nhs).await?;
    ws.open_patient(p).await?;
    let then = ws.record_at(p, at).await?;
    ws.close().await;
    if json {
        print_json(&json!({ "at": at, "record": then.record, "conflicts": then.conflicts }));
    } else {
        let record = &then.record;
        println!("{} (NHS {}) as the record stood at {}:", record.demographics.name, nhs, at.display());
        let e = &record.end_of_life;
        println!("  {}", e.cpr_banner);
        if let Some(d) = &e.cpr_disputed {
            println!("    {}", hedgerow_core::view::alternatives_text(&d.values));
        }
        for m in record.current_medicines() {
            println!("  {} {}", m.name, m.dosage);
        }
        for p in &record.care_plan {
            let status = p.status.map_or("status DISPUTED", |s| s.label());
            println!("  Plan: {} [{status}]", p.title);
        }
    }
    Ok(())
}

pub async fn changes(dir: &Path, json: bool, nhs: &str, from: &str, to: Option<&str>) -> Result<()> {
    let from = parse_moment(from)?;
    let to = match to {
        Some(t) => parse_moment(t)?,
        None => hedgerow_core::view::Timestamp::now(),
    };
    let ws = open(dir).await?;
    let p = find(&ws, nhs).await?;
    ws.open_patient(p).await?;
    let diff = ws.changes_between(p, from, to).await?;
    ws.close().await;
    if json {
        print_json(&json!({ "from": from, "to": to, "changes": diff }));
    } else if diff.is_empty() {
        println!("Nothing changed between {} and {}.", from.display(), to.display());
    } else {
        for d in &diff {
            println!("{} = {}", d.field, d.value);
        }
    }
    Ok(())
}

pub async fn briefing(dir: &Path, json: bool, nhs: &str) -> Result<()> {
    let ws = open(dir).await?;
    let p = find(&ws, nhs).await?;
    let view = ws.open_patient(p).await?;
    let b = ws.briefing(p).await?;
    ws.close().await;
    if json {
        print_json(&json!({ "briefing": b }));
        return Ok(());
    }
    println!("Briefing for {} (NHS {})", view.summary.name, view.summary.nhs_display());
    match b.my_last_visit {
        Some(t) => println!("Your last visit: {}", t.display()),
        None => println!("You have not visited before: everything below is new to you."),
    }
    if !b.conflicts.is_empty() {
        println!(
            "CONFLICTS to resolve: {}",
            b.conflicts.iter().map(|c| c.label.as_str()).collect::<Vec<_>>().join("; ")
        );
    }
    if !b.medicines_changed.is_empty() {
        println!("Medicines changed since:");
        for m in &b.medicines_changed {
            let state = match (&m.stop_date, &m.stopping) {
                (Some(_), _) => "STOPPED".to_owned(),
                (None, None) => "now".to_owned(),
                (None, Some(disputed)) => disputed.clone(),
            };
            let why = m.change_reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default();
            println!(
                "  * {} {state} {} by {}, {}{why}",
                m.name,
                m.dosage,
                m.changed_by.name,
                m.changed_at.display()
            );
        }
    }
    if !b.visits_by_others.is_empty() {
        println!("Visits by others since:");
        for v in &b.visits_by_others {
            let news2 = v.news2.as_ref().map(|n| format!(" {}", n.label())).unwrap_or_default();
            println!("  {} {}{news2}: {}", v.started_at.display(), v.clinician.name, v.note_preview);
        }
    }
    if !b.news2_trend.is_empty() {
        let trend: Vec<String> = b.news2_trend.iter().map(|n| n.score_text()).collect();
        println!("NEWS2 trend (oldest first): {}", trend.join(" > "));
    }
    if !b.open_tasks.is_empty() {
        println!("Open tasks:");
        for t in &b.open_tasks {
            println!("  {} (due {})", t.title, t.due_date.as_deref().unwrap_or("-"));
        }
    }
    if !b.record_changes.is_empty() {
        println!("Other changes to the record since:");
        for c in b.record_changes.iter().take(20) {
            println!(
                "  {} {}: {}",
                c.at.display(),
                c.by.as_ref().map(|b| b.name.as_str()).unwrap_or("unknown"),
                c.action
            );
            for line in &c.changed {
                println!("    {line}");
            }
        }
    }
    Ok(())
}
