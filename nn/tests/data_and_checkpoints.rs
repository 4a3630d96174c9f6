//! Reliability of everything that touches files: IDX parsing, the Fashion-MNIST loader and its
//! errors, checkpoints (round trip, corrupt and foreign files, mismatches, atomic saves that
//! survive the process being killed), and training that stops on a NaN loss.

use flate2::{write::GzEncoder, Compression};
use nn::checkpoint;
use nn::data::{batch_order, parse_idx, read_idx, FashionMnist, ImageBatch, Split};
use nn::models::Mlp;
use nn::optim::Adam;
use nn::training::{train_epoch, Feed};
use nn::{Error, Module};
use std::io::Write;
use std::path::{Path, PathBuf};
use tensor::{Device, Rng, Tensor};

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rustgrad-nn-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn idx_bytes(dims: &[u32], values: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
    dims.iter().for_each(|d| bytes.extend(d.to_be_bytes()));
    bytes.extend(values);
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Writes a tiny Fashion-MNIST look-alike: `n` 28x28 images per split, pixel = index, label = index % 10.
fn write_tiny_dataset(dir: &Path, n: u32) {
    for prefix in ["train", "t10k"] {
        let pixels: Vec<u8> = (0..n)
            .flat_map(|i| std::iter::repeat(i as u8).take(784))
            .collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        let images = gzip(&idx_bytes(&[n, 28, 28], &pixels));
        std::fs::write(dir.join(format!("{prefix}-images-idx3-ubyte.gz")), images).unwrap();
        // Labels uncompressed: both forms must load.
        std::fs::write(
            dir.join(format!("{prefix}-labels-idx1-ubyte")),
            idx_bytes(&[n], &labels),
        )
        .unwrap();
    }
}

#[test]
fn idx_reads_plain_and_gzipped_files() {
    let dir = scratch("idx");
    let bytes = idx_bytes(&[2, 3], &[1, 2, 3, 4, 5, 6]);
    std::fs::write(dir.join("plain"), &bytes).unwrap();
    std::fs::write(dir.join("zipped"), gzip(&bytes)).unwrap();
    for name in ["plain", "zipped"] {
        let array = read_idx(&dir.join(name)).unwrap();
        assert_eq!(array.dims, vec![2, 3]);
        assert_eq!(array.values, vec![1, 2, 3, 4, 5, 6]);
    }
}

#[test]
fn idx_rejects_bad_headers_and_wrong_lengths() {
    let cases: [(Vec<u8>, &str); 5] = [
        (vec![0, 0], "shorter than an IDX header"),
        (vec![1, 2, 3, 4], "bad magic number"),
        (
            idx_bytes(&[2], &[1, 2])
                .iter()
                .enumerate()
                .map(|(i, &b)| if i == 2 { 0x0d } else { b })
                .collect(),
            "value type 0x0d",
        ),
        (
            idx_bytes(&[4], &[1, 2]),
            "truncated: dimensions [4] need 4 bytes of data, the file has 2",
        ),
        (idx_bytes(&[1], &[1, 2]), "too long"),
    ];
    for (bytes, expected) in cases {
        let error = parse_idx(&bytes).unwrap_err();
        assert!(
            error.contains(expected),
            "{error:?} should say {expected:?}"
        );
    }
}

#[test]
fn a_truncated_gzip_file_is_an_error_naming_the_file() {
    let dir = scratch("truncated-gz");
    let zipped = gzip(&idx_bytes(&[100], &[7; 100]));
    let path = dir.join("labels.gz");
    std::fs::write(&path, &zipped[..zipped.len() / 2]).unwrap();
    let message = read_idx(&path).unwrap_err().to_string();
    assert!(
        message.contains("labels.gz") && message.contains("gzip"),
        "{message}"
    );
}

#[test]
fn fashion_mnist_loads_from_a_folder_and_truncates() {
    let dir = scratch("dataset");
    write_tiny_dataset(&dir, 12);
    let mut data = FashionMnist::load(Some(&dir)).unwrap();
    assert_eq!(
        (
            data.train.len(),
            data.test.len(),
            data.train.rows,
            data.train.cols
        ),
        (12, 12, 28, 28)
    );
    assert_eq!(data.train.image(5), &[5u8; 784][..]);
    data.test.truncate(4);
    assert_eq!(data.test.labels, vec![0, 1, 2, 3]);
}

#[test]
fn missing_dataset_says_how_to_install_it() {
    let dir = scratch("no-dataset");
    let message = FashionMnist::load(Some(&dir)).err().unwrap().to_string();
    assert!(
        message.contains("apt-get install -y dataset-fashion-mnist"),
        "{message}"
    );
    assert!(message.contains("train-images-idx3-ubyte"), "{message}");
}

#[test]
fn mismatched_label_file_is_an_error() {
    let dir = scratch("bad-labels");
    write_tiny_dataset(&dir, 12);
    std::fs::write(
        dir.join("t10k-labels-idx1-ubyte"),
        idx_bytes(&[11], &[0; 11]),
    )
    .unwrap();
    let message = FashionMnist::load(Some(&dir)).err().unwrap().to_string();
    assert!(
        message.contains("t10k-labels-idx1-ubyte") && message.contains("11 labels for 12 images"),
        "{message}"
    );
    std::fs::write(
        dir.join("t10k-labels-idx1-ubyte"),
        idx_bytes(&[12], &[10; 12]),
    )
    .unwrap();
    let message = FashionMnist::load(Some(&dir)).err().unwrap().to_string();
    assert!(
        message.contains("label 10 is not one of the 10 classes"),
        "{message}"
    );
}

#[test]
fn idx_dimensions_that_multiply_past_the_address_space_are_an_error() {
    let dir = scratch("idx-overflow");
    // 4 × 2^31 × 2^31 = 2^64 bytes: wraps to 0 in unchecked arithmetic.
    let bytes = idx_bytes(&[4, 1 << 31, 1 << 31], &[1, 2, 3]);
    let expected = "dimensions [4, 2147483648, 2147483648] multiply to more bytes than this machine can address";
    let problem = parse_idx(&bytes).unwrap_err();
    assert!(problem.contains(expected), "{problem}");
    for (name, contents) in [("plain", bytes.clone()), ("zipped.gz", gzip(&bytes))] {
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        let message = read_idx(&path).unwrap_err().to_string();
        assert!(
            message.contains(name) && message.contains(expected),
            "{message}"
        );
    }
}

#[test]
fn a_gzip_file_longer_than_its_header_says_is_refused() {
    let dir = scratch("idx-gzip-too-long");
    let path = dir.join("labels.gz");
    std::fs::write(&path, gzip(&idx_bytes(&[3], &[1; 10]))).unwrap();
    let message = read_idx(&path).unwrap_err().to_string();
    assert!(
        message.contains(
            "too long: dimensions [3] need 3 bytes of data, the decompressed data has more"
        ),
        "{message}"
    );
    std::fs::write(&path, gzip(&idx_bytes(&[30], &[1; 10]))).unwrap();
    let message = read_idx(&path).unwrap_err().to_string();
    assert!(
        message.contains(
            "truncated: dimensions [30] need 30 bytes of data, the decompressed data has 10"
        ),
        "{message}"
    );
}

#[test]
fn fashion_mnist_refuses_images_without_pixels() {
    let dir = scratch("no-pixels");
    write_tiny_dataset(&dir, 12);
    for (dims, size) in [
        ([12, 0, 0], "0x0"),
        ([12, 28, 0], "28x0"),
        ([12, 0, 28], "0x28"),
    ] {
        std::fs::write(
            dir.join("train-images-idx3-ubyte.gz"),
            gzip(&idx_bytes(&dims, &[])),
        )
        .unwrap();
        let message = FashionMnist::load(Some(&dir)).err().unwrap().to_string();
        assert!(
            message.contains("train-images-idx3-ubyte.gz")
                && message.contains(&format!(
                    "images of {size} pixels: an image needs at least one row and one column"
                )),
            "{message}"
        );
    }
}

#[test]
fn a_label_file_with_more_than_one_dimension_is_an_error() {
    let dir = scratch("labels-rank");
    write_tiny_dataset(&dir, 12);
    std::fs::write(
        dir.join("train-labels-idx1-ubyte"),
        idx_bytes(&[12, 1], &[0; 12]),
    )
    .unwrap();
    let message = FashionMnist::load(Some(&dir)).err().unwrap().to_string();
    assert!(
        message.contains("train-labels-idx1-ubyte")
            && message.contains("labels must have 1 dimension, found [12, 1]"),
        "{message}"
    );
}

#[test]
fn a_label_outside_the_ten_classes_is_an_error_naming_the_file() {
    let dir = scratch("label-200");
    write_tiny_dataset(&dir, 12);
    let mut labels = vec![3u8; 12];
    labels[7] = 200;
    std::fs::write(
        dir.join("train-labels-idx1-ubyte"),
        idx_bytes(&[12], &labels),
    )
    .unwrap();
    let message = FashionMnist::load(Some(&dir)).err().unwrap().to_string();
    assert!(
        message.contains("train-labels-idx1-ubyte")
            && message.contains("label 200 is not one of the 10 classes (example 7)"),
        "{message}"
    );
}

#[test]
fn a_damaged_file_in_the_users_folder_is_not_blamed_on_the_debian_package() {
    let dir = scratch("users-damaged-file");
    write_tiny_dataset(&dir, 12);
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), [1, 2, 3, 4]).unwrap();
    let message = FashionMnist::load(Some(&dir)).err().unwrap().to_string();
    assert!(
        message.contains(
            "t10k-labels-idx1-ubyte: bad magic number 01020304: not an IDX file. \
             The file is damaged; replace it with an intact copy"
        ),
        "{message}"
    );
    assert!(!message.contains("apt-get"), "{message}");
    // The same damage in Debian's folder: reinstalling the package repairs it.
    let debian = Error::CorruptDataset {
        path: Path::new(nn::data::DEFAULT_DIR).join("t10k-labels-idx1-ubyte.gz"),
        problem: "bad magic number 01020304: not an IDX file".to_string(),
    };
    assert_eq!(
        debian.to_string(),
        "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz: bad magic number 01020304: \
         not an IDX file. The file is damaged; reinstall the dataset \
         (apt-get install --reinstall dataset-fashion-mnist)"
    );
}

#[test]
fn a_missing_file_in_the_users_folder_says_what_to_put_there() {
    let dir = scratch("users-missing-file");
    write_tiny_dataset(&dir, 12);
    std::fs::remove_file(dir.join("t10k-labels-idx1-ubyte")).unwrap();
    let message = FashionMnist::load(Some(&dir)).err().unwrap().to_string();
    assert!(
        message.contains("has no t10k-labels-idx1-ubyte(.gz). Put the four IDX files there"),
        "{message}"
    );
    let debian = Error::DatasetMissing {
        dir: PathBuf::from(nn::data::DEFAULT_DIR),
        file: "train-images-idx3-ubyte".to_string(),
    };
    assert!(
        debian.to_string().contains(
            "Install it with `apt-get install -y dataset-fashion-mnist`, or point --data-dir"
        ),
        "{debian}"
    );
}

#[test]
fn the_data_folder_comes_from_the_argument_then_the_environment_then_debian() {
    assert_eq!(
        FashionMnist::resolve_dir(Some(Path::new("/x"))),
        PathBuf::from("/x")
    );
    std::env::set_var("FASHION_MNIST_DIR", "/from/env");
    assert_eq!(FashionMnist::resolve_dir(None), PathBuf::from("/from/env"));
    std::env::remove_var("FASHION_MNIST_DIR");
    assert_eq!(
        FashionMnist::resolve_dir(None),
        PathBuf::from("/usr/share/datasets/fashion-mnist")
    );
}

#[test]
fn batches_shuffle_with_a_seed_and_keep_file_order_without() {
    let test_order = batch_order(10, 4, None);
    assert_eq!(
        test_order,
        vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]
    );
    let shuffled = batch_order(10, 4, Some(3));
    assert_eq!(
        shuffled,
        batch_order(10, 4, Some(3)),
        "same seed, same order"
    );
    assert_ne!(shuffled, test_order);
    let mut all: Vec<usize> = shuffled.concat();
    all.sort_unstable();
    assert_eq!(all, (0..10).collect::<Vec<_>>());
}

#[test]
fn image_batches_are_scaled_to_unit_range_and_resized() {
    let split = Split {
        images: vec![0, 255, 51, 102],
        labels: vec![3],
        rows: 2,
        cols: 2,
    };
    let batch = ImageBatch::gather(&split, &[0], 2, Device::Cpu).unwrap();
    assert_eq!(batch.images.to_vec(), vec![0.0, 1.0, 0.2, 0.4]);
    assert_eq!(batch.labels.to_vec(), vec![3]);
    let resized = ImageBatch::gather(&split, &[0], 5, Device::Cpu).unwrap();
    assert_eq!(resized.images.dims(), &[1, 1, 5, 5]);
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
fn checkpoints_round_trip() {
    let path = scratch("round-trip").join("model.safetensors");
    let saved = small_model(1);
    checkpoint::save_module(&saved, &path).unwrap();
    let mut loaded = small_model(2);
    assert_ne!(values(&loaded), values(&saved));
    checkpoint::load_module(&mut loaded, &path).unwrap();
    assert_eq!(values(&loaded), values(&saved));
    let names: Vec<String> = checkpoint::load(&path).unwrap().into_keys().collect();
    assert_eq!(
        names,
        ["net.1.bias", "net.1.weight", "net.3.bias", "net.3.weight"]
    );
}

#[test]
fn truncated_and_foreign_checkpoints_are_errors_not_panics() {
    let dir = scratch("corrupt");
    let good = dir.join("good.safetensors");
    checkpoint::save_module(&small_model(1), &good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let cases = [
        ("truncated.safetensors", bytes[..bytes.len() - 7].to_vec()),
        ("header-cut.safetensors", bytes[..20].to_vec()),
        ("empty.safetensors", Vec::new()),
        (
            "foreign.safetensors",
            b"this is a text file, not a checkpoint at all".to_vec(),
        ),
    ];
    for (name, bytes) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let mut model = small_model(2);
        let before = values(&model);
        let error = checkpoint::load_module(&mut model, &path).unwrap_err();
        assert!(
            matches!(error, Error::CorruptCheckpoint { .. }),
            "{name}: {error}"
        );
        assert!(error.to_string().contains(name), "{error}");
        assert_eq!(
            values(&model),
            before,
            "a failed load must leave the model as it was"
        );
    }
    let missing =
        checkpoint::load_module(&mut small_model(2), &dir.join("absent.safetensors")).unwrap_err();
    assert!(matches!(missing, Error::Io { .. }), "{missing}");
}

#[test]
fn checkpoints_for_another_model_name_every_problem() {
    let dir = scratch("mismatch");
    let path = dir.join("other.safetensors");
    let tensors = [
        ("net.1.weight".to_string(), Tensor::zeros([3, 5])), // wrong shape
        ("net.1.bias".to_string(), Tensor::zeros([3])),
        ("net.3.weight".to_string(), Tensor::zeros([2, 3])),
        ("net.9.bias".to_string(), Tensor::zeros([2])), // unexpected; net.3.bias missing
    ];
    checkpoint::save(&path, &tensors).unwrap();
    let mut model = small_model(1);
    let before = values(&model);
    let message = checkpoint::load_module(&mut model, &path)
        .unwrap_err()
        .to_string();
    for expected in [
        "shape mismatch: net.1.weight is [3, 5] in the file, [3, 4] in the model",
        "missing: net.3.bias",
        "unexpected: net.9.bias",
    ] {
        assert!(
            message.contains(expected),
            "{message}\nshould contain: {expected}"
        );
    }
    assert_eq!(values(&model), before);
}

#[test]
fn a_failed_save_leaves_the_old_checkpoint_and_no_debris() {
    let dir = scratch("failed-save");
    let path = dir.join("model.safetensors");
    checkpoint::save_module(&small_model(1), &path).unwrap();
    // A directory where the temporary file would go makes the write fail.
    let blocker = dir.join(format!(".model.safetensors.{}.partial", std::process::id()));
    std::fs::create_dir(&blocker).unwrap();
    assert!(checkpoint::save_module(&small_model(2), &path).is_err());
    std::fs::remove_dir(&blocker).unwrap();
    let mut model = small_model(3);
    checkpoint::load_module(&mut model, &path).unwrap();
    assert_eq!(values(&model), values(&small_model(1)));
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("model.safetensors")]);
}

/// Runs in a child process: saves checkpoints of ones / twos over each other, forever, until killed.
fn save_in_a_loop(path: &Path) -> ! {
    for round in 0.. {
        let value = if round % 2 == 0 { 2.0 } else { 1.0 };
        checkpoint::save(path, &[("w".to_string(), Tensor::full([4_000_000], value))]).unwrap();
    }
    unreachable!()
}

#[test]
fn a_save_killed_midway_leaves_a_complete_checkpoint() {
    if let Some(path) = std::env::var_os("RUSTGRAD_TEST_SAVE_LOOP") {
        save_in_a_loop(Path::new(&path));
    }
    let dir = scratch("killed");
    let path = dir.join("model.safetensors");
    checkpoint::save(&path, &[("w".to_string(), Tensor::full([4_000_000], 1.0))]).unwrap();
    for delay_ms in [50, 170, 290] {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_save_killed_midway_leaves_a_complete_checkpoint",
                "--nocapture",
            ])
            .env("RUSTGRAD_TEST_SAVE_LOOP", &path)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL: no destructor, no cleanup runs
        child.wait().unwrap();
        let w = checkpoint::load(&path).expect("the checkpoint is complete")["w"].to_vec();
        assert!(
            w.iter().all(|&v| v == w[0]) && (w[0] == 1.0 || w[0] == 2.0),
            "a mixed checkpoint"
        );
    }
}

#[test]
fn training_stops_with_a_message_when_the_loss_becomes_nan() {
    let split = Split {
        images: (0..=255).cycle().take(8 * 4).collect(),
        labels: vec![0, 1, 0, 1, 0, 1, 0, 1],
        rows: 2,
        cols: 2,
    };
    let mut model = small_model(1);
    let mut optimizer = Adam::new(3e38); // absurd: the first update sends the weights to ±3e38, logits overflow
    let feed = Feed {
        batch_size: 2,
        image_size: 2,
        device: Device::Cpu,
    };
    let error =
        train_epoch(&mut model, &mut optimizer, &split, feed, 3, 0, &mut |_| {}).unwrap_err();
    let Error::NonFiniteLoss { epoch, step, .. } = error else {
        panic!("expected NonFiniteLoss, got {error}")
    };
    assert_eq!(epoch, 3);
    assert!(step >= 2, "step {step}");
    assert!(
        error
            .to_string()
            .contains(&format!("at epoch 3, step {step}")),
        "{error}"
    );
}

#[test]
fn device_out_of_memory_becomes_an_error_naming_the_batch_size() {
    let result: nn::Result<()> = nn::training::out_of_memory_as_error(256, || {
        panic!("CUDA out of memory allocating 4096 MiB (CUDA_ERROR_OUT_OF_MEMORY): reduce the batch size")
    });
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("at batch size 256") && message.contains("--batch-size 128"),
        "{message}"
    );
    let other = std::panic::catch_unwind(|| {
        nn::training::out_of_memory_as_error(8, || -> nn::Result<()> { panic!("a bug") })
    });
    assert!(other.is_err(), "other panics keep unwinding");
}
