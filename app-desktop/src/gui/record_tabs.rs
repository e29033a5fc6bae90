//! The record's reading tabs: end of life and ReSPECT, alerts and allergies, the pre-visit
//! briefing and the history of changes. Each shows what core gives it; disputed values are
//! shown as disputed.

use super::style;
use hedgerow_core::Workspace;
use hedgerow_core::history::FieldChange;
use hedgerow_core::ids::PatientId;
use hedgerow_core::view::Place;
use hedgerow_core::view::{Watched, alternatives_text};
use hedgerow_core::workspace::{Briefing, PatientView, RecordChange};

/// A watched value on one line: the value, or every disputed value in red.
fn watched_label<T>(ui: &mut egui::Ui, w: &Watched<T>, show: impl FnOnce(&T) -> String) {
    match w {
        Watched::Settled { value } => ui.label(show(value)),
        Watched::Disputed { values, .. } => {
            ui.colored_label(style::DANGER, format!("DISPUTED: {}", alternatives_text(values)))
        }
    };
}

pub(super) fn end_of_life(ui: &mut egui::Ui, view: &PatientView) {
    let e = &view.record.end_of_life;
    if !e.has_plan {
        ui.label("No end of life plan recorded.");
        return;
    }
    let w = view.watched();
    let place = |p: &Option<Place>| p.map(|p| p.label().to_owned()).unwrap_or("-".into());
    let text = |t: &Option<&str>| t.unwrap_or("").to_owned();
    egui::Grid::new("eol").num_columns(2).striped(true).show(ui, |ui| {
        ui.strong("CPR recommendation");
        match w.cpr() {
            Watched::Settled { value: Some(c) } => {
                ui.colored_label(
                    style::DANGER,
                    format!(
                        "{} by {}, {}",
                        c.recommendation.label(),
                        clinician(&c.made_by),
                        c.made_at.display()
                    ),
                );
            }
            Watched::Settled { value: None } => {
                ui.label("No CPR decision recorded");
            }
            Watched::Disputed { values, .. } => {
                ui.vertical(|ui| {
                    let warning =
                        "DISPUTED: clinicians disagree. Follow local policy for a disputed decision.";
                    ui.colored_label(style::DANGER, egui::RichText::new(warning).strong());
                    for v in &values {
                        ui.colored_label(style::DANGER, hedgerow_core::view::alternative_text(v));
                    }
                });
            }
        }
        ui.end_row();
        ui.strong("Ceiling of treatment");
        ui.vertical(|ui| {
            watched_label(ui, &w.ceiling_of_treatment(), text);
            if let (Some(by), Some(at), false) =
                (&e.ceiling_set_by, e.ceiling_set_at, w.ceiling_of_treatment().is_disputed())
            {
                ui.weak(format!("set by {}, {}", clinician(by), at.display()));
            }
        });
        ui.end_row();
        ui.strong("Care focus");
        watched_label(ui, &w.care_focus(), |f| f.map(|f| f.label()).unwrap_or("-").to_owned());
        ui.end_row();
        ui.strong("Preferred place of care");
        ui.horizontal(|ui| {
            watched_label(ui, &w.preferred_place_of_care(), place);
            ui.label("then");
            watched_label(ui, &w.preferred_place_of_care_second(), place);
        });
        ui.end_row();
        ui.strong("Preferred place of death");
        ui.horizontal(|ui| {
            watched_label(ui, &w.preferred_place_of_death(), place);
            ui.label("then");
            watched_label(ui, &w.preferred_place_of_death_second(), place);
        });
        ui.end_row();
        ui.strong("Capacity");
        watched_label(ui, &w.has_capacity(), |c| match c {
            Some(true) => "has capacity for these decisions".into(),
            Some(false) => "lacks capacity for these decisions".into(),
            None => "-".into(),
        });
        ui.end_row();
        for (k, v) in [
            ("Involvement in the plan", e.involvement.map(|i| i.label().to_owned()).unwrap_or_default()),
            ("Legal proxy / welfare attorney", e.legal_proxy.clone().unwrap_or_default()),
            ("Advance decision kept", e.advance_decision_location.clone().unwrap_or_default()),
            ("What matters to them", e.personal_preferences.clone().unwrap_or_default()),
            ("Just-in-case medicines", e.anticipatory_medicines_location.clone().unwrap_or_default()),
            ("Key worker", e.key_worker.clone().unwrap_or_default()),
            ("ReSPECT review", e.respect_review_date.clone().unwrap_or_default()),
        ] {
            if v.is_empty() {
                continue;
            }
            ui.strong(k);
            ui.label(v);
            ui.end_row();
        }
        if let Some(d) = &e.date_of_death {
            ui.strong("Died");
            ui.label(format!("{d}, {}", place(&e.actual_place_of_death)));
            ui.end_row();
        }
    });
}

/// "Dr Priya Kellaway (GP, registration 9900001)".
fn clinician(c: &hedgerow_core::view::ClinicianRef) -> String {
    match &c.registration {
        Some(r) => format!("{} ({}, registration {r})", c.name, c.role.label()),
        None => format!("{} ({})", c.name, c.role.label()),
    }
}

pub(super) type DoseHistory = Vec<(String, Vec<FieldChange>)>;

pub(super) fn load_history(
    rt: &tokio::runtime::Runtime,
    ws: &Workspace,
    id: PatientId,
    view: &PatientView,
) -> Result<(Vec<RecordChange>, DoseHistory), String> {
    let changes = rt.block_on(ws.record_history(id)).map_err(|e| e.to_string())?;
    let mut doses = Vec::new();
    for m in view.record.current_medicines() {
        let field = format!("medicines/{}/dose", m.id);
        doses.push((m.name.clone(), rt.block_on(ws.field_history(id, &field)).map_err(|e| e.to_string())?));
    }
    Ok((changes, doses))
}

/// Who changed what, and when; then how each current medicine's dose got to where it is.
pub(super) fn history(ui: &mut egui::Ui, changes: &[RecordChange], doses: &[(String, Vec<FieldChange>)]) {
    ui.strong("Changes to the record, newest first");
    egui::Grid::new("record-history").striped(true).num_columns(3).show(ui, |ui| {
        for c in changes {
            ui.label(c.at.display());
            ui.label(c.by.as_ref().map(|b| b.name.as_str()).unwrap_or("another system"));
            ui.vertical(|ui| {
                ui.label(&c.action);
                // The values it set, so the history answers "changed to what?".
                for line in &c.changed {
                    ui.weak(line);
                }
            });
            ui.end_row();
        }
    });
    for (name, values) in doses.iter().filter(|(_, v)| v.len() > 1) {
        ui.add_space(6.0);
        ui.strong(format!("Dose of {name}"));
        for v in values {
            let who = v.by.as_ref().map(|b| b.name.as_str()).unwrap_or("another system");
            ui.label(format!("{}: {} ({who})", v.at.display(), v.value));
        }
    }
}

pub(super) fn safety(ui: &mut egui::Ui, view: &PatientView) {
    let r = &view.record;
    ui.strong("Allergies");
    if r.allergies.is_empty() {
        ui.label("None recorded.");
    }
    for a in &r.allergies {
        ui.colored_label(
            style::DANGER,
            format!("{} (recorded by {}, {})", a.line, a.recorded_by.name, a.recorded_at.display()),
        );
    }
    ui.strong("Alerts");
    if !r.alerts.iter().any(|a| a.active) {
        ui.label("None active.");
    }
    for a in r.alerts.iter().filter(|a| a.active) {
        ui.colored_label(
            style::WARN,
            format!("{}: {} ({}, {})", a.kind.label(), a.text, a.added_by.name, a.added_at.display()),
        );
    }
    ui.strong("Consent");
    let c = &r.consent;
    // The core words each answer, a disputed one with every value.
    let line = |ui: &mut egui::Ui, text: String, disputed: bool| {
        if disputed {
            ui.colored_label(style::DANGER, text)
        } else {
            ui.label(text)
        };
    };
    line(
        ui,
        format!(
            "Consent to share with the care team: {}; national data opt-out: {}",
            c.sharing_text, c.opt_out_text
        ),
        !c.disputed.is_empty(),
    );
    for t in &c.with_teams {
        line(ui, format!("Consent to share with {}: {}", t.team, t.text), t.agreed.is_none());
    }
}

pub(super) fn briefing(ui: &mut egui::Ui, b: &Briefing) {
    match b.my_last_visit {
        Some(t) => ui.label(format!("Since your last visit on {}:", t.display())),
        None => ui.label("You have not visited before: everything here is new to you."),
    };
    for c in &b.conflicts {
        ui.colored_label(style::DANGER, format!("Conflict: {}", c.label));
    }
    for m in &b.medicines_changed {
        ui.colored_label(
            style::WARN,
            format!("{} now {} ({}, {})", m.name, m.dosage, m.changed_by.name, m.changed_at.display()),
        );
    }
    for v in &b.visits_by_others {
        ui.label(format!("{} {}: {}", v.started_at.display(), v.clinician.name, v.note_preview));
    }
    let trend: Vec<String> = b.news2_trend.iter().map(|n| n.score_text()).collect();
    if !trend.is_empty() {
        ui.label(format!("NEWS2 trend: {}", trend.join(" > ")));
    }
}
