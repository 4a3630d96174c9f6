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
//!
//! The bytes are untrusted: every size computed from the header uses checked arithmetic, and
//! memory stays bounded by the size the header promises. A plain file's length is compared with
//! the header before any value is read; a gzip stream is decompressed only until the promised
//! bytes (and one more, to tell "too long") have come out, so a small file that inflates to
//! gigabytes is refused after reading what its header announced.

use crate::error::{io_error, Error, Result};
use flate2::read::GzDecoder;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

/// An IDX file's dimensions and its unsigned-byte values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub values: Vec<u8>,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const UNSIGNED_BYTE: u8 = 0x08;
/// The first buffer for values of unknown length (gzip); it doubles as data arrives.
const FIRST_READ: usize = 64 * 1024;

/// Reads an IDX file, plain or gzipped, checking its header against its length.
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let mut file = File::open(path).map_err(io_error(path))?;
    let metadata = file.metadata().map_err(io_error(path))?;
    // A regular file's length is known before reading (not a pipe's).
    let file_len = metadata
        .is_file()
        .then(|| usize::try_from(metadata.len()).unwrap_or(usize::MAX));
    let mut magic = [0; 2];
    let magic_len = read_up_to(&mut file, &mut magic).map_err(io_error(path))?;
    let start = &magic[..magic_len];
    let reader = start.chain(BufReader::new(file));
    if start == GZIP_MAGIC {
        let mut decoder = GzDecoder::new(reader);
        read_stream(&mut decoder, None).map_err(|failure| match failure {
            Failure::Read(e) => corrupt(path, format!("gzip data is damaged or truncated ({e})")),
            Failure::Invalid(problem) => corrupt(path, problem),
        })
    } else {
        let mut reader = reader;
        read_stream(&mut reader, file_len).map_err(|failure| match failure {
            Failure::Read(e) => io_error(path)(e),
            Failure::Invalid(problem) => corrupt(path, problem),
        })
    }
}

fn corrupt(path: &Path, problem: String) -> Error {
    Error::CorruptDataset {
        path: path.to_path_buf(),
        problem,
    }
}

/// Parses IDX bytes; the error says what is wrong with them.
pub fn parse_idx(bytes: &[u8]) -> std::result::Result<IdxArray, String> {
    let mut reader = bytes;
    read_stream(&mut reader, Some(bytes.len())).map_err(|failure| match failure {
        Failure::Invalid(problem) => problem,
        // Reading from memory cannot fail.
        Failure::Read(e) => e.to_string(),
    })
}

enum Failure {
    /// The source could not be read (for gzip: the stream is damaged).
    Read(io::Error),
    /// The bytes are not a valid IDX file.
    Invalid(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Read(e)
    }
}

impl From<String> for Failure {
    fn from(problem: String) -> Self {
        Failure::Invalid(problem)
    }
}

/// Reads an IDX file from `reader`. `total_len` is the whole file's length when it is known
/// beforehand (plain files, bytes in memory): then a header that does not fit it is refused before
/// any value is read. Without it (gzip), values are read until the header's count plus one.
fn read_stream(
    reader: &mut impl Read,
    total_len: Option<usize>,
) -> std::result::Result<IdxArray, Failure> {
    let mut header = [0; 4];
    if read_up_to(reader, &mut header)? < header.len() {
        return Err(format!(
            "the file is shorter than an IDX header ({} bytes)",
            header.len()
        )
        .into());
    }
    if header[0] != 0 || header[1] != 0 {
        return Err(format!(
            "bad magic number {:02x}{:02x}{:02x}{:02x}: not an IDX file",
            header[0], header[1], header[2], header[3]
        )
        .into());
    }
    if header[2] != UNSIGNED_BYTE {
        return Err(format!(
            "value type 0x{:02x} is not supported (only 0x08, unsigned bytes)",
            header[2]
        )
        .into());
    }
    let rank = header[3] as usize;
    let mut dim_bytes = vec![0; 4 * rank];
    if read_up_to(reader, &mut dim_bytes)? < dim_bytes.len() {
        return Err(format!(
            "the header announces {rank} dimensions but the file ends inside them"
        )
        .into());
    }
    let dims: Vec<usize> = dim_bytes
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| {
            format!("dimensions {dims:?} multiply to more bytes than this machine can address")
        })?;
    let length_error = |verdict: &str, found: String| {
        Failure::Invalid(format!(
            "{verdict}: dimensions {dims:?} need {expected} bytes of data, {found}"
        ))
    };
    let values = match total_len {
        Some(total_len) => {
            // The length is known: compare before reading (or allocating) anything.
            let header_len = header.len() + dim_bytes.len();
            let found = total_len.saturating_sub(header_len);
            if found != expected {
                let verdict = if found < expected {
                    "truncated"
                } else {
                    "too long"
                };
                return Err(length_error(verdict, format!("the file has {found}")));
            }
            let (values, more) = read_values(reader, expected, expected)?;
            if more || values.len() < expected {
                let verdict = if more { "too long" } else { "truncated" };
                return Err(length_error(
                    verdict,
                    "the file changed while it was read".into(),
                ));
            }
            values
        }
        None => {
            // A stream (gzip): read what the header promised, and one byte more at most.
            let (values, more) = read_values(reader, expected, 0)?;
            if more {
                return Err(length_error(
                    "too long",
                    "the decompressed data has more".into(),
                ));
            }
            if values.len() < expected {
                let found = format!("the decompressed data has {}", values.len());
                return Err(length_error("truncated", found));
            }
            values
        }
    };
    Ok(IdxArray { dims, values })
}

/// Reads up to `expected` bytes, then says whether more follow. `known` bytes are allocated at
/// once (the source's length says they are there); beyond that the buffer grows by doubling as
/// data actually arrives, never past `expected`.
fn read_values(
    reader: &mut impl Read,
    expected: usize,
    known: usize,
) -> io::Result<(Vec<u8>, bool)> {
    let mut values = Vec::new();
    let mut target = known.min(expected);
    loop {
        values.reserve_exact(target - values.len());
        let wanted = target - values.len();
        let got = reader
            .by_ref()
            .take(wanted as u64)
            .read_to_end(&mut values)?;
        if got < wanted || values.len() == expected {
            break;
        }
        target = values.len().saturating_mul(2).max(FIRST_READ).min(expected);
    }
    let more = values.len() == expected && read_up_to(reader, &mut [0])? > 0;
    Ok((values, more))
}

/// Fills as much of `buffer` as the reader holds; returns how many bytes that was.
fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
