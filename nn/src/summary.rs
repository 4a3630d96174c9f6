//! A model's layers in a table, as "Dive into Deep Learning" (§8.1) lists AlexNet's: each
//! layer's place in the model, its output shape, parameter count and FLOPs per image, then the
//! totals.
//!
//! ```
//! # use nn::{models::Mlp, Module};
//! # use tensor::{Rng, Shape};
//! let model = Mlp::new(&[784, 256, 10], &mut Rng::new(0));
//! let summary = nn::summary::summarize(&model, &Shape::new([1, 1, 28, 28]));
//! println!("{summary}");
//! assert_eq!(summary.rows().len(), 4); // net.0 Flatten … net.3 Linear(256 → 10)
//! assert_eq!(summary.total_parameters(), model.parameter_count());
//! assert_eq!(summary.total_flops(), 2.0 * (784 * 256 + 256 * 10) as f64);
//! ```
//!
//! The shapes are not worked out on paper: [`summarize`] runs one forward pass on zeros with a
//! context that lists layers, and every container reports each child's output to it
//! ([`ForwardContext::report_layer`]). A layer's FLOPs come from [`Module::flops`]: 2 per
//! multiply-add of Conv2d and Linear, nothing for the cheap passes (ReLU, pooling, dropout), so
//! that AlexNet's total is the usual figure, [`AlexNet::forward_flops`](crate::models::AlexNet::forward_flops).

use crate::{ForwardContext, Module};
use autograd::Var;
use std::fmt;
use tensor::{Device, Shape, Tensor};

/// One layer of a [`Summary`].
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Where the layer sits, as in its parameter names (`conv.3`).
    pub path: String,
    /// What it is ([`Module::describe`]): `Conv2d(96 → 256, kernel 5, stride 1, padding 2)`.
    pub description: String,
    /// Its output, for the summary's input batch.
    pub output_shape: Shape,
    /// Its own parameter count.
    pub parameters: usize,
    /// FLOPs of its forward pass on one image ([`Module::flops`]).
    pub flops: f64,
}

/// A model's layers with their output shapes, parameters and FLOPs: see [`summarize`]. Its
/// `Display` is the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    rows: Vec<Row>,
}

/// Lists `model`'s layers by running it once, in evaluation mode, on zeros of shape `input`
/// (`[1, 1, 224, 224]`: a batch, one image is enough; FLOPs are per image whatever the batch).
///
/// Every layer a container reports is listed (the built-in containers, `Sequential`, `AlexNet`
/// and `Mlp`, report all of theirs); a model whose containers report nothing is listed as one
/// row. Panics if `input` has no batch axis or an empty batch, or if `model` cannot take it (the
/// message names the layer, as in any forward pass).
#[track_caller]
pub fn summarize(model: &dyn Module, input: &Shape) -> Summary {
    let batch = match input.dims().first() {
        Some(&batch) if batch > 0 => batch,
        _ => panic!("summarize: the input shape {input} has no images; give [N, ...] with N ≥ 1"),
    };
    // The zeros go where the weights are, so that a model on the GPU is summarized there.
    let device = model
        .parameters()
        .first()
        .map_or(Device::Cpu, |(_, parameter)| parameter.value.device());
    let zeros = Tensor::zeros(input.clone())
        .to(device)
        .unwrap_or_else(|e| panic!("summarize: cannot put the input on {device}: {e}"));
    let input = Var::constant(zeros);

    let mut ctx = ForwardContext::listing_layers();
    let output = model.forward(&input, &mut ctx);
    // Listed only if nothing inside it was (a model whose containers do not report).
    ctx.report_layer(model, input.shape(), output.shape());

    let mut rows = ctx.take_listed_layers();
    // Layers count the FLOPs of the pass they ran, on the whole batch.
    for row in &mut rows {
        row.flops /= batch as f64;
    }
    Summary { rows }
}

impl Summary {
    /// The layers in the order they ran.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The sum of the layers' parameter counts: the model's `parameter_count()` when every layer
    /// that has parameters is listed (and runs once).
    pub fn total_parameters(&self) -> usize {
        self.rows.iter().map(|row| row.parameters).sum()
    }

    /// FLOPs of one image's forward pass through every listed layer.
    pub fn total_flops(&self) -> f64 {
        self.rows.iter().map(|row| row.flops).sum()
    }
}

/// The table's headings; the last two columns are numbers, aligned right.
const HEADINGS: [&str; 5] = [
    "layer",
    "module",
    "output shape",
    "parameters",
    "MFLOPs/image",
];

/// ```text
/// layer    module                                            output shape      parameters  MFLOPs/image
/// -------  ------------------------------------------------  ----------------  ----------  ------------
/// conv.0   Conv2d(1 → 96, kernel 11, stride 4, padding 0)    [1, 96, 54, 54]       11,712          67.7
/// conv.1   ReLU                                              [1, 96, 54, 54]            0
/// ...
/// fc.6     Linear(4096 → 10)                                 [1, 10]               40,970           0.1
/// -------  ------------------------------------------------  ----------------  ----------  ------------
/// total                                                                        46,764,746       1,876.3
/// ```
/// and a last line saying what the FLOPs count. The FLOPs of a layer that counts none (ReLU,
/// pooling) are left blank: not counted is not the same as free.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<[String; 5]> = self.rows.iter().map(cells).collect();
        let total = [
            "total".to_string(),
            String::new(),
            String::new(),
            thousands(self.total_parameters() as u64),
            mflops(self.total_flops()),
        ];
        let headings = HEADINGS.map(String::from);
        let widths: [usize; 5] = std::array::from_fn(|column| {
            let all = std::iter::once(&headings).chain(&rows).chain([&total]);
            all.map(|cells| cells[column].chars().count())
                .max()
                .unwrap_or(0)
        });
        let rule = widths.map(|width| "-".repeat(width));

        write_line(f, &headings, &widths)?;
        write_line(f, &rule, &widths)?;
        for row in &rows {
            write_line(f, row, &widths)?;
        }
        write_line(f, &rule, &widths)?;
        write_line(f, &total, &widths)?;
        // What the FLOPs count (see `Module::flops`), since tables elsewhere count differently.
        writeln!(
            f,
            "FLOPs: 2 per multiply-add in Conv2d and Linear; ReLU, pooling, dropout, biases not counted"
        )
    }
}

/// One table row's text.
fn cells(row: &Row) -> [String; 5] {
    [
        row.path.clone(),
        row.description.clone(),
        row.output_shape.to_string(),
        thousands(row.parameters as u64),
        if row.flops == 0.0 {
            String::new() // not counted, rather than free
        } else {
            mflops(row.flops)
        },
    ]
}

/// `cells` padded to `widths`, two spaces apart: text left-aligned, numbers right-aligned.
fn write_line(f: &mut fmt::Formatter<'_>, cells: &[String; 5], widths: &[usize; 5]) -> fmt::Result {
    let [path, description, shape, parameters, flops] = cells;
    let [w0, w1, w2, w3, w4] = widths;
    let line =
        format!("{path:<w0$}  {description:<w1$}  {shape:<w2$}  {parameters:>w3$}  {flops:>w4$}");
    writeln!(f, "{}", line.trim_end())
}

/// `1876.31e6` → `1,876.3`: millions, one decimal.
fn mflops(flops: f64) -> String {
    let tenths = (flops / 1e5).round() as u64;
    format!("{}.{}", thousands(tenths / 10), tenths % 10)
}

/// `46764746` → `46,764,746`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_in_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(46_764_746), "46,764,746");
        assert_eq!(mflops(1_876_312_345.0), "1,876.3");
        assert_eq!(mflops(50_000.0), "0.1");
    }
}
