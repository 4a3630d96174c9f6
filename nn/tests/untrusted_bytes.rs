//! Fuzz-style tests of every parser of untrusted bytes: IDX files (`parse_idx` on bytes,
//! `read_idx` on plain and gzipped files) and safetensors checkpoints (`checkpoint::load` and
//! `checkpoint::load_module` into a small model).
//!
//! Inputs start from valid files and are mutated: bits flipped, bytes set to extremes, files cut,
//! extended and spliced, header sizes set to extreme values, gzip streams damaged, checkpoint
//! headers given huge shapes and offsets. Every case must return `Ok` or `Err`, never panic, and
//! stay within a memory bound checked by a counting allocator (per thread, so that tests running
//! side by side do not disturb each other's measurements).
//!
//! The runs are seeded: a failure prints the seed, the target and the case number, and keeps the
//! input under the temporary folder. `RUSTGRAD_FUZZ_SEED=<n>` runs another seed,
//! `RUSTGRAD_FUZZ_CASES=<n>` sets the number of cases per target, and `RUSTGRAD_FUZZ_CASE=<i>`
//! replays case `i` alone (each case has its own generator, seeded from the seed, the target and
//! `i`).

use flate2::{read::GzDecoder, write::GzEncoder, Compression};
use nn::checkpoint;
use nn::data::{parse_idx, read_idx, FashionMnist, IdxArray, ImageBatch};
use nn::layers::{Linear, ReLU, Sequential};
use nn::Module;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use tensor::{Device, Rng};

// ---------------------------------------------------------------------------------------------
// Memory: a global allocator that counts the bytes each thread holds, and its peak.

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn track(delta: isize) {
    // `try_with`: allocations during thread teardown are simply not counted.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc(layout);
        if !pointer.is_null() {
            track(layout.size() as isize);
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc_zeroed(layout);
        if !pointer.is_null() {
            track(layout.size() as isize);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        System.dealloc(pointer, layout);
        track(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = System.realloc(pointer, layout, new_size);
        if !moved.is_null() {
            track(new_size as isize - layout.size() as isize);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the most bytes this thread held at once during `f`,
/// beyond what it held before.
fn peak_bytes<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(start));
    let result = f();
    let peak = PEAK.with(Cell::get);
    (result, (peak - start).max(0) as usize)
}

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

// ---------------------------------------------------------------------------------------------
// The harness: seeded cases, panics caught and recorded quietly, failures reported together.

thread_local! {
    /// Set while a fuzz case runs: its panic is recorded here instead of printed.
    static CAUGHT: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

fn install_quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let quiet = CAUGHT.with(|caught| {
                let mut caught = caught.borrow_mut();
                match caught.as_mut() {
                    Some(slot) => {
                        *slot = Some(info.to_string());
                        true
                    }
                    None => false,
                }
            });
            if !quiet {
                default(info);
            }
        }));
    });
}

fn seed() -> u64 {
    std::env::var("RUSTGRAD_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_240_611)
}

fn cases(default: usize) -> usize {
    std::env::var("RUSTGRAD_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rustgrad-fuzz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a parser made of one input (when that was acceptable).
enum Outcome {
    Accepted,
    /// Refused, with this message.
    Refused(String),
}

/// A message with its file name and numbers taken out, to count the kinds of refusal.
fn kind_of(message: &str) -> String {
    let message = match message.split_once(": ") {
        Some((path, rest)) if path.starts_with('/') => rest,
        _ => message,
    };
    let mut kind = String::new();
    for c in message.chars() {
        if !c.is_ascii_digit() {
            kind.push(c);
        } else if !kind.ends_with('#') {
            kind.push('#');
        }
    }
    kind.replace('\n', " ").chars().take(60).collect()
}

/// Runs `count` cases of `target`: `make` builds case `i`'s input from its own generator (so that
/// one case can be replayed alone), `check` runs the parser on it and says what is wrong, if
/// anything. A panic in `check` is a failure too. Fails the test listing every failed case.
/// Prints how many inputs were accepted and the most common refusals (see `--nocapture`), to show
/// that the mutations reach past the first checks.
fn fuzz(
    target: &str,
    count: usize,
    mut make: impl FnMut(&mut Rng) -> Vec<u8>,
    mut check: impl FnMut(&[u8]) -> Result<Outcome, String>,
) {
    install_quiet_panic_hook();
    let seed = seed();
    // Each target its own inputs: the seed mixed with the target's name (FNV-1a).
    let salt = target.bytes().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    let mut accepted = 0;
    let mut refusals = std::collections::BTreeMap::<String, usize>::new();
    let only: Option<usize> = std::env::var("RUSTGRAD_FUZZ_CASE")
        .ok()
        .and_then(|s| s.parse().ok());
    for case in (0..count).filter(|&case| only.map_or(true, |only| only == case)) {
        let mut rng = Rng::new(tensor::rng::splitmix64(salt ^ ((case as u64) << 20)));
        let input = make(&mut rng);
        CAUGHT.with(|caught| *caught.borrow_mut() = Some(None));
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&input)));
        let panic = CAUGHT.with(|caught| caught.borrow_mut().take().flatten());
        let problem = match outcome {
            Ok(Ok(Outcome::Accepted)) => {
                accepted += 1;
                continue;
            }
            Ok(Ok(Outcome::Refused(message))) => {
                *refusals.entry(kind_of(&message)).or_default() += 1;
                continue;
            }
            Ok(Err(problem)) => problem,
            Err(_) => format!("panicked: {}", panic.unwrap_or_default()),
        };
        let kept =
            std::env::temp_dir().join(format!("rustgrad-fuzz-{target}-seed{seed}-case{case}"));
        let _ = std::fs::write(&kept, &input);
        failures.push(format!(
            "{target}, seed {seed}, case {case} ({} bytes, kept in {}; replay with \
             RUSTGRAD_FUZZ_SEED={seed} RUSTGRAD_FUZZ_CASE={case}): {problem}",
            input.len(),
            kept.display()
        ));
    }
    let refused: usize = refusals.values().sum();
    println!(
        "{target}: {} cases in {:.2} s, seed {seed}: {accepted} accepted, {refused} refused, {} failed",
        accepted + refused + failures.len(),
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    let mut common: Vec<(&String, &usize)> = refusals.iter().collect();
    common.sort_by_key(|&(kind, n)| (std::cmp::Reverse(*n), kind));
    for (kind, n) in common.iter().take(15) {
        println!("  {n:5} × {kind}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed (replay with RUSTGRAD_FUZZ_SEED={seed}):\n{}",
        failures.len(),
        accepted + refused + failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Generating and mutating inputs.

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

fn random_bytes(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.below(items.len())]
}

/// A valid IDX file of up to 4 small dimensions (sometimes 28x28 images).
fn valid_idx(rng: &mut Rng) -> Vec<u8> {
    let dims: Vec<u32> = if rng.below(8) == 0 {
        vec![rng.below(3) as u32 + 1, 28, 28]
    } else {
        (0..rng.below(5)).map(|_| rng.below(6) as u32).collect()
    };
    let len = dims.iter().map(|&d| d as usize).product();
    idx_bytes(&dims, &random_bytes(rng, len))
}

const EXTREME_U32: [u32; 9] = [
    0,
    1,
    255,
    28,
    60_000,
    1 << 16,
    1 << 31,
    u32::MAX - 1,
    u32::MAX,
];

/// One to four random changes: bit flips, extreme bytes, cuts, extensions, splices, and (when
/// `header` says where an IDX header's fields are) extreme dimensions, ranks and value types.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>, idx_header: bool) {
    for _ in 0..=rng.below(4) {
        let len = bytes.len();
        match rng.below(if idx_header { 11 } else { 8 }) {
            0 | 1 if len > 0 => {
                let at = rng.below(len);
                bytes[at] ^= 1 << rng.below(8);
            }
            2 if len > 0 => {
                let at = rng.below(len);
                let random = rng.next_u64() as u8;
                bytes[at] = pick(rng, &[0, 1, 0x7f, 0x80, 0xfe, 0xff, random]);
            }
            3 => bytes.truncate(rng.below(len + 1)),
            4 => {
                let extra = pick(rng, &[1, 2, 7, 100, 4096]);
                let tail = random_bytes(rng, extra);
                bytes.extend(tail);
            }
            5 => {
                let at = rng.below(len + 1);
                let n = rng.below(16) + 1;
                let inserted = random_bytes(rng, n);
                bytes.splice(at..at, inserted);
            }
            6 if len > 0 => {
                let from = rng.below(len);
                let to = (from + rng.below(32) + 1).min(len);
                bytes.drain(from..to);
            }
            7 if len > 1 => {
                // Duplicate a random stretch: repeated structure, plausible-looking garbage.
                let from = rng.below(len);
                let to = (from + rng.below(64) + 1).min(len);
                let stretch = bytes[from..to].to_vec();
                let at = rng.below(len + 1);
                bytes.splice(at..at, stretch);
            }
            8 if len >= 4 => {
                let rank = bytes[3] as usize;
                if rank > 0 && len >= 4 + 4 * rank {
                    let at = 4 + 4 * rng.below(rank);
                    let value = if rng.below(4) == 0 {
                        rng.next_u64() as u32
                    } else {
                        pick(rng, &EXTREME_U32)
                    };
                    bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
                }
            }
            9 if len >= 4 => bytes[3] = pick(rng, &[0, 1, 2, 3, 4, 5, 8, 64, 255]),
            10 if len >= 4 => bytes[2] = pick(rng, &[0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0]),
            _ => {}
        }
    }
}

/// IDX bytes: mostly valid files with mutations, sometimes random bytes or a header with extreme
/// dimensions and little data.
fn idx_input(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0 => {
            let n = rng.below(64);
            random_bytes(rng, n)
        }
        1 => {
            let dims: Vec<u32> = (0..rng.below(5) + 1)
                .map(|_| pick(rng, &EXTREME_U32))
                .collect();
            let n = rng.below(64);
            idx_bytes(&dims, &random_bytes(rng, n))
        }
        2 => valid_idx(rng),
        _ => {
            let mut bytes = valid_idx(rng);
            mutate(rng, &mut bytes, true);
            bytes
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What every IDX result must satisfy.

/// An `Ok` must describe exactly the bytes it came from.
fn check_idx_result(result: &Result<IdxArray, String>, bytes: &[u8]) -> Result<Outcome, String> {
    match result {
        Ok(array) => {
            let dims: Vec<u32> = array.dims.iter().map(|&d| d as u32).collect();
            if idx_bytes(&dims, &array.values) != bytes {
                return Err(format!(
                    "accepted as dims {:?} with {} values, which do not rebuild the input",
                    array.dims,
                    array.values.len()
                ));
            }
            Ok(Outcome::Accepted)
        }
        Err(problem) if problem.is_empty() => Err("an empty error message".into()),
        Err(problem) => Ok(Outcome::Refused(problem.clone())),
    }
}

/// Decompresses like `read_idx` does (first gzip member), keeping what came out before any error,
/// at most `cap` bytes.
fn inflate_prefix(gz: &[u8], cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut decoder = GzDecoder::new(gz).take(cap as u64);
    let mut chunk = [0u8; 4096];
    while let Ok(n @ 1..) = decoder.read(&mut chunk) {
        out.extend_from_slice(&chunk[..n]);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// IDX targets.

#[test]
fn parse_idx_survives_mutated_bytes() {
    fuzz("parse_idx", cases(20_000), idx_input, |bytes| {
        let (result, peak) = peak_bytes(|| parse_idx(bytes));
        let outcome = check_idx_result(&result, bytes)?;
        // The values (at most the input) and the dimensions (at most 255 of them).
        let bound = bytes.len() + 8 * KIB;
        if peak > bound {
            return Err(format!(
                "held {peak} bytes for a {}-byte input (bound {bound})",
                bytes.len()
            ));
        }
        Ok(outcome)
    });
}

#[test]
fn read_idx_survives_mutated_plain_files() {
    let path = scratch("plain").join("data-idx-ubyte");
    fuzz("read_idx-plain", cases(1500), idx_input, |bytes| {
        std::fs::write(&path, bytes).unwrap();
        let (result, peak) = peak_bytes(|| read_idx(&path));
        let result = result.map_err(|e| e.to_string());
        if let Err(message) = &result {
            if !message.contains("data-idx-ubyte") {
                return Err(format!("the error does not name the file: {message}"));
            }
        }
        // Bytes that happen to start with gzip's magic are read as gzip (the gzip target's
        // business); otherwise an accepted file must be exactly its array.
        let outcome = if bytes.starts_with(&[0x1f, 0x8b]) {
            match result {
                Ok(_) => Outcome::Accepted,
                Err(message) => Outcome::Refused(message),
            }
        } else {
            check_idx_result(&result, bytes)?
        };
        let bound = bytes.len() + 64 * KIB;
        if peak > bound {
            return Err(format!(
                "held {peak} bytes for a {}-byte file (bound {bound})",
                bytes.len()
            ));
        }
        Ok(outcome)
    });
}

/// Gzipped IDX files: valid or mutated IDX bytes compressed, then (most of the time) the
/// compressed stream itself damaged.
fn gzip_input(rng: &mut Rng) -> Vec<u8> {
    let mut gz = gzip(&idx_input(rng));
    match rng.below(4) {
        0 => {}
        1 => {
            // Damage only the header and trailer, where gzip's flags, sizes and CRC live.
            let len = gz.len();
            for _ in 0..=rng.below(3) {
                let at = if rng.below(2) == 0 {
                    rng.below(10.min(len))
                } else {
                    len - 1 - rng.below(8.min(len))
                };
                let random = rng.next_u64() as u8;
                gz[at] = pick(rng, &[0, 0xff, 0x1f, 0x8b, 0x04, 0x08, 0x10, random]);
            }
        }
        _ => mutate(rng, &mut gz, false),
    }
    gz
}

#[test]
fn read_idx_survives_damaged_gzip_files() {
    let path = scratch("gzip").join("data-idx-ubyte.gz");
    fuzz("read_idx-gzip", cases(1500), gzip_input, |gz| {
        std::fs::write(&path, gz).unwrap();
        let (result, peak) = peak_bytes(|| read_idx(&path));
        let inflated = inflate_prefix(gz, 64 * MIB);
        let outcome = match result {
            Err(e) => {
                let message = e.to_string();
                if !message.contains("data-idx-ubyte.gz") {
                    return Err(format!("the error does not name the file: {message}"));
                }
                Outcome::Refused(message)
            }
            // A damaged magic number makes it a plain file: then it must be exactly its array.
            Ok(array) if !gz.starts_with(&[0x1f, 0x8b]) => check_idx_result(&Ok(array), gz)?,
            // Accepted: the decompressed bytes must be exactly this array.
            Ok(array) => check_idx_result(&Ok(array), &inflated)?,
        };
        // What came out of the stream (twice, for the growing buffer), the decoder's state, and
        // the file's compressed bytes.
        let bound = 2 * inflated.len() + gz.len() + 512 * KIB;
        if peak > bound {
            return Err(format!(
                "held {peak} bytes for a stream of {} bytes inflating to {} (bound {bound})",
                gz.len(),
                inflated.len()
            ));
        }
        Ok(outcome)
    });
}

/// The four files of a tiny Fashion-MNIST look-alike: 3 images of 5x4 pixels per split.
const DATASET_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

fn tiny_dataset_file(index: usize) -> Vec<u8> {
    if index % 2 == 0 {
        idx_bytes(&[3, 5, 4], &(0..60).collect::<Vec<u8>>())
    } else {
        idx_bytes(&[3], &[0, 9, 4])
    }
}

/// One damaged file of the dataset: byte 0 says which, byte 1 whether it is gzipped, the rest
/// is its content.
fn dataset_input(rng: &mut Rng) -> Vec<u8> {
    let index = rng.below(4);
    let mut bytes = if rng.below(2) == 0 {
        let mut bytes = tiny_dataset_file(index);
        mutate(rng, &mut bytes, true);
        bytes
    } else {
        // A well-formed IDX file of the wrong shape or with wrong values, to reach the loader's
        // own checks (counts, ranks, sizes, labels).
        let dims: Vec<u32> = (0..pick(rng, &[0, 1, 1, 2, 3, 3, 4]))
            .map(|_| pick(rng, &[0, 1, 2, 3, 3, 5]))
            .collect();
        let len = dims.iter().map(|&d| d as usize).product();
        let limit = pick(rng, &[10, 10, 256]);
        let values: Vec<u8> = (0..len).map(|_| rng.below(limit) as u8).collect();
        idx_bytes(&dims, &values)
    };
    let zipped = rng.below(2) == 0;
    if zipped {
        bytes = gzip(&bytes);
        if rng.below(4) == 0 {
            mutate(rng, &mut bytes, false);
        }
    }
    [vec![index as u8, zipped as u8], bytes].concat()
}

#[test]
fn the_fashion_mnist_loader_survives_a_damaged_file() {
    let dir = scratch("dataset");
    fuzz("fashion-mnist", cases(600), dataset_input, |input| {
        for (i, name) in DATASET_FILES.iter().enumerate() {
            let _ = std::fs::remove_file(dir.join(name));
            let _ = std::fs::remove_file(dir.join(format!("{name}.gz")));
            if i != input[0] as usize {
                std::fs::write(dir.join(name), tiny_dataset_file(i)).unwrap();
            }
        }
        let name = DATASET_FILES[input[0] as usize];
        let name = if input[1] == 1 {
            format!("{name}.gz")
        } else {
            name.to_string()
        };
        std::fs::write(dir.join(&name), &input[2..]).unwrap();
        let data = match FashionMnist::load(Some(&dir)) {
            Err(e) => {
                let message = e.to_string();
                if !message.contains(&name) {
                    return Err(format!("the error does not name {name}: {message}"));
                }
                return Ok(Outcome::Refused(message));
            }
            Ok(data) => data,
        };
        // Accepted: a split every later step can use without panicking.
        for split in [&data.train, &data.test] {
            let (n, rows, cols) = (split.len(), split.rows, split.cols);
            if rows == 0 || cols == 0 || split.images.len() != n * rows * cols {
                return Err(format!(
                    "accepted {n} images of {rows}x{cols} with {} pixels",
                    split.images.len()
                ));
            }
            if let Some(bad) = split.labels.iter().find(|&&l| l >= 10) {
                return Err(format!("accepted label {bad}"));
            }
            let all: Vec<usize> = (0..n).collect();
            let batch =
                ImageBatch::gather(split, &all, 8, Device::Cpu).map_err(|e| e.to_string())?;
            if batch.images.dims() != [n, 1, 8, 8] {
                return Err(format!("a batch of shape {:?}", batch.images.dims()));
            }
        }
        Ok(Outcome::Accepted)
    });
}

// ---------------------------------------------------------------------------------------------
// Memory bounds on purpose-built files.

/// Header `dims`, then `data_len` zero bytes, gzipped (compresses about 1000:1).
fn gzip_with_zeros(dims: &[u32], data_len: usize) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(&idx_bytes(dims, &[])).unwrap();
    let zeros = vec![0u8; MIB];
    let mut left = data_len;
    while left > 0 {
        let n = left.min(MIB);
        encoder.write_all(&zeros[..n]).unwrap();
        left -= n;
    }
    encoder.finish().unwrap()
}

#[test]
fn a_gzip_bomb_is_refused_once_the_promised_bytes_are_read() {
    let dir = scratch("bomb");
    let path = dir.join("labels.gz");
    // The header promises 1000 bytes; the stream inflates to 64 MiB.
    std::fs::write(&path, gzip_with_zeros(&[1000], 64 * MIB)).unwrap();
    let (result, peak) = peak_bytes(|| read_idx(&path));
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("labels.gz")
            && message.contains("too long: dimensions [1000] need 1000 bytes of data"),
        "{message}"
    );
    assert!(
        peak < MIB,
        "held {peak} bytes to refuse a file promising 1000 bytes"
    );
}

#[test]
fn a_gzip_file_promising_more_than_it_holds_keeps_no_more_than_it_holds() {
    let dir = scratch("promise");
    let path = dir.join("images.gz");
    // The header promises 2 GB; the stream inflates to 16 MiB.
    std::fs::write(&path, gzip_with_zeros(&[2_000, 1_000, 1_000], 16 * MIB)).unwrap();
    let (result, peak) = peak_bytes(|| read_idx(&path));
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("images.gz")
            && message.contains(
                "truncated: dimensions [2000, 1000, 1000] need 2000000000 bytes of data, \
                 the decompressed data has 16777216"
            ),
        "{message}"
    );
    assert!(
        peak < 2 * 16 * MIB + MIB,
        "held {peak} bytes reading 16 MiB"
    );
}

#[test]
fn a_tiny_file_claiming_huge_dimensions_is_refused_before_allocating() {
    let dir = scratch("tiny-huge");
    for dims in [
        vec![u32::MAX, u32::MAX],
        vec![60_000, 28, 28],
        vec![4, 1 << 31, 1 << 31],
        vec![u32::MAX; 3],
    ] {
        let bytes = idx_bytes(&dims, &[1, 2, 3]);
        for (name, contents) in [("plain", bytes.clone()), ("zipped.gz", gzip(&bytes))] {
            let path = dir.join(name);
            std::fs::write(&path, &contents).unwrap();
            let (result, peak) = peak_bytes(|| read_idx(&path));
            assert!(result.is_err(), "{dims:?} {name}");
            // The gzip decoder's state and a first buffer; nothing near the promised size.
            let bound = if name == "plain" { 16 * KIB } else { 512 * KIB };
            assert!(peak < bound, "{dims:?} {name}: held {peak} bytes");
        }
        let (result, peak) = peak_bytes(|| parse_idx(&bytes));
        assert!(result.is_err(), "{dims:?}");
        assert!(peak < 16 * KIB, "{dims:?}: held {peak} bytes");
    }
}

// ---------------------------------------------------------------------------------------------
// Checkpoints.

fn small_model(seed: u64) -> Sequential {
    let mut rng = Rng::new(seed);
    Sequential::new(vec![
        Box::new(Linear::new(3, 2, &mut rng)),
        Box::new(ReLU),
        Box::new(Linear::new(2, 2, &mut rng)),
    ])
}

fn values(model: &dyn Module) -> Vec<(String, Vec<f32>)> {
    model
        .parameters()
        .into_iter()
        .map(|(name, p)| (name, p.value.to_vec()))
        .collect()
}

/// A safetensors file written by hand: an 8-byte little-endian header length, a JSON header,
/// then the data. `tensors` are (name, dtype, shape, byte count).
fn safetensors_bytes(tensors: &[(String, &str, Vec<u64>, usize)], rng: &mut Rng) -> Vec<u8> {
    let mut header = String::from("{");
    let mut offset = 0;
    for (i, (name, dtype, shape, bytes)) in tensors.iter().enumerate() {
        let shape: Vec<String> = shape.iter().map(u64::to_string).collect();
        header += &format!(
            "{}\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{}],\"data_offsets\":[{offset},{}]}}",
            if i > 0 { "," } else { "" },
            shape.join(","),
            offset + bytes
        );
        offset += bytes;
    }
    if rng.below(3) == 0 {
        header += &format!(
            "{}\"__metadata__\":{{\"format\":\"pt\"}}",
            if tensors.is_empty() { "" } else { "," }
        );
    }
    header += "}";
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend(header.as_bytes());
    file.extend(random_bytes(rng, offset));
    file
}

const PARAMETERS: [(&str, [u64; 2]); 4] = [
    ("0.weight", [2, 3]),
    ("0.bias", [2, 0]),
    ("2.weight", [2, 2]),
    ("2.bias", [2, 0]),
];

/// A hand-written checkpoint: the model's names or others, in any dtype, with shapes that fit,
/// that differ, or that are extreme; byte counts that match or not.
fn generated_checkpoint(rng: &mut Rng) -> Vec<u8> {
    let count = rng.below(6);
    let tensors: Vec<(String, &str, Vec<u64>, usize)> = (0..count)
        .map(|i| {
            let (name, fitting) = PARAMETERS[i % 4];
            let name = if rng.below(5) == 0 {
                pick(
                    rng,
                    &["net.1.weight", "", "0.weight\\u0000", "ü", "__metadata__"],
                )
                .to_string()
            } else {
                name.to_string()
            };
            let dtype = pick(
                rng,
                &[
                    "F32", "F32", "F32", "F16", "BF16", "F64", "I64", "U8", "BOOL", "F8_E4M3",
                    "XYZ",
                ],
            );
            let mut shape: Vec<u64> = if fitting[1] == 0 {
                vec![fitting[0]]
            } else {
                fitting.to_vec()
            };
            match rng.below(7) {
                0 => shape = (0..rng.below(4)).map(|_| rng.below(5) as u64).collect(),
                1 => {
                    let at = rng.below(shape.len());
                    shape[at] = pick(
                        rng,
                        &[
                            0,
                            1 << 32,
                            1 << 40,
                            1 << 62,
                            1 << 63,
                            u64::MAX,
                            u64::MAX / 4,
                        ],
                    );
                }
                2 => shape.push(pick(rng, &[0, 1, 1 << 62])),
                3 => {
                    // No elements, and huge sizes: valid safetensors, but no tensor (see
                    // `a_checkpoint_tensor_with_no_elements_but_huge_sizes_is_refused`).
                    let huge = pick(rng, &[1 << 32, 1 << 40, 1 << 63, u64::MAX]);
                    shape = vec![0, huge, huge];
                    shape.rotate_left(rng.below(3));
                }
                _ => {}
            }
            let element: usize = match dtype {
                "F64" | "I64" => 8,
                "F32" => 4,
                "F16" | "BF16" => 2,
                _ => 1,
            };
            let elements = shape
                .iter()
                .try_fold(1usize, |n, &d| n.checked_mul(usize::try_from(d).ok()?));
            let bytes = match (elements.and_then(|n| n.checked_mul(element)), rng.below(5)) {
                (Some(n), 0..=3) if n <= 4096 => n,
                _ => rng.below(64),
            };
            (name, dtype, shape, bytes)
        })
        .collect();
    safetensors_bytes(&tensors, rng)
}

/// Replaces a random run of digits in the JSON header with an extreme number.
fn extreme_number_in_header(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let runs: Vec<(usize, usize)> = {
        let mut runs = Vec::new();
        let mut i = 8;
        while i < bytes.len() {
            if bytes[i].is_ascii_digit() {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                runs.push((start, i));
            }
            i += 1;
        }
        runs
    };
    if runs.is_empty() {
        return;
    }
    let (start, end) = runs[rng.below(runs.len())];
    let number = pick(
        rng,
        &[
            "0",
            "1",
            "4294967296",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "-1",
            "1e3",
            "99999999999999999999999",
        ],
    );
    bytes.splice(start..end, number.bytes());
}

fn checkpoint_input(rng: &mut Rng, saved: &[u8]) -> Vec<u8> {
    let mut bytes = if rng.below(2) == 0 {
        saved.to_vec()
    } else {
        generated_checkpoint(rng)
    };
    match rng.below(8) {
        0 => {}
        1 => {
            // The header length: extreme, or off by a little.
            let declared = u64::from_le_bytes(bytes[..8].try_into().unwrap());
            let value = pick(
                rng,
                &[
                    0,
                    1,
                    declared.wrapping_sub(1),
                    declared + 1,
                    declared + 1000,
                    100_000_000,
                    100_000_001,
                    u64::MAX,
                    1 << 63,
                ],
            );
            bytes[..8].copy_from_slice(&value.to_le_bytes());
        }
        2 | 3 => extreme_number_in_header(rng, &mut bytes),
        _ => mutate(rng, &mut bytes, false),
    }
    bytes
}

#[test]
fn checkpoint_loading_survives_mutated_files() {
    let dir = scratch("checkpoints");
    let saved_path = dir.join("saved.safetensors");
    checkpoint::save_module(&small_model(1), &saved_path).unwrap();
    let saved = std::fs::read(&saved_path).unwrap();
    let path = dir.join("fuzzed.safetensors");
    fuzz(
        "checkpoint",
        cases(2000),
        |rng| checkpoint_input(rng, &saved),
        |bytes| {
            std::fs::write(&path, bytes).unwrap();
            let (loaded, peak) = peak_bytes(|| checkpoint::load(&path));
            // The file, its JSON header parsed, and the values widened to f32.
            let bound = 8 * bytes.len() + 256 * KIB;
            if peak > bound {
                return Err(format!(
                    "load held {peak} bytes for a {}-byte file (bound {bound})",
                    bytes.len()
                ));
            }
            let mut model = small_model(2);
            let before = values(&model);
            let (result, peak) = peak_bytes(|| checkpoint::load_module(&mut model, &path));
            if peak > bound {
                return Err(format!(
                    "load_module held {peak} bytes for a {}-byte file (bound {bound})",
                    bytes.len()
                ));
            }
            let outcome = match (result, loaded) {
                (Ok(()), Ok(tensors)) => {
                    // Loaded: every parameter holds the file's values.
                    for (name, value) in values(&model) {
                        let in_file = tensors[&name].to_vec();
                        let same = in_file.len() == value.len()
                            && in_file
                                .iter()
                                .zip(&value)
                                .all(|(a, b)| a.to_bits() == b.to_bits());
                        if !same {
                            return Err(format!("{name} does not hold the file's values"));
                        }
                    }
                    Outcome::Accepted
                }
                (Ok(()), Err(e)) => {
                    return Err(format!("load_module accepted what load refused ({e})"))
                }
                (Err(e), _) => {
                    if values(&model) != before {
                        return Err(format!("a failed load ({e}) changed the model"));
                    }
                    if !e.to_string().contains("fuzzed.safetensors") {
                        return Err(format!("the error does not name the file: {e}"));
                    }
                    Outcome::Refused(e.to_string())
                }
            };
            Ok(outcome)
        },
    );
}

/// Found by the fuzzing above: safetensors accepts a tensor with no elements whatever its other
/// sizes, since the product of its sizes is 0, but no tensor can have that shape (the product of
/// its non-zero sizes, and so its strides, would overflow).
#[test]
fn a_checkpoint_tensor_with_no_elements_but_huge_sizes_is_refused() {
    let dir = scratch("zero-huge");
    for shape in [
        [0, 1 << 32, 1 << 32],
        [1 << 32, 0, 1 << 32],
        [u64::MAX, u64::MAX, 0],
    ] {
        let path = dir.join("empty-but-huge.safetensors");
        let tensors = [("0.bias".to_string(), "F32", shape.to_vec(), 0)];
        std::fs::write(&path, safetensors_bytes(&tensors, &mut Rng::new(1))).unwrap();
        let result = catch_unwind(|| checkpoint::load(&path).map(|_| ()));
        let message = match result {
            Ok(Err(e)) => e.to_string(),
            Ok(Ok(())) => panic!("{shape:?}: accepted a tensor no Tensor can hold"),
            Err(_) => panic!("{shape:?}: checkpoint::load panicked"),
        };
        // Either the safetensors crate refuses the sizes (their product in bytes overflows) or
        // the loader does, naming the tensor.
        assert!(
            message.contains("empty-but-huge.safetensors")
                && (message.contains("0.bias") || message.contains("overflow")),
            "{message}"
        );
    }
}
