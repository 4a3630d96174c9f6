//! 2-D pooling over NCHW tensors: max-pooling and average-pooling share one geometry; adaptive
//! average-pooling has its own (the output size is given, the windows follow from it).

use super::conv::output_size;
use crate::backend::{AdaptivePool2dGeometry, Backend, Pool2dGeometry};
use crate::{Indices, Shape, Tensor};

impl Pool2dGeometry {
    /// The geometry of `max_pool2d(input, ...)` (or of `avg_pool2d`: they share it), panicking
    /// with the shape when it does not fit.
    #[track_caller]
    pub fn from_shape(input: &Shape, kernel: usize, stride: usize, padding: usize) -> Self {
        Pool2dGeometry::for_op("max_pool2d", input, kernel, stride, padding)
    }

    /// As [`from_shape`](Self::from_shape), with `op` naming the caller in the message.
    #[track_caller]
    fn for_op(op: &str, input: &Shape, kernel: usize, stride: usize, padding: usize) -> Self {
        match Pool2dGeometry::try_from_shape(input, kernel, stride, padding) {
            Ok(geometry) => geometry,
            Err(why) => panic!("{op}: input {input}: {why}"),
        }
    }

    /// The geometry of pooling `input`, or why it does not fit (for callers that word their own
    /// message, such as the `MaxPool2d` and `AvgPool2d` layers).
    pub fn try_from_shape(
        input: &Shape,
        kernel: usize,
        stride: usize,
        padding: usize,
    ) -> Result<Self, String> {
        if input.rank() != 4 {
            return Err("input must be [N, C, H, W]".into());
        }
        // `padding > kernel / 2` is `2·padding > kernel` without the overflow.
        if kernel == 0 || stride == 0 || padding > kernel / 2 {
            return Err(format!("kernel {kernel}, stride {stride}, padding {padding}: need kernel, stride >= 1 and padding <= kernel / 2"));
        }
        let [batch, channels, in_h, in_w] = input.dims().try_into().unwrap();
        let (out_h, out_w) =
            output_size([in_h, in_w], [kernel, kernel], stride, padding, "window")?;
        let output = Shape::new([batch, channels, out_h, out_w]);
        if let Err(why) = output.try_numel() {
            return Err(format!("the output {output} {why}"));
        }
        Ok(Pool2dGeometry {
            batch,
            channels,
            in_h,
            in_w,
            kernel,
            stride,
            padding,
            out_h,
            out_w,
        })
    }

    pub fn input_shape(&self) -> Shape {
        Shape::new([self.batch, self.channels, self.in_h, self.in_w])
    }

    pub fn output_shape(&self) -> Shape {
        Shape::new([self.batch, self.channels, self.out_h, self.out_w])
    }
}

impl AdaptivePool2dGeometry {
    /// The geometry of `adaptive_avg_pool2d(input, out_h, out_w)`, panicking with the shape
    /// when it does not fit.
    #[track_caller]
    pub fn from_shape(input: &Shape, out_h: usize, out_w: usize) -> Self {
        match AdaptivePool2dGeometry::try_from_shape(input, out_h, out_w) {
            Ok(geometry) => geometry,
            Err(why) => panic!("adaptive_avg_pool2d: input {input}: {why}"),
        }
    }

    /// The geometry of pooling `input` to `out_h × out_w`, or why it does not fit (for the
    /// `AdaptiveAvgPool2d` layer, which words its own message).
    pub fn try_from_shape(input: &Shape, out_h: usize, out_w: usize) -> Result<Self, String> {
        if input.rank() != 4 {
            return Err("input must be [N, C, H, W]".into());
        }
        let [batch, channels, in_h, in_w] = input.dims().try_into().unwrap();
        if out_h == 0 || out_w == 0 {
            return Err(format!("output size {out_h}x{out_w}: need at least 1x1"));
        }
        if in_h == 0 || in_w == 0 {
            return Err("H and W must not be 0 (an empty window has no mean)".into());
        }
        let output = Shape::new([batch, channels, out_h, out_w]);
        if let Err(why) = output.try_numel() {
            return Err(format!("the output {output} {why}"));
        }
        // The window bounds multiply an index by a size: keep those products in range.
        if in_h.checked_mul(out_h).is_none() || in_w.checked_mul(out_w).is_none() {
            return Err(format!("output size {out_h}x{out_w} is too large"));
        }
        Ok(AdaptivePool2dGeometry {
            batch,
            channels,
            in_h,
            in_w,
            out_h,
            out_w,
        })
    }

    pub fn input_shape(&self) -> Shape {
        Shape::new([self.batch, self.channels, self.in_h, self.in_w])
    }

    pub fn output_shape(&self) -> Shape {
        Shape::new([self.batch, self.channels, self.out_h, self.out_w])
    }
}

impl Tensor {
    /// Max-pooling as `torch.nn.functional.max_pool2d(..., return_indices=True)`: returns the
    /// pooled tensor and, per output, the argmax's flat position within its `H × W` plane.
    #[track_caller]
    pub fn max_pool2d(&self, kernel: usize, stride: usize, padding: usize) -> (Tensor, Indices) {
        let geometry = Pool2dGeometry::from_shape(self.shape(), kernel, stride, padding);
        let (out, indices) = self.storage().max_pool2d(&geometry);
        let shape = geometry.output_shape();
        (
            Tensor::from_storage(out, shape.clone()),
            Indices::from_storage(indices, shape),
        )
    }

    /// Gradient of max-pooling: `self` is the output gradient; each value is added onto the
    /// input position its window chose.
    #[track_caller]
    pub fn max_pool2d_backward(&self, indices: &Indices, geometry: &Pool2dGeometry) -> Tensor {
        assert_eq!(
            self.shape(),
            &geometry.output_shape(),
            "max_pool2d backward: output gradient {} does not match the output shape {}",
            self.shape(),
            geometry.output_shape()
        );
        let storage = self
            .storage()
            .max_pool2d_backward(indices.storage(), geometry);
        Tensor::from_storage(storage, geometry.input_shape())
    }

    /// Average-pooling as `torch.nn.functional.avg_pool2d(x, kernel, stride, padding)` with its
    /// defaults (`count_include_pad=True`, `ceil_mode=False`): each output is its window's sum
    /// divided by kernel², padded zeros included.
    #[track_caller]
    pub fn avg_pool2d(&self, kernel: usize, stride: usize, padding: usize) -> Tensor {
        let geometry = Pool2dGeometry::for_op("avg_pool2d", self.shape(), kernel, stride, padding);
        Tensor::from_storage(
            self.storage().avg_pool2d(&geometry),
            geometry.output_shape(),
        )
    }

    /// Gradient of average-pooling: `self` is the output gradient; each input gets
    /// `dy / kernel²` from every window that covers it.
    #[track_caller]
    pub fn avg_pool2d_backward(&self, geometry: &Pool2dGeometry) -> Tensor {
        assert_eq!(
            self.shape(),
            &geometry.output_shape(),
            "avg_pool2d backward: output gradient {} does not match the output shape {}",
            self.shape(),
            geometry.output_shape()
        );
        let storage = self.storage().avg_pool2d_backward(geometry);
        Tensor::from_storage(storage, geometry.input_shape())
    }

    /// Adaptive average-pooling as `torch.nn.functional.adaptive_avg_pool2d(x, (out_h, out_w))`:
    /// output row `i` averages input rows `floor(i·H/out_h) .. ceil((i + 1)·H/out_h)`, columns
    /// likewise, each window divided by its own size. `(1, 1)` is global average pooling.
    #[track_caller]
    pub fn adaptive_avg_pool2d(&self, out_h: usize, out_w: usize) -> Tensor {
        let geometry = AdaptivePool2dGeometry::from_shape(self.shape(), out_h, out_w);
        Tensor::from_storage(
            self.storage().adaptive_avg_pool2d(&geometry),
            geometry.output_shape(),
        )
    }

    /// Gradient of adaptive average-pooling: `self` is the output gradient; each input gets
    /// `dy / window size` from every window that contains it.
    #[track_caller]
    pub fn adaptive_avg_pool2d_backward(&self, geometry: &AdaptivePool2dGeometry) -> Tensor {
        assert_eq!(
            self.shape(),
            &geometry.output_shape(),
            "adaptive_avg_pool2d backward: output gradient {} does not match the output shape {}",
            self.shape(),
            geometry.output_shape()
        );
        let storage = self.storage().adaptive_avg_pool2d_backward(geometry);
        Tensor::from_storage(storage, geometry.input_shape())
    }
}
