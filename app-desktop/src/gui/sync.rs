//! Sync: with the relay, or with team devices nearby. A sync runs in the background on the
//! app's runtime, so the interface never waits on the network.

use super::{Go, Session, style};
use hedgerow_core::RelayAddress;
use hedgerow_core::Workspace;
use hedgerow_core::view::Timestamp;
use hedgerow_core::workspace::{DeviceListing, OnlyOnThisDevice, SyncPathView};
use std::sync::{Arc, Mutex};

/// What the app knows of sync in this session, shared with the background tasks.
#[derive(Default)]
pub struct SyncStatus {
    /// What a running sync is doing, or `None` when none runs.
    pub running: Option<String>,
    /// The last sync's outcome: whether it worked, what it did, when.
    pub last: Option<(bool, String, Timestamp)>,
    /// Counts finished syncs, so screens know when to reload what they show.
    pub finished: u64,
    /// Team devices found listening on this network, once a search has run.
    pub nearby: Option<Vec<RelayAddress>>,
    /// Letting team devices nearby sync with this one; dropped (so stopped) on lock.
    pub listening: Option<Listening>,
}

/// This device waiting for team devices nearby to sync with it.
pub struct Listening {
    /// Ends the listening when sent or dropped.
    _stop: tokio::sync::oneshot::Sender<()>,
    /// The address other devices dial, once the endpoint is up.
    pub address: Option<String>,
    /// Each direct sync that came in: whether it worked, and what it did.
    pub syncs: Vec<(bool, String)>,
}

pub type SharedStatus = Arc<Mutex<SyncStatus>>;

pub(crate) fn lock(status: &SharedStatus) -> std::sync::MutexGuard<'_, SyncStatus> {
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
    shared_team: bool,
    devices: Vec<DeviceListing>,
    history: Vec<SyncPathView>,
    /// The `finished` count `history` was read at.
    read_at: u64,
    only_here: OnlyOnThisDevice,
}

impl SyncScreen {
    pub fn load(rt: &tokio::runtime::Runtime, ws: &Workspace, status: &SharedStatus) -> Result<Self, String> {
        let relay = rt.block_on(ws.remembered_relay()).map_err(|e| e.to_string())?;
        let shared_team = rt.block_on(ws.in_shared_team()).map_err(|e| e.to_string())?;
        let devices = rt.block_on(ws.devices()).map_err(|e| e.to_string())?;
        let history = rt.block_on(ws.sync_history()).map_err(|e| e.to_string())?;
        let only_here = rt.block_on(ws.only_on_this_device()).map_err(|e| e.to_string())?;
        Ok(Self {
            only_here,
            relay: relay.map(|r| r.to_string()).unwrap_or_default(),
            shared_team,
            devices,
            history,
            read_at: lock(status).finished,
        })
    }

    fn device_name(&self, public_key: &str) -> String {
        match self.devices.iter().find(|d| d.public_key == public_key) {
            Some(d) => format!("{} ({})", d.clinician, d.label),
            None => format!("device {}", &public_key[..public_key.len().min(16)]),
        }
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        session: &mut Session<'_>,
        ws: &Arc<Workspace>,
        status: &SharedStatus,
    ) -> Go {
        let finished = lock(status).finished;
        if finished != self.read_at {
            // A sync ended: what it did shows in the history below.
            if let Ok(h) = session.rt.block_on(ws.sync_history()) {
                self.history = h;
            }
            if let Ok(o) = session.rt.block_on(ws.only_on_this_device()) {
                self.only_here = o;
            }
            self.read_at = finished;
        }
        ui.heading("Sync");
        ui.label("Changes made on this device reach the team only when it syncs: with the relay when there is signal, or directly with team devices nearby when there is none.");
        ui.add_space(6.0);
        let mut go = Go::Stay;
        if !self.shared_team {
            ui.colored_label(
                style::WARN,
                "This workspace is not in a shared team yet, so there is no one to sync with. Make it the team's first device here, then invite the others; a new device joins with an invite code from its lock screen.",
            );
            if ui.button("Set up a shared team").clicked() {
                go = Go::Team;
            }
        } else {
            ui.horizontal(|ui| {
                super::team::only_here(ui, &self.only_here);
                if ui.button("Team and devices").clicked() {
                    go = Go::Team;
                }
            });
        }
        ui.add_space(8.0);
        let running = lock(status).running.is_some();
        let can_sync = !running && self.shared_team;
        ui.horizontal(|ui| {
            let label = ui.label("Relay address");
            ui.add(egui::TextEdit::singleline(&mut self.relay).desired_width(520.0)).labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            let relay = ui.add_enabled(
                can_sync && !self.relay.trim().is_empty(),
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
            if ui.add_enabled(can_sync, egui::Button::new("Look for team devices nearby")).clicked() {
                start_nearby_search(session.rt, ws.clone(), status.clone(), ui.ctx().clone());
            }
        });
        ui.add_space(8.0);
        self.progress(ui, status);
        ui.add_space(8.0);
        self.nearby(ui, session, ws, status, can_sync);
        ui.add_space(8.0);
        if self.shared_team {
            listen(ui, session.rt, ws, status);
        }
        ui.add_space(8.0);
        self.paths(ui);
        go
    }

    fn progress(&self, ui: &mut egui::Ui, status: &SharedStatus) {
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
    }

    fn nearby(
        &self,
        ui: &mut egui::Ui,
        session: &mut Session<'_>,
        ws: &Arc<Workspace>,
        status: &SharedStatus,
        can_sync: bool,
    ) {
        ui.strong("Team devices nearby");
        let found = lock(status).nearby.clone();
        match found {
            None => {
                ui.label("Not looked for yet. Team devices show here when they let devices nearby sync with them (below, on their Sync screen).");
            }
            Some(found) if found.is_empty() => {
                ui.label("No team device is listening on this network.");
            }
            Some(found) => {
                egui::Grid::new("nearby").striped(true).num_columns(2).show(ui, |ui| {
                    for addr in found {
                        let name = self.device_name(&addr.id.to_string());
                        ui.label(&name);
                        if ui.add_enabled(can_sync, egui::Button::new(format!("Sync with {name}"))).clicked()
                        {
                            start_peer_sync(
                                session.rt,
                                ws.clone(),
                                addr,
                                name,
                                status.clone(),
                                ui.ctx().clone(),
                            );
                        }
                        ui.end_row();
                    }
                });
            }
        }
    }

    fn paths(&self, ui: &mut egui::Ui) {
        ui.strong("Last synced, by path");
        if self.history.is_empty() {
            ui.colored_label(style::WARN, "This device has never synced.");
            return;
        }
        egui::Grid::new("sync-paths").striped(true).num_columns(4).show(ui, |ui| {
            ui.label("Path");
            ui.label("Last synced");
            ui.label("Last tried");
            ui.label("Outcome");
            ui.end_row();
            for h in &self.history {
                match (&h.relay, &h.device_public_key) {
                    (Some(address), _) => ui
                        .label(format!("Relay {}", &address[..address.len().min(16)]))
                        .on_hover_text(address.as_str()),
                    (None, Some(public_key)) => ui.label(self.device_name(public_key)),
                    (None, None) => ui.label("-"),
                };
                match h.last_success {
                    Some(at) => ui.label(at.display()),
                    None => ui.colored_label(style::DANGER, "never"),
                };
                ui.label(h.last_attempt.display());
                match &h.last_error {
                    None => ui.colored_label(style::OK, "synced"),
                    Some(e) => ui.colored_label(style::DANGER, format!("failed: {e}")),
                };
                ui.end_row();
            }
        });
    }
}

fn finish(status: &SharedStatus, ctx: &egui::Context, ok: bool, text: String) {
    let mut s = lock(status);
    s.running = None;
    s.last = Some((ok, text, Timestamp::now()));
    s.finished += 1;
    drop(s);
    ctx.request_repaint();
}

fn start_relay_sync(
    rt: &tokio::runtime::Runtime,
    ws: Arc<Workspace>,
    addr: RelayAddress,
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
                    p.phase.label(),
                    p.bundles_received,
                    p.bundles_pushed,
                    p.bundles_to_push
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

fn start_nearby_search(
    rt: &tokio::runtime::Runtime,
    ws: Arc<Workspace>,
    status: SharedStatus,
    ctx: egui::Context,
) {
    lock(&status).running = Some("looking for team devices on this network".into());
    rt.spawn(async move {
        let found = ws.nearby_devices(std::time::Duration::from_secs(3)).await;
        let mut s = lock(&status);
        s.running = None;
        match found {
            Ok(found) => s.nearby = Some(found),
            Err(e) => {
                drop(s);
                return finish(&status, &ctx, false, e.to_string());
            }
        }
        drop(s);
        ctx.request_repaint();
    });
}

/// Lets team devices on this network (or given the address) sync with this one until the
/// clinician stops it or the app locks.
fn listen(ui: &mut egui::Ui, rt: &tokio::runtime::Runtime, ws: &Arc<Workspace>, status: &SharedStatus) {
    ui.strong("Let team devices nearby sync with this one");
    let mut s = lock(status);
    let Some(l) = &s.listening else {
        drop(s);
        ui.label("For a colleague's device with no signal: this device waits for it on this network.");
        if ui.button("Let team devices sync with this one").clicked() {
            start_listening(rt, ws.clone(), status.clone(), ui.ctx().clone());
        }
        return;
    };
    match &l.address {
        Some(a) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Waiting for team devices nearby. Address for a device that cannot find this one:");
            });
            ui.add(egui::Label::new(egui::RichText::new(a).monospace()).selectable(true));
        }
        None => {
            ui.label("Starting...");
        }
    }
    for (ok, text) in &l.syncs {
        ui.colored_label(if *ok { style::OK } else { style::DANGER }, text);
    }
    if ui.button("Stop letting devices sync with this one").clicked() {
        s.listening = None;
    }
}

fn start_listening(
    rt: &tokio::runtime::Runtime,
    ws: Arc<Workspace>,
    status: SharedStatus,
    ctx: egui::Context,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    lock(&status).listening = Some(Listening { _stop: stop, address: None, syncs: Vec::new() });
    rt.spawn(async move {
        let (ready_status, ready_ctx) = (status.clone(), ctx.clone());
        let ready = move |a: &RelayAddress| {
            if let Some(l) = &mut lock(&ready_status).listening {
                l.address = Some(a.to_string());
            }
            ready_ctx.request_repaint();
        };
        let (sync_status, sync_ctx) = (status.clone(), ctx.clone());
        let on_sync = move |r: hedgerow_core::Result<hedgerow_core::workspace::PeerReport>| {
            let line = match &r {
                Ok(r) => (
                    true,
                    format!(
                        "{}: {} synced with this one; {}",
                        Timestamp::now().display(),
                        r.with(),
                        r.what()
                    ),
                ),
                Err(e) => (false, format!("{}: a direct sync failed: {e}", Timestamp::now().display())),
            };
            let mut s = lock(&sync_status);
            if let Some(l) = &mut s.listening {
                l.syncs.push(line);
            }
            s.finished += 1;
            drop(s);
            sync_ctx.request_repaint();
        };
        let stop = async {
            let _ = stopped.await;
        };
        if let Err(e) = ws.listen("0.0.0.0:0".parse().expect("an address"), ready, on_sync, stop).await {
            lock(&status).listening = None;
            finish(&status, &ctx, false, format!("could not wait for devices nearby: {e}"));
        }
    });
}

fn start_peer_sync(
    rt: &tokio::runtime::Runtime,
    ws: Arc<Workspace>,
    addr: RelayAddress,
    name: String,
    status: SharedStatus,
    ctx: egui::Context,
) {
    lock(&status).running = Some(format!("syncing directly with {name}"));
    rt.spawn(async move {
        match ws.sync_with_peer(&addr).await {
            Ok(r) => finish(&status, &ctx, true, format!("directly with {name}: {}", r.what())),
            Err(e) => finish(&status, &ctx, false, format!("directly with {name}: {e}")),
        }
    });
}
