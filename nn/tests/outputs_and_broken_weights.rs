//! What may be overwritten (output files: only a missing or regular writable file; symbolic links
//! are written through; debris of killed saves is cleaned up), and weights that are already
//! broken: a checkpoint holding NaN is refused on load, and a NaN loss caused by broken weights
//! says so instead of blaming the learning rate.

use nn::data::Split;
use nn::models::Mlp;
use nn::optim::Adam;
use nn::output_file::{check, write_atomically};
use nn::training::{train_epoch, Feed};
use nn::{checkpoint, Error, Module};
use std::fs;
use std::os::unix::fs::{symlink, FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tensor::{Device, Rng, Tensor};

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rustgrad-out-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The refusal's message for writing `path`, with the file system left as it was.
#[track_caller]
fn refused(path: &Path) -> String {
    let error = write_atomically(path, b"new").expect_err("the write must be refused");
    assert!(matches!(error, Error::OutputRefused { .. }), "{error}");
    error.to_string()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_new_file_and_a_writable_regular_file_are_written() {
    let dir = scratch("regular");
    let path = dir.join("metrics.csv");
    write_atomically(&path, b"one").unwrap();
    write_atomically(&path, b"two").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"two");
    assert_eq!(files_in(&dir), ["metrics.csv"], "no temporary files left");
}

#[test]
fn devices_folders_pipes_and_sockets_are_never_replaced() {
    let dir = scratch("special");
    let message = refused(Path::new("/dev/full"));
    assert!(message.contains("is a device, not a file"), "{message}");
    assert!(fs::metadata("/dev/full")
        .unwrap()
        .file_type()
        .is_char_device());

    let folder = dir.join("folder");
    fs::create_dir(&folder).unwrap();
    assert!(refused(&folder).contains("is a directory"));
    assert!(folder.is_dir());

    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    assert!(refused(&fifo).contains("named pipe"));

    let socket = dir.join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    assert!(refused(&socket).contains("is a socket"));
}

#[test]
fn a_read_only_file_is_kept() {
    let dir = scratch("read-only");
    let path = dir.join("best.safetensors");
    fs::write(&path, b"keep me").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let message = refused(&path);
    assert!(
        message.contains("is read-only, so it will not be replaced"),
        "{message}"
    );
    assert_eq!(fs::read(&path).unwrap(), b"keep me");
}

#[test]
fn a_symbolic_link_is_written_through_and_stays_a_link() {
    let dir = scratch("symlink");
    let real = dir.join("run7.safetensors");
    let link = dir.join("latest.safetensors");
    fs::write(&real, b"old").unwrap();
    symlink(&real, &link).unwrap();
    assert_eq!(check(&link).unwrap(), fs::canonicalize(&real).unwrap());
    write_atomically(&link, b"new").unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read(&real).unwrap(), b"new");

    // A link to nothing, or to something that must not be replaced, is refused.
    let dangling = dir.join("dangling");
    symlink(dir.join("nowhere/at/all"), &dangling).unwrap();
    assert!(refused(&dangling).contains("symbolic link to nothing"));
    let to_device = dir.join("to-device");
    symlink("/dev/full", &to_device).unwrap();
    assert!(refused(&to_device).contains("is a device"));
}

#[test]
fn a_missing_folder_is_named() {
    let dir = scratch("missing-folder");
    let message = refused(&dir.join("no/such/folder/model.safetensors"));
    assert!(message.contains("create it first"), "{message}");
}

#[test]
fn debris_of_killed_saves_is_removed_but_not_that_of_a_running_save() {
    let dir = scratch("debris");
    let path = dir.join("model.safetensors");
    // A process id that no longer runs: a child that has exited.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    let stale = dir.join(format!(".model.safetensors.{gone_pid}.partial"));
    fs::write(&stale, b"half a checkpoint").unwrap();
    // A process that still runs: its save may be in progress.
    let mut running = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let live = dir.join(format!(".model.safetensors.{}.partial", running.id()));
    fs::write(&live, b"being written").unwrap();
    // Another target's debris is not ours to remove.
    let other = dir.join(format!(".other.csv.{gone_pid}.partial"));
    fs::write(&other, b"not ours").unwrap();

    write_atomically(&path, b"complete").unwrap();
    let left = files_in(&dir);
    running.kill().unwrap();
    running.wait().unwrap();
    assert!(!stale.exists(), "left: {left:?}");
    assert!(live.exists() && other.exists(), "left: {left:?}");
}

fn small_model(seed: u64) -> Mlp {
    Mlp::new(&[4, 3, 2], &mut Rng::new(seed))
}

fn values(model: &Mlp) -> Vec<Vec<f32>> {
    model
        .parameters()
        .iter()
        .map(|(_, p)| p.value.to_vec())
        .collect()
}

#[test]
fn a_checkpoint_holding_nan_is_refused_and_changes_nothing() {
    let path = scratch("nan-checkpoint").join("model.safetensors");
    let mut named: Vec<(String, Tensor)> = small_model(1)
        .parameters()
        .into_iter()
        .map(|(name, p)| (name, p.value.clone()))
        .collect();
    let mut broken = named[2].1.to_vec();
    broken[1] = f32::NAN;
    named[2].1 = Tensor::from_vec(broken, named[2].1.dims());
    checkpoint::save(&path, &named).unwrap();

    let mut model = small_model(2);
    let before = values(&model);
    let error = checkpoint::load_module(&mut model, &path).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(&format!("tensor {} holds NaN at element 1", named[2].0)),
        "{message}"
    );
    assert_eq!(values(&model), before, "the model is unchanged");
}

fn tiny_split() -> Split {
    Split {
        images: (0..=255).cycle().take(8 * 4).collect(),
        labels: vec![0, 1, 0, 1, 0, 1, 0, 1],
        rows: 2,
        cols: 2,
    }
}

#[test]
fn a_nan_loss_from_broken_weights_blames_the_weights_not_the_learning_rate() {
    let mut model = small_model(1);
    let (name, parameter) = model.parameters_mut().remove(0);
    parameter.value = parameter.value.full_like(f32::NAN);
    let feed = Feed {
        batch_size: 2,
        image_size: 2,
        device: Device::Cpu,
    };
    let mut optimizer = Adam::new(1e-3);
    let error = train_epoch(
        &mut model,
        &mut optimizer,
        &tiny_split(),
        feed,
        1,
        0,
        &mut |_| {},
    )
    .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "weights were already broken: {name} holds NaN or infinity"
        )),
        "{message}"
    );
    assert!(!message.contains("--lr"), "{message}");
}

#[test]
fn a_nan_loss_with_finite_weights_suggests_a_lower_learning_rate() {
    let mut model = small_model(1);
    let mut optimizer = Adam::new(3e38);
    let feed = Feed {
        batch_size: 2,
        image_size: 2,
        device: Device::Cpu,
    };
    let error = train_epoch(
        &mut model,
        &mut optimizer,
        &tiny_split(),
        feed,
        1,
        0,
        &mut |_| {},
    )
    .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(
            "every weight still finite before the step. Try a lower learning rate (--lr)"
        ),
        "{message}"
    );
}
