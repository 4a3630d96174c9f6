//! A training run's state, saved beside its checkpoint so that a run stopped at any step (Ctrl-C,
//! a crash after an epoch) continues exactly where it stopped.
//!
//! `model.safetensors` stays a model-only file that PyTorch loads with `strict=True`; beside it,
//! `model.state.safetensors` holds the optimizer's state tensors (Adam's moments and step counts,
//! with PyTorch's names) and, as text in its header, how far the run got (epochs done, the steps
//! and running totals of an unfinished epoch), the run's settings and the program's history (its
//! metrics so far). Everything else a step draws — the batch order, dropout masks — comes from
//! the seed, the epoch and the step, so nothing else needs saving.
//!
//! The two files are written one after the other (the state first), each atomically. Both carry
//! the same position mark in their header, so a pair from different moments (a crash between
//! the two writes) is noticed on resume instead of silently mixing two points of the run.

use crate::checkpoint;
use crate::error::{Error, Result};
use crate::optim::{Optimizer, SavedState};
use crate::training::Progress;
use crate::{Module, Parameter};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How far a run got, and what it needs to continue.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainingState {
    /// Epochs finished.
    pub epochs_done: usize,
    /// The epoch after those, if it was stopped in its middle: its steps done and running totals.
    pub unfinished_epoch: Option<Progress>,
    /// The run's settings as text (seed, batch size, ...): a resumed run must use the same.
    pub settings: BTreeMap<String, String>,
    /// Lines the program keeps across the run (e.g. its metrics CSV rows).
    pub history: Vec<String>,
}

/// `model.safetensors` → `model.state.safetensors` (beside the checkpoint).
pub fn state_path(checkpoint: &Path) -> PathBuf {
    let stem = checkpoint
        .file_stem()
        .map_or_else(|| "checkpoint".into(), |s| s.to_string_lossy().into_owned());
    checkpoint.with_file_name(format!("{stem}.state.safetensors"))
}

/// Writes the training state, then the model-only checkpoint at `checkpoint`.
pub fn save(
    checkpoint: &Path,
    model: &dyn Module,
    optimizer: &dyn Optimizer,
    state: &TrainingState,
) -> Result<()> {
    let position = position_mark(state);
    let mut header = encode(state);
    header.insert(POSITION.into(), position.clone());
    let optimizer_state = optimizer.state(&parameters(model));
    checkpoint::save_with_metadata(&state_path(checkpoint), &optimizer_state, &header)?;
    let model_header = BTreeMap::from([(POSITION.to_string(), position)]);
    checkpoint::save_state(checkpoint, &checkpoint::state_of(model), &model_header)
}

/// Loads the checkpoint into `model`, its state into `optimizer`, and returns how far the run
/// got. Nothing is changed if the two files do not belong together or the checkpoint does not
/// fit the model (the optimizer's state is checked last, against the loaded model).
pub fn load(
    checkpoint: &Path,
    model: &mut dyn Module,
    optimizer: &mut dyn Optimizer,
) -> Result<TrainingState> {
    let state_file = state_path(checkpoint);
    let broken = |problem: String| Error::CorruptCheckpoint {
        path: state_file.clone(),
        problem,
    };
    if !state_file.exists() {
        return Err(broken(format!(
            "there is no training state beside {}: it was not saved by a run with --save, so it \
             can only be loaded (--load), not resumed",
            checkpoint.display()
        )));
    }
    let header = checkpoint::read_metadata(&state_file)?;
    let model_position = checkpoint::read_metadata(checkpoint)?.remove(POSITION);
    if model_position.as_ref() != header.get(POSITION) {
        return Err(broken(format!(
            "it does not belong to {} (they were written at different points of the run, e.g. \
             a crash between the two saves): resume from an earlier pair, or --load the \
             checkpoint to start a new run from it",
            checkpoint.display()
        )));
    }
    let state = decode(&header).map_err(broken)?;
    let optimizer_state = checkpoint::load(&state_file)?;
    checkpoint::load_module(model, checkpoint)?;
    let saved = SavedState {
        parameters: &parameters(model),
        tensors: &optimizer_state,
    };
    optimizer.load_state(&saved).map_err(broken)?;
    Ok(state)
}

/// The header entry both files carry.
const POSITION: &str = "rustgrad.position";

/// "epoch 3, step 17, saved at 1732841234.123456789 s": different for every save.
fn position_mark(state: &TrainingState) -> String {
    let step = state.unfinished_epoch.map_or(0, |p| p.step);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "epoch {}, step {step}, saved at {}.{:09} s",
        state.epochs_done + 1,
        now.as_secs(),
        now.subsec_nanos()
    )
}

fn parameters(model: &dyn Module) -> Vec<(String, &Parameter)> {
    model.parameters()
}

/// The state as text entries of the state file's header.
fn encode(state: &TrainingState) -> BTreeMap<String, String> {
    let mut header = BTreeMap::new();
    header.insert("epochs_done".into(), state.epochs_done.to_string());
    if let Some(p) = state.unfinished_epoch {
        // Rust prints floats so that they parse back to the same bits.
        let progress = format!(
            "{} {} {} {} {}",
            p.step, p.steps, p.examples, p.loss_sum, p.correct
        );
        header.insert("unfinished_epoch".into(), progress);
    }
    for (key, value) in &state.settings {
        header.insert(format!("setting.{key}"), value.clone());
    }
    header.insert("history".into(), state.history.join("\n"));
    header
}

fn decode(header: &BTreeMap<String, String>) -> std::result::Result<TrainingState, String> {
    let field = |key: &str| {
        header
            .get(key)
            .ok_or_else(|| format!("its header has no {key}"))
    };
    let number = |text: &str, what: &str| {
        text.parse::<usize>()
            .map_err(|_| format!("{what} '{text}' is not a number"))
    };
    let epochs_done = number(field("epochs_done")?, "epochs_done")?;
    let unfinished_epoch = match header.get("unfinished_epoch") {
        None => None,
        Some(text) => Some(decode_progress(text)?),
    };
    let settings = header
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("setting.")?.to_string(), v.clone())))
        .collect();
    let history = field("history")?;
    let history = if history.is_empty() {
        Vec::new()
    } else {
        history.lines().map(str::to_string).collect()
    };
    Ok(TrainingState {
        epochs_done,
        unfinished_epoch,
        settings,
        history,
    })
}

fn decode_progress(text: &str) -> std::result::Result<Progress, String> {
    let fields: Vec<&str> = text.split(' ').collect();
    let bad = || format!("unfinished_epoch '{text}' is not 'step steps examples loss_sum correct'");
    let [step, steps, examples, loss_sum, correct] = fields[..] else {
        return Err(bad());
    };
    let count = |t: &str| t.parse::<usize>().map_err(|_| bad());
    Ok(Progress {
        step: count(step)?,
        steps: count(steps)?,
        examples: count(examples)?,
        loss_sum: loss_sum.parse::<f64>().map_err(|_| bad())?,
        correct: count(correct)?,
    })
}
