//! `hedgerow today`: the core's `view::Today` in text, or as it is with `--json`.

use crate::commands::open;
use crate::output::print_json;
use anyhow::Result;
use std::path::Path;

pub async fn today(dir: &Path, json: bool, on: Option<&str>) -> Result<()> {
    let date = match on {
        Some(d) => hedgerow_core::view::parse_date(d, "--on")?,
        None => chrono::Local::now().date_naive(),
    };
    let ws = open(dir).await?;
    let day = ws.today(date).await?;
    ws.close().await;
    if json {
        print_json(&serde_json::to_value(&day)?);
        return Ok(());
    }
    let name_of = |id: &hedgerow_core::ids::PatientId| {
        day.caseload.iter().find(|p| &p.id == id).map(|p| p.name.as_str()).unwrap_or("")
    };
    println!("{}: {} patients on the caseload", day.date, day.caseload.len());
    if !day.unsigned_visits.is_empty() {
        println!("Your visits not signed:");
        for v in &day.unsigned_visits {
            let typed = if v.unsaved { ", typed, not saved" } else { "" };
            println!(
                "  {} (visit {}, started {}{typed})",
                name_of(&v.patient),
                v.visit,
                v.started_at.display()
            );
        }
    }
    println!("Needs attention:");
    if day.needs_attention.is_empty() {
        println!("  No open conflicts or raised NEWS2 scores.");
    }
    for p in &day.needs_attention {
        let mut why = Vec::new();
        if p.open_conflicts > 0 {
            why.push(format!("conflict: {}", p.conflicts_about.join("; ")));
        }
        if let Some(n) = &p.latest_news2 {
            why.push(format!("{} at {}", n.label(), n.recorded_at.display()));
        }
        println!("  {:<28} {}  {}", p.name, p.nhs_display(), why.join("; "));
    }
    println!("Tasks due by {}:", day.date);
    if day.tasks_due.is_empty() {
        println!("  No tasks due.");
    }
    for t in &day.tasks_due {
        println!(
            "  {}  {:<28} {} ({})",
            t.when(),
            t.patient_name,
            t.task.title,
            t.task.assignee_role.label()
        );
    }
    println!("Reviews due:");
    if day.reviews_due.is_empty() {
        println!("  No care plan or ReSPECT reviews due.");
    }
    for r in &day.reviews_due {
        println!("  {}  {:<28} {}", r.when(), r.patient_name, r.what);
    }
    println!("Visits today:");
    if day.visited_today.is_empty() {
        println!("  No visits recorded today yet.");
    }
    for p in &day.visited_today {
        println!("  {}", p.name);
    }
    Ok(())
}
