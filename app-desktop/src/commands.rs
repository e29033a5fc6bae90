//! Each command: parse what the clinician typed, call the workspace, print the result.

use crate::cli::{Cli, Command, ExportCommand, ObsArgs, PatientCommand, VisitCommand};
use crate::output::{news2_json, news2_text, print_json};
use crate::passphrase;
use crate::record_commands;
use crate::referral_commands;
use crate::today_command;
use anyhow::{Context, Result, anyhow, bail};
use hedgerow_core::clinical::{Consciousness, NhsNumber, Observations};
use hedgerow_core::ids::{PatientId, VisitId};
use hedgerow_core::view::PatientSummary;
use hedgerow_core::view::Role;
use hedgerow_core::view::{EntrySource, Place};
use hedgerow_core::view::{Watched, alternatives_text};
use hedgerow_core::{NewClinician, NewPatient, Workspace};
use serde_json::json;
use std::path::{Path, PathBuf};

pub fn data_dir(cli: &Cli) -> Result<PathBuf> {
    if let Some(d) = &cli.data {
        return Ok(d.clone());
    }
    directories::ProjectDirs::from("uk.org", "Hedgerow", "Hedgerow")
        .map(|p| p.data_dir().to_owned())
        .ok_or_else(|| anyhow!("no home directory to keep data in: pass --data DIR"))
}

pub async fn open(dir: &Path) -> Result<Workspace> {
    let pass = passphrase::get(false)?;
    let ws = Workspace::open(dir, &pass).await?;
    let check = ws.audit_check();
    if !check.intact() {
        eprintln!(
            "warning: this device's audit log has been tampered with ({}); this is recorded and reported to your team",
            check.breaks.join("; ")
        );
    }
    Ok(ws)
}

/// The reason given with `--break-glass`, for this run.
static BREAK_GLASS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Opens the record for reading by break-glass, if the clinician gave a reason.
async fn break_glass_if_asked(ws: &Workspace, patient: PatientId) -> Result<()> {
    if let Some(reason) = BREAK_GLASS.get() {
        ws.break_glass(patient, reason).await?;
    }
    Ok(())
}

fn parse_nhs(s: &str) -> Result<NhsNumber> {
    s.parse::<NhsNumber>().map_err(|e| anyhow!("invalid NHS number: {e}"))
}

fn parse_visit(s: &str) -> Result<VisitId> {
    s.parse::<VisitId>()
        .map_err(|_| anyhow!("'{s}' is not a visit id (the 32-character id `hedgerow visit start` printed)"))
}

pub fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| anyhow!("unknown role '{s}'; allowed: {}", Role::allowed()))
}

pub fn parse_date(s: &str, what: &str) -> Result<chrono::NaiveDate> {
    Ok(hedgerow_core::view::parse_date(s, what)?)
}

/// The patient with this NHS number; with `--break-glass`, opened for reading too.
pub async fn find(ws: &Workspace, nhs: &str) -> Result<PatientId> {
    let id = ws.find_patient(&parse_nhs(nhs)?).await?;
    break_glass_if_asked(ws, id).await?;
    Ok(id)
}

pub async fn run(cli: Cli) -> Result<()> {
    let dir = data_dir(&cli)?;
    let json = cli.json;
    let Some(command) = cli.command else {
        return Err(anyhow!("no command given (the desktop app opens from main)"));
    };
    if let Some(reason) = cli.break_glass {
        let _ = BREAK_GLASS.set(reason);
    }
    match command {
        Command::Init { clinician, role, registration, team } => {
            let role = parse_role(&role)?;
            let pass = passphrase::get(true)?;
            let ws =
                Workspace::create(&dir, &pass, NewClinician { name: clinician, role, registration }, team)
                    .await?;
            let me = ws.identity().clone();
            ws.close().await;
            if json {
                print_json(&json!({ "data": dir, "identity": me }));
            } else {
                println!("Workspace created in {} for {} ({}).", dir.display(), me.name, me.role.label());
                println!("Device {}; team {}.", me.device_id, me.team_id);
            }
        }
        Command::Team(cmd) => crate::team_commands::team(&dir, json, cmd).await?,
        Command::Device(cmd) => crate::team_commands::device(&dir, json, cmd).await?,
        Command::Sync { nearby: true, .. } => crate::team_commands::sync_nearby(&dir, json).await?,
        Command::Sync { relay, peer: Some(peer), .. } if relay.is_none() => {
            crate::team_commands::sync_peer(&dir, json, &peer).await?
        }
        Command::Sync { relay, .. } => crate::team_commands::sync(&dir, json, relay).await?,
        Command::Listen { listen, count } => crate::team_commands::listen(&dir, json, listen, count).await?,
        Command::Patient(cmd) => patient(&dir, json, cmd).await?,
        Command::Visit(cmd) => visit(&dir, json, cmd).await?,
        Command::Tasks(cmd) => record_commands::tasks(&dir, json, cmd).await?,
        Command::Plan(cmd) => record_commands::plan(&dir, json, cmd).await?,
        Command::Meds(cmd) => record_commands::meds(&dir, json, cmd).await?,
        Command::Allergy(cmd) => record_commands::allergy(&dir, json, cmd).await?,
        Command::Alert(cmd) => record_commands::alert(&dir, json, cmd).await?,
        Command::Contact(cmd) => record_commands::contact(&dir, json, cmd).await?,
        Command::Eol(cmd) => record_commands::eol(&dir, json, cmd).await?,
        Command::Consent { nhs, share, opt_out } => {
            record_commands::consent(&dir, json, &nhs, share.yes(), opt_out.yes()).await?
        }
        Command::ShareConsent { nhs, team, share } => {
            record_commands::share_consent(&dir, json, &nhs, &team, share.yes()).await?
        }
        Command::Refer { nhs, to, reason, urgent } => {
            referral_commands::refer(&dir, json, &nhs, &to, &reason, urgent).await?
        }
        Command::Referrals { action } => referral_commands::referrals(&dir, json, action).await?,
        Command::Share { action } => referral_commands::share(&dir, json, action).await?,
        Command::CarerNote { nhs, text } => record_commands::carer_note(&dir, json, &nhs, &text).await?,
        Command::Conflicts { nhs, action } => record_commands::conflicts(&dir, json, nhs, action).await?,
        Command::Today { on } => today_command::today(&dir, json, on.as_deref()).await?,
        Command::Briefing { nhs } => record_commands::briefing(&dir, json, &nhs).await?,
        Command::History { nhs, field } => record_commands::history(&dir, json, &nhs, &field).await?,
        Command::Import(cmd) => record_commands::import(&dir, json, cmd).await?,
        Command::Export(ExportCommand::Fhir { patient, out }) => {
            let ws = open(&dir).await?;
            let id = find(&ws, &patient).await?;
            let bundle = ws.export_fhir(id).await?;
            ws.close().await;
            write_new_file(&out, bundle.as_bytes())?;
            if json {
                print_json(&json!({ "out": out, "bytes": bundle.len() }));
            } else {
                println!(
                    "Wrote a FHIR R4 Bundle to {} (contains patient data: keep it safe).",
                    out.display()
                );
            }
        }
        Command::Export(ExportCommand::Summary { patient, out }) => {
            let ws = open(&dir).await?;
            let id = find(&ws, &patient).await?;
            let html = ws.export_summary(id).await?;
            ws.close().await;
            write_new_file(&out, html.as_bytes())?;
            if json {
                print_json(&json!({ "out": out, "bytes": html.len() }));
            } else {
                println!("Wrote the printable summary to {}: open it in a browser and print.", out.display());
            }
        }
        Command::Export(ExportCommand::Document { patient, out }) => {
            let ws = open(&dir).await?;
            let id = find(&ws, &patient).await?;
            let bytes = ws.export_patient_document(id).await?;
            ws.close().await;
            write_new_file(&out, &bytes)?;
            if json {
                print_json(&json!({ "out": out, "bytes": bytes.len() }));
            } else {
                println!(
                    "Wrote {} bytes of Automerge to {} (unencrypted: keep it safe).",
                    bytes.len(),
                    out.display()
                );
            }
        }
        Command::Demo { patients, seed } => demo(&dir, json, patients, seed).await?,
        Command::Reindex => {
            let ws = open(&dir).await?;
            let report = ws.reindex().await?;
            ws.close().await;
            if json {
                print_json(&serde_json::to_value(&report)?);
            } else {
                println!(
                    "Rebuilt the query tables: {} patients, {} visits, {} open tasks with due dates.",
                    report.patients, report.visits, report.due_tasks
                );
                for u in &report.unreadable {
                    println!("  not indexed: {u}");
                }
            }
        }
        Command::Audit { team: true, flagged, .. } => {
            let ws = open(&dir).await?;
            let audit = ws.team_audit(flagged).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "team_audit": audit }));
            } else {
                if !audit.this_device.intact() {
                    println!("THIS DEVICE'S LOG IS BROKEN: {}", audit.this_device.breaks.join("; "));
                }
                for e in &audit.entries {
                    println!(
                        "{}  {:<28} {:<20} {:<11} {}{}{}",
                        e.entry.at.display(),
                        e.device_label,
                        e.entry.clinician.name,
                        e.entry.action.as_str(),
                        e.entry.detail,
                        if e.entry.flagged { "  [FLAGGED FOR REVIEW]" } else { "" },
                        e.problem.as_deref().map(|p| format!("  [LOG BROKEN: {p}]")).unwrap_or_default()
                    );
                }
                println!("{} entries", audit.entries.len());
            }
        }
        Command::Audit { patient, flagged, .. } => {
            let ws = open(&dir).await?;
            let id = match &patient {
                Some(n) => Some(find(&ws, n).await?),
                None => None,
            };
            let mut log = ws.audit_log(id).await?;
            if flagged {
                log.retain(|e| e.flagged);
            }
            let caseload = ws.caseload().await?;
            ws.close().await;
            if json {
                print_json(&json!({ "entries": log }));
            } else {
                let who = |id: &PatientId| match caseload.iter().find(|p| &p.id == id) {
                    Some(p) => format!("{} ({}): ", p.name, p.nhs_display()),
                    None => format!("patient {id}: "),
                };
                for e in &log {
                    println!(
                        "{}  {:<20} {:<11} {}{}{}",
                        e.at.display(),
                        e.clinician.name,
                        e.action.as_str(),
                        e.patient.as_ref().map(who).unwrap_or_default(),
                        e.detail,
                        if e.flagged { "  [FLAGGED FOR REVIEW]" } else { "" }
                    );
                }
            }
        }
        Command::Whoami => {
            let ws = open(&dir).await?;
            let me = ws.identity().clone();
            ws.close().await;
            if json {
                print_json(&json!({ "identity": me }));
            } else {
                println!("{} ({}), device {}, team {}", me.name, me.role.label(), me.device_id, me.team_id);
            }
        }
    }
    Ok(())
}

/// Refuses to overwrite: an export lands where the clinician asked, or nowhere.
fn write_new_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {} (it may already exist)", path.display()))?;
    f.write_all(bytes).with_context(|| format!("writing {}", path.display()))?;
    f.sync_all()?;
    Ok(())
}

fn caseload_line(p: &PatientSummary, today: chrono::NaiveDate) -> String {
    let age = p.age_on(today).map(|a| a.to_string()).unwrap_or_else(|| "?".into());
    let news2 = p.latest_news2.as_ref().map(|n| n.label()).unwrap_or_default();
    let cpr = match &p.cpr {
        Watched::Settled { value: None } => String::new(),
        _ => p.cpr_banner(),
    };
    format!("{}  {:<28} {:>3}  {:<34} {}", p.nhs_display(), p.name, age, news2, cpr)
}

async fn patient(dir: &Path, json: bool, cmd: PatientCommand) -> Result<()> {
    match cmd {
        PatientCommand::Add { nhs, name, dob, address } => {
            let nhs_number = parse_nhs(&nhs)?;
            let date_of_birth = parse_date(&dob, "date of birth")?;
            let ws = open(dir).await?;
            let p = ws.add_patient(NewPatient { nhs_number, name, date_of_birth, address }).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "patient": p }));
            } else {
                println!("Added {} (NHS {}).", p.name, p.nhs_display());
            }
        }
        PatientCommand::Update {
            nhs,
            address,
            phone,
            access_notes,
            preferred_name,
            gender,
            gp_name,
            gp_ods,
            gp_phone,
        } => {
            let gender = gender.map(|g| record_commands::vocab(&g, "gender")).transpose()?;
            let gp_practice = gp_name.map(|name| hedgerow_core::view::GpPractice {
                name,
                ods_code: gp_ods,
                phone: gp_phone,
            });
            let ws = open(dir).await?;
            let id = find(&ws, &nhs).await?;
            let update = hedgerow_core::workspace::DetailsUpdate {
                preferred_name,
                address,
                phone,
                access_notes,
                gender,
                gp_practice,
            };
            ws.update_details(id, update).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "updated": true }));
            } else {
                println!("Details updated.");
            }
        }
        PatientCommand::List { search, limit } => {
            let ws = open(dir).await?;
            let mut list = match &search {
                Some(q) => ws.search(q).await?,
                None => ws.caseload().await?,
            };
            ws.close().await;
            list.truncate(limit.unwrap_or(usize::MAX));
            if json {
                print_json(&json!({ "patients": list }));
            } else {
                let today = chrono::Local::now().date_naive();
                for p in &list {
                    println!("{}", caseload_line(p, today));
                }
                println!("{} patient{}", list.len(), if list.len() == 1 { "" } else { "s" });
            }
        }
        PatientCommand::Show { nhs } => {
            let ws = open(dir).await?;
            let id = find(&ws, &nhs).await?;
            let view = ws.open_patient(id).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "patient": view }));
            } else {
                print_patient(&view);
            }
        }
        PatientCommand::AsOf { nhs, at } => record_commands::as_of(dir, json, &nhs, &at).await?,
        PatientCommand::Changes { nhs, from, to } => {
            record_commands::changes(dir, json, &nhs, &from, to.as_deref()).await?
        }
        PatientCommand::Scale2 { nhs, off, reason } => {
            let ws = open(dir).await?;
            let id = find(&ws, &nhs).await?;
            ws.set_scale2(id, !off, &reason).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "scale2": !off }));
            } else if off {
                println!("SpO2 Scale 2 cleared: readings are scored on Scale 1.");
            } else {
                println!("SpO2 Scale 2 set on the record: readings are scored on Scale 2.");
            }
        }
    }
    Ok(())
}

/// "Dr Priya Kellaway (GP, registration 9900001)".
fn clinician(c: &hedgerow_core::view::ClinicianRef) -> String {
    match &c.registration {
        Some(r) => format!("{} ({}, registration {r})", c.name, c.role.label()),
        None => format!("{} ({})", c.name, c.role.label()),
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(8)]
}

fn print_patient(view: &hedgerow_core::workspace::PatientView) {
    let s = &view.summary;
    let r = &view.record;
    let today = chrono::Local::now().date_naive();
    let age = s.age_on(today).map(|a| a.to_string()).unwrap_or_default();
    println!("{}  NHS {}  born {} (age {age})", s.name, s.nhs_display(), s.date_of_birth);
    if let Some(why) = &view.read_only {
        println!("  READ-ONLY COPY: {why}");
    }
    // The doorstep essentials, as every shell shows them.
    for e in view.visit_essentials(today) {
        println!("  {}: {}{}", e.label, e.value, if e.warn { " (!)" } else { "" });
    }
    println!("  {}", s.cpr_banner());
    if let Watched::Disputed { values, .. } = &s.cpr {
        println!("    clinicians disagree: {}", alternatives_text(values));
        println!("    neither is the decision: follow local policy for a disputed decision");
    }
    for a in &s.alerts {
        println!("  ALERT {a}");
    }
    if s.allergies.is_empty() {
        println!("  Allergies: none recorded");
    } else {
        println!("  ALLERGIES: {}", s.allergies.join("; "));
    }
    if s.open_conflicts > 0 {
        println!("  CONFLICTS: {}: `hedgerow conflicts {}`", s.conflicts_about.join("; "), s.nhs_number);
    }
    match s.scale2 {
        Watched::Settled { value: true } => {
            println!("  NEWS2 SpO2 Scale 2 (hypercapnic respiratory failure)")
        }
        Watched::Settled { value: false } => {}
        Watched::Disputed { ref values, .. } => println!(
            "  NEWS2 SpO2 Scale 2 DISPUTED ({}): readings are scored on Scale 1 until resolved",
            alternatives_text(values)
        ),
    }
    if let Some(n) = &s.latest_news2 {
        println!("  Latest {}, {}", n.label(), n.recorded_at.display());
    }
    let w = view.watched();
    let yes_no = |v: &Option<bool>, yes: &str, no: &str| match v {
        Some(true) => yes.to_owned(),
        Some(false) => no.to_owned(),
        None => "not recorded".to_owned(),
    };
    println!(
        "  Consent to share: {}; national data opt-out: {}",
        r.consent.sharing_text, r.consent.opt_out_text
    );
    for t in &r.consent.with_teams {
        println!("  Consent to share with {}: {}", t.team, t.text);
    }
    for m in &r.referrals {
        println!("  {}", m.line());
    }
    for s in &view.shared_with {
        let since = s.since.to_datetime().format("%-d %b %Y");
        match &s.ended {
            None => println!("  Shared with {} since {since}", s.team),
            Some(ended) => println!("  Was shared with {} from {since}; {ended}", s.team),
        }
    }
    if r.active_plan().next().is_some() {
        println!("Care plan:");
        for p in r.active_plan() {
            let owner = p.owner_role.map_or("owner DISPUTED", |r| r.label());
            println!("  [{}] {} ({owner}; {})", short(&p.id), p.title, p.review);
            for g in &p.goals {
                println!("      goal: {}", g.text);
            }
            for i in &p.interventions {
                println!("      {} ({})", i.text, i.frequency.as_deref().unwrap_or("-"));
            }
        }
    }
    if r.current_medicines().next().is_some() {
        println!("Medicines:");
        for m in r.current_medicines() {
            let jic = if m.anticipatory { " (anticipatory)" } else { "" };
            let flag = if m.changed_since_your_last_visit {
                format!("  << CHANGED since your last visit by {}", m.changed_by.name)
            } else {
                String::new()
            };
            let stopping = m.stopping.as_ref().map(|s| format!(" ({s})")).unwrap_or_default();
            println!("  [{}] {} {}{jic}{stopping}{flag}", short(&m.id), m.name, m.dosage);
            if let Some(p) = &m.gp_proposal {
                println!("      FOR REVIEW: {p}; `hedgerow meds change` if it is right");
            }
        }
    }
    let e = &r.end_of_life;
    if e.has_plan {
        println!("End of life:");
        match w.cpr() {
            Watched::Settled { value: Some(c) } => println!(
                "  CPR: {} by {} on {}",
                c.recommendation.label(),
                clinician(&c.made_by),
                c.made_at.display()
            ),
            Watched::Settled { value: None } => println!("  CPR: no decision recorded"),
            Watched::Disputed { values, .. } => {
                println!("  CPR: DISPUTED: {}", alternatives_text(&values))
            }
        }
        let place = |p: &Option<Place>| p.map(|p| p.label().to_owned()).unwrap_or("-".into());
        println!(
            "  Preferred place of care: {} (then {})",
            w.preferred_place_of_care().describe(place),
            w.preferred_place_of_care_second().describe(place)
        );
        println!(
            "  Preferred place of death: {} (then {})",
            w.preferred_place_of_death().describe(place),
            w.preferred_place_of_death_second().describe(place)
        );
        let ceiling = w.ceiling_of_treatment();
        if !matches!(ceiling, Watched::Settled { value: None }) {
            let by = match (&e.ceiling_set_by, e.ceiling_set_at, ceiling.is_disputed()) {
                (Some(b), Some(at), false) => format!(" (set by {}, {})", clinician(b), at.display()),
                _ => String::new(),
            };
            println!("  Ceiling of treatment: {}{by}", ceiling.describe(|c| c.unwrap_or("").to_owned()));
        }
        let focus = w.care_focus();
        if !matches!(focus, Watched::Settled { value: None }) {
            println!("  Care focus: {}", focus.describe(|f| f.map(|f| f.label()).unwrap_or("").to_owned()));
        }
        let capacity = w.has_capacity();
        if !matches!(capacity, Watched::Settled { value: None }) {
            println!("  Capacity: {}", capacity.describe(|c| yes_no(c, "has capacity", "lacks capacity")));
        }
        if let Some(i) = e.involvement {
            println!("  Involvement: {}", i.label());
        }
        if let Some(p) = &e.legal_proxy {
            println!("  Legal proxy / welfare attorney: {p}");
        }
        if let Some(a) = &e.advance_decision_location {
            println!("  Advance decision to refuse treatment kept: {a}");
        }
        if let Some(l) = &e.anticipatory_medicines_location {
            println!("  Just-in-case medicines: {l}");
        }
        if let Some(d) = &e.date_of_death {
            println!("  Died {d}, {}", place(&e.actual_place_of_death));
        }
    }
    if !r.carer_notes.is_empty() {
        println!("From carers and family (in their own words):");
        for n in &r.carer_notes {
            println!(
                "  {} ({}, {}): {}",
                n.written_by.name,
                n.source.label(),
                n.written_at.display(),
                n.text
            );
        }
    }
    if r.open_tasks().next().is_some() {
        println!("Tasks:");
        for t in r.open_tasks() {
            let from = if t.source == EntrySource::Clinical {
                String::new()
            } else {
                format!(" (from {})", t.source.label())
            };
            println!(
                "  [{}] {} for {}, due {}{from}",
                short(&t.id),
                t.title,
                t.assignee_role.label(),
                t.due_date.as_deref().unwrap_or("-")
            );
        }
    }
    if !view.recent_visits.is_empty() {
        println!("Last visits:");
        for v in &view.recent_visits {
            let news2 = v.news2.as_ref().map(|n| n.label()).unwrap_or_default();
            let state = if v.signed { "signed" } else { "open" };
            println!("  {} {:<20} {:<32} {state} {}", v.started_at.display(), v.clinician.name, news2, v.id);
        }
    }
}

fn observations(a: &ObsArgs) -> Result<Observations> {
    let consciousness = match &a.consciousness {
        None => None,
        Some(c) => Some(Consciousness::from_letter(c).ok_or_else(|| {
            anyhow!("consciousness '{c}' is not ACVPU; allowed: A (alert), C (new confusion), V (voice), P (pain), U (unresponsive)")
        })?),
    };
    // Neither flag: air or oxygen was not recorded, and the score is partial.
    let on_oxygen = match (a.air, a.oxygen) {
        (true, _) => Some(false),
        (_, true) => Some(true),
        _ => None,
    };
    Ok(Observations {
        respiration_rate: a.resp_rate,
        spo2: a.spo2,
        on_oxygen,
        systolic_bp: a.systolic,
        pulse: a.pulse,
        consciousness,
        temperature: a.temp,
    })
}

async fn visit(dir: &Path, json: bool, cmd: VisitCommand) -> Result<()> {
    match cmd {
        VisitCommand::Start { nhs } => {
            let ws = open(dir).await?;
            let id = find(&ws, &nhs).await?;
            let visit = ws.start_visit(id).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "visit": visit }));
            } else {
                println!("{visit}");
            }
        }
        VisitCommand::Obs(args) => {
            let visit = parse_visit(&args.visit)?;
            let obs = observations(&args)?;
            let ws = open(dir).await?;
            let r = ws.record_observations(visit, obs).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "visit": r.visit_id, "news2": news2_json(&r.news2) }));
            } else {
                println!("{}", news2_text(&r.news2));
            }
        }
        VisitCommand::Wound {
            visit,
            site,
            length_cm,
            width_cm,
            depth_cm,
            tissue,
            exudate,
            infection,
            pain,
            dressing,
        } => {
            let visit = parse_visit(&visit)?;
            let exudate = record_commands::vocab(&exudate, "exudate level")?;
            let ws = open(dir).await?;
            let wound = hedgerow_core::workspace::NewWound {
                site,
                length_cm,
                width_cm,
                depth_cm,
                tissue,
                exudate,
                signs_of_infection: infection,
                pain_score: pain,
                dressing,
            };
            let id = ws.record_wound(visit, wound).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "visit": visit, "wound": id }));
            } else {
                println!("Wound assessment saved.");
            }
        }
        VisitCommand::Note { visit, text } => {
            let visit = parse_visit(&visit)?;
            let ws = open(dir).await?;
            ws.add_note(visit, &text).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "visit": visit, "saved": true }));
            } else {
                println!("Note saved.");
            }
        }
        VisitCommand::Sign { visit } => {
            let visit = parse_visit(&visit)?;
            let ws = open(dir).await?;
            let sig = ws.sign_visit(visit).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "visit": visit, "signature": sig }));
            } else {
                println!("Signed by {} at {}.", sig.signed_by.name, sig.signed_at.display());
            }
        }
        VisitCommand::Action { visit, text, done } => {
            let visit = parse_visit(&visit)?;
            let ws = open(dir).await?;
            let id = ws.add_action(visit, &text, done).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "visit": visit, "action": id }));
            } else {
                println!("Action added.");
            }
        }
        VisitCommand::Addendum { visit, text } => {
            let visit = parse_visit(&visit)?;
            let ws = open(dir).await?;
            let id = ws.add_addendum(visit, &text).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "visit": visit, "addendum": id }));
            } else {
                println!("Addendum added.");
            }
        }
        VisitCommand::Show { visit } => {
            let visit = parse_visit(&visit)?;
            let ws = open(dir).await?;
            break_glass_if_asked(&ws, ws.patient_of_visit(visit).await?).await?;
            let v = ws.open_visit(visit).await?;
            ws.close().await;
            if json {
                print_json(&json!({ "visit": v }));
            } else {
                println!(
                    "Visit {} to {} (NHS {}) by {}, {}",
                    v.id,
                    v.patient.name,
                    v.patient.nhs_display(),
                    v.clinician.name,
                    v.started_at.display()
                );
                for a in &v.patient.alerts {
                    println!("  ALERT {a}");
                }
                if v.patient.allergies.is_empty() {
                    println!("  Allergies: none recorded");
                } else {
                    println!("  ALLERGIES: {}", v.patient.allergies.join("; "));
                }
                println!("  {}", v.patient.cpr_banner());
                if let Watched::Disputed { values, .. } = &v.patient.cpr {
                    println!("    clinicians disagree: {}", alternatives_text(values));
                }
                for a in &v.actions {
                    println!("  Action: {}{}", a.text, if a.done { " (done)" } else { " (to do)" });
                }
                for o in &v.observations {
                    println!(
                        "  {}: {}\n    {}",
                        o.recorded_at.display(),
                        news2_text(&o.news2).replace('\n', "\n  "),
                        o.values
                    );
                }
                if !v.narrative.is_empty() {
                    println!("Note:\n{}", v.narrative);
                }
                for w in &v.wound_assessments {
                    println!(
                        "  Wound, {}: {} x {} cm{}, exudate {}{}{}",
                        w.site,
                        w.length_cm,
                        w.width_cm,
                        w.depth_cm.map(|d| format!(" x {d} cm")).unwrap_or_default(),
                        w.exudate,
                        if w.signs_of_infection { ", SIGNS OF INFECTION" } else { "" },
                        w.pain_score.map(|p| format!(", pain {p}/10")).unwrap_or_default()
                    );
                }
                for a in &v.addenda {
                    println!("Addendum by {} at {}: {}", a.written_by.name, a.written_at.display(), a.text);
                }
                match (&v.signature, v.signature_valid) {
                    (Some(s), Some(true)) => println!(
                        "Signed by {} at {} (signature verified).",
                        s.signed_by.name,
                        s.signed_at.display()
                    ),
                    (Some(s), _) => println!(
                        "SIGNATURE DOES NOT VERIFY (signed by {} at {}).",
                        s.signed_by.name,
                        s.signed_at.display()
                    ),
                    (None, _) => println!("Not signed yet."),
                }
            }
        }
    }
    Ok(())
}

async fn demo(dir: &Path, json: bool, patients: usize, seed: u64) -> Result<()> {
    if patients == 0 || patients > 100_000 {
        bail!("--patients must be between 1 and 100000");
    }
    let pass = passphrase::get(false)?;
    let ws = if hedgerow_core::Workspace::exists_in(dir) {
        Workspace::open(dir, &pass).await?
    } else {
        let ws = Workspace::create_demo(
            dir,
            &pass,
            NewClinician { name: "Ada Quill".into(), role: Role::DistrictNurse, registration: None },
        )
        .await?;
        if !json {
            eprintln!("Created a demo workspace in {} for Ada Quill (district nurse).", dir.display());
        }
        ws
    };
    let bar = indicatif::ProgressBar::new(patients as u64);
    if json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} patients ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("Writing the demo caseload");
    let report =
        hedgerow_core::demo::populate(&ws, patients, seed, |done| bar.set_position(done as u64)).await?;
    bar.finish_and_clear();
    let caseload = ws.caseload().await?;
    ws.close().await;
    if json {
        print_json(&json!({ "demo": report, "caseload": caseload.len() }));
    } else {
        println!(
            "Added {} fictional patients ({} visits, {} receiving end of life care). The caseload now has {}.",
            report.patients,
            report.visits,
            report.end_of_life,
            caseload.len()
        );
        let today = chrono::Local::now().date_naive();
        for p in caseload.iter().take(15) {
            println!("{}", caseload_line(p, today));
        }
        if caseload.len() > 15 {
            println!("... and {} more: `hedgerow patient list`", caseload.len() - 15);
        }
    }
    Ok(())
}
