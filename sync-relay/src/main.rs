//! `hedgerow-relay`: the blind store-and-forward relay. It keeps each team's sealed
//! bundles until the team's devices fetch them, and holds no key that opens them.
//! Everything it does is in this crate's library; this is the process around it.

use anyhow::Context;
use clap::{Parser, Subcommand};
use hedgerow_relay::{RelayLimits, RelayState, RelayStorage, SqliteRelayStorage, serve};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(name = "hedgerow-relay", version, about = "Hedgerow's blind store-and-forward relay")]
struct Args {
    /// Where the relay keeps its own endpoint key, and its log of sealed bundles unless
    /// `--database` says otherwise.
    #[arg(long)]
    data: PathBuf,
    /// Where the log is: `sqlite:PATH` (a directory), or `postgres://USER@HOST:PORT/DB` for
    /// several relay processes over one database. Default: SQLite in `--data`.
    #[arg(long, value_parser = parse_database)]
    database: Option<Database>,
    /// The UDP address to listen on (QUIC over iroh).
    #[arg(long, default_value = "127.0.0.1:4919")]
    listen: SocketAddr,
    /// Device connections at once, kept ones included; one more is told the relay is busy.
    #[arg(long, default_value_t = RelayLimits::default().max_connections)]
    max_connections: usize,
    /// Teams this relay will found; a new team beyond it is refused.
    #[arg(long, default_value_t = RelayLimits::default().max_teams)]
    max_teams: u64,
    /// Bytes of sealed bundles one team may keep here; a push beyond it is refused.
    #[arg(long, default_value_t = RelayLimits::default().team_quota_bytes)]
    team_quota_bytes: u64,
    /// Serve Prometheus metrics (connections, syncs, bytes, refusals by reason, storage
    /// latency) over HTTP at this address, e.g. 127.0.0.1:9464.
    #[arg(long)]
    metrics: Option<SocketAddr>,
    /// How log lines on stderr are written: `text` for people, `json` for a log collector.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Without a command, the relay serves.
    #[command(subcommand)]
    command: Option<Maintenance>,
}

#[derive(Subcommand, Debug)]
enum Maintenance {
    /// Writes a consistent copy of the relay's store to a new file; the relay may be serving.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Copies the SQLite log into an empty PostgreSQL database (stop the relay first), under
    /// the same log id and positions: devices go on from where they were.
    CopyTo {
        /// postgres://USER@HOST:PORT/DB
        #[arg(long)]
        database: String,
    },
    /// Puts a backup in place of the store (stop the relay first). The log gets a new id, so
    /// every device pulls it again from the start and pushes again what the backup lacks.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug)]
enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

fn parse_database(s: &str) -> Result<Database, String> {
    if let Some(path) = s.strip_prefix("sqlite:") {
        return Ok(Database::Sqlite(PathBuf::from(path)));
    }
    if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        return Ok(Database::Postgres(s.to_owned()));
    }
    Err(format!("'{s}' is neither sqlite:PATH nor postgres://USER@HOST:PORT/DB"))
}

/// The relay's endpoint key: made once, so that its address stays the same across restarts.
fn relay_key(dir: &Path) -> anyhow::Result<[u8; 32]> {
    let path = dir.join("relay.key");
    match std::fs::read(&path) {
        Ok(bytes) => bytes.try_into().map_err(|_| {
            anyhow::anyhow!(
                "{} is damaged (not 32 bytes); move it aside to make a new relay identity",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = hedgerow_protocol::crypto::random_bytes::<32>()?;
            write_private(&path, &key)?;
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,iroh=warn,noq=warn"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    std::fs::create_dir_all(&args.data).with_context(|| format!("creating {}", args.data.display()))?;
    match &args.command {
        Some(Maintenance::Backup { .. } | Maintenance::Restore { .. } | Maintenance::CopyTo { .. })
            if matches!(args.database, Some(Database::Postgres(_))) =>
        {
            anyhow::bail!(
                "backup and restore are for the SQLite log; back up PostgreSQL with its own tools (docs/relay-operations.md)"
            );
        }
        Some(Maintenance::Backup { to }) => {
            anyhow::ensure!(
                !to.exists(),
                "{} already exists: choose a new file for the backup",
                to.display()
            );
            let storage = SqliteRelayStorage::open_shared(&sqlite_dir(&args)).await?;
            storage.backup(to).await.with_context(|| format!("backing up to {}", to.display()))?;
            storage.close().await;
            println!("backed up the relay's store to {}", to.display());
            return Ok(());
        }
        Some(Maintenance::Restore { from }) => {
            SqliteRelayStorage::restore(&sqlite_dir(&args), from)
                .await
                .with_context(|| format!("restoring from {}", from.display()))?;
            println!("restored {}; devices will pull the log again from the start", from.display());
            return Ok(());
        }
        #[cfg(feature = "postgres")]
        Some(Maintenance::CopyTo { database }) => {
            let storage = SqliteRelayStorage::open(&sqlite_dir(&args)).await?;
            let report = hedgerow_relay::storage::copy::sqlite_to_postgres(&storage, database)
                .await
                .with_context(|| format!("copying the log into {}", without_password(database)))?;
            storage.close().await;
            println!(
                "copied {} teams, {} registry statements, {} entries and {} offers into {}",
                report.teams,
                report.statements,
                report.entries,
                report.offers,
                without_password(database)
            );
            return Ok(());
        }
        #[cfg(not(feature = "postgres"))]
        Some(Maintenance::CopyTo { .. }) => anyhow::bail!("this relay was built without PostgreSQL"),
        None => {}
    }
    let key = relay_key(&args.data)?;
    match args.database.clone().unwrap_or_else(|| Database::Sqlite(args.data.clone())) {
        Database::Sqlite(dir) => {
            let storage = SqliteRelayStorage::open(&dir)
                .await
                .with_context(|| format!("opening the relay's store in {}", dir.display()))?;
            serve_until_stopped(&args, &key, storage).await
        }
        #[cfg(not(feature = "postgres"))]
        Database::Postgres(_) => {
            anyhow::bail!("this relay was built without PostgreSQL (the `postgres` feature)")
        }
        #[cfg(feature = "postgres")]
        Database::Postgres(url) => {
            let storage = hedgerow_relay::PostgresRelayStorage::open(&url)
                .await
                .with_context(|| format!("opening the relay's database {}", without_password(&url)))?;
            serve_until_stopped(&args, &key, storage).await
        }
    }
}

/// Where the SQLite log is: `--database sqlite:DIR`, or else the data directory.
fn sqlite_dir(args: &Args) -> PathBuf {
    match &args.database {
        Some(Database::Sqlite(dir)) => dir.clone(),
        _ => args.data.clone(),
    }
}

/// A database address fit for a log line: any password left out.
fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if url[scheme + 3..at].contains(':') => {
            let user_end = scheme + 3 + url[scheme + 3..at].find(':').unwrap_or(0);
            format!("{}:***{}", &url[..user_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

async fn serve_until_stopped<S: RelayStorage + Clone>(
    args: &Args,
    key: &[u8; 32],
    storage: S,
) -> anyhow::Result<()> {
    let limits = RelayLimits {
        max_connections: args.max_connections.max(1),
        max_teams: args.max_teams,
        team_quota_bytes: args.team_quota_bytes,
        ..RelayLimits::default()
    };
    tracing::info!(?limits, "relay limits");
    if let Some(at) = args.metrics {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(at)
            .install()
            .with_context(|| format!("serving metrics on {at}"))?;
        hedgerow_relay::metrics::describe();
        tracing::info!(%at, "metrics served");
    }
    let state = Arc::new(RelayState::with_limits(storage.clone(), limits));
    let endpoint =
        serve::endpoint(key, args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    let address = serve::address_of(&endpoint);
    // One line on stdout, for people and scripts: the address devices sync with.
    println!("hedgerow-relay listening at {address}");
    tracing::info!(%address, data = %args.data.display(), "relay started");
    let serving = tokio::spawn(serve::serve_relay(endpoint.clone(), state));
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("stopping"),
        _ = serving => {}
    }
    endpoint.close().await;
    storage.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_password_is_left_out_of_what_the_relay_logs() {
        assert_eq!(
            without_password("postgres://relay:s3cret@db.example.internal:5432/hedgerow"),
            "postgres://relay:***@db.example.internal:5432/hedgerow"
        );
        assert_eq!(without_password("postgres://relay@db:5432/h"), "postgres://relay@db:5432/h");
    }

    #[test]
    fn a_database_is_sqlite_or_postgres_and_nothing_else() {
        assert!(
            matches!(parse_database("sqlite:/var/lib/relay"), Ok(Database::Sqlite(p)) if p == Path::new("/var/lib/relay"))
        );
        assert!(matches!(parse_database("postgresql://relay@db/h"), Ok(Database::Postgres(_))));
        assert!(parse_database("mysql://relay@db/h").unwrap_err().contains("neither"));
    }
}
