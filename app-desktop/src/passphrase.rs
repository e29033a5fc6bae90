//! The passphrase: from HEDGEROW_PASSPHRASE for scripts, else asked for at the terminal.

use anyhow::{Context, Result, bail};
use std::io::IsTerminal;

pub const ENV: &str = "HEDGEROW_PASSPHRASE";

pub fn get(confirm: bool) -> Result<String> {
    if let Ok(p) = std::env::var(ENV) {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no passphrase: set {ENV} or run hedgerow in a terminal");
    }
    let p = rpassword::prompt_password("Passphrase: ").context("reading the passphrase")?;
    if confirm {
        let again = rpassword::prompt_password("Passphrase again: ").context("reading the passphrase")?;
        if again != p {
            bail!("the two passphrases differ; nothing was created");
        }
    }
    Ok(p)
}
