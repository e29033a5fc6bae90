//! The conflicts inbox: every field where clinicians disagreed, both values with authors
//! and times; a clinician resolves each by choosing, confirms the choice in a dialog that
//! says what will no longer be on the record, and gives the reason the audit log keeps.
//! Opened from a record, it shows that patient only and returns to the record when done.

use super::{Go, HedgerowApp, Session, style};
use hedgerow_core::Workspace;
use hedgerow_core::conflicts::Conflict;
use hedgerow_core::ids::PatientId;
use hedgerow_core::view::PatientSummary;

pub struct ConflictsScreen {
    items: Vec<(PatientSummary, Vec<Conflict>)>,
    /// Opened from this patient's record, and goes back to it.
    patient: Option<PatientId>,
    /// The choice waiting for confirmation.
    choosing: Option<Choosing>,
}

struct Choosing {
    patient: PatientId,
    field: String,
    /// 1-based, as the core counts them.
    choice: usize,
    /// Why the clinician chooses: required, and kept in the audit log with the choice.
    reason: String,
    error: Option<String>,
}

fn who(v: &hedgerow_core::conflicts::ConflictValue) -> String {
    let by = v.by.as_ref().map(|b| format!("{} ({})", b.name, b.role.label())).unwrap_or("unknown".into());
    let at = v.at.map(|t| t.display()).unwrap_or_default();
    format!("by {by}, {at}")
}

impl ConflictsScreen {
    pub fn load(app: &HedgerowApp, ws: &Workspace, patient: Option<PatientId>) -> Result<Self, String> {
        let caseload = app.call(ws.caseload())?;
        let mut items = Vec::new();
        for p in caseload.into_iter().filter(|p| p.open_conflicts > 0 && patient.is_none_or(|id| id == p.id))
        {
            let list = app.call(ws.conflicts(p.id))?;
            items.push((p, list));
        }
        Ok(Self { items, patient, choosing: None })
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, session: &mut Session<'_>) -> Go {
        let mut go = Go::Stay;
        match self.patient.and_then(|id| self.items.iter().find(|(p, _)| p.id == id)) {
            Some((p, _)) => {
                ui.heading(format!("Conflicts in {}'s record", p.name));
                if ui.button(format!("Back to {}'s record", p.name)).clicked() {
                    go = Go::Patient(p.id);
                }
            }
            None => {
                ui.heading("Conflicts");
            }
        }
        if self.items.is_empty() {
            ui.label("No open conflicts: every record agrees with itself.");
        }
        egui::ScrollArea::vertical().show(ui, |ui| {
            for (p, conflicts) in &self.items {
                ui.horizontal(|ui| {
                    if ui.link(format!("{} (NHS {})", p.name, p.nhs_display())).clicked() {
                        go = Go::Patient(p.id);
                    }
                });
                for c in conflicts {
                    egui::Frame::group(ui.style()).show(ui, |ui| {
                        ui.colored_label(style::DANGER, &c.label);
                        for (i, v) in c.values.iter().enumerate() {
                            ui.horizontal(|ui| {
                                ui.label(format!("{}  {}", v.value, who(v)));
                                if ui.button(format!("Keep \"{}\"", v.value)).clicked() {
                                    self.choosing = Some(Choosing {
                                        patient: p.id,
                                        field: c.field.clone(),
                                        choice: i + 1,
                                        reason: String::new(),
                                        error: None,
                                    });
                                }
                            });
                        }
                    });
                }
            }
        });
        if self.confirm(ui, session) {
            *session.notice = Some((false, "Conflict resolved.".into()));
            // Back to the record it was opened from once nothing is left to settle there.
            if let Some(id) = self.patient
                && self.items.is_empty()
            {
                go = Go::Patient(id);
            }
        }
        go
    }

    /// The dialog for the choice being made; true once the conflict is resolved.
    fn confirm(&mut self, ui: &mut egui::Ui, session: &mut Session<'_>) -> bool {
        let Some(choosing) = &mut self.choosing else { return false };
        let Some((p, c)) = self
            .items
            .iter()
            .find(|(p, _)| p.id == choosing.patient)
            .and_then(|(p, list)| list.iter().find(|c| c.field == choosing.field).map(|c| (p, c)))
        else {
            self.choosing = None;
            return false;
        };
        let Some(kept) = c.values.get(choosing.choice - 1) else {
            self.choosing = None;
            return false;
        };
        let (mut resolve, mut back) = (false, false);
        egui::Modal::new(egui::Id::unique("confirm-conflict")).show(ui.ctx(), |ui| {
            ui.set_width(560.0);
            ui.heading(format!("Settle the {}", c.label));
            ui.label(format!("For {}, NHS {}", p.name, p.nhs_display()));
            ui.label(egui::RichText::new(format!("Keep: {}", kept.value)).strong().size(19.0));
            ui.label(who(kept));
            let others = c.values.iter().enumerate().filter(|(i, _)| *i + 1 != choosing.choice);
            for (_, other) in others {
                ui.colored_label(
                    style::DANGER,
                    format!("No longer on the record: {} ({})", other.value, who(other)),
                );
            }
            let l = ui.label("Reason for your choice (kept in the audit log)");
            ui.add(egui::TextEdit::multiline(&mut choosing.reason).desired_rows(2).desired_width(540.0))
                .labelled_by(l.id);
            if let Some(e) = &choosing.error {
                ui.colored_label(style::DANGER, e);
            }
            ui.horizontal(|ui| {
                let ready = !choosing.reason.trim().is_empty();
                if ui
                    .add_enabled(ready, egui::Button::new(format!("Confirm: keep \"{}\"", kept.value)))
                    .clicked()
                {
                    resolve = true;
                }
                if ui.button("Go back").clicked() {
                    back = true;
                }
            });
        });
        if back {
            self.choosing = None;
            return false;
        }
        if !resolve {
            return false;
        }
        let (patient, field) = (choosing.patient, choosing.field.clone());
        match session.rt.block_on(session.ws.resolve_conflict(
            patient,
            &field,
            choosing.choice,
            &choosing.reason,
        )) {
            Ok(()) => {
                self.choosing = None;
                for (p, list) in &mut self.items {
                    if p.id == patient {
                        list.retain(|c| c.field != field);
                    }
                }
                self.items.retain(|(_, list)| !list.is_empty());
                true
            }
            Err(e) => {
                choosing.error = Some(e.to_string());
                false
            }
        }
    }
}
