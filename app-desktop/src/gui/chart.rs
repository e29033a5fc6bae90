//! The observations chart: NEWS2 over time with its bands, then each vital sign with every
//! reading coloured by the points it scored (green 0, amber 1-2, red 3).

use super::style;
use egui_plot::{HLine, Line, Plot, PlotPoints, Points};
use hedgerow_core::clinical::news2::Parameter;
use hedgerow_core::view::Timestamp;
use hedgerow_core::workspace::ScoredObservations;

const DAY_MS: f64 = 86_400_000.0;

/// One vital sign's chart: the NEWS2 parameter it scores as, its title, and its reading.
type Vital = (Parameter, &'static str, fn(&ScoredObservations) -> Option<f64>);

fn score_colour(score: u8) -> egui::Color32 {
    match score {
        0 => style::OK,
        1 | 2 => style::WARN,
        _ => style::DANGER,
    }
}

/// Local days since 1970, so that whole numbers fall at midnight and the axis can name dates.
fn x(at: Timestamp) -> f64 {
    let local = at.to_datetime().with_timezone(&chrono::Local);
    (at.0 + i64::from(local.offset().local_minus_utc()) * 1000) as f64 / DAY_MS
}

/// The local date and time at `x`, as [`x`] counts.
fn at(x: f64) -> chrono::NaiveDateTime {
    let ms = (x * DAY_MS).round() as i64;
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().naive_utc()
}

/// The bottom axis: "17 Nov", with the year when the chart spans more than one.
pub fn date_label(x: f64, span_days: f64) -> String {
    at(x).format(if span_days > 300.0 { "%-d %b %Y" } else { "%-d %b" }).to_string()
}

/// Under the pointer: the reading's date and time and its value.
fn reading_label(x: f64, value: f64) -> String {
    format!("{}: {value}", at(x).format("%-d %b %Y %H:%M"))
}

/// Grid lines a day, a week, four weeks, 52 weeks or five times that apart: whole days, each
/// step a multiple of the last, so the labels of two steps never fall side by side.
fn day_spacing(input: egui_plot::GridInput) -> [f64; 3] {
    const STEPS: [f64; 5] = [1.0, 7.0, 28.0, 364.0, 1820.0];
    let first =
        STEPS.iter().position(|s| *s >= input.base_step_size).unwrap_or(STEPS.len() - 3).min(STEPS.len() - 3);
    [STEPS[first], STEPS[first + 1], STEPS[first + 2]]
}

/// A chart whose bottom axis names dates.
fn dated(id: &str, height: f32) -> Plot<'static> {
    Plot::new(id)
        .height(height)
        .x_grid_spacer(egui_plot::uniform_grid_spacer(day_spacing))
        .x_axis_formatter(|mark, range| date_label(mark.value, range.end() - range.start()))
        .label_formatter(|hover| {
            let p = match hover {
                egui_plot::HoverPosition::NearDataPoint { position, .. } => position,
                egui_plot::HoverPosition::Elsewhere { position } => position,
            };
            Some(reading_label(p.x, p.y))
        })
}

pub fn show(ui: &mut egui::Ui, history: &[ScoredObservations]) {
    if history.is_empty() {
        ui.label("No observations recorded yet.");
        return;
    }
    ui.label(format!(
        "{} sets of observations, by date. NEWS2 bands: 0-4 low, 5-6 medium, 7+ high.",
        history.len()
    ));
    let news2: Vec<[f64; 2]> = history.iter().map(|s| [x(s.recorded_at), f64::from(s.news2.total)]).collect();
    ui.strong("NEWS2");
    dated("news2", 200.0).include_y(0.0).include_y(10.0).show(ui, |plot| {
        for (y, colour) in [(5.0, style::WARN), (7.0, style::DANGER)] {
            plot.hline(HLine::new("", y).color(colour));
        }
        plot.line(Line::new("NEWS2", PlotPoints::from(news2.clone())));
        plot.points(Points::new("readings", PlotPoints::from(news2)).radius(4.0));
    });
    let vitals: [Vital; 5] = [
        (Parameter::RespirationRate, "Respiration rate (per minute)", |s| {
            s.observations.respiration_rate.map(|v| v as f64)
        }),
        (Parameter::Spo2, "SpO2 (%)", |s| s.observations.spo2.map(|v| v as f64)),
        (Parameter::SystolicBp, "Systolic blood pressure (mmHg)", |s| {
            s.observations.systolic_bp.map(|v| v as f64)
        }),
        (Parameter::Pulse, "Pulse (per minute)", |s| s.observations.pulse.map(|v| v as f64)),
        (Parameter::Temperature, "Temperature (°C)", |s| s.observations.temperature),
    ];
    ui.columns(2, |cols| {
        for (i, (parameter, title, value)) in vitals.iter().enumerate() {
            let ui = &mut cols[i % 2];
            ui.strong(*title);
            let readings: Vec<(f64, f64, u8)> = history
                .iter()
                .filter_map(|s| {
                    let v = value(s)?;
                    let score = s
                        .news2
                        .components
                        .iter()
                        .find(|c| c.parameter == *parameter)
                        .map(|c| c.score)
                        .unwrap_or(0);
                    Some((x(s.recorded_at), v, score))
                })
                .collect();
            if readings.is_empty() {
                ui.label("Not recorded.");
                continue;
            }
            dated(title, 150.0).show(ui, |plot| {
                let line: Vec<[f64; 2]> = readings.iter().map(|(t, v, _)| [*t, *v]).collect();
                plot.line(Line::new(*title, PlotPoints::from(line)).color(egui::Color32::GRAY));
                for score in 0..=3u8 {
                    let pts: Vec<[f64; 2]> =
                        readings.iter().filter(|r| r.2 == score).map(|(t, v, _)| [*t, *v]).collect();
                    if !pts.is_empty() {
                        let name = format!("scored {score}");
                        plot.points(
                            Points::new(name, PlotPoints::from(pts)).radius(4.0).color(score_colour(score)),
                        );
                    }
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bottom_axis_names_dates_and_the_pointer_names_the_time() {
        let t = Timestamp(
            chrono::DateTime::parse_from_rfc3339("2026-11-17T14:05:00Z").unwrap().timestamp_millis(),
        );
        let local = t.to_datetime().with_timezone(&chrono::Local);
        let day = local.format("%-d %b").to_string();
        assert_eq!(date_label(x(t), 28.0), day);
        assert_eq!(date_label(x(t), 400.0), local.format("%-d %b %Y").to_string());
        assert_eq!(reading_label(x(t), 22.0), format!("{}: 22", local.format("%-d %b %Y %H:%M")));
        assert_eq!(x(t).fract() > 0.0, local.format("%H:%M").to_string() != "00:00");
    }

    #[test]
    fn grid_lines_are_whole_days_apart() {
        let input = |base| egui_plot::GridInput { bounds: (0.0, 100.0), base_step_size: base };
        assert_eq!(day_spacing(input(0.01)), [1.0, 7.0, 28.0]);
        assert_eq!(day_spacing(input(3.0)), [7.0, 28.0, 364.0]);
        assert_eq!(day_spacing(input(10_000.0)), [28.0, 364.0, 1820.0]);
        for step in [input(0.01), input(3.0), input(30.0), input(10_000.0)].map(day_spacing) {
            assert!(step[1] % step[0] == 0.0 && step[2] % step[1] == 0.0, "nested: {step:?}");
        }
    }
}
