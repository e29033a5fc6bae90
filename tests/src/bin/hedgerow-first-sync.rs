//! Test helper: opens a workspace and syncs it with a relay, printing `applied N` each
//! time the sync reports N bundles applied (after they were committed), then `done N`.
//! A crash test kills it with SIGKILL part way and checks what survived.

use anyhow::{Context, Result, bail};
use hedgerow_core::Workspace;
use hedgerow_core::sync::transport::RelayAddress;
use std::io::Write;

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(relay)) = (args.next(), args.next()) else {
        bail!("usage: hedgerow-first-sync DIR RELAY");
    };
    let relay: RelayAddress = relay.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let pass = std::env::var("HEDGEROW_PASSPHRASE").context("HEDGEROW_PASSPHRASE")?;
    let ws = Workspace::open(dir.as_ref(), &pass).await?;
    let mut reported = 0;
    let report = ws
        .sync(&relay, |p| {
            if p.bundles_received > reported {
                reported = p.bundles_received;
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "applied {reported}");
                let _ = out.flush();
            }
        })
        .await?;
    println!("done {}", report.bundles_received);
    ws.close().await;
    Ok(())
}
