"""LanguageDetector: adds a ``language`` entity ("vi" or "en") when a message is clearly one.

The entity fills the ``language`` slot, so answers follow the language the citizen writes in.
Short or ambiguous messages ("ok", a record code, digits) add nothing and leave the slot as it
was. The entity spans the whole message: it describes the message, not a word in it.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.components.text import guess_language


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Rule-based vi/en detector (diacritics, common words); no training needed."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``entity``: the entity name to add; ``min_confidence``: share of evidence needed."""
        return {"entity": "language", "min_confidence": 0.66}

    def __init__(self, config: dict[str, Any]) -> None:
        self._entity = config["entity"]
        self._min_confidence = float(config["min_confidence"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        """Creates the component (see parent class for full docstring)."""
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the language entity to each message that is clearly in one language."""
        for message in messages:
            text = message.get(TEXT) or ""
            guess = guess_language(text)
            if guess.language is None or guess.confidence < self._min_confidence:
                continue
            entity = {
                ENTITY_ATTRIBUTE_TYPE: self._entity,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                ENTITY_ATTRIBUTE_VALUE: guess.language,
                ENTITY_ATTRIBUTE_CONFIDENCE: guess.confidence,
            }
            entities = [*message.get(ENTITIES, []), *self.add_extractor_name([entity])]
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        """Training data passes through untouched: the detector learns nothing."""
        return training_data
