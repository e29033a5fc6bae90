//! The text size the clinician chose, kept beside the store (it is not patient data) so that
//! the lock screen opens at that size too.

use std::path::Path;

/// Each size as a zoom of the whole interface, with its name in the menu.
pub const TEXT_SIZES: [(f32, &str); 3] = [(1.0, "Normal text"), (1.15, "Larger text"), (1.3, "Largest text")];

const FILE: &str = "display.json";

#[derive(serde::Serialize, serde::Deserialize)]
struct Display {
    text_zoom: f32,
}

/// The saved size, or normal when none was saved (or the file does not read).
pub fn text_zoom(dir: &Path) -> f32 {
    std::fs::read(dir.join(FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<Display>(&b).ok())
        .map(|d| d.text_zoom)
        .filter(|z| TEXT_SIZES.iter().any(|(s, _)| s == z))
        .unwrap_or(1.0)
}

/// Kept whole or not at all: written beside, then renamed over.
pub fn save_text_zoom(dir: &Path, text_zoom: f32) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(&Display { text_zoom }).map_err(std::io::Error::other)?;
    let tmp = dir.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, dir.join(FILE))
}
