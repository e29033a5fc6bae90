//! Today: who needs attention (conflicts, high NEWS2), tasks due, and the caseload with
//! search as you type (name, or the start of an NHS number).

use super::{Go, HedgerowApp, Session, style};
use hedgerow_core::Workspace;
use hedgerow_core::view::{Today, Watched};

pub struct TodayScreen {
    /// The day as the core triaged it.
    day: Today,
    search: String,
    shown: Vec<usize>,
    /// A record held on this device but not on the caseload, being opened by break-glass.
    break_glass: Option<BreakGlass>,
    /// The search box has been given the focus once.
    focused: bool,
}

struct BreakGlass {
    patient: hedgerow_core::ids::PatientId,
    nhs_number: String,
    reason: String,
    /// Why the record is a read-only copy, if it is one (a share that ended).
    read_only: Option<String>,
}

impl TodayScreen {
    pub fn load(app: &HedgerowApp, ws: &Workspace) -> Result<Self, String> {
        let day = app.call(ws.today(chrono::Local::now().date_naive()))?;
        let shown = (0..day.caseload.len()).collect();
        Ok(Self { day, search: String::new(), shown, break_glass: None, focused: false })
    }

    fn filter(&mut self) {
        let search = hedgerow_core::workspace::CaseloadSearch::new(&self.search);
        self.shown =
            (0..self.day.caseload.len()).filter(|&i| search.matches(&self.day.caseload[i])).collect();
    }

    fn name_of(&self, id: &hedgerow_core::ids::PatientId) -> &str {
        self.day.caseload.iter().find(|p| &p.id == id).map(|p| p.name.as_str()).unwrap_or("")
    }

    /// A full NHS number that matches no one on the caseload may belong to a record this
    /// device holds for someone else: offer break-glass, never a silent search of them.
    fn off_caseload(&mut self, ui: &mut egui::Ui, session: &mut Session<'_>) {
        let Ok(nhs) = self.search.parse::<hedgerow_core::clinical::NhsNumber>() else { return };
        if !self.shown.is_empty() {
            return;
        }
        ui.horizontal(|ui| {
            ui.colored_label(style::WARN, format!("No one on your team's caseload has NHS number {nhs}."));
            if ui.button("Look for this record on this device (break-glass)").clicked() {
                match session.rt.block_on(session.ws.find_patient(&nhs)) {
                    Ok(patient) => {
                        let read_only =
                            session.rt.block_on(session.ws.read_only_copy(patient)).ok().flatten();
                        let nhs_number = nhs.to_string();
                        self.break_glass =
                            Some(BreakGlass { patient, nhs_number, reason: String::new(), read_only })
                    }
                    Err(e) => *session.notice = Some((true, e.to_string())),
                }
            }
        });
    }

    fn break_glass_dialog(&mut self, ui: &mut egui::Ui) -> Go {
        let Some(dialog) = &mut self.break_glass else { return Go::Stay };
        let mut go = Go::Stay;
        let mut close = false;
        egui::Modal::new(egui::Id::unique("break-glass")).show(ui.ctx(), |ui| {
            ui.set_width(520.0);
            ui.heading("Break-glass access");
            let held = match &dialog.read_only {
                Some(why) => format!("A read-only copy of the record for NHS number {} is held on this device: {why}.", dialog.nhs_number),
                None => format!(
                    "A record for NHS number {} is held on this device, but the patient is not on your team's caseload.",
                    dialog.nhs_number
                ),
            };
            ui.label(format!(
                "{held} You may open it only with a reason, which is recorded in the audit log and flagged for review by your information governance lead."
            ));
            let label = ui.label("Reason for access");
            ui.add(egui::TextEdit::multiline(&mut dialog.reason).desired_rows(2).desired_width(500.0))
                .labelled_by(label.id);
            ui.horizontal(|ui| {
                let ready = !dialog.reason.trim().is_empty();
                if ui.add_enabled(ready, egui::Button::new("Open the record (break-glass)")).clicked() {
                    go = Go::BreakGlass(dialog.patient, dialog.reason.trim().to_owned());
                    close = true;
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
        });
        if close {
            self.break_glass = None;
        }
        go
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, session: &mut Session<'_>) -> Go {
        let mut go = self.break_glass_dialog(ui);
        ui.horizontal(|ui| {
            let label = ui.label("Find a patient");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.search)
                        .hint_text("name or NHS number")
                        .desired_width(280.0),
                )
                .labelled_by(label.id);
            // Ready to type on arrival; Enter opens the one patient the search leaves.
            if !self.focused {
                r.request_focus();
                self.focused = true;
            }
            if r.changed() {
                self.filter();
            }
            if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) && self.shown.len() == 1 {
                go = Go::Patient(self.day.caseload[self.shown[0]].id);
            }
            ui.label(format!("{} of {} patients", self.shown.len(), self.day.caseload.len()));
        });
        self.off_caseload(ui, session);
        ui.separator();
        ui.columns(2, |cols| {
            let ui = &mut cols[0];
            // Unsigned work first: a visit left open is a note nobody can rely on yet.
            if !self.day.unsigned_visits.is_empty() {
                ui.colored_label(style::WARN, egui::RichText::new("Your visits not signed").strong());
                for v in &self.day.unsigned_visits {
                    ui.horizontal(|ui| {
                        if ui.link(self.name_of(&v.patient)).clicked() {
                            go = Go::Visit(v.patient, v.visit);
                        }
                        ui.label(format!("started {}", v.started_at.display()));
                        if v.unsaved {
                            ui.colored_label(style::WARN, "typed, not saved");
                        }
                    });
                }
                ui.add_space(6.0);
            }
            ui.strong("Needs attention");
            let flagged = &self.day.needs_attention;
            if flagged.is_empty() {
                ui.label("No open conflicts or raised NEWS2 scores.");
            }
            let row_height = ui.text_style_height(&egui::TextStyle::Body) + 8.0;
            // Only the rows in view are laid out: a big caseload can flag hundreds.
            egui::ScrollArea::vertical().id_salt("attention").max_height(200.0).show_rows(
                ui,
                row_height,
                flagged.len(),
                |ui, rows| {
                    for p in &flagged[rows] {
                        ui.horizontal(|ui| {
                            if ui.link(&p.name).clicked() {
                                go = Go::Patient(p.id);
                            }
                            if p.open_conflicts > 0 {
                                ui.colored_label(
                                    style::DANGER,
                                    format!("conflict: {}", p.conflicts_about.join("; ")),
                                );
                            }
                            // When it was taken: a fortnight-old 10 is not today's 10.
                            if let Some(n) = &p.latest_news2 {
                                ui.colored_label(style::news2_colour(n.complete_band()), n.label());
                                ui.label(format!("at {}", n.recorded_at.display()));
                            }
                        });
                    }
                },
            );
            let ui = &mut cols[1];
            ui.strong(format!("Tasks due by {}", self.day.date));
            if self.day.tasks_due.is_empty() {
                ui.label("No tasks due.");
            }
            let row_height = ui.text_style_height(&egui::TextStyle::Body) + 8.0;
            egui::ScrollArea::vertical().id_salt("due").max_height(120.0).show_rows(
                ui,
                row_height,
                self.day.tasks_due.len(),
                |ui, rows| {
                    for due in &self.day.tasks_due[rows] {
                        let t = &due.task;
                        ui.horizontal(|ui| {
                            if due.overdue {
                                ui.colored_label(style::DANGER, due.when());
                            } else {
                                ui.label(due.when());
                            }
                            if ui.link(&due.patient_name).clicked() {
                                go = Go::Patient(t.patient_id);
                            }
                            ui.add(
                                egui::Label::new(format!("{} ({})", t.title, t.assignee_role.label()))
                                    .truncate(),
                            );
                        });
                    }
                },
            );
            ui.add_space(6.0);
            ui.strong("Reviews due");
            if self.day.reviews_due.is_empty() {
                ui.label("No care plan or ReSPECT reviews due.");
            }
            let row_height = ui.text_style_height(&egui::TextStyle::Body) + 8.0;
            egui::ScrollArea::vertical().id_salt("reviews").max_height(96.0).show_rows(
                ui,
                row_height,
                self.day.reviews_due.len(),
                |ui, rows| {
                    for r in &self.day.reviews_due[rows] {
                        ui.horizontal(|ui| {
                            let colour = if r.days_overdue == 0 { style::WARN } else { style::DANGER };
                            ui.colored_label(colour, r.when());
                            if ui.link(&r.patient_name).clicked() {
                                go = Go::Patient(r.patient);
                            }
                            ui.add(egui::Label::new(&r.what).truncate());
                        });
                    }
                },
            );
        });
        ui.separator();
        ui.columns(2, |cols| {
            let ui = &mut cols[0];
            ui.strong("Caseload");
            let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
            egui::ScrollArea::vertical().id_salt("caseload").show_rows(
                ui,
                row_height,
                self.shown.len(),
                |ui, rows| {
                    egui::Grid::new("caseload-grid").striped(true).num_columns(5).show(ui, |ui| {
                        for i in rows {
                            let p = &self.day.caseload[self.shown[i]];
                            ui.monospace(p.nhs_display());
                            if ui.link(&p.name).clicked() {
                                go = Go::Patient(p.id);
                            }
                            ui.label(p.age_on(self.day.date).map(|a| format!("{a}")).unwrap_or_default());
                            match &p.latest_news2 {
                                Some(n) => {
                                    ui.colored_label(style::news2_colour(n.complete_band()), n.label())
                                }
                                None => ui.label(""),
                            };
                            match &p.cpr {
                                Watched::Settled { value: None } => ui.label(""),
                                _ => ui.colored_label(style::DANGER, p.cpr_banner()),
                            };
                            ui.end_row();
                        }
                    });
                },
            );
            let ui = &mut cols[1];
            ui.strong("Visits today");
            if self.day.visited_today.is_empty() {
                ui.label("No visits recorded today yet.");
            }
            egui::ScrollArea::vertical().id_salt("visited").max_height(f32::INFINITY).show_rows(
                ui,
                ui.text_style_height(&egui::TextStyle::Body) + 8.0,
                self.day.visited_today.len(),
                |ui, rows| {
                    for p in &self.day.visited_today[rows] {
                        ui.horizontal(|ui| {
                            if let Some(t) = p.last_visit {
                                ui.label(
                                    t.to_datetime().with_timezone(&chrono::Local).format("%H:%M").to_string(),
                                );
                            }
                            if ui.link(&p.name).clicked() {
                                go = Go::Patient(p.id);
                            }
                        });
                    }
                },
            );
        });
        go
    }
}
