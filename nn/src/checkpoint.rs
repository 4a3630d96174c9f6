//! Checkpoints in the safetensors format, with PyTorch's parameter and buffer names, so that
//! `safetensors.torch.load_file` reads ours and `safetensors.torch.save_file(model.state_dict())`
//! writes files we read. A module's *state* is its parameters and its buffers (see
//! [`Buffer`](crate::Buffer)), as in PyTorch's `state_dict`.
//!
//! Saving is atomic and refuses to replace what is not a writable regular file (see
//! [`output_file`](crate::output_file)). Loading checks names, shapes and values: a checkpoint
//! that does not fit the model, or holds NaN or infinity, changes nothing.

use crate::error::{io_error, Error, Result};
use crate::{Module, StoredAs};
use safetensors::{tensor::TensorView, Dtype, SafeTensors};
use std::collections::BTreeMap;
use std::path::Path;
use tensor::{Shape, Tensor};

/// Writes named tensors (copied to the host) as an F32 safetensors file, atomically.
pub fn save(path: &Path, tensors: &[(String, Tensor)]) -> Result<()> {
    save_with_metadata(path, tensors, &BTreeMap::new())
}

/// [`save`], with text `metadata` in the file's header (`__metadata__`, which PyTorch's
/// `safetensors.torch.load_file` ignores).
pub fn save_with_metadata(
    path: &Path,
    tensors: &[(String, Tensor)],
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let entries: Vec<StateEntry> = tensors
        .iter()
        .map(|(name, value)| (name.clone(), value.clone(), StoredAs::F32))
        .collect();
    save_state(path, &entries, metadata)
}

/// A named tensor of a module's state, and how it is written (see [`state_of`]).
pub type StateEntry = (String, Tensor, StoredAs);

/// Writes named tensors, each as F32 or I64 (see [`StoredAs`]), with text `metadata`.
pub fn save_state(
    path: &Path,
    entries: &[StateEntry],
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let host: Vec<(String, Vec<usize>, Dtype, Vec<u8>)> = entries
        .iter()
        .map(|(name, t, stored_as)| {
            let (dtype, bytes) = encode(&t.to_vec(), *stored_as);
            (name.clone(), t.dims().to_vec(), dtype, bytes)
        })
        .collect();
    let views = host.iter().map(|(name, dims, dtype, bytes)| {
        let view = TensorView::new(*dtype, dims.clone(), bytes).expect("bytes match the shape");
        (name.as_str(), view)
    });
    let metadata = (!metadata.is_empty()).then(|| metadata.clone().into_iter().collect());
    let bytes = safetensors::serialize(views.collect::<Vec<_>>(), metadata).map_err(|e| {
        Error::CorruptCheckpoint {
            path: path.to_path_buf(),
            problem: format!("could not encode: {e}"),
        }
    })?;
    crate::output_file::write_atomically(path, &bytes)
}

/// Little-endian bytes of `values` as F32, or as I64 (rounded: counters hold whole numbers).
fn encode(values: &[f32], stored_as: StoredAs) -> (Dtype, Vec<u8>) {
    match stored_as {
        StoredAs::F32 => (
            Dtype::F32,
            values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ),
        StoredAs::I64 => {
            let bytes = values.iter().flat_map(|v| (v.round() as i64).to_le_bytes());
            (Dtype::I64, bytes.collect())
        }
    }
}

/// The text metadata of a safetensors file's header (empty if it has none).
pub fn read_metadata(path: &Path) -> Result<BTreeMap<String, String>> {
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    let (_, metadata) =
        SafeTensors::read_metadata(&bytes).map_err(|e| Error::CorruptCheckpoint {
            path: path.to_path_buf(),
            problem: format!("{e} (is the file truncated or of another format?)"),
        })?;
    Ok(metadata
        .metadata()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect())
}

/// Reads every tensor of a safetensors file as f32 (F16 and BF16 are widened; I64, which PyTorch
/// uses for counters such as `num_batches_tracked`, is converted), on the CPU.
pub fn load(path: &Path) -> Result<BTreeMap<String, Tensor>> {
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    let corrupt = |problem: String| Error::CorruptCheckpoint {
        path: path.to_path_buf(),
        problem,
    };
    let file = SafeTensors::deserialize(&bytes)
        .map_err(|e| corrupt(format!("{e} (is the file truncated or of another format?)")))?;
    let mut tensors = BTreeMap::new();
    for (name, view) in file.iter() {
        let values = to_f32(view.dtype(), view.data()).ok_or_else(|| {
            corrupt(format!(
                "tensor {name} has type {:?}; only F32, F16, BF16 and I64 can be loaded",
                view.dtype()
            ))
        })?;
        // The file's shape is untrusted: a product that overflows, or more values than one
        // buffer can hold, is a broken file, not a panic.
        let shape = Shape::new(view.shape());
        match shape.try_numel() {
            Ok(numel) if numel == values.len() => {}
            Ok(numel) => {
                return Err(corrupt(format!(
                    "tensor {name} has shape {shape} ({numel} values) but {} values of data",
                    values.len()
                )))
            }
            Err(why) => return Err(corrupt(format!("tensor {name}: shape {shape} {why}"))),
        }
        tensors.insert(name.to_string(), Tensor::from_vec(values, shape));
    }
    Ok(tensors)
}

fn to_f32(dtype: Dtype, bytes: &[u8]) -> Option<Vec<f32>> {
    let pairs = || {
        bytes
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    match dtype {
        Dtype::F32 => Some(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        ),
        Dtype::F16 => Some(pairs().map(f16_to_f32).collect()),
        // bfloat16 is the top half of an f32.
        Dtype::BF16 => Some(pairs().map(|h| f32::from_bits((h as u32) << 16)).collect()),
        // Exact up to 2^24, far above any count of batches.
        Dtype::I64 => Some(
            bytes
                .chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")) as f32)
                .collect(),
        ),
        _ => None,
    }
}

/// IEEE half precision (1 sign, 5 exponent, 10 mantissa bits) to f32, subnormals included.
pub fn f16_to_f32(half: u16) -> f32 {
    let sign = if half & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = ((half >> 10) & 0x1f) as i32;
    let mantissa = (half & 0x3ff) as f32;
    sign * match exponent {
        0 => mantissa * 2f32.powi(-24),
        31 if mantissa == 0.0 => f32::INFINITY,
        31 => f32::NAN,
        _ => (1.0 + mantissa / 1024.0) * 2f32.powi(exponent - 15),
    }
}

/// Saves a module's state (parameters and buffers) under their names.
pub fn save_module(module: &dyn Module, path: &Path) -> Result<()> {
    save_state(path, &state_of(module), &BTreeMap::new())
}

/// A module's state by name, parameters then buffers: what a model-only checkpoint holds, and
/// what PyTorch's `state_dict()` holds.
pub fn state_of(module: &dyn Module) -> Vec<StateEntry> {
    let parameters = module.parameters().into_iter();
    let buffers = module.buffers().into_iter();
    parameters
        .map(|(name, p)| (name, p.value.clone(), StoredAs::F32))
        .chain(buffers.map(|(name, b)| (name, b.get(), b.stored_as())))
        .collect()
}

/// Loads a checkpoint into a module's parameters and buffers (on each one's device). Every name
/// must match and every shape fit; otherwise nothing is changed and the error lists each
/// problem.
pub fn load_module(module: &mut dyn Module, path: &Path) -> Result<()> {
    let mut tensors = load(path)?;
    let expected = state_of(module);
    let mut problems = Vec::new();
    for (name, value, _) in &expected {
        match tensors.get(name) {
            None => problems.push(format!(
                "missing: {name} (the model expects shape {})",
                value.shape()
            )),
            Some(t) if t.shape() != value.shape() => problems.push(format!(
                "shape mismatch: {name} is {} in the file, {} in the model",
                t.shape(),
                value.shape()
            )),
            Some(_) => {}
        }
    }
    let is_expected = |name: &String| expected.iter().any(|(known, _, _)| known == name);
    for name in tensors.keys().filter(|name| !is_expected(name)) {
        problems.push(format!(
            "unexpected: {name} (neither a parameter nor a buffer of this model)"
        ));
    }
    if !problems.is_empty() {
        return Err(Error::CheckpointMismatch {
            path: path.to_path_buf(),
            problems,
        });
    }
    if let Some(problem) = first_non_finite(&tensors) {
        return Err(Error::CorruptCheckpoint {
            path: path.to_path_buf(),
            problem,
        });
    }
    for (name, buffer) in module.buffers() {
        let value = tensors.remove(&name).expect("checked above");
        buffer.set(value.to(buffer.get().device())?);
    }
    for (name, parameter) in module.parameters_mut() {
        let value = tensors.remove(&name).expect("checked above");
        parameter.value = value.to(parameter.value.device())?;
    }
    Ok(())
}

/// "tensor fc.0.weight holds NaN at element 17 of 26214400": weights like that would only make
/// every prediction NaN (and an evaluation report nonsense such as "test acc 0.0977").
fn first_non_finite(tensors: &BTreeMap<String, Tensor>) -> Option<String> {
    tensors.iter().find_map(|(name, tensor)| {
        let values = tensor.to_vec();
        let (at, value) = values.iter().enumerate().find(|(_, v)| !v.is_finite())?;
        Some(format!(
            "tensor {name} holds {value} at element {at} of {}; the weights in this file are broken \
             (saved from a diverged run?): use an earlier checkpoint",
            values.len()
        ))
    })
}
