//! `tolka.Analyzer`, `tolka.train` and `tolka.evaluate`.
//!
//! Every call into tolka runs with the GIL released (`py.detach`) and inside [`guard`], so
//! other Python threads run meanwhile and a panic becomes a `TolkaError`. A batch runs
//! [`interruptible`]: Ctrl-C abandons it promptly with `KeyboardInterrupt`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use numpy::{IntoPyArray, PyArray2};
use pyo3::prelude::*;
use tolka::rules::Context;
use tolka::train::TrainOptions;
use tolka::{Analyzer, Device};

use crate::convert::{Count, extract_path, extract_paths, extract_text, extract_texts, to_py};
use crate::errors::{Failure, Stage, guard, invalid_input, to_pyerr};
use crate::results::PyAnalysis;

/// The default model directory baked in at build time: `models/commerce-en` of the source tree
/// this extension was built from.
pub fn built_in_model_dir() -> PathBuf {
    source_root().join("models").join("commerce-en")
}

/// The base encoder of the source tree this extension was built from.
fn built_in_encoder_dir() -> PathBuf {
    source_root()
        .join("models")
        .join("base")
        .join("all-MiniLM-L6-v2")
}

fn source_root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.parent().unwrap_or(crate_dir).to_path_buf()
}

/// `$TOLKA_MODEL` when set, else the built-in default model.
pub fn default_model_dir() -> PathBuf {
    std::env::var_os("TOLKA_MODEL")
        .filter(|v| !v.is_empty())
        .map_or_else(built_in_model_dir, PathBuf::from)
}

/// Loading options, kept for `repr` and the properties.
#[derive(Clone)]
struct Options {
    model_dir: PathBuf,
    device: String,
    batch_size: usize,
    threads: Option<usize>,
    max_length: Option<usize>,
    precision: Option<tolka::Precision>,
}

impl Options {
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        model_dir: Option<PathBuf>,
        device: &str,
        batch_size: Count,
        threads: Option<Count>,
        max_length: Option<Count>,
        precision: Option<&str>,
    ) -> PyResult<Self> {
        let precision = precision
            .map(|p| {
                p.parse::<tolka::Precision>()
                    .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
            })
            .transpose()?;
        Ok(Self {
            precision,
            model_dir: model_dir.unwrap_or_else(default_model_dir),
            device: device.to_owned(),
            batch_size: batch_size.get(py, "batch_size")?,
            threads: threads.map(|t| t.get(py, "threads")).transpose()?,
            max_length: max_length.map(|m| m.get(py, "max_length")).transpose()?,
        })
    }

    fn load(&self, py: Python<'_>) -> PyResult<Analyzer> {
        let options = self.clone();
        py.detach(move || {
            guard(|| {
                let device: Device = options.device.parse()?;
                let mut builder = Analyzer::builder(&options.model_dir)
                    .device(device)
                    .batch_size(options.batch_size);
                if let Some(threads) = options.threads {
                    builder = builder.threads(threads);
                }
                if let Some(max_length) = options.max_length {
                    builder = builder.max_length(max_length);
                }
                if let Some(precision) = options.precision {
                    builder = builder.precision(precision);
                }
                Ok(builder.build()?)
            })
        })
        .map_err(|f| to_pyerr(py, f, Stage::Load))
    }
}

/// How often [`interruptible`] looks for signals while the work runs.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Runs `work` on a helper thread, inside [`guard`] and with the GIL released, while this
/// thread runs Python's signal handlers every [`SIGNAL_POLL`] (they run only on the main
/// thread, so elsewhere this just waits). When a handler raises (Ctrl-C's
/// `KeyboardInterrupt`), the flag given to `work` is set, `work` is awaited (it stops at its
/// next check) and the handler's exception is returned; else `work`'s result.
fn interruptible<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&AtomicBool) -> Result<T, Failure> + Send,
) -> PyResult<Result<T, Failure>> {
    let cancel = &AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (done, mut finished) = mpsc::channel::<()>();
        let worker = scope.spawn(move || {
            let result = guard(|| work(cancel));
            // The receiver lives until the worker is joined.
            let _ = done.send(());
            result
        });
        let join = |worker: std::thread::ScopedJoinHandle<'_, Result<T, Failure>>| {
            py.detach(|| worker.join())
                .unwrap_or_else(|_| Err(Failure::Panic("the analysis thread panicked".into())))
        };
        loop {
            // A message or `Disconnected` (the worker is gone): done. The receiver is not
            // `Sync`, so it goes into the detached closure and back.
            let waited;
            (finished, waited) = py.detach(move || {
                let waited = finished.recv_timeout(SIGNAL_POLL);
                (finished, waited)
            });
            if !matches!(waited, Err(mpsc::RecvTimeoutError::Timeout)) {
                return Ok(join(worker));
            }
            if let Err(interrupt) = py.check_signals() {
                cancel.store(true, Ordering::Relaxed);
                // Whatever the abandoned work returns (`Cancelled`, or its result if it had
                // just finished) gives way to the exception.
                drop(join(worker));
                return Err(interrupt);
            }
        }
    })
}

/// An on-device analyzer: intent, entities and sentiment from one encoder pass per batch.
///
/// Thread-safe: share one instance between Python threads; every call releases the GIL.
#[pyclass(frozen, name = "Analyzer", module = "tolka")]
pub struct PyAnalyzer {
    inner: Analyzer,
    options: Options,
}

impl PyAnalyzer {
    /// The Rust analyzer.
    pub fn inner(&self) -> &Analyzer {
        &self.inner
    }
}

#[pymethods]
impl PyAnalyzer {
    #[new]
    #[pyo3(signature = (model_dir=None, *, device="cpu", batch_size=Count::new(32), threads=None, max_length=None, precision=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        model_dir: Option<&Bound<'_, PyAny>>,
        device: &str,
        batch_size: Count,
        threads: Option<Count>,
        max_length: Option<Count>,
        precision: Option<&str>,
    ) -> PyResult<Self> {
        let model_dir = extract_path(model_dir, "model_dir")?;
        let options = Options::new(
            py, model_dir, device, batch_size, threads, max_length, precision,
        )?;
        let inner = options.load(py)?;
        Ok(Self { inner, options })
    }

    /// Analyses one text. With `redact=True` no entity's text or value keeps a card,
    /// personal identity number, IBAN, e-mail or phone (the analysis reads the original
    /// text; `redact()` gives the redacted text).
    #[pyo3(signature = (text, *, redact=false))]
    fn analyze(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyAny>,
        redact: bool,
    ) -> PyResult<PyAnalysis> {
        let text = extract_text(text, "text")?;
        let analysis = py
            .detach(|| {
                guard(|| {
                    let mut analysis = self.inner.analyze(&text)?;
                    if redact {
                        self.inner.redact_analysis(&text, &mut analysis);
                    }
                    Ok(analysis)
                })
            })
            .map_err(|f| to_pyerr(py, f, Stage::Run))?;
        Ok(PyAnalysis(analysis))
    }

    /// Analyses texts in batches; results are in input order. The GIL is released for the
    /// whole batch, and Ctrl-C (any signal handler that raises) abandons it within one
    /// encoder batch. `redact` as for `analyze`.
    #[pyo3(signature = (texts, *, redact=false))]
    fn analyze_batch(
        &self,
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
        redact: bool,
    ) -> PyResult<Vec<PyAnalysis>> {
        let texts = extract_texts(texts, "texts")?;
        let context = Context::new(chrono::Local::now().fixed_offset());
        let analyses = interruptible(py, |cancel| {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let mut analyses = self
                .inner
                .analyze_batch_cancellable(&refs, &context, cancel)?;
            if redact {
                for (text, analysis) in refs.iter().zip(&mut analyses) {
                    self.inner.redact_analysis(text, analysis);
                }
            }
            Ok(analyses)
        })?
        .map_err(|f| to_pyerr(py, f, Stage::Run))?;
        Ok(analyses.into_iter().map(PyAnalysis).collect())
    }

    /// Replaces payment cards, Swedish personal identity numbers, IBANs, e-mails and phone
    /// numbers by `[CARD]`, `[PERSONNUMMER]`, `[IBAN]`, `[EMAIL]`, `[PHONE]`; returns
    /// `{"text": redacted, "entities": [...]}` with offsets into the original text.
    fn redact<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let text = extract_text(text, "text")?;
        let redaction = py
            .detach(|| guard(|| Ok(self.inner.redact(&text))))
            .map_err(|f| to_pyerr(py, f, Stage::Run))?;
        to_py(py, &redaction)
    }

    /// Sentence embeddings (the model's pooling, L2-normalised for `commerce-en`) as a
    /// float32 array of shape `(len(texts), dim)`.
    fn embed<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let texts = extract_texts(texts, "texts")?;
        let vectors = py
            .detach(|| {
                guard(|| {
                    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                    Ok(self.inner.embed(&refs)?)
                })
            })
            .map_err(|f| to_pyerr(py, f, Stage::Run))?;
        Ok(vectors.into_pyarray(py))
    }

    /// Scores the model on a labelled JSONL file; the dict of `tolka eval --json`.
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let data = required_path(data, "data")?;
        evaluate_with(py, &self.inner, &data)
    }

    /// The model directory.
    #[getter]
    fn model_dir(&self) -> String {
        self.options.model_dir.to_string_lossy().into_owned()
    }

    /// The device: `cpu`, `cuda` or `cuda:N`.
    #[getter]
    fn device(&self) -> &str {
        &self.options.device
    }

    /// Texts per encoder call.
    #[getter]
    fn batch_size(&self) -> usize {
        self.options.batch_size
    }

    /// The precision the encoder runs in: `"f16"` (the default where the CPU has the
    /// kernels), `"f32"` or `"int8"`; `"f32"` where the one asked for cannot run.
    #[getter]
    fn precision(&self) -> &'static str {
        match self.inner.precision() {
            tolka::Precision::F32 => "f32",
            tolka::Precision::F16 => "f16",
            tolka::Precision::Int8 => "int8",
        }
    }

    /// The model's manifest (`tolka.json`) as a dict.
    #[getter]
    fn manifest<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.inner.manifest())
    }

    fn __repr__(&self) -> String {
        format!(
            "Analyzer({:?}, device={:?}, batch_size={})",
            self.options.model_dir.display().to_string(),
            self.options.device,
            self.options.batch_size
        )
    }
}

fn required_path(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<PathBuf> {
    extract_path(Some(obj), arg)?.ok_or_else(|| {
        pyo3::exceptions::PyTypeError::new_err(format!(
            "argument '{arg}': expected a path (str or os.PathLike), got None"
        ))
    })
}

fn evaluate_with<'py>(
    py: Python<'py>,
    analyzer: &Analyzer,
    data: &Path,
) -> PyResult<Bound<'py, PyAny>> {
    let records = py
        .detach(|| guard(|| Ok(tolka::data::read(data)?)))
        .map_err(|f| to_pyerr(py, f, Stage::Data))?;
    let report = py
        .detach(|| guard(|| Ok(tolka::eval::evaluate(analyzer, &records, 512, &mut |_| {})?)))
        .map_err(|f| to_pyerr(py, f, Stage::Run))?;
    to_py(py, &report)
}

/// Scores a model on a labelled JSONL file. Returns the dict of `tolka eval --json`:
/// `{"intent": {...}, "entities": {...}, "sentiment": {...}, "count": n}`.
#[pyfunction]
#[pyo3(signature = (model_dir, data, *, device="cpu", batch_size=Count::new(32), threads=None, max_length=None, precision=None))]
#[allow(clippy::too_many_arguments)]
pub fn evaluate<'py>(
    py: Python<'py>,
    model_dir: Option<&Bound<'py, PyAny>>,
    data: &Bound<'py, PyAny>,
    device: &str,
    batch_size: Count,
    threads: Option<Count>,
    max_length: Option<Count>,
    precision: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let model_dir = extract_path(model_dir, "model_dir")?;
    let data = required_path(data, "data")?;
    let options = Options::new(
        py, model_dir, device, batch_size, threads, max_length, precision,
    )?;
    let analyzer = options.load(py)?;
    evaluate_with(py, &analyzer, &data)
}

/// Trains a model package from labelled JSONL or Rasa NLU YAML files into `out`, as
/// `tolka train` (`oos_pool=False` is `--no-oos-pool`).
/// Returns the report: `{"heads": [...], "oos_threshold": float | None, "model_dir": out}`.
#[pyfunction]
#[pyo3(signature = (
    data, dev, out, *, encoder=None, name=None, seed=13, epochs=Count::new(100),
    patience=Count::new(5), lr=3e-3, hidden=Vec::new(), entity_hidden=Vec::new(),
    max_length=Count::new(128), oos_label="oos",
    oos_threshold=None, neutral_band=0.0, oos_pool=true,
))]
#[allow(clippy::too_many_arguments)]
pub fn train<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    dev: &Bound<'py, PyAny>,
    out: &Bound<'py, PyAny>,
    encoder: Option<&Bound<'py, PyAny>>,
    name: Option<String>,
    seed: u64,
    epochs: Count,
    patience: Count,
    lr: f64,
    hidden: Vec<Count>,
    entity_hidden: Vec<Count>,
    max_length: Count,
    oos_label: &str,
    oos_threshold: Option<f32>,
    neutral_band: f32,
    oos_pool: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let data = extract_paths(data, "data")?;
    let dev = extract_paths(dev, "dev")?;
    let out = required_path(out, "out")?;
    let encoder = extract_path(encoder, "encoder")?;
    if data.is_empty() {
        return Err(invalid_input(py, "no training data files given"));
    }
    let sizes = |name: &str, v: Vec<Count>| -> PyResult<Vec<usize>> {
        v.into_iter().map(|x| x.get(py, name)).collect()
    };
    let encoder_dir = encoder.unwrap_or_else(built_in_encoder_dir);
    let options = TrainOptions {
        name: name.unwrap_or_else(|| {
            out.file_name()
                .map_or("model".into(), |n| n.to_string_lossy().into_owned())
        }),
        encoder_name: encoder_dir
            .file_name()
            .map_or("encoder".into(), |n| n.to_string_lossy().into_owned()),
        encoder_dir,
        max_length: max_length.get(py, "max_length")?,
        seed,
        max_epochs: epochs.get(py, "epochs")?,
        patience: patience.get(py, "patience")?,
        learning_rate: lr,
        hidden: sizes("hidden", hidden)?,
        entity_hidden: sizes("entity_hidden", entity_hidden)?,
        oos_label: oos_label.to_owned(),
        oos_threshold,
        neutral_band,
        oos_pool,
        ..TrainOptions::default()
    };
    let read = |paths: &[PathBuf]| -> Result<Vec<tolka::data::Record>, Failure> {
        let mut records = Vec::new();
        for path in paths {
            records.extend(tolka::data::read(path)?);
        }
        Ok(records)
    };
    let (train_records, dev_records) = py
        .detach(|| guard(|| Ok((read(&data)?, read(&dev)?))))
        .map_err(|f| to_pyerr(py, f, Stage::Data))?;
    let report = py
        .detach(|| {
            guard(|| {
                Ok(tolka::train::train(
                    &train_records,
                    &dev_records,
                    &options,
                    &out,
                    &mut |_| {},
                )?)
            })
        })
        .map_err(|f| to_pyerr(py, f, Stage::Run))?;
    let dict = to_py(py, &report)?;
    dict.set_item("model_dir", out.to_string_lossy())?;
    Ok(dict)
}
