"""Dataclass configs for the models and their training, and the named presets ``tiny``, ``cpu`` and ``paper``.

Both dataclasses are saved inside every checkpoint (as plain dicts), so a checkpoint alone rebuilds its model
and its run. No torch here: the CLI and export read configs without loading the training stack.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

# Model names accepted by `speedhints train MODEL`; transformer-star = transformer on a filtered set.
MODEL_NAMES = ("edit-vqvae", "transformer", "transformer-star", "vqvae", "edit-vae")
# What the decoder writes (ModelConfig.output): the whole fast program, or an edit script of the input
# (model_export/editscript.py: hunks over x's lines; the encoder then reads x with line tokens).
OUTPUTS = ("program", "edit")
# The architecture behind each model name (ModelConfig.kind).
MODEL_KINDS = {
    "edit-vqvae": "edit-vqvae",
    "transformer": "transformer",
    "transformer-star": "transformer",
    "vqvae": "vqvae",
    "edit-vae": "edit-vae",
}


@dataclass
class ModelConfig:
    """The architecture; defaults are the paper's (§4.2): d_model 128, 8 heads, d_ff 512, 6+6 layers, K 64."""

    kind: str = "edit-vqvae"  # transformer | edit-vqvae | vqvae | edit-vae
    vocab_size: int = 8192
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    d_model: int = 128
    n_heads: int = 8
    d_ff: int = 512
    n_enc_layers: int = 6  # g_phi's encoder over x (+ z_edit)
    n_dec_layers: int = 6  # g_phi's decoder producing y
    n_latent_layers: int = 6  # f_theta, the encoder shared by x and y (latent models only)
    dropout: float = 0.1
    max_len: int = 512  # positional table size: longest source or target, BOS/EOS included
    codebook_size: int = 64  # K
    commitment: float = 0.25  # beta of the VQ-VAE commitment loss
    ema_decay: float = 0.99  # codebook EMA
    dead_code_fraction: float = 0.03  # a code is dead when its EMA use falls below this share of a uniform code's
    kl_weight: float = 1.0  # Edit-VAE only
    prior_weight: float = 1.0  # weight of the latent prior's cross-entropy (VQ models)
    # "program" | "edit" (OUTPUTS). Here, not in TrainConfig, because it is part of the model's interface: it fixes
    # the vocabulary (line tokens), what the encoder reads and what export and the runtime must do with the output.
    # Checkpoints written before it existed read back as "program", which is what they are.
    output: str = "program"
    # A copy head (pointer-generator, See et al. 2017): each output token's distribution mixes the vocabulary's with
    # an attention over the source tokens, so copying an input line (most of a speed edit) and pointing at a line
    # token is one attention, not a token-by-token regeneration. Part of the interface for the same reason as
    # ``output``: the decoder step reads the source ids and writes log-probabilities. Older checkpoints: False.
    copy: bool = False

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model {self.d_model} is not divisible by n_heads {self.n_heads}")
        if self.kind not in ("transformer", "edit-vqvae", "vqvae", "edit-vae"):
            raise ValueError(f"unknown model kind {self.kind!r}")
        if self.output not in OUTPUTS:
            raise ValueError(f"unknown output {self.output!r}; choose one of {', '.join(OUTPUTS)}")

    @property
    def has_latent(self) -> bool:
        return self.kind != "transformer"

    @property
    def has_codebook(self) -> bool:
        return self.kind in ("edit-vqvae", "vqvae")


@dataclass
class TrainConfig:
    """The optimisation and the data pipeline (nanoGPT-style: warmup then cosine decay to min_lr)."""

    batch_size: int = 16  # pairs per optimizer step (across all DDP ranks)
    learning_rate: float = 0.01  # the paper's peak LR
    min_lr: float = 1e-4
    warmup_steps: int = 4000
    max_steps: int = 200_000
    lr_decay_steps: int = 200_000  # cosine decay ends here; kept separate so stopping early never changes the schedule
    weight_decay: float = 0.0
    beta1: float = 0.9
    beta2: float = 0.98
    grad_clip: float = 1.0
    max_len: int = 512  # pairs whose source or target (BOS/EOS included) is longer are dropped, not truncated
    bucket_chunk: int = 50  # batches per sort-by-length chunk: larger = less padding, less randomness
    eval_interval: int = 1000
    eval_batches: int = 20  # validation batches for the loss
    exact_match_batches: int = 4  # validation batches decoded greedily for the exact-match rate
    log_interval: int = 50
    ckpt_interval: int = 1000
    seed: int = 1337
    max_speedup_only: bool = False  # Transformer*: keep only each input's max-speedup pair
    # Dead-code restarts stop after this fraction of lr_decay_steps: a restart moves pairs to another code, and
    # late moves leave the decoder and the latent prior no time to follow.
    code_restart_until: float = 0.8

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.max_steps < 0 or self.warmup_steps < 0:
            raise ValueError("batch_size must be >= 1 and steps >= 0")


@dataclass
class RunConfig:
    """Everything a run needs besides the data: the model name, its architecture and its training."""

    model_name: str = "edit-vqvae"
    config_name: str = "paper"
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        return cls(
            model_name=d["model_name"],
            config_name=d["config_name"],
            model=_from_dict(ModelConfig, d["model"]),
            train=_from_dict(TrainConfig, d["train"]),
        )


def _from_dict(cls: Any, d: dict[str, Any]) -> Any:
    # Ignore keys a newer version wrote and an older one does not know, so old code can still read the config.
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in d.items() if k in known})


# Named presets: (model overrides, train overrides) over the paper's defaults.
PRESETS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # Seconds on one CPU thread: overfits a handful of short pairs.
    "tiny": (
        dict(
            d_model=32,
            n_heads=4,
            d_ff=64,
            n_enc_layers=1,
            n_dec_layers=1,
            n_latent_layers=1,
            dropout=0.0,
            max_len=64,
            codebook_size=4,
        ),
        dict(
            batch_size=8,
            learning_rate=3e-3,
            min_lr=3e-4,
            warmup_steps=20,
            max_steps=300,
            lr_decay_steps=300,
            max_len=64,
            eval_interval=100,
            eval_batches=2,
            exact_match_batches=1,
            log_interval=25,
            ckpt_interval=100,
            bucket_chunk=4,
            code_restart_until=0.5,
        ),
    ),
    # The most useful model that trains in <= 2 h on the shared 2-core CPU box. Measured with
    # benchmarks/bench_train.py (1 thread, load ~6, real token lengths): Edit-VQVAE at the paper's width
    # (128/8/512, K 64) runs 2.0 s/step with 2+2 (+2 latent) layers and 3.2 s/step with 3+3 (+3), so 2 layers
    # give ~3,500 steps in 2 h at the benchmark's 2.0 s/step where 6 layers would give ~1,000. Width is kept
    # because the latent and codebook live in it; sources and targets are capped at 256 tokens (about the
    # 95th percentile of tokenised solutions: 92% of pairs kept, 3% padding). The peak LR is 2e-3 with a short
    # warm-up: the paper's 0.01 needs the long warm-up a 2 h budget cannot afford. The full run measured
    # 2.7 s/step with two runs sharing the 2 cores, so the schedule is 2,000 steps (32k pairs, ~8 epochs of the
    # 3.8k training pairs), which ends within ~1.5 h and leaves the second core to the Transformer baseline.
    "cpu": (
        dict(n_enc_layers=2, n_dec_layers=2, n_latent_layers=2, max_len=256),
        dict(
            batch_size=16,
            learning_rate=2e-3,
            min_lr=1e-4,
            warmup_steps=300,
            max_steps=2_000,
            lr_decay_steps=2_000,
            max_len=256,
            eval_interval=500,
            eval_batches=20,
            exact_match_batches=2,
            log_interval=50,
            ckpt_interval=250,
        ),
    ),
    # The paper's hyper-parameters (§4.2).
    "paper": ({}, {}),
}


def make_run_config(model_name: str, config_name: str, **model_overrides: Any) -> RunConfig:
    """The named preset for MODEL; ``model_overrides`` set tokenizer fields (vocab_size, pad/bos/eos ids)."""
    if model_name not in MODEL_NAMES:
        raise ValueError(f"unknown model {model_name!r}; choose one of {', '.join(MODEL_NAMES)}")
    if config_name not in PRESETS:
        raise ValueError(f"unknown config {config_name!r}; choose one of {', '.join(PRESETS)}")
    model_over, train_over = PRESETS[config_name]
    model = ModelConfig(kind=MODEL_KINDS[model_name], **{**model_over, **model_overrides})
    train = TrainConfig(**train_over)
    if model_name == "transformer-star":
        train = replace(train, max_speedup_only=True)
    return RunConfig(model_name=model_name, config_name=config_name, model=model, train=train)
