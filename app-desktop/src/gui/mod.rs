//! The desktop app (eframe/egui). Every screen calls `hedgerow_core::Workspace`; nothing
//! here knows SQL, clinical rules or documents. Calls are quick (milliseconds, measured in
//! BENCHMARKS.md) and run on the app's runtime; the interface never waits on a network.

pub mod audit;
pub mod chart;
pub mod choice;
pub mod conflicts;
pub mod cpr;
pub mod display;
pub mod edit;
mod essentials_edit;
pub mod lock;
pub mod patient;
mod record_tabs;
mod refer;
pub mod referrals;
pub mod round;
pub mod style;
pub mod sync;
pub mod team;
pub mod today;
pub mod visit;

use hedgerow_core::Workspace;
use hedgerow_core::ids::{PatientId, VisitId};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Locks itself after this long with no keyboard or pointer input.
pub const LOCK_AFTER: Duration = Duration::from_secs(5 * 60);

/// Where the clinician is.
pub enum Screen {
    Locked(lock::LockScreen),
    Today(today::TodayScreen),
    Patient(Box<patient::PatientScreen>),
    Visit(Box<visit::VisitScreen>),
    Conflicts(conflicts::ConflictsScreen),
    Sync(sync::SyncScreen),
    Team(Box<team::TeamScreen>),
    Audit(audit::AuditScreen),
    Round(Box<round::RoundScreen>),
    Referrals(Box<referrals::ReferralsScreen>),
}

/// What a screen works with while the workspace is unlocked.
pub struct Session<'a> {
    pub rt: &'a tokio::runtime::Runtime,
    pub ws: &'a Workspace,
    /// The message bar: set it to tell the clinician what went wrong or what happened.
    pub notice: &'a mut Option<(bool, String)>,
}

/// What a screen asks the app to do next.
pub enum Go {
    Stay,
    Today,
    Patient(PatientId),
    Visit(PatientId, VisitId),
    /// Every open conflict, or one patient's (and back to their record when settled).
    Conflicts(Option<PatientId>),
    Sync,
    /// The team and its devices: create, invite, revoke.
    Team,
    Audit,
    /// The care-home round: the one in progress, or a new one.
    Round,
    /// Referrals from other teams.
    Referrals,
    EndRound,
    /// Open a record outside the caseload, with the reason the clinician gave.
    BreakGlass(PatientId, String),
    Lock,
}

pub struct HedgerowApp {
    pub dir: PathBuf,
    pub runtime: tokio::runtime::Runtime,
    pub workspace: Option<Arc<Workspace>>,
    pub sync: sync::SharedStatus,
    /// Records opened outside the caseload this session, with the reason given.
    pub break_glass: std::collections::HashMap<PatientId, String>,
    /// The care-home round in progress while the clinician is in one of its visits.
    pub round: Option<Box<round::RoundScreen>>,
    pub screen: Screen,
    /// Locks after this long without input ([`LOCK_AFTER`]; benchmarks that step thousands of
    /// simulated frames lengthen it).
    pub lock_after: Duration,
    /// A message for the clinician (an error, or what just happened), shown until dismissed.
    pub notice: Option<(bool, String)>,
    last_input: f64,
    /// Referrals waiting for an answer, and the count of finished syncs it was read at;
    /// read again after each sync and each change of screen.
    referrals_waiting: Option<(u64, usize)>,
    styled: bool,
    /// The whole interface's zoom: the clinician's text size ([`display::TEXT_SIZES`]).
    text_zoom: f32,
}

impl HedgerowApp {
    pub fn new(dir: PathBuf) -> anyhow::Result<Self> {
        // A sync's future is deep: debug builds' frames outgrow tokio's 2 MiB default.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_stack_size(crate::WORKER_STACK)
            .enable_all()
            .build()?;
        let screen = Screen::Locked(lock::LockScreen::new(&dir));
        let text_zoom = display::text_zoom(&dir);
        Ok(Self {
            text_zoom,
            dir,
            runtime,
            workspace: None,
            sync: Default::default(),
            break_glass: Default::default(),
            round: None,
            screen,
            lock_after: LOCK_AFTER,
            notice: None,
            last_input: 0.0,
            referrals_waiting: None,
            styled: false,
        })
    }

    /// Runs a workspace call to completion on the app's runtime.
    pub fn call<T>(
        &self,
        f: impl std::future::Future<Output = hedgerow_core::Result<T>>,
    ) -> Result<T, String> {
        self.runtime.block_on(f).map_err(|e| e.to_string())
    }

    pub fn lock(&mut self) {
        // A round in progress is picked up again at the same resident after unlocking.
        let round = match &self.screen {
            Screen::Round(r) => r.progress(),
            _ => self.round.as_ref().and_then(|r| r.progress()),
        };
        if let (Some(ws), Some(round)) = (&self.workspace, round)
            && let Err(e) = self.runtime.block_on(ws.keep_round(Some(&round)))
        {
            tracing::warn!(error = %e, "the round in progress could not be kept");
        }
        if let Some(ws) = self.workspace.take() {
            // A sync still running keeps its own handle; the store closes when it ends.
            if let Ok(ws) = Arc::try_unwrap(ws) {
                self.runtime.block_on(ws.close());
            }
        }
        self.sync = Default::default();
        self.break_glass.clear();
        self.round = None;
        self.screen = Screen::Locked(lock::LockScreen::new(&self.dir));
    }

    /// `notice_before` is the message as the frame began: a message from an earlier screen is
    /// not carried to the next one ("Conflict resolved" over another patient).
    /// Referrals waiting for an answer, read again once a sync has finished since.
    fn referrals_waiting(&mut self) -> usize {
        let finished = sync::lock(&self.sync).finished;
        match (self.referrals_waiting, &self.workspace) {
            (Some((at, n)), _) if at == finished => n,
            (_, Some(ws)) => {
                let n = self.runtime.block_on(ws.referrals_waiting()).unwrap_or(0);
                self.referrals_waiting = Some((finished, n));
                n
            }
            (_, None) => 0,
        }
    }

    fn go(&mut self, go: Go, notice_before: Option<(bool, String)>) {
        if !matches!(go, Go::Stay) {
            self.referrals_waiting = None; // an answer may have been given on that screen
        }
        let Some(ws) = &self.workspace else { return };
        if !matches!(go, Go::Stay) && self.notice == notice_before {
            self.notice = None;
        }
        let keep_round = !matches!(go, Go::EndRound);
        let next = match go {
            Go::Stay => return,
            Go::Lock => {
                self.lock();
                return;
            }
            Go::Today => today::TodayScreen::load(self, ws).map(Screen::Today),
            Go::Patient(id) => {
                patient::PatientScreen::load(self, ws, id).map(|p| Screen::Patient(Box::new(p)))
            }
            Go::Visit(p, v) => visit::VisitScreen::load(self, ws, p, v).map(|s| Screen::Visit(Box::new(s))),
            Go::Conflicts(p) => conflicts::ConflictsScreen::load(self, ws, p).map(Screen::Conflicts),
            Go::Sync => sync::SyncScreen::load(&self.runtime, ws, &self.sync).map(Screen::Sync),
            Go::Team => team::TeamScreen::load(&self.runtime, ws).map(|t| Screen::Team(Box::new(t))),
            Go::Audit => audit::AuditScreen::load(self, ws).map(Screen::Audit),
            Go::Referrals => {
                referrals::ReferralsScreen::load(self, ws).map(|r| Screen::Referrals(Box::new(r)))
            }
            Go::Round => match self.round.take() {
                Some(mut r) => r.refresh(self, ws).map(|()| Screen::Round(r)),
                None => round::RoundScreen::load(self, ws).map(|r| Screen::Round(Box::new(r))),
            },
            Go::EndRound => {
                self.round = None;
                if let Err(e) = self.runtime.block_on(ws.keep_round(None)) {
                    self.notice = Some((true, e.to_string()));
                }
                today::TodayScreen::load(self, ws).map(Screen::Today)
            }
            Go::BreakGlass(id, reason) => {
                self.break_glass.insert(id, reason);
                patient::PatientScreen::load(self, ws, id).map(|p| Screen::Patient(Box::new(p)))
            }
        };
        match next {
            Ok(screen) => {
                // A round left for a visit or a record waits to be picked up again.
                if let Screen::Round(r) = std::mem::replace(&mut self.screen, screen)
                    && keep_round
                {
                    self.round = Some(r);
                }
            }
            Err(e) => self.notice = Some((true, e)),
        }
    }

    /// The whole interface, one frame.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let notice_before = self.notice.clone();
        let now = ui.input(|i| i.time);
        let active = ui.input(|i| !i.events.is_empty() || i.pointer.is_moving());
        if active || self.last_input == 0.0 {
            self.last_input = now;
        }
        if self.workspace.is_some() && now - self.last_input > self.lock_after.as_secs_f64() {
            self.lock();
            self.notice = Some((false, "Locked after 5 minutes without use.".into()));
        }
        if !self.styled {
            style::apply(ui.ctx());
            ui.ctx().set_zoom_factor(self.text_zoom);
            self.styled = true;
        }
        let mut go = Go::Stay;
        if self.workspace.is_some() {
            egui::Panel::top("top").show(ui, |ui| go = self.top_bar(ui));
        }
        if let Some((is_error, text)) = self.notice.clone() {
            egui::Panel::bottom("notice").show(ui, |ui| {
                ui.horizontal(|ui| {
                    let colour = if is_error { style::DANGER } else { style::OK };
                    ui.colored_label(colour, text);
                    if ui.button("Dismiss").clicked() {
                        self.notice = None;
                    }
                });
            });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            let screen_go = match &mut self.screen {
                Screen::Locked(s) => match s.ui(ui, &self.runtime, &self.dir) {
                    Some(Ok(ws)) => {
                        // Back to the visit being typed into when the app locked or closed.
                        let resume = self.runtime.block_on(ws.visit_in_progress());
                        let round = self.runtime.block_on(ws.round_in_progress());
                        let ws = Arc::new(ws);
                        self.round = match round {
                            Ok(Some(kept)) => round::RoundScreen::resume(self, &ws, &kept).ok().map(Box::new),
                            _ => None,
                        };
                        self.workspace = Some(ws);
                        self.notice = None;
                        match resume {
                            Ok(Some((patient, visit))) => Go::Visit(patient, visit),
                            Ok(None) => Go::Today,
                            Err(e) => {
                                self.notice = Some((true, e.to_string()));
                                Go::Today
                            }
                        }
                    }
                    Some(Err(e)) => {
                        self.notice = Some((true, e));
                        Go::Stay
                    }
                    None => Go::Stay,
                },
                screen => match &self.workspace {
                    None => Go::Lock,
                    Some(ws) => {
                        let mut session = Session { rt: &self.runtime, ws, notice: &mut self.notice };
                        match screen {
                            Screen::Today(s) => s.ui(ui, &mut session),
                            Screen::Audit(s) => s.ui(ui),
                            Screen::Round(s) => s.ui(ui, &mut session),
                            Screen::Patient(s) => s.ui(ui, &mut session),
                            Screen::Visit(s) => s.ui(ui, &mut session),
                            Screen::Conflicts(s) => s.ui(ui, &mut session),
                            Screen::Sync(s) => s.ui(ui, &mut session, ws, &self.sync),
                            Screen::Team(s) => s.ui(ui, &mut session),
                            Screen::Referrals(s) => s.ui(ui, &mut session),
                            Screen::Locked(_) => Go::Stay,
                        }
                    }
                },
            };
            if !matches!(screen_go, Go::Stay) {
                go = screen_go;
            }
        });
        self.go(go, notice_before);
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) -> Go {
        let mut go = Go::Stay;
        // Wraps to a second line rather than overlap, at any width or text size.
        ui.horizontal_wrapped(|ui| {
            ui.heading("Hedgerow");
            if ui.button("Today").clicked() {
                go = Go::Today;
            }
            if ui.button("Conflicts").clicked() {
                go = Go::Conflicts(None);
            }
            if ui.button("Audit log").clicked() {
                go = Go::Audit;
            }
            let waiting = self.referrals_waiting();
            let label = match waiting {
                0 => "Referrals".to_owned(),
                n => format!("Referrals ({n} waiting)"),
            };
            if ui.button(label).on_hover_text("Referrals from other teams").clicked() {
                go = Go::Referrals;
            }
            // Short on screen so the bar stays on one line; the home named on hover and for a
            // screen reader.
            let resume = self.round.as_ref().and_then(|r| r.resume_label());
            let shown = if resume.is_some() { "Back to the round" } else { "Care-home round" };
            let round = ui.button(shown);
            if let Some(full) = &resume {
                round.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, full));
            }
            if round
                .on_hover_text(resume.as_deref().unwrap_or("Walk a care home's residents by room"))
                .clicked()
            {
                go = Go::Round;
            }
            ui.separator();
            // Honest about sync: what has and has not left this device.
            if sync::top_bar_label(ui, &self.sync) {
                go = Go::Sync;
            }
            ui.separator();
            if let Some(ws) = &self.workspace {
                let me = ws.identity();
                ui.label(format!("{} ({})", me.name, me.role.label()));
            }
            self.text_size(ui);
            if ui.button("Lock").clicked() {
                go = Go::Lock;
            }
        });
        go
    }
}

impl HedgerowApp {
    /// Larger text for whoever needs it, kept for the next time the app opens.
    fn text_size(&mut self, ui: &mut egui::Ui) {
        let name =
            |z: f32| display::TEXT_SIZES.iter().find(|(s, _)| *s == z).map_or("Normal text", |(_, n)| n);
        let mut zoom = self.text_zoom;
        // "Normal text" says what the box is; a screen reader hears "Text size".
        let combo = egui::ComboBox::from_id_salt("text-size").selected_text(name(zoom)).show_ui(ui, |ui| {
            for (z, n) in display::TEXT_SIZES {
                ui.selectable_value(&mut zoom, z, n);
            }
        });
        combo.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Text size"));
        combo.response.on_hover_text("Text size");
        if zoom != self.text_zoom {
            self.text_zoom = zoom;
            ui.ctx().set_zoom_factor(zoom);
            if let Err(e) = display::save_text_zoom(&self.dir, zoom) {
                self.notice = Some((true, format!("The text size could not be kept for next time: {e}")));
            }
        }
    }
}

impl eframe::App for HedgerowApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui(ui);
        // Keep the inactivity lock running while the window is idle.
        ui.ctx().request_repaint_after(Duration::from_secs(30));
    }
}

/// Opens the app's window.
pub fn run(dir: PathBuf) -> anyhow::Result<()> {
    let app = HedgerowApp::new(dir)?;
    // Fits a 1366x768 laptop under its taskbar, and a 1280x720 screen, whole.
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 680.0])
            .with_min_inner_size([800.0, 480.0])
            .with_title("Hedgerow"),
        ..Default::default()
    };
    eframe::run_native("Hedgerow", options, Box::new(|_cc| Ok(Box::new(app))))
        .map_err(|e| anyhow::anyhow!("the app could not start: {e}"))
}
