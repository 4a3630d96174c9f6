//! A run's record: one CSV row per epoch and the points of its training curves. It is written to
//! `--metrics` and `--plot` after every epoch (so both files are always current), and kept in
//! the training state, so that a resumed run continues its CSV and its curves.

use super::plot::{draw_training_curves, CurvePoint};
use super::EpochResult;
use rustgrad::nn::training::Progress;
use std::path::Path;

#[derive(Default)]
pub struct History {
    rows: Vec<String>,
    points: Vec<CurvePoint>,
    /// The tenth of the current epoch last given a point.
    last_tenth: Option<(usize, usize)>,
}

const CSV_HEADER: &str = "epoch,train_loss,train_acc,test_acc,seconds";

impl History {
    /// Adds a point of the train curves each time the epoch passes another tenth.
    pub fn record_progress(&mut self, epoch: usize, p: &Progress) {
        let tenth = (p.fraction() * 10.0).floor() as usize;
        if tenth == 0 || self.last_tenth >= Some((epoch, tenth)) {
            return;
        }
        self.last_tenth = Some((epoch, tenth));
        self.points.push(CurvePoint {
            epoch: (epoch - 1) as f64 + p.fraction(),
            train_loss: Some(p.loss()),
            train_acc: Some(p.accuracy()),
            test_acc: None,
        });
    }

    /// The epoch's CSV row and its test-accuracy point.
    pub fn record_epoch(&mut self, r: &EpochResult) {
        let (epoch, loss, accuracy, test_accuracy, seconds) = r.figures();
        self.rows.push(format!(
            "{epoch},{loss:.6},{accuracy:.6},{test_accuracy:.6},{seconds:.3}"
        ));
        self.points.push(CurvePoint {
            epoch: epoch as f64,
            train_loss: Some(loss),
            train_acc: Some(accuracy),
            test_acc: Some(test_accuracy),
        });
    }

    /// The CSV, rewritten whole and atomically.
    pub fn write_metrics(&self, path: &Path) -> Result<(), String> {
        let mut csv = format!("{CSV_HEADER}\n");
        for row in &self.rows {
            csv.push_str(row);
            csv.push('\n');
        }
        rustgrad::nn::output_file::write_atomically(path, csv.as_bytes())
            .map_err(|e| format!("--metrics {e}"))
    }

    /// The curves of a run of `epochs` epochs so far.
    pub fn draw(&self, path: &Path, title: &str, epochs: usize) -> Result<(), String> {
        draw_training_curves(path, title, epochs, &self.points)
    }

    /// As text lines, for the training state.
    pub fn to_lines(&self) -> Vec<String> {
        let number = |v: Option<f32>| v.map_or("-".to_string(), |v| v.to_string());
        let rows = self.rows.iter().map(|row| format!("csv {row}"));
        let points = self.points.iter().map(|p| {
            format!(
                "point {} {} {} {}",
                p.epoch,
                number(p.train_loss),
                number(p.train_acc),
                number(p.test_acc)
            )
        });
        rows.chain(points).collect()
    }

    /// Reads [`to_lines`](History::to_lines)' lines back.
    pub fn from_lines(lines: &[String]) -> Result<Self, String> {
        let mut history = History::default();
        for line in lines {
            if let Some(row) = line.strip_prefix("csv ") {
                history.rows.push(row.to_string());
            } else if let Some(point) = line.strip_prefix("point ") {
                history.points.push(parse_point(point).ok_or_else(|| {
                    format!("the training state's history has a broken line: {line}")
                })?);
            }
        }
        Ok(history)
    }
}

fn parse_point(text: &str) -> Option<CurvePoint> {
    let fields: Vec<&str> = text.split(' ').collect();
    let [epoch, loss, acc, test] = fields[..] else {
        return None;
    };
    let value = |t: &str| {
        if t == "-" {
            Some(None)
        } else {
            t.parse().ok().map(Some)
        }
    };
    Some(CurvePoint {
        epoch: epoch.parse().ok()?,
        train_loss: value(loss)?,
        train_acc: value(acc)?,
        test_acc: value(test)?,
    })
}
