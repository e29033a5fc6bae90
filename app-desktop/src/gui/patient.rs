//! One patient: the banner always on top (name, NHS number, age, alerts, allergies, CPR),
//! then the care plan (edited in place), medicines (changes highlighted), visits, the
//! observations chart, end of life, tasks and the pre-visit briefing.

use super::{Go, HedgerowApp, Session, style};
use hedgerow_core::Workspace;
use hedgerow_core::documents::patient::{Place, PlanStatus, TaskStatus};
use hedgerow_core::history::FieldChange;
use hedgerow_core::ids::PatientId;
use hedgerow_core::store::AuditEntry;
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
    history: Option<(Vec<RecordChange>, DoseHistory)>,
    /// This clinician's open (unsigned, not cancelled) visits to this patient.
    open_visits: Vec<hedgerow_core::workspace::OpenVisit>,
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
            ui.colored_label(
                style::DANGER,
                format!("BREAK-GLASS ACCESS: not on your team's caseload. Reason recorded: \"{reason}\". Everything you do in this record is flagged for review."),
            );
        }
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
            if self.view.summary.open_conflicts > 0 && ui.button("Resolve conflicts").clicked() {
                go = Go::Conflicts(Some(self.id));
            }
        });
        ui.horizontal(|ui| {
            for (tab, name) in [
                (Tab::Plan, "Care plan"),
                (Tab::Medicines, "Medicines"),
                (Tab::Visits, "Visits"),
                (Tab::Chart, "Observations chart"),
                (Tab::EndOfLife, "End of life"),
                (Tab::Safety, "Alerts and allergies"),
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
        egui::ScrollArea::vertical().id_salt("patient").show(ui, |ui| match self.tab {
            Tab::Plan => changed = self.plan(ui, rt, ws),
            Tab::Medicines => {
                let since: Vec<&str> = match self.briefing.my_last_visit {
                    Some(_) => self.briefing.medicines_changed.iter().map(|(id, _)| id.as_str()).collect(),
                    None => Vec::new(),
                };
                changed = self.forms.medicines(ui, rt, ws, self.id, &self.view, &since);
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
                changed = self.forms.end_of_life(ui, rt, ws, &self.view);
            }
            Tab::Safety => {
                safety(ui, &self.view);
                ui.separator();
                changed = self.forms.safety(ui, rt, ws, self.id);
            }
            Tab::Tasks => {
                changed = self.tasks(ui, rt, ws);
                ui.separator();
                if matches!(changed, Ok(false)) {
                    changed = self.forms.new_task(ui, rt, ws, self.id);
                }
            }
            Tab::Briefing => briefing(ui, &self.briefing, &self.view),
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
        match changed {
            Ok(true) => {
                if let Err(e) = self.reload(rt, ws) {
                    *notice = Some((true, e));
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
        for (id, p) in &self.view.record.care_plan {
            ui.horizontal(|ui| -> Result<(), String> {
                let title = ui.strong(&p.title);
                let mut status = p.status;
                egui::ComboBox::from_id_salt(("status", id))
                    .selected_text(status.as_str())
                    .show_ui(ui, |ui| {
                        for s in PlanStatus::ALL {
                            ui.selectable_value(&mut status, *s, s.as_str());
                        }
                    })
                    .response
                    .labelled_by(title.id);
                if status != p.status {
                    let update = ProblemUpdate { status: Some(status), ..Default::default() };
                    rt.block_on(ws.update_problem(self.id, id, update)).map_err(|e| e.to_string())?;
                    changed = true;
                }
                ui.label(format!(
                    "{}; review {}",
                    p.owner_role.label(),
                    p.review_date.as_deref().unwrap_or("-")
                ));
                Ok(())
            })
            .inner?;
            for g in p.goals.values() {
                ui.label(format!("    Goal: {}", g.text));
            }
            for i in p.interventions.values() {
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
        for (id, t) in self.view.record.tasks.iter().filter(|(_, t)| t.status == TaskStatus::Open) {
            ui.horizontal(|ui| -> Result<(), String> {
                ui.label(format!(
                    "{} for {}, due {}",
                    t.title,
                    t.assignee_role.label(),
                    t.due_date.as_deref().unwrap_or("-")
                ));
                if t.source.as_str() != "clinical" {
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
            for e in hedgerow_core::view::visit_essentials(&view.record, today) {
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

/// A watched value on one line: the value, or every disputed value in red.
fn watched_label<T>(ui: &mut egui::Ui, w: &Watched<T>, show: impl FnOnce(&T) -> String) {
    match w {
        Watched::Settled { value } => ui.label(show(value)),
        Watched::Disputed { values, .. } => {
            ui.colored_label(style::DANGER, format!("DISPUTED: {}", alternatives_text(values)))
        }
    };
}

fn end_of_life(ui: &mut egui::Ui, view: &PatientView) {
    let e = &view.record.end_of_life;
    if !view.record.end_of_life_care() {
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
fn clinician(c: &hedgerow_core::documents::ClinicianRef) -> String {
    match &c.registration {
        Some(r) => format!("{} ({}, registration {r})", c.name, c.role.label()),
        None => format!("{} ({})", c.name, c.role.label()),
    }
}

type DoseHistory = Vec<(String, Vec<FieldChange>)>;

fn load_history(
    rt: &tokio::runtime::Runtime,
    ws: &Workspace,
    id: PatientId,
    view: &PatientView,
) -> Result<(Vec<RecordChange>, DoseHistory), String> {
    let changes = rt.block_on(ws.record_history(id)).map_err(|e| e.to_string())?;
    let mut doses = Vec::new();
    for (med, m) in view.record.medicines.iter().filter(|(_, m)| m.stop_date.is_none()) {
        let field = format!("medicines/{med}/dose");
        doses.push((m.name.clone(), rt.block_on(ws.field_history(id, &field)).map_err(|e| e.to_string())?));
    }
    Ok((changes, doses))
}

/// Who changed what, and when; then how each current medicine's dose got to where it is.
fn history(ui: &mut egui::Ui, changes: &[RecordChange], doses: &[(String, Vec<FieldChange>)]) {
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

fn safety(ui: &mut egui::Ui, view: &PatientView) {
    let r = &view.record;
    ui.strong("Allergies");
    if r.allergies.is_empty() {
        ui.label("None recorded.");
    }
    let w = view.watched();
    for (id, a) in &r.allergies {
        let line = w.allergy(id, a).line();
        ui.colored_label(
            style::DANGER,
            format!("{line} (recorded by {}, {})", a.recorded_by.name, a.recorded_at.display()),
        );
    }
    ui.strong("Alerts");
    if !r.alerts.values().any(|a| a.active) {
        ui.label("None active.");
    }
    for a in r.alerts.values().filter(|a| a.active) {
        ui.colored_label(
            style::WARN,
            format!("{}: {} ({}, {})", a.kind.label(), a.text, a.added_by.name, a.added_at.display()),
        );
    }
}

fn briefing(ui: &mut egui::Ui, b: &Briefing, view: &PatientView) {
    let w = view.watched();
    match b.my_last_visit {
        Some(t) => ui.label(format!("Since your last visit on {}:", t.display())),
        None => ui.label("You have not visited before: everything here is new to you."),
    };
    for c in &b.conflicts {
        ui.colored_label(style::DANGER, format!("Conflict: {}", c.label));
    }
    for (id, m) in &b.medicines_changed {
        let dosage = w.medicine(id, m).dosage();
        ui.colored_label(
            style::WARN,
            format!("{} now {dosage} ({}, {})", m.name, m.changed_by.name, m.changed_at.display()),
        );
    }
    for v in &b.visits_by_others {
        ui.label(format!("{} {}: {}", v.started_at.display(), v.clinician.name, v.note_preview));
    }
    let trend: Vec<String> = b
        .news2_trend
        .iter()
        .map(|n| if n.partial { format!("at least {} (incomplete)", n.total) } else { n.total.to_string() })
        .collect();
    if !trend.is_empty() {
        ui.label(format!("NEWS2 trend: {}", trend.join(" > ")));
    }
}
