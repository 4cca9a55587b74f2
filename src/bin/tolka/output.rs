//! Where `tag` and `redact` write: stdout, or a file replaced atomically at the end.
//!
//! A file output is written to a temporary file in the same directory and renamed over the
//! target only when the run succeeds, so a failed run leaves the old file (or none) in place,
//! never a half-written one. An output that is one of the inputs is refused before anything
//! is read or written.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The JSONL sink of a run.
pub enum Output {
    Stdout(BufWriter<std::io::StdoutLock<'static>>),
    /// A device or a pipe (`/dev/null`, a FIFO): written in place, as nothing can replace it.
    Special(BufWriter<std::fs::File>),
    File {
        /// The file that is replaced at [`Output::commit`] (symlinks resolved).
        target: PathBuf,
        temp: BufWriter<tempfile::NamedTempFile>,
    },
}

impl Output {
    /// Stdout when `path` is `None`, else a temporary file next to `path`'s target.
    ///
    /// Fails when `path` resolves to one of `inputs` (the same file through a symlink, a hard
    /// link or another spelling of its path), or when it cannot be created.
    pub fn open(path: Option<&Path>, inputs: &[PathBuf]) -> Result<Self> {
        let Some(path) = path else {
            return Ok(Output::Stdout(BufWriter::new(std::io::stdout().lock())));
        };
        for input in inputs.iter().filter(|input| input.as_os_str() != "-") {
            if same_file(path, input) {
                bail!(
                    "the output {} is the input {}: writing it would destroy the input; \
                     choose another --output",
                    path.display(),
                    input.display()
                );
            }
        }
        // Write through a symlink to its target, as `File::create` would.
        let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        let existing = std::fs::metadata(&target).ok();
        if let Some(meta) = &existing
            && !meta.is_file()
        {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .with_context(|| format!("opening {}", path.display()))?;
            return Ok(Output::Special(BufWriter::new(file)));
        }
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let name = target
            .file_name()
            .with_context(|| format!("the output {} names no file", path.display()))?;
        let prefix = format!(".{}.", name.to_string_lossy());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // The permissions a plain `File::create` would give: the old file's, else 0666
        // less the umask (tempfile's default, 0600, would hide the output from others).
        #[cfg(unix)]
        builder.permissions(existing.map_or_else(
            || <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o666),
            |m| m.permissions(),
        ));
        let temp = builder
            .tempfile_in(dir)
            .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
        Ok(Output::File {
            target,
            temp: BufWriter::new(temp),
        })
    }

    /// Makes the output complete: flushes stdout, or renames the temporary file over the
    /// target. Dropping an `Output` without committing it deletes the temporary file.
    pub fn commit(self) -> Result<()> {
        match self {
            Output::Stdout(mut out) => Ok(out.flush()?),
            Output::Special(mut out) => Ok(out.flush()?),
            Output::File { target, temp } => {
                let temp = temp
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .with_context(|| format!("writing {}", target.display()))?;
                temp.as_file()
                    .sync_all()
                    .with_context(|| format!("writing {}", target.display()))?;
                temp.persist(&target)
                    .map_err(|e| e.error)
                    .with_context(|| format!("replacing {}", target.display()))?;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Stdout(out) => out.write(buf),
            Output::Special(out) => out.write(buf),
            Output::File { temp, .. } => temp.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Stdout(out) => out.flush(),
            Output::Special(out) => out.flush(),
            Output::File { temp, .. } => temp.flush(),
        }
    }
}

/// True when `a` and `b` exist and are the same file (through symlinks and hard links).
#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// True when `a` and `b` exist and are the same file (through symlinks).
#[cfg(not(unix))]
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// True when `error` comes from writing to a closed pipe (directly or through serde_json).
pub fn is_closed_pipe(error: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().map(std::io::Error::kind) == broken
            || e.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == broken
    })
}
