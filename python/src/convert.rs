//! Conversions between serde values and Python objects, and argument extraction with messages
//! that name the argument.

use std::path::PathBuf;

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyList, PyString};

use crate::errors::invalid_input;
use serde::Serialize;
use serde_json::Value;

/// A serde value as plain Python objects (dict, list, str, int, float, bool, None): what
/// `json.loads` would give for the same JSON.
pub fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(value_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, value_to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// Any serialisable value as plain Python objects. Numbers go through `serde_json::Value`
/// exactly as the CLI's output does (an `f32` widened to `f64`), so they compare equal.
pub fn to_py<'py>(py: Python<'py>, value: &impl Serialize) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    value_to_py(py, &value)
}

/// A plain Python object (as `to_dict` returns) as a serde value, through `json.dumps`.
pub fn from_py<T: serde::de::DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    let py = obj.py();
    let json: String = py
        .import("json")?
        .call_method1("dumps", (obj,))?
        .extract()?;
    serde_json::from_str(&json)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("not a valid {what}: {e}")))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Extracts a `str` argument; the TypeError names the argument on every Python version (pyo3
/// only adds a PEP 678 note, which Python < 3.11 drops).
pub fn extract_text(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<String> {
    let text = obj.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "argument '{arg}': expected str, got {}",
            type_name(obj)
        ))
    })?;
    Ok(text
        .to_cow()
        .map_err(|e| invalid_input(obj.py(), format!("argument '{arg}': {e}")))?
        .into_owned())
}

/// Extracts an optional path argument (str or os.PathLike), naming the argument on error.
pub fn extract_path(obj: Option<&Bound<'_, PyAny>>, arg: &str) -> PyResult<Option<PathBuf>> {
    match obj {
        None => Ok(None),
        Some(obj) if obj.is_none() => Ok(None),
        Some(obj) => obj.extract::<PathBuf>().map(Some).map_err(|_| {
            PyTypeError::new_err(format!(
                "argument '{arg}': expected a path (str or os.PathLike), got {}",
                type_name(obj)
            ))
        }),
    }
}

/// Extracts a sequence or iterable of `str` (a list, tuple, NumPy array, pandas Series...).
/// A bare `str` is refused: iterating it would analyse single characters.
pub fn extract_texts(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<Vec<String>> {
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(format!(
            "argument '{arg}': expected a list of str, got a single {} (wrap it in a list)",
            type_name(obj)
        )));
    }
    let iter = obj.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "argument '{arg}': expected a list of str, got {}",
            type_name(obj)
        ))
    })?;
    let mut texts = Vec::with_capacity(obj.len().unwrap_or(0));
    for (i, item) in iter.enumerate() {
        let item = item?;
        let text = item.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "argument '{arg}': item {i} is {}, expected str",
                type_name(&item)
            ))
        })?;
        let text = text
            .to_cow()
            .map_err(|e| invalid_input(obj.py(), format!("argument '{arg}': item {i}: {e}")))?;
        texts.push(text.into_owned());
    }
    Ok(texts)
}

/// Extracts one path (str or os.PathLike) or a list of them.
pub fn extract_paths(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<Vec<PathBuf>> {
    if obj.is_none() {
        return Ok(Vec::new());
    }
    if let Ok(path) = obj.extract::<PathBuf>() {
        return Ok(vec![path]);
    }
    let bad = |obj: &Bound<'_, PyAny>| {
        PyTypeError::new_err(format!(
            "argument '{arg}': expected a path (str or os.PathLike) or a list of paths, got {}",
            type_name(obj)
        ))
    };
    let iter = obj.try_iter().map_err(|_| bad(obj))?;
    let mut paths = Vec::new();
    for item in iter {
        let item = item?;
        paths.push(item.extract::<PathBuf>().map_err(|_| bad(&item))?);
    }
    Ok(paths)
}

/// An integer option (`batch_size`, `threads`, `epochs`…) as Python passed it: any int
/// (what `operator.index` takes) except a `bool`. [`Count::get`] checks the range and names
/// the argument, so that `2**70` is an `InvalidInputError`, not an `OverflowError`.
pub struct Count(Passed);

enum Passed {
    Int(i64),
    Bool,
    /// Beyond `i64`: its `repr`.
    Huge(String),
}

impl Count {
    /// A default value.
    pub const fn new(value: i64) -> Self {
        Count(Passed::Int(value))
    }

    /// The value as a `usize`, or the error naming argument `arg`.
    pub fn get(self, py: Python<'_>, arg: &str) -> PyResult<usize> {
        match self.0 {
            Passed::Int(value) => usize::try_from(value).map_err(|_| {
                invalid_input(py, format!("{arg} must not be negative (got {value})"))
            }),
            Passed::Bool => Err(PyTypeError::new_err(format!(
                "argument '{arg}': expected int, got bool"
            ))),
            Passed::Huge(repr) => Err(invalid_input(
                py,
                format!("{arg} is out of range (got {repr})"),
            )),
        }
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Count {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_instance_of::<PyBool>() {
            return Ok(Count(Passed::Bool));
        }
        match obj.extract::<i64>() {
            Ok(value) => Ok(Count(Passed::Int(value))),
            Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => {
                Ok(Count(Passed::Huge(obj.repr()?.to_string())))
            }
            Err(e) => Err(e),
        }
    }
}
