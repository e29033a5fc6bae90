//! Recording a CPR decision (ReSPECT), where a slip is dangerous: the two recommendations
//! are one to a line in different colours, nothing is chosen until the clinician chooses,
//! and the decision is confirmed in a dialog that names the patient, says what it replaces
//! and asks for the clinical reason, which the audit log and the history keep.

use super::style;
use hedgerow_core::Workspace;
use hedgerow_core::view::CprRecommendation;
use hedgerow_core::workspace::PatientView;

/// Calm blue for "attempt CPR": never the red of "do not attempt", never the green of "fine".
const ATTEMPT: egui::Color32 = egui::Color32::from_rgb(20, 70, 150);

#[derive(Default)]
pub struct CprForm {
    choice: Option<CprRecommendation>,
    discussed_with: String,
    /// The dialog is open: the reason as typed, and what went wrong on the last try.
    confirming: Option<Confirming>,
}

#[derive(Default)]
struct Confirming {
    reason: String,
    error: Option<String>,
}

fn colour(rec: CprRecommendation) -> egui::Color32 {
    match rec {
        CprRecommendation::DoNotAttemptCpr => style::DANGER,
        CprRecommendation::AttemptCpr => ATTEMPT,
    }
}

/// "Do not attempt CPR (DNACPR)": the vocabulary's words, capitalised for a heading.
fn title(rec: CprRecommendation) -> String {
    let label = rec.label();
    let mut chars = label.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

impl CprForm {
    /// Returns true once a decision has been recorded.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        view: &PatientView,
    ) -> bool {
        ui.strong("Record a CPR decision (ReSPECT)");
        for rec in [CprRecommendation::AttemptCpr, CprRecommendation::DoNotAttemptCpr] {
            ui.radio_value(&mut self.choice, Some(rec), egui::RichText::new(title(rec)).color(colour(rec)));
        }
        ui.horizontal(|ui| {
            let l = ui.label("Discussed with");
            ui.add(egui::TextEdit::singleline(&mut self.discussed_with).desired_width(260.0))
                .labelled_by(l.id);
        });
        if ui.add_enabled(self.choice.is_some(), egui::Button::new("Record the CPR decision")).clicked() {
            self.confirming = Some(Confirming::default());
        }
        let Some(rec) = self.choice else { return false };
        self.confirm(ui, rt, ws, view, rec)
    }

    fn confirm(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        view: &PatientView,
        rec: CprRecommendation,
    ) -> bool {
        let Some(confirming) = &mut self.confirming else { return false };
        let (mut record, mut back) = (false, false);
        let s = &view.summary;
        egui::Modal::new(egui::Id::unique("confirm-cpr")).show(ui.ctx(), |ui| {
            ui.set_width(540.0);
            ui.heading("Confirm the CPR decision");
            ui.label(format!("For {}, NHS {}, born {}", s.name, s.nhs_display(), s.date_of_birth));
            ui.label(egui::RichText::new(title(rec)).color(colour(rec)).strong().size(22.0));
            ui.label(format!("This replaces: {}", s.cpr_banner()));
            let discussed = self.discussed_with.trim();
            ui.label(if discussed.is_empty() {
                "Discussed with: not recorded".to_owned()
            } else {
                format!("Discussed with: {discussed}")
            });
            let l = ui.label("Clinical reason for the decision (kept in the audit log)");
            ui.add(egui::TextEdit::multiline(&mut confirming.reason).desired_rows(2).desired_width(520.0))
                .labelled_by(l.id);
            if let Some(e) = &confirming.error {
                ui.colored_label(style::DANGER, e);
            }
            ui.horizontal(|ui| {
                let ready = !confirming.reason.trim().is_empty();
                let confirm = egui::Button::new(format!("Confirm: {}", rec.label()));
                if ui.add_enabled(ready, confirm).clicked() {
                    record = true;
                }
                if ui.button("Go back").clicked() {
                    back = true;
                }
            });
        });
        if back {
            self.confirming = None;
            return false;
        }
        if !record {
            return false;
        }
        let discussed_with = Some(self.discussed_with.trim().to_owned()).filter(|d| !d.is_empty());
        match rt.block_on(ws.set_cpr(view.summary.id, rec, discussed_with, &confirming.reason)) {
            Ok(()) => {
                *self = Self::default();
                true
            }
            Err(e) => {
                confirming.error = Some(e.to_string());
                false
            }
        }
    }
}
