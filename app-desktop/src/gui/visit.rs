//! Visit entry: observations with NEWS2 and the escalation advice updating live as values
//! are typed, a wound assessment, the narrative note, signing, and addenda once signed.

use super::{Go, HedgerowApp, Session, style};
use hedgerow_core::Workspace;
use hedgerow_core::clinical::{Consciousness, News2Score, Observations, Spo2Scale, news2};
use hedgerow_core::documents::visit::Exudate;
use hedgerow_core::ids::{PatientId, VisitId};
use hedgerow_core::workspace::{NewWound, PatientView, VisitView};

#[derive(Default)]
struct ObsForm {
    resp: String,
    spo2: String,
    /// No default: air or oxygen not chosen leaves the set incomplete, never "on air".
    oxygen: Option<bool>,
    systolic: String,
    pulse: String,
    consciousness: Option<Consciousness>,
    temp: String,
}

impl ObsForm {
    /// The observations as typed so far, or what is wrong with them.
    fn parse(&self) -> Result<Observations, String> {
        fn num(s: &str, what: &str) -> Result<Option<u16>, String> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.parse().map(Some).map_err(|_| format!("{what} '{s}' is not a whole number"))
        }
        let temp = match self.temp.trim() {
            "" => None,
            t => Some(t.parse::<f64>().map_err(|_| format!("temperature '{t}' is not a number"))?),
        };
        let obs = Observations {
            respiration_rate: num(&self.resp, "respiration rate")?,
            spo2: num(&self.spo2, "SpO2")?,
            on_oxygen: self.oxygen,
            systolic_bp: num(&self.systolic, "systolic BP")?,
            pulse: num(&self.pulse, "pulse")?,
            consciousness: self.consciousness,
            temperature: temp,
        };
        obs.validate().map_err(|e| e.to_string())?;
        Ok(obs)
    }
}

#[derive(Default)]
struct WoundForm {
    site: String,
    length: String,
    width: String,
    exudate: Option<Exudate>,
    infection: bool,
    dressing: String,
}

impl WoundForm {
    fn parse(&self) -> Result<NewWound, String> {
        let cm = |s: &str, what: &str| -> Result<f64, String> {
            s.trim()
                .parse()
                .map_err(|_| format!("the wound's {what} '{}' is not a number of centimetres", s.trim()))
        };
        Ok(NewWound {
            site: self.site.trim().to_owned(),
            length_cm: cm(&self.length, "length")?,
            width_cm: cm(&self.width, "width")?,
            depth_cm: None,
            tissue: None,
            exudate: self.exudate.ok_or("choose the exudate level")?,
            signs_of_infection: self.infection,
            pain_score: None,
            dressing: Some(self.dressing.trim().to_owned()).filter(|d| !d.is_empty()),
        })
    }
}

pub struct VisitScreen {
    patient: PatientId,
    visit: VisitId,
    view: VisitView,
    record: PatientView,
    form: ObsForm,
    wound: WoundForm,
    note: String,
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
        Ok(Self {
            patient,
            visit,
            view,
            record,
            form: ObsForm::default(),
            wound: WoundForm::default(),
            note: String::new(),
            addendum: String::new(),
        })
    }

    fn scale(&self) -> Spo2Scale {
        hedgerow_core::view::scoring_scale(&self.record.record, &self.record.conflicts)
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
        egui::ScrollArea::vertical().id_salt("visit").show(ui, |ui| self.body(ui, rt, ws, notice));
        go
    }

    /// Everything below the banner: long visits scroll.
    fn body(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        notice: &mut Option<(bool, String)>,
    ) {
        let signed = self.view.signature.is_some();
        let mut reload = false;
        for o in &self.view.observations {
            score_line(ui, &o.news2, &o.observations.recorded_at.display());
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
            reload |= self.observations(ui, rt, ws, notice);
            ui.separator();
            reload |= self.wound_form(ui, rt, ws, notice);
            ui.separator();
            let label = ui.label("Note");
            ui.add(egui::TextEdit::multiline(&mut self.note).desired_rows(4).desired_width(f32::INFINITY))
                .labelled_by(label.id);
            if ui.button("Save note").clicked() && !self.note.trim().is_empty() {
                match rt.block_on(ws.add_note(self.visit, &self.note)) {
                    Ok(()) => {
                        self.note.clear();
                        reload = true;
                    }
                    Err(e) => *notice = Some((true, e.to_string())),
                }
            }
        }
        if !self.view.narrative.is_empty() {
            ui.strong("Note so far");
            ui.label(&self.view.narrative);
        }
        ui.separator();
        match &self.view.signature {
            None => {
                if ui.button("Sign this visit").clicked() {
                    match rt.block_on(ws.sign_visit(self.visit)) {
                        Ok(_) => reload = true,
                        Err(e) => *notice = Some((true, e.to_string())),
                    }
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
                    ui.add(egui::TextEdit::singleline(&mut self.addendum).desired_width(400.0))
                        .labelled_by(label.id);
                    if ui.button("Add addendum").clicked() && !self.addendum.trim().is_empty() {
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
    }

    /// The observation form with the live NEWS2; returns true when a set was saved.
    fn observations(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        notice: &mut Option<(bool, String)>,
    ) -> bool {
        ui.strong("Observations");
        egui::Grid::new("obs").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
            for (label, value) in [
                ("Respiration rate /min", &mut self.form.resp),
                ("SpO2 %", &mut self.form.spo2),
                ("Systolic BP mmHg", &mut self.form.systolic),
                ("Pulse /min", &mut self.form.pulse),
                ("Temperature °C", &mut self.form.temp),
            ] {
                let l = ui.label(label);
                ui.add(egui::TextEdit::singleline(value).desired_width(80.0)).labelled_by(l.id);
                ui.end_row();
            }
            ui.label("Air or oxygen");
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.form.oxygen, Some(false), "On air");
                ui.selectable_value(&mut self.form.oxygen, Some(true), "On oxygen");
                if self.form.oxygen.is_none() {
                    ui.colored_label(style::WARN, "not recorded yet");
                }
            });
            ui.end_row();
            ui.label("Consciousness (ACVPU)");
            ui.horizontal(|ui| {
                for (c, name) in [
                    (Consciousness::Alert, "Alert"),
                    (Consciousness::NewConfusion, "New confusion"),
                    (Consciousness::Voice, "Voice"),
                    (Consciousness::Pain, "Pain"),
                    (Consciousness::Unresponsive, "Unresponsive"),
                ] {
                    ui.selectable_value(&mut self.form.consciousness, Some(c), name);
                }
            });
            ui.end_row();
        });
        match self.form.parse() {
            Err(e) => {
                ui.colored_label(style::DANGER, e);
                false
            }
            Ok(obs) => {
                let score = news2::score(&obs, self.scale());
                score_line(ui, &score, "as typed");
                self.respect_reminder(ui, &score);
                if ui.button("Save observations").clicked() {
                    match rt.block_on(ws.record_observations(self.visit, obs)) {
                        Ok(_) => {
                            self.form = ObsForm::default();
                            return true;
                        }
                        Err(e) => *notice = Some((true, e.to_string())),
                    }
                }
                false
            }
        }
    }
}

impl VisitScreen {
    /// A structured wound assessment; returns true when one was saved.
    fn wound_form(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        notice: &mut Option<(bool, String)>,
    ) -> bool {
        ui.strong("Wound assessment");
        let f = &mut self.wound;
        ui.horizontal_wrapped(|ui| {
            for (label, value, width) in [
                ("Wound site", &mut f.site, 200.0),
                ("Length cm", &mut f.length, 60.0),
                ("Width cm", &mut f.width, 60.0),
                ("Dressing", &mut f.dressing, 160.0),
            ] {
                let l = ui.label(label);
                ui.add(egui::TextEdit::singleline(value).desired_width(width)).labelled_by(l.id);
            }
        });
        ui.horizontal(|ui| {
            ui.label("Exudate");
            for e in Exudate::ALL {
                ui.selectable_value(&mut f.exudate, Some(*e), e.as_str());
            }
            ui.checkbox(&mut f.infection, "signs of infection");
        });
        if ui.button("Save wound assessment").clicked() {
            let saved = f
                .parse()
                .and_then(|w| rt.block_on(ws.record_wound(self.visit, w)).map_err(|e| e.to_string()));
            match saved {
                Ok(_) => {
                    self.wound = WoundForm::default();
                    return true;
                }
                Err(e) => *notice = Some((true, e)),
            }
        }
        false
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
        if let Some(advice) = score.advice() {
            ui.label(advice);
        }
    });
}
