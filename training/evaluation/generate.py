"""N candidate programs per input from each system: the trained models and the two baselines.

An edit-output model (``ModelConfig.output == "edit"``) decodes scripts of the marked input; each is applied to x
here, so every system's candidates are whole canonical programs and are scored and executed alike.

- Edit-VQVAE and VQVAE: one greedy decoding per codebook entry (N = K), ordered by code id; the latent prior's
  ranking of the K codes is kept alongside, for best-of-k "ranked by the prior".
- Edit-VAE: N latents drawn from its prior N(0, I), one greedy decoding each.
- Transformer, Transformer*: N samples at ``temperature`` (the paper samples the baseline for diversity).
- copy-input: ŷ = x, N times: a model only counts as better where it beats this.
- retrieval: the fast sides of the N training pairs whose slow side is nearest to x (ROUGE-4 F1 on canonical
  tokens, ties broken by ROUGE-1): what a lookup table of the training data suggests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from speedhints.model_export.bundle import sha256_file
from speedhints.model_export.editscript import ScriptCodec, ScriptError, apply, split_lines
from speedhints.training.data.similarity import code_tokens, rouge_n
from speedhints.training.dataset import PairRecord
from speedhints.training.evaluation.inputs import EvalInput


@dataclass(frozen=True)
class Candidates:
    samples: tuple[str, ...]  # canonical programs as decoded (may not parse)
    latents: tuple[int, ...] | None = None  # the code behind each sample (codebook models)
    prior_order: tuple[int, ...] | None = None  # sample indices, best first by the latent prior


class CandidateCache:
    """Generated candidates on disk (one JSONL per system and split), so an interrupted or repeated evaluation
    decodes each input once. A file whose fingerprint (weights + settings) differs is started afresh."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path, self.fingerprint = path, fingerprint
        self.entries: dict[str, Candidates] = {}
        cut = False
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            if lines and json.loads(lines[0]).get("fingerprint") == fingerprint:
                for line in lines[1:]:
                    try:
                        d = json.loads(line)
                    except json.JSONDecodeError:
                        cut = True  # a line cut by a kill: regenerate from here
                        break
                    self.entries[d["key"]] = Candidates(
                        tuple(d["samples"]),
                        None if d["latents"] is None else tuple(d["latents"]),
                        None if d["prior_order"] is None else tuple(d["prior_order"]),
                    )
        if not self.entries or cut:  # start the file afresh (keeping what was whole) so appends follow good lines
            path.parent.mkdir(parents=True, exist_ok=True)
            lines = [json.dumps({"fingerprint": fingerprint})]
            lines += [json.dumps({"key": k, **asdict(c)}) for k, c in self.entries.items()]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def get(self, key: str) -> Candidates | None:
        return self.entries.get(key)

    def put(self, key: str, cands: Candidates) -> None:
        self.entries[key] = cands
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"key": key, **asdict(cands)}) + "\n")


class CopyInput:
    name = "copy-input"

    def __init__(self, n_samples: int) -> None:
        self.n_samples = n_samples

    def candidates(self, x: EvalInput) -> Candidates:
        return Candidates((x.code,) * self.n_samples)


class Retrieval:
    name = "retrieval"

    def __init__(self, train: Sequence[PairRecord], n_samples: int) -> None:
        self.n_samples = n_samples
        fast_of: dict[str, list[str]] = {}
        for r in train:
            fast_of.setdefault(r.slow, [])
            if r.fast not in fast_of[r.slow]:
                fast_of[r.slow].append(r.fast)
        self.slows = [(code_tokens(slow), fasts) for slow, fasts in fast_of.items()]

    def candidates(self, x: EvalInput) -> Candidates:
        xt = code_tokens(x.code)
        ranked = sorted(self.slows, key=lambda s: (-rouge_n(xt, s[0], 4), -rouge_n(xt, s[0], 1)))
        out: list[str] = []
        for _, fasts in ranked:
            out += [f for f in fasts if f not in out]
            if len(out) >= self.n_samples:
                break
        return Candidates(tuple(out[: self.n_samples]) or (x.code,))


class ModelSampler:
    """A trained checkpoint's candidates (torch is imported here only)."""

    def __init__(self, name: str, ckpt: Path, n_samples: int, temperature: float, seed: int) -> None:
        import torch

        from speedhints.model_export.tokenizer import CodeTokenizer
        from speedhints.training.configs import RunConfig
        from speedhints.training.models.checkpoint import read_checkpoint
        from speedhints.training.models.speed_models import build_model

        payload = read_checkpoint(ckpt)
        self.run = RunConfig.from_dict(payload["run_config"])
        self.model = build_model(self.run.model)
        self.model.load_state_dict(payload["model"])
        self.model.eval()
        if not payload.get("tokenizer_json"):
            raise ValueError(f"{ckpt}: the checkpoint carries no tokenizer")
        self.tokenizer = CodeTokenizer.from_json(payload["tokenizer_json"])
        # An edit model reads x marked and writes a script of x: its samples are x with the script applied.
        self.codec = ScriptCodec(self.tokenizer) if self.run.model.output == "edit" else None
        self.malformed = 0  # edit scripts that did not parse or fit x (their sample is "": nothing to score)
        self.name = name
        self.n_samples = n_samples
        self.temperature = temperature
        self.seed = seed
        self.generator = torch.Generator()
        self.step = int(payload.get("step", 0))
        # What the candidates depend on: the weights, the sampling settings (a resumed evaluation reuses them).
        self.fingerprint = hashlib.sha256(
            f"{sha256_file(ckpt)}/{n_samples}/{temperature}/{seed}".encode()
        ).hexdigest()[:16]

    @property
    def max_len(self) -> int:
        return self.run.model.max_len

    def source_ids(self, code: str) -> list[int]:
        ids = self.tokenizer.encode(code) if self.codec is None else self.codec.encode_source(code)
        return [*ids, self.run.model.eos_id]

    def fits(self, x: EvalInput) -> bool:
        if self.codec is not None and len(split_lines(x.code)) > self.codec.max_lines:
            return False
        return len(self.source_ids(x.code)) <= self.max_len

    def program(self, x: str, out: list[int]) -> str:
        """A decoded output as a program: the program itself, or x with the decoded script applied."""
        if self.codec is None:
            return str(self.tokenizer.decode(out))
        try:
            program: str = apply(x, self.codec.decode_script(x, out))
            return program
        except ScriptError:
            self.malformed += 1
            return ""

    def candidates(self, x: EvalInput) -> Candidates:
        import torch

        from speedhints.training.models.decoding import greedy_decode
        from speedhints.training.models.speed_models import EditModel

        m = self.run.model
        ids = self.source_ids(x.code)
        # Seeded per input, so an input's samples do not depend on which inputs came before it.
        self.generator.manual_seed(int(hashlib.sha256(f"{self.seed}/{x.key}".encode()).hexdigest()[:15], 16))
        limit = min(m.max_len, 2 * len(ids) + 32)
        latents = prior = None
        with torch.no_grad():
            if isinstance(self.model, EditModel) and self.model.quantizer is not None:
                n = m.codebook_size
                src = torch.tensor([ids] * n)
                codes = torch.arange(n)
                z = self.model.quantizer.lookup(codes)
                logits = self.model.prior_logits(src[:1], src[:1] != m.pad_id)[0]
                prior = tuple(int(i) for i in torch.argsort(logits, descending=True, stable=True))
                latents = tuple(range(n))
                outs = greedy_decode(self.model.seq2seq, src, src != m.pad_id, z, m.bos_id, m.eos_id, limit)
            else:
                n = self.n_samples
                src = torch.tensor([ids] * n)
                z = None
                temperature = self.temperature
                if isinstance(self.model, EditModel):  # Edit-VAE: latents from its prior, greedy decoding
                    z = torch.randn(n, m.d_model, generator=self.generator)
                    temperature = 0.0
                outs = greedy_decode(
                    self.model.seq2seq, src, src != m.pad_id, z, m.bos_id, m.eos_id, limit,
                    temperature=temperature, generator=self.generator,
                )  # fmt: skip
        samples = tuple(self.program(x.code, o) for o in outs)
        return Candidates(samples, latents, prior)
