//! A run stopped and resumed computes exactly what an uninterrupted run computes: after two
//! epochs straight, after one epoch + save + resume + one epoch, and after a stop in the middle
//! of an epoch, the weights are bit-identical (on the CPU, with dropout and Adam).

use nn::data::Split;
use nn::layers::{Dropout, Flatten, Linear, ReLU, Sequential};
use nn::optim::{Adam, Optimizer, Sgd};
use nn::training::{train_epoch_from, EpochEnd, EpochHooks, EpochStart, Feed, Progress};
use nn::training_state::{self, TrainingState};
use nn::{Error, Module};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use tensor::{Device, Rng};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rustgrad-resume-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn model() -> Sequential {
    let mut rng = Rng::new(7);
    Sequential::new(vec![
        Box::new(Flatten),
        Box::new(Linear::new(16, 12, &mut rng)),
        Box::new(ReLU),
        Box::new(Dropout::new(0.3)),
        Box::new(Linear::new(12, 10, &mut rng)),
    ])
}

/// 48 images of 4×4 with labels 0..10: six steps of 8 per epoch.
fn split() -> Split {
    let mut rng = Rng::new(3);
    Split {
        images: (0..48 * 16).map(|_| (rng.next_u64() % 256) as u8).collect(),
        labels: (0..48).map(|i| (i % 10) as u8).collect(),
        rows: 4,
        cols: 4,
    }
}

const FEED: Feed = Feed {
    batch_size: 8,
    image_size: 4,
    device: Device::Cpu,
};
const SEED: u64 = 11;

/// Runs `start`'s epoch to its end or until `stop` (set before the run: after one step).
fn run(
    model: &mut Sequential,
    optimizer: &mut dyn Optimizer,
    start: EpochStart,
    stop: bool,
) -> EpochEnd {
    let hooks = EpochHooks {
        stop: &AtomicBool::new(stop),
        on_step: &mut |_| {},
        on_forward: &mut |_, _| {},
    };
    train_epoch_from(model, optimizer, &split(), FEED, start, SEED, hooks).unwrap()
}

fn finished(end: EpochEnd) -> Progress {
    match end {
        EpochEnd::Finished(progress) => progress,
        EpochEnd::Stopped(progress) => panic!("stopped at step {}", progress.step),
    }
}

fn weights(model: &Sequential) -> Vec<Vec<u32>> {
    // Bits, not values: "bit-identical" means exactly that.
    model
        .parameters()
        .iter()
        .map(|(_, p)| p.value.to_vec().iter().map(|v| v.to_bits()).collect())
        .collect()
}

fn state(epochs_done: usize, unfinished_epoch: Option<Progress>) -> TrainingState {
    TrainingState {
        epochs_done,
        unfinished_epoch,
        settings: [("seed".to_string(), SEED.to_string())].into(),
        history: vec!["1,0.5,0.25".into()],
    }
}

#[test]
fn one_epoch_then_save_resume_and_one_more_equals_two_epochs_straight() {
    let (mut straight, mut adam) = (model(), Adam::new(1e-2));
    let first = finished(run(
        &mut straight,
        &mut adam,
        EpochStart::beginning(1),
        false,
    ));
    let second = finished(run(
        &mut straight,
        &mut adam,
        EpochStart::beginning(2),
        false,
    ));

    let path = scratch("epoch").join("model.safetensors");
    let (mut interrupted, mut adam) = (model(), Adam::new(1e-2));
    assert_eq!(
        finished(run(
            &mut interrupted,
            &mut adam,
            EpochStart::beginning(1),
            false
        )),
        first
    );
    training_state::save(&path, &interrupted, &adam, &state(1, None)).unwrap();

    let (mut resumed, mut adam) = (model(), Adam::new(1e-2));
    let loaded = training_state::load(&path, &mut resumed, &mut adam).unwrap();
    assert_eq!(loaded, state(1, None));
    assert_eq!(
        finished(run(
            &mut resumed,
            &mut adam,
            EpochStart::beginning(2),
            false
        )),
        second
    );
    assert_eq!(weights(&resumed), weights(&straight));
}

#[test]
fn a_stop_in_the_middle_of_an_epoch_resumes_exactly() {
    let (mut straight, mut sgd) = (model(), Sgd::new(0.05).with_momentum(0.9));
    let whole = finished(run(
        &mut straight,
        &mut sgd,
        EpochStart::beginning(1),
        false,
    ));

    let (mut interrupted, mut sgd) = (model(), Sgd::new(0.05).with_momentum(0.9));
    let EpochEnd::Stopped(partial) =
        run(&mut interrupted, &mut sgd, EpochStart::beginning(1), true)
    else {
        panic!("the stop request was ignored")
    };
    assert_eq!((partial.step, partial.steps), (1, 6));
    let path = scratch("mid-epoch").join("model.safetensors");
    training_state::save(&path, &interrupted, &sgd, &state(0, Some(partial))).unwrap();

    let (mut resumed, mut sgd) = (model(), Sgd::new(0.05).with_momentum(0.9));
    let loaded = training_state::load(&path, &mut resumed, &mut sgd).unwrap();
    let start = EpochStart {
        epoch: 1,
        progress: loaded.unfinished_epoch.expect("the partial epoch"),
    };
    assert_eq!(finished(run(&mut resumed, &mut sgd, start, false)), whole);
    assert_eq!(weights(&resumed), weights(&straight));
}

#[test]
fn a_checkpoint_and_a_state_from_different_saves_are_refused() {
    let dir = scratch("mismatch");
    let path = dir.join("model.safetensors");
    let (mut net, mut adam) = (model(), Adam::new(1e-2));
    finished(run(&mut net, &mut adam, EpochStart::beginning(1), false));
    training_state::save(&path, &net, &adam, &state(1, None)).unwrap();
    let older_state = std::fs::read(training_state::state_path(&path)).unwrap();
    training_state::save(&path, &net, &adam, &state(2, None)).unwrap();
    // As if the run crashed between writing the state and the checkpoint of its next save.
    std::fs::write(training_state::state_path(&path), older_state).unwrap();

    let (mut fresh, mut adam) = (model(), Adam::new(1e-2));
    let before = weights(&fresh);
    let error = training_state::load(&path, &mut fresh, &mut adam).unwrap_err();
    assert!(matches!(error, Error::CorruptCheckpoint { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("written at different points of the run"),
        "{error}"
    );
    assert_eq!(weights(&fresh), before, "nothing loaded");
}

#[test]
fn a_model_only_checkpoint_cannot_be_resumed() {
    let path = scratch("model-only").join("model.safetensors");
    nn::checkpoint::save_module(&model(), &path).unwrap();
    let (mut fresh, mut adam) = (model(), Adam::new(1e-2));
    let error = training_state::load(&path, &mut fresh, &mut adam).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("can only be loaded (--load), not resumed"),
        "{error}"
    );
}
