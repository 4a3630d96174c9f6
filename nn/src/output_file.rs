//! Writing an output file (a checkpoint, a metrics CSV) without ever destroying what should not
//! be destroyed.
//!
//! The bytes go to a temporary file in the target's folder, are flushed to disk, and only then
//! renamed over the target: a crash or Ctrl-C at any moment leaves either the old file or the
//! new one, never a half-written one. A rename replaces whatever has the target's name, so the
//! target is looked at first. It may be replaced only if it
//! - does not exist yet (its folder must exist and be writable), or
//! - is a regular file that is writable (a read-only file is somebody's way of saying "keep").
//!
//! Anything else is refused: a directory, a device (`/dev/full`), a FIFO, a socket. A symbolic
//! link is written *through*: the file it points to is replaced (so `latest.safetensors ->
//! run7.safetensors` keeps pointing at the new run7), under the same rules; a link to nothing is
//! refused. [`check`] applies these rules without writing, so that a program can check its
//! output paths before any work starts.
//!
//! A save killed between creating the temporary file and the rename leaves that file behind:
//! `.NAME.PID.partial` next to the target. The next save of the same target removes those whose
//! process is gone.

use crate::error::{Error, Result};
use std::fs::{self, File, Metadata};
use std::io::Write;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// Checks that `path` may be written by [`write_atomically`]; returns the file that would
/// actually be replaced (the target of a symbolic link, else `path`).
pub fn check(path: &Path) -> Result<PathBuf> {
    let refuse = |why: String| Error::OutputRefused {
        path: path.to_path_buf(),
        why,
    };
    let target = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(path).map_err(|e| {
            refuse(format!(
                "a symbolic link to nothing that can be written ({e}); give the real file's path"
            ))
        })?,
        Ok(_) => path.to_path_buf(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(refuse(format!("cannot be examined: {e}"))),
    };
    match fs::metadata(&target) {
        Ok(meta) => check_replaceable(&meta).map_err(refuse)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(refuse(format!("cannot be examined: {e}"))),
    }
    check_folder_writable(&target).map_err(refuse)?;
    Ok(target)
}

/// An existing target may be replaced only if it is a regular, writable file.
fn check_replaceable(meta: &Metadata) -> std::result::Result<(), String> {
    let kind = meta.file_type();
    let refused = if kind.is_dir() {
        "is a directory; give a file name inside it"
    } else if kind.is_block_device() || kind.is_char_device() {
        "is a device, not a file; give the path of a regular file"
    } else if kind.is_fifo() {
        "is a named pipe (FIFO), not a file; give the path of a regular file"
    } else if kind.is_socket() {
        "is a socket, not a file; give the path of a regular file"
    } else if !kind.is_file() {
        "is not a regular file"
    } else if meta.permissions().readonly() {
        "is read-only, so it will not be replaced; make it writable (chmod u+w) or choose another path"
    } else {
        return Ok(());
    };
    Err(refused.to_string())
}

/// The target's folder exists and a file can be created in it (tried for real: permissions,
/// read-only file systems and full quotas all show up here).
fn check_folder_writable(target: &Path) -> std::result::Result<(), String> {
    let folder = folder_of(target);
    match fs::metadata(folder) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(format!("{} is not a folder", folder.display())),
        Err(e) => {
            return Err(format!(
                "its folder {} cannot be used ({e}); create it first",
                folder.display()
            ))
        }
    }
    let probe = temporary_sibling(target);
    File::create(&probe)
        .map(|_| {
            let _ = fs::remove_file(&probe);
        })
        .map_err(|e| format!("no file can be created in {} ({e})", folder.display()))
}

/// Writes `bytes` to `path` atomically (see the module's documentation for what may be
/// replaced).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = check(path)?;
    remove_stale_partials(&target);
    let temporary = temporary_sibling(&target);
    let result = (|| {
        let mut file = File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, &target)?;
        // The rename itself is only durable once the folder is flushed too.
        File::open(folder_of(&target))?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned())
}

/// `.NAME.PID.partial` beside `path`: hidden, and named after the process writing it.
fn temporary_sibling(path: &Path) -> PathBuf {
    path.with_file_name(format!(
        ".{}.{}.partial",
        file_name(path),
        std::process::id()
    ))
}

/// Removes `.NAME.PID.partial` files of this target left by processes that no longer run
/// (killed mid-save). Files of a running process — another save in progress — stay.
fn remove_stale_partials(target: &Path) {
    let prefix = format!(".{}.", file_name(target));
    let Ok(entries) = fs::read_dir(folder_of(target)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".partial"))
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}
