//! Errors of fallible tensor operations. Programming mistakes (wrong shapes) panic instead.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The requested device cannot be used; the message says why and what to do.
    DeviceUnavailable(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::DeviceUnavailable(why) => write!(f, "device unavailable: {why}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
