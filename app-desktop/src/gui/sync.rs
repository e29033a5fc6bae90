//! Sync: with the relay, or with team devices nearby. A sync runs in the background on the
//! app's runtime, so the interface never waits on the network.

use super::{Go, Session, style};
use hedgerow_core::Workspace;
use hedgerow_core::documents::Timestamp;
use std::sync::{Arc, Mutex};

/// What the app knows of sync in this session, shared with the background task.
#[derive(Default)]
pub struct SyncStatus {
    /// What a running sync is doing, or `None` when none runs.
    pub running: Option<String>,
    /// The last sync's outcome: whether it worked, what it did, when.
    pub last: Option<(bool, String, Timestamp)>,
}

pub type SharedStatus = Arc<Mutex<SyncStatus>>;

fn lock(status: &SharedStatus) -> std::sync::MutexGuard<'_, SyncStatus> {
    status.lock().unwrap_or_else(|p| p.into_inner())
}

/// The top bar's word on sync: honest about what has and has not left this device.
pub fn top_bar_label(ui: &mut egui::Ui, status: &SharedStatus) -> bool {
    let s = lock(status);
    let (colour, text) = match (&s.running, &s.last) {
        (Some(phase), _) => (style::OK, format!("Syncing: {phase}")),
        (None, Some((true, _, at))) => (style::OK, format!("Synced {}", at.display())),
        (None, Some((false, _, at))) => (style::DANGER, format!("Sync failed {}", at.display())),
        (None, None) => (style::WARN, "NOT SYNCED since unlock".to_owned()),
    };
    drop(s);
    ui.colored_label(colour, text)
        .on_hover_text("Changes made here reach the team only when this device syncs.");
    ui.button("Sync").clicked()
}

pub struct SyncScreen {
    relay: String,
}

impl SyncScreen {
    pub fn load(rt: &tokio::runtime::Runtime, ws: &Workspace) -> Result<Self, String> {
        let relay = rt.block_on(ws.remembered_relay()).map_err(|e| e.to_string())?;
        Ok(Self { relay: relay.map(|r| r.to_string()).unwrap_or_default() })
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        session: &mut Session<'_>,
        ws: &Arc<Workspace>,
        status: &SharedStatus,
    ) -> Go {
        ui.heading("Sync");
        ui.label("Changes made on this device reach the team only when it syncs: with the relay when there is signal, or directly with team devices nearby when there is none.");
        ui.add_space(8.0);
        let running = lock(status).running.is_some();
        ui.horizontal(|ui| {
            let label = ui.label("Relay address");
            ui.add(egui::TextEdit::singleline(&mut self.relay).desired_width(520.0)).labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            let relay = ui.add_enabled(
                !running && !self.relay.trim().is_empty(),
                egui::Button::new("Sync with the relay now"),
            );
            if relay.clicked() {
                match self.relay.trim().parse() {
                    Ok(addr) => {
                        start_relay_sync(session.rt, ws.clone(), addr, status.clone(), ui.ctx().clone())
                    }
                    Err(e) => *session.notice = Some((true, e)),
                }
            }
            if ui.add_enabled(!running, egui::Button::new("Sync with team devices nearby")).clicked() {
                start_nearby_sync(session.rt, ws.clone(), status.clone(), ui.ctx().clone());
            }
        });
        ui.add_space(8.0);
        let s = lock(status);
        if let Some(phase) = &s.running {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Syncing: {phase}"));
            });
        }
        match &s.last {
            Some((ok, text, at)) => {
                let colour = if *ok { style::OK } else { style::DANGER };
                ui.colored_label(colour, format!("Last sync at {}: {text}", at.display()));
            }
            None => {
                ui.colored_label(style::WARN, "Not synced since this device was unlocked.");
            }
        }
        Go::Stay
    }
}

fn finish(status: &SharedStatus, ctx: &egui::Context, ok: bool, text: String) {
    let mut s = lock(status);
    s.running = None;
    s.last = Some((ok, text, Timestamp::now()));
    drop(s);
    ctx.request_repaint();
}

fn start_relay_sync(
    rt: &tokio::runtime::Runtime,
    ws: Arc<Workspace>,
    addr: hedgerow_core::sync::transport::RelayAddress,
    status: SharedStatus,
    ctx: egui::Context,
) {
    lock(&status).running = Some("connecting to the relay".into());
    rt.spawn(async move {
        let progress = {
            let (status, ctx) = (status.clone(), ctx.clone());
            move |p: &hedgerow_core::workspace::SyncProgress| {
                lock(&status).running = Some(format!(
                    "{}: {} received, {}/{} sent",
                    p.phase, p.bundles_received, p.bundles_pushed, p.bundles_to_push
                ));
                ctx.request_repaint();
            }
        };
        match ws.sync(&addr, progress).await {
            Ok(r) => {
                let mut text = format!("{} received, {} sent", r.bundles_received, r.bundles_pushed);
                if !r.patients_changed.is_empty() {
                    text.push_str(&format!("; changed: {}", r.patients_changed.join(", ")));
                }
                if r.open_conflicts > 0 {
                    text.push_str(&format!("; {} open conflicts to resolve", r.open_conflicts));
                }
                finish(&status, &ctx, true, text);
            }
            Err(e) => finish(&status, &ctx, false, e.to_string()),
        }
    });
}

fn start_nearby_sync(
    rt: &tokio::runtime::Runtime,
    ws: Arc<Workspace>,
    status: SharedStatus,
    ctx: egui::Context,
) {
    lock(&status).running = Some("looking for team devices on this network".into());
    rt.spawn(async move {
        let found = match ws.nearby_devices(std::time::Duration::from_secs(3)).await {
            Ok(f) => f,
            Err(e) => return finish(&status, &ctx, false, e.to_string()),
        };
        if found.is_empty() {
            return finish(&status, &ctx, false, "no team device is listening nearby".into());
        }
        let mut done = Vec::new();
        for addr in found {
            lock(&status).running = Some(format!("syncing directly with {}", &addr.id.to_string()[..8]));
            ctx.request_repaint();
            match ws.sync_with_peer(&addr).await {
                Ok(r) => done.push(format!("{} documents changed here", r.documents_changed)),
                Err(e) => done.push(format!("failed: {e}")),
            }
        }
        finish(&status, &ctx, true, format!("directly with {} devices: {}", done.len(), done.join("; ")));
    });
}
