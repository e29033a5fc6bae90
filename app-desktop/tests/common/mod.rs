//! The `hedgerow` binary run as a script would run it.
#![allow(dead_code)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

pub const PASS: &str = "bramble-otter-42";

pub fn hedgerow(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hedgerow"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .env("HEDGEROW_PASSPHRASE", PASS)
        .env_remove("HEDGEROW_DATA")
        .output()
        .expect("run hedgerow")
}

pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = hedgerow(dir, args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

pub fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let text = ok(dir, &all);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{args:?} printed no single JSON document ({e}): {text}"))
}

/// Fails, and says why on stderr; returns stderr.
pub fn fails(dir: &Path, args: &[&str]) -> String {
    let out = hedgerow(dir, args);
    assert!(!out.status.success(), "{args:?} should have failed");
    String::from_utf8(out.stderr).unwrap()
}
