//! Shape panics point at the user's line, not at the library (`#[track_caller]` all the way).
//! This is its own test binary because it installs a process-wide panic hook.

use std::sync::Mutex;
use tensor::Tensor;

static REPORTED: Mutex<Option<(String, u32)>> = Mutex::new(None);
static EXPECTED: Mutex<u32> = Mutex::new(0);

/// Records that the next line is the one that should panic.
fn panics_on_next_line(line: u32) {
    *EXPECTED.lock().unwrap() = line + 1;
}

#[track_caller]
fn assert_reported_at_expected_line(f: impl FnOnce() + std::panic::UnwindSafe) {
    assert!(std::panic::catch_unwind(f).is_err(), "the op did not panic");
    let (file, line) = REPORTED.lock().unwrap().take().expect("a panic location");
    assert!(
        file.ends_with("panic_location.rs"),
        "panic reported in {file}:{line}"
    );
    assert_eq!(
        line,
        *EXPECTED.lock().unwrap(),
        "panic reported at the wrong line"
    );
}

#[test]
fn shape_panics_report_the_callers_line() {
    std::panic::set_hook(Box::new(|info| {
        *REPORTED.lock().unwrap() = info.location().map(|l| (l.file().to_string(), l.line()));
    }));
    let (a, b) = (Tensor::zeros([2, 3]), Tensor::zeros([4, 5]));
    let (x, w) = (Tensor::zeros([1, 3, 8, 8]), Tensor::zeros([4, 2, 3, 3]));
    assert_reported_at_expected_line(|| {
        panics_on_next_line(line!());
        a.add(&b);
    });
    assert_reported_at_expected_line(|| {
        panics_on_next_line(line!());
        a.matmul(&b);
    });
    assert_reported_at_expected_line(|| {
        panics_on_next_line(line!());
        x.conv2d(&w, None, 1, 0);
    });
    assert_reported_at_expected_line(|| {
        panics_on_next_line(line!());
        a.max_pool2d(3, 2, 0);
    });
    assert_reported_at_expected_line(|| {
        panics_on_next_line(line!());
        a.adaptive_avg_pool2d(1, 1);
    });
    assert_reported_at_expected_line(|| {
        panics_on_next_line(line!());
        Tensor::cat(&[a.clone(), b.clone()], 0);
    });
    assert_reported_at_expected_line(|| {
        panics_on_next_line(line!());
        a.narrow(1, 2, 2);
    });
    assert_reported_at_expected_line(|| {
        panics_on_next_line(line!());
        a.reshape([4, 2]);
    });
    // Sizes that overflow usize are refused at the caller's line too, in every build.
    assert_reported_at_expected_line(|| {
        panics_on_next_line(line!());
        Tensor::zeros([1 << 40, 1 << 40]);
    });
    assert_reported_at_expected_line(|| {
        panics_on_next_line(line!());
        Tensor::ones([1 << 62]);
    });
    let w3 = Tensor::zeros([4, 3, 3, 3]);
    let (tall, wide) = (Tensor::zeros([1 << 32, 0]), Tensor::zeros([0, 1 << 32]));
    assert_reported_at_expected_line(|| {
        panics_on_next_line(line!());
        tall.matmul(&wide);
    });
    assert_reported_at_expected_line(|| {
        panics_on_next_line(line!());
        x.conv2d(&w3, None, 1, 1 << 63);
    });
    let _ = std::panic::take_hook();
}
