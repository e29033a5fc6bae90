//! Every call a shell makes, in one place: each is handed in one line to the feature module
//! that does it, with the [`Context`] they all share.

use super::*;
use crate::RelayAddress;
use crate::clinical::Observations;
use crate::conflicts::Conflict;
use crate::crypto::KdfParams;
use crate::documents::Team;
use crate::history::FieldDiff;
use crate::ids::VisitId;
use crate::sync::bundle::BundleBody;
use crate::sync::client::ClientSession;
#[cfg(feature = "test-support")]
use crate::sync::keys::Keyring;
use crate::sync::partner::Side;
use crate::sync::peer::PeerSession;
#[cfg(feature = "test-support")]
use crate::sync::registry::Registry;
use crate::sync::transport::Link;
use crate::sync::wire::LogEntry;
use crate::view::{
    AlertKind, AllergySeverity, AuditCheck, CprRecommendation, DueTask, EntrySource, Place, Referral,
    ReferralSummary, Signature, TaskStatus,
};
#[cfg(feature = "test-support")]
use crate::workspace::shared_record::ForgedDocument;
use chrono::NaiveDate;
use std::path::Path;

impl Workspace {
    // ---- making and unlocking a workspace ---------------------------------------------

    /// Whether `dir` holds a workspace already (to unlock), or a new one is to be made.
    pub fn exists_in(dir: &Path) -> bool {
        lifecycle::exists_in(dir)
    }

    /// Creates a workspace for one clinician on this device, with their team document.
    pub async fn create(
        dir: &Path,
        passphrase: &str,
        clinician: NewClinician,
        team_name: Option<String>,
    ) -> Result<Self> {
        lifecycle::create(dir, passphrase, clinician, team_name).await
    }

    /// Creates a workspace for fictional patients only (see [`crate::demo`]).
    pub async fn create_demo(dir: &Path, passphrase: &str, clinician: NewClinician) -> Result<Self> {
        lifecycle::create_demo(dir, passphrase, clinician).await
    }

    pub async fn create_with_kdf(
        dir: &Path,
        passphrase: &str,
        clinician: NewClinician,
        team_name: Option<String>,
        kdf: KdfParams,
    ) -> Result<Self> {
        lifecycle::create_with_kdf(dir, passphrase, clinician, team_name, kdf).await
    }

    /// Unlocks an existing workspace.
    pub async fn open(dir: &Path, passphrase: &str) -> Result<Self> {
        lifecycle::open(dir, passphrase).await
    }

    /// Enrols this new device in a team: claims the invite at the relay, opens the offer,
    /// creates the workspace, adds the clinician and device to the team document, and
    /// runs a first sync.
    pub async fn join(
        dir: &Path,
        passphrase: &str,
        clinician: NewClinician,
        label: &str,
        code: &str,
        relay: &RelayAddress,
    ) -> Result<Self> {
        team::join(dir, passphrase, clinician, label, code, relay).await
    }

    /// As [`Workspace::join`], over any link, with the first sync left to the caller.
    pub async fn join_via<L: Link>(
        dir: &Path,
        passphrase: &str,
        clinician: NewClinician,
        label: &str,
        code: &str,
        link: &mut L,
    ) -> Result<Self> {
        team::join_via(dir, passphrase, clinician, label, code, link).await
    }

    /// Locks the workspace: the relay connection is closed, then the store once its last
    /// write is on disk.
    pub async fn close(self) {
        lifecycle::close(self).await
    }

    /// What the features share, for the core's own code beside them (the demo generator).
    pub(crate) fn context(&self) -> &Context {
        &self.cx
    }

    /// Who is using this device.
    pub fn identity(&self) -> &Identity {
        self.cx.identity()
    }

    /// The store itself, for the tests that check what is written and how.
    #[cfg(feature = "test-support")]
    pub fn store(&self) -> &Store {
        self.cx.store()
    }

    // ---- access --------------------------------------------------------------------------

    /// Break-glass: lets this clinician read a record outside the team's caseload for
    /// [`BREAK_GLASS_FOR`]. The reason is required, recorded and flagged for review.
    pub async fn break_glass(&self, patient: PatientId, reason: &str) -> Result<()> {
        access::break_glass(&self.cx, patient, reason).await
    }

    /// The patient a visit belongs to (the visit itself is read only once allowed).
    pub async fn patient_of_visit(&self, visit: VisitId) -> Result<PatientId> {
        access::patient_of_visit(&self.cx, visit).await
    }

    // ---- audit_trail ---------------------------------------------------------------------

    /// What checking this device's audit log found when the workspace opened (and any
    /// break found at an earlier open).
    pub fn audit_check(&self) -> &AuditCheck {
        audit_trail::audit_check(&self.cx)
    }

    /// The whole team's audit log, or only what is flagged for review (break-glass,
    /// refusals, broken chains), newest first. For admins' devices.
    pub async fn team_audit(&self, flagged_only: bool) -> Result<TeamAudit> {
        audit_trail::team_audit(&self.cx, flagged_only).await
    }

    pub async fn audit_log(&self, patient: Option<PatientId>) -> Result<Vec<AuditEntry>> {
        audit_trail::audit_log(&self.cx, patient).await
    }

    // ---- briefing ------------------------------------------------------------------------

    /// Every change to the record, newest first: who, what, when (from the document itself,
    /// so it is the same on every device that holds the record).
    pub async fn record_history(&self, patient: PatientId) -> Result<Vec<RecordChange>> {
        briefing::record_history(&self.cx, patient).await
    }

    /// Everything that changed since I last saw this patient, in one place.
    pub async fn briefing(&self, patient: PatientId) -> Result<Briefing> {
        briefing::briefing(&self.cx, patient).await
    }

    /// The record as it stood at a moment, from the document's own history, with the
    /// conflicts open then.
    pub async fn record_at(&self, patient: PatientId, at: Timestamp) -> Result<RecordAt> {
        briefing::record_at(&self.cx, patient, at).await
    }

    /// What changed in the record between two moments, field by field.
    pub async fn changes_between(
        &self,
        patient: PatientId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<FieldDiff>> {
        briefing::changes_between(&self.cx, patient, from, to).await
    }

    // ---- care_home -----------------------------------------------------------------------

    /// The care homes on the caseload, each with its residents in round order.
    pub async fn care_homes(&self) -> Result<Vec<CareHome>> {
        care_home::caseload_care_homes(&self.cx).await
    }

    // ---- contacts ------------------------------------------------------------------------

    /// Adds someone to the patient's contacts (the name and phone trimmed, the LPA kind
    /// checked); returns the entry's id.
    pub async fn add_contact(&self, patient: PatientId, new: NewContact) -> Result<String> {
        contacts::add_contact(&self.cx, patient, new).await
    }

    /// Takes someone off the patient's contacts (by id or a unique start of it).
    pub async fn remove_contact(&self, patient: PatientId, contact: &str) -> Result<String> {
        contacts::remove_contact(&self.cx, patient, contact).await
    }

    // ---- end_of_life ---------------------------------------------------------------------

    /// Records a CPR recommendation, made now by this clinician, with the clinical reason,
    /// which the audit log and the record's history keep beside the decision. Each decision
    /// is written as a new entry, never as an edit of the last, so that two clinicians
    /// deciding at the same time always meet as a conflict, even when one of them
    /// re-confirms the old value.
    pub async fn set_cpr(
        &self,
        patient: PatientId,
        recommendation: CprRecommendation,
        discussed_with: Option<String>,
        reason: &str,
    ) -> Result<()> {
        end_of_life::set_cpr(&self.cx, patient, recommendation, discussed_with, reason).await
    }

    /// Sets the EPaCCS and ReSPECT items given; the others stay as they are. A ceiling of
    /// treatment is a decision: only a registered clinician sets it, and who and when are
    /// kept with it.
    pub async fn update_end_of_life(&self, patient: PatientId, u: EndOfLifeUpdate) -> Result<()> {
        end_of_life::update_end_of_life(&self.cx, patient, u).await
    }

    /// Records the actual place and date of death (EPaCCS), by this clinician.
    pub async fn record_death(
        &self,
        patient: PatientId,
        place: Place,
        date_of_death: NaiveDate,
    ) -> Result<()> {
        end_of_life::record_death(&self.cx, patient, place, date_of_death).await
    }

    // ---- exports -------------------------------------------------------------------------

    /// The record as a FHIR R4 Bundle (UK Core profiles), JSON. Refused, with the reason,
    /// when the patient has opted out or not consented to share.
    pub async fn export_fhir(&self, patient: PatientId) -> Result<String> {
        exports::export_fhir(&self.cx, patient).await
    }

    /// Seeds or updates demographics, allergies and medicines from a GP system's Bundle.
    /// A bundle whose NHS number matches a record with a different date of birth or family
    /// name is refused whole: it may be another person. Allergies and medicines already on
    /// the record (same substance or name) are kept as they are; a different dose or
    /// frequency in the GP record becomes a proposal on the medicine for a clinician to
    /// review. Nothing on the record is removed.
    pub async fn import_fhir(&self, json: &str) -> Result<FhirImportReport> {
        exports::import_fhir(&self.cx, json).await
    }

    /// A print-ready HTML page for the paper folder left in the home. It stays with the
    /// patient, so consent to share does not restrict it; it is audited like any export.
    pub async fn export_summary(&self, patient: PatientId) -> Result<String> {
        exports::export_summary(&self.cx, patient).await
    }

    /// The patient record, unencrypted, as a signed export (the Automerge document and
    /// who wrote it) that another device of the team can take in: audited as an export.
    pub async fn export_patient_document(&self, patient: PatientId) -> Result<Vec<u8>> {
        exports::export_patient_document(&self.cx, patient).await
    }

    // ---- merge ---------------------------------------------------------------------------

    /// Merges another device's saved copy of a document (as `hedgerow export document`
    /// writes it: the Automerge document with its signed actor heads). Every new change must
    /// be signed by a device of this team; otherwise nothing is taken in, unless
    /// `unauthenticated` gives the reason to take it in anyway, in which case the document
    /// is held on this device for review (never passed on by sync) and the import flagged.
    /// Nothing is kept unless the merged document reads cleanly.
    pub async fn merge_document(
        &self,
        bytes: &[u8],
        add_to_caseload: bool,
        unauthenticated: Option<&str>,
    ) -> Result<MergeReport> {
        merge::merge_document(&self.cx, bytes, add_to_caseload, unauthenticated).await
    }

    /// Every value a field of the record has had, with who and when. `field` is a path of
    /// map keys, e.g. `medicines/3fa2c0de1b2a4c5d/dose` or `end_of_life/cpr/recommendation`;
    /// an entry id may be shortened to its first characters, as the record views show it.
    pub async fn field_history(
        &self,
        patient: PatientId,
        field: &str,
    ) -> Result<Vec<crate::history::FieldChange>> {
        merge::field_history(&self.cx, patient, field).await
    }

    /// The open conflicts on a patient's record.
    pub async fn conflicts(&self, patient: PatientId) -> Result<Vec<Conflict>> {
        merge::conflicts(&self.cx, patient).await
    }

    /// A clinician resolves a conflict by choosing one of the values (1-based, as listed),
    /// with the reason, which the audit log keeps with the value chosen.
    pub async fn resolve_conflict(
        &self,
        patient: PatientId,
        field: &str,
        choice: usize,
        reason: &str,
    ) -> Result<()> {
        merge::resolve_conflict(&self.cx, patient, field, choice, reason).await
    }

    /// Opens a record for a clinician to read, recorded in the audit log. A patient who is
    /// not on the team's caseload needs [`Workspace::open_patient_break_glass`].
    pub async fn open_patient(&self, id: PatientId) -> Result<PatientView> {
        merge::open_patient(&self.cx, id).await
    }

    /// Break-glass: opens a record outside the team's caseload. The reason is required,
    /// recorded, and the access flagged for review.
    pub async fn open_patient_break_glass(&self, id: PatientId, reason: &str) -> Result<PatientView> {
        merge::open_patient_break_glass(&self.cx, id, reason).await
    }

    // ---- observations --------------------------------------------------------------------

    /// Every set of observations on the patient's visits held on this device, oldest
    /// first, each scored on the SpO2 scale in force when it was taken.
    pub async fn observation_history(&self, patient: PatientId) -> Result<Vec<ScoredObservations>> {
        observations::observation_history(&self.cx, patient).await
    }

    // ---- partner_link --------------------------------------------------------------------

    /// Hands letters over to, and takes them from, a device of another team over a byte
    /// stream: the device `peer` (authenticated by the transport) says which team it is of,
    /// and only a team this team shares records with gets anything.
    pub async fn exchange_letters_stream(
        &self,
        peer: [u8; 32],
        side: Side,
        r: impl tokio::io::AsyncRead + Unpin,
        w: impl tokio::io::AsyncWrite + Unpin,
    ) -> Result<PeerReport> {
        partner_link::exchange_letters_stream(&self.cx, peer, side, r, w).await
    }

    // ---- patients ------------------------------------------------------------------------

    pub async fn add_patient(&self, new: NewPatient) -> Result<PatientSummary> {
        patients::add_patient(&self.cx, new).await
    }

    /// Adds several patients in one transaction, with one change to the team's caseload
    /// (taking on a caseload, or an import). All are added, or none.
    pub async fn add_patients(&self, patients: Vec<NewPatient>) -> Result<Vec<PatientSummary>> {
        patients::add_patients(&self.cx, patients).await
    }

    /// Every patient on this device, sorted by name.
    pub async fn caseload(&self) -> Result<Vec<PatientSummary>> {
        patients::caseload(&self.cx).await
    }

    /// Patients whose name contains every word of `query`, or whose NHS number starts with it.
    pub async fn search(&self, query: &str) -> Result<Vec<PatientSummary>> {
        patients::search(&self.cx, query).await
    }

    pub async fn find_patient(&self, nhs: &NhsNumber) -> Result<PatientId> {
        patients::find_patient(&self.cx, nhs).await
    }

    /// Records, or clears, SpO2 Scale 2 on a patient's record, with the reason. Like a CPR
    /// decision, each setting is written as a new entry, so that two clinicians setting and
    /// clearing it at the same time always meet as a conflict (a write of the value already
    /// there would otherwise change nothing, and the other's would silently stand).
    pub async fn set_scale2(&self, patient: PatientId, on: bool, reason: &str) -> Result<()> {
        patients::set_scale2(&self.cx, patient, on, reason).await
    }

    /// Open tasks due on or before `date`.
    pub async fn due_tasks(&self, date: chrono::NaiveDate) -> Result<Vec<DueTask>> {
        patients::due_tasks(&self.cx, date).await
    }

    /// The day at a glance for `date` (local): who needs attention, tasks and reviews due,
    /// visits today and this clinician's unsigned visits, triaged by the core's rules.
    pub async fn today(&self, date: chrono::NaiveDate) -> Result<crate::view::Today> {
        patients::today(&self.cx, date).await
    }

    // ---- peer ----------------------------------------------------------------------------

    /// Whether `peer` (an endpoint id) is an enrolled, unrevoked device of this team, by the
    /// registry this device last confirmed with the relay.
    pub async fn is_team_device(&self, peer: &[u8; 32]) -> Result<bool> {
        peer::is_team_device(&self.cx, peer).await
    }

    /// A direct-sync session with `peer` over every document's heads, summarised against
    /// what the two agreed when they last met.
    pub async fn peer_session(&self, peer: &[u8; 32]) -> Result<PeerSession> {
        peer::peer_session(&self.cx, peer).await
    }

    // ---- peer_link -----------------------------------------------------------------------

    /// Runs a direct sync with an authenticated team device over a byte stream.
    pub async fn sync_with_peer_stream(
        &self,
        peer: [u8; 32],
        r: impl tokio::io::AsyncRead + Unpin,
        w: impl tokio::io::AsyncWrite + Unpin,
    ) -> Result<PeerReport> {
        peer_link::sync_with_peer_stream(&self.cx, peer, r, w).await
    }

    /// Dials a device by address and syncs directly with it: every document with a device
    /// of this team; with a device of a team this team shares records with, the letters
    /// the relay would carry between the two (changes to the shared records, referrals).
    pub async fn sync_with_peer(&self, peer: &crate::sync::transport::RelayAddress) -> Result<PeerReport> {
        peer_link::sync_with_peer(&self.cx, peer).await
    }

    /// Listens for team devices and syncs with each that connects, one at a time, until
    /// `stop` completes. `ready` gets the address to give the other devices.
    pub async fn listen(
        &self,
        bind: std::net::SocketAddr,
        ready: impl FnOnce(&crate::sync::transport::RelayAddress),
        on_sync: impl FnMut(Result<PeerReport>),
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        peer_link::listen(&self.cx, bind, ready, on_sync, stop).await
    }

    /// Team devices listening on the local network, found by mDNS within `wait`. Needs no
    /// internet, DNS or relay.
    pub async fn nearby_devices(
        &self,
        wait: std::time::Duration,
    ) -> Result<Vec<crate::sync::transport::RelayAddress>> {
        peer_link::nearby_devices(&self.cx, wait).await
    }

    // ---- record --------------------------------------------------------------------------

    /// Address, phone, access notes (key safe, dog), gender and GP practice.
    pub async fn update_details(&self, patient: PatientId, u: DetailsUpdate) -> Result<()> {
        record::update_details(&self.cx, patient, u).await
    }

    pub async fn add_problem(&self, patient: PatientId, new: NewProblem) -> Result<String> {
        record::add_problem(&self.cx, patient, new).await
    }

    /// Changes a care plan problem: title, status (review, resolve, close), review date, owner.
    pub async fn update_problem(
        &self,
        patient: PatientId,
        problem: &str,
        update: ProblemUpdate,
    ) -> Result<String> {
        record::update_problem(&self.cx, patient, problem, update).await
    }

    pub async fn add_medicine(&self, patient: PatientId, new: NewMedicine) -> Result<String> {
        record::add_medicine(&self.cx, patient, new).await
    }

    /// Changes a dose, frequency or route; the reason is required and kept with who and when.
    pub async fn change_medicine(
        &self,
        patient: PatientId,
        medicine: &str,
        change: MedicineChange,
    ) -> Result<String> {
        record::change_medicine(&self.cx, patient, medicine, change).await
    }

    pub async fn stop_medicine(&self, patient: PatientId, medicine: &str, reason: &str) -> Result<String> {
        record::stop_medicine(&self.cx, patient, medicine, reason).await
    }

    pub async fn add_allergy(
        &self,
        patient: PatientId,
        substance: &str,
        reaction: Option<String>,
        severity: AllergySeverity,
    ) -> Result<String> {
        record::add_allergy(&self.cx, patient, substance, reaction, severity).await
    }

    pub async fn add_alert(&self, patient: PatientId, kind: AlertKind, text: &str) -> Result<String> {
        record::add_alert(&self.cx, patient, kind, text).await
    }

    pub async fn end_alert(&self, patient: PatientId, alert: &str) -> Result<String> {
        record::end_alert(&self.cx, patient, alert).await
    }

    /// A note by a carer or family member, in their own words, labelled as theirs.
    pub async fn add_carer_note(&self, patient: PatientId, text: &str) -> Result<String> {
        record::add_carer_note(&self.cx, patient, text).await
    }

    pub async fn add_task(
        &self,
        patient: PatientId,
        title: &str,
        assignee_role: Role,
        due: Option<NaiveDate>,
        source: EntrySource,
    ) -> Result<String> {
        record::add_task(&self.cx, patient, title, assignee_role, due, source).await
    }

    pub async fn set_task_status(
        &self,
        patient: PatientId,
        task: &str,
        status: TaskStatus,
    ) -> Result<String> {
        record::set_task_status(&self.cx, patient, task, status).await
    }

    /// Records consent to share with the team and the national data opt-out, as the
    /// patient gave them.
    pub async fn set_consent(
        &self,
        patient: PatientId,
        share_with_team: bool,
        national_data_opt_out: bool,
    ) -> Result<()> {
        record::set_consent(&self.cx, patient, share_with_team, national_data_opt_out).await
    }

    // ---- referral ------------------------------------------------------------------------

    /// Refers the patient to a team this team trusts (`team`: its name or id), with the
    /// reason: only with the patient's settled consent to share with that team. The
    /// record and its visit notes go, sealed to that team, at the next sync.
    pub async fn refer(
        &self,
        patient: PatientId,
        team: &str,
        reason: &str,
        urgent: bool,
    ) -> Result<ReferralSent> {
        referral::refer(&self.cx, patient, team, reason, urgent).await
    }

    // ---- referral_inbox ------------------------------------------------------------------

    /// The referrals this team received, newest first: urgent ones waiting for an answer
    /// before the rest.
    pub async fn referrals(&self) -> Result<Vec<Referral>> {
        referral_inbox::referrals(&self.cx).await
    }

    /// How many referrals this team received are waiting for an answer (none on a device
    /// not yet in a shared team).
    pub async fn referrals_waiting(&self) -> Result<usize> {
        referral_inbox::referrals_waiting(&self.cx).await
    }

    /// What this team may read of a referred patient's record before accepting: the
    /// banner, the end of life plan, the care plan and the medicines. Audited.
    pub async fn referral_summary(&self, id: &str) -> Result<ReferralSummary> {
        referral_inbox::referral_summary(&self.cx, id).await
    }

    /// Accepts a referral: the patient's record and visit notes are taken in (each change
    /// checked against the referring team's devices), the patient goes on this team's
    /// caseload, and the referring team is told.
    pub async fn accept_referral(&self, id: &str) -> Result<PatientId> {
        referral_inbox::accept_referral(&self.cx, id).await
    }

    /// Declines a referral with the reason, which the referring team is told. The record
    /// the referral carried is no longer kept.
    pub async fn decline_referral(&self, id: &str, reason: &str) -> Result<()> {
        referral_inbox::decline_referral(&self.cx, id, reason).await
    }

    // ---- reindex -------------------------------------------------------------------------

    /// Rebuilds every query table from the documents. A document that cannot be read is
    /// reported and left out; the others are indexed.
    pub async fn reindex(&self) -> Result<ReindexReport> {
        reindex::reindex(&self.cx).await
    }

    // ---- round_state ---------------------------------------------------------------------

    /// Keeps the round in progress (or, with `None`, forgets it once it has ended).
    pub async fn keep_round(&self, round: Option<&RoundInProgress>) -> Result<()> {
        round_state::keep_round(&self.cx, round).await
    }

    /// The round this device was in the middle of, if any.
    pub async fn round_in_progress(&self) -> Result<Option<RoundInProgress>> {
        round_state::round_in_progress(&self.cx).await
    }

    // ---- share_end -----------------------------------------------------------------------

    /// Ends the sharing of the patient's record with `team` (its name or id), with the
    /// reason: that team gets nothing more of it from now, and is told.
    pub async fn end_share(&self, patient: PatientId, team: &str, reason: &str) -> Result<()> {
        share_end::end_share(&self.cx, patient, team, reason).await
    }

    /// How long this team keeps a read-only copy after another team ends a share (the
    /// team's policy; admins only).
    pub async fn set_ended_share_retention(&self, days: u64) -> Result<()> {
        share_end::set_ended_share_retention(&self.cx, days).await
    }

    /// The teams this record is shared with, and since when; ended shares say so.
    pub async fn shared_with(&self, patient: PatientId) -> Result<Vec<SharedWith>> {
        share_end::shared_with(&self.cx, patient).await
    }

    /// Why this team's copy of the record is read-only ("the share of this record was
    /// ended by ..."), if it is.
    pub async fn read_only_copy(&self, patient: PatientId) -> Result<Option<String>> {
        share_end::read_only_copy(&self.cx, patient).await
    }

    // ---- share_repair --------------------------------------------------------------------

    /// Counts every document of `patient`'s record as held by `team` (a partner's name) as
    /// it is now, as if a letter of it had gone and been taken in: a letter lost, for the
    /// tests.
    #[cfg(feature = "test-support")]
    pub async fn test_count_as_held(&self, team: &str, patient: PatientId) -> Result<()> {
        share_repair::test_count_as_held(&self.cx, team, patient).await
    }

    // ---- shared_record -------------------------------------------------------------------

    /// Posts, for the next sync, a letter of changes to `team` (a partner's name) as a
    /// modified device of this team could: about `patient`, with `documents` as (id, kind,
    /// Automerge changes, signed heads). For the attack tests.
    #[cfg(feature = "test-support")]
    pub async fn test_post_changes(
        &self,
        team: &str,
        patient: PatientId,
        documents: Vec<ForgedDocument>,
    ) -> Result<()> {
        shared_record::test_post_changes(&self.cx, team, patient, documents).await
    }

    // ---- sharing -------------------------------------------------------------------------

    /// This team's sharing card, signed by this admin's device, with the organisation's
    /// ODS code (given once, then kept on the team).
    pub async fn team_card(&self, ods_code: Option<&str>) -> Result<TeamCardView> {
        sharing::team_card(&self.cx, ods_code).await
    }

    /// Checks another team's card and says whom it names, before anyone trusts it.
    pub async fn read_team_card(&self, text: &str) -> Result<TeamCardView> {
        sharing::read_team_card(&self.cx, text).await
    }

    /// Trusts another team's card, so that this team may refer patients to it. An admin
    /// does this once they have compared the card's fingerprint with the other team's
    /// admin, out of band; `fingerprint` is what they were read, and must match.
    pub async fn trust_team(&self, text: &str, fingerprint: &str) -> Result<TeamCardView> {
        sharing::trust_team(&self.cx, text, fingerprint).await
    }

    /// Records whether the patient agrees to share their record with another team this
    /// team trusts (`team`: its name, or its id or the start of it). Asked team by team: a
    /// referral to a team needs the patient's yes for that team.
    pub async fn set_sharing_consent(&self, patient: PatientId, team: &str, agreed: bool) -> Result<()> {
        sharing::set_sharing_consent(&self.cx, patient, team, agreed).await
    }

    /// The teams this team trusts, by name.
    pub async fn partner_teams(&self) -> Result<Vec<TeamCardView>> {
        sharing::partner_teams(&self.cx).await
    }

    // ---- sync ----------------------------------------------------------------------------

    /// Pushes what the relay lacks and pulls everything after this device's cursor.
    pub async fn sync(
        &self,
        relay: &RelayAddress,
        progress: impl FnMut(&SyncProgress),
    ) -> Result<SyncReport> {
        sync::sync(&self.cx, relay, progress).await
    }

    /// The device's public key: its iroh endpoint id.
    pub fn device_public_key(&self) -> [u8; 32] {
        sync::device_public_key(&self.cx)
    }

    /// Syncs over any link to a relay (iroh, or in memory).
    pub async fn sync_via<L: Link>(
        &self,
        link: &mut L,
        progress: impl FnMut(&SyncProgress),
    ) -> Result<SyncReport> {
        sync::sync_via(&self.cx, link, progress).await
    }

    /// Records, visits and team changes made here that the relay does not have yet.
    pub async fn only_on_this_device(&self) -> Result<OnlyOnThisDevice> {
        sync::only_on_this_device(&self.cx).await
    }

    /// The relay this device last synced with.
    pub async fn remembered_relay(&self) -> Result<Option<RelayAddress>> {
        sync::remembered_relay(&self.cx).await
    }

    /// Tries to open a bundle from the relay's log at `position` with this device's keys,
    /// as a sync would: for checking what a device can and cannot read.
    pub async fn open_relay_bundle(
        &self,
        entry: &LogEntry,
        position: u64,
    ) -> Result<BundleBody, crate::sync::bundle::BundleError> {
        sync::open_relay_bundle(&self.cx, entry, position).await
    }

    /// A document's Automerge heads, to compare devices.
    pub async fn document_heads(&self, id: [u8; 16], kind: DocumentKind) -> Result<Option<Vec<ChangeHash>>> {
        sync::document_heads(&self.cx, id, kind).await
    }

    /// A session plan from the store: cursor, registry, outbox.
    pub async fn start_session(&self) -> Result<(ClientSession, Option<i64>)> {
        sync::start_session(&self.cx).await
    }

    // ---- sync_history --------------------------------------------------------------------

    /// Every path this device has synced on, the relay first, with the last attempt and the
    /// last success on each.
    pub async fn sync_history(&self) -> Result<Vec<SyncPathView>> {
        sync_history::sync_history(&self.cx).await
    }

    // ---- team ----------------------------------------------------------------------------

    /// Whether this device is in a shared team (it holds a team key), and so has anyone to
    /// sync with.
    pub async fn in_shared_team(&self) -> Result<bool> {
        team::in_shared_team(&self.cx).await
    }

    /// Makes this device's team a shared team: its first key, its name, and the signed
    /// charter that makes this clinician its first admin (published at the next sync).
    pub async fn create_team(&self, name: &str) -> Result<Team> {
        team::create_team(&self.cx, name).await
    }

    /// A one-time enrolment code for a new device, valid for `valid_for`. The invite and
    /// its sealed offer are left at the relay at the next sync.
    pub async fn invite_device(&self, admin: bool, valid_for: chrono::Duration) -> Result<Invitation> {
        team::invite_device(&self.cx, admin, valid_for).await
    }

    /// Every device of the team, from the team document and the registry.
    pub async fn devices(&self) -> Result<Vec<DeviceListing>> {
        team::devices(&self.cx).await
    }

    /// Revokes a device (by its id or the start of it): marked in the team document,
    /// refused by the relay from the next sync, and the team key rotated so that bundles
    /// written from now on are closed to it.
    pub async fn revoke_device(&self, device: &str, reason: &str) -> Result<DeviceListing> {
        team::revoke_device(&self.cx, device, reason).await
    }

    /// This device's team keys, for a test that seals as this device would.
    #[cfg(feature = "test-support")]
    pub async fn test_keyring(&self) -> Result<Option<Keyring>> {
        team::test_keyring(&self.cx).await
    }

    /// This device's key, for a test that signs as this device would.
    #[cfg(feature = "test-support")]
    pub fn test_device_key(&self) -> DeviceKey {
        team::test_device_key(&self.cx)
    }

    /// The registry this device last confirmed.
    #[cfg(feature = "test-support")]
    pub async fn test_registry(&self) -> Result<Registry> {
        team::test_registry(&self.cx).await
    }

    // ---- visit_draft ---------------------------------------------------------------------

    /// Keeps what is typed into an unsigned visit, durably; an empty draft is removed. Not
    /// audited: nothing enters the record until it is saved.
    pub async fn put_visit_draft(&self, visit: VisitId, draft: &VisitDraft) -> Result<()> {
        visit_draft::put_visit_draft(&self.cx, visit, draft).await
    }

    /// What was typed into a visit and not saved yet.
    pub async fn visit_draft(&self, visit: VisitId) -> Result<Option<VisitDraft>> {
        visit_draft::visit_draft(&self.cx, visit).await
    }

    /// The visit most recently typed into, to go back to after unlocking.
    pub async fn visit_in_progress(&self) -> Result<Option<(PatientId, VisitId)>> {
        visit_draft::visit_in_progress(&self.cx).await
    }

    /// Saves everything typed into the visit (observations, wound assessment, note) in one
    /// transaction, and clears the draft. Nothing is saved if any part is invalid.
    pub async fn save_visit_draft(&self, visit: VisitId) -> Result<SavedDraft> {
        visit_draft::save_visit_draft(&self.cx, visit).await
    }

    /// Cancels an unsigned visit (started by mistake, or abandoned), with the reason. The
    /// visit stays, read-only, with anything typed and not saved kept in it; audited.
    pub async fn cancel_visit(&self, visit: VisitId, reason: &str) -> Result<()> {
        visit_draft::cancel_visit(&self.cx, visit, reason).await
    }

    /// This clinician's visits of the last 30 days that are neither signed nor cancelled,
    /// oldest first.
    pub async fn open_visits(&self) -> Result<Vec<OpenVisit>> {
        visit_draft::open_visits(&self.cx).await
    }

    // ---- visit ---------------------------------------------------------------------------

    pub async fn start_visit(&self, patient: PatientId) -> Result<VisitId> {
        visit::start_visit(&self.cx, patient).await
    }

    /// Records a set of vital signs and returns the NEWS2 score on the record's SpO2 scale.
    /// The scale is the record's, set by a clinician with [`Workspace::set_scale2`]; a
    /// reading never changes it.
    pub async fn record_observations(
        &self,
        visit: VisitId,
        obs: Observations,
    ) -> Result<RecordedObservations> {
        visit::record_observations(&self.cx, visit, obs).await
    }

    /// Adds an action (done at the visit, or to do) to an unsigned visit.
    pub async fn add_action(&self, visit: VisitId, text: &str, done: bool) -> Result<String> {
        visit::add_action(&self.cx, visit, text, done).await
    }

    /// Records a structured wound assessment on an unsigned visit, by this clinician, now.
    pub async fn record_wound(&self, visit: VisitId, wound: NewWound) -> Result<String> {
        visit::record_wound(&self.cx, visit, wound).await
    }

    /// Adds a paragraph to the visit's narrative note.
    pub async fn add_note(&self, visit: VisitId, text: &str) -> Result<()> {
        visit::add_note(&self.cx, visit, text).await
    }

    /// Signs the visit with this device's key; the body is read-only from then on.
    pub async fn sign_visit(&self, visit: VisitId) -> Result<Signature> {
        visit::sign_visit(&self.cx, visit).await
    }

    /// Adds an attributed, timed correction to a signed visit; the signed body is untouched.
    pub async fn add_addendum(&self, visit: VisitId, text: &str) -> Result<String> {
        visit::add_addendum(&self.cx, visit, text).await
    }

    /// Opens a visit note for reading: recorded in the audit log.
    pub async fn open_visit(&self, visit: VisitId) -> Result<VisitView> {
        visit::open_visit(&self.cx, visit).await
    }
}
