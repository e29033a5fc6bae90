//! The audit log: who opened, changed, signed, exported or synced what, and when. Break-glass
//! access is flagged for review and shown in red.

use super::{Go, HedgerowApp, style};
use hedgerow_core::Workspace;
use hedgerow_core::ids::PatientId;
use hedgerow_core::store::{AuditEntry, PatientSummary};

pub struct AuditScreen {
    entries: Vec<AuditEntry>,
    caseload: Vec<PatientSummary>,
    flagged_only: bool,
}

impl AuditScreen {
    pub fn load(app: &HedgerowApp, ws: &Workspace) -> Result<Self, String> {
        let mut entries = app.call(ws.audit_log(None))?;
        entries.reverse();
        Ok(Self { entries, caseload: app.call(ws.caseload())?, flagged_only: false })
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) -> Go {
        ui.heading("Audit log");
        let flagged = self.entries.iter().filter(|e| e.flagged).count();
        ui.horizontal(|ui| {
            ui.label(format!("{} entries, newest first.", self.entries.len()));
            if flagged > 0 {
                ui.colored_label(style::DANGER, format!("{flagged} flagged for review (break-glass)"));
            }
            ui.checkbox(&mut self.flagged_only, "Flagged for review only");
        });
        ui.separator();
        let shown: Vec<&AuditEntry> =
            self.entries.iter().filter(|e| !self.flagged_only || e.flagged).collect();
        let mut go = Go::Stay;
        egui::ScrollArea::vertical().id_salt("audit").show(ui, |ui| {
            go = table(ui, &shown, |id| self.caseload.iter().find(|p| &p.id == id));
        });
        go
    }
}

/// The entries as a table; a patient on the caseload is a link to their record.
pub fn table<'a>(
    ui: &mut egui::Ui,
    entries: &[&AuditEntry],
    patient: impl Fn(&PatientId) -> Option<&'a PatientSummary>,
) -> Go {
    let mut go = Go::Stay;
    egui::Grid::new("audit-entries").striped(true).num_columns(5).show(ui, |ui| {
        for e in entries {
            ui.label(e.at.display());
            ui.label(&e.clinician.name);
            if e.flagged {
                ui.colored_label(style::DANGER, format!("{} (flagged)", e.action.as_str()));
            } else {
                ui.label(e.action.as_str());
            }
            match e.patient.as_ref().map(|id| (id, patient(id))) {
                Some((_, Some(p))) => {
                    if ui.link(&p.name).clicked() {
                        go = Go::Patient(p.id);
                    }
                }
                Some((id, None)) => {
                    ui.label(format!("patient {}", &id.to_hex()[..8]));
                }
                None => {
                    ui.label("");
                }
            }
            ui.label(&e.detail);
            ui.end_row();
        }
    });
    go
}
