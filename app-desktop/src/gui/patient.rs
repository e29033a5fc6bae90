//! One patient: the banner always on top (name, NHS number, age, alerts, allergies, CPR),
//! then the care plan (edited in place), medicines (changes highlighted), visits, the
//! observations chart, end of life, tasks and the pre-visit briefing.

use super::record_tabs::{self, briefing, end_of_life, history, load_history, safety};
use super::{Go, HedgerowApp, Session, style};
use hedgerow_core::Workspace;
use hedgerow_core::ids::PatientId;
use hedgerow_core::view::AuditEntry;
use hedgerow_core::view::{PlanStatus, TaskStatus};
use hedgerow_core::view::{Watched, alternatives_text};
use hedgerow_core::workspace::{
    Briefing, NewProblem, PatientView, ProblemUpdate, RecordChange, ScoredObservations,
};

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    Plan,
    Medicines,
    Visits,
    Chart,
    EndOfLife,
    Safety,
    OtherTeams,
    Tasks,
    Briefing,
    History,
    Audit,
}

pub struct PatientScreen {
    id: PatientId,
    view: PatientView,
    briefing: Briefing,
    tab: Tab,
    new_problem: String,
    /// The reason given for break-glass access, when the record is not on the caseload.
    break_glass: Option<String>,
    /// This patient's audit entries, newest first, read when the tab is opened.
    audit: Option<Vec<AuditEntry>>,
    /// Every set of observations, oldest first, read when the chart is opened.
    observations: Option<Vec<ScoredObservations>>,
    forms: super::edit::RecordForms,
    /// Every change to the record, and the dose history of each current medicine, read when
    /// the tab is opened.
    history: Option<(Vec<RecordChange>, record_tabs::DoseHistory)>,
    /// This clinician's open (unsigned, not cancelled) visits to this patient.
    open_visits: Vec<hedgerow_core::workspace::OpenVisit>,
    /// The visit essentials being edited.
    editing_essentials: Option<super::essentials_edit::EssentialsForm>,
    refer: super::refer::ReferForm,
}

/// Opens the record: plainly if it is on the caseload, else with the break-glass reason
/// (audited and flagged again each time).
pub(crate) fn open(
    rt: &tokio::runtime::Runtime,
    ws: &Workspace,
    id: PatientId,
    reason: Option<&str>,
) -> Result<PatientView, String> {
    match reason {
        None => rt.block_on(ws.open_patient(id)),
        Some(r) => rt.block_on(ws.open_patient_break_glass(id, r)),
    }
    .map_err(|e| e.to_string())
}

impl PatientScreen {
    pub fn load(app: &HedgerowApp, ws: &Workspace, id: PatientId) -> Result<Self, String> {
        let break_glass = app.break_glass.get(&id).cloned();
        let view = open(&app.runtime, ws, id, break_glass.as_deref())?;
        let briefing = app.call(ws.briefing(id))?;
        let open_visits = app.call(ws.open_visits())?.into_iter().filter(|v| v.patient == id).collect();
        Ok(Self {
            open_visits,
            id,
            forms: super::edit::RecordForms::new(&view),
            view,
            briefing,
            tab: Tab::Plan,
            new_problem: String::new(),
            break_glass,
            audit: None,
            observations: None,
            history: None,
            editing_essentials: None,
            refer: Default::default(),
        })
    }

    fn reload(&mut self, rt: &tokio::runtime::Runtime, ws: &Workspace) -> Result<(), String> {
        self.view = open(rt, ws, self.id, self.break_glass.as_deref())?;
        self.briefing = rt.block_on(ws.briefing(self.id)).map_err(|e| e.to_string())?;
        self.audit = None;
        self.observations = None;
        self.history = None;
        Ok(())
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, session: &mut Session<'_>) -> Go {
        let (rt, ws, notice) = (session.rt, session.ws, &mut *session.notice);
        let mut go = Go::Stay;
        banner(ui, &self.view);
        if let Some(reason) = &self.break_glass {
            let why = match self.view.read_only {
                Some(_) => "a read-only copy kept after its share ended",
                None => "not on your team's caseload",
            };
            ui.colored_label(
                style::DANGER,
                format!("BREAK-GLASS ACCESS: {why}. Reason recorded: \"{reason}\". Everything you do in this record is flagged for review."),
            );
        }
        // Nothing of a read-only copy can be changed: its forms are shown, greyed.
        let editable = self.view.read_only.is_none();
        ui.add_enabled_ui(editable, |ui| {
            ui.horizontal(|ui| {
                // A visit already open is continued, not a second one started beside it.
                for v in &self.open_visits {
                    let label = format!("Continue the visit started {}", v.started_at.display());
                    if ui.button(egui::RichText::new(label).color(style::WARN)).clicked() {
                        go = Go::Visit(self.id, v.visit);
                    }
                }
                if ui.button("Start a visit").clicked() {
                    match rt.block_on(ws.start_visit(self.id)) {
                        Ok(v) => go = Go::Visit(self.id, v),
                        Err(e) => *notice = Some((true, e.to_string())),
                    }
                }
                let edit = if self.editing_essentials.is_some() {
                    "Close the essentials form"
                } else {
                    "Edit visit essentials"
                };
                if ui.button(edit).clicked() {
                    self.editing_essentials = match self.editing_essentials {
                        Some(_) => None,
                        None => Some(super::essentials_edit::EssentialsForm::new(&self.view)),
                    };
                }
                if self.view.summary.open_conflicts > 0 && ui.button("Resolve conflicts").clicked() {
                    go = Go::Conflicts(Some(self.id));
                }
            })
        });
        ui.horizontal(|ui| {
            for (tab, name) in [
                (Tab::Plan, "Care plan"),
                (Tab::Medicines, "Medicines"),
                (Tab::Visits, "Visits"),
                (Tab::Chart, "Observations chart"),
                (Tab::EndOfLife, "End of life"),
                (Tab::Safety, "Alerts and allergies"),
                (Tab::OtherTeams, "Other teams"),
                (Tab::Tasks, "Tasks"),
                (Tab::Briefing, "Briefing"),
                (Tab::History, "History"),
                (Tab::Audit, "Audit trail"),
            ] {
                ui.selectable_value(&mut self.tab, tab, name);
            }
        });
        ui.separator();
        // Above every tab, so the door is never more than a glance away.
        essentials(ui, &self.view, true);
        let mut changed = Ok(false);
        let edited = match &mut self.editing_essentials {
            Some(form) if editable => form.ui(ui, rt, ws, &self.view),
            _ => Ok(false),
        };
        egui::ScrollArea::vertical().id_salt("patient").show(ui, |ui| match self.tab {
            Tab::Plan => changed = ui.add_enabled_ui(editable, |ui| self.plan(ui, rt, ws)).inner,
            Tab::Medicines => {
                changed = ui
                    .add_enabled_ui(editable, |ui| self.forms.medicines(ui, rt, ws, self.id, &self.view))
                    .inner;
            }
            Tab::Visits => {
                for v in &self.view.recent_visits {
                    ui.horizontal(|ui| {
                        if ui.link(v.started_at.display()).clicked() {
                            go = Go::Visit(self.id, v.id);
                        }
                        ui.label(&v.clinician.name);
                        if let Some(n) = &v.news2 {
                            ui.colored_label(style::news2_colour(n.complete_band()), n.label());
                        }
                        ui.label(if v.signed {
                            "signed"
                        } else if v.cancelled {
                            "cancelled"
                        } else {
                            "open, not signed"
                        });
                        ui.label(&v.note_preview);
                    });
                }
            }
            Tab::Chart => {
                if self.observations.is_none() {
                    match rt.block_on(ws.observation_history(self.id)) {
                        Ok(h) => self.observations = Some(h),
                        Err(e) => *notice = Some((true, e.to_string())),
                    }
                }
                super::chart::show(ui, self.observations.as_deref().unwrap_or_default());
            }
            Tab::EndOfLife => {
                end_of_life(ui, &self.view);
                ui.separator();
                changed =
                    ui.add_enabled_ui(editable, |ui| self.forms.end_of_life(ui, rt, ws, &self.view)).inner;
            }
            Tab::Safety => {
                safety(ui, &self.view);
                ui.separator();
                changed = ui.add_enabled_ui(editable, |ui| self.forms.safety(ui, rt, ws, self.id)).inner;
            }
            Tab::OtherTeams => changed = Ok(self.refer.ui(ui, rt, ws, &self.view, notice)),
            Tab::Tasks => {
                changed = ui
                    .add_enabled_ui(editable, |ui| {
                        let done = self.tasks(ui, rt, ws);
                        ui.separator();
                        match done {
                            Ok(false) => self.forms.new_task(ui, rt, ws, self.id),
                            other => other,
                        }
                    })
                    .inner;
            }
            Tab::Briefing => briefing(ui, &self.briefing),
            Tab::History => {
                if self.history.is_none() {
                    match load_history(rt, ws, self.id, &self.view) {
                        Ok(h) => self.history = Some(h),
                        Err(e) => *notice = Some((true, e)),
                    }
                }
                if let Some((changes, doses)) = &self.history {
                    history(ui, changes, doses);
                }
            }
            Tab::Audit => {
                if self.audit.is_none() {
                    match rt.block_on(ws.audit_log(Some(self.id))) {
                        Ok(mut entries) => {
                            entries.reverse();
                            self.audit = Some(entries);
                        }
                        Err(e) => *notice = Some((true, e.to_string())),
                    }
                }
                let entries: Vec<&AuditEntry> = self.audit.iter().flatten().collect();
                ui.label("Who opened, changed, signed or exported this record, newest first.");
                let summary = &self.view.summary;
                super::audit::table(ui, &entries, |_| Some(summary));
            }
        });
        let changed = match (edited, changed) {
            (Err(e), _) | (_, Err(e)) => Err(e),
            (Ok(a), Ok(b)) => Ok(a || b),
        };
        match changed {
            Ok(true) => {
                if let Err(e) = self.reload(rt, ws) {
                    *notice = Some((true, e));
                }
                if self.editing_essentials.is_some() {
                    self.editing_essentials = Some(super::essentials_edit::EssentialsForm::new(&self.view));
                }
            }
            Ok(false) => {}
            Err(e) => *notice = Some((true, e)),
        }
        go
    }

    fn plan(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
    ) -> Result<bool, String> {
        let mut changed = false;
        for p in &self.view.record.care_plan {
            let id = p.id.as_str();
            ui.horizontal(|ui| -> Result<(), String> {
                let title = if p.disputed.is_empty() {
                    ui.strong(&p.title)
                } else {
                    ui.colored_label(style::DANGER, egui::RichText::new(&p.title).strong())
                };
                // A disputed status is settled in Conflicts, never by picking one here.
                match p.status {
                    Some(current) => {
                        let mut status = current;
                        egui::ComboBox::from_id_salt(("status", id))
                            .selected_text(status.label())
                            .show_ui(ui, |ui| {
                                for s in PlanStatus::ALL {
                                    ui.selectable_value(&mut status, *s, s.label());
                                }
                            })
                            .response
                            .labelled_by(title.id);
                        if status != current {
                            let update = ProblemUpdate { status: Some(status), ..Default::default() };
                            rt.block_on(ws.update_problem(self.id, id, update)).map_err(|e| e.to_string())?;
                            changed = true;
                        }
                    }
                    None => {
                        ui.colored_label(style::DANGER, "status DISPUTED: settle it in Conflicts");
                    }
                }
                let owner = p.owner_role.map_or("owner DISPUTED", |r| r.label());
                ui.label(format!("{owner};"));
                if p.review_overdue || p.review.contains("DISPUTED") {
                    ui.colored_label(style::DANGER, &p.review);
                } else {
                    ui.label(&p.review);
                }
                Ok(())
            })
            .inner?;
            for g in &p.goals {
                ui.label(format!("    Goal: {}", g.text));
            }
            for i in &p.interventions {
                ui.label(format!("    {} ({})", i.text, i.frequency.as_deref().unwrap_or("-")));
            }
        }
        ui.horizontal(|ui| -> Result<(), String> {
            let label = ui.label("New problem or need");
            ui.add(egui::TextEdit::singleline(&mut self.new_problem).desired_width(300.0))
                .labelled_by(label.id);
            if ui.button("Add to the plan").clicked() && !self.new_problem.trim().is_empty() {
                let new = NewProblem { title: self.new_problem.trim().to_owned(), ..Default::default() };
                rt.block_on(ws.add_problem(self.id, new)).map_err(|e| e.to_string())?;
                self.new_problem.clear();
                changed = true;
            }
            Ok(())
        })
        .inner?;
        Ok(changed)
    }

    fn tasks(&self, ui: &mut egui::Ui, rt: &tokio::runtime::Runtime, ws: &Workspace) -> Result<bool, String> {
        let mut changed = false;
        for t in self.view.record.open_tasks() {
            let id = t.id.as_str();
            ui.horizontal(|ui| -> Result<(), String> {
                ui.label(format!(
                    "{} for {}, due {}",
                    t.title,
                    t.assignee_role.label(),
                    t.due_date.as_deref().unwrap_or("-")
                ));
                if t.source != hedgerow_core::view::EntrySource::Clinical {
                    ui.colored_label(style::WARN, format!("from {}", t.source.label()));
                }
                if ui.button("Done").clicked() {
                    rt.block_on(ws.set_task_status(self.id, id, TaskStatus::Done))
                        .map_err(|e| e.to_string())?;
                    changed = true;
                }
                Ok(())
            })
            .inner?;
        }
        Ok(changed)
    }
}

/// Name, NHS number, age, alerts, allergies and CPR status: on every patient screen.
/// What a nurse needs at the door (core decides what it says), folded away when `open` is
/// false.
pub fn essentials(ui: &mut egui::Ui, view: &PatientView, open: bool) {
    let today = chrono::Local::now().date_naive();
    egui::CollapsingHeader::new("Visit essentials").default_open(open).show(ui, |ui| {
        egui::Grid::new("essentials").num_columns(2).spacing([12.0, 2.0]).show(ui, |ui| {
            for e in view.visit_essentials(today) {
                ui.label(e.label);
                if e.warn {
                    ui.colored_label(style::WARN, e.value);
                } else {
                    ui.label(e.value);
                }
                ui.end_row();
            }
        });
    });
}

pub fn banner(ui: &mut egui::Ui, view: &PatientView) {
    let s = &view.summary;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading(&s.name);
            ui.monospace(format!("NHS {}", s.nhs_display()));
            let age =
                s.age_on(chrono::Local::now().date_naive()).map(|a| format!("age {a}")).unwrap_or_default();
            ui.label(format!("born {} ({age})", s.date_of_birth));
        });
        if let Some(why) = &view.read_only {
            ui.colored_label(style::WARN, egui::RichText::new(format!("READ-ONLY COPY: {why}")).strong());
        }
        ui.horizontal_wrapped(|ui| {
            match &s.cpr {
                Watched::Settled { value: None } => ui.label(s.cpr_banner()),
                _ => ui.colored_label(style::DANGER, egui::RichText::new(s.cpr_banner()).strong()),
            };
            if s.allergies.is_empty() {
                ui.label("Allergies: none recorded");
            } else {
                ui.colored_label(style::DANGER, format!("ALLERGIES: {}", s.allergies.join("; ")));
            }
            for a in &s.alerts {
                ui.colored_label(style::WARN, format!("ALERT {a}"));
            }
            if s.scale2.is_disputed() {
                ui.colored_label(style::DANGER, "SpO2 Scale 2 DISPUTED: scored on Scale 1 until resolved");
            } else if s.scale2.settled() == Some(&true) {
                ui.label("NEWS2 SpO2 Scale 2");
            }
            if s.open_conflicts > 0 {
                ui.colored_label(
                    style::DANGER,
                    format!("{} OPEN CONFLICT(S): {}", s.open_conflicts, s.conflicts_about.join("; ")),
                );
            }
        });
        if let Watched::Disputed { values, .. } = &s.cpr {
            ui.colored_label(
                style::DANGER,
                format!(
                    "Clinicians disagree about the CPR decision: {}. Neither is the decision: follow local policy for a disputed decision.",
                    alternatives_text(values)
                ),
            );
        }
    });
}
