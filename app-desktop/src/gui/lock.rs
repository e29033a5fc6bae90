//! The lock screen: unlock with the passphrase; on first run, create a workspace or load
//! the demo caseload.

use hedgerow_core::view::Role;
use hedgerow_core::{NewClinician, Workspace};
use std::path::Path;

pub struct LockScreen {
    first_run: bool,
    passphrase: String,
    confirm: String,
    name: String,
    role: String,
    demo_patients: usize,
    focused: bool,
    invite_code: String,
    relay: String,
    /// A join running in the background: it talks to the relay, so the window stays live.
    joining: Option<Joining>,
}

type Joining = std::sync::Arc<std::sync::Mutex<Option<Result<Workspace, String>>>>;

impl LockScreen {
    pub fn new(dir: &Path) -> Self {
        Self {
            first_run: !hedgerow_core::Workspace::exists_in(dir),
            passphrase: String::new(),
            confirm: String::new(),
            name: String::new(),
            role: "district-nurse".into(),
            demo_patients: 200,
            focused: false,
            invite_code: String::new(),
            relay: String::new(),
            joining: None,
        }
    }

    /// Returns the unlocked workspace, or an error to show, once the clinician acts.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        dir: &Path,
    ) -> Option<Result<Workspace, String>> {
        let mut out = None;
        ui.vertical_centered(|ui| {
            ui.add_space(60.0);
            ui.heading("Hedgerow");
            ui.label("The shared care record for community nursing, GP and hospice teams");
            ui.add_space(20.0);
        });
        let indent = ((ui.available_width() - 420.0) / 2.0).max(0.0);
        ui.horizontal(|ui| {
            ui.add_space(indent);
            ui.vertical(|ui| {
                egui::Grid::new("lock").num_columns(2).spacing([12.0, 10.0]).show(ui, |ui| {
                    out = self.fields(ui, rt, dir);
                });
                if self.first_run {
                    ui.add_space(12.0);
                    ui.horizontal(|ui| {
                        if ui.button("Create my workspace").clicked() {
                            out = Some(self.create(rt, dir, false));
                        }
                        ui.add(
                            egui::DragValue::new(&mut self.demo_patients)
                                .range(10..=5000)
                                .suffix(" patients"),
                        );
                        if ui.button("Load the demo caseload").clicked() {
                            out = Some(self.create(rt, dir, true));
                        }
                    });
                    ui.label("The demo caseload is fictional: never use it for real patients.");
                    ui.add_space(16.0);
                    out = out.take().or_else(|| self.join(ui, rt, dir));
                }
            });
        });
        out
    }

    fn fields(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        dir: &Path,
    ) -> Option<Result<Workspace, String>> {
        let label = ui.label("Passphrase");
        let field = ui
            .add(egui::TextEdit::singleline(&mut self.passphrase).password(true).desired_width(260.0))
            .labelled_by(label.id);
        // Ready to type the moment the app opens.
        if !self.focused {
            field.request_focus();
            self.focused = true;
        }
        ui.end_row();
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if self.first_run {
            let label = ui.label("Passphrase again");
            ui.add(egui::TextEdit::singleline(&mut self.confirm).password(true).desired_width(260.0))
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Your name");
            ui.add(egui::TextEdit::singleline(&mut self.name).desired_width(260.0)).labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Your role");
            egui::ComboBox::from_id_salt("role")
                .selected_text(
                    Role::parse(&self.role).map_or_else(|| self.role.clone(), |r| r.label().to_owned()),
                )
                .show_ui(ui, |ui| {
                    for r in Role::ALL {
                        ui.selectable_value(&mut self.role, r.as_str().to_owned(), r.label());
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            None
        } else if ui.button("Unlock").clicked() || enter {
            let result = rt.block_on(Workspace::open(dir, &self.passphrase)).map_err(|e| e.to_string());
            self.passphrase.clear();
            // A wrong passphrase is typed again straight away, without reaching for the field.
            if result.is_err() {
                self.focused = false;
            }
            Some(result)
        } else {
            None
        }
    }

    /// Joining a team as a new device: the code from an admin's screen, the relay's address,
    /// and the passphrase, name and role above.
    fn join(
        &mut self,
        ui: &mut egui::Ui,
        rt: &tokio::runtime::Runtime,
        dir: &Path,
    ) -> Option<Result<Workspace, String>> {
        if let Some(joining) = &self.joining {
            let done = joining.lock().unwrap_or_else(|p| p.into_inner()).take();
            match done {
                Some(result) => {
                    self.joining = None;
                    return Some(result);
                }
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Joining the team through the relay...");
                    });
                    ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
                    return None;
                }
            }
        }
        ui.strong("Or join your team's shared record");
        egui::Grid::new("join").num_columns(2).spacing([12.0, 10.0]).show(ui, |ui| {
            let l = ui.label("Invite code");
            ui.add(egui::TextEdit::singleline(&mut self.invite_code).desired_width(260.0)).labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Relay address");
            ui.add(egui::TextEdit::singleline(&mut self.relay).desired_width(260.0)).labelled_by(l.id);
            ui.end_row();
        });
        if !ui.button("Join a team with an invite code").clicked() {
            return None;
        }
        let (passphrase, clinician) = match self.new_clinician(false) {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let relay: hedgerow_core::RelayAddress = match self.relay.trim().parse() {
            Ok(r) => r,
            Err(e) => return Some(Err(format!("the relay address: {e}"))),
        };
        let code = self.invite_code.trim().to_owned();
        let label = format!("{}'s desktop", clinician.name);
        let slot: Joining = Default::default();
        self.joining = Some(slot.clone());
        let (dir, ctx) = (dir.to_owned(), ui.ctx().clone());
        rt.spawn(async move {
            let joined = Workspace::join(&dir, &passphrase, clinician, &label, &code, &relay).await;
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(joined.map_err(|e| e.to_string()));
            ctx.request_repaint();
        });
        None
    }

    /// The passphrase (taken from the fields) and the clinician a new workspace is for.
    fn new_clinician(&mut self, demo: bool) -> Result<(String, NewClinician), String> {
        if self.passphrase.len() < 8 {
            return Err("choose a passphrase of at least 8 characters".into());
        }
        if self.passphrase != self.confirm {
            return Err("the two passphrases differ".into());
        }
        let role =
            Role::parse(&self.role).ok_or_else(|| format!("unknown role; allowed: {}", Role::allowed()))?;
        let name = if self.name.trim().is_empty() && demo {
            "Ada Quill".to_owned()
        } else {
            self.name.trim().to_owned()
        };
        if name.is_empty() {
            return Err("enter your name".into());
        }
        let passphrase = std::mem::take(&mut self.passphrase);
        self.confirm.clear();
        Ok((passphrase, NewClinician { name, role, registration: None }))
    }

    fn create(&mut self, rt: &tokio::runtime::Runtime, dir: &Path, demo: bool) -> Result<Workspace, String> {
        let (passphrase, clinician) = self.new_clinician(demo)?;
        let ws = rt.block_on(async {
            if demo {
                let ws = Workspace::create_demo(dir, &passphrase, clinician).await?;
                hedgerow_core::demo::populate(&ws, self.demo_patients, 2026, |_| {}).await?;
                Ok(ws)
            } else {
                Workspace::create(dir, &passphrase, clinician, None).await
            }
        });
        ws.map_err(|e: hedgerow_core::Error| e.to_string())
    }
}
