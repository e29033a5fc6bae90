//! The `Workspace` object the shells hold: one method per core call, each running on the
//! library's runtime. Ids cross as the core's hex text.

use crate::HedgerowError;
use crate::error::Result;
use crate::events::WorkspaceEvents;
use crate::records::*;
use crate::runtime::run;
use crate::vocabulary::{
    AlertKind, AllergySeverity, CprRecommendation, EntrySource, Place, Role, TaskStatus,
};
use hedgerow_core::RelayAddress;
use hedgerow_core::Workspace as Core;
use hedgerow_core::ids::{PatientId, VisitId};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// An unlocked workspace. `lock` closes it; every later call says `Locked`.
#[derive(uniffi::Object)]
pub struct Workspace {
    inner: RwLock<Option<Arc<Core>>>,
    stop_listening: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl Workspace {
    fn wrap(core: Core) -> Arc<Self> {
        Arc::new(Self { inner: RwLock::new(Some(Arc::new(core))), stop_listening: Mutex::new(None) })
    }

    fn unlocked(&self) -> Result<Arc<Core>> {
        self.inner
            .read()
            .map_err(|_| HedgerowError::Internal { detail: "the workspace handle was poisoned".into() })?
            .clone()
            .ok_or_else(|| HedgerowError::Locked {
                detail: "the workspace is locked: unlock it with your passphrase".into(),
            })
    }

    /// Runs one core call on the library's runtime.
    async fn call<T, F, Fut>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Core>) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let ws = self.unlocked()?;
        run(f(ws)).await
    }
}

fn patient(id: &str) -> Result<PatientId> {
    id.parse().map_err(|e: hedgerow_core::ids::BadId| HedgerowError::invalid(format!("patient: {e}")))
}

fn visit(id: &str) -> Result<VisitId> {
    id.parse().map_err(|e: hedgerow_core::ids::BadId| HedgerowError::invalid(format!("visit: {e}")))
}

fn address(text: &str) -> Result<RelayAddress> {
    text.trim().parse().map_err(HedgerowError::invalid)
}

fn tell_changed(events: Option<&Arc<dyn WorkspaceEvents>>, patients: &[PatientId]) {
    if let Some(events) = events {
        for p in patients {
            events.record_changed(p.to_hex());
        }
    }
}

/// Unlocks the workspace in `dir` with the passphrase.
#[uniffi::export]
pub async fn open_workspace(dir: String, passphrase: String) -> Result<Arc<Workspace>> {
    run(async move { Ok(Workspace::wrap(Core::open(&PathBuf::from(dir), &passphrase).await?)) }).await
}

/// Creates a workspace for one clinician on this device, with a team of their own.
#[uniffi::export(default(team_name))]
pub async fn create_workspace(
    dir: String,
    passphrase: String,
    clinician: NewClinician,
    team_name: Option<String>,
) -> Result<Arc<Workspace>> {
    run(async move {
        Ok(Workspace::wrap(Core::create(&PathBuf::from(dir), &passphrase, clinician, team_name).await?))
    })
    .await
}

/// Creates a workspace of fictional patients for trying Hedgerow.
#[uniffi::export]
pub async fn create_demo_workspace(
    dir: String,
    passphrase: String,
    clinician: NewClinician,
    patients: u32,
) -> Result<Arc<Workspace>> {
    run(async move {
        let ws = Core::create_demo(&PathBuf::from(dir), &passphrase, clinician).await?;
        hedgerow_core::demo::populate(&ws, patients as usize, 2026, |_| {}).await?;
        Ok(Workspace::wrap(ws))
    })
    .await
}

/// Enrols this device in a team with an invite code (`HR1-…`) from an admin's device, and
/// runs its first sync with the relay.
#[uniffi::export]
pub async fn join_team(
    dir: String,
    passphrase: String,
    clinician: NewClinician,
    device_label: String,
    invite_code: String,
    relay: String,
) -> Result<Arc<Workspace>> {
    run(async move {
        let relay = address(&relay)?;
        let ws = Core::join(&PathBuf::from(dir), &passphrase, clinician, &device_label, &invite_code, &relay)
            .await?;
        Ok(Workspace::wrap(ws))
    })
    .await
}

#[uniffi::export]
impl Workspace {
    /// Who is signed in on this device.
    pub fn identity(&self) -> Result<Identity> {
        Ok(self.unlocked()?.identity().clone())
    }

    pub fn is_locked(&self) -> bool {
        self.inner.read().map(|w| w.is_none()).unwrap_or(true)
    }

    /// Locks the workspace: stops listening and closes the store. Calls still running
    /// finish first.
    pub async fn lock(&self) -> Result<()> {
        self.stop_listening();
        let taken = self.inner.write().ok().and_then(|mut w| w.take());
        if let Some(ws) = taken {
            run(async move {
                if let Ok(ws) = Arc::try_unwrap(ws) {
                    ws.close().await;
                }
                Ok(())
            })
            .await?;
        }
        Ok(())
    }

    // The caseload.

    pub async fn caseload(&self) -> Result<Vec<PatientSummary>> {
        self.call(|ws| async move { Ok(list(ws.caseload().await?)) }).await
    }

    /// By name or NHS number, as the clinician types.
    pub async fn search(&self, query: String) -> Result<Vec<PatientSummary>> {
        self.call(|ws| async move { Ok(list(ws.search(&query).await?)) }).await
    }

    /// The patient id for an NHS number.
    pub async fn find_patient(&self, nhs_number: String) -> Result<String> {
        let nhs = check_nhs(&nhs_number)?;
        self.call(|ws| async move { Ok(ws.find_patient(&nhs).await?.to_hex()) }).await
    }

    pub async fn add_patient(&self, new: NewPatient) -> Result<PatientSummary> {
        let new = new.try_into()?;
        self.call(|ws| async move { Ok(ws.add_patient(new).await?) }).await
    }

    /// The care homes on the caseload, residents in round order.
    pub async fn care_homes(&self) -> Result<Vec<CareHome>> {
        self.call(|ws| async move { Ok(list(ws.care_homes().await?)) }).await
    }

    /// The day at a glance for `date` (YYYY-MM-DD, local): who needs attention, tasks and
    /// reviews due, visits today and unsigned visits, in the core's order.
    pub async fn today(&self, date: String) -> Result<Today> {
        let date = crate::records::date_text(&date)?;
        self.call(|ws| async move { Ok(ws.today(date).await?) }).await
    }

    /// Open tasks due on or before `date` (YYYY-MM-DD).
    pub async fn due_tasks(&self, date: String) -> Result<Vec<DueTask>> {
        let date = crate::records::date_text(&date)?;
        self.call(|ws| async move { Ok(list(ws.due_tasks(date).await?)) }).await
    }

    // The record.

    /// Opens a record on the team's caseload (audited). Anyone else's needs break-glass.
    pub async fn open_patient(&self, patient_id: String) -> Result<PatientView> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.open_patient(id).await?.into()) }).await
    }

    /// Opens a record outside the caseload with a stated reason, flagged for review.
    pub async fn open_patient_break_glass(&self, patient_id: String, reason: String) -> Result<PatientView> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.open_patient_break_glass(id, &reason).await?.into()) }).await
    }

    /// Every set of observations on the patient's visits, oldest first, each scored: the
    /// data behind NEWS2 and vital-sign charts.
    pub async fn observation_history(&self, patient_id: String) -> Result<Vec<ObservationSet>> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(list(ws.observation_history(id).await?)) }).await
    }

    /// What changed since this clinician's last visit.
    pub async fn briefing(&self, patient_id: String) -> Result<Briefing> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.briefing(id).await?) }).await
    }

    /// Adds a problem to the care plan; returns its id.
    pub async fn add_problem(&self, patient_id: String, problem: NewProblem) -> Result<String> {
        let (id, problem) = (patient(&patient_id)?, problem.try_into()?);
        self.call(|ws| async move { Ok(ws.add_problem(id, problem).await?) }).await
    }

    pub async fn update_problem(
        &self,
        patient_id: String,
        problem_id: String,
        update: ProblemUpdate,
    ) -> Result<()> {
        let (id, update) = (patient(&patient_id)?, update.try_into()?);
        self.call(|ws| async move {
            ws.update_problem(id, &problem_id, update).await?;
            Ok(())
        })
        .await
    }

    pub async fn add_medicine(&self, patient_id: String, medicine: NewMedicine) -> Result<String> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.add_medicine(id, medicine).await?) }).await
    }

    pub async fn change_medicine(
        &self,
        patient_id: String,
        medicine_id: String,
        change: MedicineChange,
    ) -> Result<()> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move {
            ws.change_medicine(id, &medicine_id, change).await?;
            Ok(())
        })
        .await
    }

    pub async fn stop_medicine(&self, patient_id: String, medicine_id: String, reason: String) -> Result<()> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move {
            ws.stop_medicine(id, &medicine_id, &reason).await?;
            Ok(())
        })
        .await
    }

    pub async fn add_allergy(
        &self,
        patient_id: String,
        substance: String,
        reaction: Option<String>,
        severity: AllergySeverity,
    ) -> Result<String> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.add_allergy(id, &substance, reaction, severity).await?) }).await
    }

    pub async fn add_alert(&self, patient_id: String, kind: AlertKind, text: String) -> Result<String> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.add_alert(id, kind, &text).await?) }).await
    }

    pub async fn end_alert(&self, patient_id: String, alert_id: String) -> Result<()> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move {
            ws.end_alert(id, &alert_id).await?;
            Ok(())
        })
        .await
    }

    /// Records the CPR recommendation (ReSPECT) with its clinical reason, which the audit
    /// log keeps.
    pub async fn set_cpr(
        &self,
        patient_id: String,
        recommendation: CprRecommendation,
        discussed_with: Option<String>,
        reason: String,
    ) -> Result<()> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.set_cpr(id, recommendation, discussed_with, &reason).await?) })
            .await
    }

    /// Updates the end-of-life (EPaCCS and ReSPECT) items given.
    pub async fn update_end_of_life(&self, patient_id: String, update: EndOfLifeUpdate) -> Result<()> {
        let (id, update) = (patient(&patient_id)?, update.try_into()?);
        self.call(|ws| async move { Ok(ws.update_end_of_life(id, update).await?) }).await
    }

    /// Records the actual place and date (YYYY-MM-DD) of death (registered clinicians).
    pub async fn record_death(&self, patient_id: String, place: Place, date_of_death: String) -> Result<()> {
        let (id, date) = (patient(&patient_id)?, crate::records::date(&date_of_death, "the date of death")?);
        self.call(|ws| async move { Ok(ws.record_death(id, place, date).await?) }).await
    }

    /// A carer's or family member's note in their own words (carers and family only).
    pub async fn add_carer_note(&self, patient_id: String, text: String) -> Result<String> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.add_carer_note(id, &text).await?) }).await
    }

    /// Address, phone, access notes, gender and GP practice: only those given change.
    pub async fn update_details(&self, patient_id: String, update: DetailsUpdate) -> Result<()> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.update_details(id, update).await?) }).await
    }

    /// Sets or clears NEWS2 SpO2 Scale 2 on the record, with the clinical reason.
    pub async fn set_scale2(&self, patient_id: String, scale2: bool, reason: String) -> Result<()> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.set_scale2(id, scale2, &reason).await?) }).await
    }

    pub async fn add_task(
        &self,
        patient_id: String,
        title: String,
        assignee_role: Role,
        due_date: Option<String>,
        source: EntrySource,
    ) -> Result<String> {
        let (id, due) = (patient(&patient_id)?, optional_date(due_date, "the due date")?);
        self.call(|ws| async move { Ok(ws.add_task(id, &title, assignee_role, due, source).await?) }).await
    }

    pub async fn set_task_status(
        &self,
        patient_id: String,
        task_id: String,
        status: TaskStatus,
    ) -> Result<()> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move {
            ws.set_task_status(id, &task_id, status).await?;
            Ok(())
        })
        .await
    }

    /// Whether the patient agrees to share their record with another team this team
    /// trusts (`team`: its name or id).
    pub async fn set_sharing_consent(&self, patient_id: String, team: String, agreed: bool) -> Result<()> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.set_sharing_consent(id, &team, agreed).await?) }).await
    }

    pub async fn set_consent(
        &self,
        patient_id: String,
        share_with_team: bool,
        national_data_opt_out: bool,
    ) -> Result<()> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.set_consent(id, share_with_team, national_data_opt_out).await?) })
            .await
    }

    // Visits.

    /// Starts a visit note; returns its id.
    pub async fn start_visit(&self, patient_id: String) -> Result<String> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.start_visit(id).await?.to_hex()) }).await
    }

    /// Records vital signs and returns the NEWS2 score on the record's SpO2 scale (set on
    /// the record with `set_scale2`, never by a reading).
    pub async fn record_observations(
        &self,
        visit_id: String,
        observations: Observations,
    ) -> Result<RecordedObservations> {
        let id = visit(&visit_id)?;
        self.call(|ws| async move { Ok(ws.record_observations(id, observations).await?) }).await
    }

    pub async fn record_wound(&self, visit_id: String, wound: NewWoundAssessment) -> Result<String> {
        let id = visit(&visit_id)?;
        self.call(|ws| async move { Ok(ws.record_wound(id, wound).await?) }).await
    }

    pub async fn add_note(&self, visit_id: String, text: String) -> Result<()> {
        let id = visit(&visit_id)?;
        self.call(|ws| async move { Ok(ws.add_note(id, &text).await?) }).await
    }

    pub async fn add_action(&self, visit_id: String, text: String, done: bool) -> Result<String> {
        let id = visit(&visit_id)?;
        self.call(|ws| async move { Ok(ws.add_action(id, &text, done).await?) }).await
    }

    /// Signs the visit with this device's key; the note is then read-only.
    pub async fn sign_visit(&self, visit_id: String) -> Result<Signature> {
        let id = visit(&visit_id)?;
        self.call(|ws| async move { Ok(ws.sign_visit(id).await?) }).await
    }

    /// A correction to a signed visit, attributed and timed.
    pub async fn add_addendum(&self, visit_id: String, text: String) -> Result<String> {
        let id = visit(&visit_id)?;
        self.call(|ws| async move { Ok(ws.add_addendum(id, &text).await?) }).await
    }

    pub async fn open_visit(&self, visit_id: String) -> Result<Visit> {
        let id = visit(&visit_id)?;
        self.call(|ws| async move { Ok(ws.open_visit(id).await?) }).await
    }

    // Disagreements, history and audit.

    pub async fn conflicts(&self, patient_id: String) -> Result<Vec<Conflict>> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(list(ws.conflicts(id).await?)) }).await
    }

    /// Resolves a conflict by choosing one of its values, counting from 1.
    /// `reason` (required) is kept in the audit log with the value chosen.
    pub async fn resolve_conflict(
        &self,
        patient_id: String,
        field: String,
        choice: u32,
        reason: String,
    ) -> Result<()> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.resolve_conflict(id, &field, choice as usize, &reason).await?) })
            .await
    }

    /// Every change to the record, newest first: who, what, when.
    pub async fn record_history(&self, patient_id: String) -> Result<Vec<RecordChange>> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(list(ws.record_history(id).await?)) }).await
    }

    /// Every value a field has had, with who and when.
    pub async fn field_history(&self, patient_id: String, field: String) -> Result<Vec<FieldChange>> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(list(ws.field_history(id, &field).await?)) }).await
    }

    /// Who opened, changed, signed or exported what; one patient's, or all.
    #[uniffi::method(default(patient_id))]
    pub async fn audit_log(&self, patient_id: Option<String>) -> Result<Vec<AuditEntry>> {
        let id = patient_id.as_deref().map(patient).transpose()?;
        self.call(|ws| async move { Ok(list(ws.audit_log(id).await?)) }).await
    }

    // Sharing.

    /// The record as a FHIR R4 (UK Core) Bundle, JSON.
    pub async fn export_fhir(&self, patient_id: String) -> Result<String> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.export_fhir(id).await?) }).await
    }

    pub async fn import_fhir(&self, json: String) -> Result<FhirImportReport> {
        self.call(|ws| async move { Ok(ws.import_fhir(&json).await?) }).await
    }

    /// A plain-text summary for a handover or a hospital admission.
    pub async fn export_summary(&self, patient_id: String) -> Result<String> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.export_summary(id).await?) }).await
    }

    // The team.

    /// Starts a team with this device as its first admin; its charter reaches the relay
    /// at the next sync.
    pub async fn create_team(&self, name: String) -> Result<()> {
        self.call(|ws| async move {
            ws.create_team(&name).await?;
            Ok(())
        })
        .await
    }

    pub async fn invite_device(&self, admin: bool, valid_hours: u32) -> Result<Invitation> {
        self.call(|ws| async move {
            Ok(ws.invite_device(admin, chrono::Duration::hours(i64::from(valid_hours))).await?)
        })
        .await
    }

    pub async fn devices(&self) -> Result<Vec<Device>> {
        self.call(|ws| async move { Ok(list(ws.devices().await?)) }).await
    }

    /// This team's sharing card, for another team to trust (admins only).
    pub async fn team_card(&self, ods_code: Option<String>) -> Result<TeamCardView> {
        self.call(|ws| async move { Ok(ws.team_card(ods_code.as_deref()).await?) }).await
    }

    /// Another team's card checked, before anyone trusts it.
    pub async fn read_team_card(&self, card: String) -> Result<TeamCardView> {
        self.call(|ws| async move { Ok(ws.read_team_card(&card).await?) }).await
    }

    /// Trusts another team's card once its admin has read the fingerprint (admins only).
    pub async fn trust_team(&self, card: String, fingerprint: String) -> Result<TeamCardView> {
        self.call(|ws| async move { Ok(ws.trust_team(&card, &fingerprint).await?) }).await
    }

    pub async fn partner_teams(&self) -> Result<Vec<TeamCardView>> {
        self.call(|ws| async move { Ok(ws.partner_teams().await?) }).await
    }

    /// Refers the patient to a team this team trusts (`team`: its name or id), with the
    /// patient's consent to share with it; the letter goes at the next sync.
    pub async fn refer(
        &self,
        patient_id: String,
        team: String,
        reason: String,
        urgent: bool,
    ) -> Result<ReferralSent> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.refer(id, &team, &reason, urgent).await?) }).await
    }

    /// The referrals this team received, waiting ones first.
    pub async fn referrals(&self) -> Result<Vec<Referral>> {
        self.call(|ws| async move { Ok(ws.referrals().await?) }).await
    }

    /// How many referrals wait for this team's answer (for a badge on the inbox).
    pub async fn referrals_waiting(&self) -> Result<u32> {
        self.call(|ws| async move { Ok(u32::try_from(ws.referrals_waiting().await?).unwrap_or(u32::MAX)) })
            .await
    }

    /// What the team may read of a referred patient before accepting (audited).
    pub async fn referral_summary(&self, referral_id: String) -> Result<ReferralSummary> {
        self.call(|ws| async move { Ok(ws.referral_summary(&referral_id).await?) }).await
    }

    /// Takes the referred patient on (registered clinicians); returns their patient id.
    pub async fn accept_referral(&self, referral_id: String) -> Result<String> {
        self.call(|ws| async move { Ok(ws.accept_referral(&referral_id).await?.to_hex()) }).await
    }

    pub async fn decline_referral(&self, referral_id: String, reason: String) -> Result<()> {
        self.call(|ws| async move { Ok(ws.decline_referral(&referral_id, &reason).await?) }).await
    }

    /// Ends the sharing of the record with another team (discharged, consent withdrawn),
    /// with the reason that team is told.
    pub async fn end_share(&self, patient_id: String, team: String, reason: String) -> Result<()> {
        let id = patient(&patient_id)?;
        self.call(|ws| async move { Ok(ws.end_share(id, &team, &reason).await?) }).await
    }

    /// Revokes a lost or retired device (admins only) and rotates the team key.
    pub async fn revoke_device(&self, device: String, reason: String) -> Result<Device> {
        self.call(|ws| async move { Ok(ws.revoke_device(&device, &reason).await?) }).await
    }

    // Sync.

    /// Whether this device is in a shared team, and so has anyone to sync with.
    pub async fn in_shared_team(&self) -> Result<bool> {
        self.call(|ws| async move { Ok(ws.in_shared_team().await?) }).await
    }

    /// When this device last synced on each path (the relay, each device met directly).
    pub async fn sync_history(&self) -> Result<Vec<SyncPathHistory>> {
        self.call(|ws| async move { Ok(list(ws.sync_history().await?)) }).await
    }

    /// The relay this device last synced with, if any.
    pub async fn remembered_relay(&self) -> Result<Option<String>> {
        self.call(|ws| async move { Ok(ws.remembered_relay().await?.map(|a| a.to_string())) }).await
    }

    /// Syncs with the relay (`ID@IP:PORT`), or the remembered one when `relay` is absent.
    #[uniffi::method(default(relay = None, events = None))]
    pub async fn sync_with_relay(
        &self,
        relay: Option<String>,
        events: Option<Arc<dyn WorkspaceEvents>>,
    ) -> Result<SyncReport> {
        let relay = relay.as_deref().map(address).transpose()?;
        self.call(|ws| async move {
            let relay = match relay {
                Some(r) => r,
                None => ws.remembered_relay().await?.ok_or_else(|| {
                    HedgerowError::invalid(
                        "this device has not synced with a relay yet: give the relay's address",
                    )
                })?,
            };
            let progress = events.clone();
            let report = ws
                .sync(&relay, move |p| {
                    if let Some(e) = &progress {
                        e.sync_progress(p.clone());
                    }
                })
                .await?;
            tell_changed(events.as_ref(), &report.records_changed);
            Ok(report)
        })
        .await
    }

    /// Team devices listening on this network, as addresses for `sync_with_peer`.
    pub async fn nearby_devices(&self, wait_ms: u64) -> Result<Vec<String>> {
        self.call(|ws| async move {
            let found = ws.nearby_devices(std::time::Duration::from_millis(wait_ms)).await?;
            Ok(found.iter().map(|a| a.to_string()).collect())
        })
        .await
    }

    /// Syncs directly with a team device, with no relay or internet.
    #[uniffi::method(default(events))]
    pub async fn sync_with_peer(
        &self,
        address_text: String,
        events: Option<Arc<dyn WorkspaceEvents>>,
    ) -> Result<PeerReport> {
        let peer = address(&address_text)?;
        self.call(|ws| async move {
            let report = ws.sync_with_peer(&peer).await?;
            tell_changed(events.as_ref(), &report.records_changed);
            Ok(report)
        })
        .await
    }

    /// Listens on `bind` (e.g. "0.0.0.0:0") for team devices and syncs with each, until
    /// `stop_listening` or `lock`. Returns how many syncs succeeded.
    pub async fn listen(&self, bind: String, events: Arc<dyn WorkspaceEvents>) -> Result<u32> {
        let bind: std::net::SocketAddr = bind.trim().parse().map_err(|_| {
            HedgerowError::invalid(format!("'{bind}' is not an address to listen on, like 0.0.0.0:0"))
        })?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        if let Ok(mut slot) = self.stop_listening.lock()
            && let Some(previous) = slot.replace(stop)
        {
            let _ = previous.send(());
        }
        self.call(|ws| async move {
            let mut synced = 0u32;
            let ready = events.clone();
            ws.listen(
                bind,
                move |a| ready.listening(a.to_string()),
                |r| match r {
                    Ok(r) => {
                        synced += 1;
                        tell_changed(Some(&events), &r.records_changed);
                        events.peer_synced(r);
                    }
                    Err(e) => tracing::warn!(error = %e, "a device nearby could not sync"),
                },
                async {
                    let _ = stopped.await;
                },
            )
            .await?;
            Ok(synced)
        })
        .await
    }

    pub fn stop_listening(&self) {
        if let Some(stop) = self.stop_listening.lock().ok().and_then(|mut s| s.take()) {
            let _ = stop.send(());
        }
    }
}

fn check_nhs(text: &str) -> Result<hedgerow_core::clinical::NhsNumber> {
    text.parse().map_err(|e: hedgerow_core::clinical::NhsNumberError| HedgerowError::InvalidNhsNumber {
        detail: e.to_string(),
    })
}
