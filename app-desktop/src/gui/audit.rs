//! The audit log: who opened, changed, signed, exported or synced what, and when. Break-glass
//! access is flagged for review and shown in red. On a team admin's device, the whole team's
//! log too: every device's entries, and any break in a device's log.

use super::{Go, HedgerowApp, style};
use hedgerow_core::Workspace;
use hedgerow_core::ids::PatientId;
use hedgerow_core::view::{AuditCheck, AuditEntry, PatientSummary};
use hedgerow_core::workspace::TeamAudit;

pub struct AuditScreen {
    entries: Vec<AuditEntry>,
    caseload: Vec<PatientSummary>,
    flagged_only: bool,
    this_device: AuditCheck,
    /// The team's log, on an admin's device.
    team: Option<TeamAudit>,
    show_team: bool,
}

impl AuditScreen {
    pub fn load(app: &HedgerowApp, ws: &Workspace) -> Result<Self, String> {
        let mut entries = app.call(ws.audit_log(None))?;
        entries.reverse();
        Ok(Self {
            entries,
            caseload: app.call(ws.caseload())?,
            flagged_only: false,
            this_device: ws.audit_check().clone(),
            team: app.call(ws.team_audit(false)).ok(),
            show_team: false,
        })
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) -> Go {
        ui.heading("Audit log");
        if !self.this_device.intact() {
            ui.colored_label(
                style::DANGER,
                format!(
                    "This device's audit log has been tampered with: {}. This is recorded and reported to the team.",
                    self.this_device.breaks.join("; ")
                ),
            );
        }
        if let Some(team) = &self.team {
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.show_team, false, "This device");
                ui.selectable_value(&mut self.show_team, true, "Whole team");
                let broken = team.entries.iter().filter(|e| e.problem.is_some()).count();
                if broken > 0 {
                    ui.colored_label(style::DANGER, format!("{broken} breaks in devices' logs"));
                }
            });
        }
        if self.show_team
            && let Some(team) = &self.team
        {
            ui.checkbox(&mut self.flagged_only, "Flagged for review only");
            ui.separator();
            let mut go = Go::Stay;
            let caseload = &self.caseload;
            egui::ScrollArea::vertical().id_salt("team-audit").show(ui, |ui| {
                egui::Grid::new("team-audit-entries").striped(true).num_columns(6).show(ui, |ui| {
                    for e in team
                        .entries
                        .iter()
                        .filter(|e| !self.flagged_only || e.entry.flagged || e.problem.is_some())
                    {
                        ui.label(e.entry.at.display());
                        ui.label(&e.device_label);
                        ui.label(&e.entry.clinician.name);
                        if e.entry.flagged {
                            ui.colored_label(style::DANGER, format!("{} (flagged)", e.entry.action.as_str()));
                        } else {
                            ui.label(e.entry.action.as_str());
                        }
                        if let Some(to) = patient_cell(ui, e.entry.patient.as_ref(), |id| {
                            caseload.iter().find(|p| &p.id == id)
                        }) {
                            go = to;
                        }
                        match &e.problem {
                            Some(p) => ui.colored_label(
                                style::DANGER,
                                format!("{} [log broken: {p}]", e.entry.detail),
                            ),
                            None => ui.label(&e.entry.detail),
                        };
                        ui.end_row();
                    }
                });
            });
            return go;
        }
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
            if let Some(to) = patient_cell(ui, e.patient.as_ref(), &patient) {
                go = to;
            }
            ui.label(&e.detail);
            ui.end_row();
        }
    });
    go
}

/// The patient an entry is about: a link to the record when it is on the caseload.
fn patient_cell<'a>(
    ui: &mut egui::Ui,
    id: Option<&PatientId>,
    patient: impl Fn(&PatientId) -> Option<&'a PatientSummary>,
) -> Option<Go> {
    match id.map(|id| (id, patient(id))) {
        Some((_, Some(p))) => ui.link(&p.name).clicked().then_some(Go::Patient(p.id)),
        Some((id, None)) => {
            ui.label(format!("patient {}", &id.to_hex()[..8]));
            None
        }
        None => {
            ui.label("");
            None
        }
    }
}
