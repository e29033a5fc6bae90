//! Editing the record in place: medicines, end of life and ReSPECT, alerts and allergies,
//! tasks. Each form calls one `Workspace` method; the clinical checks (a reason for every
//! dose change, a real date, a non-empty name) are the core's, shown as the core words them.

use super::style;
use hedgerow_core::Workspace;
use hedgerow_core::ids::PatientId;
use hedgerow_core::view::Role;
use hedgerow_core::view::{AlertKind, AllergySeverity, EntrySource, Place, Route};
use hedgerow_core::workspace::{EndOfLifeUpdate, MedicineChange, NewMedicine, PatientView};

type Done = Result<bool, String>;

fn call<T>(
    rt: &tokio::runtime::Runtime,
    f: impl std::future::Future<Output = hedgerow_core::Result<T>>,
) -> Result<T, String> {
    rt.block_on(f).map_err(|e| e.to_string())
}

pub(super) fn text_field(ui: &mut egui::Ui, label: &str, value: &mut String, width: f32) {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).desired_width(width)).labelled_by(l.id);
}

pub(super) fn optional(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn choose<T: Copy + PartialEq>(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut T,
    all: &[T],
    name: impl Fn(T) -> String,
) {
    let l = ui.label(label);
    egui::ComboBox::from_id_salt(label)
        .selected_text(name(*value))
        .show_ui(ui, |ui| {
            for v in all {
                ui.selectable_value(value, *v, name(*v));
            }
        })
        .response
        .labelled_by(l.id);
}

/// What the clinician is typing into the record's forms.
pub struct RecordForms {
    medicine: String,
    dose: String,
    route: Route,
    frequency: String,
    just_in_case: bool,
    /// A dose change being written: the medicine's entry id, new dose, reason.
    change: Option<(String, String, String)>,
    /// A medicine being stopped: its entry id and the reason.
    stop: Option<(String, String)>,
    task: String,
    task_due: String,
    task_role: Role,
    allergy: String,
    reaction: String,
    severity: AllergySeverity,
    alert: String,
    alert_kind: AlertKind,
    cpr: super::cpr::CprForm,
    ceiling: String,
    place_of_death: Option<Place>,
}

impl RecordForms {
    pub fn new(view: &PatientView) -> Self {
        let w = view.watched();
        Self {
            medicine: String::new(),
            dose: String::new(),
            route: Route::Oral,
            frequency: String::new(),
            just_in_case: false,
            change: None,
            stop: None,
            task: String::new(),
            task_due: String::new(),
            task_role: Role::DistrictNurse,
            allergy: String::new(),
            reaction: String::new(),
            severity: AllergySeverity::Unknown,
            alert: String::new(),
            alert_kind: AlertKind::Clinical,
            cpr: Default::default(),
            // Prefilled only with a settled value: a disputed one is shown as disputed above,
            // never offered as the text to keep.
            ceiling: w.ceiling_of_treatment().settled().copied().flatten().unwrap_or_default().to_owned(),
            place_of_death: w.preferred_place_of_death().settled().copied().flatten(),
        }
    }

    /// Change or stop a medicine, each with its reason, and add one.
    pub fn medicines(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        patient: PatientId,
        view: &PatientView,
    ) -> Done {
        let mut done = false;
        // One medicine a line, wrapping: every action stays in reach however long the name.
        for m in view.record.current_medicines() {
            let id = m.id.as_str();
            ui.horizontal_wrapped(|ui| {
                ui.strong(&m.name);
                if m.disputed.is_empty() {
                    ui.label(&m.dosage);
                } else {
                    ui.colored_label(style::DANGER, &m.dosage);
                }
                if m.anticipatory {
                    ui.label("just in case");
                }
                if m.changed_since_your_last_visit {
                    ui.colored_label(
                        style::WARN,
                        format!("CHANGED since your last visit by {}", m.changed_by.name),
                    );
                }
                // Short on screen; named in full for screen readers and tests.
                let named = |r: &egui::Response, what: &str| {
                    let label = format!("{what} {}", m.name);
                    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
                };
                let change = ui.button("Change dose");
                named(&change, "Change dose of");
                if change.clicked() {
                    self.change = Some((id.to_owned(), String::new(), String::new()));
                }
                let stop = ui.button("Stop");
                named(&stop, "Stop");
                if stop.clicked() {
                    self.stop = Some((id.to_owned(), String::new()));
                }
            });
            if let Some(p) = &m.gp_proposal {
                ui.colored_label(style::WARN, format!("FOR REVIEW: {p}; change the dose if it is right"));
            }
            ui.separator();
        }
        if let Some((id, dose, reason)) = &mut self.change {
            ui.horizontal(|ui| -> Result<(), String> {
                text_field(ui, "New dose", dose, 140.0);
                text_field(ui, "Reason for the change", reason, 260.0);
                if ui.button("Save the dose change").clicked() {
                    let change = MedicineChange {
                        dose: Some(dose.clone()),
                        reason: reason.clone(),
                        ..Default::default()
                    };
                    call(rt, ws.change_medicine(patient, id, change))?;
                    done = true;
                }
                Ok(())
            })
            .inner?;
        }
        if let Some((id, reason)) = &mut self.stop {
            ui.horizontal(|ui| -> Result<(), String> {
                text_field(ui, "Reason for stopping", reason, 300.0);
                if ui.button("Stop the medicine").clicked() {
                    call(rt, ws.stop_medicine(patient, id, reason))?;
                    done = true;
                }
                Ok(())
            })
            .inner?;
        }
        if done {
            self.change = None;
            self.stop = None;
        }
        ui.separator();
        ui.strong("Add a medicine");
        ui.horizontal_wrapped(|ui| -> Result<(), String> {
            text_field(ui, "Medicine", &mut self.medicine, 220.0);
            text_field(ui, "Dose", &mut self.dose, 100.0);
            choose(ui, "Route", &mut self.route, Route::ALL, |r| r.label().to_owned());
            text_field(ui, "Frequency", &mut self.frequency, 140.0);
            ui.checkbox(&mut self.just_in_case, "just in case (anticipatory)");
            if ui.button("Add the medicine").clicked() {
                let new = NewMedicine {
                    name: self.medicine.clone(),
                    dmd_code: None,
                    dose: self.dose.clone(),
                    route: self.route,
                    frequency: self.frequency.clone(),
                    anticipatory: self.just_in_case,
                    kept_at: None,
                    reason: None,
                };
                call(rt, ws.add_medicine(patient, new))?;
                self.medicine.clear();
                self.dose.clear();
                self.frequency.clear();
                done = true;
            }
            Ok(())
        })
        .inner?;
        Ok(done)
    }

    /// The CPR recommendation, ceiling of treatment and preferred place of death.
    pub fn end_of_life(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        view: &PatientView,
    ) -> Done {
        let patient = view.summary.id;
        let mut done = self.cpr.ui(ui, rt, ws, view);
        ui.separator();
        ui.horizontal(|ui| -> Result<(), String> {
            text_field(ui, "Ceiling of treatment", &mut self.ceiling, 320.0);
            let places: Vec<Option<Place>> =
                std::iter::once(None).chain(Place::ALL.iter().copied().map(Some)).collect();
            choose(ui, "Preferred place of death", &mut self.place_of_death, &places, |p| {
                p.map(|p| p.label().to_owned()).unwrap_or_else(|| "-".into())
            });
            if ui.button("Save end of life plan").clicked() {
                let update = EndOfLifeUpdate {
                    ceiling_of_treatment: optional(&self.ceiling),
                    preferred_place_of_death: self.place_of_death,
                    ..Default::default()
                };
                call(rt, ws.update_end_of_life(patient, update))?;
                done = true;
            }
            Ok(())
        })
        .inner?;
        Ok(done)
    }

    /// Add an allergy or an alert.
    pub fn safety(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        patient: PatientId,
    ) -> Done {
        let mut done = false;
        ui.horizontal_wrapped(|ui| -> Result<(), String> {
            text_field(ui, "Allergy to", &mut self.allergy, 180.0);
            text_field(ui, "Reaction", &mut self.reaction, 180.0);
            choose(ui, "Severity", &mut self.severity, AllergySeverity::ALL, |s| s.label().to_owned());
            if ui.button("Add the allergy").clicked() {
                call(rt, ws.add_allergy(patient, &self.allergy, optional(&self.reaction), self.severity))?;
                self.allergy.clear();
                self.reaction.clear();
                done = true;
            }
            Ok(())
        })
        .inner?;
        ui.horizontal_wrapped(|ui| -> Result<(), String> {
            text_field(ui, "Alert", &mut self.alert, 300.0);
            choose(ui, "Kind of alert", &mut self.alert_kind, AlertKind::ALL, |k| k.label().to_owned());
            if ui.button("Add the alert").clicked() {
                call(rt, ws.add_alert(patient, self.alert_kind, &self.alert))?;
                self.alert.clear();
                done = true;
            }
            Ok(())
        })
        .inner?;
        Ok(done)
    }

    /// Add a task for someone in the team.
    pub fn new_task(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        patient: PatientId,
    ) -> Done {
        let mut done = false;
        ui.horizontal_wrapped(|ui| -> Result<(), String> {
            text_field(ui, "New task", &mut self.task, 260.0);
            choose(ui, "For", &mut self.task_role, Role::ALL, |r| r.label().to_owned());
            text_field(ui, "Due (YYYY-MM-DD)", &mut self.task_due, 110.0);
            if ui.button("Add the task").clicked() {
                let due = optional(&self.task_due)
                    .map(|d| hedgerow_core::view::parse_date(&d, "the due date"))
                    .transpose()
                    .map_err(|e| e.to_string())?;
                call(rt, ws.add_task(patient, &self.task, self.task_role, due, EntrySource::Clinical))?;
                self.task.clear();
                self.task_due.clear();
                done = true;
            }
            Ok(())
        })
        .inner?;
        Ok(done)
    }
}
