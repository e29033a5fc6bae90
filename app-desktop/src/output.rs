//! Printing: text for people, one JSON document for scripts.

use hedgerow_core::clinical::News2Score;
use serde_json::{Value, json};

pub fn news2_json(s: &News2Score) -> Value {
    json!({
        "total": s.total,
        "partial": s.partial,
        // An incomplete set has no band: its known part scores a lower bound.
        "band": s.complete_band(),
        "label": s.label(),
        "scale": s.scale,
        "missing": s.missing,
        "components": s.components,
        "single_parameter_three": s.single_parameter_three,
        "response": s.response,
        "monitoring": s.advice().map(|_| s.response.monitoring()),
        "escalation": s.advice(),
        "headline": s.headline(),
    })
}

pub fn news2_text(s: &News2Score) -> String {
    let mut out = s.headline();
    if let Some(advice) = s.advice_line() {
        out.push_str(&format!("\n  {advice}"));
        out.push_str(&format!("\n  Minimum monitoring: {}", s.response.monitoring()));
    }
    let parts: Vec<String> =
        s.components.iter().map(|c| format!("{} {}", c.parameter.label(), c.score)).collect();
    if !parts.is_empty() {
        out.push_str(&format!("\n  Scores: {}", parts.join(", ")));
    }
    if s.scale == hedgerow_core::clinical::Spo2Scale::Scale2 {
        out.push_str("\n  SpO2 scored on Scale 2 (set on the record)");
    }
    out
}

pub fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string()));
}
