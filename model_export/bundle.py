"""Where the model bundle lives and how its absence is reported.

The bundle format itself (manifest, ONNX files, checksums) is defined here once the exporter exists (issue #6);
until a bundle ships inside the package, every consumer gets the same plain ``BundleError`` line.
"""

from __future__ import annotations

import os
from pathlib import Path

# The default bundle ships inside the installed package, so the hook needs no network.
DEFAULT_BUNDLE_DIR = Path(__file__).resolve().parent / "default_bundle"
MANIFEST = "manifest.json"
ENV_VAR = "SPEEDHINTS_BUNDLE"


class BundleError(RuntimeError):
    """A bundle that is missing, tampered with or incompatible; ``str(exc)`` is one line."""


def bundle_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The bundle to use: an explicit path, then $SPEEDHINTS_BUNDLE, then the one shipped in the package."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else DEFAULT_BUNDLE_DIR


def require_bundle(explicit: str | os.PathLike[str] | None = None) -> Path:
    path = bundle_dir(explicit)
    if not (path / MANIFEST).is_file():
        if path == DEFAULT_BUNDLE_DIR:
            raise BundleError(
                "no model bundle is installed: this build of speedhints ships without a trained model yet "
                f"(looked in {path}; set {ENV_VAR} to a bundle directory)"
            )
        raise BundleError(f"no model bundle at {path} (missing {MANIFEST})")
    return path
