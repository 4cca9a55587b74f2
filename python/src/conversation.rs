//! `tolka.Conversation`: the state of one chat, analysing its turns with an `Analyzer`.

use chrono::{DateTime, FixedOffset};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use tolka::conversation::{Conversation, EscalationConfig, Speaker, TurnInput};

use crate::analyzer::PyAnalyzer;
use crate::convert::{extract_text, from_py, to_py};
use crate::errors::{Stage, guard, invalid_input, to_pyerr};

/// One chat: slots remembered across turns, an escalation signal on customer turns, dates
/// relative to each message's time, and (``redact=True``) no personal data kept.
///
/// Not thread-safe: one conversation belongs to one chat; share the ``Analyzer`` instead.
/// Picklable; ``to_json()`` / ``from_json()`` keep it in a session store.
#[pyclass(name = "Conversation", module = "tolka")]
pub struct PyConversation(Conversation);

#[pymethods]
impl PyConversation {
    /// ``escalation``: thresholds as a dict of ``EscalationConfig`` fields (missing fields
    /// keep their defaults).
    #[new]
    #[pyo3(signature = (*, redact=false, escalation=None))]
    fn new(redact: bool, escalation: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let config: EscalationConfig = match escalation {
            Some(e) if !e.is_none() => from_py(e, "escalation config")?,
            _ => EscalationConfig::default(),
        };
        Ok(Self(
            Conversation::new().redacting(redact).with_config(config),
        ))
    }

    /// Analyses the next message. ``speaker``: ``"customer"`` or ``"agent"``; ``time``: when
    /// it was written (a timezone-aware ``datetime`` or an RFC 3339 string; default now).
    /// Returns the analysis dict with ``turn``, and for customer turns ``escalation`` and
    /// ``slots``. The GIL is released while the model runs.
    #[pyo3(signature = (analyzer, text, *, speaker="customer", time=None))]
    fn turn<'py>(
        &mut self,
        py: Python<'py>,
        analyzer: &Bound<'py, PyAnalyzer>,
        text: &Bound<'py, PyAny>,
        speaker: &str,
        time: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let text = extract_text(text, "text")?;
        let speaker = match speaker {
            "customer" => Speaker::Customer,
            "agent" => Speaker::Agent,
            other => {
                return Err(invalid_input(
                    py,
                    format!("speaker must be \"customer\" or \"agent\" (got {other:?})"),
                ));
            }
        };
        let time = time
            .filter(|t| !t.is_none())
            .map(extract_time)
            .transpose()?;
        let analyzer = analyzer.get();
        let conversation = &mut self.0;
        let turn = py
            .detach(|| {
                guard(|| {
                    let input = TurnInput {
                        text: &text,
                        speaker,
                        time,
                    };
                    Ok(conversation.turn(analyzer.inner(), input)?)
                })
            })
            .map_err(|f| to_pyerr(py, f, Stage::Run))?;
        to_py(py, &turn)
    }

    /// The latest value of each entity type the customer mentioned, by label.
    #[getter]
    fn slots<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.0.slots())
    }

    /// The state as a JSON string (versioned).
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    /// A conversation from ``to_json()``'s string; ``InvalidInputError`` for another
    /// version or JSON that is not a conversation.
    #[staticmethod]
    fn from_json(py: Python<'_>, json: &str) -> PyResult<Self> {
        Conversation::from_json(json)
            .map(Self)
            .map_err(|e| to_pyerr(py, e.into(), Stage::Data))
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let from_json = py.get_type::<PyConversation>().getattr("from_json")?;
        let args = PyTuple::new(py, [PyString::new(py, &self.0.to_json())])?;
        PyTuple::new(py, [from_json, args.into_any()])
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyConversation>()
            .map(|o| o.borrow().0 == self.0)
            .unwrap_or(false)
    }
}

/// A timezone-aware `datetime` (through `isoformat()`) or an RFC 3339 string.
fn extract_time(obj: &Bound<'_, PyAny>) -> PyResult<DateTime<FixedOffset>> {
    let text: String = if obj.is_instance_of::<PyString>() {
        obj.extract()?
    } else if obj.hasattr("isoformat")? {
        obj.call_method0("isoformat")?.extract()?
    } else {
        return Err(PyTypeError::new_err(
            "argument 'time': expected a datetime or an RFC 3339 str",
        ));
    };
    DateTime::parse_from_rfc3339(&text).map_err(|e| {
        pyo3::exceptions::PyValueError::new_err(format!(
            "argument 'time': {text:?} is not a time with a UTC offset: {e}"
        ))
    })
}
