//! How the examples show progress: a bar when stderr is a terminal, and otherwise (nohup, CI,
//! `| tee`, where a bar hides itself) a plain line every tenth of the work or 30 seconds; and the
//! estimate of how long the whole run takes, from the speed of its first steps.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Progress of one pass (an epoch, a test pass) over `total` units (steps or images).
pub struct ProgressView {
    bar: Option<ProgressBar>,
    name: String,
    total: u64,
    last_line: Instant,
    last_tenth: u64,
}

/// Plain lines come at least this often when there is no bar.
const PLAIN_LINE_EVERY: Duration = Duration::from_secs(30);

impl ProgressView {
    /// `name` prefixes the bar or each line ("epoch 1/5", "testing").
    pub fn new(name: &str, total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            let template = "{prefix} [{bar:30}] {pos}/{len} {msg}";
            let style = ProgressStyle::with_template(template)
                .expect("valid template")
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(name.to_string());
            bar
        });
        ProgressView {
            bar,
            name: name.to_string(),
            total,
            last_line: Instant::now(),
            last_tenth: 0,
        }
    }

    /// `done` of the total, with `message` (loss, speed, time left).
    pub fn update(&mut self, done: u64, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            bar.set_message(message.to_string());
            return;
        }
        let tenth = done * 10 / self.total.max(1);
        let due = tenth > self.last_tenth || self.last_line.elapsed() >= PLAIN_LINE_EVERY;
        if due && done < self.total {
            let percent = done * 100 / self.total.max(1);
            println!(
                "{}: {percent}% ({done}/{}) {message}",
                self.name, self.total
            );
            self.last_tenth = tenth;
            self.last_line = Instant::now();
        }
    }

    /// A line printed above the bar (or plainly), e.g. the run's time estimate.
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => println!("{line}"),
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The whole run's clock: from the speed of the first steps, how long the rest will take.
pub struct RunClock {
    /// Training images still to go when the clock started, and test images.
    train_images: usize,
    test_images: usize,
    /// When the first results came back, and how many images training had done then: the
    /// first step (allocations, kernel compilation) is left out of the speed.
    first_read: Option<(Instant, usize)>,
    /// Training images per second, once measured.
    speed: Option<f64>,
}

/// Steps measured before the estimate is announced.
const STEPS_BEFORE_ESTIMATE: usize = 3;

/// An evaluation image costs about a third of a training image (forward only).
const TEST_SPEEDUP: f64 = 3.0;

impl RunClock {
    pub fn new(train_images: usize, test_images: usize) -> Self {
        RunClock {
            train_images,
            test_images,
            first_read: None,
            speed: None,
        }
    }

    /// Notes that `images` training images of the run are done after `steps` steps; returns
    /// the estimate of the whole run once, the first time the speed is known.
    pub fn record(&mut self, images: usize, steps: usize) -> Option<Duration> {
        let now = Instant::now();
        let Some((first, first_images)) = self.first_read else {
            self.first_read = Some((now, images));
            return None;
        };
        let seconds = now.duration_since(first).as_secs_f64();
        if steps <= STEPS_BEFORE_ESTIMATE || seconds <= 0.0 || images <= first_images {
            return None;
        }
        let announce = self.speed.is_none();
        self.speed = Some((images - first_images) as f64 / seconds);
        announce.then(|| self.remaining(images, 0)).flatten()
    }

    /// Training images per second, once measured.
    pub fn speed(&self) -> Option<f64> {
        self.speed
    }

    /// Time left when `images` training and `tested` test images of the run are done.
    pub fn remaining(&self, images: usize, tested: usize) -> Option<Duration> {
        let speed = self.speed?;
        let train = self.train_images.saturating_sub(images) as f64 / speed;
        let test = self.test_images.saturating_sub(tested) as f64 / (speed * TEST_SPEEDUP);
        Some(Duration::from_secs_f64(train + test))
    }
}

/// "1 h 45 min", "12 min", "40 s".
pub fn human(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0..=89 => format!("{seconds} s"),
        90..=3599 => format!("{} min", (seconds + 30) / 60),
        _ => format!("{} h {} min", seconds / 3600, (seconds % 3600 + 30) / 60),
    }
}
