"""Rasa's own command line (``rasa run ...``), with two serving costs removed.

Both are pinned-version behaviour (Rasa 3.6.21, jsonschema 4.17, TensorFlow 2.12); re-check
them, and ``bot/tests/check_server.py`` / ``bot/tests/check_flat_calls.py``, on an upgrade.

Rasa 3.6 checks every response of the action server against a JSON schema with
``jsonschema.validate(result, schema)``. With the pinned jsonschema 4.17 that call first
re-validates the schema itself against the JSON-Schema meta-schema, every time: measured
with py-spy under load, that was about 30 % of the Rasa process's CPU time in this
assistant, where nearly every answer calls the action server. Here the schema is checked
once at start-up and one validator is reused; each response is still validated, and the
error raised for a bad response is the same one (``best_match`` of the validator's
errors) with Rasa's own explanation appended. The second is ``flat_model_calls`` below.

    PYTHONPATH=. .venv-rasa/bin/python -m bot.server run --credentials bot/credentials.yml ...

``helpdesk run`` starts Rasa this way; every argument is Rasa's. It runs without Rasa's HTTP
API (no ``--enable-api``): the only way in is the ``gateway`` input channel
(``bot/channels.py``), which requires the token in ``HELPDESK_RASA_TOKEN``; Rasa sends the
action server's token from ``HELPDESK_ACTIONS_TOKEN`` (``${...}`` in the rendered
endpoints.yml). Both are in its environment only, never on the command line.
"""

from __future__ import annotations

from typing import Any


def compile_action_response_check() -> None:
    """Replace ``RemoteAction._validate_action_result`` by one with a prebuilt validator."""
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def flat_model_calls() -> None:
    """Call each model's compiled prediction graph with its inputs already flat.

    Rasa 3.6 calls a ``tf.function`` with an input signature for every prediction (DIET once
    per message, TED once per predicted action). TensorFlow 2.12 then matches the Python
    arguments against the signature again on each call ("canonicalising" every one of the
    8-17 arrays): under ``bench/rasa_latency.py`` that was about 13 % of the Rasa process's
    CPU time (``py-spy``). Here the first call goes through Rasa unchanged (it traces the
    graph); afterwards the same concrete graph is called with the arrays converted to the
    signature's dtypes, after a shape check against the signature. Any mismatch falls back
    to Rasa's own call, so the outputs are the very same graph's outputs.
    """
    import tensorflow as tf
    from keras.utils import tf_utils
    from rasa.shared.constants import DIAGNOSTIC_DATA
    from rasa.utils.tensorflow.models import RasaModel

    original = RasaModel._rasa_predict

    def _rasa_predict(self: RasaModel, batch_in: Any) -> Any:
        step = self._tf_predict_step
        if self._run_eagerly or step is None or not self.prepared_for_prediction:
            return original(self, batch_in)
        compiled = self.__dict__.get("_flat_call")
        if compiled is None:
            concrete = step.get_concrete_function()
            specs = tf.nest.flatten(concrete.structured_input_signature[0])
            compiled = self.__dict__["_flat_call"] = (concrete, specs)
        concrete, specs = compiled
        arrays = tf.nest.flatten(batch_in)
        if len(arrays) != len(specs):
            return original(self, batch_in)
        tensors = [
            tf.convert_to_tensor(a, dtype=spec.dtype) for a, spec in zip(arrays, specs, strict=True)
        ]
        if not all(
            spec.shape.is_compatible_with(t.shape) for t, spec in zip(tensors, specs, strict=True)
        ):
            return original(self, batch_in)
        outputs = tf_utils.sync_to_numpy_or_python_type(
            concrete._call_flat(tensors, concrete.captured_inputs)
        )
        if DIAGNOSTIC_DATA in outputs:
            outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
        return outputs

    RasaModel._rasa_predict = _rasa_predict  # type: ignore[method-assign]


def main() -> None:
    """Run Rasa's command line with the compiled check and flat model calls."""
    compile_action_response_check()
    flat_model_calls()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
