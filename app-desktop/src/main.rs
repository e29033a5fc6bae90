//! `hedgerow`: Hedgerow on a laptop. Today this binary is the command line, the scripted
//! face of the product; every command is a thin call into `hedgerow_core::Workspace`.

mod cli;
mod commands;
mod output;
mod passphrase;
mod record_commands;
mod referral_commands;
mod team_commands;
mod today_command;

use clap::Parser;

fn main() -> std::process::ExitCode {
    restore_sigpipe();
    let args = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if args.command.is_none() {
        // The app runs its own event loop and runtime, outside any other.
        let result = commands::data_dir(&args).and_then(hedgerow_desktop::gui::run);
        return match result {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(hedgerow_desktop::WORKER_STACK)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let json = args.json;
    match runtime.block_on(commands::run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::debug!(error = ?e, "command failed");
            eprintln!("error: {e:#}");
            if matches!(
                e.downcast_ref::<hedgerow_core::Error>(),
                Some(hedgerow_core::Error::BreakGlassRequired)
            ) {
                eprintln!("To read it anyway, run the command again with --break-glass \"REASON\".");
            }
            if json {
                // Scripts read stdout: they get one JSON document on failure too.
                output::print_json(&serde_json::json!({ "error": format!("{e:#}") }));
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// `hedgerow patient list | head` should end quietly when `head` has read enough, as other
/// command-line tools do, rather than panic on a closed pipe.
#[cfg(unix)]
fn restore_sigpipe() {
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_sigpipe() {}
