//! The record's "Other teams" tab: the patient's consent to share with each team this team
//! trusts, the teams the record is shared with (and ending a share), the referrals made and
//! their answers, and "Refer..." to one of those teams.

use super::style;
use hedgerow_core::Workspace;
use hedgerow_core::view::ReferralStatus;
use hedgerow_core::workspace::{PatientView, TeamCardView};

#[derive(Default)]
pub struct ReferForm {
    /// The teams this team trusts, read when the tab is first opened.
    teams: Option<Vec<TeamCardView>>,
    team: usize,
    reason: String,
    urgent: bool,
    /// Why the share being ended ends, by team.
    end_reason: String,
}

impl ReferForm {
    /// Returns true once a referral was made (the record then reloads).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        ws: &Workspace,
        view: &PatientView,
        notice: &mut Option<(bool, String)>,
    ) -> bool {
        let r = &view.record;
        ui.strong("Consent to share with other teams");
        if r.consent.with_teams.is_empty() {
            ui.label("Not asked for any team yet.");
        }
        for t in &r.consent.with_teams {
            let text = format!("{}: {}", t.team, t.text);
            match t.agreed {
                Some(true) => ui.label(text),
                Some(false) => ui.colored_label(style::WARN, text),
                None => ui.colored_label(style::DANGER, text),
            };
        }
        ui.separator();
        ui.strong("Shared with");
        if view.shared_with.is_empty() {
            ui.label("Not shared with another team.");
        }
        let mut ended = false;
        for shared in &view.shared_with {
            let since = shared.since.to_datetime().format("%-d %b %Y");
            match &shared.ended {
                Some(how) => {
                    ui.colored_label(style::WARN, format!("{}: shared from {since}; {how}", shared.team));
                }
                None => {
                    ui.horizontal(|ui| {
                        ui.label(format!("{}: since {since}", shared.team));
                        let why = ui.label("Why it ends:");
                        ui.add(egui::TextEdit::singleline(&mut self.end_reason).desired_width(220.0))
                            .labelled_by(why.id);
                        if ui.button(format!("End share with {}", shared.team)).clicked() {
                            let done = rt.block_on(ws.end_share(view.record.id, &shared.team, &self.end_reason));
                            *notice = Some(match done {
                                Ok(()) => {
                                    self.end_reason.clear();
                                    ended = true;
                                    let told = format!(
                                        "The share with {} has ended: it gets nothing more of this record, and is told at the next sync.",
                                        shared.team
                                    );
                                    (false, told)
                                }
                                Err(e) => (true, e.to_string()),
                            });
                        }
                    });
                }
            }
        }
        if ended {
            return true;
        }
        ui.separator();
        ui.strong("Referrals to other teams");
        if r.referrals.is_empty() {
            ui.label("None.");
        }
        for m in &r.referrals {
            let colour = match m.status {
                ReferralStatus::Declined => style::WARN,
                ReferralStatus::Waiting => ui.visuals().text_color(),
                ReferralStatus::Accepted => style::OK,
            };
            ui.colored_label(colour, m.line());
        }
        ui.separator();
        let teams = self.teams.get_or_insert_with(|| rt.block_on(ws.partner_teams()).unwrap_or_default());
        if teams.is_empty() {
            ui.label(
                "Your team trusts no other team yet: an admin trusts its card first (`hedgerow team trust`).",
            );
            return false;
        }
        self.team = self.team.min(teams.len() - 1);
        ui.strong("Refer to another team");
        ui.horizontal(|ui| {
            ui.label("Team:");
            let combo = egui::ComboBox::from_id_salt("refer-team")
                .selected_text(&teams[self.team].name)
                .show_ui(ui, |ui| {
                    for (i, t) in teams.iter().enumerate() {
                        ui.selectable_value(&mut self.team, i, &t.name);
                    }
                });
            combo
                .response
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Team to refer to"));
            ui.checkbox(&mut self.urgent, "Urgent");
        });
        let why = ui.label("Why (the receiving team reads it first):");
        ui.add(egui::TextEdit::multiline(&mut self.reason).desired_rows(2).desired_width(f32::INFINITY))
            .labelled_by(why.id);
        let team = &teams[self.team];
        if !ui.button(format!("Refer to {}", team.name)).clicked() {
            return false;
        }
        match rt.block_on(ws.refer(view.record.id, &team.team_id, &self.reason, self.urgent)) {
            Ok(sent) => {
                let told = format!("Referred to {}: the referral goes with the next sync.", sent.team);
                *notice = Some((false, told));
                self.reason.clear();
                self.urgent = false;
                true
            }
            Err(e) => {
                *notice = Some((true, e.to_string()));
                false
            }
        }
    }
}
