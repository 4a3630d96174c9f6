//! What the network makes of test images, to look at rather than read: a grid of images, each
//! captioned with its true and its predicted class, the wrong ones in red (`--predictions`); and
//! the confusion matrix as a text table, with each class's accuracy.

use super::plot::{picture_format, render_png, save, DrawResult, PictureFormat};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Each image pixel becomes a square of this many pixels (28 × 28 → 112 × 112).
const SCALE: usize = 4;
/// Room for the longest caption, "pred: T-shirt/top".
const MIN_CELL_WIDTH: usize = 150;
/// Height of one caption line.
const LINE: usize = 18;
/// Space around an image, and between an image and its caption.
const PADDING: usize = 10;
/// Height of the line above the grid that counts the right answers.
const HEADER: usize = 44;
const WRONG: RGBColor = RGBColor(210, 0, 0);

/// Draws `images` (each `height × width` grey bytes, 0 = black) into the PNG `path`, `cols` to a
/// row, with the true and the predicted class under each.
pub fn draw_predictions(
    path: &Path,
    images: &[&[u8]],
    image_shape: (usize, usize),
    cols: usize,
    truth: &[u8],
    predicted: &[u32],
    class_names: &[&str],
) -> Result<(), String> {
    check_predictions(images, image_shape, cols, truth, predicted, class_names)
        .map_err(|why| format!("{}: cannot draw the predictions: {why}", path.display()))?;
    if picture_format(path)? != PictureFormat::Png {
        return Err(format!(
            "{}: the predictions are drawn as a PNG; give a name ending in .png",
            path.display()
        ));
    }
    let grid = Grid::new(images.len(), image_shape, cols);
    let bytes = render_png(grid.size(), |root| {
        draw_header(root, truth, predicted)?;
        for (i, image) in images.iter().enumerate() {
            let caption = [
                format!("true: {}", class_names[truth[i] as usize]),
                format!("pred: {}", class_names[predicted[i] as usize]),
            ];
            let wrong = u32::from(truth[i]) != predicted[i];
            draw_cell(root, &grid, i, image, &caption, wrong)?;
        }
        Ok(())
    });
    save(path, bytes)
}

/// The inputs must describe the same images, and every class must have a name.
fn check_predictions(
    images: &[&[u8]],
    (height, width): (usize, usize),
    cols: usize,
    truth: &[u8],
    predicted: &[u32],
    class_names: &[&str],
) -> Result<(), String> {
    if images.is_empty() || cols == 0 || height == 0 || width == 0 {
        return Err("no images, empty images, or no columns to put them in".into());
    }
    if truth.len() != images.len() || predicted.len() != images.len() {
        return Err(format!(
            "{} images but {} true and {} predicted classes",
            images.len(),
            truth.len(),
            predicted.len()
        ));
    }
    if let Some(image) = images.iter().find(|image| image.len() != height * width) {
        return Err(format!(
            "an image of {} bytes is not {height} × {width}",
            image.len()
        ));
    }
    let mut classes = (truth.iter().map(|&c| u32::from(c))).chain(predicted.iter().copied());
    if let Some(class) = classes.find(|&c| c as usize >= class_names.len()) {
        return Err(format!(
            "class {class} has no name ({} names given)",
            class_names.len()
        ));
    }
    Ok(())
}

/// Where things go: the header line, then cells `cols` to a row, each an image with two lines
/// of caption under it.
struct Grid {
    image: (usize, usize),
    cols: usize,
    rows: usize,
    cell: (usize, usize),
}

impl Grid {
    fn new(count: usize, (height, width): (usize, usize), cols: usize) -> Self {
        Grid {
            image: (height, width),
            cols,
            rows: count.div_ceil(cols),
            cell: (
                (width * SCALE).max(MIN_CELL_WIDTH),
                PADDING + height * SCALE + PADDING + 2 * LINE + PADDING,
            ),
        }
    }

    /// The picture's width and height.
    fn size(&self) -> (u32, u32) {
        let width = PADDING + self.cols * self.cell.0 + PADDING;
        let height = HEADER + self.rows * self.cell.1;
        (width as u32, height as u32)
    }

    /// The top left corner of cell `index`, counted row by row.
    fn corner(&self, index: usize) -> (i32, i32) {
        let x = PADDING + (index % self.cols) * self.cell.0;
        let y = HEADER + (index / self.cols) * self.cell.1;
        (x as i32, y as i32)
    }
}

/// "15 of 18 right", and what the red means.
fn draw_header(
    root: &DrawingArea<BitMapBackend, Shift>,
    truth: &[u8],
    predicted: &[u32],
) -> DrawResult {
    let text = format!(
        "{} of {} right; the wrong predictions are in red",
        count_right(truth, predicted),
        truth.len()
    );
    let style = ("sans-serif", 18)
        .into_font()
        .into_text_style(root)
        .pos(Pos::new(HPos::Center, VPos::Center));
    let (width, _) = root.dim_in_pixel();
    root.draw_text(&text, &style, (width as i32 / 2, HEADER as i32 / 2))?;
    Ok(())
}

/// Cell `index`: the image, centred, framed in red if the prediction is wrong; the caption
/// lines under it, red too if wrong.
fn draw_cell(
    root: &DrawingArea<BitMapBackend, Shift>,
    grid: &Grid,
    index: usize,
    image: &[u8],
    caption: &[String],
    wrong: bool,
) -> DrawResult {
    let (height, width) = grid.image;
    let (left, top) = grid.corner(index);
    let image_left = left + ((grid.cell.0 - width * SCALE) / 2) as i32;
    let image_top = top + PADDING as i32;
    draw_image(root, image, width, (image_left, image_top))?;
    let image_right = image_left + (width * SCALE) as i32;
    let image_bottom = image_top + (height * SCALE) as i32;
    if wrong {
        // Just outside the image, so that no pixel of it is hidden.
        let frame = [
            (image_left - 3, image_top - 3),
            (image_right + 2, image_bottom + 2),
        ];
        root.draw(&Rectangle::new(frame, WRONG.stroke_width(3)))?;
    }
    let color = if wrong { WRONG } else { BLACK };
    let style = ("sans-serif", 15)
        .into_font()
        .color(&color)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let centre = left + grid.cell.0 as i32 / 2;
    for (line, text) in caption.iter().enumerate() {
        let y = image_bottom + PADDING as i32 + (line * LINE) as i32;
        root.draw_text(text, &style, (centre, y))?;
    }
    Ok(())
}

/// A grey image with its top left corner at `(left, top)`, each pixel a SCALE × SCALE square.
fn draw_image(
    root: &DrawingArea<BitMapBackend, Shift>,
    image: &[u8],
    width: usize,
    (left, top): (i32, i32),
) -> DrawResult {
    let square = SCALE as i32;
    for (i, &grey) in image.iter().enumerate() {
        let x = left + (i % width) as i32 * square;
        let y = top + (i / width) as i32 * square;
        // The far corner is just outside a filled rectangle: this square ends where the next
        // one starts.
        let corners = [(x, y), (x + square, y + square)];
        root.draw(&Rectangle::new(
            corners,
            RGBColor(grey, grey, grey).filled(),
        ))?;
    }
    Ok(())
}

fn count_right(truth: &[u8], predicted: &[u32]) -> usize {
    truth
        .iter()
        .zip(predicted)
        .filter(|(&t, &p)| u32::from(t) == p)
        .count()
}

/// The confusion matrix as text: one row per true class, one column per predicted class, so
/// that the diagonal holds the right answers and the rest shows which classes are mistaken for
/// which; each row ends with that class's accuracy. Columns are numbered, as the rows are, so
/// that the table fits in 80 columns.
///
/// Panics if the slices differ in length or a class has no name: both are bugs of the caller.
pub fn confusion_table(truth: &[u8], predicted: &[u32], class_names: &[&str]) -> String {
    let counts = confusion_counts(truth, predicted, class_names.len());
    let name_width = class_names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        + 3;
    let numbers: String = (0..counts.len()).map(|c| format!("{c:>5}")).collect();
    let mut lines = vec![
        format!(
            "Confusion matrix of {} images: rows are the true class, columns the predicted one",
            truth.len()
        ),
        "(the diagonal counts the right answers; . = none)".to_string(),
        String::new(),
        format!("{:name_width$}{numbers}  accuracy", ""),
    ];
    for (class, row) in counts.iter().enumerate() {
        let label = format!("{class} {}", class_names[class]);
        let cells: String = row
            .iter()
            .map(|&count| format!("{:>5}", shown(count)))
            .collect();
        let accuracy = percent(row[class], row.iter().sum());
        lines.push(format!("{label:name_width$}{cells}{accuracy:>10}"));
    }
    let overall = percent(count_right(truth, predicted), truth.len());
    let width = numbers.len() + 10;
    lines.push(format!("{:name_width$}{overall:>width$}", "all"));
    lines.join("\n")
}

/// `counts[t][p]`: how many images of true class `t` were predicted to be of class `p`.
fn confusion_counts(truth: &[u8], predicted: &[u32], classes: usize) -> Vec<Vec<usize>> {
    assert_eq!(
        truth.len(),
        predicted.len(),
        "one prediction per true class"
    );
    let mut counts = vec![vec![0; classes]; classes];
    for (&t, &p) in truth.iter().zip(predicted) {
        counts[usize::from(t)][p as usize] += 1;
    }
    counts
}

/// A count as the table shows it: a zero as a dot, so that the mistakes stand out.
fn shown(count: usize) -> String {
    if count == 0 {
        ".".into()
    } else {
        count.to_string()
    }
}

/// "91.2%", or "-" when there is nothing to count.
fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}
