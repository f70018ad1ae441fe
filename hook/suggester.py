"""The one place the hook gets its model from: ``load_suggester(bundle_path)``.

The bundle is located and fingerprinted up front (cheap: it only reads the manifest), so a missing bundle is
reported before any work and the fingerprint can key the cache. The runtime itself (ONNX sessions, tokenizer)
is built only when a region misses the cache, and once per process however many files are checked.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from speedhints.model_export.atlas import DEFAULT_MIN_PRECISION
from speedhints.model_export.bundle import MANIFEST, BundleError, require_bundle
from speedhints.model_export.hints import Suggester
from speedhints.model_export.plausibility import RULES_VERSION


class LoadedSuggester:
    """A model identity plus a suggester built on first use."""

    def __init__(self, identity: str, build: Callable[[], Suggester]) -> None:
        self.identity = identity  # changes whenever the model does; part of every cache key
        self._build = build
        self._suggester: Suggester | None = None
        self.builds = 0

    def get(self) -> Suggester:
        """The suggester; BundleError if the bundle turns out to be broken when it is loaded."""
        if self._suggester is None:
            self._suggester = self._build()
            self.builds += 1
        return self._suggester


# bundle directory -> its loaded suggester: the model is loaded once per process, however often check runs.
_LOADED: dict[tuple[Path, str], LoadedSuggester] = {}


def load_suggester(
    bundle_path: str | os.PathLike[str] | None, min_precision: float = DEFAULT_MIN_PRECISION
) -> LoadedSuggester:
    """The suggester for a bundle (explicit path, $SPEEDHINTS_BUNDLE, or the one shipped in the package), showing
    only latents whose measured precision lower bound is at least ``min_precision``.

    Raises BundleError (one line) when there is no bundle or its manifest cannot be read.
    """
    path = require_bundle(bundle_path).resolve()
    try:
        # The hints depend on the model, on the runtime's checks of them and on its precision gate: all three are
        # part of the cache key.
        extra = f"|checks {RULES_VERSION}|min_precision {min_precision!r}".encode()
        identity = hashlib.sha256((path / MANIFEST).read_bytes() + extra).hexdigest()
    except OSError as exc:
        raise BundleError(f"cannot read {path / MANIFEST}: {exc.strerror or exc}") from None
    key = (path, identity)
    if key not in _LOADED:
        _LOADED[key] = LoadedSuggester(identity, lambda: _build_runtime(path, min_precision))
    return _LOADED[key]


def _build_runtime(path: Path, min_precision: float) -> Suggester:
    # The onnxruntime suggester of issue #6. Imported here, not at the top, so a run served from the cache
    # never imports onnxruntime at all.
    try:
        from speedhints.model_export.runtime import RuntimeConfig, load_runtime
    except ImportError:
        raise BundleError(f"bundle at {path} found, but this build has no model runtime to load it yet") from None
    suggester: Suggester = load_runtime(path, RuntimeConfig(min_precision=min_precision))
    return suggester
