//! The IDX format of MNIST-style datasets: a big-endian header, then raw values.
//!
//! ```text
//! bytes 0-1  zero
//! byte  2    value type (0x08 = unsigned byte, the only one these datasets use)
//! byte  3    number of dimensions d
//! then       d sizes, each a big-endian u32
//! then       the values, row-major
//! ```
//! Files may be gzip-compressed (detected from the gzip magic bytes, not from the file name).

use crate::error::{io_error, Error, Result};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::Path;

/// An IDX file's dimensions and its unsigned-byte values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub values: Vec<u8>,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const UNSIGNED_BYTE: u8 = 0x08;

/// Reads an IDX file, plain or gzipped, checking its header against its length.
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let raw = std::fs::read(path).map_err(io_error(path))?;
    let bytes = if raw.starts_with(&GZIP_MAGIC) {
        let mut bytes = Vec::new();
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut bytes)
            .map_err(|e| corrupt(path, format!("gzip data is damaged or truncated ({e})")))?;
        bytes
    } else {
        raw
    };
    parse_idx(&bytes).map_err(|problem| corrupt(path, problem))
}

fn corrupt(path: &Path, problem: String) -> Error {
    Error::CorruptDataset {
        path: path.to_path_buf(),
        problem,
    }
}

/// Parses IDX bytes; the error says what is wrong with them.
pub fn parse_idx(bytes: &[u8]) -> std::result::Result<IdxArray, String> {
    let header = bytes
        .get(..4)
        .ok_or("the file is shorter than an IDX header (4 bytes)")?;
    if header[0] != 0 || header[1] != 0 {
        return Err(format!(
            "bad magic number {:02x}{:02x}{:02x}{:02x}: not an IDX file",
            header[0], header[1], header[2], header[3]
        ));
    }
    if header[2] != UNSIGNED_BYTE {
        return Err(format!(
            "value type 0x{:02x} is not supported (only 0x08, unsigned bytes)",
            header[2]
        ));
    }
    let rank = header[3] as usize;
    let dims_end = 4 + 4 * rank;
    let dim_bytes = bytes.get(4..dims_end).ok_or(format!(
        "the header announces {rank} dimensions but the file ends inside them"
    ))?;
    let dims: Vec<usize> = dim_bytes
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let expected: usize = dims.iter().product();
    let found = bytes.len() - dims_end;
    if found != expected {
        let verdict = if found < expected {
            "truncated"
        } else {
            "too long"
        };
        return Err(format!(
            "{verdict}: dimensions {dims:?} need {expected} bytes of data, the file has {found}"
        ));
    }
    Ok(IdxArray {
        dims,
        values: bytes[dims_end..].to_vec(),
    })
}
