"""tolka: on-device intent, entity and sentiment analysis for conversational commerce.

>>> import tolka
>>> analyzer = tolka.Analyzer()  # the default model: $TOLKA_MODEL, else tolka.DEFAULT_MODEL
>>> analyzer.analyze("Where is my order 113542617735902?").intent.label
'track_order'

The classes and functions are implemented in Rust (the extension module ``tolka._tolka``):

- :class:`Analyzer` loads a model package and analyses texts (``analyze``, ``analyze_batch``,
  ``embed``, ``evaluate``). Every call releases the GIL; one instance can be shared by threads.
- :class:`Analysis`, :class:`Intent`, :class:`Entity`, :class:`Sentiment` are the typed
  results; ``to_dict()`` gives the JSON object that ``tolka tag`` writes as ``"analysis"``.
- :class:`Conversation` is one chat: ``turn(analyzer, text, speaker=..., time=...)`` adds an
  escalation signal and slots remembered across turns; ``redact=True`` keeps no personal data;
  ``to_json`` / ``from_json`` and pickling keep it between messages.
- :func:`train` and :func:`evaluate` mirror ``tolka train`` and ``tolka eval --json``.
- :class:`TolkaError` is the base of every error: :class:`ModelLoadError`,
  :class:`InvalidInputError` (also a ``ValueError``) and :class:`DeviceError`. A Rust panic
  is raised as a ``TolkaError``; it never takes the interpreter down.
"""

from tolka._tolka import (
    CUDA,
    DEFAULT_MODEL,
    Analysis,
    Analyzer,
    Conversation,
    DeviceError,
    Entity,
    Intent,
    InvalidInputError,
    ModelLoadError,
    Sentiment,
    TolkaError,
    __version__,
    default_model_dir,
    evaluate,
    train,
)

__all__ = [
    "CUDA",
    "DEFAULT_MODEL",
    "Analysis",
    "Analyzer",
    "Conversation",
    "DeviceError",
    "Entity",
    "Intent",
    "InvalidInputError",
    "ModelLoadError",
    "Sentiment",
    "TolkaError",
    "__version__",
    "default_model_dir",
    "evaluate",
    "train",
]
