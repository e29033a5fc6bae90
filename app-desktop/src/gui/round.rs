//! The care-home round: the residents of one home in order, one visit each. The round
//! stays open while the clinician is in a resident's visit, and picks up at the next
//! resident not yet seen today.

use super::{Go, HedgerowApp, Session, style};
use hedgerow_core::Workspace;
use hedgerow_core::ids::{PatientId, VisitId};
use hedgerow_core::view::PatientSummary;
use hedgerow_core::workspace::{CareHome, RoundInProgress};

pub struct RoundScreen {
    homes: Vec<CareHome>,
    /// This clinician's visits not yet signed or cancelled, by patient.
    open: Vec<(PatientId, VisitId)>,
    /// The home being visited, by name, once chosen.
    home: Option<String>,
    current: usize,
    today: chrono::NaiveDate,
}

fn seen_today(p: &PatientSummary, today: chrono::NaiveDate) -> bool {
    p.last_visit.is_some_and(|t| hedgerow_core::view::on_local_day(t, today))
}

impl RoundScreen {
    pub fn load(app: &HedgerowApp, ws: &Workspace) -> Result<Self, String> {
        Ok(Self {
            homes: app.call(ws.care_homes())?,
            open: open_visits(app, ws)?,
            home: None,
            current: 0,
            today: chrono::Local::now().date_naive(),
        })
    }

    /// Back from a visit: fresh statuses, and on to the next resident not yet seen.
    pub fn refresh(&mut self, app: &HedgerowApp, ws: &Workspace) -> Result<(), String> {
        self.homes = app.call(ws.care_homes())?;
        self.open = open_visits(app, ws)?;
        self.today = chrono::Local::now().date_naive();
        if let Some(residents) = self.residents()
            && residents.get(self.current).is_some_and(|p| seen_today(p, self.today))
            && let Some(next) = self.next_unseen(self.current)
        {
            self.current = next;
        }
        Ok(())
    }

    /// Picks up a round kept when the app locked: the same home, at the same resident.
    pub fn resume(app: &HedgerowApp, ws: &Workspace, kept: &RoundInProgress) -> Result<Self, String> {
        let mut round = Self::load(app, ws)?;
        if let Some(home) = round.homes.iter().find(|h| h.name == kept.home) {
            round.current =
                home.residents.iter().position(|p| Some(p.id) == kept.resident).unwrap_or_default();
            round.home = Some(kept.home.clone());
        }
        Ok(round)
    }

    /// Where the round is, to keep it across a lock; `None` before a home is chosen.
    pub fn progress(&self) -> Option<RoundInProgress> {
        let home = self.home.clone()?;
        let resident = self.residents().and_then(|r| r.get(self.current)).map(|p| p.id);
        Some(RoundInProgress { home, resident })
    }

    /// What the top bar offers while the clinician is away from the round.
    pub fn resume_label(&self) -> Option<String> {
        Some(format!("Back to the round at {}", self.home.as_deref()?))
    }

    fn residents(&self) -> Option<&[PatientSummary]> {
        let home = self.home.as_deref()?;
        self.homes.iter().find(|h| h.name == home).map(|h| h.residents.as_slice())
    }

    fn next_unseen(&self, after: usize) -> Option<usize> {
        let residents = self.residents()?;
        (1..=residents.len())
            .map(|k| (after + k) % residents.len())
            .find(|&i| !seen_today(&residents[i], self.today))
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, session: &mut Session<'_>) -> Go {
        let home = self.home.as_deref().and_then(|name| self.homes.iter().find(|h| h.name == name));
        match home {
            None => self.choose_home(ui),
            // Borrowed field by field, so that no frame copies the residents.
            Some(home) => {
                let round = Walk {
                    home: &home.name,
                    residents: &home.residents,
                    open: &self.open,
                    today: self.today,
                };
                walk(ui, session, round, &mut self.current)
            }
        }
    }

    fn choose_home(&mut self, ui: &mut egui::Ui) -> Go {
        ui.heading("Care-home round");
        if self.homes.is_empty() {
            ui.label("No care homes on your caseload. Residents are grouped by the care home their address names, e.g. \"Room 4, Bramblewood House Care Home, Little Wyck\".");
            return Go::Stay;
        }
        ui.label("Choose the home you are visiting. Its residents are listed by room; each gets one visit.");
        for h in &self.homes {
            let seen = h.residents.iter().filter(|p| seen_today(p, self.today)).count();
            let text = format!("{} ({} residents, {seen} seen today)", h.name, h.residents.len());
            if ui.button(text).clicked() {
                self.home = Some(h.name.clone());
                self.current = h.residents.iter().position(|p| !seen_today(p, self.today)).unwrap_or(0);
            }
        }
        Go::Stay
    }
}

fn open_visits(app: &HedgerowApp, ws: &Workspace) -> Result<Vec<(PatientId, VisitId)>, String> {
    Ok(app.call(ws.open_visits())?.into_iter().map(|v| (v.patient, v.visit)).collect())
}

/// The home being walked, borrowed field by field.
struct Walk<'a> {
    home: &'a str,
    residents: &'a [PatientSummary],
    open: &'a [(PatientId, VisitId)],
    today: chrono::NaiveDate,
}

/// Wide enough for "Continue the open visit for" and most names, so that the button after
/// it stays where it was from one resident to the next.
const VISIT_BUTTON: egui::Vec2 = egui::vec2(420.0, 0.0);

fn walk(ui: &mut egui::Ui, session: &mut Session<'_>, round: Walk<'_>, current: &mut usize) -> Go {
    let Walk { home, residents, open, today } = round;
    let open_visit = |p: &PatientSummary| open.iter().find(|(id, _)| *id == p.id).map(|(_, v)| *v);
    let mut go = Go::Stay;
    let seen = residents.iter().filter(|p| seen_today(p, today)).count();
    ui.heading(format!("Round: {home} ({seen}/{} seen)", residents.len()));
    *current = (*current).min(residents.len().saturating_sub(1));
    // The buttons come before anything whose length varies from one resident to the next
    // (alerts, allergies, conflicts), so that they never move under the clinician's hand.
    ui.horizontal(|ui| {
        if ui.add_enabled(*current > 0, egui::Button::new("Previous resident")).clicked() {
            *current -= 1;
        }
        if ui.add_enabled(*current + 1 < residents.len(), egui::Button::new("Next resident")).clicked() {
            *current += 1;
        }
        if ui.button("End the round").clicked() {
            go = Go::EndRound;
        }
    });
    let p = &residents[*current];
    ui.group(|ui| {
        ui.horizontal(|ui| {
            ui.strong(format!("Resident {} of {}: {}", *current + 1, residents.len(), p.name));
            ui.monospace(p.nhs_display());
            // Two residents of one name are told apart by date of birth and room.
            let age = p.age_on(today).map(|a| format!(", {a} years")).unwrap_or_default();
            ui.label(format!("born {}{age}", p.date_of_birth));
        });
        ui.horizontal(|ui| {
            let seen = seen_today(p, today);
            let label = if seen {
                format!("Another visit for {}", p.name)
            } else {
                format!("Start visit for {}", p.name)
            };
            match open_visit(p) {
                // An open visit is finished, not left behind a second one.
                Some(v) => {
                    let label = egui::RichText::new(format!("Continue the open visit for {}", p.name));
                    if ui.add(egui::Button::new(label.color(style::WARN)).min_size(VISIT_BUTTON)).clicked() {
                        go = Go::Visit(p.id, v);
                    }
                }
                None => {
                    if ui.add(egui::Button::new(label).min_size(VISIT_BUTTON)).clicked() {
                        match session.rt.block_on(session.ws.start_visit(p.id)) {
                            Ok(v) => go = Go::Visit(p.id, v),
                            Err(e) => *session.notice = Some((true, e.to_string())),
                        }
                    }
                }
            }
            if ui.button("Open the record").clicked() {
                go = Go::Patient(p.id);
            }
        });
        // Always said, so that "nothing shown" never passes for "no decision".
        match &p.cpr {
            hedgerow_core::view::Watched::Settled { value: None } => ui.label(p.cpr_banner()),
            _ => ui.colored_label(style::DANGER, egui::RichText::new(p.cpr_banner()).strong()),
        };
        if let Some(a) = &p.address {
            ui.label(a);
        }
        if !p.alerts.is_empty() {
            ui.colored_label(style::WARN, format!("Alerts: {}", p.alerts.join("; ")));
        }
        if !p.allergies.is_empty() {
            ui.colored_label(style::DANGER, format!("Allergies: {}", p.allergies.join(", ")));
        }
        if let Some(n) = &p.latest_news2 {
            ui.colored_label(
                style::news2_colour(n.complete_band()),
                format!("Last {} ({})", n.label(), n.recorded_at.display()),
            );
        }
        if p.open_conflicts > 0 {
            ui.colored_label(style::DANGER, format!("Open conflicts: {}", p.conflicts_about.join("; ")));
        }
    });
    ui.separator();
    egui::Grid::new("round").striped(true).num_columns(6).show(ui, |ui| {
        for (i, r) in residents.iter().enumerate() {
            let marker = if i == *current { "now" } else { "" };
            ui.label(marker);
            // Where in the home: the address up to the home's name ("Room 4").
            let place = r.address.as_deref().and_then(|a| a.split(',').next()).unwrap_or_default();
            ui.label(place);
            if ui.link(&r.name).clicked() {
                *current = i;
            }
            if open_visit(r).is_some() {
                ui.colored_label(style::WARN, "visit not signed");
            } else if seen_today(r, today) {
                ui.colored_label(style::OK, "seen today");
            } else {
                ui.label("to see");
            }
            match &r.latest_news2 {
                Some(n) => ui.colored_label(style::news2_colour(n.complete_band()), n.label()),
                None => ui.label(""),
            };
            match &r.cpr {
                hedgerow_core::view::Watched::Settled { value: None } => ui.label("no CPR decision"),
                _ => ui.colored_label(style::DANGER, r.cpr_banner()),
            };
            ui.end_row();
        }
    });
    go
}
