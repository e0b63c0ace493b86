//! The component's own log (its stderr, inherited through WASI: one line per accepted request
//! and per email not sent) goes to a file while a bench runs, so the figures stay readable
//! and a duplicate can be traced.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::fd::AsRawFd;
use std::path::Path;

/// Where fd 2 went before the component's log took it over.
pub struct SavedStderr(i32);

/// Sends this process's stderr to `path`.
pub fn redirect_stderr(path: &Path) -> std::io::Result<SavedStderr> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = File::create(path)?;
    // SAFETY: plain descriptor calls on descriptors this process owns; `file` stays open
    // until dup2 has duplicated it.
    unsafe {
        let saved = libc::dup(2);
        if saved < 0 || libc::dup2(file.as_raw_fd(), 2) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(SavedStderr(saved))
    }
}

pub fn restore_stderr(saved: SavedStderr) {
    // SAFETY: `saved.0` is the duplicate made by `redirect_stderr`, closed once here.
    unsafe {
        libc::dup2(saved.0, 2);
        libc::close(saved.0);
    }
}

/// The log lines that mention `tracking_id`.
pub fn lines_for(path: &Path, tracking_id: &str) -> Vec<String> {
    let Ok(file) = File::open(path) else {
        return Vec::new();
    };
    BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter(|l| l.contains(tracking_id))
        .collect()
}
