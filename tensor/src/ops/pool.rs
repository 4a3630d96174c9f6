//! 2-D max-pooling over NCHW tensors.

use crate::backend::{Backend, Pool2dGeometry};
use crate::{Indices, Shape, Tensor};

impl Pool2dGeometry {
    /// The geometry of `max_pool2d(input, ...)`, panicking with the shape when it does not fit.
    #[track_caller]
    pub fn from_shape(input: &Shape, kernel: usize, stride: usize, padding: usize) -> Self {
        match Pool2dGeometry::try_from_shape(input, kernel, stride, padding) {
            Ok(geometry) => geometry,
            Err(why) => panic!("max_pool2d: input {input}: {why}"),
        }
    }

    /// The geometry of `max_pool2d(input, ...)`, or why it does not fit (for callers that word
    /// their own message, such as the `MaxPool2d` layer).
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
        super::conv::check_padding(in_h.max(in_w), padding)?;
        let out_h = crate::backend::Conv2dGeometry::out_size(in_h, kernel, stride, padding);
        let out_w = crate::backend::Conv2dGeometry::out_size(in_w, kernel, stride, padding);
        let (Some(out_h), Some(out_w)) = (out_h, out_w) else {
            return Err(format!(
                "the {kernel}x{kernel} window is larger than the padded input"
            ));
        };
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
}
