"""The model bundle: where it lives, its file layout, its manifest, and how a broken one is refused.

A bundle is a directory with fixed file names (optimum style) and a ``manifest.json`` that records the format
version, the model's shape, the training data and evaluation summaries, and the sha256 of every other file.
``load_bundle`` verifies all of it before the runtime opens a single ONNX file, so a tampered, truncated or
incompatible bundle is refused with one ``BundleError`` line instead of failing later in onnxruntime.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Any

from speedhints.model_export.atlas import Atlas, AtlasError

# The default bundle ships inside the installed package, so the hook needs no network.
DEFAULT_BUNDLE_DIR = Path(__file__).resolve().parent / "default_bundle"
MANIFEST = "manifest.json"
ENV_VAR = "SPEEDHINTS_BUNDLE"

FORMAT = "speedhints-bundle"
FORMAT_VERSION = 1  # bump when a file's meaning changes; the runtime refuses other versions

# Fixed file names. The decoder step takes several new tokens at once (speculative verification).
ENCODER = "encoder_model.onnx"  # (input_ids, z) -> cross_key.i / cross_value.i
DECODER = "decoder_with_past_model.onnx"  # (new tokens, positions, cache) -> logits, next_tokens, present.*
PRIOR = "prior_model.onnx"  # input_ids -> prior_logits over the K codes
CODEBOOK = "codebook.npy"  # (K, D) float32
TOKENIZER = "tokenizer.json"
ATLAS = "atlas.json"
GRAPHS = {"encoder": ENCODER, "decoder": DECODER, "prior": PRIOR}
PRECISIONS = ("fp32", "int8")
OUTPUTS = ("program", "edit")  # ModelSpec.output


def graph_file(role: str, precision: str) -> str:
    """File name of a graph at a precision: int8 files carry optimum's ``_quantized`` suffix."""
    name = GRAPHS[role]
    return name if precision == "fp32" else name.replace(".onnx", "_quantized.onnx")


class BundleError(RuntimeError):
    """A bundle that is missing, tampered with or incompatible; ``str(exc)`` is one line."""


@dataclass(frozen=True)
class ModelSpec:
    """What the runtime needs to know about the network to feed it (written by export from the model config)."""

    kind: str
    vocab_size: int
    d_model: int
    n_heads: int
    n_dec_layers: int
    codebook_size: int
    max_len: int
    pad_id: int
    bos_id: int
    eos_id: int
    # What the decoder writes: "program" (the whole fast program) or "edit" (an edit script of the marked input,
    # model_export/editscript.py; the bundle's tokenizer then carries the line tokens). Manifests written before
    # edit models existed have no such field: they hold program models.
    output: str = "program"
    # A copy head (training/models/seq2seq.py): the encoder graph also writes copy_key and copy_ids, the decoder
    # step reads them and writes log-probabilities. Manifests written before it: no copy head.
    copy: bool = False

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSpec:
        missing = [f.name for f in fields(cls) if f.name not in d and f.default is MISSING]
        if missing:
            raise BundleError(f"the manifest's model spec lacks {', '.join(missing)}")
        spec = cls(**{f.name: d[f.name] for f in fields(cls) if f.name in d})
        if spec.output not in OUTPUTS:
            raise BundleError(f"the manifest's model spec has output {spec.output!r}; this speedhints reads "
                              f"{' or '.join(OUTPUTS)}")
        return spec

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Bundle:
    path: Path
    manifest: dict[str, Any]
    spec: ModelSpec
    precision: str  # the precision the runtime should load (manifest's default unless asked otherwise)

    def file(self, name: str) -> Path:
        return self.path / name

    def graph(self, role: str) -> Path:
        return self.path / graph_file(role, self.precision)


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


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(path: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Add format fields and the sha256 of every file in ``path`` (but the manifest), and write it."""
    files = sorted(p.name for p in path.iterdir() if p.is_file() and p.name != MANIFEST)
    full = {"format": FORMAT, "format_version": FORMAT_VERSION, **manifest,
            "files": {name: sha256_file(path / name) for name in files}}
    (path / MANIFEST).write_text(json.dumps(full, indent=2, sort_keys=True) + "\n")
    return full


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BundleError(f"bundle at {path}: cannot read {MANIFEST} ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"bundle at {path}: {MANIFEST} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"bundle at {path}: {MANIFEST} is not a speedhints bundle manifest")
    return manifest


def write_atlas(path: Path, atlas: Atlas) -> dict[str, Any]:
    """Replace a bundle's atlas (e.g. with measured precision added) and re-seal its manifest: the atlas's
    sha256 and the manifest's ``atlas`` summary change, nothing else does. Returns the new manifest."""
    manifest = read_manifest(path)
    atlas.save(path / ATLAS)
    summary = dict(manifest.get("atlas") or {})
    summary["latents"] = len(atlas.latents)
    if atlas.latent_precision:
        summary["precision_measured"] = atlas.precision_measured
        summary["latents_measured"] = sum(r.shown > 0 for r in atlas.latent_precision)
    manifest["atlas"] = summary
    for key in ("format", "format_version", "files"):
        manifest.pop(key, None)
    return write_manifest(path, manifest)


def write_evaluation(path: Path, evaluation: dict[str, Any]) -> dict[str, Any]:
    """Replace a bundle's ``evaluation`` (e.g. with the shown figures ``speedhints eval --bundle`` measured) and
    re-seal its manifest; no file changes. Returns the new manifest."""
    manifest = read_manifest(path)
    manifest["evaluation"] = evaluation
    for key in ("format", "format_version", "files"):
        manifest.pop(key, None)
    return write_manifest(path, manifest)


def load_atlas(bundle: Bundle) -> Atlas:
    """The bundle's atlas (an empty one when it has none); BundleError when it cannot be read."""
    file = bundle.file(ATLAS)
    if not file.is_file():
        return Atlas()
    try:
        return Atlas.load(file, bundle.spec.codebook_size)
    except AtlasError as exc:
        raise BundleError(f"bundle at {bundle.path}: {exc}") from None


def load_bundle(
    explicit: str | os.PathLike[str] | None = None, precision: str | None = None, verify: bool = True
) -> Bundle:
    """Locate, check and describe a bundle; BundleError (one line) for anything missing, altered or too new."""
    path = require_bundle(explicit)
    manifest = read_manifest(path)
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise BundleError(
            f"bundle at {path} has format version {version}, this speedhints reads version {FORMAT_VERSION} "
            "(re-export the model with this version's `speedhints export`)"
        )
    try:
        spec = ModelSpec.from_dict(manifest.get("model", {}))
    except BundleError as exc:
        raise BundleError(f"bundle at {path}: {exc}") from None
    chosen = precision or manifest.get("default_precision", "fp32")
    if chosen not in manifest.get("precisions", []):
        have = ", ".join(manifest.get("precisions", []))
        raise BundleError(f"bundle at {path} has no {chosen} graphs (it has {have})")
    files: dict[str, str] = manifest.get("files", {})
    needed = [graph_file(role, chosen) for role in GRAPHS] + [CODEBOOK, TOKENIZER]
    for name in needed:
        if name not in files:
            raise BundleError(f"bundle at {path} is incomplete: the manifest lists no {name}")
    if verify:
        for name, digest in files.items():
            file = path / name
            if not file.is_file():
                raise BundleError(f"bundle at {path} is incomplete: {name} is missing")
            if sha256_file(file) != digest:
                raise BundleError(f"bundle at {path} was modified: {name} does not match its sha256 in the manifest")
    return Bundle(path, manifest, spec, chosen)
