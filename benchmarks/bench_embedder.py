"""MiniLM encode time on ONNX Runtime and on PyTorch, by batch shape: the evidence for
which texts the embedder sends to ONNX (``knowledge.embedder.onnx_is_faster``).

Run with `make bench` (or `python -m benchmarks.bench_embedder`). Writes
benchmarks/results/embedder.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from knowledge.embedder import SentenceTransformerEmbedder, onnx_is_faster

ROOT = Path(__file__).resolve().parents[1]
SHAPES = [(3, 60), (3, 300), (3, 600), (16, 60), (16, 600), (16, 1200)]  # texts, characters
SENTENCE = "The family were upset and I kept going over what I could have done. "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    torch_embedder = SentenceTransformerEmbedder(runtime="torch")
    onnx = SentenceTransformerEmbedder(runtime="onnx")
    torch_embedder.embed_query("warm up")
    onnx.embed_query("warm up")
    encoder = onnx._onnx
    if encoder is None:
        raise SystemExit("ONNX Runtime could not run the model: see the log")
    rows = []
    for count, chars in SHAPES:
        texts = [(f"{i} " + SENTENCE * (chars // len(SENTENCE) + 1))[:chars] for i in range(count)]
        timings = {}
        for name, encode in (
            ("onnx", lambda t: encoder.encode(t)),
            ("torch", lambda t: torch_embedder._load().encode(t)),  # type: ignore[attr-defined]
        ):
            encode(texts)
            began = time.perf_counter()
            for _ in range(args.repeats):
                encode(texts)
            timings[name] = (time.perf_counter() - began) / args.repeats * 1000
        rows.append(
            {"texts": count, "characters": chars, **timings, "sent_to_onnx": onnx_is_faster(texts)}
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "embedder.json").write_text(json.dumps(rows, indent=2))
    print(f"| texts x characters | ONNX ms | PyTorch ms | sent to ONNX |  (warm, x{args.repeats})")
    print("|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['texts']} x {r['characters']} | {r['onnx']:.0f} | {r['torch']:.0f} | "
            f"{'yes' if r['sent_to_onnx'] else 'no'} |"
        )


if __name__ == "__main__":
    main()
