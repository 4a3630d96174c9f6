//! Training curves as the d2l book's notebooks draw them: train loss, train accuracy and test
//! accuracy against epochs. The examples redraw the file after every epoch, so that it always
//! shows the run so far.
//!
//! A picture is a PNG or an SVG, chosen by the file's extension. Either is rendered into memory
//! and then written with `output_file::write_atomically`: an image viewer that reloads the file
//! never sees half a picture, and a read-only file or a directory is refused like any output.
//!
//! Text is laid out (and, in a PNG, drawn) with a font embedded in the program, so that building
//! and running the examples needs no system fonts and no font libraries. This module also holds
//! the pieces that `pictures.rs` shares: the font, the PNG and SVG rendering, and the saving.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::{CoordTranslate, Shift};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};
use rustgrad::nn::output_file::write_atomically;
use std::error::Error;
use std::path::Path;
use std::sync::Once;

/// DejaVu Sans, copied from Debian's fonts-dejavu-core; its licence is next to it.
const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// What the drawing functions return: plotters' errors differ by backend, so they are boxed.
pub type DrawResult = Result<(), Box<dyn Error>>;

/// One moment of training. The train curves get a point about every 10% of an epoch, the test
/// accuracy one at the end of each epoch; what was not measured at that moment is `None`.
pub struct CurvePoint {
    /// Epochs done so far, fractional within an epoch (2.3: 30% into the third epoch).
    pub epoch: f64,
    pub train_loss: Option<f32>,
    pub train_acc: Option<f32>,
    pub test_acc: Option<f32>,
}

/// The kinds of picture file the examples write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PictureFormat {
    Png,
    Svg,
}

/// The format that `path`'s extension asks for. Examples call this while checking their
/// arguments, so that a misspelt `--plot curves.pgn` fails before training rather than after.
pub fn picture_format(path: &Path) -> Result<PictureFormat, String> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match extension.to_ascii_lowercase().as_str() {
        "png" => Ok(PictureFormat::Png),
        "svg" => Ok(PictureFormat::Svg),
        _ => Err(format!(
            "{}: a picture's name must end in .png or .svg, which choose its format",
            path.display()
        )),
    }
}

/// Draws the curves into `path` (PNG or SVG, by its extension). The x axis spans `epochs`, the
/// length of the whole run, so that the axes stay put while the curves grow epoch by epoch.
pub fn draw_training_curves(
    path: &Path,
    title: &str,
    epochs: usize,
    points: &[CurvePoint],
) -> Result<(), String> {
    let size = (800, 500);
    let bytes = match picture_format(path)? {
        PictureFormat::Png => render_png(size, |area| draw_curves(area, title, epochs, points)),
        PictureFormat::Svg => render_svg(size, |area| draw_curves(area, title, epochs, points)),
    };
    save(path, bytes)
}

/// The three curves in d2l's styles, the legend in a row above them (where it can never hide a
/// curve), and the axes.
fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    epochs: usize,
    points: &[CurvePoint],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let below_title = root.margin(8, 0, 0, 0).titled(title, ("sans-serif", 24))?;
    let (legend_area, chart_area) = below_title.split_vertically(30);
    draw_legend(&legend_area)?;
    let chart = draw_axes(&chart_area, epochs, points)?;
    draw_lines(&chart, points)
}

/// A chart whose x is the epoch and whose y is a loss or an accuracy.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The axes, their labels and a light grid. Both start at 0; x ends at `epochs` (or at the last
/// point, for a run that went on longer), y at [`y_end`].
fn draw_axes<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    epochs: usize,
    points: &[CurvePoint],
) -> Result<Chart<'a, DB>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let x_end = points
        .iter()
        .map(|p| p.epoch)
        .fold(epochs.max(1) as f64, f64::max);
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .margin_right(25)
        .x_label_area_size(45)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..x_end, 0.0..y_end(points))?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_labels(11)
        .y_labels(11)
        .x_label_formatter(&|x| tidy(*x))
        .y_label_formatter(&|y| tidy(*y))
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(WHITE) // no minor grid lines: they would only add noise
        .draw()?;
    Ok(chart)
}

/// One curve: its name in the legend, how it is drawn, and which value of a point it shows.
struct Curve {
    name: &'static str,
    color: RGBColor,
    stroke: Stroke,
    value: fn(&CurvePoint) -> Option<f32>,
}

/// d2l draws train loss '-', train accuracy 'm--' and test accuracy 'g-.'. Here the test
/// accuracy is a line with a ring on each measurement instead: it is measured once per epoch,
/// and after the first epoch there is a single point, which only a ring shows.
#[derive(Clone, Copy)]
enum Stroke {
    Solid,
    Dashed,
    Rings,
}

/// The colours are matplotlib's for those styles: its first colour, magenta and green.
const CURVES: [Curve; 3] = [
    Curve {
        name: "train loss",
        color: RGBColor(31, 119, 180),
        stroke: Stroke::Solid,
        value: |p| p.train_loss,
    },
    Curve {
        name: "train acc",
        color: RGBColor(191, 0, 191),
        stroke: Stroke::Dashed,
        value: |p| p.train_acc,
    },
    Curve {
        name: "test acc",
        color: RGBColor(0, 128, 0),
        stroke: Stroke::Rings,
        value: |p| p.test_acc,
    },
];

fn draw_lines<DB: DrawingBackend>(chart: &Chart<DB>, points: &[CurvePoint]) -> DrawResult
where
    DB::ErrorType: 'static,
{
    for curve in &CURVES {
        draw_stroke(chart.plotting_area(), series(points, curve.value), curve)?;
    }
    Ok(())
}

/// Draws `points` joined in `curve`'s style, on the chart (in data coordinates) as well as in the
/// legend (in pixels): one function for both, so that the legend cannot disagree with the lines.
fn draw_stroke<DB, Coords>(
    area: &DrawingArea<DB, Coords>,
    points: Vec<Coords::From>,
    curve: &Curve,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Coords: CoordTranslate,
    Coords::From: Clone,
{
    let style = curve.color.stroke_width(2);
    match curve.stroke {
        Stroke::Solid => area.draw(&PathElement::new(points, style))?,
        Stroke::Dashed => {
            let (dash, gap) = (8, 5); // in pixels
            area.draw(&DashedPathElement::new(points, dash, gap, style))?
        }
        Stroke::Rings => {
            area.draw(&PathElement::new(points.clone(), style))?;
            for point in points {
                area.draw(&Circle::new(point, 4, style))?;
            }
        }
    }
    Ok(())
}

/// A short sample of each curve and its name, side by side, centred in `area`.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (entry_width, sample_width) = (170, 36);
    let (width, height) = area.dim_in_pixel();
    let left = (width as i32 - CURVES.len() as i32 * entry_width) / 2;
    let y = height as i32 / 2;
    let text = ("sans-serif", 16)
        .into_font()
        .into_text_style(area)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, curve) in CURVES.iter().enumerate() {
        let x = left + i as i32 * entry_width;
        draw_stroke(area, vec![(x, y), (x + sample_width, y)], curve)?;
        area.draw_text(curve.name, &text, (x + sample_width + 10, y))?;
    }
    Ok(())
}

/// The `(epoch, value)` pairs of one curve. A value that is not finite (a diverged loss) is left
/// out: it has no place on the axis, and the lines on either side of it still tell the story.
fn series(points: &[CurvePoint], value: fn(&CurvePoint) -> Option<f32>) -> Vec<(f64, f64)> {
    points
        .iter()
        .filter_map(|p| Some((p.epoch, value(p)?)))
        .filter(|(_, v)| v.is_finite())
        .map(|(epoch, v)| (epoch, f64::from(v)))
        .collect()
}

/// The top of the y axis: accuracies need 1, a loss may need more (it starts near ln 10 ≈ 2.3
/// for ten classes); rounded up to a tenth so that the top label is a round number.
fn y_end(points: &[CurvePoint]) -> f64 {
    let values = points
        .iter()
        .flat_map(|p| [p.train_loss, p.train_acc, p.test_acc])
        .flatten()
        .filter(|v| v.is_finite());
    let highest = values.fold(1.0_f32, f32::max);
    (f64::from(highest) * 10.0).ceil() / 10.0
}

/// An axis label without the noise of floating point: 0.30000000000000004 reads 0.3, 2.0 reads 2.
fn tidy(value: f64) -> String {
    format!("{}", (value * 100.0).round() / 100.0)
}

/// Makes the embedded font the one that plotters knows as "sans-serif", its default. plotters'
/// `ab_glyph` support knows no other font: until this runs, any text fails to draw.
fn use_embedded_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        if register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            panic!("the embedded font examples/assets/DejaVuSans.ttf is not a font");
        }
    });
}

/// Draws a `width × height` PNG on a white background and returns its bytes.
pub fn render_png(
    (width, height): (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult,
) -> Result<Vec<u8>, Box<dyn Error>> {
    use_embedded_font();
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    encode_png(&rgb, width, height)
}

/// Compresses 8-bit RGB pixels, row after row, into the bytes of a PNG file.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(bytes)
}

/// Draws a `width × height` SVG on a white background and returns its bytes. The SVG names the
/// font ("sans-serif") rather than containing it: the viewer draws the text with its own.
pub fn render_svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult,
) -> Result<Vec<u8>, Box<dyn Error>> {
    use_embedded_font(); // the layout of the text (its width) is still measured with it
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(svg.into_bytes())
}

/// Writes a rendered picture to `path` atomically; either failure names the file.
pub fn save(path: &Path, rendered: Result<Vec<u8>, Box<dyn Error>>) -> Result<(), String> {
    let bytes =
        rendered.map_err(|e| format!("{}: cannot draw the picture: {e}", path.display()))?;
    write_atomically(path, &bytes).map_err(|e| e.to_string())
}
