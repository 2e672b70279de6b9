"""Knowledge-layer benchmark: query latency at 1k and 10k chunks, and ingestion
throughput beside the raw encode throughput of the same model on the same machine.

Run with `make bench` (or `python -m benchmarks.bench_knowledge [--quick]`).
Writes benchmarks/results/knowledge.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from coach.settings import Settings
from knowledge.base import KnowledgeBase
from knowledge.cards import load_builtin_cards
from knowledge.chunking import chunk_document
from knowledge.embedder import SentenceTransformerEmbedder
from knowledge.evaluation import load_queries
from knowledge.parsers import parse_bytes
from knowledge.store import ChromaStore
from knowledge.text import words
from knowledge.types import Chunk

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "tests" / "data" / "retrieval_queries.yaml"
SECTIONS_PER_FILE = 20
WORDS_PER_SECTION = 100


def vocabulary() -> list[str]:
    vocab = [w for c in load_builtin_cards() for w in words(c.raw.decode("utf-8")) if len(w) > 2]
    return sorted(set(vocab))


def write_corpus(folder: Path, files: int, seed: int) -> None:
    """Synthetic Markdown files: each section one chunk of ~100 words."""
    rng = random.Random(seed)
    vocab = vocabulary()
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        lines = [f"# Synthetic document {seed}-{f}", ""]
        for s in range(SECTIONS_PER_FILE):
            body = " ".join(rng.choice(vocab) for _ in range(WORDS_PER_SECTION))
            lines += [f"## Section {s} {rng.choice(vocab)}", "", body.capitalize() + ".", ""]
        (folder / f"doc-{seed}-{f:05d}.md").write_text("\n".join(lines), encoding="utf-8")


def corpus_texts(folder: Path, settings: Settings) -> list[str]:
    """The exact texts ingestion will embed, for the raw-encode comparison."""
    texts = []
    for path in sorted(folder.glob("*.md")):
        doc = parse_bytes(path, path.read_bytes())
        pieces = chunk_document(doc, settings.chunk_words, settings.chunk_overlap_words)
        for i, piece in enumerate(pieces):
            chunk = Chunk(str(i), piece.text, str(path), doc.title, piece.heading, i, "")
            texts.append(chunk.embedding_text())
    return texts


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def query_latency(kb: KnowledgeBase, queries: list[str], n: int) -> dict[str, float]:
    for q in queries[:20]:  # warm: model, HNSW pages, lexical index
        kb.search(q, 5)
    samples = []
    for i in range(n):
        q = queries[i % len(queries)]
        start = time.perf_counter()
        kb.search(q, 5)
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "queries": n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 chunks instead")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    small, large = (100, 1_000) if args.quick else (1_000, 10_000)
    queries = [q.query for q in load_queries(QUERIES)]

    embedder = SentenceTransformerEmbedder()
    embedder.embed_query("warm up")
    results: dict[str, object] = {
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "model": embedder.name,
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        settings = Settings(data_dir=tmpdir / "data")
        kb = KnowledgeBase(
            ChromaStore.from_settings(settings),
            embedder,
            chunk_words=settings.chunk_words,
            overlap_words=settings.chunk_overlap_words,
        )
        kb.ensure_cards()  # the cards are part of every real index; index them first
        small_dir = tmpdir / "small"
        write_corpus(small_dir, small // SECTIONS_PER_FILE, seed=1)

        texts = corpus_texts(small_dir, settings)
        start = time.perf_counter()
        embedder.embed_documents(texts)
        raw_rate = len(texts) / (time.perf_counter() - start)

        start = time.perf_counter()
        report = kb.ingest([small_dir])
        ingest_rate = report.chunks_written / (time.perf_counter() - start)
        results["ingestion"] = {
            "chunks": report.chunks_written,
            "raw_encode_chunks_per_s": round(raw_rate, 1),
            "ingest_chunks_per_s": round(ingest_rate, 1),
            "ratio": round(ingest_rate / raw_rate, 3),
        }
        results[f"query_{small}"] = {"chunks": kb.store.count(), **query_latency(kb, queries, 200)}

        large_dir = tmpdir / "large"
        write_corpus(large_dir, (large - small) // SECTIONS_PER_FILE, seed=2)
        kb.ingest([large_dir])
        results[f"query_{large}"] = {"chunks": kb.store.count(), **query_latency(kb, queries, 200)}

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "knowledge.json").write_text(json.dumps(results, indent=2))
    ing = results["ingestion"]
    assert isinstance(ing, dict)
    print(f"knowledge benchmark ({results['machine']}, {results['model']})")
    print("| measure | value |\n|---|---|")
    for size in (small, large):
        q = results[f"query_{size}"]
        assert isinstance(q, dict)
        latency = f"{q['p50_ms']} / {q['p95_ms']} ms"
        print(f"| hybrid query p50 / p95, {q['chunks']} chunks | {latency} |")
    print(f"| raw encode | {ing['raw_encode_chunks_per_s']} chunks/s |")
    print(
        f"| ingestion ({ing['chunks']} chunks) | {ing['ingest_chunks_per_s']} chunks/s "
        f"({ing['ratio']:.0%} of raw encode) |"
    )


if __name__ == "__main__":
    main()
