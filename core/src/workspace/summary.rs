//! The printable summary for the paper folder left in the home: banner, alerts, allergies,
//! CPR and ReSPECT, care plan, medicines, contacts and the last visits, on A4.

use super::Identity;
use crate::clinical::news2;
use crate::documents::patient::{Place, PlanStatus, TaskStatus};
use crate::documents::{ClinicianRef, Timestamp, VisitNote};
use crate::view::{Watched, WatchedRecord, alternative_text};
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

/// "Dr Priya Kellaway (GP, GMC 9900001)".
fn who(c: &ClinicianRef) -> String {
    match &c.registration {
        Some(r) => format!("{} ({}, registration {})", c.name, c.role.label(), r),
        None => format!("{} ({})", c.name, c.role.label()),
    }
}

/// A watched value, or every disputed value with who and when, each on its own line.
fn watched<T>(w: &Watched<T>, show: impl FnOnce(&T) -> String) -> String {
    match w {
        Watched::Settled { value } => esc(&show(value)),
        Watched::Disputed { values, .. } => {
            let each: Vec<String> = values.iter().map(|v| esc(&alternative_text(v))).collect();
            format!("<b>DISPUTED, not decided:</b> {}", each.join("<br>or "))
        }
    }
}

fn place(p: &Option<Place>) -> String {
    p.map(|p| p.label().to_owned()).unwrap_or("not recorded".into())
}

pub fn render(w: &WatchedRecord<'_>, visits: &[VisitNote], by: &Identity, now: Timestamp) -> String {
    let record = w.record();
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
    let cpr = match w.cpr() {
        Watched::Settled { value: Some(c) } => format!(
            "CPR: {} &mdash; {}, {}",
            esc(&c.recommendation.label().to_uppercase()),
            esc(&who(&c.made_by)),
            esc(&c.made_at.display())
        ),
        Watched::Settled { value: None } => "CPR: no decision recorded".into(),
        Watched::Disputed { values, .. } => {
            let each: Vec<String> = values.iter().map(|v| esc(&alternative_text(v))).collect();
            format!(
                "CPR: DISPUTED &mdash; clinicians disagree and neither is the decision. Follow local policy for a disputed decision.<br>{}",
                each.join("<br>")
            )
        }
    };
    let allergies: Vec<String> = w.allergy_lines().iter().map(|l| esc(l)).collect();
    let _ = write!(
        h,
        "<div class=\"critical\">{cpr}<br>Allergies: {}</div>",
        if allergies.is_empty() { "none recorded".into() } else { allergies.join("; ") }
    );
    for a in record.alerts.values().filter(|a| a.active) {
        let _ = write!(h, "<div class=\"alert\"><b>{}</b>: {}</div>", esc(a.kind.label()), esc(&a.text));
    }
    if let Some(access) = &d.access_notes {
        let _ = write!(h, "<div class=\"alert\"><b>access</b>: {}</div>", esc(access));
    }

    let e = &record.end_of_life;
    if record.end_of_life_care() {
        let _ = write!(h, "<section><h2>End of life and ReSPECT</h2><table>");
        let mut row = |k: &str, v: String| {
            let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), v);
        };
        row(
            "Preferred place of care",
            format!(
                "{} (then {})",
                watched(&w.preferred_place_of_care(), place),
                watched(&w.preferred_place_of_care_second(), place)
            ),
        );
        row(
            "Preferred place of death",
            format!(
                "{} (then {})",
                watched(&w.preferred_place_of_death(), place),
                watched(&w.preferred_place_of_death_second(), place)
            ),
        );
        let ceiling = w.ceiling_of_treatment();
        if !matches!(ceiling, Watched::Settled { value: None }) {
            let set_by = match (&e.ceiling_set_by, e.ceiling_set_at, ceiling.is_disputed()) {
                (Some(b), Some(at), false) => {
                    format!(" <span class=\"small\">({}, {})</span>", esc(&who(b)), esc(&at.display()))
                }
                _ => String::new(),
            };
            row(
                "Ceiling of treatment",
                format!("{}{set_by}", watched(&ceiling, |c| c.unwrap_or("").to_owned())),
            );
        }
        let focus = w.care_focus();
        if !matches!(focus, Watched::Settled { value: None }) {
            let reasons =
                e.care_focus_reasons.as_deref().map(|r| format!(": {}", esc(r))).unwrap_or_default();
            row(
                "Care focus",
                format!("{}{reasons}", watched(&focus, |f| f.map(|f| f.label()).unwrap_or("").to_owned())),
            );
        }
        let capacity = w.has_capacity();
        if !matches!(capacity, Watched::Settled { value: None }) {
            row(
                "Capacity for these decisions",
                watched(&capacity, |c| {
                    if *c == Some(true) { "has capacity".into() } else { "lacks capacity".into() }
                }),
            );
        }
        if let Some(i) = e.involvement {
            let detail =
                e.involvement_detail.as_deref().map(|d| format!(" ({})", esc(d))).unwrap_or_default();
            row("Involvement in this plan", format!("{}{detail}", esc(i.label())));
        }
        if let Some(p) = &e.legal_proxy {
            row("Legal proxy / welfare attorney", esc(p));
        }
        if let Some(l) = &e.advance_decision_location {
            row("Advance decision to refuse treatment kept", esc(l));
        }
        if let Some(r) = &e.respect_review_date {
            row("ReSPECT review", esc(r));
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

    let mut current = w.current_medicines();
    current.sort_by(|a, b| (a.1.anticipatory, &a.1.name).cmp(&(b.1.anticipatory, &b.1.name)));
    if !current.is_empty() {
        h.push_str("<section><h2>Medicines</h2><table><tr><th>Medicine</th><th>Dose</th><th>Route</th><th>When</th></tr>");
        for (_, m, wm) in current {
            let jic = if m.anticipatory { " <b>(just in case)</b>" } else { "" };
            let stopped = if wm.stopped.is_disputed() {
                format!(
                    "<br>{}",
                    watched(&wm.stopped, |s| s.map(|d| format!("stopped {d}")).unwrap_or("current".into()))
                )
            } else {
                String::new()
            };
            let _ = write!(
                h,
                "<tr><td>{}{jic}{stopped}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&m.name),
                watched(&wm.dose, |d| (*d).to_owned()),
                watched(&wm.route, |r| r.label().to_owned()),
                watched(&wm.frequency, |f| (*f).to_owned())
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
            let mut roles = vec![c.relationship.label().to_owned()];
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
                .map(|s| news2::score(&s.observations(), s.scale()).label())
                .unwrap_or_else(|| "-".into());
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&v.started_at.display()),
                esc(&who(&v.clinician)),
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
        esc(by.role.label()),
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
