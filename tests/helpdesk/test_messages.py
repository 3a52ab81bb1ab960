"""The message catalogue: complete in every language, its fields declared, misuse loud."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpdesk.errors import RecordCodeDefect, RecordCodeInvalid
from helpdesk.messages import LANGUAGES, MessageError, catalogue, fields_of, template_fields, text

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("helpdesk", "knowledge", "store", "offices", "actions", "connectors", "helpdesk_cli")
# keys built at run time from a prefix and a reason, level or scope
DYNAMIC_PREFIXES = (
    "record_code.defect.",
    "place.level.",
    "lookup.refused.",
    "answer.time.unit.",
    "answer.channel.",
    "answer.fee.unit.",
    "answer.document.form.",
    "record.status.",
    "record.deadline.",
    "record.delivery.",
)


class Anything:
    """A field value that takes any format spec (dates are formatted in the templates)."""

    def __format__(self, spec: str) -> str:
        return f"<{spec}>"

    def __repr__(self) -> str:
        return "<repr>"


def test_every_key_has_every_language() -> None:
    assert catalogue()
    for key, message in catalogue().items():
        assert set(message.texts) == set(LANGUAGES), key
        assert message.texts["vi"], f"{key}: the Vietnamese text is what everybody reads"


def test_templates_use_exactly_the_declared_fields() -> None:
    for key, message in catalogue().items():
        used = [template_fields(template) for template in message.texts.values()]
        for lang, fields in zip(message.texts, used, strict=True):
            assert fields <= message.fields, (
                f"{key} ({lang}) uses undeclared {fields - message.fields}"
            )
        assert frozenset().union(*used) == message.fields, f"{key} declares a field no text uses"


def test_every_key_renders_in_every_language_with_its_fields() -> None:
    for key in catalogue():
        values = {name: Anything() for name in fields_of(key)}
        for lang in LANGUAGES:
            rendered = text(key, lang, **values)
            assert "{" not in rendered and "}" not in rendered, (key, lang)


def test_misuse_fails_loudly() -> None:
    with pytest.raises(MessageError, match="no message"):
        text("record.no_such_key", "vi")
    with pytest.raises(MessageError, match="fields missing \\['hotline'\\]"):
        text("record.not_found", "vi")
    with pytest.raises(MessageError, match="not declared \\['extra'\\]"):
        text("record.not_found", "vi", hotline="1800 1096", extra="x")
    with pytest.raises(MessageError, match="language 'fr'"):
        text("record.not_found", "fr", hotline="1800 1096")
    assert "1800 1096" in text("record.not_found", "vi", hotline="1800 1096")


def _keys_used_in_code() -> set[str]:
    """Every literal key passed to ``text(...)``, ``messages.text(...)`` or ``Notice.of(...)``."""
    keys: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                first = node.args[0]
                value = first.value if isinstance(first, ast.Constant) else None
                if (
                    name in ("text", "of", "with_hotline")
                    and isinstance(value, str)
                    and "." in value
                ):
                    keys.add(value)
    return keys


def _literals_in_code() -> set[str]:
    """Every string literal of the code (a key chosen by a condition is one of them)."""
    literals: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    literals.add(node.value)
    return literals


def test_the_code_asks_only_for_keys_the_catalogue_has_and_uses_them_all() -> None:
    used = _keys_used_in_code()
    assert used, "the key scan found no call"
    assert used - set(catalogue()) == set()
    unused = {
        key
        for key in set(catalogue()) - used - _literals_in_code()
        if not key.startswith(DYNAMIC_PREFIXES)
    }
    assert unused == set()


def test_a_code_defect_is_worded_by_the_catalogue() -> None:
    defect = RecordCodeDefect("too_long", limit=64)
    assert str(defect) == defect.message == text("record_code.defect.too_long", "en", limit=64)
    assert defect.text("vi") == "Mã hồ sơ quá dài (tối đa 64 ký tự)."
    # a code rejected without a reason gets the one wording of an invalid code
    plain = RecordCodeDefect.of(RecordCodeInvalid("the text is far too long to be a record code"))
    assert plain.reason == "invalid"
    assert plain.text("vi") == "Mã hồ sơ không hợp lệ."
    assert RecordCodeDefect.of(defect) is defect


def test_every_value_of_a_worded_vocabulary_has_its_words() -> None:
    """Keys built from an enum's value exist for every value, so a new value cannot reach a
    citizen as a missing key."""
    from knowledge.model import ChannelKind, DocumentForm, FeeUnit, TimeUnit
    from store.status import DeadlineClass, RecordStatus
    from store.vocabulary import ResultDelivery

    expected = {
        *(f"answer.time.unit.{u.value}" for u in TimeUnit if u is not TimeUnit.SAME_DAY),
        *(f"answer.channel.{c.value}" for c in ChannelKind),
        *(f"answer.fee.unit.{u.value}" for u in FeeUnit),
        *(f"answer.document.form.{f.value}" for f in DocumentForm),
        *(f"record.status.{s.value}.label" for s in RecordStatus),
        *(f"record.status.{s.value}.explanation" for s in RecordStatus),
        *(f"record.deadline.{d.value}" for d in DeadlineClass),
        *(f"record.delivery.{d.value}" for d in ResultDelivery),
    }
    assert expected - set(catalogue()) == set()
    dynamic = {key for key in catalogue() if key.startswith(DYNAMIC_PREFIXES[3:])}
    assert dynamic - expected == set(), "a key for a value no vocabulary has"
