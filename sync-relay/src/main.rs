//! `hedgerow-relay`: the blind store-and-forward relay.
//!
//! The relay protocol (sealed bundles, device authentication over iroh, the per-team log)
//! is not in this build yet. Rather than pretend to serve, the binary says so and exits
//! with an error, so that no one deploys it believing their devices are syncing.

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "hedgerow-relay", version, about = "Hedgerow's blind store-and-forward relay")]
struct Args {
    /// Where the relay keeps its log of sealed bundles.
    #[arg(long)]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4919")]
    listen: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::bail!(
        "this build of hedgerow-relay cannot serve yet: relay sync is not implemented (asked to keep data in {} and listen on {})",
        args.data.display(),
        args.listen
    )
}
