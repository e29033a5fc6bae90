//! Referrals from other teams: the inbox, the summary the team may read before it takes a
//! patient on (each reading audited), and accepting or declining with a reason.

use super::{Go, HedgerowApp, Session, style};
use hedgerow_core::Workspace;
use hedgerow_core::view::{Referral, ReferralStatus, ReferralSummary};

pub struct ReferralsScreen {
    referrals: Vec<Referral>,
    /// The summary being read, by referral id.
    open: Option<ReferralSummary>,
    decline_reason: String,
}

impl ReferralsScreen {
    pub fn load(app: &HedgerowApp, ws: &Workspace) -> Result<Self, String> {
        // A device in no shared team has no inbox yet: an empty one, with the reason shown.
        let referrals = app.call(ws.referrals()).unwrap_or_default();
        Ok(Self { referrals, open: None, decline_reason: String::new() })
    }

    fn reload(&mut self, session: &Session<'_>) {
        self.referrals = session.rt.block_on(session.ws.referrals()).unwrap_or_default();
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, session: &mut Session<'_>) -> Go {
        let mut go = Go::Stay;
        ui.heading("Referrals from other teams");
        if self.referrals.is_empty() {
            ui.label("No referrals have reached this team. They arrive with a sync with the relay.");
        }
        let mut read = None;
        for r in &self.referrals {
            // One group per referral, so that nothing runs off a laptop's screen.
            ui.group(|ui| {
                ui.horizontal_wrapped(|ui| {
                    if r.urgent && r.status == ReferralStatus::Waiting {
                        ui.colored_label(style::DANGER, "URGENT");
                    } else if r.urgent {
                        ui.label("urgent");
                    }
                    ui.strong(format!("{} ({})", r.name, r.nhs_number));
                    ui.label(r.status.label());
                });
                ui.label(format!(
                    "from {}, by {} ({}), {}",
                    r.from_team,
                    r.referred_by.name,
                    r.referred_by.role.label(),
                    r.referred_at.display()
                ));
                ui.label(format!("\"{}\"", r.reason));
                if let (ReferralStatus::Declined, Some(why)) = (r.status, &r.decline_reason) {
                    ui.label(format!("Declined: {why}"));
                }
                let reading = self.open.as_ref().is_some_and(|s| s.referral.id == r.id);
                if r.status != ReferralStatus::Declined
                    && !reading
                    && ui.button("Read summary").on_hover_text("Recorded in the audit log").clicked()
                {
                    read = Some(r.id.clone());
                }
            });
        }
        if let Some(id) = read {
            match session.rt.block_on(session.ws.referral_summary(&id)) {
                Ok(s) => {
                    self.open = Some(s);
                    self.decline_reason.clear();
                }
                Err(e) => *session.notice = Some((true, e.to_string())),
            }
        }
        let Some(summary) = &self.open else { return go };
        let mut answered = false;
        ui.separator();
        egui::ScrollArea::vertical().id_salt("referral-summary").show(ui, |ui| {
            show_summary(ui, summary);
            let r = &summary.referral;
            if r.status != ReferralStatus::Waiting {
                if r.status == ReferralStatus::Accepted && ui.button("Open the record").clicked() {
                    go = Go::Patient(r.patient);
                }
                return;
            }
            ui.separator();
            ui.horizontal(|ui| {
                if ui.button("Accept: take on to our caseload").clicked() {
                    match session.rt.block_on(session.ws.accept_referral(&r.id)) {
                        Ok(patient) => {
                            *session.notice =
                                Some((false, format!("{} is on your team's caseload.", r.name)));
                            go = Go::Patient(patient);
                        }
                        Err(e) => *session.notice = Some((true, e.to_string())),
                    }
                }
            });
            ui.horizontal(|ui| {
                let why = ui.label("Reason for declining (the referring team is told):");
                ui.text_edit_singleline(&mut self.decline_reason).labelled_by(why.id);
                if ui.button("Decline").clicked() {
                    match session.rt.block_on(session.ws.decline_referral(&r.id, &self.decline_reason)) {
                        Ok(()) => {
                            let told = "Declined: the referring team is told at the next sync.";
                            *session.notice = Some((false, told.into()));
                            answered = true;
                        }
                        Err(e) => *session.notice = Some((true, e.to_string())),
                    }
                }
            });
        });
        if answered {
            self.open = None;
            self.reload(session);
        }
        go
    }
}

/// What the referral says and the record's summary, disputed items in red.
fn show_summary(ui: &mut egui::Ui, s: &ReferralSummary) {
    let r = &s.referral;
    let d = &s.demographics;
    ui.heading(format!("{}  NHS {}  born {}", d.name, r.nhs_number, d.date_of_birth));
    ui.label(format!("Referred by {} of {}: \"{}\"", r.referred_by.name, r.from_team, r.reason));
    let colour = if s.cpr_disputed { style::DANGER } else { style::WARN };
    ui.colored_label(colour, &s.cpr_banner);
    for a in &s.alerts {
        ui.colored_label(style::WARN, format!("Alert ({}): {}", a.kind.label(), a.text));
    }
    if s.allergies.is_empty() {
        ui.label("Allergies: none recorded");
    }
    for a in &s.allergies {
        ui.colored_label(style::DANGER, format!("Allergy: {}", a.line));
    }
    if !s.plan_lines.is_empty() {
        ui.strong("End of life plan");
        for line in &s.plan_lines {
            let colour = if line.starts_with("DISPUTED") { style::DANGER } else { ui.visuals().text_color() };
            ui.colored_label(colour, line);
        }
    }
    ui.strong("Care plan");
    if s.care_plan.is_empty() {
        ui.label("nothing recorded");
    }
    for p in &s.care_plan {
        ui.label(format!("{}{}", p.title, p.detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default()));
    }
    ui.strong("Medicines");
    if s.medicines.is_empty() {
        ui.label("none recorded");
    }
    for m in &s.medicines {
        ui.label(format!("{} {} {}", m.name, m.dose, m.frequency));
    }
}
