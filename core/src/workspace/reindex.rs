//! Rebuilding the query tables (caseload, visits, tasks, NEWS2) from the documents, which are
//! the truth: after damage, or when the rows' shape has changed.

use super::{CURRENT_INDEX_VERSION, Context, INDEX_VERSION, visit_summary};
use crate::documents::{self, DocumentKind, PatientRecord, VisitNote};
use crate::error::{Error, Result};
use crate::store::AuditAction;
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct ReindexReport {
    pub patients: usize,
    pub visits: usize,
    pub due_tasks: usize,
    /// Documents that could not be read, with the reason; the rest were indexed.
    pub unreadable: Vec<String>,
}

pub(super) async fn reindex(cx: &Context) -> Result<ReindexReport> {
    let mut tx = cx.store.begin_write().await?;
    tx.clear_indexes().await?;
    let mut report = ReindexReport::default();
    for id in tx.document_ids(DocumentKind::Visit).await? {
        let summary = match tx.read_document::<VisitNote>(&id, DocumentKind::Visit).await {
            Ok(note) => note.map(|n| visit_summary(&n)).transpose(),
            Err(e) => Err(e),
        };
        match summary {
            Ok(Some(summary)) => {
                tx.put_visit_summary(&summary).await?;
                report.visits += 1;
            }
            Ok(None) => {}
            Err(e) => report.unreadable.push(format!("visit {}: {e}", hex::encode(id))),
        }
    }
    for id in tx.document_ids(DocumentKind::Patient).await? {
        let read = match tx.load_document(&id, DocumentKind::Patient).await {
            Ok(Some(mut doc)) => documents::read::<PatientRecord, _>(&doc, DocumentKind::Patient)
                .map(|record| {
                    let open = crate::conflicts::detect(&mut doc, &record);
                    Some((record, open))
                })
                .map_err(Error::from),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        match read {
            Ok(Some((record, open_conflicts))) => {
                tx.refresh_patient(&record, &open_conflicts).await?;
                report.patients += 1;
            }
            Ok(None) => {}
            Err(e) => report.unreadable.push(format!("patient {}: {e}", hex::encode(id))),
        }
    }
    super::patients::reindex_caseload(cx, &mut tx).await?;
    tx.put_setting(INDEX_VERSION, CURRENT_INDEX_VERSION).await?;
    report.due_tasks = tx.due_tasks("9999-12-31").await?.len();
    cx.audit(
        &mut tx,
        AuditAction::Reindex,
        None,
        format!("rebuilt query tables: {} patients", report.patients),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}
