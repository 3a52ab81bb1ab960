"""Rasa's regex featurizer and extractor, with lookup tables matched by dictionary.

Same configuration, training, persistence and output as ``RegexFeaturizer`` and
``RegexEntityExtractor``; only the matching of each pattern goes through
``bot.components.matching.finditer``, which gives the regex's own matches for lookup-table
patterns without scanning 60,000 alternatives at every character (see that module). The two
methods below follow Rasa 3.6.21's, line for line, apart from that call.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.regex_entity_extractor import RegexEntityExtractor
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.shared.nlu.constants import (
    ACTION_TEXT,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    RESPONSE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.components.matching import finditer


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class LookupRegexFeaturizer(RegexFeaturizer):
    """``RegexFeaturizer`` whose lookup-table patterns are matched by dictionary."""

    def _features_for_patterns(
        self, message: Message, attribute: str
    ) -> tuple[scipy.sparse.coo_matrix | None, scipy.sparse.coo_matrix | None]:
        if not message.get(attribute):
            return None, None
        tokens = message.get(TOKENS_NAMES[attribute], [])
        if not tokens:
            return None, None
        flags = 0 if self.case_sensitive else re.IGNORECASE
        sequence_features = np.zeros([len(tokens), len(self.known_patterns)])
        sentence_features = np.zeros([1, len(self.known_patterns)])
        for pattern_index, pattern in enumerate(self.known_patterns):
            matches = list(finditer(pattern["pattern"], message.get(attribute), flags))
            for token_index, token in enumerate(tokens):
                patterns = token.get("pattern", default={})
                patterns[pattern["name"]] = False
                for match in matches:
                    if token.start < match.end() and token.end > match.start():
                        patterns[pattern["name"]] = True
                        sequence_features[token_index][pattern_index] = 1.0
                        if attribute in [RESPONSE, TEXT, ACTION_TEXT]:
                            sentence_features[0][pattern_index] = 1.0
                token.set("pattern", patterns)
        return (
            scipy.sparse.coo_matrix(sequence_features),
            scipy.sparse.coo_matrix(sentence_features),
        )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LookupRegexEntityExtractor(RegexEntityExtractor):
    """``RegexEntityExtractor`` whose lookup-table patterns are matched by dictionary."""

    def _extract_entities(self, message: Message) -> list[dict[str, Any]]:
        text = message.get(TEXT)
        flags = 0 if self.case_sensitive else re.IGNORECASE
        entities = []
        for pattern in self.patterns:
            for match in finditer(pattern["pattern"], text, flags):
                entities.append(
                    {
                        ENTITY_ATTRIBUTE_TYPE: pattern["name"],
                        ENTITY_ATTRIBUTE_START: match.start(),
                        ENTITY_ATTRIBUTE_END: match.end(),
                        ENTITY_ATTRIBUTE_VALUE: text[match.start() : match.end()],
                    }
                )
        return entities
