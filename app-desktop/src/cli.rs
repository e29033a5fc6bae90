//! The command line's shape (clap).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "hedgerow",
    version,
    about = "Hedgerow: the shared care record for community nursing, GP and hospice teams, offline first"
)]
pub struct Cli {
    /// Where this device keeps its encrypted store (default: the platform's data directory).
    #[arg(long, global = true, env = "HEDGEROW_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Print one JSON document on stdout instead of text, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    /// Read a record that is not on your team's caseload, stating why: recorded, flagged
    /// for review, and good for 30 minutes on this device.
    #[arg(long, global = true, value_name = "REASON")]
    pub break_glass: Option<String>,
    /// Without a command, the desktop app opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

// Parsed once per run: the size of the largest variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Set up this device for a clinician: a new encrypted store and a team.
    Init {
        /// The clinician's full name.
        #[arg(long)]
        clinician: String,
        /// district-nurse, community-nurse, gp, hospice-nurse, palliative-consultant,
        /// healthcare-assistant, therapist, care-home-staff, carer, admin.
        #[arg(long)]
        role: String,
        /// NMC PIN, GMC number or HCPC registration.
        #[arg(long)]
        registration: Option<String>,
        /// The team's name (default: "<clinician>'s team").
        #[arg(long)]
        team: Option<String>,
    },
    /// The shared team: create it, invite a device, join one.
    #[command(subcommand)]
    Team(TeamCommand),
    /// The team's devices: list them, revoke one (admins).
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Send this device's changes to the relay and fetch everyone else's; or, with
    /// --peer, sync directly with a team device nearby (no internet needed).
    Sync {
        /// The relay's address, as hedgerow-relay prints it (ENDPOINT_ID@IP:PORT);
        /// remembered after the first sync.
        #[arg(long, conflicts_with = "peer")]
        relay: Option<String>,
        /// A device's address, as `hedgerow listen` prints it: a team device syncs every
        /// record; a device of a team yours shares records with gets the letters about
        /// those records only.
        #[arg(long, conflicts_with = "nearby")]
        peer: Option<String>,
        /// Find team devices listening on this network (mDNS) and sync with each.
        #[arg(long, conflicts_with = "relay")]
        nearby: bool,
    },
    /// Wait for team devices to sync directly with this one, and for devices of teams
    /// yours shares records with to hand over letters (Ctrl-C to stop).
    Listen {
        /// The UDP address to listen on.
        #[arg(long, default_value = "0.0.0.0:4920")]
        listen: std::net::SocketAddr,
        /// Stop after this many syncs (for scripts).
        #[arg(long)]
        count: Option<usize>,
    },
    /// Patients on the caseload.
    #[command(subcommand)]
    Patient(PatientCommand),
    /// Visits: start, observations with NEWS2, note, sign.
    #[command(subcommand)]
    Visit(VisitCommand),
    /// Tasks between clinicians and teams.
    #[command(subcommand)]
    Tasks(TasksCommand),
    /// The care plan: problems and needs, goals, interventions.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Medicines: add, change (dose, frequency, route), stop.
    #[command(subcommand)]
    Meds(MedsCommand),
    /// Allergies.
    #[command(subcommand)]
    Allergy(AllergyCommand),
    /// Alerts shown on every view (lone worker, access, safeguarding...).
    #[command(subcommand)]
    Alert(AlertCommand),
    /// The people a nurse calls: next of kin, lasting power of attorney, the main carer.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// End of life: EPaCCS items, ReSPECT, the CPR recommendation.
    #[command(subcommand)]
    Eol(EolCommand),
    /// Record consent to share and the national data opt-out.
    Consent {
        nhs: String,
        /// Consent to share the record with the care team: yes or no.
        #[arg(long)]
        share: YesNo,
        /// National data opt-out registered: yes or no.
        #[arg(long)]
        opt_out: YesNo,
    },
    /// Record whether the patient agrees to share their record with another team your team
    /// trusts (asked team by team, before any referral to it).
    ShareConsent {
        nhs: String,
        /// The other team: its name as `hedgerow team partners` shows it, or its id.
        #[arg(long)]
        team: String,
        /// yes or no.
        #[arg(long)]
        share: YesNo,
    },
    /// Refer the patient to another team your team trusts, with the record and its visit
    /// notes (sent at the next sync; needs the patient's consent to share with that team).
    Refer {
        nhs: String,
        /// The receiving team: its name as `hedgerow team partners` shows it, or its id.
        #[arg(long)]
        to: String,
        /// Why: the receiving team reads it first.
        #[arg(long)]
        reason: String,
        #[arg(long)]
        urgent: bool,
    },
    /// The teams a patient's record is shared with; end a share.
    Share {
        #[command(subcommand)]
        action: ShareCommand,
    },
    /// The referrals your team received; show, accept or decline one.
    Referrals {
        #[command(subcommand)]
        action: Option<ReferralsCommand>,
    },
    /// For carers and family: a note in your own words, kept apart from clinical entries.
    CarerNote {
        nhs: String,
        #[arg(long)]
        text: String,
    },
    /// Fields where clinicians disagreed: list them, or resolve one by choosing a value.
    Conflicts {
        /// One patient (NHS number); without it, every patient with open conflicts.
        nhs: Option<String>,
        #[command(subcommand)]
        action: Option<ConflictsCommand>,
    },
    /// The day at a glance: who needs attention, your unsigned visits, tasks and reviews due,
    /// visits today (the desktop app's Today, triaged by the same rules).
    Today {
        /// YYYY-MM-DD (default today).
        #[arg(long)]
        on: Option<String>,
    },
    /// Before a visit: what changed since your last visit (plan, medicines, notes by others,
    /// NEWS2 trend, open tasks, conflicts).
    Briefing { nhs: String },
    /// Every value a field of a record has had, with who and when.
    History {
        nhs: String,
        /// The field's path, as `conflicts` and `patient show --json` name it, e.g. medicines/3fa2c0de/dose.
        field: String,
    },
    /// Bring in a document exported on another device (`hedgerow export document`).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export a record.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Fill the workspace with a fictional caseload (creating a demo workspace if there is none).
    Demo {
        /// How many patients.
        #[arg(long, default_value_t = 50)]
        patients: usize,
        /// Seed for the random choices, to repeat a caseload.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Rebuild the caseload, visit, task and NEWS2 tables from the documents.
    Reindex,
    /// Who viewed, changed or exported records, when, from which device.
    Audit {
        /// Only this patient's entries (NHS number).
        #[arg(long)]
        patient: Option<String>,
        /// Only entries flagged for review (break-glass, refusals, a broken log).
        #[arg(long)]
        flagged: bool,
        /// The whole team's log, from every device (team admins' devices).
        #[arg(long, conflicts_with = "patient")]
        team: bool,
    },
    /// Who this device is: clinician, device and team.
    Whoami,
}

#[derive(Subcommand, Debug)]
pub enum PatientCommand {
    /// Add a patient to the caseload.
    Add {
        /// NHS number: 10 digits with a valid check digit (spaces allowed).
        #[arg(long)]
        nhs: String,
        #[arg(long)]
        name: String,
        /// Date of birth, YYYY-MM-DD.
        #[arg(long)]
        dob: String,
        #[arg(long)]
        address: Option<String>,
    },
    /// Change a patient's details: those given change (an empty value clears it).
    Update {
        nhs: String,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        /// How to get in: key safe, dog, parking.
        #[arg(long)]
        access_notes: Option<String>,
        #[arg(long)]
        preferred_name: Option<String>,
        /// female, male, other, unknown.
        #[arg(long)]
        gender: Option<String>,
        /// The GP practice's name (with --gp-ods and --gp-phone).
        #[arg(long)]
        gp_name: Option<String>,
        /// The practice's ODS code, e.g. Y12345.
        #[arg(long, requires = "gp_name")]
        gp_ods: Option<String>,
        #[arg(long, requires = "gp_name")]
        gp_phone: Option<String>,
    },
    /// The caseload, or the patients matching a search.
    List {
        /// Part of a name, or the start of an NHS number.
        #[arg(long)]
        search: Option<String>,
        /// Show at most this many.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// One patient's record (recorded in the audit log).
    Show {
        /// NHS number.
        nhs: String,
    },
    /// The record as it stood at a moment (from its own history).
    AsOf {
        nhs: String,
        /// "YYYY-MM-DD HH:MM[:SS]" in local time, or RFC 3339.
        #[arg(long)]
        at: String,
    },
    /// What changed in the record between two moments, field by field.
    Changes {
        nhs: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: Option<String>,
    },
    /// Set or clear SpO2 Scale 2 (confirmed hypercapnic respiratory failure) on the record.
    Scale2 {
        nhs: String,
        /// Clear Scale 2 instead of setting it.
        #[arg(long)]
        off: bool,
        /// Why: to set it, the confirmed hypercapnic respiratory failure; to clear it, why it
        /// no longer applies. Kept on the record.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum VisitCommand {
    /// Start a visit for a patient; prints the visit id.
    Start {
        /// NHS number.
        nhs: String,
    },
    /// Record observations; prints NEWS2 and what to do. Any may be left out, air or oxygen
    /// included (say --air or --oxygen): the score is then partial.
    Obs(ObsArgs),
    /// Record a structured wound assessment.
    Wound {
        visit: String,
        /// Where, e.g. "left gaiter, medial".
        #[arg(long)]
        site: String,
        #[arg(long)]
        length_cm: f64,
        #[arg(long)]
        width_cm: f64,
        #[arg(long)]
        depth_cm: Option<f64>,
        /// Wound bed, e.g. "granulating 80%, slough 20%".
        #[arg(long)]
        tissue: Option<String>,
        /// none, low, moderate, high.
        #[arg(long, default_value = "low")]
        exudate: String,
        /// Signs of infection present.
        #[arg(long)]
        infection: bool,
        /// Pain, 0 to 10.
        #[arg(long)]
        pain: Option<i64>,
        #[arg(long)]
        dressing: Option<String>,
    },
    /// Add to the visit's narrative note.
    Note {
        visit: String,
        #[arg(long)]
        text: String,
    },
    /// Sign the visit; its note can no longer be changed.
    Sign { visit: String },
    /// Add an action: done at the visit, or to do next.
    Action {
        visit: String,
        #[arg(long)]
        text: String,
        /// Already done (otherwise: to do).
        #[arg(long)]
        done: bool,
    },
    /// Add an attributed correction to a signed visit.
    Addendum {
        visit: String,
        #[arg(long)]
        text: String,
    },
    /// Show a visit with its observations, NEWS2 and signature.
    Show { visit: String },
}

#[derive(Args, Debug)]
pub struct ObsArgs {
    pub visit: String,
    /// Respiration rate, breaths per minute.
    #[arg(long)]
    pub resp_rate: Option<u16>,
    /// Oxygen saturation, %.
    #[arg(long)]
    pub spo2: Option<u16>,
    /// Breathing room air. Give --air or --oxygen: with neither, air or oxygen is not
    /// recorded and the score is partial. (Scale 2 is set on the record with `patient scale2`.)
    #[arg(long, conflicts_with = "oxygen")]
    pub air: bool,
    /// On supplemental oxygen.
    #[arg(long)]
    pub oxygen: bool,
    /// Systolic blood pressure, mmHg.
    #[arg(long)]
    pub systolic: Option<u16>,
    /// Pulse, beats per minute.
    #[arg(long)]
    pub pulse: Option<u16>,
    /// ACVPU: A (alert), C (new confusion), V (voice), P (pain), U (unresponsive).
    #[arg(long)]
    pub consciousness: Option<String>,
    /// Temperature, °C.
    #[arg(long)]
    pub temp: Option<f64>,
}

#[derive(Subcommand, Debug)]
pub enum TasksCommand {
    /// Open tasks due on or before a date (default today).
    Due {
        /// YYYY-MM-DD.
        #[arg(long)]
        on: Option<String>,
    },
    /// Add a task to a patient's record.
    Add {
        nhs: String,
        #[arg(long)]
        title: String,
        /// Who should do it (a role, e.g. district-nurse, gp).
        #[arg(long)]
        assignee_role: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        due: Option<String>,
        /// clinical (default), carer or family: entries by carers and family are labelled as theirs.
        #[arg(long, default_value = "clinical")]
        source: String,
    },
    /// Mark a task done.
    Done { nhs: String, task: String },
    /// Cancel a task.
    Cancel { nhs: String, task: String },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum YesNo {
    Yes,
    No,
}

impl YesNo {
    pub fn yes(self) -> bool {
        matches!(self, YesNo::Yes)
    }
}

#[derive(Subcommand, Debug)]
pub enum PlanCommand {
    /// Add a problem or need, with a first goal and intervention.
    Add {
        nhs: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        detail: Option<String>,
        /// Role that owns it (default: yours).
        #[arg(long)]
        owner_role: Option<String>,
        /// Review date, YYYY-MM-DD.
        #[arg(long)]
        review: Option<String>,
        #[arg(long)]
        goal: Option<String>,
        #[arg(long)]
        intervention: Option<String>,
        /// How often the intervention is done, e.g. "twice weekly".
        #[arg(long)]
        frequency: Option<String>,
    },
    /// Change a problem: title, status (active, resolved, closed), review date, owner.
    Update {
        nhs: String,
        /// The problem's id (or its first characters), as `patient show` lists it.
        item: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        review: Option<String>,
        #[arg(long)]
        owner_role: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum MedsCommand {
    /// Add a medicine.
    Add {
        nhs: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        dose: String,
        /// oral, subcutaneous, intramuscular, topical, transdermal, inhaled, other.
        #[arg(long)]
        route: String,
        #[arg(long)]
        frequency: String,
        /// dm+d concept id.
        #[arg(long)]
        dmd: Option<String>,
        /// An anticipatory ("just in case") medicine.
        #[arg(long)]
        anticipatory: bool,
        /// Where it is kept in the home.
        #[arg(long)]
        kept_at: Option<String>,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Change a dose, frequency or route, with the reason.
    Change {
        nhs: String,
        item: String,
        #[arg(long)]
        dose: Option<String>,
        #[arg(long)]
        frequency: Option<String>,
        #[arg(long)]
        route: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// Stop a medicine, with the reason.
    Stop {
        nhs: String,
        item: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AllergyCommand {
    Add {
        nhs: String,
        #[arg(long)]
        substance: String,
        #[arg(long)]
        reaction: Option<String>,
        /// mild, moderate, severe, unknown.
        #[arg(long, default_value = "unknown")]
        severity: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AlertCommand {
    Add {
        nhs: String,
        /// lone-worker, access, safeguarding, infection, communication, clinical.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        text: String,
    },
    /// Mark an alert as no longer active.
    End { nhs: String, item: String },
}

#[derive(Subcommand, Debug)]
pub enum ContactCommand {
    Add {
        nhs: String,
        #[arg(long)]
        name: String,
        /// spouse, partner, child, sibling, friend, neighbour, paid-carer, other.
        #[arg(long)]
        relationship: String,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        next_of_kin: bool,
        #[arg(long)]
        main_carer: bool,
        /// Lasting power of attorney held: health-and-welfare, property-and-financial or both.
        #[arg(long)]
        lpa: Option<String>,
    },
    /// Take someone off the patient's contacts.
    Remove { nhs: String, item: String },
}

// Parsed once per run: the size of the largest variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum EolCommand {
    /// Record the CPR recommendation, made now by you.
    Cpr {
        nhs: String,
        /// attempt-cpr or do-not-attempt-cpr.
        #[arg(long)]
        recommendation: String,
        #[arg(long)]
        discussed_with: Option<String>,
        /// The clinical reason for the decision (kept in the audit log and the history).
        #[arg(long)]
        reason: String,
    },
    /// Set EPaCCS and ReSPECT items; those not given stay as they are.
    /// Places: home, care-home, hospice, hospital, other, not-discussed.
    Set {
        nhs: String,
        #[arg(long)]
        register: Option<YesNo>,
        #[arg(long)]
        place_of_care: Option<String>,
        #[arg(long)]
        place_of_care_second: Option<String>,
        #[arg(long)]
        place_of_death: Option<String>,
        #[arg(long)]
        place_of_death_second: Option<String>,
        /// ReSPECT clinical recommendation, e.g. "symptom control at home".
        #[arg(long)]
        ceiling: Option<String>,
        #[arg(long)]
        summary: Option<String>,
        #[arg(long)]
        preferences: Option<String>,
        /// People to involve in decisions (repeat for several).
        #[arg(long)]
        involve: Vec<String>,
        #[arg(long)]
        capacity: Option<YesNo>,
        #[arg(long)]
        key_worker: Option<String>,
        #[arg(long)]
        hospice: Option<String>,
        /// Where the anticipatory ("just in case") medicines are kept.
        #[arg(long)]
        jic_location: Option<String>,
        /// ReSPECT review date, YYYY-MM-DD.
        #[arg(long)]
        review: Option<String>,
        /// ReSPECT care focus: prioritise-sustaining-life, balance, prioritise-comfort.
        #[arg(long)]
        care_focus: Option<String>,
        /// The clinician's reasons for the care focus.
        #[arg(long)]
        care_focus_reasons: Option<String>,
        /// Who was involved in the plan: patient-involved, legal-proxy-involved,
        /// family-involved, not-involved.
        #[arg(long)]
        involvement: Option<String>,
        /// Names of those involved, or why it was not discussed.
        #[arg(long)]
        involvement_detail: Option<String>,
        /// Legal proxy or health and welfare attorney, with how to reach them.
        #[arg(long)]
        legal_proxy: Option<String>,
        /// Where an advance decision to refuse treatment is kept.
        #[arg(long)]
        advance_decision: Option<String>,
    },
    /// Record the actual place and date of death.
    Death {
        nhs: String,
        /// home, care-home, hospice, hospital, other.
        #[arg(long)]
        place: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        date: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ShareCommand {
    /// The teams the record is shared with, since when, and the shares that ended.
    List { nhs: String },
    /// End the share with a team (discharged, or consent withdrawn): it gets nothing
    /// more of the record, and keeps what it had read-only for its retention period.
    End {
        nhs: String,
        #[arg(long)]
        team: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReferralsCommand {
    /// What the referral says and the summary of the record (audited).
    Show { id: String },
    /// Take the patient on: the record comes onto your team's caseload.
    Accept { id: String },
    /// Decline, with the reason the referring team is told.
    Decline {
        id: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConflictsCommand {
    /// Resolve one conflict by choosing a value (numbered as listed).
    Resolve {
        field: String,
        #[arg(long)]
        choose: usize,
        /// Why this value (kept in the audit log with the choice).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Seed or update demographics, allergies and medicines from a GP system's FHIR Bundle.
    Fhir { file: PathBuf },
    /// Merge another device's copy of a record (as `export document` writes it). Its
    /// changes must be signed by devices of your team.
    Document {
        file: PathBuf,
        /// Put the patient on this team's caseload.
        #[arg(long)]
        add_to_caseload: bool,
        /// Take in a copy no device of your team signed, giving why: it is held on this
        /// device for review, never synced, and the import is flagged.
        #[arg(long, value_name = "REASON")]
        unauthenticated: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// A FHIR R4 Bundle (UK Core) of the record and its visits, for a GP system (audited;
    /// refused if the patient has opted out or not consented to share).
    Fhir {
        /// NHS number.
        #[arg(long)]
        patient: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// A print-ready HTML summary for the paper folder left in the home (audited).
    Summary {
        /// NHS number.
        #[arg(long)]
        patient: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// The patient record's Automerge document, unencrypted (audited).
    Document {
        /// NHS number.
        #[arg(long)]
        patient: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum TeamCommand {
    /// Make this device's team a shared team, with you as its first admin.
    Create { name: String },
    /// Print a one-time enrolment code for a new device (admins).
    Invite {
        /// The new device's clinician will be a team admin.
        #[arg(long)]
        admin: bool,
        /// How long the code stays valid.
        #[arg(long, default_value_t = 24)]
        valid_hours: i64,
        /// Also write the code as a QR code PNG here.
        #[arg(long, value_name = "FILE.png")]
        qr: Option<PathBuf>,
        /// Leave the invite at this relay now (otherwise at the next sync).
        #[arg(long)]
        relay: Option<String>,
    },
    /// Print this team's sharing card, which other teams trust before they refer patients
    /// to it (admins). It holds no secret: it lets nobody read anything.
    Card {
        /// The organisation's ODS code (e.g. RJ1, A81001), kept on the team for later cards.
        #[arg(long)]
        ods: Option<String>,
        /// Also write the card as a QR code PNG here.
        #[arg(long, value_name = "FILE.png")]
        qr: Option<PathBuf>,
    },
    /// Trust another team's sharing card, after checking its fingerprint with that team's
    /// admin (admins). CARD is the card's text (HRC1-...) or a file holding it.
    Trust {
        card: String,
        /// The fingerprint the other team's admin read to you; asked for when not given.
        #[arg(long)]
        fingerprint: Option<String>,
    },
    /// The teams this team trusts.
    Partners,
    /// How many days this team keeps a read-only copy of a record after another team
    /// ends its share, before deleting it (admins; 30 if never set).
    Retention { days: u64 },
    /// Set up this device in a team with an enrolment code from an admin.
    Join {
        code: String,
        #[arg(long)]
        relay: String,
        /// Your full name.
        #[arg(long)]
        clinician: String,
        /// Your role (as for `hedgerow init`).
        #[arg(long)]
        role: String,
        #[arg(long)]
        registration: Option<String>,
        /// What to call this device in the team's list (e.g. "Nia's laptop").
        #[arg(long, default_value = "laptop")]
        label: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum DeviceCommand {
    /// Every device of the team, with who enrolled or revoked it.
    List,
    /// Revoke a lost or retired device (admins): the relay refuses it and the team key
    /// is rotated so that it cannot read anything written afterwards.
    Revoke {
        /// The device id (or enough of its start to be unique).
        device: String,
        #[arg(long)]
        reason: String,
    },
}
