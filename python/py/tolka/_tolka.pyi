"""Type stubs of the extension module ``tolka._tolka`` (re-exported by ``tolka``)."""

import datetime
import os
from typing import Any, Iterable, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

StrPath = Union[str, "os.PathLike[str]"]

__version__: str
DEFAULT_MODEL: str
"""The default model baked in at build time: ``models/commerce-en`` of the source tree."""
CUDA: bool
"""Whether this build supports ``device="cuda"``."""

class TolkaError(Exception):
    """Base class of every error raised by tolka."""

    path: Optional[str]
    """The file concerned, if any."""
    line: Optional[int]
    """The line of a data file, if any."""

class ModelLoadError(TolkaError):
    """A model package or base encoder could not be loaded."""

class InvalidInputError(TolkaError, ValueError):
    """An argument value that cannot work, or a malformed data file."""

class DeviceError(TolkaError):
    """The requested device is unavailable."""

class Intent:
    """The predicted intent of one text."""

    @property
    def label(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def out_of_scope(self) -> bool: ...
    @property
    def top(self) -> list[Tuple[str, float]]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_dict(data: dict[str, Any]) -> "Intent": ...

class Entity:
    """One entity span: ``text == analysed_text[start:end]``."""

    @property
    def label(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def confidence(self) -> float: ...
    @property
    def source(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_dict(data: dict[str, Any]) -> "Entity": ...

class Sentiment:
    """The sentiment of one text."""

    @property
    def label(self) -> str:
        """``"negative"``, ``"neutral"`` or ``"positive"``."""
    @property
    def score(self) -> float:
        """P(positive) - P(negative), in [-1, 1]."""
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_dict(data: dict[str, Any]) -> "Sentiment": ...

class Analysis:
    """The analysis of one text; a task the model has no head for is ``None``."""

    @property
    def intent(self) -> Optional[Intent]: ...
    @property
    def entities(self) -> Optional[list[Entity]]: ...
    @property
    def sentiment(self) -> Optional[Sentiment]: ...
    @property
    def emotions(self) -> Optional[list[dict[str, Any]]]:
        """``[{"label": "anger", "score": 0.71}, …]`` over per-label thresholds."""
    @property
    def lang(self) -> Optional[dict[str, Any]]:
        """``{"code": "sv", "confidence": 0.98}``; ``None`` without letters."""
    def to_dict(self) -> dict[str, Any]:
        """The JSON object that ``tolka tag`` writes as ``"analysis"``."""
    def to_json(self) -> str: ...
    @staticmethod
    def from_dict(data: dict[str, Any]) -> "Analysis": ...

class Analyzer:
    """An on-device analyzer. Thread-safe; every call releases the GIL. Survives ``fork``
    (``multiprocessing``'s default on Linux, prefork servers): a child builds its own worker
    threads on its first call.

    ``model_dir=None`` loads ``$TOLKA_MODEL``, else :data:`DEFAULT_MODEL`.
    ``device``: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``. ``threads``: worker threads of this
    analyzer (default: all cores). ``max_length``: tokens per encoder window (default: the
    model's). ``precision``: ``"f16"`` (f16 weights, f32 arithmetic; the default where the
    CPU has AVX-512 or AVX2), ``"f32"`` or ``"int8"`` (AVX-512 VNNI); the ``precision``
    property says which ran.
    """

    def __init__(
        self,
        model_dir: Optional[StrPath] = None,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        threads: Optional[int] = None,
        max_length: Optional[int] = None,
        precision: Optional[str] = None,
    ) -> None: ...
    def analyze(self, text: str, *, redact: bool = False) -> Analysis:
        """Analyses one text. ``redact=True``: no entity's text or value keeps a card,
        personnummer, IBAN, e-mail or phone (the analysis reads the original text; use
        ``redact()`` for the redacted text)."""
    def analyze_batch(self, texts: Iterable[str], *, redact: bool = False) -> list[Analysis]:
        """Analyses texts in batches (results in input order), with the GIL released;
        ``redact`` as for ``analyze``. Ctrl-C raises ``KeyboardInterrupt`` within one encoder
        batch (the batch is abandoned; the analyzer keeps working)."""
    def redact(self, text: str) -> dict[str, Any]:
        """Replace cards, personnummer, IBANs, e-mails and phones by typed placeholders;
        returns {"text": redacted, "entities": [...]}: label, offsets into the original
        text and the placeholder as ``text``, never the removed data."""
        ...
    def embed(self, texts: Iterable[str]) -> npt.NDArray[np.float32]:
        """Sentence embeddings, shape ``(len(texts), dim)``, float32."""
    def evaluate(self, data: StrPath) -> dict[str, Any]:
        """Scores the model on a labelled JSONL file (the dict of ``tolka eval --json``)."""
    @property
    def model_dir(self) -> str: ...
    @property
    def device(self) -> str: ...
    @property
    def batch_size(self) -> int: ...
    @property
    def precision(self) -> str:
        """The precision the encoder runs in: "f16", "f32" or "int8"."""
    @property
    def manifest(self) -> dict[str, Any]: ...

class Conversation:
    """One chat: slots remembered across turns, an escalation signal on customer turns,
    dates relative to each message's time; ``redact=True`` keeps no card, personnummer,
    IBAN, e-mail or phone in any result or in the state. ``escalation``: thresholds (the
    fields of the Rust ``EscalationConfig``). Picklable; not shared between threads."""

    def __init__(
        self, *, redact: bool = False, escalation: Optional[dict[str, Any]] = None
    ) -> None: ...
    def turn(
        self,
        analyzer: Analyzer,
        text: str,
        *,
        speaker: str = "customer",
        time: Optional[Union[datetime.datetime, str]] = None,
    ) -> dict[str, Any]:
        """The analysis dict with ``turn``; customer turns add ``escalation``
        (``{"escalate", "score", "reasons"}``) and ``slots`` (label -> ``{"text", "value",
        "turn"}``). ``time``: timezone-aware; relative dates resolve against it."""
    @property
    def slots(self) -> dict[str, Any]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(json: str) -> "Conversation": ...

def default_model_dir() -> str:
    """``$TOLKA_MODEL`` when set, else :data:`DEFAULT_MODEL`."""

def evaluate(
    model_dir: Optional[StrPath],
    data: StrPath,
    *,
    device: str = "cpu",
    batch_size: int = 32,
    threads: Optional[int] = None,
    max_length: Optional[int] = None,
    precision: Optional[str] = None,
) -> dict[str, Any]:
    """Scores a model on a labelled JSONL file; the dict of ``tolka eval --json``
    (``precision`` as for :class:`Analyzer`)."""

def train(
    data: Union[StrPath, Sequence[StrPath]],
    dev: Union[StrPath, Sequence[StrPath], None],
    out: StrPath,
    *,
    encoder: Optional[StrPath] = None,
    name: Optional[str] = None,
    seed: int = 13,
    epochs: int = 100,
    patience: int = 5,
    lr: float = 3e-3,
    hidden: Sequence[int] = (),
    entity_hidden: Sequence[int] = (),
    max_length: int = 128,
    oos_label: str = "oos",
    oos_threshold: Optional[float] = None,
    neutral_band: float = 0.0,
    oos_pool: bool = True,
) -> dict[str, Any]:
    """Trains a model package into ``out`` (as ``tolka train``); returns the report."""
