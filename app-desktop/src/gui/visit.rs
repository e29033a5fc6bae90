//! Visit entry: observations with NEWS2 and the escalation advice updating live as values
//! are typed, a wound assessment, the narrative note, signing, and addenda once signed.
//! What is typed is kept as a draft in the encrypted store as it is typed (core's
//! `VisitDraft`), so signing, locking, a crash or moving away never loses it.

use super::{Go, HedgerowApp, Session, style};
use hedgerow_core::Workspace;
use hedgerow_core::clinical::{Consciousness, News2Score, Spo2Scale, news2};
use hedgerow_core::ids::{PatientId, VisitId};
use hedgerow_core::view::Exudate;
use hedgerow_core::workspace::{PatientView, VisitDraft, VisitView};

pub struct VisitScreen {
    patient: PatientId,
    visit: VisitId,
    view: VisitView,
    record: PatientView,
    /// The form as typed; `kept` is what the store holds, written whenever they differ.
    draft: VisitDraft,
    kept: VisitDraft,
    /// Sign was pressed: what will be signed is shown, and confirmed.
    confirm_sign: bool,
    /// Cancel was pressed: the reason being typed.
    cancelling: Option<String>,
    addendum: String,
}

impl VisitScreen {
    pub fn load(
        app: &HedgerowApp,
        ws: &Workspace,
        patient: PatientId,
        visit: VisitId,
    ) -> Result<Self, String> {
        let view = app.call(ws.open_visit(visit))?;
        let record = super::patient::open(
            &app.runtime,
            ws,
            patient,
            app.break_glass.get(&patient).map(String::as_str),
        )?;
        let draft = app.call(ws.visit_draft(visit))?.unwrap_or_default();
        Ok(Self {
            patient,
            visit,
            view,
            record,
            kept: draft.clone(),
            draft,
            confirm_sign: false,
            cancelling: None,
            addendum: String::new(),
        })
    }

    fn scale(&self) -> Spo2Scale {
        self.record.record.scoring_scale()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, session: &mut Session<'_>) -> Go {
        let (rt, ws, notice) = (session.rt, session.ws, &mut *session.notice);
        let mut go = Go::Stay;
        super::patient::banner(ui, &self.record);
        ui.horizontal(|ui| {
            if ui.button("Back to the record").clicked() {
                go = Go::Patient(self.patient);
            }
            ui.label(format!("Visit by {}, {}", self.view.clinician.name, self.view.started_at.display()));
        });
        ui.separator();
        egui::ScrollArea::vertical().id_salt("visit").show(ui, |ui| {
            if self.body(ui, rt, ws, notice) {
                go = Go::Patient(self.patient);
            }
            ui.separator();
            super::patient::essentials(ui, &self.record, false);
        });
        // Kept as typed: each change reaches the store before the next frame.
        if self.draft != self.kept && self.view.signature.is_none() && self.view.cancelled.is_none() {
            match rt.block_on(ws.put_visit_draft(self.visit, &self.draft)) {
                Ok(()) => self.kept = self.draft.clone(),
                Err(e) => *notice = Some((true, format!("What you typed could not be kept: {e}"))),
            }
        }
        go
    }

    /// Everything below the banner: long visits scroll. True once the visit is cancelled.
    fn body(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        notice: &mut Option<(bool, String)>,
    ) -> bool {
        let signed = self.view.signature.is_some();
        let mut reload = false;
        if let Some(c) = &self.view.cancelled {
            ui.colored_label(
                style::WARN,
                format!("Cancelled by {} at {}: {}", c.by.name, c.at.display(), c.reason),
            );
            if !c.discarded.is_empty() {
                ui.label(format!("Typed and not saved when it was cancelled:\n{}", c.discarded));
            }
            return false;
        }
        for o in &self.view.observations {
            score_line(ui, &o.news2, &o.recorded_at.display());
            ui.label(&o.values);
        }
        for w in &self.view.wound_assessments {
            ui.label(format!(
                "Wound, {}: {} x {} cm, exudate {}{}{}",
                w.site,
                w.length_cm,
                w.width_cm,
                w.exudate,
                if w.signs_of_infection { ", SIGNS OF INFECTION" } else { "" },
                w.dressing.as_deref().map(|d| format!(", dressed with {d}")).unwrap_or_default()
            ));
        }
        if !signed {
            self.observations(ui);
            ui.separator();
            self.wound_form(ui);
            ui.separator();
            let label = ui.label("Note");
            ui.add(
                egui::TextEdit::multiline(&mut self.draft.note).desired_rows(4).desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            let unsaved = self.draft.unsaved();
            ui.horizontal(|ui| {
                let save = ui.add_enabled(!unsaved.is_empty(), egui::Button::new("Save"));
                if unsaved.is_empty() {
                    ui.label("Everything typed is saved.");
                } else {
                    ui.colored_label(
                        style::WARN,
                        format!(
                            "Not in the record yet (kept on this device as you type): {}",
                            unsaved.join(", ")
                        ),
                    );
                }
                if save.clicked() {
                    reload |= self.save(rt, ws, notice);
                }
            });
        }
        if !self.view.narrative.is_empty() {
            ui.strong(if signed { "Note" } else { "Note so far" });
            ui.label(&self.view.narrative);
        }
        ui.separator();
        match &self.view.signature {
            None => {
                if self.confirm_sign {
                    reload |= self.confirm_signing(ui, rt, ws, notice);
                } else if let Some(reason) = &mut self.cancelling {
                    let mut done = false;
                    let mut keep = false;
                    let visit = self.visit;
                    ui.horizontal(|ui| {
                        let label = ui.label("Why cancel this visit?");
                        ui.add(egui::TextEdit::singleline(reason).desired_width(360.0)).labelled_by(label.id);
                        if ui
                            .add_enabled(!reason.trim().is_empty(), egui::Button::new("Cancel the visit"))
                            .clicked()
                        {
                            match rt.block_on(ws.cancel_visit(visit, reason)) {
                                Ok(()) => {
                                    *notice =
                                        Some((false, "Visit cancelled; it stays in the record.".into()));
                                    done = true;
                                }
                                Err(e) => *notice = Some((true, e.to_string())),
                            }
                        }
                        keep = ui.button("Keep the visit").clicked();
                    });
                    if done {
                        return true;
                    }
                    if keep {
                        self.cancelling = None;
                    }
                } else {
                    ui.horizontal(|ui| {
                        if ui.button("Sign this visit").clicked() {
                            self.confirm_sign = true;
                        }
                        if ui.button("Cancel visit").clicked() {
                            self.cancelling = Some(String::new());
                        }
                    });
                }
            }
            Some(s) => {
                let verified = if self.view.signature_valid == Some(true) {
                    "signature verified"
                } else {
                    "SIGNATURE DOES NOT VERIFY"
                };
                ui.label(format!(
                    "Signed by {} at {} ({verified}).",
                    s.signed_by.name,
                    s.signed_at.display()
                ));
                for a in &self.view.addenda {
                    ui.label(format!(
                        "Addendum by {} at {}: {}",
                        a.written_by.name,
                        a.written_at.display(),
                        a.text
                    ));
                }
                ui.horizontal(|ui| {
                    let label = ui.label("Addendum");
                    let field = ui
                        .add(egui::TextEdit::singleline(&mut self.addendum).desired_width(400.0))
                        .labelled_by(label.id);
                    let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if (ui.button("Add addendum").clicked() || entered) && !self.addendum.trim().is_empty() {
                        match rt.block_on(ws.add_addendum(self.visit, &self.addendum)) {
                            Ok(_) => {
                                self.addendum.clear();
                                reload = true;
                            }
                            Err(e) => *notice = Some((true, e.to_string())),
                        }
                    }
                });
            }
        }
        if reload {
            match rt.block_on(ws.open_visit(self.visit)) {
                Ok(v) => self.view = v,
                Err(e) => *notice = Some((true, e.to_string())),
            }
        }
        false
    }

    /// Saves everything typed, in one go; true when it did.
    fn save(
        &mut self,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        notice: &mut Option<(bool, String)>,
    ) -> bool {
        // The draft in the store is the one saved: make sure it is this one.
        if self.draft != self.kept {
            if let Err(e) = rt.block_on(ws.put_visit_draft(self.visit, &self.draft)) {
                *notice = Some((true, e.to_string()));
                return false;
            }
            self.kept = self.draft.clone();
        }
        match rt.block_on(ws.save_visit_draft(self.visit)) {
            Ok(_) => {
                self.draft = VisitDraft::default();
                self.kept = VisitDraft::default();
                true
            }
            Err(e) => {
                *notice = Some((true, e.to_string()));
                false
            }
        }
    }

    /// What will be signed, in a dialog, with anything typed and not saved saved first;
    /// true when the visit changed.
    fn confirm_signing(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        notice: &mut Option<(bool, String)>,
    ) -> bool {
        let unsaved = self.draft.unsaved();
        let v = &self.view;
        // Counted with what is typed, since that is saved first.
        let typed = |part: &str| usize::from(unsaved.contains(&part));
        let words = v.narrative.split_whitespace().count() + self.draft.note.split_whitespace().count();
        let summary = format!(
            "{} observation set(s), {} wound assessment(s), {} action(s), a note of {words} word(s).",
            v.observations.len() + typed("observations"),
            v.wound_assessments.len() + typed("wound assessment"),
            v.actions.len()
        );
        let (mut sign, mut back) = (false, false);
        egui::Modal::new(egui::Id::unique(("sign", self.visit))).show(ui.ctx(), |ui| {
            ui.strong("You are signing this visit:");
            ui.label(summary);
            if !unsaved.is_empty() {
                let what = unsaved.join(", ");
                ui.colored_label(
                    style::WARN,
                    format!("Typed and not saved yet: {what}. They are saved first, then signed."),
                );
            }
            ui.horizontal(|ui| {
                sign = ui.button(if unsaved.is_empty() { "Sign" } else { "Save and sign" }).clicked();
                back = ui.button("Back to the visit").clicked();
            });
        });
        if back {
            self.confirm_sign = false;
        }
        if !sign {
            return false;
        }
        self.confirm_sign = false;
        if !unsaved.is_empty() && !self.save(rt, ws, notice) {
            return false;
        }
        if let Err(e) = rt.block_on(ws.sign_visit(self.visit)) {
            *notice = Some((true, e.to_string()));
        }
        true
    }

    /// The observation form with the live NEWS2 as typed.
    fn observations(&mut self, ui: &mut egui::Ui) {
        ui.strong("Observations");
        let d = &mut self.draft;
        egui::Grid::new("obs").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
            for (label, value) in [
                ("Respiration rate /min", &mut d.respiration_rate),
                ("SpO2 %", &mut d.spo2),
                ("Systolic BP mmHg", &mut d.systolic_bp),
                ("Pulse /min", &mut d.pulse),
                ("Temperature °C", &mut d.temperature),
            ] {
                let l = ui.label(label);
                ui.add(egui::TextEdit::singleline(value).desired_width(80.0)).labelled_by(l.id);
                ui.end_row();
            }
            ui.label("Air or oxygen");
            ui.horizontal(|ui| {
                super::choice::one_of(ui, &mut d.on_oxygen, &[(false, "On air"), (true, "On oxygen")]);
                if d.on_oxygen.is_none() {
                    ui.colored_label(style::WARN, "not recorded yet");
                }
            });
            ui.end_row();
            ui.label("Consciousness (ACVPU)");
            ui.horizontal(|ui| {
                let options = [
                    (Consciousness::Alert, "Alert"),
                    (Consciousness::NewConfusion, "New confusion"),
                    (Consciousness::Voice, "Voice"),
                    (Consciousness::Pain, "Pain"),
                    (Consciousness::Unresponsive, "Unresponsive"),
                ];
                super::choice::one_of(ui, &mut d.consciousness, &options);
            });
            ui.end_row();
        });
        match self.draft.observations() {
            Err(e) => {
                ui.colored_label(style::DANGER, e.to_string());
            }
            Ok(None) => {}
            Ok(Some(obs)) => {
                let score = news2::score(&obs, self.scale());
                score_line(ui, &score, "as typed");
                self.respect_reminder(ui, &score);
            }
        }
    }
}

impl VisitScreen {
    /// A structured wound assessment, saved with the rest of the visit.
    fn wound_form(&mut self, ui: &mut egui::Ui) {
        ui.strong("Wound assessment");
        let d = &mut self.draft;
        ui.horizontal_wrapped(|ui| {
            for (label, value, width) in [
                ("Wound site", &mut d.wound_site, 200.0),
                ("Length cm", &mut d.wound_length_cm, 60.0),
                ("Width cm", &mut d.wound_width_cm, 60.0),
                ("Dressing", &mut d.wound_dressing, 160.0),
            ] {
                let l = ui.label(label);
                ui.add(egui::TextEdit::singleline(value).desired_width(width)).labelled_by(l.id);
            }
        });
        ui.horizontal(|ui| {
            ui.label("Exudate");
            let options: Vec<(Exudate, &str)> = Exudate::ALL.iter().map(|e| (*e, e.label())).collect();
            super::choice::one_of(ui, &mut d.wound_exudate, &options);
            ui.checkbox(&mut d.wound_infection, "signs of infection");
        });
        if let Err(e) = self.draft.wound() {
            ui.colored_label(style::DANGER, e.to_string());
        }
    }

    /// Escalation for a patient with a ReSPECT plan follows the plan: shown beside the
    /// advice, or, while it is disputed, every recommendation and what to do (core decides).
    fn respect_reminder(&self, ui: &mut egui::Ui, score: &News2Score) {
        if let Some(text) = hedgerow_core::view::respect_reminder(&self.record.watched(), score) {
            ui.colored_label(style::DANGER, egui::RichText::new(text).strong());
        }
    }
}

/// The score, its band colour and what to do, in one line a clinician can act on.
fn score_line(ui: &mut egui::Ui, score: &News2Score, when: &str) {
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{when}:"));
        ui.colored_label(
            style::news2_colour(score.complete_band()),
            egui::RichText::new(score.headline()).strong(),
        );
        if let Some(advice) = score.advice_line() {
            ui.label(advice);
        }
    });
}
