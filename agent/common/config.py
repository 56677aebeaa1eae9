"""Settings: config.yaml, overridden by AIOPS_* environment variables, validated by pydantic."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from agent.common.paths import DEFAULT_CONFIG_PATH
from agent.common.providers import OFFLINE_MODEL


class ConfigError(Exception):
    """The configuration is invalid; the message names the key and the fix."""


def _text_list(value: Any) -> Any:
    """A list setting given as text (an environment variable): a JSON list, or items separated by
    commas ("openai/gpt-4o, anthropic/claude-sonnet-4-5"); "" is the empty list."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            raise ValueError("looks like a JSON list but is not valid JSON") from None
    return [item.strip() for item in text.split(",") if item.strip()]


# A list of strings that an environment variable may give as JSON or comma-separated (pydantic-
# settings would only take JSON, and fail with a traceback on anything else).
TextList = Annotated[list[str], NoDecode, BeforeValidator(_text_list)]
_LIST_HINT = "a comma-separated list (a,b) or a JSON list ([\"a\", \"b\"])"


class InputLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_reply_chars: int = Field(4000, ge=100, le=200_000)


class RetrievalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # wordllama (offline, default) | onnx-minilm (Chroma's; downloads once) | a LiteLLM embedding model
    embedding: str = "wordllama"
    embedding_dim: int = Field(256, ge=64, le=256)
    lexical: bool = True  # fuse the vector ranking with BM25
    expand_queries: bool = True  # add the model's terms for everyday phrasings (knowledge/thesaurus.yaml)
    top_k: int = Field(4, ge=1, le=20)
    download_timeout_seconds: float = Field(20, gt=0, le=600)
    max_document_bytes: int = Field(2_000_000, ge=1_000)
    # Where the bundled corpus lives; null = the package's knowledge/ folder.
    corpus_dir: Path | None = None


class ChromaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str | None = None  # set to use a Chroma server (HttpClient) instead of the local store
    port: int = Field(8000, ge=1, le=65535)
    ssl: bool = False


class StorageSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # null: sessions as SQLite files under data_dir, organizations in data_dir/organizations.sqlite.
    # postgresql://…: both on that Postgres server (several web workers share it; docs/deploy.md).
    url: str | None = None


class Settings(BaseSettings):
    """Everything configurable. Loaded by `load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="AIOPS_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    model: str = OFFLINE_MODEL
    fallbacks: TextList = Field(default_factory=list)
    offline_fallback: bool = True
    temperature: float = Field(0.2, ge=0.0, le=2.0)
    timeout_seconds: float = Field(60, gt=0)
    num_retries: int = Field(2, ge=0, le=10)
    # After a failure that retrying cannot fix (rejected key, no quota, unknown model): ask the user
    # whether to continue on the next model (terminal; the web page tells and continues), always
    # continue, or stop (the session is saved).
    on_permanent_error: Literal["ask", "fallback", "stop"] = "ask"
    # Ollama loads a model on its first request, which can take minutes: that call may take this long.
    first_load_timeout_seconds: float = Field(300, gt=0)
    # All model calls for one reply (retries and fallbacks included) share this many seconds.
    reply_timeout_seconds: float | None = Field(120, gt=0)
    api_base: str | None = None
    confidence_threshold: float = Field(0.6, ge=0.0, le=1.0)
    # How structured output is requested: auto picks JSON schema where LiteLLM says the model
    # supports it, else tool calling, else JSON mode with the schema in the prompt.
    structured_output: Literal["auto", "json_schema", "tools", "json_mode"] = "auto"
    # Replace e-mails, phone numbers, keys, card numbers and IP addresses before text goes to a
    # provider (the local transcript keeps them).
    redact_pii: bool = True
    # Stop paid model calls in a session once its cost reaches this many USD (null: no limit).
    budget_usd: float | None = Field(None, gt=0)
    data_dir: Path = Path("~/.local/share/aiops-assess")
    # A turn waits this long for another process's turn on the same session (one writer at a time).
    session_wait_seconds: float = Field(10, ge=0)
    input: InputLimits = Field(default_factory=InputLimits)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)

    @field_validator("model")
    @classmethod
    def _model_nonempty(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("must be a LiteLLM model string such as openai/gpt-5.4-mini or offline/rubric")
        return v

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return Path(os.path.expandvars(str(v))).expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file (passed as init kwargs); no .env or secrets dir.
        return (env_settings, init_settings)

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir / "sessions"

    @property
    def storage_url(self) -> str:
        """The organization store's database URL (SQLite under data_dir unless storage.url is set)."""
        return self.storage.url or f"sqlite:///{self.data_dir / 'organizations.sqlite'}"

    @property
    def index_dir(self) -> Path:
        """The local Chroma store and the organization's added documents."""
        return self.data_dir / "index"


def config_file(path: Path | str | None = None) -> Path:
    """The config file `load_settings(path)` reads: `path`, else AIOPS_CONFIG, else config.yaml
    beside the project (which may not exist: the defaults apply then)."""
    return Path(path or os.environ.get("AIOPS_CONFIG") or DEFAULT_CONFIG_PATH).expanduser()


def load_settings(path: Path | str | None = None) -> Settings:
    """Read config (default: config.yaml beside the project, or AIOPS_CONFIG) and apply env overrides."""
    explicit = path is not None or "AIOPS_CONFIG" in os.environ
    p = config_file(path)
    data: dict = {}
    if p.exists():
        try:
            loaded = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"Cannot read config file {p}: {exc}. Fix the YAML or pass --config with another file.") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"Config file {p} must be a mapping of keys (model: ..., data_dir: ...).")
        data = loaded or {}
    elif explicit:
        raise ConfigError(f"Config file {p} does not exist. Pass an existing file with --config, or omit it.")
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise _invalid(exc.errors()[0]["loc"], exc.errors()[0]["msg"], p) from exc
    except SettingsError as exc:  # an environment variable pydantic-settings could not even parse
        field = re.search(r'field "([^"]+)"', str(exc))
        raise _invalid((field.group(1),) if field else (), "cannot be parsed", p) from exc


def _invalid(loc: tuple, msg: str, path: Path) -> ConfigError:
    """One message for an invalid setting: which key, which environment variable, what to do."""
    loc = tuple(x for x in loc if isinstance(x, str)) or loc  # list positions: the setting is the list
    key = ".".join(str(x) for x in loc) or "(top level)"
    env = "AIOPS_" + "__".join(str(x) for x in loc).upper()
    msg = msg.removeprefix("Value error, ")
    field = Settings.model_fields.get(str(loc[0])) if loc else None
    hint = ""
    if field is not None and field.annotation == list[str]:
        hint = f" It takes {_LIST_HINT}."
    elif len(loc) == 1 and field is not None and isinstance(field.annotation, type) \
            and issubclass(field.annotation, BaseModel):
        hint = f" It takes a JSON object, or set its keys one by one ({env}__KEY=value)."
    if any(name.upper() == env for name in os.environ):  # pydantic-settings ignores the case of names
        then = f"{path} or the default" if path.exists() else "the default"
        return ConfigError(f"Invalid environment variable {env} (config key '{key}'): {msg}.{hint} "
                           f"Fix it, or unset it to use {then}.")
    return ConfigError(f"Invalid config key '{key}': {msg}.{hint} Fix it in {path} or in the environment "
                       f"variable {env}.")
