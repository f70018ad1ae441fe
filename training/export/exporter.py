"""Checkpoint -> bundle: the three ONNX graphs, the codebook, tokenizer, atlas and manifest, each checked.

The check is part of export, not only of the tests: every graph is run in onnxruntime on inputs of shapes other
than the ones it was traced with (ragged padding and caches included) and compared with the torch module it came
from; the decoder adapter is also compared with the training code's own teacher-forced decoder. A difference
beyond the tolerance fails the export, so a bundle that exists has passed it. An edit model's graphs are also
compared on a script over a marked input (line tokens on both sides). The int8 variant is held to
agreement with fp32 on greedy tokens rather than to a float tolerance (quantisation moves logits by design).
"""

from __future__ import annotations

import json
import shutil
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from speedhints import __version__
from speedhints.model_export import bundle as fmt
from speedhints.model_export.atlas import Atlas, AtlasError
from speedhints.model_export.bundle import ModelSpec
from speedhints.model_export.editscript import ScriptCodec, ScriptError, diff
from speedhints.model_export.onnx_decoding import COPY_NAMES, Seq2SeqRunner, cross_names, make_session
from speedhints.model_export.tokenizer import CodeTokenizer
from speedhints.training.configs import RunConfig
from speedhints.training.export.graphs import DecoderStepGraph, EncoderGraph, PriorGraph, kv_names
from speedhints.training.models.checkpoint import read_checkpoint
from speedhints.training.models.speed_models import EditModel, build_model

OPSET = 17


class ExportError(RuntimeError):
    """Export refused or failed its check; one line."""


@dataclass
class ExportConfig:
    checkpoint: Path
    out: Path
    int8: bool = False  # also write *_quantized.onnx and make int8 the bundle's default precision
    tokenizer: Path | None = None  # default: the tokenizer stored in the checkpoint
    atlas: Path | None = None  # default: no atlas (hints say "latent N")
    evaluation: Path | None = None  # JSON of evaluation figures (issue #5) copied into the manifest
    atol: float = 1e-4  # fp32 onnxruntime vs torch: |a - b| <= atol + rtol * max|b|
    rtol: float = 1e-4
    int8_min_agreement: float = 0.95  # share of fp32 greedy tokens the int8 decoder must predict too
    check_pairs: Path | None = None  # pairs JSONL whose slow programs feed the int8 check (default: random ids)
    seed: int = 0


def spec_of(run: RunConfig) -> ModelSpec:
    m = run.model
    return ModelSpec(m.kind, m.vocab_size, m.d_model, m.n_heads, m.n_dec_layers, m.codebook_size, m.max_len,
                     m.pad_id, m.bos_id, m.eos_id, m.output, m.copy)


def load_checkpoint(path: Path) -> tuple[EditModel, RunConfig, dict[str, Any]]:
    try:
        ckpt = read_checkpoint(path)
    except FileNotFoundError:
        raise ExportError(f"{path}: no such checkpoint") from None
    except Exception as exc:  # torch.load raises many types for a file that is not a checkpoint
        raise ExportError(f"{path}: not a speedhints checkpoint ({type(exc).__name__})") from None
    run = RunConfig.from_dict(ckpt["run_config"])
    if not run.model.has_codebook:
        raise ExportError(f"{path}: a {run.model_name} model has no codebook; export takes edit-vqvae or vqvae")
    model = build_model(run.model)
    model.load_state_dict(ckpt["model"])
    assert isinstance(model, EditModel)
    return model.eval(), run, ckpt


# --------------------------------------------------------------------------------------------------------------
# graphs
# --------------------------------------------------------------------------------------------------------------


def export_graphs(model: EditModel, out: Path, spec: ModelSpec) -> None:
    """Write encoder, decoder step, prior (fp32 ONNX) and the codebook into ``out``."""
    n, h, hd = spec.n_dec_layers, spec.n_heads, spec.head_dim
    g = torch.Generator().manual_seed(0)
    b, s, t, p = 2, 5, 3, 4  # trace shapes; every axis that varies at run time is declared dynamic below
    ids = torch.randint(3, spec.vocab_size, (b, s), generator=g)
    z = torch.randn(b, spec.d_model, generator=g)
    enc = EncoderGraph(model).eval()
    dec = DecoderStepGraph(model).eval()
    cross, past = cross_names(n, spec.copy), kv_names("past", n)
    # cross K/V (B, H, S, hd): the source on axis 2; the copy head's keys (B, S, D) and ids (B, S): on axis 1
    cross_axes = {k: {0: "batch", 1 if k in COPY_NAMES else 2: "src"} for k in cross}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape checks that are constant in the graph
        _onnx(enc, (ids, z), out / fmt.ENCODER, ["input_ids", "z"], cross,
              {"input_ids": {0: "batch", 1: "src"}, "z": {0: "batch"}, **cross_axes})
        cross_kv = enc(ids, z)
        dec_in = (
            torch.randint(3, spec.vocab_size, (b, t), generator=g),
            torch.arange(p, p + t).repeat(b, 1),
            torch.ones(b, p, dtype=torch.bool),
            torch.ones(b, s, dtype=torch.bool),
            *cross_kv,
            *(torch.randn(b, h, p, hd, generator=g) for _ in range(2 * n)),
        )
        present = kv_names("present", n)
        axes: dict[str, dict[int, str]] = {
            "input_ids": {0: "batch", 1: "new"}, "position_ids": {0: "batch", 1: "new"},
            "past_mask": {0: "batch", 1: "past"}, "encoder_attention_mask": {0: "batch", 1: "src"},
            "logits": {0: "batch", 1: "new"}, "next_tokens": {0: "batch", 1: "new"},
        }
        axes.update(cross_axes)
        axes.update({k: {0: "batch", 2: "past"} for k in past})
        axes.update({k: {0: "batch", 2: "past_plus_new"} for k in present})
        _onnx(dec, dec_in, out / fmt.DECODER,
              ["input_ids", "position_ids", "past_mask", "encoder_attention_mask", *cross, *past],
              ["logits", "next_tokens", *present], axes)
        _onnx(PriorGraph(model).eval(), (ids,), out / fmt.PRIOR, ["input_ids"], ["prior_logits"],
              {"input_ids": {0: "batch", 1: "src"}, "prior_logits": {0: "batch"}})
    assert model.quantizer is not None
    np.save(out / fmt.CODEBOOK, model.quantizer.embed.detach().float().numpy())


def _onnx(module: torch.nn.Module, args: tuple[torch.Tensor, ...], path: Path, inputs: list[str],
          outputs: list[str], axes: dict[str, dict[int, str]]) -> None:
    # The TorchScript exporter: dynamic_axes express the ragged batch/length axes directly, and it exports these
    # small graphs in a fraction of a second.
    torch.onnx.export(module, args, str(path), input_names=inputs, output_names=outputs, dynamic_axes=axes,
                      opset_version=OPSET, dynamo=False, do_constant_folding=True)


# --------------------------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------------------------


def _close(name: str, got: np.ndarray, ref: np.ndarray, cfg: ExportConfig, figures: dict[str, float]) -> None:
    diff = float(np.abs(got - ref).max()) if ref.size else 0.0
    figures[name] = max(figures.get(name, 0.0), diff)
    bound = cfg.atol + cfg.rtol * (float(np.abs(ref).max()) if ref.size else 0.0)
    if not diff <= bound:  # also catches NaN
        raise ExportError(f"onnxruntime and torch disagree on {name}: max |diff| {diff:.3g} > tolerance {bound:.3g}")


def check_fp32(model: EditModel, out: Path, spec: ModelSpec, cfg: ExportConfig,
               codec: ScriptCodec | None = None) -> dict[str, float]:
    """Run each fp32 graph in onnxruntime at shapes unlike the traced ones; compare with torch (an edit model's
    also on a script over a marked input)."""
    g = torch.Generator().manual_seed(cfg.seed)
    n, h, hd = spec.n_dec_layers, spec.n_heads, spec.head_dim
    enc_s, dec_s, pri_s = (make_session(str(out / f)) for f in (fmt.ENCODER, fmt.DECODER, fmt.PRIOR))
    codebook = np.load(out / fmt.CODEBOOK)
    enc, dec, prior = EncoderGraph(model).eval(), DecoderStepGraph(model).eval(), PriorGraph(model).eval()
    figures: dict[str, float] = {}
    cross_in, past_names = cross_names(n, spec.copy), kv_names("past", n)
    for b, s, t, p in [(3, 9, 1, 0), (1, 4, 5, 7), (4, 12, 2, 6)]:
        ids = _ragged_ids(b, s, spec, g)
        z = torch.from_numpy(codebook[torch.randint(0, spec.codebook_size, (b,), generator=g).numpy()])
        with torch.no_grad():
            cross = enc(ids, z)
            ref_prior = prior(ids)
        got = enc_s.run(cross_in, {"input_ids": ids.numpy(), "z": z.numpy()})
        for name, a, r in zip(cross_in, got, cross, strict=True):
            _close(f"encoder {name}", a, r.numpy(), cfg, figures)
        _close("prior_logits", pri_s.run(["prior_logits"], {"input_ids": ids.numpy()})[0], ref_prior.numpy(), cfg,
               figures)
        past_mask = torch.rand(b, p, generator=g) < 0.7  # ragged caches: dead slots anywhere
        inputs = (
            torch.randint(3, spec.vocab_size, (b, t), generator=g),
            torch.randint(0, spec.max_len - t, (b, 1), generator=g) + torch.arange(t),
            past_mask,
            ids != spec.pad_id,
            *cross,
            *(torch.randn(b, h, p, hd, generator=g) for _ in range(2 * n)),
        )
        with torch.no_grad():
            ref = dec(*inputs)
        names = ["input_ids", "position_ids", "past_mask", "encoder_attention_mask", *cross_in, *past_names]
        got = dec_s.run(None, {k: v.numpy() for k, v in zip(names, inputs, strict=True)})
        _close("decoder logits", got[0], ref[0].numpy(), cfg, figures)
        for i, (a, r) in enumerate(zip(got[2:], ref[2:], strict=True)):
            _close(f"decoder present {i}", a, r.numpy(), cfg, figures)
    figures["adapter_vs_training_decoder"] = _check_adapter(model, spec, cfg, g)
    keep = ["decoder logits", "prior_logits", "adapter_vs_training_decoder"]
    if codec is not None:
        figures["edit_script_logits"] = _check_script(model, enc_s, dec_s, spec, cfg, codec)
        keep.append("edit_script_logits")
    return {k: v for k, v in figures.items() if k in keep}


# A marked input and its script: what an edit model's graphs see at run time, checked like the random ids above.
SCRIPT_X = "v0 = int(input())\nv1 = []\nfor v2 in range(v0):\n    v1 = v1 + [v2]\nprint(v1)\n"
SCRIPT_Y = "v0 = int(input())\nv1 = []\nfor v2 in range(v0):\n    v1.append(v2)\nprint(v1)\n"


def _check_script(model: EditModel, enc_s: Any, dec_s: Any, spec: ModelSpec, cfg: ExportConfig,
                  codec: ScriptCodec) -> float:
    """onnxruntime vs the training code's decoder, teacher-forced on a script over a marked input (line tokens in
    both the encoder's input and the decoder's), for two latents: the largest |logit difference|."""
    src = [*codec.encode_source(SCRIPT_X), spec.eos_id]
    tgt = [spec.bos_id, *codec.encode_script(SCRIPT_X, diff(SCRIPT_X, SCRIPT_Y))]
    if len(src) > spec.max_len or len(tgt) > spec.max_len:
        raise ExportError(f"the model's max_len {spec.max_len} is too short for the export's script check")
    b, n = 2, spec.n_dec_layers
    ids = torch.tensor([src] * b)
    assert model.quantizer is not None
    z = model.quantizer.embed[: b].detach()
    with torch.no_grad():
        mask = ids != spec.pad_id
        memory = model.seq2seq.encode(ids, mask, z)
        ref, _ = model.seq2seq.decode(torch.tensor([tgt] * b), model.seq2seq.cross_kv(memory), mask,
                                      copy=model.seq2seq.copy_source(memory, ids))
    cross = enc_s.run(cross_names(n, spec.copy), {"input_ids": ids.numpy(), "z": z.numpy()})
    feed = {"input_ids": np.array([tgt] * b, dtype=np.int64), "position_ids": np.tile(np.arange(len(tgt)), (b, 1)),
            "past_mask": np.zeros((b, 0), dtype=bool), "encoder_attention_mask": mask.numpy(),
            **dict(zip(cross_names(n, spec.copy), cross, strict=True)),
            **{k: np.zeros((b, spec.n_heads, 0, spec.head_dim), dtype=np.float32) for k in kv_names("past", n)}}
    figures: dict[str, float] = {}
    _close("decoder logits on a script over a marked input", dec_s.run(["logits"], feed)[0], ref.numpy(), cfg,
           figures)
    return figures["decoder logits on a script over a marked input"]


def _check_adapter(model: EditModel, spec: ModelSpec, cfg: ExportConfig, g: torch.Generator) -> float:
    """The export adapter's decoder step must compute what the training code's decoder computes."""
    b, s, t = 3, 10, 8
    ids = _ragged_ids(b, s, spec, g)
    tgt = torch.randint(3, spec.vocab_size, (b, t), generator=g)
    assert model.quantizer is not None
    z = model.quantizer.embed[torch.randint(0, spec.codebook_size, (b,), generator=g)]
    with torch.no_grad():
        mask = ids != spec.pad_id
        memory = model.seq2seq.encode(ids, mask, z)
        cross, copy = model.seq2seq.cross_kv(memory), model.seq2seq.copy_source(memory, ids)
        ref, _ = model.seq2seq.decode(tgt, cross, mask, copy=copy)  # teacher forcing from position 0
        empty = [torch.zeros(b, spec.n_heads, 0, spec.head_dim) for _ in range(2 * spec.n_dec_layers)]
        flat = [x for kv in cross for x in kv] + ([] if copy is None else list(copy))
        got = DecoderStepGraph(model)(tgt, torch.arange(t).repeat(b, 1), torch.zeros(b, 0, dtype=torch.bool), mask,
                                      *flat, *empty)[0]
    figures: dict[str, float] = {}
    _close("adapter vs training decoder", got.numpy(), ref.numpy(), cfg, figures)
    return figures["adapter vs training decoder"]


def _ragged_ids(b: int, s: int, spec: ModelSpec, g: torch.Generator) -> torch.Tensor:
    ids = torch.randint(3, spec.vocab_size, (b, s), generator=g)
    for i in range(1, b):  # rows after the first are shorter: right padding, as the runtime pads
        ids[i, s - i :] = spec.pad_id
    ids[torch.arange(b), (ids != spec.pad_id).sum(1) - 1] = spec.eos_id
    return ids


def quantize_int8(out: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))  # its "consider pre-processing"
    for role in fmt.GRAPHS:
        quantize_dynamic(out / fmt.graph_file(role, "fp32"), out / fmt.graph_file(role, "int8"),
                         weight_type=QuantType.QInt8)


def check_int8(out: Path, spec: ModelSpec, cfg: ExportConfig, sources: list[list[int]]) -> dict[str, float]:
    """Share of fp32 greedy tokens the int8 graphs predict too, teacher-forced on the fp32 output.

    ``sources`` should be real inputs (``--check-pairs``): on random token soup a small model's logits are flat
    and any quantisation flips them, which says nothing about real code.
    """
    rng = np.random.default_rng(cfg.seed)
    if not sources:
        sources = [[*rng.integers(3, spec.vocab_size, size=int(rng.integers(6, min(40, spec.max_len - 1)))).tolist(),
                    spec.eos_id] for _ in range(8)]
    codebook = np.load(out / fmt.CODEBOOK)
    rows = [(src, code) for src in sources for code in range(spec.codebook_size)][:64]
    z = codebook[[code for _, code in rows]]
    srcs = [src for src, _ in rows]
    fp32 = Seq2SeqRunner(make_session(str(out / fmt.ENCODER)), make_session(str(out / fmt.DECODER)), spec)
    int8 = Seq2SeqRunner(make_session(str(out / fmt.graph_file("encoder", "int8"))),
                         make_session(str(out / fmt.graph_file("decoder", "int8"))), spec)
    outs = fp32.greedy(srcs, z, max_new=spec.max_len - 2)
    same = total = 0
    for src, zi, y in zip(srcs, z, outs, strict=True):
        target = [*y, spec.eos_id][: spec.max_len - 1]
        predicted = int8.teacher_forced([src], zi[None], [spec.bos_id, *target[:-1]])[0]
        same += int((predicted == np.asarray(target)).sum())
        total += len(target)
    agreement = same / max(1, total)
    if agreement < cfg.int8_min_agreement:
        raise ExportError(f"int8 graphs predict only {agreement:.1%} of fp32 greedy tokens "
                          f"(< {cfg.int8_min_agreement:.0%}); export without --int8")
    return {"int8_token_agreement": agreement}


# --------------------------------------------------------------------------------------------------------------
# the bundle
# --------------------------------------------------------------------------------------------------------------


def export_bundle(cfg: ExportConfig) -> dict[str, Any]:
    """Write a complete, checked bundle to ``cfg.out`` (replacing what is there) and return its manifest."""
    model, run, ckpt = load_checkpoint(cfg.checkpoint)
    spec = spec_of(run)
    tokenizer_json = _tokenizer_json(cfg, ckpt)
    try:
        tok = CodeTokenizer.from_json(tokenizer_json)
    except Exception as exc:
        raise ExportError(f"the tokenizer cannot be loaded ({type(exc).__name__}: {exc})") from None
    if (tok.vocab_size, tok.pad_id, tok.bos_id, tok.eos_id) != (spec.vocab_size, spec.pad_id, spec.bos_id,
                                                                  spec.eos_id):
        raise ExportError(f"the tokenizer (vocab {tok.vocab_size}) does not match the model (vocab "
                          f"{spec.vocab_size}) or its pad/bos/eos ids")
    codec = ScriptCodec(tok) if spec.output == "edit" else None
    if codec is not None and codec.tokenizer is not tok:  # the bundle's tokenizer is the one the runtime reads
        raise ExportError("an edit model needs the tokenizer with the line tokens (the one its checkpoint stores)")
    atlas = Atlas()
    if cfg.atlas is not None:
        try:
            atlas = Atlas.load(cfg.atlas, spec.codebook_size)
        except AtlasError as exc:
            raise ExportError(str(exc)) from None
    evaluation = json.loads(cfg.evaluation.read_text()) if cfg.evaluation else {}

    tmp = cfg.out.with_name(cfg.out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    export_graphs(model, tmp, spec)
    checks = check_fp32(model, tmp, spec, cfg, codec)
    precisions = ["fp32"]
    if cfg.int8:
        quantize_int8(tmp)
        checks.update(check_int8(tmp, spec, cfg, _check_sources(cfg, tok, spec, codec)))
        precisions.append("int8")
    (tmp / fmt.TOKENIZER).write_text(tokenizer_json, encoding="utf-8")
    atlas.save(tmp / fmt.ATLAS)
    manifest = fmt.write_manifest(tmp, {
        "model": spec.to_dict(),
        "model_name": run.model_name,
        "config_name": run.config_name,
        "model_config": asdict(run.model),
        "training": {
            "pairs": ckpt.get("source", ""),
            "steps": ckpt.get("step"),
            "best_val_loss": ckpt.get("best_val"),
            "train_config": asdict(run.train),
        },
        "evaluation": evaluation,
        "atlas": {"latents": len(atlas.latents), "source": str(cfg.atlas) if cfg.atlas else None},
        "precisions": precisions,
        "default_precision": "int8" if cfg.int8 else "fp32",
        "export_check": {"atol": cfg.atol, "rtol": cfg.rtol, **checks},
        "opset": OPSET,
        "exported_by": f"speedhints {__version__}",
    })
    shutil.rmtree(cfg.out, ignore_errors=True)
    tmp.rename(cfg.out)  # a failed export leaves no half-written bundle under the real name
    return dict(manifest)


def _check_sources(cfg: ExportConfig, tok: CodeTokenizer, spec: ModelSpec,
                   codec: ScriptCodec | None = None) -> list[list[int]]:
    if cfg.check_pairs is None:
        return []
    sources: list[list[int]] = []
    try:
        lines = cfg.check_pairs.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ExportError(f"{cfg.check_pairs}: cannot read ({exc.strerror or exc})") from None
    for line in lines:
        try:
            slow = json.loads(line)["slow"]
            ids = [*(tok.encode(slow) if codec is None else codec.encode_source(slow)), spec.eos_id]
        except ScriptError:  # more lines than an edit model addresses
            continue
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ExportError(f"{cfg.check_pairs}: not a pairs JSONL file (need a \"slow\" field)") from None
        if len(ids) < spec.max_len and ids not in sources:
            sources.append(ids)
        if len(sources) == 16:
            break
    return sources


def _tokenizer_json(cfg: ExportConfig, ckpt: dict[str, Any]) -> str:
    if cfg.tokenizer is not None:
        try:
            return cfg.tokenizer.read_text(encoding="utf-8")
        except OSError as exc:
            raise ExportError(f"{cfg.tokenizer}: cannot read tokenizer ({exc.strerror or exc})") from None
    stored = ckpt.get("tokenizer_json")
    if not stored:
        raise ExportError("the checkpoint carries no tokenizer; pass --tokenizer")
    return str(stored)
