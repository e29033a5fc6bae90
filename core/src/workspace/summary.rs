//! The printable summary for the paper folder left in the home: banner, alerts, allergies,
//! CPR and ReSPECT, care plan, medicines, contacts and the last visits, on A4.

use super::Identity;
use crate::clinical::news2;
use crate::documents::patient::{PatientRecord, PlanStatus, TaskStatus};
use crate::documents::{Timestamp, VisitNote};
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
@page { size: A4; margin: 14mm; }
body { font: 11pt/1.35 "DejaVu Sans", Arial, sans-serif; color: #111; max-width: 180mm; margin: auto; }
.banner { border: 2px solid #111; padding: 6px 10px; display: flex; justify-content: space-between; flex-wrap: wrap; }
.banner .name { font-size: 16pt; font-weight: bold; }
.nhs { font-family: "DejaVu Sans Mono", monospace; font-size: 13pt; }
.critical { border: 3px solid #b00; background: #fff3f3; padding: 6px 10px; margin-top: 8px; font-weight: bold; }
.alert { border-left: 6px solid #b00; padding: 2px 8px; margin: 4px 0; }
h2 { font-size: 12.5pt; border-bottom: 1px solid #999; margin: 14px 0 4px; page-break-after: avoid; }
table { border-collapse: collapse; width: 100%; }
td, th { border: 1px solid #bbb; padding: 3px 5px; vertical-align: top; text-align: left; }
th { background: #eee; }
section { page-break-inside: avoid; }
.small { font-size: 9pt; color: #444; }
"#;

pub fn render(record: &PatientRecord, visits: &[VisitNote], by: &Identity, now: Timestamp) -> String {
    let d = &record.demographics;
    let nhs = d
        .nhs_number
        .parse::<crate::clinical::NhsNumber>()
        .map(|n| n.to_string())
        .unwrap_or(d.nhs_number.clone());
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>{} ({}) care summary</title><style>{STYLE}</style></head><body>",
        esc(&d.name),
        esc(&nhs)
    );
    let age = chrono::NaiveDate::parse_from_str(&d.date_of_birth, "%Y-%m-%d")
        .ok()
        .and_then(|dob| now.to_datetime().date_naive().years_since(dob))
        .map(|a| format!(" (age {a})"))
        .unwrap_or_default();
    let _ = write!(
        h,
        "<div class=\"banner\"><div><div class=\"name\">{}</div><div>Born {}{age} &middot; {}</div></div><div class=\"nhs\">NHS {}</div></div>",
        esc(&d.name),
        esc(&d.date_of_birth),
        esc(d.address.as_deref().unwrap_or("")),
        esc(&nhs)
    );
    let cpr = match &record.end_of_life.cpr {
        Some(c) => format!(
            "CPR: {} &mdash; {} ({}), {}",
            esc(&c.recommendation.as_str().replace('-', " ").to_uppercase()),
            esc(&c.made_by.name),
            esc(c.made_by.role.as_str()),
            esc(&c.made_at.display())
        ),
        None => "CPR: no recommendation recorded".into(),
    };
    let allergies: Vec<String> = record
        .allergies
        .values()
        .map(|a| match &a.reaction {
            Some(r) => format!("{} ({})", esc(&a.substance), esc(r)),
            None => esc(&a.substance),
        })
        .collect();
    let _ = write!(
        h,
        "<div class=\"critical\">{cpr}<br>Allergies: {}</div>",
        if allergies.is_empty() { "none recorded".into() } else { allergies.join("; ") }
    );
    for a in record.alerts.values().filter(|a| a.active) {
        let _ = write!(h, "<div class=\"alert\"><b>{}</b>: {}</div>", esc(a.kind.as_str()), esc(&a.text));
    }
    if let Some(access) = &d.access_notes {
        let _ = write!(h, "<div class=\"alert\"><b>access</b>: {}</div>", esc(access));
    }

    let e = &record.end_of_life;
    if record.end_of_life_care() {
        let place = |p: &Option<crate::documents::patient::Place>| {
            p.map(|p| p.as_str().replace('-', " ")).unwrap_or("not recorded".into())
        };
        let _ = write!(h, "<section><h2>End of life and ReSPECT</h2><table>");
        let mut row = |k: &str, v: String| {
            let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), v);
        };
        row(
            "Preferred place of care",
            format!(
                "{} (then {})",
                esc(&place(&e.preferred_place_of_care)),
                esc(&place(&e.preferred_place_of_care_second))
            ),
        );
        row(
            "Preferred place of death",
            format!(
                "{} (then {})",
                esc(&place(&e.preferred_place_of_death)),
                esc(&place(&e.preferred_place_of_death_second))
            ),
        );
        if let Some(c) = &e.ceiling_of_treatment {
            row("Clinical recommendation", esc(c));
        }
        if let Some(s) = &e.summary {
            row("Summary", esc(s));
        }
        if let Some(p) = &e.personal_preferences {
            row("What matters to me", esc(p));
        }
        if !e.people_to_involve.is_empty() {
            row("People to involve", esc(&e.people_to_involve.join(", ")));
        }
        if let Some(l) = &e.anticipatory_medicines_location {
            row("Just-in-case medicines kept", esc(l));
        }
        if let Some(k) = &e.key_worker {
            row("Key worker", esc(k));
        }
        if let Some(hs) = &e.hospice {
            row("Hospice", esc(hs));
        }
        h.push_str("</table></section>");
    }

    let active: Vec<_> = record.care_plan.values().filter(|p| p.status == PlanStatus::Active).collect();
    if !active.is_empty() {
        h.push_str("<section><h2>Care plan</h2><table><tr><th>Need</th><th>Goal</th><th>What we do</th><th>Review</th></tr>");
        for p in active {
            let goals: Vec<String> = p.goals.values().map(|g| esc(&g.text)).collect();
            let acts: Vec<String> = p
                .interventions
                .values()
                .map(|i| {
                    format!(
                        "{}{}",
                        esc(&i.text),
                        i.frequency.as_deref().map(|f| format!(" ({})", esc(f))).unwrap_or_default()
                    )
                })
                .collect();
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&p.title),
                goals.join("<br>"),
                acts.join("<br>"),
                esc(p.review_date.as_deref().unwrap_or("-"))
            );
        }
        h.push_str("</table></section>");
    }

    let mut current: Vec<_> = record.medicines.values().filter(|m| m.stop_date.is_none()).collect();
    current.sort_by(|a, b| (a.anticipatory, &a.name).cmp(&(b.anticipatory, &b.name)));
    if !current.is_empty() {
        h.push_str("<section><h2>Medicines</h2><table><tr><th>Medicine</th><th>Dose</th><th>Route</th><th>When</th></tr>");
        for m in current {
            let jic = if m.anticipatory { " <b>(just in case)</b>" } else { "" };
            let _ = write!(
                h,
                "<tr><td>{}{jic}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&m.name),
                esc(&m.dose),
                esc(m.route.as_str()),
                esc(&m.frequency)
            );
        }
        h.push_str("</table></section>");
    }

    if !record.contacts.is_empty() || record.gp_practice.is_some() {
        h.push_str("<section><h2>Contacts</h2><table>");
        if let Some(gp) = &record.gp_practice {
            let _ = write!(
                h,
                "<tr><th>GP practice</th><td>{} {}</td></tr>",
                esc(&gp.name),
                esc(gp.phone.as_deref().unwrap_or(""))
            );
        }
        for c in record.contacts.values() {
            let mut roles = vec![c.relationship.as_str().replace('-', " ")];
            if c.next_of_kin {
                roles.push("next of kin".into());
            }
            if c.main_informal_carer {
                roles.push("main carer".into());
            }
            if let Some(lpa) = &c.lasting_power_of_attorney {
                roles.push(format!("LPA ({})", lpa.replace('-', " ")));
            }
            let _ = write!(
                h,
                "<tr><th>{}</th><td>{} {}</td></tr>",
                esc(&c.name),
                esc(&roles.join(", ")),
                esc(c.phone.as_deref().unwrap_or(""))
            );
        }
        h.push_str("</table></section>");
    }

    let open_tasks: Vec<_> = record.tasks.values().filter(|t| t.status == TaskStatus::Open).collect();
    if !open_tasks.is_empty() {
        h.push_str("<section><h2>Planned</h2><ul>");
        for t in open_tasks {
            let _ =
                write!(h, "<li>{} (due {})</li>", esc(&t.title), esc(t.due_date.as_deref().unwrap_or("-")));
        }
        h.push_str("</ul></section>");
    }

    if !visits.is_empty() {
        h.push_str("<section><h2>Last visits</h2><table><tr><th>When</th><th>Who</th><th>NEWS2</th><th>Note</th></tr>");
        for v in visits {
            let news2 = v
                .observation_sets()
                .last()
                .map(|s| {
                    let score = news2::score(&s.observations(), s.scale());
                    if score.partial {
                        format!("at least {} (partial)", score.total)
                    } else {
                        format!("{} ({})", score.total, score.band)
                    }
                })
                .unwrap_or_else(|| "-".into());
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td></tr>",
                esc(&v.started_at.display()),
                esc(&v.clinician.name),
                esc(v.clinician.role.as_str()),
                esc(&news2),
                esc(v.narrative.as_str())
            );
        }
        h.push_str("</table></section>");
    }
    let _ = writeln!(
        h,
        "<p class=\"small\">Printed from Hedgerow by {} ({}) on {}. The shared electronic record is the current version; this copy may be out of date.</p></body></html>",
        esc(&by.name),
        esc(by.role.as_str()),
        esc(&now.display())
    );
    h
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping_covers_markup() {
        assert_eq!(
            super::esc("<b>\"Tom & Jerry's\"</b>"),
            "&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;"
        );
    }
}
