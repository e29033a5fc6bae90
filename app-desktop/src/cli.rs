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
    #[command(subcommand)]
    pub command: Command,
}

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
    /// Patients on the caseload.
    #[command(subcommand)]
    Patient(PatientCommand),
    /// Visits: start, observations with NEWS2, note, sign.
    #[command(subcommand)]
    Visit(VisitCommand),
    /// Tasks due.
    #[command(subcommand)]
    Tasks(TasksCommand),
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
    /// Set or clear SpO2 Scale 2 (confirmed hypercapnic respiratory failure) on the record.
    Scale2 {
        nhs: String,
        /// Clear Scale 2 instead of setting it.
        #[arg(long)]
        off: bool,
        /// Why (required to set it).
        #[arg(long, default_value = "")]
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
    /// Record observations; prints NEWS2 and what to do. Any may be left out (the score is then partial).
    Obs(ObsArgs),
    /// Add to the visit's narrative note.
    Note {
        visit: String,
        #[arg(long)]
        text: String,
    },
    /// Sign the visit; its note can no longer be changed.
    Sign { visit: String },
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
    /// Score SpO2 on Scale 2 (confirmed hypercapnic respiratory failure); sets it on the record.
    #[arg(long)]
    pub scale2: bool,
    /// On supplemental oxygen (otherwise: on air).
    #[arg(long, conflicts_with = "air")]
    pub oxygen: bool,
    /// On air (the default).
    #[arg(long)]
    pub air: bool,
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
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// The patient record's Automerge document, unencrypted (audited).
    Document {
        /// NHS number.
        #[arg(long)]
        patient: String,
        #[arg(long)]
        out: PathBuf,
    },
}
