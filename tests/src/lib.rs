//! Helpers for Hedgerow's scenario tests: fresh workspaces in temporary directories and a
//! byte-level scan of everything a device leaves on disk.

use std::path::{Path, PathBuf};

pub const PASSPHRASE: &str = "heather-kestrel-7";

/// Every regular file below `dir`.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out
}

/// Which of `needles` appear in any file below `dir`, as UTF-8 or UTF-16LE bytes.
/// Returns (file, needle) for every hit.
pub fn plaintext_hits(dir: &Path, needles: &[String]) -> Vec<(PathBuf, String)> {
    let mut hits = Vec::new();
    for file in files_below(dir) {
        let Ok(bytes) = std::fs::read(&file) else { continue };
        for n in needles {
            let utf8 = n.as_bytes().to_vec();
            let utf16: Vec<u8> = n.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
            if contains(&bytes, &utf8) || contains(&bytes, &utf16) {
                hits.push((file.clone(), n.clone()));
            }
        }
    }
    hits
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_finds_utf8_and_utf16_text_in_nested_files() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("sub")).unwrap();
        std::fs::write(tmp.path().join("sub/a.bin"), b"\x00\x01Winifred Ashdown\xff").unwrap();
        let utf16: Vec<u8> = "9434765919".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        std::fs::write(tmp.path().join("b.bin"), utf16).unwrap();
        let hits =
            plaintext_hits(tmp.path(), &["Winifred Ashdown".into(), "9434765919".into(), "absent".into()]);
        assert_eq!(hits.len(), 2, "{hits:?}");
    }
}
