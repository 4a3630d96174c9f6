//! `nn::summary`: a model's layers with their output shapes, parameters and FLOPs.

use autograd::Var;
use nn::layers::{Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential};
use nn::models::{AlexNet, Mlp};
use nn::summary::{summarize, Summary};
use nn::{ForwardContext, Module};
use tensor::{Rng, Shape};

/// Each row's path and output shape.
fn paths_and_shapes(summary: &Summary) -> Vec<(&str, Vec<usize>)> {
    let rows = summary.rows().iter();
    rows.map(|row| (row.path.as_str(), row.output_shape.dims().to_vec()))
        .collect()
}

#[test]
fn alexnet_lists_every_layer_as_pytorch_names_it() {
    let model = AlexNet::new(&mut Rng::new(0));
    let summary = summarize(&model, &Shape::new([1, 1, 224, 224]));
    println!("{summary}");
    // The shapes PyTorch prints for the d2l AlexNet; the ReLUs fused into the layer before them
    // (conv.1, fc.1, ...) are rows of their own.
    let expected: Vec<(&str, Vec<usize>)> = vec![
        ("conv.0", vec![1, 96, 54, 54]),
        ("conv.1", vec![1, 96, 54, 54]),
        ("conv.2", vec![1, 96, 26, 26]),
        ("conv.3", vec![1, 256, 26, 26]),
        ("conv.4", vec![1, 256, 26, 26]),
        ("conv.5", vec![1, 256, 12, 12]),
        ("conv.6", vec![1, 384, 12, 12]),
        ("conv.7", vec![1, 384, 12, 12]),
        ("conv.8", vec![1, 384, 12, 12]),
        ("conv.9", vec![1, 384, 12, 12]),
        ("conv.10", vec![1, 256, 12, 12]),
        ("conv.11", vec![1, 256, 12, 12]),
        ("conv.12", vec![1, 256, 5, 5]),
        ("fc.0", vec![1, 4096]),
        ("fc.1", vec![1, 4096]),
        ("fc.2", vec![1, 4096]),
        ("fc.3", vec![1, 4096]),
        ("fc.4", vec![1, 4096]),
        ("fc.5", vec![1, 4096]),
        ("fc.6", vec![1, 10]),
    ];
    assert_eq!(paths_and_shapes(&summary), expected);

    let rows = summary.rows();
    assert_eq!(
        rows[0].description,
        "Conv2d(1 → 96, kernel 11, stride 4, padding 0)"
    );
    assert_eq!(rows[1].description, "ReLU");
    assert_eq!(
        rows[2].description,
        "MaxPool2d(kernel 3, stride 2, padding 0)"
    );
    assert_eq!(rows[13].description, "Linear(6400 → 4096)");
    assert_eq!(rows[15].description, "Dropout(0.5)");
    // Each layer's own parameters: conv.0 has 96·1·11·11 weights and 96 biases.
    assert_eq!(rows[0].parameters, 96 * 121 + 96);
    assert_eq!(rows[1].parameters, 0);
    assert_eq!(rows[13].parameters, 6400 * 4096 + 4096);

    // 46,764,746 for one input channel (46,787,978 is the three-channel ImageNet count).
    assert_eq!(summary.total_parameters(), 46_764_746);
    assert_eq!(summary.total_parameters(), model.parameter_count());
    assert_eq!(summary.total_flops(), AlexNet::forward_flops(224));
    // Only convolutions and Linear layers count FLOPs.
    for row in rows {
        let counted =
            row.description.starts_with("Conv2d") || row.description.starts_with("Linear");
        assert_eq!(row.flops > 0.0, counted, "{row:?}");
    }
}

/// A table line's cells: the text between runs of two or more spaces.
fn cells(line: &str) -> Vec<&str> {
    let pieces = line.split("  ").map(str::trim);
    pieces.filter(|cell| !cell.is_empty()).collect()
}

#[test]
fn alexnet_table_has_a_line_per_layer_and_the_totals() {
    let model = AlexNet::new(&mut Rng::new(0));
    let table = summarize(&model, &Shape::new([1, 1, 224, 224])).to_string();
    let lines: Vec<&str> = table.lines().collect();
    // Headings, a rule, 20 layers, a rule, the totals, the note on FLOPs.
    assert_eq!(lines.len(), 25, "{table}");
    assert!(lines[0].starts_with("layer") && lines[0].ends_with("MFLOPs/image"));
    let conv0_cells = [
        "conv.0",
        "Conv2d(1 → 96, kernel 11, stride 4, padding 0)",
        "[1, 96, 54, 54]",
        "11,712",
        "67.7",
    ];
    assert_eq!(cells(lines[2]), conv0_cells, "{table}");
    assert_eq!(cells(lines[3]), ["conv.1", "ReLU", "[1, 96, 54, 54]", "0"]);
    // AlexNet::forward_flops(224) = 1.8763e9.
    assert_eq!(cells(lines[23]), ["total", "46,764,746", "1,876.3"]);
    // Numbers are right-aligned: every row ends in the same column, except those without FLOPs.
    let width = lines[0].chars().count();
    assert!(lines[2].chars().count() == width && lines[23].chars().count() == width);
    assert!(!table.lines().any(|line| line.ends_with(' ')));
}

#[test]
fn flops_are_per_image_whatever_the_batch() {
    let model = AlexNet::new(&mut Rng::new(0));
    let summary = summarize(&model, &Shape::new([2, 1, 224, 224]));
    assert_eq!(summary.rows()[0].output_shape, Shape::new([2, 96, 54, 54]));
    assert_eq!(summary.total_flops(), AlexNet::forward_flops(224));
}

#[test]
fn mlp_summary() {
    let model = Mlp::new(&[784, 256, 128, 10], &mut Rng::new(0));
    let summary = summarize(&model, &Shape::new([1, 1, 28, 28]));
    println!("{summary}");
    let expected: Vec<(&str, Vec<usize>)> = vec![
        ("net.0", vec![1, 784]),
        ("net.1", vec![1, 256]),
        ("net.2", vec![1, 256]),
        ("net.3", vec![1, 128]),
        ("net.4", vec![1, 128]),
        ("net.5", vec![1, 10]),
    ];
    assert_eq!(paths_and_shapes(&summary), expected);
    let descriptions: Vec<&str> = summary
        .rows()
        .iter()
        .map(|r| r.description.as_str())
        .collect();
    assert_eq!(
        descriptions,
        [
            "Flatten",
            "Linear(784 → 256)",
            "ReLU",
            "Linear(256 → 128)",
            "ReLU",
            "Linear(128 → 10)"
        ]
    );
    assert_eq!(summary.total_parameters(), model.parameter_count());
    let multiply_adds = 784 * 256 + 256 * 128 + 128 * 10;
    assert_eq!(summary.total_flops(), 2.0 * multiply_adds as f64);
}

#[test]
fn hand_built_sequential_with_a_nested_one() {
    let rng = &mut Rng::new(0);
    let features = Sequential::new(vec![
        Box::new(Conv2d::new(3, 8, 3, 1, 1, rng)),
        Box::new(ReLU),
        Box::new(MaxPool2d::new(2, 2)),
    ]);
    let model = Sequential::new(vec![
        Box::new(features),
        Box::new(Flatten),
        Box::new(Dropout::new(0.25)),
        Box::new(Linear::new(8 * 4 * 4, 5, rng)),
        Box::new(ReLU), // fused into the Linear before it, listed on its own
    ]);
    let summary = summarize(&model, &Shape::new([4, 3, 8, 8]));
    println!("{summary}");
    // The nested Sequential is not a row: its layers are, under its position.
    let expected: Vec<(&str, Vec<usize>)> = vec![
        ("0.0", vec![4, 8, 8, 8]),
        ("0.1", vec![4, 8, 8, 8]),
        ("0.2", vec![4, 8, 4, 4]),
        ("1", vec![4, 128]),
        ("2", vec![4, 128]),
        ("3", vec![4, 5]),
        ("4", vec![4, 5]),
    ];
    assert_eq!(paths_and_shapes(&summary), expected);
    assert_eq!(
        summary.rows()[2].description,
        "MaxPool2d(kernel 2, stride 2, padding 0)"
    );
    assert_eq!(summary.rows()[4].description, "Dropout(0.25)");
    assert_eq!(summary.total_parameters(), model.parameter_count());
    // Per image: 8·8·8 outputs of 3·3·3 multiply-adds, then 5 outputs of 128.
    let multiply_adds = 8 * 8 * 8 * 27 + 5 * 128;
    assert_eq!(summary.total_flops(), 2.0 * multiply_adds as f64);
}

#[test]
fn a_model_that_reports_nothing_is_one_row() {
    /// A custom model that runs its layer without reporting it.
    struct Opaque(Linear);
    impl Module for Opaque {
        fn forward(&self, x: &Var, ctx: &mut ForwardContext) -> Var {
            self.0.forward(x, ctx)
        }
        fn parameters(&self) -> Vec<(String, &nn::Parameter)> {
            self.0.parameters()
        }
    }
    let model = Opaque(Linear::new(3, 2, &mut Rng::new(0)));
    let summary = summarize(&model, &Shape::new([1, 3]));
    let rows = summary.rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].path.as_str(), rows[0].description.as_str()),
        ("", "Opaque")
    );
    assert_eq!(rows[0].output_shape, Shape::new([1, 2]));
    assert_eq!(rows[0].parameters, 8);
}

#[test]
fn ordinary_passes_list_nothing() {
    let ctx = ForwardContext::evaluation();
    assert!(!ctx.lists_layers() && !ForwardContext::training(0).lists_layers());
}

#[test]
#[should_panic(expected = "module 1, Linear(4 → 2): expected input [N, 4], got [1, 3]")]
fn a_model_that_cannot_take_the_input_names_the_layer() {
    let rng = &mut Rng::new(0);
    let model = Sequential::new(vec![Box::new(Flatten), Box::new(Linear::new(4, 2, rng))]);
    summarize(&model, &Shape::new([1, 3]));
}

#[test]
#[should_panic(expected = "has no images")]
fn an_empty_batch_is_refused() {
    let model = Mlp::new(&[4, 2], &mut Rng::new(0));
    summarize(&model, &Shape::new([0, 4]));
}
