"""Diacritic-folded character n-gram features, so "dang ky" and "đăng ký" look alike.

Many citizens type Vietnamese without diacritics, or with abbreviations ("dk", "cccd"). The
stock CountVectorsFeaturizer keeps "đăng" and "dang" apart; this subclass folds every token
(NFD, combining marks dropped, đ→d, lower case) and expands common abbreviations before
counting character n-grams, so both spellings share most of their features.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import ACTION_NAME, INTENT, INTENT_RESPONSE_KEY, TEXT

from bot.components.text import fold_token

_NUMBER = re.compile(r"\b[0-9]+\b")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class FoldedCountVectorsFeaturizer(CountVectorsFeaturizer):
    """CountVectorsFeaturizer over folded, abbreviation-expanded tokens (char_wb 2–5)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Character n-grams within word boundaries, 2 to 5 characters long."""
        return {
            **CountVectorsFeaturizer.get_default_config(),
            "analyzer": "char_wb",
            "min_ngram": 2,
            "max_ngram": 5,
        }

    def _process_tokens(self, tokens: list[str], attribute: str = TEXT) -> list[str]:
        if attribute in (INTENT, ACTION_NAME, INTENT_RESPONSE_KEY):
            return tokens
        # one output string per token: the sequence features keep the token count
        return [_NUMBER.sub("__NUMBER__", fold_token(token)) for token in tokens]
