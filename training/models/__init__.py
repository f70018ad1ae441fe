"""The models of issue #4 (imports torch: load this package only from training code)."""

from speedhints.training.models.base import Batch, ModelOutput
from speedhints.training.models.decoding import decode_per_code, greedy_decode
from speedhints.training.models.speed_models import EditModel, SpeedModel, TransformerModel, build_model

__all__ = [
    "Batch",
    "EditModel",
    "ModelOutput",
    "SpeedModel",
    "TransformerModel",
    "build_model",
    "decode_per_code",
    "greedy_decode",
]
