"""Results of the Python API equal the CLI's; result objects; offsets; embeddings."""

import json
import pickle

import numpy as np
import pytest

import tolka
from conftest import DATA, assert_close, read_jsonl, run_cli, write_jsonl

SPECIAL = [
    "Where is my order 113542617735902?",
    "I want a refund for order 00004587345, the parcel arrived broken 😡😡",
    "😀👍🏽 where is my order 113542617735902? 🚚",
    "Hej! Jag heter Åsa Öberg, var är min beställning 113542617735902? Tack så mycket, ärligt.",
    "Ångrar köpet: cancel order 00004587345 på en gång",
    "",
    "   ",
    "tell me a joke",
    # Longer than the model's 128 tokens: entities are found through overlapping windows.
    "I have been waiting for weeks and nobody answers my emails, " * 12
    + "my order number is 113542617735902 and I want to cancel it.",
]


def texts_for_comparison():
    return [r["text"] for r in read_jsonl(DATA / "examples" / "transcript.jsonl")] + SPECIAL


@pytest.fixture(scope="module")
def cli_analyses(tmp_path_factory, model_dir):
    texts = texts_for_comparison()
    path = write_jsonl(tmp_path_factory.mktemp("cli") / "in.jsonl", [{"text": t} for t in texts])
    out = run_cli(["tag", path, "--model", model_dir])
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert [line["text"] for line in lines] == texts
    return [line["analysis"] for line in lines]


def test_analyze_batch_equals_cli(analyzer, cli_analyses):
    analyses = analyzer.analyze_batch(texts_for_comparison())
    assert len(analyses) == len(cli_analyses)
    for analysis, expected in zip(analyses, cli_analyses):
        assert_close(analysis.to_dict(), expected)


def test_analyze_one_at_a_time_equals_cli(analyzer, cli_analyses):
    for text, expected in zip(texts_for_comparison(), cli_analyses):
        assert_close(analyzer.analyze(text).to_dict(), expected)


def test_to_dict_is_json_serialisable_and_matches_attributes(analyzer):
    a = analyzer.analyze("Where is my order 113542617735902? You are so slow!")
    d = a.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert json.loads(a.to_json()) == d
    assert list(d) == ["intent", "entities", "sentiment", "emotions", "lang"]
    assert d["lang"] == a.lang and a.lang["code"] == "en"
    assert d["intent"]["label"] == a.intent.label == "track_order"
    assert d["intent"]["confidence"] == a.intent.confidence
    assert d["intent"]["out_of_scope"] is a.intent.out_of_scope is False
    assert [tuple(p) for p in d["intent"]["top"]] == a.intent.top
    assert a.intent.top[0][0] == a.intent.label
    assert [e.to_dict() for e in a.entities] == d["entities"]
    assert a.entities[0].label == "order_id" and a.entities[0].source == "model"
    assert a.sentiment.label in ("negative", "neutral", "positive")
    assert -1.0 <= a.sentiment.score <= 1.0
    assert a.sentiment.to_dict() == d["sentiment"]
    assert "track_order" in repr(a) and "order_id" in repr(a)


def test_results_round_trip_and_pickle(analyzer):
    a = analyzer.analyze("cancel order 00004587345 please")
    assert tolka.Analysis.from_dict(a.to_dict()) == a
    assert pickle.loads(pickle.dumps(a)) == a
    for part in (a.intent, a.entities[0], a.sentiment):
        assert pickle.loads(pickle.dumps(part)) == part
        assert type(part).from_dict(part.to_dict()) == part
    assert a != analyzer.analyze("tell me a joke")
    with pytest.raises(ValueError):
        tolka.Analysis.from_dict({"intent": 3})


def test_empty_text_is_out_of_scope(analyzer):
    for text in ("", "   \n"):
        a = analyzer.analyze(text)
        assert a.intent.out_of_scope and a.intent.label == "oos"
        assert a.entities == []
        assert a.sentiment.label == "neutral" and a.sentiment.score == 0.0
    assert analyzer.analyze_batch([]) == []


@pytest.mark.parametrize(
    "text",
    [
        "😀👍🏽 where is my order 113542617735902? 🚚",
        "Hej Åsa! ärende: var är min order 113542617735902 🙏 / Öresund",
        "👨‍👩‍👧‍👦 family account 😀 — i want to cancel order 00004587345 ✅",
        "ÅÄÖ åäö 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 track purchase 00004587345 now",
    ],
)
def test_entity_offsets_index_python_strings(analyzer, text):
    entities = analyzer.analyze(text).entities
    assert entities, f"expected an entity in {text!r}"
    for e in entities:
        assert text[e.start : e.end] == e.text
        assert 0 <= e.start < e.end <= len(text)
    assert any(e.text in ("113542617735902", "00004587345") for e in entities)


def test_accepts_any_iterable_of_str(analyzer):
    texts = ["where is my order", "I want a refund"]
    expected = [a.to_dict() for a in analyzer.analyze_batch(texts)]
    for container in (tuple(texts), iter(texts), np.array(texts, dtype=object), np.array(texts)):
        got = [a.to_dict() for a in analyzer.analyze_batch(container)]
        assert_close(got, expected)


def test_embed_shape_dtype_norm(analyzer):
    texts = ["where is my order", "I want a refund", "😀 åäö"]
    vectors = analyzer.embed(texts)
    assert isinstance(vectors, np.ndarray)
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # Similar texts are closer than unrelated ones.
    again = analyzer.embed(["where is my parcel", "what is the weather"])
    assert again[0] @ vectors[0] > again[1] @ vectors[0]
    empty = analyzer.embed([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32


def test_analyzer_properties(analyzer, model_dir):
    assert analyzer.model_dir == model_dir
    assert analyzer.device == "cpu" and analyzer.batch_size == 32
    manifest = analyzer.manifest
    # Version 2: commerce-en carries LoRA adapters, merged at load.
    assert manifest["format_version"] == 2 and manifest["name"] == "commerce-en"
    assert manifest["adapters"]["file"] == "adapters.safetensors"
    assert "track_order" in manifest["intent"]["labels"]
    assert "Analyzer(" in repr(analyzer)


def test_default_model(monkeypatch, model_dir):
    monkeypatch.delenv("TOLKA_MODEL", raising=False)
    assert tolka.default_model_dir() == tolka.DEFAULT_MODEL
    assert tolka.DEFAULT_MODEL.endswith("models/commerce-en")
    monkeypatch.setenv("TOLKA_MODEL", "/elsewhere/model")
    assert tolka.default_model_dir() == "/elsewhere/model"
    with pytest.raises(tolka.ModelLoadError):
        tolka.Analyzer()


def test_options(model_dir):
    small = tolka.Analyzer(model_dir, batch_size=4, threads=1, max_length=32)
    text = "please cancel my order 00004587345"
    assert small.analyze(text).intent.label == "cancel_order"


def test_redact_replaces_pii_only(analyzer):
    text = "Kort 4111 1111 1111 1111, mejl anna@example.se 😀"
    result = analyzer.redact(text)
    assert result["text"] == "Kort [CARD], mejl [EMAIL] 😀"
    # Offsets point into the original text; the entities carry the placeholder, never the
    # removed personal data.
    assert [e["text"] for e in result["entities"]] == ["[CARD]", "[EMAIL]"]
    assert [text[e["start"]:e["end"]] for e in result["entities"]] == [
        "4111 1111 1111 1111",
        "anna@example.se",
    ]
    dumped = json.dumps(result, ensure_ascii=False)
    assert "4111 1111" not in dumped and "anna@" not in dumped


def test_analyze_redact_keeps_no_personal_data(analyzer):
    text = "refund to anna@example.se please, card 4111 1111 1111 1111, tel 070-123 45 67"
    plain = analyzer.analyze(text)
    redacted = analyzer.analyze(text, redact=True)
    # The analysis reads the original text: the intent does not change.
    assert redacted.intent.label == plain.intent.label
    dumped = redacted.to_json()
    for pii in ["anna@", "4111 1111", "4111111111111111", "070-123", "0701234567"]:
        assert pii not in dumped, pii
    [batch] = analyzer.analyze_batch([text], redact=True)
    assert batch.to_json() == dumped


def test_precision_is_chosen_and_reported(analyzer, model_dir):
    # f16 weights by default where the CPU has the kernels, f32 elsewhere; f32 on request.
    assert analyzer.precision in ("f16", "f32")
    f32 = tolka.Analyzer(model_dir, precision="f32")
    assert f32.precision == "f32"
    texts = ["where is my order A-10293?", "kan jag betala med klarna?", "thanks a lot!"]
    for a, b in zip(analyzer.analyze_batch(texts), f32.analyze_batch(texts)):
        assert a.intent.label == b.intent.label
        assert abs(a.intent.confidence - b.intent.confidence) < 1e-3
