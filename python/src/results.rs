//! The typed result objects: `Analysis`, `Intent`, `Entity`, `Sentiment`.
//!
//! Each wraps the Rust serde struct. Attributes are read-only; `to_dict()` gives the same
//! JSON-serialisable dict as the CLI's `"analysis"` object (numbers included: an `f32` widened
//! to a Python float); `from_dict()` is its inverse and makes the objects picklable.

use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use tolka::{Analysis, Entity, Intent, Sentiment};

use crate::convert::{from_py, to_py};

fn py_repr(py: Python<'_>, s: &str) -> String {
    PyString::new(py, s)
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| format!("{s:?}"))
}

/// `to_dict`, `to_json`, `from_dict`, pickling and equality for a result class.
macro_rules! serde_methods {
    ($py_type:ident, $rust_type:ty, $what:literal, { $($methods:tt)* }) => {
        #[pymethods]
        impl $py_type {
            $($methods)*

            /// The result as a dict of plain Python values (JSON-serialisable).
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                to_py(py, &self.0)
            }

            /// The result as one line of JSON, as the CLI writes it.
            fn to_json(&self) -> PyResult<String> {
                serde_json::to_value(&self.0)
                    .and_then(|v| serde_json::to_string(&v))
                    .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
            }

            /// Rebuilds the object from `to_dict()`'s output.
            #[staticmethod]
            fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
                Ok(Self(from_py::<$rust_type>(data, $what)?))
            }

            fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                let from_dict = py.get_type::<$py_type>().getattr("from_dict")?;
                let args = PyTuple::new(py, [to_py(py, &self.0)?])?;
                PyTuple::new(py, [from_dict, args.into_any()])
            }

            fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
                other
                    .cast::<$py_type>()
                    .map(|o| o.get().0 == self.0)
                    .unwrap_or(false)
            }
        }
    };
}

/// The analysis of one text. A task the model has no head for is `None`.
#[pyclass(frozen, name = "Analysis", module = "tolka")]
pub struct PyAnalysis(pub Analysis);

serde_methods!(PyAnalysis, Analysis, "Analysis", {
    /// What the customer wants (`None` when the model has no intent head).
    #[getter]
    fn intent(&self) -> Option<PyIntent> {
        self.0.intent.clone().map(PyIntent)
    }

    /// Entity spans, in text order (`None` when the model has no entity head).
    #[getter]
    fn entities(&self) -> Option<Vec<PyEntity>> {
        self.0
            .entities
            .as_ref()
            .map(|es| es.iter().cloned().map(PyEntity).collect())
    }

    /// How the customer feels (`None` when the model has no sentiment head).
    #[getter]
    fn sentiment(&self) -> Option<PySentiment> {
        self.0.sentiment.clone().map(PySentiment)
    }

    /// Emotions over their thresholds as `[{"label": "anger", "score": 0.71}, …]`, most
    /// probable first (`None` when the model has no emotion head).
    #[getter]
    fn emotions<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.0.emotions.as_ref().map(|e| to_py(py, e)).transpose()
    }

    /// The text's language as `{"code": "sv", "confidence": 0.98}` (`None` for a text
    /// without letters, or with language identification off).
    #[getter]
    fn lang<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.0.lang.as_ref().map(|l| to_py(py, l)).transpose()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let intent = self
            .0
            .intent
            .as_ref()
            .map_or("None".into(), |i| intent_repr(py, i));
        let entities = self.0.entities.as_ref().map_or("None".into(), |es| {
            let items: Vec<String> = es.iter().map(|e| entity_repr(py, e)).collect();
            format!("[{}]", items.join(", "))
        });
        let sentiment = self
            .0
            .sentiment
            .as_ref()
            .map_or("None".into(), sentiment_repr);
        format!("Analysis(intent={intent}, entities={entities}, sentiment={sentiment})")
    }
});

/// The predicted intent of one text.
#[pyclass(frozen, name = "Intent", module = "tolka")]
pub struct PyIntent(pub Intent);

serde_methods!(PyIntent, Intent, "Intent", {
    /// The intent label, or the model's out-of-scope label (`oos`) when `out_of_scope`.
    #[getter]
    fn label(&self) -> &str {
        &self.0.label
    }

    /// Probability of the best-ranked label.
    #[getter]
    fn confidence(&self) -> f32 {
        self.0.confidence
    }

    /// True when nothing fits: the best label is out of scope or below the model's threshold.
    #[getter]
    fn out_of_scope(&self) -> bool {
        self.0.out_of_scope
    }

    /// The best-ranked `(label, probability)` pairs, most probable first.
    #[getter]
    fn top(&self) -> Vec<(String, f32)> {
        self.0.top.clone()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        intent_repr(py, &self.0)
    }
});

fn intent_repr(py: Python<'_>, i: &Intent) -> String {
    format!(
        "Intent(label={}, confidence={:.4}, out_of_scope={})",
        py_repr(py, &i.label),
        i.confidence,
        if i.out_of_scope { "True" } else { "False" }
    )
}

/// One entity span: `text == analysed_text[start:end]` (Python string indices).
#[pyclass(frozen, name = "Entity", module = "tolka")]
pub struct PyEntity(pub Entity);

serde_methods!(PyEntity, Entity, "Entity", {
    /// The entity type, e.g. `order_id`.
    #[getter]
    fn label(&self) -> &str {
        &self.0.label
    }

    /// The span's text.
    #[getter]
    fn text(&self) -> &str {
        &self.0.text
    }

    /// Start index in the analysed `str` (characters, inclusive).
    #[getter]
    fn start(&self) -> usize {
        self.0.start
    }

    /// End index in the analysed `str` (characters, exclusive).
    #[getter]
    fn end(&self) -> usize {
        self.0.end
    }

    /// Mean probability of the decoded tags over the entity's words.
    #[getter]
    fn confidence(&self) -> f32 {
        self.0.confidence
    }

    /// Where the entity came from: `"model"`.
    #[getter]
    fn source(&self) -> String {
        serde_json::to_value(self.0.source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        entity_repr(py, &self.0)
    }
});

fn entity_repr(py: Python<'_>, e: &Entity) -> String {
    format!(
        "Entity(label={}, text={}, start={}, end={}, confidence={:.4})",
        py_repr(py, &e.label),
        py_repr(py, &e.text),
        e.start,
        e.end,
        e.confidence
    )
}

/// The sentiment of one text.
#[pyclass(frozen, name = "Sentiment", module = "tolka")]
pub struct PySentiment(pub Sentiment);

serde_methods!(PySentiment, Sentiment, "Sentiment", {
    /// `"negative"`, `"neutral"` or `"positive"`.
    #[getter]
    fn label(&self) -> &'static str {
        self.0.label.as_str()
    }

    /// P(positive) − P(negative), in [-1, 1].
    #[getter]
    fn score(&self) -> f32 {
        self.0.score
    }

    fn __repr__(&self) -> String {
        sentiment_repr(&self.0)
    }
});

fn sentiment_repr(s: &Sentiment) -> String {
    format!(
        "Sentiment(label='{}', score={:.4})",
        s.label.as_str(),
        s.score
    )
}
