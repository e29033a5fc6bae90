//! Query tables: the caseload, visits by patient, due tasks and the latest NEWS2.
//! Derived from the documents and rebuildable from them; rows are sealed, and only
//! random ids and the dates used for ordering are in the clear.

use super::{Store, WriteTx};
use crate::clinical::{NhsNumber, RiskBand};
use crate::conflicts::Conflict;
use crate::documents::patient::{CprRecommendation, PatientRecord, TaskStatus};
use crate::documents::{ClinicianRef, Role, Timestamp};
use crate::error::{Error, Result};
use crate::ids::{PatientId, VisitId};
use crate::view::{Watched, WatchedRecord};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sqlx::{Row, SqliteConnection};

/// The latest NEWS2 recorded for a patient.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LatestNews2 {
    pub total: u8,
    pub partial: bool,
    /// For an incomplete set, the band of the known part: a lower bound, never shown.
    pub band: RiskBand,
    pub recorded_at: Timestamp,
}

impl LatestNews2 {
    /// "NEWS2 6, medium risk" or "NEWS2 at least 3, incomplete".
    pub fn label(&self) -> String {
        crate::clinical::news2::short_label(self.total, self.partial, self.band)
    }

    /// The score alone, for a trend: "6", or "at least 3 (incomplete)".
    pub fn score_text(&self) -> String {
        if self.partial { format!("at least {} (incomplete)", self.total) } else { self.total.to_string() }
    }

    /// The band to colour by; `None` (a neutral colour) for an incomplete set.
    pub fn complete_band(&self) -> Option<RiskBand> {
        (!self.partial).then_some(self.band)
    }

    /// Whether the score calls for more than routine care, even if incomplete (an
    /// incomplete set that already scores 5 is at least medium).
    pub fn needs_attention(&self) -> bool {
        self.band >= RiskBand::LowMedium
    }
}

/// One row of the caseload: what the banner and the list need, without opening the record.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PatientSummary {
    pub id: PatientId,
    /// Ten digits, no spaces.
    pub nhs_number: String,
    pub name: String,
    pub date_of_birth: String,
    pub address: Option<String>,
    pub alerts: Vec<String>,
    /// Each allergy as the banner shows it, any disputed part written as disputed.
    pub allergies: Vec<String>,
    /// The CPR recommendation, or every recommendation while clinicians disagree.
    pub cpr: Watched<Option<CprRecommendation>>,
    /// Has an end of life plan (any EPaCCS or ReSPECT item).
    pub end_of_life: bool,
    pub latest_news2: Option<LatestNews2>,
    pub last_visit: Option<Timestamp>,
    pub open_tasks: u32,
    /// SpO2 Scale 2 on the record; readings are scored on it only when settled.
    pub scale2: Watched<bool>,
    /// Fields with concurrent different values awaiting a clinician's choice.
    pub open_conflicts: u32,
    /// What each of them is about, e.g. "CPR recommendation".
    pub conflicts_about: Vec<String>,
    /// Each dated review the plan calls for: active care plan items and the ReSPECT plan.
    #[serde(default)]
    pub reviews: Vec<ReviewDue>,
}

/// The caseload row as sealed in the index, field by field: private, so the view above can
/// gain fields or change its JSON without making a stored row unreadable. Fields added
/// later take `#[serde(default)]` (an older row lacks them) until INDEX_VERSION is raised
/// and every row is rebuilt on unlock.
#[derive(Serialize, Deserialize)]
#[serde(remote = "PatientSummary")]
struct PatientRow {
    id: PatientId,
    nhs_number: String,
    name: String,
    date_of_birth: String,
    address: Option<String>,
    alerts: Vec<String>,
    allergies: Vec<String>,
    cpr: Watched<Option<CprRecommendation>>,
    end_of_life: bool,
    latest_news2: Option<LatestNews2>,
    last_visit: Option<Timestamp>,
    open_tasks: u32,
    scale2: Watched<bool>,
    open_conflicts: u32,
    conflicts_about: Vec<String>,
    #[serde(default)]
    reviews: Vec<ReviewDue>,
}

/// A caseload row on its way into the index.
struct SealedRow<'a>(&'a PatientSummary);

impl Serialize for SealedRow<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        PatientRow::serialize(self.0, s)
    }
}

/// A caseload row as read back from the index.
#[derive(Deserialize)]
struct OpenedRow(#[serde(with = "PatientRow")] PatientSummary);

/// A review the record is due, on a date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReviewDue {
    /// "Care plan: Venous leg ulcer" or "ReSPECT plan".
    pub what: String,
    /// YYYY-MM-DD, as the record holds it.
    pub due: String,
}

impl ReviewDue {
    /// Days past its date on `today` (0 when due today); `None` while not yet due or when the
    /// date does not read.
    pub fn overdue_days(&self, today: chrono::NaiveDate) -> Option<i64> {
        let due = chrono::NaiveDate::parse_from_str(&self.due, "%Y-%m-%d").ok()?;
        let days = (today - due).num_days();
        (days >= 0).then_some(days)
    }
}

/// The reviews a record calls for: every active care plan item with a review date, and the
/// ReSPECT plan's review while the person is alive.
fn reviews_of(record: &PatientRecord) -> Vec<ReviewDue> {
    let mut out: Vec<ReviewDue> = record
        .care_plan
        .values()
        .filter(|p| p.status == crate::documents::patient::PlanStatus::Active)
        .filter_map(|p| {
            Some(ReviewDue { what: format!("Care plan: {}", p.title), due: p.review_date.clone()? })
        })
        .collect();
    let e = &record.end_of_life;
    if let (Some(due), None) = (&e.respect_review_date, &e.date_of_death) {
        out.push(ReviewDue { what: "ReSPECT plan".into(), due: due.clone() });
    }
    out.sort_by(|a, b| a.due.cmp(&b.due));
    out
}

#[cfg(test)]
impl PatientSummary {
    /// A caseload row with nothing recorded but who the patient is, for the core's unit tests.
    pub(crate) fn of(name: &str, nhs: &str, address: Option<&str>) -> Self {
        Self {
            id: PatientId::random(),
            nhs_number: nhs.into(),
            name: name.into(),
            date_of_birth: "1939-05-17".into(),
            address: address.map(Into::into),
            alerts: vec![],
            allergies: vec![],
            cpr: crate::view::Watched::Settled { value: None },
            end_of_life: false,
            latest_news2: None,
            last_visit: None,
            open_tasks: 0,
            scale2: crate::view::Watched::Settled { value: false },
            open_conflicts: 0,
            conflicts_about: vec![],
            reviews: vec![],
        }
    }
}

impl PatientSummary {
    /// Whether the patient belongs in "needs attention": a disagreement to settle, or a
    /// latest NEWS2 calling for more than routine care (an incomplete one counts by what
    /// it already scores).
    pub fn needs_attention(&self) -> bool {
        self.open_conflicts > 0 || self.latest_news2.as_ref().is_some_and(LatestNews2::needs_attention)
    }

    /// Orders "needs attention" worst first: disagreements, then the highest NEWS2.
    pub fn attention_rank(&self) -> impl Ord {
        std::cmp::Reverse((self.open_conflicts, self.latest_news2.as_ref().map_or(0, |n| n.total)))
    }

    /// "CPR: do not attempt CPR (DNACPR)", "CPR: no decision recorded" or "CPR: DISPUTED".
    pub fn cpr_banner(&self) -> String {
        crate::view::cpr_banner(&self.cpr)
    }

    pub fn nhs_display(&self) -> String {
        self.nhs_number
            .parse::<NhsNumber>()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| self.nhs_number.clone())
    }

    /// Age in whole years on `today`, if the date of birth is readable.
    pub fn age_on(&self, today: chrono::NaiveDate) -> Option<u32> {
        let dob = chrono::NaiveDate::parse_from_str(&self.date_of_birth, "%Y-%m-%d").ok()?;
        today.years_since(dob)
    }
}

/// One visit in a patient's list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct VisitSummary {
    pub id: VisitId,
    pub patient_id: PatientId,
    pub started_at: Timestamp,
    pub clinician: ClinicianRef,
    pub signed: bool,
    /// Cancelled before it was signed (rows written before cancelling existed lack it).
    #[serde(default)]
    pub cancelled: bool,
    pub news2: Option<LatestNews2>,
    /// The first line or so of the narrative.
    pub note_preview: String,
}

/// An open task with a due date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DueTask {
    pub patient_id: PatientId,
    pub task_id: String,
    pub title: String,
    pub due_date: String,
    pub assignee_role: Role,
}

impl DueTask {
    /// Due before `today` (a date that does not read counts as overdue: it needs looking at).
    pub fn overdue_on(&self, today: chrono::NaiveDate) -> bool {
        chrono::NaiveDate::parse_from_str(&self.due_date, "%Y-%m-%d").map_or(true, |due| due < today)
    }
}

fn patient_aad(id: &PatientId) -> Vec<u8> {
    [b"hedgerow/index/patient/".as_slice(), id.as_bytes()].concat()
}
fn visit_aad(id: &VisitId) -> Vec<u8> {
    [b"hedgerow/index/visit/".as_slice(), id.as_bytes()].concat()
}
fn task_aad(patient: &PatientId, task: &str) -> Vec<u8> {
    [b"hedgerow/index/task/".as_slice(), patient.as_bytes(), b"/", task.as_bytes()].concat()
}

fn seal_json<T: Serialize>(store: &Store, aad: &[u8], value: &T) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(value).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(store.sealer().seal(aad, &json)?)
}

fn open_json<T: DeserializeOwned>(store: &Store, aad: &[u8], sealed: &[u8]) -> Result<T> {
    let json = store.sealer().open(aad, sealed)?;
    serde_json::from_slice(&json).map_err(|e| Error::Corrupt(format!("an index row does not parse: {e}")))
}

fn blob_id<T>(row: &sqlx::sqlite::SqliteRow, col: &str, make: fn(&[u8]) -> Option<T>) -> Result<T> {
    let v: Vec<u8> = row.try_get(col)?;
    make(&v).ok_or_else(|| Error::Corrupt(format!("{col} has the wrong length")))
}

pub(super) async fn caseload(conn: &mut SqliteConnection, store: &Store) -> Result<Vec<PatientSummary>> {
    // Only the team's caseload: a record held here for any other reason is found by its NHS
    // number and opened by break-glass, never listed.
    let rows = sqlx::query(
        "SELECT p.patient_id, p.summary FROM patient_index p JOIN caseload_index c ON c.patient_id = p.patient_id",
    )
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id = blob_id(&row, "patient_id", PatientId::from_slice)?;
        let sealed: Vec<u8> = row.try_get("summary")?;
        out.push(open_json::<OpenedRow>(store, &patient_aad(&id), &sealed)?.0);
    }
    out.sort_by(|a: &PatientSummary, b| a.name.cmp(&b.name).then(a.nhs_number.cmp(&b.nhs_number)));
    Ok(out)
}

pub(super) async fn patient_by_nhs(
    conn: &mut SqliteConnection,
    store: &Store,
    nhs: &NhsNumber,
) -> Result<Option<PatientId>> {
    let row = sqlx::query("SELECT patient_id FROM patient_index WHERE nhs_blind = ?")
        .bind(store.nhs_blind(&nhs.digits()))
        .fetch_optional(conn)
        .await?;
    row.map(|r| blob_id(&r, "patient_id", PatientId::from_slice)).transpose()
}

pub(super) async fn patient_summary(
    conn: &mut SqliteConnection,
    store: &Store,
    id: &PatientId,
) -> Result<Option<PatientSummary>> {
    let row = sqlx::query("SELECT summary FROM patient_index WHERE patient_id = ?")
        .bind(id.as_bytes().as_slice())
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        let sealed: Vec<u8> = r.try_get("summary")?;
        Ok(open_json::<OpenedRow>(store, &patient_aad(id), &sealed)?.0)
    })
    .transpose()
}

pub(super) async fn visits_of(
    conn: &mut SqliteConnection,
    store: &Store,
    patient: &PatientId,
    limit: i64,
) -> Result<Vec<VisitSummary>> {
    let rows = sqlx::query(
        "SELECT visit_id, summary FROM visit_index WHERE patient_id = ? ORDER BY started_at DESC LIMIT ?",
    )
    .bind(patient.as_bytes().as_slice())
    .bind(limit)
    .fetch_all(conn)
    .await?;
    open_visit_rows(store, &rows)
}

/// Opens `visit_index` rows selected with their `visit_id` and `summary`.
fn open_visit_rows(store: &Store, rows: &[sqlx::sqlite::SqliteRow]) -> Result<Vec<VisitSummary>> {
    rows.iter()
        .map(|row| {
            let id = blob_id(row, "visit_id", VisitId::from_slice)?;
            let sealed: Vec<u8> = row.try_get("summary")?;
            open_json(store, &visit_aad(&id), &sealed)
        })
        .collect()
}

pub(super) async fn visits_since(
    conn: &mut SqliteConnection,
    store: &Store,
    since: Timestamp,
) -> Result<Vec<VisitSummary>> {
    let rows = sqlx::query("SELECT visit_id, summary FROM visit_index WHERE started_at >= ?")
        .bind(since.0)
        .fetch_all(conn)
        .await?;
    open_visit_rows(store, &rows)
}

pub(super) async fn visit_summary(
    conn: &mut SqliteConnection,
    store: &Store,
    id: &VisitId,
) -> Result<Option<VisitSummary>> {
    let row = sqlx::query("SELECT summary FROM visit_index WHERE visit_id = ?")
        .bind(id.as_bytes().as_slice())
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        let sealed: Vec<u8> = r.try_get("summary")?;
        open_json(store, &visit_aad(id), &sealed)
    })
    .transpose()
}

pub(super) async fn on_caseload(conn: &mut SqliteConnection, patient: &PatientId) -> Result<bool> {
    let row = sqlx::query("SELECT 1 FROM caseload_index WHERE patient_id = ?")
        .bind(patient.as_bytes().as_slice())
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

pub(super) async fn due_tasks(
    conn: &mut SqliteConnection,
    store: &Store,
    on_or_before: &str,
) -> Result<Vec<DueTask>> {
    let rows = sqlx::query(
        "SELECT t.patient_id, t.task_id, t.summary FROM task_index t JOIN caseload_index c ON c.patient_id = t.patient_id \
         WHERE t.due_date IS NOT NULL AND t.due_date <= ? ORDER BY t.due_date",
    )
    .bind(on_or_before)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let pid = blob_id(row, "patient_id", PatientId::from_slice)?;
            let task_id: String = row.try_get("task_id")?;
            let sealed: Vec<u8> = row.try_get("summary")?;
            open_json(store, &task_aad(&pid, &task_id), &sealed)
        })
        .collect()
}

/// A visit's index row, sealed, ready to write.
pub(crate) struct VisitRow {
    pub(super) visit: VisitId,
    pub(super) patient: PatientId,
    pub(super) started_at: i64,
    pub(super) sealed: Vec<u8>,
}

/// A patient's caseload row and due-task rows, sealed, ready to write.
pub(crate) struct PatientRows {
    pub(super) patient: PatientId,
    pub(super) nhs_blind: Vec<u8>,
    pub(super) sealed: Vec<u8>,
    pub(super) tasks: Vec<DueTaskRow>,
}

/// A due task's id, its due date and its sealed row.
pub(super) type DueTaskRow = (String, String, Vec<u8>);

impl Store {
    pub(crate) fn visit_row(&self, v: &VisitSummary) -> Result<VisitRow> {
        Ok(VisitRow {
            visit: v.id,
            patient: v.patient_id,
            started_at: v.started_at.0,
            sealed: seal_json(self, &visit_aad(&v.id), v)?,
        })
    }

    /// A patient's caseload row from the record, its open conflicts and its visits
    /// (newest first or in any order), and its due-task rows.
    pub(crate) fn patient_rows(
        &self,
        record: &PatientRecord,
        conflicts: &[Conflict],
        visits: &[VisitSummary],
    ) -> Result<(PatientSummary, PatientRows)> {
        let watched = WatchedRecord::new(record, conflicts);
        let id: PatientId =
            record.id.parse().map_err(|e| Error::Corrupt(format!("patient record id: {e}")))?;
        let nhs: NhsNumber = record.demographics.nhs_number.parse()?;
        let latest_news2 = visits.iter().filter_map(|v| v.news2.clone()).max_by_key(|n| n.recorded_at);
        let summary = PatientSummary {
            id,
            nhs_number: nhs.digits(),
            name: record.demographics.name.clone(),
            date_of_birth: record.demographics.date_of_birth.clone(),
            address: record.demographics.address.clone(),
            alerts: record
                .alerts
                .values()
                .filter(|a| a.active)
                .map(|a| format!("{}: {}", a.kind.label(), a.text))
                .collect(),
            allergies: watched.allergy_lines(),
            cpr: watched.cpr_recommendation(),
            end_of_life: record.end_of_life_care(),
            latest_news2,
            last_visit: visits.iter().map(|v| v.started_at).max(),
            open_tasks: record.tasks.values().filter(|t| t.status == TaskStatus::Open).count() as u32,
            scale2: watched.scale2(),
            open_conflicts: conflicts.len() as u32,
            conflicts_about: watched.conflict_labels(),
            reviews: reviews_of(record),
        };
        let mut tasks = Vec::new();
        for (task_id, task) in &record.tasks {
            if task.status != TaskStatus::Open {
                continue;
            }
            let Some(due) = &task.due_date else { continue };
            let row = DueTask {
                patient_id: id,
                task_id: task_id.clone(),
                title: task.title.clone(),
                due_date: due.clone(),
                assignee_role: task.assignee_role,
            };
            tasks.push((task_id.clone(), due.clone(), seal_json(self, &task_aad(&id, task_id), &row)?));
        }
        let rows = PatientRows {
            patient: id,
            nhs_blind: self.nhs_blind(&summary.nhs_number),
            sealed: seal_json(self, &patient_aad(&id), &SealedRow(&summary))?,
            tasks,
        };
        Ok((summary, rows))
    }
}

impl WriteTx<'_> {
    pub async fn put_visit_summary(&mut self, v: &VisitSummary) -> Result<()> {
        let row = self.store.visit_row(v)?;
        self.put_visit_rows(&[row]).await
    }

    /// Rebuilds a patient's caseload row and task rows from the record, its open conflicts
    /// and the visit index.
    pub async fn refresh_patient(
        &mut self,
        record: &PatientRecord,
        conflicts: &[Conflict],
    ) -> Result<PatientSummary> {
        let id: PatientId =
            record.id.parse().map_err(|e| Error::Corrupt(format!("patient record id: {e}")))?;
        let visits = visits_of(&mut self.tx, self.store, &id, i64::MAX).await?;
        let (summary, rows) = self.store.patient_rows(record, conflicts, &visits)?;
        self.put_patient_rows(&[rows]).await?;
        Ok(summary)
    }

    /// Replaces the caseload index with exactly these patients (from the team document).
    pub async fn set_caseload(&mut self, patients: &[PatientId]) -> Result<()> {
        sqlx::query("DELETE FROM caseload_index").execute(&mut *self.tx).await?;
        self.add_to_caseload_index(patients).await
    }

    pub async fn add_to_caseload_index(&mut self, patients: &[PatientId]) -> Result<()> {
        // A team's whole caseload in a few statements: the team document brings it whole.
        for chunk in patients.chunks(4_000) {
            let mut q =
                sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT OR IGNORE INTO caseload_index (patient_id) ");
            q.push_values(chunk, |mut row, p| {
                row.push_bind(p.as_bytes().to_vec());
            });
            q.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Empties every query table, before a rebuild.
    pub async fn clear_indexes(&mut self) -> Result<()> {
        for table in ["patient_index", "visit_index", "task_index", "caseload_index"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}
