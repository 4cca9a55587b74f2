//! `tolka._tolka`: the Python extension module of tolka (re-exported by the `tolka` package).
//!
//! - [`analyzer`]: `Analyzer` (GIL released for every call, shareable between threads),
//!   `train`, `evaluate`;
//! - [`conversation`]: `Conversation`, one chat's state (slots, escalation, JSON, pickling);
//! - [`results`]: the typed results `Analysis`, `Intent`, `Entity`, `Sentiment`;
//! - [`errors`]: `TolkaError` and its subclasses, the mapping of `tolka::Error`, and the panic
//!   guard;
//! - [`convert`]: serde ↔ Python values, argument extraction.

mod analyzer;
mod conversation;
mod convert;
mod errors;
mod results;

use pyo3::prelude::*;

/// Panics inside the panic guard, to test that a Rust panic becomes a `TolkaError` (private).
#[pyfunction]
fn _panic_for_tests(py: Python<'_>, message: String) -> PyResult<()> {
    py.detach(|| errors::guard(|| -> Result<(), errors::Failure> { panic!("{message}") }))
        .map_err(|f| errors::to_pyerr(py, f, errors::Stage::Run))
}

/// `$TOLKA_MODEL` when set, else the built-in default model (`DEFAULT_MODEL`).
#[pyfunction]
fn default_model_dir() -> String {
    analyzer::default_model_dir().to_string_lossy().into_owned()
}

#[pymodule]
fn _tolka(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<analyzer::PyAnalyzer>()?;
    m.add_class::<conversation::PyConversation>()?;
    m.add_class::<results::PyAnalysis>()?;
    m.add_class::<results::PyIntent>()?;
    m.add_class::<results::PyEntity>()?;
    m.add_class::<results::PySentiment>()?;
    m.add_function(wrap_pyfunction!(analyzer::train, m)?)?;
    m.add_function(wrap_pyfunction!(analyzer::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(default_model_dir, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    let exc = errors::exceptions(py)?;
    m.add("TolkaError", exc.base.bind(py))?;
    m.add("ModelLoadError", exc.model_load.bind(py))?;
    m.add("InvalidInputError", exc.invalid_input.bind(py))?;
    m.add("DeviceError", exc.device.bind(py))?;
    m.add(
        "DEFAULT_MODEL",
        analyzer::built_in_model_dir()
            .to_string_lossy()
            .into_owned(),
    )?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("CUDA", cfg!(feature = "cuda"))?;
    Ok(())
}
