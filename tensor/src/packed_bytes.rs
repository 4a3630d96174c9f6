//! `PackedBytes`: a byte array — a dataset's pixels — kept on a device four bytes to a `u32`.
//!
//! A dataset of byte images uploaded as f32 would take four times the memory; as one `u32` per
//! byte, just as much. Packed, it takes what the bytes take, and a kernel unpacks each byte
//! where it reads it (see [`Tensor::gather_images`](crate::Tensor::gather_images)).
//!
//! Packing is little-endian: byte `i` is bits `8·(i mod 4) ..` of word `i / 4`, and the last
//! word is padded with zeros. The byte length is kept beside the words, so the padding never
//! counts as data.

use crate::storage::IndexStorage;
use crate::{Device, Result};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct PackedBytes {
    /// `len.div_ceil(4)` words. The kernels read any `u32` buffer of a device through
    /// `IndexStorage`, so packed bytes share that buffer type with `Indices`.
    words: Arc<IndexStorage>,
    /// Bytes, without the padding of the last word.
    len: usize,
}

impl PackedBytes {
    /// `bytes` packed on the CPU; move them with [`PackedBytes::to`].
    pub fn new(bytes: &[u8]) -> Self {
        PackedBytes {
            words: Arc::new(IndexStorage::Cpu(pack(bytes))),
            len: bytes.len(),
        }
    }

    /// Number of bytes (not words).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn device(&self) -> Device {
        self.words.device()
    }

    /// The same bytes on `device` (uploaded packed: a quarter of the words of one per byte).
    pub fn to(&self, device: Device) -> Result<PackedBytes> {
        if device == self.device() {
            return Ok(self.clone());
        }
        Ok(PackedBytes {
            words: Arc::new(IndexStorage::from_vec(self.words.to_vec(), device)?),
            len: self.len,
        })
    }

    /// The bytes, unpacked on the host (reads them back from a device).
    pub fn to_bytes(&self) -> Vec<u8> {
        unpack(&self.words.to_vec(), self.len)
    }

    /// The packed words, for the kernels.
    pub(crate) fn storage(&self) -> &IndexStorage {
        &self.words
    }
}

/// Four bytes to a little-endian `u32`, the last word padded with zeros.
fn pack(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks(4)
        .map(|chunk| {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            u32::from_le_bytes(word)
        })
        .collect()
}

/// The first `len` bytes of `words` (the inverse of [`pack`]).
fn unpack(words: &[u32], len: usize) -> Vec<u8> {
    words
        .iter()
        .flat_map(|word| word.to_le_bytes())
        .take(len)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_through_packing_whatever_their_length() {
        for len in 0..9 {
            let bytes: Vec<u8> = (0..len).map(|i| 250 - i as u8).collect();
            let packed = PackedBytes::new(&bytes);
            assert_eq!(packed.len(), len);
            assert_eq!(packed.to_bytes(), bytes);
        }
    }

    #[test]
    fn byte_i_is_byte_i_mod_4_of_word_i_div_4() {
        assert_eq!(pack(&[1, 2, 3, 4, 5]), vec![0x0403_0201, 0x0000_0005]);
    }
}
