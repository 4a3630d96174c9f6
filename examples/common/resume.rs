//! `--resume`: what a run saves beside its checkpoint (its model, its settings, its outputs), and
//! how a resumed run takes them over. A resumed run must compute exactly what the uninterrupted
//! run would have, so an option given on the command line that differs from the run's is an
//! error, and so is a checkpoint of another model.

use super::history::History;
use super::run::{Example, Options};
use super::AnyResult;
use clap::parser::ValueSource;
use clap::ArgMatches;
use rustgrad::nn::checkpoint;
use rustgrad::nn::optim::Optimizer;
use rustgrad::nn::training::EpochStart;
use rustgrad::nn::training_state;
use rustgrad::nn::Module;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything saved with a run's state: the model, the options that decide what it computes,
/// and those a resumed run takes over unless told otherwise.
pub fn saved_settings(example: &Example, args: &Options) -> BTreeMap<String, String> {
    let mut saved = settings(args);
    saved.extend(run_options(args));
    saved.insert("model".into(), example.model.clone());
    saved
}

/// The options that decide what a run computes, as saved with its state.
fn settings(args: &Options) -> BTreeMap<String, String> {
    let text = |v: Option<usize>| v.map_or("all".to_string(), |v| v.to_string());
    BTreeMap::from([
        ("seed".into(), args.seed.to_string()),
        ("batch_size".into(), args.batch_size.to_string()),
        ("lr".into(), args.lr.to_string()),
        ("optimizer".into(), args.optimizer.clone()),
        ("resize".into(), args.resize.to_string()),
        ("limit_train".into(), text(args.limit_train)),
        ("limit_test".into(), text(args.limit_test)),
    ])
}

/// What a resumed run takes over unless the command line says otherwise: its length and where
/// it writes (it goes on saving to the checkpoint it was resumed from).
fn run_options(args: &Options) -> BTreeMap<String, String> {
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    let mut options = BTreeMap::from([("epochs".to_string(), args.epochs.to_string())]);
    for (key, value) in [("metrics", path(&args.metrics)), ("plot", path(&args.plot))] {
        if let Some(value) = value {
            options.insert(key.to_string(), value);
        }
    }
    options
}

/// The settings saved beside the checkpoint `path`, read before the model and the optimizer
/// are built (the optimizer is one of them). Empty if there is no state to read: loading it
/// ([`load`]) then says why.
fn peek_settings(path: &Path) -> BTreeMap<String, String> {
    // The state file keeps each setting as `setting.KEY` in its header (`nn::training_state`).
    let header = checkpoint::read_metadata(&training_state::state_path(path)).unwrap_or_default();
    header
        .into_iter()
        .filter_map(|(key, value)| Some((key.strip_prefix("setting.")?.to_string(), value)))
        .collect()
}

/// Takes over the settings of the run saved at `path` into `args`; refuses a run of another
/// model than `example`'s, and an option given on the command line (`matches`) that differs
/// from the run's (the run would not continue exactly).
pub fn take_settings(
    path: &Path,
    example: &Example,
    args: &mut Options,
    matches: &ArgMatches,
) -> Result<(), String> {
    let saved = peek_settings(path);
    if let Some(model) = saved.get("model") {
        if *model != example.model {
            return Err(format!(
                "--resume {}: this run trains the model {model}, not {}; continue it with:\n  cargo run --release --example train -- --model {model} --resume {}",
                path.display(),
                example.model,
                path.display()
            ));
        }
    }
    for (key, saved) in &saved {
        if !OPTIONS.contains(&key.as_str()) {
            continue; // the model (checked above), or a setting of a later version
        }
        let on_command_line = matches.value_source(key) == Some(ValueSource::CommandLine);
        if run_options(args).contains_key(key) || key == "metrics" || key == "plot" {
            // The run's length and outputs: the command line may change them.
            if !on_command_line {
                apply_setting(args, key, saved)?;
            }
            continue;
        }
        let given = settings(args).get(key).cloned();
        if on_command_line && given.as_ref() != Some(saved) {
            let option = key.replace('_', "-");
            return Err(format!(
                "--resume: this run was started with --{option} {saved}; leave --{option} out to continue it"
            ));
        }
        apply_setting(args, key, saved)?;
    }
    if args.save.is_none() {
        args.save = Some(path.to_path_buf());
    }
    Ok(())
}

/// The saved settings that are options, by their ids in [`Options`].
const OPTIONS: [&str; 10] = [
    "seed",
    "batch_size",
    "lr",
    "optimizer",
    "resize",
    "limit_train",
    "limit_test",
    "epochs",
    "metrics",
    "plot",
];

fn apply_setting(args: &mut Options, key: &str, value: &str) -> Result<(), String> {
    let bad = || format!("the saved setting {key} = '{value}' cannot be read");
    let count = |v: &str| -> Result<Option<usize>, String> {
        if v == "all" {
            Ok(None)
        } else {
            v.parse().map(Some).map_err(|_| bad())
        }
    };
    match key {
        "seed" => args.seed = value.parse().map_err(|_| bad())?,
        "batch_size" => args.batch_size = value.parse().map_err(|_| bad())?,
        "lr" => args.lr = value.parse().map_err(|_| bad())?,
        "optimizer" if value == "sgd" || value == "adam" => args.optimizer = value.to_string(),
        "optimizer" => return Err(bad()),
        "resize" => args.resize = value.parse().map_err(|_| bad())?,
        "limit_train" => args.limit_train = count(value)?,
        "limit_test" => args.limit_test = count(value)?,
        "epochs" => args.epochs = value.parse().map_err(|_| bad())?,
        "metrics" => args.metrics = Some(PathBuf::from(value)),
        "plot" => args.plot = Some(PathBuf::from(value)),
        _ => {}
    }
    Ok(())
}

/// Loads the run saved at `path` into `model` and `optimizer` (built with the settings
/// [`take_settings`] took over) and returns where it continues, with its history.
pub fn load(
    path: &Path,
    model: &mut dyn Module,
    optimizer: &mut dyn Optimizer,
) -> AnyResult<(EpochStart, History)> {
    let state = training_state::load(path, model, optimizer)?;
    let start = EpochStart {
        epoch: state.epochs_done + 1,
        progress: state.unfinished_epoch.unwrap_or_default(),
    };
    println!(
        "resuming {} at epoch {}, step {}",
        path.display(),
        start.epoch,
        start.progress.step
    );
    Ok((start, History::from_lines(&state.history)?))
}
