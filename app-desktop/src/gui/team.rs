//! The team and its devices, without a terminal: make this workspace a shared team, invite a
//! device (the code and a QR code on screen), the device list with revoke for admins, and
//! what exists only on this device until it syncs. Joining with a code is on the lock screen,
//! where a new device starts.

use super::{Go, Session, style};
use hedgerow_core::Workspace;
use hedgerow_core::workspace::{DeviceListing, Invitation, OnlyOnThisDevice};

/// How long an invite stays good: long enough to hand over at the next team meeting.
const INVITE_VALID_HOURS: i64 = 24;

pub struct TeamScreen {
    shared: bool,
    devices: Vec<DeviceListing>,
    only_here: OnlyOnThisDevice,
    team_name: String,
    invite_admin: bool,
    invitation: Option<(Invitation, qrcode::QrCode)>,
    /// The device being revoked, the reason as typed, and what went wrong on the last try.
    revoking: Option<(DeviceListing, String, Option<String>)>,
}

impl TeamScreen {
    pub fn load(rt: &tokio::runtime::Runtime, ws: &Workspace) -> Result<Self, String> {
        let call = |e: hedgerow_core::Error| e.to_string();
        Ok(Self {
            shared: rt.block_on(ws.in_shared_team()).map_err(call)?,
            devices: rt.block_on(ws.devices()).map_err(call)?,
            only_here: rt.block_on(ws.only_on_this_device()).map_err(call)?,
            team_name: String::new(),
            invite_admin: false,
            invitation: None,
            revoking: None,
        })
    }

    fn reload(&mut self, session: &mut Session<'_>) {
        match Self::load(session.rt, session.ws) {
            Ok(fresh) => {
                let invitation = self.invitation.take();
                *self = Self { invitation, ..fresh };
            }
            Err(e) => *session.notice = Some((true, e)),
        }
    }

    fn admin(&self) -> bool {
        self.devices.iter().any(|d| d.this_device && d.admin && d.revoked.is_none())
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, session: &mut Session<'_>) -> Go {
        let mut go = Go::Stay;
        ui.heading("Team and devices");
        ui.horizontal(|ui| {
            only_here(ui, &self.only_here);
            if self.shared && ui.button("Sync now").clicked() {
                go = Go::Sync;
            }
        });
        ui.separator();
        egui::ScrollArea::vertical().id_salt("team").show(ui, |ui| {
            if !self.shared {
                self.create(ui, session);
                return;
            }
            if self.admin() {
                self.invite(ui, session);
                ui.separator();
            }
            self.device_list(ui);
        });
        self.revoke(ui, session);
        go
    }

    fn create(&mut self, ui: &mut egui::Ui, session: &mut Session<'_>) {
        ui.strong("Make this a shared team");
        ui.label("This workspace is on this device only. A shared team syncs through the relay and directly between its devices; you become its first admin and can then invite the team's other devices.");
        ui.horizontal(|ui| {
            let l = ui.label("Team name");
            ui.add(egui::TextEdit::singleline(&mut self.team_name).desired_width(320.0)).labelled_by(l.id);
            let ready = !self.team_name.trim().is_empty();
            if ui.add_enabled(ready, egui::Button::new("Create the shared team")).clicked() {
                match session.rt.block_on(session.ws.create_team(&self.team_name)) {
                    Ok(team) => {
                        *session.notice = Some((
                            false,
                            format!("Team {} created. Sync with the relay to publish it, then invite the team's devices.", team.name),
                        ));
                        self.reload(session);
                    }
                    Err(e) => *session.notice = Some((true, e.to_string())),
                }
            }
        });
    }

    fn invite(&mut self, ui: &mut egui::Ui, session: &mut Session<'_>) {
        ui.strong("Add a device to the team");
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.invite_admin, "The new device may administer the team");
            if ui.button("Invite a device").clicked() {
                let valid_for = chrono::Duration::hours(INVITE_VALID_HOURS);
                let invited = session.rt.block_on(session.ws.invite_device(self.invite_admin, valid_for));
                match invited.map_err(|e| e.to_string()).and_then(|inv| {
                    let qr = qrcode::QrCode::new(inv.code.as_bytes()).map_err(|e| e.to_string())?;
                    Ok((inv, qr))
                }) {
                    Ok(invitation) => {
                        self.invitation = Some(invitation);
                        self.reload(session);
                    }
                    Err(e) => *session.notice = Some((true, e)),
                }
            }
        });
        let Some((inv, qr)) = &self.invitation else { return };
        ui.horizontal(|ui| {
            qr_code(ui, qr, &inv.code);
            ui.vertical(|ui| {
                ui.label("Invite code (one use):");
                let code = egui::RichText::new(grouped(&inv.code)).monospace().size(20.0);
                ui.add(egui::Label::new(code).selectable(true));
                ui.label(format!(
                    "Good until {}{}.",
                    inv.expires_at.display(),
                    if inv.admin { ", as an admin" } else { "" }
                ));
                ui.label("On the new device, open Hedgerow, choose \"Join a team with an invite code\", and type this code and the relay's address (or scan the QR code).");
                ui.colored_label(style::WARN, "The invite reaches the relay at this device's next sync: sync now.");
            });
        });
    }

    fn device_list(&mut self, ui: &mut egui::Ui) {
        ui.strong("The team's devices");
        let admin = self.admin();
        egui::Grid::new("devices").striped(true).num_columns(6).show(ui, |ui| {
            for h in ["Clinician", "Device", "Enrolled", "Admin", "Status", ""] {
                ui.strong(h);
            }
            ui.end_row();
            for d in &self.devices {
                ui.label(&d.clinician);
                ui.label(&d.label);
                ui.label(match &d.enrolled_by {
                    Some(by) => format!("{} by {by}", d.enrolled_at.display()),
                    None => d.enrolled_at.display(),
                });
                ui.label(if d.admin { "admin" } else { "" });
                match (&d.revoked, d.unknown_to_team) {
                    (Some(r), _) => {
                        ui.colored_label(
                            style::NEUTRAL,
                            format!(
                                "revoked {} by {}: {}",
                                r.revoked_at.display(),
                                r.revoked_by.name,
                                r.reason
                            ),
                        );
                    }
                    (None, true) => {
                        ui.colored_label(
                            style::DANGER,
                            "NOT IN THE TEAM DOCUMENT: revoke unless someone knows it",
                        );
                    }
                    (None, false) if d.this_device => {
                        ui.label("this device");
                    }
                    (None, false) if !d.confirmed_by_relay => {
                        ui.colored_label(style::WARN, "active, not yet confirmed by the relay");
                    }
                    (None, false) => {
                        ui.colored_label(style::OK, "active");
                    }
                }
                let revocable = admin && !d.this_device && d.revoked.is_none();
                // Short on screen, named in full for a screen reader.
                let full = format!("Revoke {} ({})", d.label, d.clinician);
                let revoke = revocable.then(|| ui.button("Revoke"));
                if let Some(r) = &revoke {
                    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &full));
                }
                if revoke.is_some_and(|r| r.clicked()) {
                    self.revoking = Some((d.clone(), String::new(), None));
                }
                ui.end_row();
            }
        });
    }

    /// The dialog for revoking a device: a reason, which the audit log keeps.
    fn revoke(&mut self, ui: &mut egui::Ui, session: &mut Session<'_>) {
        let Some((device, reason, error)) = &mut self.revoking else { return };
        let (mut confirm, mut back) = (false, false);
        egui::Modal::new(egui::Id::unique("revoke-device")).show(ui.ctx(), |ui| {
            ui.set_width(520.0);
            ui.heading(format!("Revoke {} ({})", device.label, device.clinician));
            ui.label("The relay refuses it from this device's next sync, and the team key is changed so that nothing written from now on opens on it. What it already holds stays on it: if it is lost or stolen, its passphrase is what protects it.");
            let l = ui.label("Why (lost, stolen, left the team...)");
            ui.add(egui::TextEdit::singleline(reason).desired_width(500.0)).labelled_by(l.id);
            if let Some(e) = error {
                ui.colored_label(style::DANGER, e.as_str());
            }
            ui.horizontal(|ui| {
                let ready = !reason.trim().is_empty();
                confirm = ui.add_enabled(ready, egui::Button::new("Revoke the device")).clicked();
                back = ui.button("Keep the device").clicked();
            });
        });
        if back {
            self.revoking = None;
            return;
        }
        if !confirm {
            return;
        }
        match session.rt.block_on(session.ws.revoke_device(&device.device_id, reason)) {
            Ok(d) => {
                *session.notice = Some((
                    false,
                    format!(
                        "{} ({}) is revoked and the team key changed. Sync now so the relay refuses it.",
                        d.label, d.clinician
                    ),
                ));
                self.revoking = None;
                self.reload(session);
            }
            Err(e) => *error = Some(e.to_string()),
        }
    }
}

/// "Only on this device (not yet at the relay): 2 patient records and 1 visit."
pub fn only_here(ui: &mut egui::Ui, only: &OnlyOnThisDevice) {
    if only.total() == 0 {
        ui.colored_label(style::OK, "Everything changed on this device has reached the relay.");
    } else {
        ui.colored_label(
            style::WARN,
            format!("Only on this device (not yet at the relay): {}.", only.describe()),
        );
    }
}

/// "HR1-caf2 e638 ..." in groups of four, eight to a line, for reading out and typing (the
/// code reads the same with or without the spaces).
fn grouped(code: &str) -> String {
    let (prefix, body) = code.split_at(code.find('-').map_or(0, |i| i + 1));
    let groups: Vec<String> =
        body.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    let lines: Vec<String> = groups.chunks(8).map(|l| l.join(" ")).collect();
    format!("{prefix}\n{}", lines.join("\n"))
}

/// The invite code as a QR code, dark modules painted on white with a quiet zone.
fn qr_code(ui: &mut egui::Ui, qr: &qrcode::QrCode, code: &str) {
    let modules = qr.width();
    let colours = qr.to_colors();
    let quiet = 4;
    let cell = 5.0;
    let side = (modules + 2 * quiet) as f32 * cell;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Image, true, format!("QR code of the invite {code}"))
    });
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, egui::Color32::WHITE);
    for (i, c) in colours.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x, y) = ((i % modules + quiet) as f32, (i / modules + quiet) as f32);
            let min = rect.min + egui::vec2(x * cell, y * cell);
            painter.rect_filled(
                egui::Rect::from_min_size(min, egui::vec2(cell, cell)),
                0.0,
                egui::Color32::BLACK,
            );
        }
    }
}
