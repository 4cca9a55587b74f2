//! The Python exception hierarchy and the mapping of every `tolka::Error` variant onto it.
//!
//! ```text
//! TolkaError(Exception)
//! ├── ModelLoadError                     missing or corrupt model files, manifest, encoder, heads
//! ├── InvalidInputError(…, ValueError)   bad option values, malformed data files
//! └── DeviceError                        CUDA asked of a CPU-only build, no GPU
//! ```
//!
//! Every exception carries `path` (the file concerned, or `None`) and `line` (for data files).
//! A Rust panic never unwinds into Python: [`guard`] catches it and it is raised as a plain
//! `TolkaError` naming the panic message.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// The exception classes, created once per interpreter.
pub struct Exceptions {
    pub base: Py<PyType>,
    pub model_load: Py<PyType>,
    pub invalid_input: Py<PyType>,
    pub device: Py<PyType>,
}

static EXCEPTIONS: PyOnceLock<Exceptions> = PyOnceLock::new();

/// Creates `name(*bases)` in module `tolka` with a docstring, through `type(...)` (which, unlike
/// `create_exception!`, allows several bases).
fn new_class<'py>(
    py: Python<'py>,
    name: &str,
    bases: &[Bound<'py, PyType>],
    doc: &str,
) -> PyResult<Py<PyType>> {
    let namespace = PyDict::new(py);
    namespace.set_item("__module__", "tolka")?;
    namespace.set_item("__doc__", doc)?;
    let bases = PyTuple::new(py, bases)?;
    Ok(py
        .get_type::<PyType>()
        .call1((name, bases, namespace))?
        .cast_into::<PyType>()?
        .unbind())
}

pub fn exceptions(py: Python<'_>) -> PyResult<&Exceptions> {
    EXCEPTIONS.get_or_try_init(py, || {
        let base = new_class(
            py,
            "TolkaError",
            &[py.get_type::<PyException>()],
            "Base class of every error raised by tolka.\n\n\
             Attributes: `path` (str or None), the file concerned; `line` (int or None), the\n\
             line of a data file.",
        )?;
        let model_load = new_class(
            py,
            "ModelLoadError",
            &[base.bind(py).clone()],
            "A model package or base encoder could not be loaded: a missing or corrupt file,\n\
             a manifest of another format version, heads trained on another encoder, head\n\
             shapes that do not match the labels.",
        )?;
        let invalid_input = new_class(
            py,
            "InvalidInputError",
            &[base.bind(py).clone(), py.get_type::<PyValueError>()],
            "An argument has a value that cannot work (batch_size=0, an unknown device name…)\n\
             or a data file is malformed. Also a ValueError.",
        )?;
        let device = new_class(
            py,
            "DeviceError",
            &[base.bind(py).clone()],
            "The requested device is unavailable: CUDA asked of a build without CUDA support,\n\
             or no such GPU.",
        )?;
        Ok(Exceptions {
            base,
            model_load,
            invalid_input,
            device,
        })
    })
}

/// What the failing call was doing; it decides the class of the ambiguous variants (an I/O or
/// tokenizer error is a model-load error while loading, bad input while reading data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Load,
    Data,
    Run,
}

/// Why a guarded call failed.
pub enum Failure {
    Tolka(Box<tolka::Error>),
    Panic(String),
}

impl From<tolka::Error> for Failure {
    fn from(e: tolka::Error) -> Self {
        Failure::Tolka(Box::new(e))
    }
}

/// Runs `f`, turning a panic into [`Failure::Panic`] so that it never unwinds into Python.
pub fn guard<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_owned());
            Err(Failure::Panic(message))
        }
    }
}

/// The Python exception for a failure.
pub fn to_pyerr(py: Python<'_>, failure: Failure, stage: Stage) -> PyErr {
    let exc = match exceptions(py) {
        Ok(exc) => exc,
        Err(e) => return e,
    };
    let (class, path, line, message) = match failure {
        Failure::Panic(message) => (
            &exc.base,
            None,
            None,
            format!("internal error (a bug in tolka; please report it): {message}"),
        ),
        Failure::Tolka(error) => {
            use tolka::Error as E;
            let message = error.to_string();
            let by_stage = match stage {
                Stage::Load => &exc.model_load,
                Stage::Data => &exc.invalid_input,
                Stage::Run => &exc.base,
            };
            // Exhaustive on purpose: a new variant must be mapped here before this compiles.
            let (class, path, line): (&Py<PyType>, Option<&Path>, Option<usize>) = match &*error {
                E::Io { path, .. } => (by_stage, Some(path), None),
                E::MissingFile { path, .. }
                | E::Json { path, .. }
                | E::FormatVersion { path, .. }
                | E::EncoderMismatch { path, .. }
                | E::HeadShape { path, .. }
                | E::HeadValues { path, .. }
                | E::Manifest { path, .. }
                | E::Adapters { path, .. }
                | E::Vocabulary { path, .. }
                | E::Tensors { path, .. } => (&exc.model_load, Some(path), None),
                E::Tokenizer(_) => (
                    if stage == Stage::Load {
                        &exc.model_load
                    } else {
                        &exc.invalid_input
                    },
                    None,
                    None,
                ),
                E::Data { path, line, .. } => (&exc.invalid_input, Some(path), Some(*line)),
                E::Config(_) | E::State(_) | E::StateVersion { .. } | E::TextTooLong { .. } => {
                    (&exc.invalid_input, None, None)
                }
                E::Cuda(_) => (&exc.device, None, None),
                E::Cancelled => (&exc.base, None, None),
                E::Candle(_) => (by_stage_or_base(stage, exc), None, None),
            };
            (class, path.map(Path::to_path_buf), line, message)
        }
    };
    let err = PyErr::from_type(class.bind(py).clone(), message);
    let value = err.value(py);
    let path = path.map(|p| p.to_string_lossy().into_owned());
    if value.setattr("path", path).is_err() || value.setattr("line", line).is_err() {
        // Attributes are a convenience; the exception itself is what matters.
    }
    err
}

/// Tensor errors: a model-load error while loading, else a plain `TolkaError`.
fn by_stage_or_base(stage: Stage, exc: &Exceptions) -> &Py<PyType> {
    if stage == Stage::Load {
        &exc.model_load
    } else {
        &exc.base
    }
}

/// An `InvalidInputError` with a message.
pub fn invalid_input(py: Python<'_>, message: impl Into<String>) -> PyErr {
    to_pyerr(
        py,
        Failure::Tolka(Box::new(tolka::Error::Config(message.into()))),
        Stage::Run,
    )
}
