"""Where the bot gets its Suggester: the model_export runtime, or a plug-in named by SPEEDHINTS_SUGGESTER.

``SPEEDHINTS_SUGGESTER=module:factory`` names a no-argument callable returning a ``Suggester``; it exists for
other runtimes and for end-to-end tests of ``speedhints serve`` in a subprocess (which cannot be handed a
Python object). Without it, the installed model bundle is required; a missing bundle raises ``BundleError``.
"""

from __future__ import annotations

import importlib
import os

from speedhints.model_export.atlas import DEFAULT_MIN_PRECISION
from speedhints.model_export.bundle import require_bundle
from speedhints.model_export.hints import Suggester

ENV_VAR = "SPEEDHINTS_SUGGESTER"


class SuggesterError(RuntimeError):
    """The plug-in named in SPEEDHINTS_SUGGESTER cannot be loaded; one line."""


def load_suggester(bundle: str | None = None, min_precision: float = DEFAULT_MIN_PRECISION) -> Suggester:
    """The suggester; the runtime shows a latent only when its measured precision's lower bound is at least
    ``min_precision`` (a plug-in applies its own policy)."""
    plugin = os.environ.get(ENV_VAR)
    if plugin:
        module_name, _, attr = plugin.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr or "load_suggester")
        except (ImportError, AttributeError) as exc:
            raise SuggesterError(f"{ENV_VAR}={plugin}: cannot load it ({exc})") from None
        suggester: Suggester = factory()
        return suggester
    path = require_bundle(bundle)  # raises BundleError with one line when no model is installed
    # Imported here so that a plug-in run never loads onnxruntime.
    from speedhints.model_export.runtime import RuntimeConfig, load_runtime

    return load_runtime(path, RuntimeConfig(min_precision=min_precision))
