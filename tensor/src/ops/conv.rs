//! 2-D convolution (NCHW input, OIHW weight) and its two gradients.

use super::assert_same_device;
use crate::backend::{Backend, Conv2dGeometry};
use crate::{Shape, Tensor};

impl Conv2dGeometry {
    /// The geometry of `conv2d(input, weight)`, panicking with both shapes when they do not fit.
    #[track_caller]
    pub fn from_shapes(input: &Shape, weight: &Shape, stride: usize, padding: usize) -> Self {
        match Conv2dGeometry::try_from_shapes(input, weight, stride, padding) {
            Ok(geometry) => geometry,
            Err(why) => panic!("conv2d: input {input} and weight {weight}: {why}"),
        }
    }

    /// The geometry of `conv2d(input, weight)`, or why the shapes do not fit (for callers that
    /// word their own message, such as the `Conv2d` layer).
    pub fn try_from_shapes(
        input: &Shape,
        weight: &Shape,
        stride: usize,
        padding: usize,
    ) -> Result<Self, String> {
        if input.rank() != 4 || weight.rank() != 4 {
            return Err("input must be [N, C, H, W] and weight [C_out, C_in, kH, kW]".into());
        }
        let [batch, in_channels, in_h, in_w] = input.dims().try_into().unwrap();
        let [out_channels, weight_in, kernel_h, kernel_w] = weight.dims().try_into().unwrap();
        if weight_in != in_channels {
            return Err(format!(
                "input has {in_channels} channels but the weight expects {weight_in}"
            ));
        }
        if stride == 0 {
            return Err("stride must be at least 1".into());
        }
        let (out_h, out_w) = output_size(
            [in_h, in_w],
            [kernel_h, kernel_w],
            stride,
            padding,
            "kernel",
        )?;
        // Padding can make the output, and the im2col matrix (one column per output pixel,
        // one row per input value a kernel position sees), far larger than the input.
        let output = Shape::new([batch, out_channels, out_h, out_w]);
        if let Err(why) = output.try_numel() {
            return Err(format!("the output {output} {why}"));
        }
        let columns = Shape::new([in_channels, kernel_h, kernel_w, out_h, out_w]);
        if let Err(why) = columns.try_numel() {
            return Err(format!(
                "the im2col matrix of one image ([C_in, kH, kW, H_out, W_out] = {columns}) {why}"
            ));
        }
        Ok(Conv2dGeometry {
            batch,
            in_channels,
            out_channels,
            in_h,
            in_w,
            kernel_h,
            kernel_w,
            stride,
            padding,
            out_h,
            out_w,
        })
    }

    pub fn input_shape(&self) -> Shape {
        Shape::new([self.batch, self.in_channels, self.in_h, self.in_w])
    }

    pub fn weight_shape(&self) -> Shape {
        Shape::new([
            self.out_channels,
            self.in_channels,
            self.kernel_h,
            self.kernel_w,
        ])
    }

    pub fn output_shape(&self) -> Shape {
        Shape::new([self.batch, self.out_channels, self.out_h, self.out_w])
    }
}

/// `[H_out, W_out]` of a `[kH, kW]` window sliding by `stride` over an `[H, W]` input padded by
/// `padding` on each side, or why there is none: a padded input too large to count, or a window
/// (named `window` in the message: "kernel" for a convolution) larger than the padded input.
/// Pooling uses it too.
pub(super) fn output_size(
    [in_h, in_w]: [usize; 2],
    [kernel_h, kernel_w]: [usize; 2],
    stride: usize,
    padding: usize,
    window: &str,
) -> Result<(usize, usize), String> {
    // After this check, `Conv2dGeometry::out_size` cannot overflow.
    let padded = padding
        .checked_mul(2)
        .and_then(|both_sides| both_sides.checked_add(in_h.max(in_w)));
    if padded.is_none() {
        return Err(format!(
            "padding {padding} makes the padded input larger than usize can count"
        ));
    }
    let out_h = Conv2dGeometry::out_size(in_h, kernel_h, stride, padding);
    let out_w = Conv2dGeometry::out_size(in_w, kernel_w, stride, padding);
    match (out_h, out_w) {
        (Some(out_h), Some(out_w)) => Ok((out_h, out_w)),
        _ => Err(format!(
            "the {kernel_h}x{kernel_w} {window} is larger than the padded input"
        )),
    }
}

impl Tensor {
    /// Cross-correlation as in `torch.nn.functional.conv2d`: `self` is `[N, C_in, H, W]`,
    /// `weight` is `[C_out, C_in, kH, kW]`, `bias` is `[C_out]`.
    #[track_caller]
    pub fn conv2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        stride: usize,
        padding: usize,
    ) -> Tensor {
        assert_same_device("conv2d", self, weight);
        let geometry = Conv2dGeometry::from_shapes(self.shape(), weight.shape(), stride, padding);
        if let Some(bias) = bias {
            assert_same_device("conv2d", self, bias);
            assert_eq!(
                bias.dims(),
                [geometry.out_channels],
                "conv2d: bias {} does not match the weight's {} output channels",
                bias.shape(),
                geometry.out_channels
            );
        }
        let storage = self
            .storage()
            .conv2d(weight.storage(), bias.map(Tensor::storage), &geometry);
        Tensor::from_storage(storage, geometry.output_shape())
    }

    /// Gradient of `conv2d` with respect to its input, given the output gradient `self`.
    #[track_caller]
    pub fn conv2d_input_grad(&self, weight: &Tensor, geometry: &Conv2dGeometry) -> Tensor {
        assert_same_device("conv2d_input_grad", self, weight);
        check_grad_shape(self, geometry);
        let storage = self.storage().conv2d_input_grad(weight.storage(), geometry);
        Tensor::from_storage(storage, geometry.input_shape())
    }

    /// Gradient of `conv2d` with respect to its weight, given the output gradient `self`.
    #[track_caller]
    pub fn conv2d_weight_grad(&self, input: &Tensor, geometry: &Conv2dGeometry) -> Tensor {
        assert_same_device("conv2d_weight_grad", self, input);
        check_grad_shape(self, geometry);
        let storage = self.storage().conv2d_weight_grad(input.storage(), geometry);
        Tensor::from_storage(storage, geometry.weight_shape())
    }
}

#[track_caller]
fn check_grad_shape(grad: &Tensor, geometry: &Conv2dGeometry) {
    assert_eq!(
        grad.shape(),
        &geometry.output_shape(),
        "conv2d backward: output gradient {} does not match the output shape {}",
        grad.shape(),
        geometry.output_shape()
    );
}
