//! The conflicts inbox: every field where clinicians disagreed, both values with authors
//! and times; a clinician resolves each by choosing.

use super::{Go, HedgerowApp, Session, style};
use hedgerow_core::Workspace;
use hedgerow_core::conflicts::Conflict;
use hedgerow_core::store::PatientSummary;

pub struct ConflictsScreen {
    items: Vec<(PatientSummary, Vec<Conflict>)>,
    /// Why the clinician chooses: required, and kept in the audit log with the choice.
    reason: String,
}

impl ConflictsScreen {
    pub fn load(app: &HedgerowApp, ws: &Workspace) -> Result<Self, String> {
        let caseload = app.call(ws.caseload())?;
        let mut items = Vec::new();
        for p in caseload.into_iter().filter(|p| p.open_conflicts > 0) {
            let list = app.call(ws.conflicts(p.id))?;
            items.push((p, list));
        }
        Ok(Self { items, reason: String::new() })
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, session: &mut Session<'_>) -> Go {
        let (rt, ws, notice) = (session.rt, session.ws, &mut *session.notice);
        let mut go = Go::Stay;
        ui.heading("Conflicts");
        if self.items.is_empty() {
            ui.label("No open conflicts: every record agrees with itself.");
        }
        let mut resolved = None;
        if !self.items.is_empty() {
            ui.horizontal(|ui| {
                let label = ui.label("Reason for your choice (kept in the audit log)");
                ui.add(egui::TextEdit::singleline(&mut self.reason).desired_width(420.0))
                    .labelled_by(label.id);
            });
        }
        let ready = !self.reason.trim().is_empty();
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
                                let by =
                                    v.by.as_ref()
                                        .map(|b| format!("{} ({})", b.name, b.role.label()))
                                        .unwrap_or("unknown".into());
                                let at = v.at.map(|t| t.display()).unwrap_or_default();
                                ui.label(format!("{}  by {by}, {at}", v.value));
                                let keep = egui::Button::new(format!("Keep \"{}\"", v.value));
                                if ui.add_enabled(ready, keep).clicked() {
                                    resolved = Some((p.id, c.field.clone(), i + 1));
                                }
                            });
                        }
                    });
                }
            }
        });
        if let Some((patient, field, choice)) = resolved {
            match rt.block_on(ws.resolve_conflict(patient, &field, choice, &self.reason)) {
                Ok(()) => {
                    self.reason.clear();
                    *notice = Some((false, "Conflict resolved.".into()));
                    for (p, list) in &mut self.items {
                        if p.id == patient {
                            list.retain(|c| c.field != field);
                        }
                    }
                    self.items.retain(|(_, list)| !list.is_empty());
                }
                Err(e) => *notice = Some((true, e.to_string())),
            }
        }
        go
    }
}
