//! Every optimized CPU kernel against its naive reference, on random shapes that include odd
//! sizes, batch 1, strides and padding.

use tensor::cpu::conv_algorithm::ConvAlgorithm;
use tensor::cpu::{conv, elementwise, gemm, layout, pool, winograd};
use tensor::{
    AdaptivePool2dGeometry, AxisLayout, BinaryOp, BroadcastShapes, Conv2dGeometry, GemmSpec,
    Pool2dGeometry, Rng, Shape,
};

fn random_vec(len: usize, rng: &mut Rng) -> Vec<f32> {
    (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect()
}

#[track_caller]
fn assert_close(actual: &[f32], expected: &[f32], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= 1e-4 * (1.0 + e.abs()),
            "{what}[{i}]: {a} vs reference {e}"
        );
    }
}

#[test]
fn gemm_matches_naive_for_random_shapes_and_flags() {
    let mut rng = Rng::new(1);
    for case in 0..40 {
        let spec = GemmSpec {
            batch: 1 + rng.below(3),
            m: 1 + rng.below(37),
            n: 1 + rng.below(41),
            k: 1 + rng.below(53),
            transpose_a: rng.below(2) == 1,
            transpose_b: rng.below(2) == 1,
        };
        let a = random_vec(spec.batch * spec.m * spec.k, &mut rng);
        let b = random_vec(spec.batch * spec.k * spec.n, &mut rng);
        let what = format!("case {case} {spec:?}");
        assert_close(
            &gemm::gemm(&a, &b, &spec),
            &gemm::gemm_naive(&a, &b, &spec),
            &what,
        );
    }
}

fn random_conv_geometry(rng: &mut Rng) -> Conv2dGeometry {
    let (kernel_h, kernel_w) = (1 + rng.below(5), 1 + rng.below(5));
    let input = Shape::new([
        1 + rng.below(3),
        1 + rng.below(4),
        kernel_h + rng.below(9),
        kernel_w + rng.below(9),
    ]);
    let weight = Shape::new([1 + rng.below(5), input.dims()[1], kernel_h, kernel_w]);
    Conv2dGeometry::from_shapes(&input, &weight, 1 + rng.below(3), rng.below(3))
}

fn check_conv(g: &Conv2dGeometry, rng: &mut Rng, what: &str) {
    let x = random_vec(g.batch * g.in_channels * g.in_h * g.in_w, rng);
    let w = random_vec(g.out_channels * g.patch_len(), rng);
    let b = random_vec(g.out_channels, rng);
    let dy = random_vec(g.batch * g.out_channels * g.out_pixels(), rng);
    assert_close(
        &conv::conv2d(&x, &w, Some(&b), g),
        &conv::conv2d_naive(&x, &w, Some(&b), g),
        &format!("{what} forward"),
    );
    assert_close(
        &conv::conv2d(&x, &w, None, g),
        &conv::conv2d_naive(&x, &w, None, g),
        &format!("{what} forward, no bias"),
    );
    assert_close(
        &conv::conv2d_input_grad(&dy, &w, g),
        &conv::conv2d_input_grad_naive(&dy, &w, g),
        &format!("{what} input grad"),
    );
    assert_close(
        &conv::conv2d_weight_grad(&dy, &x, g),
        &conv::conv2d_weight_grad_naive(&dy, &x, g),
        &format!("{what} weight grad"),
    );
}

#[test]
fn conv2d_matches_naive_for_random_geometries() {
    let mut rng = Rng::new(2);
    for case in 0..60 {
        let g = random_conv_geometry(&mut rng);
        check_conv(&g, &mut rng, &format!("case {case} {g:?}"));
    }
}

#[test]
fn conv2d_matches_naive_for_alexnet_like_geometries() {
    let mut rng = Rng::new(3);
    // Scaled-down versions of AlexNet's conv1 (k11 s4), conv2 (k5 p2) and conv3-5 (k3 p1).
    for (batch, cin, cout, size, kernel, stride, padding) in [
        (2, 1, 4, 35, 11, 4, 0),
        (1, 6, 5, 13, 5, 1, 2),
        (3, 8, 7, 6, 3, 1, 1),
    ] {
        let input = Shape::new([batch, cin, size, size]);
        let weight = Shape::new([cout, cin, kernel, kernel]);
        let g = Conv2dGeometry::from_shapes(&input, &weight, stride, padding);
        check_conv(&g, &mut rng, &format!("{g:?}"));
    }
}

/// Winograd F(2×2, 3×3) and F(2×2, 5×5), forward and input gradient: odd and even output sizes
/// (blocks hanging over the edge), rectangles, every padding below the kernel size, batch 1,
/// enough images for several chunks.
#[test]
fn winograd_matches_naive_for_stride_1() {
    let mut rng = Rng::new(6);
    let mut geometries: Vec<Conv2dGeometry> = (0..60)
        .map(|_| {
            let kernel = [3, 5][rng.below(2)];
            let padding = rng.below(kernel);
            let smallest = kernel.saturating_sub(2 * padding).max(1);
            let input = Shape::new([
                1 + rng.below(3),
                1 + rng.below(20),
                smallest + rng.below(9),
                smallest + rng.below(9),
            ]);
            let weight = Shape::new([1 + rng.below(9), input.dims()[1], kernel, kernel]);
            Conv2dGeometry::from_shapes(&input, &weight, 1, padding)
        })
        .collect();
    geometries.push(Conv2dGeometry::from_shapes(
        &Shape::new([37, 5, 7, 7]),
        &Shape::new([6, 5, 3, 3]),
        1,
        1,
    ));
    for (case, g) in geometries.iter().enumerate() {
        assert!(winograd::supports(g), "case {case} {g:?}");
        let x = random_vec(g.batch * g.in_channels * g.in_h * g.in_w, &mut rng);
        let w = random_vec(g.out_channels * g.patch_len(), &mut rng);
        let b = random_vec(g.out_channels, &mut rng);
        let dy = random_vec(g.batch * g.out_channels * g.out_pixels(), &mut rng);
        let what = format!("case {case} {g:?}");
        assert_close(
            &winograd::conv2d(&x, &w, Some(&b), g),
            &conv::conv2d_naive(&x, &w, Some(&b), g),
            &format!("{what} forward"),
        );
        assert_close(
            &winograd::conv2d_input_grad(&dy, &w, g),
            &conv::conv2d_input_grad_naive(&dy, &w, g),
            &format!("{what} input grad"),
        );
        assert_close(
            &winograd::conv2d_weight_grad(&dy, &x, g),
            &conv::conv2d_weight_grad_naive(&dy, &x, g),
            &format!("{what} weight grad"),
        );
    }
}

/// The algorithm table picks Winograd for wide 3×3 layers, and what it picks is still right.
#[test]
fn chosen_algorithm_matches_naive_on_a_wide_3x3_layer() {
    let mut rng = Rng::new(7);
    let g = Conv2dGeometry::from_shapes(
        &Shape::new([2, 64, 5, 6]),
        &Shape::new([65, 64, 3, 3]),
        1,
        1,
    );
    let algorithm = ConvAlgorithm::for_forward(&g);
    assert_eq!(algorithm, ConvAlgorithm::Winograd);
    let x = random_vec(g.batch * g.in_channels * g.in_h * g.in_w, &mut rng);
    let w = random_vec(g.out_channels * g.patch_len(), &mut rng);
    let dy = random_vec(g.batch * g.out_channels * g.out_pixels(), &mut rng);
    let naive = ConvAlgorithm::Naive;
    let forward = algorithm.forward(&x, &w, None, &g);
    assert_close(&forward, &naive.forward(&x, &w, None, &g), "forward");
    assert_eq!(ConvAlgorithm::for_input_grad(&g), ConvAlgorithm::Winograd);
    let input_grad = algorithm.input_grad(&dy, &w, &g);
    assert_close(&input_grad, &naive.input_grad(&dy, &w, &g), "input grad");
    let weight_grad = algorithm.weight_grad(&dy, &x, &g);
    assert_close(&weight_grad, &naive.weight_grad(&dy, &x, &g), "weight grad");
}

#[test]
fn max_pool2d_matches_naive() {
    let mut rng = Rng::new(4);
    for case in 0..40 {
        let kernel = 1 + rng.below(4);
        let (in_h, in_w) = (kernel + rng.below(8), kernel + rng.below(8));
        let input = Shape::new([1 + rng.below(3), 1 + rng.below(3), in_h, in_w]);
        let g =
            Pool2dGeometry::from_shape(&input, kernel, 1 + rng.below(3), rng.below(kernel / 2 + 1));
        let x = random_vec(g.planes() * in_h * in_w, &mut rng);
        let (out, indices) = pool::max_pool2d(&x, &g);
        let (out_ref, indices_ref) = pool::max_pool2d_naive(&x, &g);
        assert_close(&out, &out_ref, &format!("case {case} {g:?}"));
        assert_eq!(indices, indices_ref, "case {case} {g:?} indices");
        // The backward must route every output gradient to exactly that index.
        let dy = random_vec(out.len(), &mut rng);
        let dx = pool::max_pool2d_backward(&dy, &indices, &g);
        let mut dx_ref = vec![0.0; x.len()];
        let plane_out = g.out_h * g.out_w;
        for (o, (&d, &i)) in dy.iter().zip(&indices).enumerate() {
            dx_ref[(o / plane_out) * in_h * in_w + i as usize] += d;
        }
        assert_close(&dx, &dx_ref, &format!("case {case} backward"));
    }
}

/// Ties (ReLU's zeros) and NaNs on rows wide enough for the four-at-a-time path: the same
/// maxima, NaN where the naive kernel has NaN, and the same winning index (the first maximum in
/// window order; a NaN beats any number).
#[test]
fn max_pool2d_ties_and_nans_match_naive() {
    let mut rng = Rng::new(24);
    for (case, (shape, kernel, stride)) in [
        ([2, 3, 27, 27], 3, 2),
        ([1, 2, 13, 21], 2, 1),
        ([1, 1, 11, 30], 3, 3),
    ]
    .into_iter()
    .enumerate()
    {
        let input = Shape::new(shape);
        let g = Pool2dGeometry::from_shape(&input, kernel, stride, 0);
        let x: Vec<f32> = (0..input.numel())
            .map(|_| match rng.below(20) {
                0 => f32::NAN,
                n => (n % 4) as f32 - 1.0, // -1, 0, 1, 2: many ties
            })
            .collect();
        let (out, indices) = pool::max_pool2d(&x, &g);
        let (out_ref, indices_ref) = pool::max_pool2d_naive(&x, &g);
        assert_eq!(
            format!("{out:?}"),
            format!("{out_ref:?}"),
            "case {case} {g:?} values"
        );
        assert_eq!(indices, indices_ref, "case {case} {g:?} indices");
    }
}

#[test]
fn avg_pool2d_matches_naive() {
    let mut rng = Rng::new(14);
    // Random geometries (odd sizes, strides, padding), then the overlapping windows of kernel 3
    // stride 2, without and with padding, where inputs get shares from several windows.
    let mut cases: Vec<(Shape, usize, usize, usize)> = (0..40)
        .map(|_| {
            let kernel = 1 + rng.below(4);
            let (in_h, in_w) = (kernel + rng.below(8), kernel + rng.below(8));
            let input = Shape::new([1 + rng.below(3), 1 + rng.below(3), in_h, in_w]);
            (input, kernel, 1 + rng.below(3), rng.below(kernel / 2 + 1))
        })
        .collect();
    cases.push((Shape::new([2, 3, 13, 13]), 3, 2, 0));
    cases.push((Shape::new([1, 2, 8, 9]), 3, 2, 1));
    for (case, (input, kernel, stride, padding)) in cases.into_iter().enumerate() {
        let g = Pool2dGeometry::from_shape(&input, kernel, stride, padding);
        let x = random_vec(input.numel(), &mut rng);
        let out = pool::avg_pool2d(&x, &g);
        assert_close(
            &out,
            &pool::avg_pool2d_naive(&x, &g),
            &format!("case {case} {g:?}"),
        );
        // The fast backward gathers per input, the naive one scatters per output.
        let dy = random_vec(out.len(), &mut rng);
        assert_close(
            &pool::avg_pool2d_backward(&dy, &g),
            &pool::avg_pool2d_backward_naive(&dy, &g),
            &format!("case {case} {g:?} backward"),
        );
    }
}

#[test]
fn adaptive_avg_pool2d_matches_naive() {
    let mut rng = Rng::new(15);
    // Random sizes, outputs smaller and larger than the input; then the book's cases: global
    // pooling, and 7x5 → 3x2 where windows share a row.
    let mut cases: Vec<(Shape, usize, usize)> = (0..40)
        .map(|_| {
            let input = Shape::new([
                1 + rng.below(3),
                1 + rng.below(3),
                1 + rng.below(12),
                1 + rng.below(12),
            ]);
            (input, 1 + rng.below(8), 1 + rng.below(8))
        })
        .collect();
    cases.push((Shape::new([2, 3, 7, 7]), 1, 1));
    cases.push((Shape::new([1, 2, 7, 5]), 3, 2));
    cases.push((Shape::new([1, 1, 2, 3]), 5, 7));
    for (case, (input, out_h, out_w)) in cases.into_iter().enumerate() {
        let g = AdaptivePool2dGeometry::from_shape(&input, out_h, out_w);
        let x = random_vec(input.numel(), &mut rng);
        let out = pool::adaptive_avg_pool2d(&x, &g);
        let what = format!("case {case} {g:?}");
        assert_close(&out, &pool::adaptive_avg_pool2d_naive(&x, &g), &what);
        // The fast backward gathers per input, the naive one scatters per output.
        let dy = random_vec(out.len(), &mut rng);
        assert_close(
            &pool::adaptive_avg_pool2d_backward(&dy, &g),
            &pool::adaptive_avg_pool2d_backward_naive(&dy, &g),
            &format!("{what} backward"),
        );
    }
}

#[test]
fn cat_and_narrow_match_naive() {
    let mut rng = Rng::new(16);
    for case in 0..40 {
        let (outer, inner) = (rng.below(4), rng.below(6));
        // Up to four parts, some of them empty along the axis.
        let lens: Vec<usize> = (0..1 + rng.below(4)).map(|_| rng.below(5)).collect();
        let values: Vec<Vec<f32>> = lens
            .iter()
            .map(|&len| random_vec(outer * len * inner, &mut rng))
            .collect();
        let parts: Vec<&[f32]> = values.iter().map(|v| v.as_slice()).collect();
        let what = format!("case {case}: outer {outer}, lens {lens:?}, inner {inner}");
        let joined = layout::cat(&parts, &lens, outer, inner);
        assert_eq!(
            joined,
            layout::cat_naive(&parts, &lens, outer, inner),
            "{what}"
        );
        // Each part comes back out of the joined tensor.
        let total: usize = lens.iter().sum();
        let l = AxisLayout {
            outer,
            len: total,
            inner,
        };
        let mut start = 0;
        for (p, &len) in lens.iter().enumerate() {
            let slab = layout::narrow(&joined, l, start, len);
            assert_eq!(slab, layout::narrow_naive(&joined, l, start, len), "{what}");
            assert_eq!(slab, values[p], "{what}: part {p}");
            start += len;
        }
    }
}

#[test]
fn broadcasting_binary_matches_naive() {
    let mut rng = Rng::new(5);
    for case in 0..60 {
        let rank = 1 + rng.below(4);
        let out: Vec<usize> = (0..rank).map(|_| 1 + rng.below(5)).collect();
        // Each operand drops some leading axes and squeezes some others to 1.
        let operand = |rng: &mut Rng| {
            let skip = rng.below(rank);
            Shape::new(
                out[skip..]
                    .iter()
                    .map(|&d| if rng.below(3) == 0 { 1 } else { d })
                    .collect::<Vec<_>>(),
            )
        };
        let (a_shape, b_shape) = (operand(&mut rng), operand(&mut rng));
        let out_shape = a_shape.broadcast(&b_shape).unwrap();
        let a = random_vec(a_shape.numel(), &mut rng);
        let b = random_vec(b_shape.numel(), &mut rng);
        let shapes = BroadcastShapes {
            lhs: &a_shape,
            rhs: &b_shape,
            out: &out_shape,
        };
        let ops = [
            BinaryOp::Add,
            BinaryOp::Sub,
            BinaryOp::Mul,
            BinaryOp::Div,
            BinaryOp::KeepWherePositive,
        ];
        for op in ops {
            assert_close(
                &elementwise::binary(&a, &b, op, &shapes),
                &elementwise::binary_naive(&a, &b, op, &shapes),
                &format!("case {case} {op:?} {a_shape} {b_shape}"),
            );
        }
    }
}

#[test]
fn dropout_mask_keeps_the_expected_fraction_and_scale() {
    let mask = elementwise::dropout_mask(100_000, 0.3, 7);
    let kept = mask.iter().filter(|&&m| m != 0.0).count() as f32 / mask.len() as f32;
    assert!((kept - 0.7).abs() < 0.01, "kept fraction {kept}");
    assert!(mask
        .iter()
        .all(|&m| m == 0.0 || (m - 1.0 / 0.7).abs() < 1e-6));
    assert_eq!(
        mask,
        elementwise::dropout_mask(100_000, 0.3, 7),
        "same seed, same mask"
    );
    assert_ne!(
        mask,
        elementwise::dropout_mask(100_000, 0.3, 8),
        "another seed, another mask"
    );
}

/// The single-threaded GEMM against the naive loops with beta = 0 and beta = 1, with shapes that
/// leave partial micro-tiles and span several cache blocks.
#[test]
fn sgemm_with_beta_matches_naive() {
    use tensor::cpu::gemm::{sgemm, MatRef};
    let mut rng = Rng::new(6);
    let shapes = [
        (1, 1, 1),
        (13, 33, 7),
        (12, 32, 256),
        (37, 65, 300),
        (200, 70, 520),
        (5, 2100, 3),
    ];
    for (case, &(m, n, k)) in shapes.iter().enumerate() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = random_vec(m * k, &mut rng);
            let b = random_vec(k * n, &mut rng);
            let c0 = random_vec(m * n, &mut rng);
            let spec = GemmSpec {
                batch: 1,
                m,
                n,
                k,
                transpose_a: ta,
                transpose_b: tb,
            };
            let product = gemm::gemm_naive(&a, &b, &spec);
            let accumulated: Vec<f32> = product.iter().zip(&c0).map(|(p, c)| p + c).collect();
            let (a, b) = (
                MatRef {
                    data: &a,
                    transposed: ta,
                },
                MatRef {
                    data: &b,
                    transposed: tb,
                },
            );
            let what = format!("case {case} {spec:?}");
            let mut c = vec![f32::NAN; m * n]; // beta = 0 must ignore what C held
            sgemm(a, b, &mut c, m, n, k, 0.0);
            assert_close(&c, &product, &format!("{what} beta 0"));
            let mut c = c0.clone();
            sgemm(a, b, &mut c, m, n, k, 1.0);
            assert_close(&c, &accumulated, &format!("{what} beta 1"));
        }
    }
}
