//! Test helper: opens a workspace and writes numbered notes to one visit as fast as it
//! can, printing `ack N` only after each write has returned. A crash test kills it with
//! SIGKILL and checks that every acknowledged note survived.

use anyhow::{Context, Result, bail};
use hedgerow_core::Workspace;
use hedgerow_core::ids::VisitId;
use std::io::Write;

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(visit), Some(start)) = (args.next(), args.next(), args.next()) else {
        bail!("usage: hedgerow-edit-writer DIR VISIT START");
    };
    let visit: VisitId = visit.parse()?;
    let start: u64 = start.parse()?;
    let pass = std::env::var("HEDGEROW_PASSPHRASE").context("HEDGEROW_PASSPHRASE")?;
    let ws = Workspace::open(dir.as_ref(), &pass).await?;
    let mut out = std::io::stdout().lock();
    for n in start.. {
        ws.add_note(visit, &format!("edit {n}")).await?;
        writeln!(out, "ack {n}")?;
        out.flush()?;
    }
    Ok(())
}
