"""Crisis and support resources for the escalation path.

National lines ship as package data (``guardrails/resources.yaml``); the deploying
organisation adds its own entries (peer support team, EAP, occupational health) and
its on-call webhook in the YAML file named by ``COACH_ORG_CONFIG``. Loading needs
nothing but Python and that data, so escalation works when every other service is down.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources as package_files
from pathlib import Path
from typing import Any, Literal, cast, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Locale = Literal["US", "UK", "IE", "AU"]
LOCALES: tuple[str, ...] = get_args(Locale)
ResourceKind = Literal["emergency", "crisis", "clinician", "peer"]
HowToReach = Literal["call", "text", "web"]

_KIND_RANK: dict[str, int] = {"emergency": 0, "crisis": 1, "clinician": 2, "peer": 2}
_HTTPS = re.compile(r"^https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?:[/?#]\S*)?$")
_HTTP_ANY = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d{1,5})?(?:[/?#]\S*)?$")
_TEXT_CODE = re.compile(r"^(?:(?P<keyword>[A-Za-z0-9]+) to )?(?P<number>\+?[0-9][0-9 ]*)$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]*$")


class ResourceConfigError(ValueError):
    """Resource data or the organisation's config cannot be used."""


class UnknownLocaleError(ResourceConfigError):
    """No resources exist for the requested locale."""


class OrgConfigError(ResourceConfigError):
    """The organisation's ``COACH_ORG_CONFIG`` file is missing or malformed."""


class Resource(BaseModel):
    """One human support option: a number to call, a code to text or a page to visit."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")
    name: str = Field(min_length=1, max_length=120)
    contact: str = Field(min_length=1, max_length=200)
    how: HowToReach
    hours: str = Field(min_length=1, max_length=80)
    for_clinicians: bool
    description: str = Field(min_length=1, max_length=300)
    source: str | None = None
    kind: ResourceKind
    organisation: bool = False  # set by the loader for COACH_ORG_CONFIG entries

    @field_validator("name", "hours", "description")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value:
            raise ValueError("must be a single line")
        return value

    @field_validator("source")
    @classmethod
    def _https_source(cls, value: str | None) -> str | None:
        if value is not None and not _HTTPS.match(value):
            raise ValueError("source must be the https:// URL of the page that states the number")
        return value

    @model_validator(mode="after")
    def _contact_matches_how(self) -> Resource:
        if self.how == "call" and not _PHONE.match(self.contact):
            raise ValueError(f"contact {self.contact!r} is not a phone number (how: call)")
        if self.how == "text" and not _TEXT_CODE.match(self.contact):
            raise ValueError(
                f"contact {self.contact!r} must be a number or 'KEYWORD to NUMBER' (how: text)"
            )
        if self.how == "web" and not _HTTPS.match(self.contact):
            raise ValueError(f"contact {self.contact!r} must be an https:// URL (how: web)")
        return self

    @property
    def href(self) -> str:
        """A ``tel:``, ``sms:`` or ``https:`` link the UI can render."""
        if self.how == "web":
            return self.contact
        if self.how == "text":
            match = _TEXT_CODE.match(self.contact)
            assert match is not None  # checked by the validator
            number = re.sub(r"[^0-9+]", "", match["number"])
            keyword = match["keyword"]
            return f"sms:{number}?body={keyword}" if keyword else f"sms:{number}"
        return "tel:" + re.sub(r"[^0-9+]", "", self.contact)


class LocaleResources(BaseModel):
    """The organisation's and the national entries for one locale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    locale: Locale
    organisation: tuple[Resource, ...] = ()
    national: tuple[Resource, ...]

    def ordered(self) -> list[Resource]:
        """Organisation entries first, then emergency, crisis, clinician and peer lines."""
        national = sorted(self.national, key=lambda r: _KIND_RANK[r.kind])
        return [*self.organisation, *national]


class ResourceCatalogue(BaseModel):
    """The shipped national resources (``guardrails/resources.yaml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    sources_checked: str = Field(pattern=r"^\d{4}-\d{2}$")
    locales: dict[Locale, tuple[Resource, ...]]

    @field_validator("sources_checked", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | str) else value

    @model_validator(mode="after")
    def _complete(self) -> ResourceCatalogue:
        for locale in LOCALES:
            entries = self.locales.get(cast(Locale, locale))
            if not entries:
                raise ValueError(f"no resources for locale {locale}")
            kinds = {r.kind for r in entries}
            if not {"emergency", "crisis"} <= kinds:
                raise ValueError(f"locale {locale} needs an emergency and a crisis entry")
            for r in entries:
                if r.source is None:
                    raise ValueError(f"{r.id}: every national entry must cite its source URL")
                if r.organisation:
                    raise ValueError(f"{r.id}: national entries cannot set organisation")
        ids = [r.id for entries in self.locales.values() for r in entries]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate resource ids: {', '.join(duplicates)}")
        return self


class Organisation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)


class WebhookConfig(BaseModel):
    """Where to notify the organisation's on-call peer supporter (only after consent)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    url: str
    secret_env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$")
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not _HTTP_ANY.match(value):
            raise ValueError("url must be an http(s):// URL")
        return value


class OrgConfig(BaseModel):
    """The deploying organisation's file at ``COACH_ORG_CONFIG``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    organisation: Organisation
    resources: dict[Locale, tuple[Resource, ...]] = Field(default_factory=dict)
    webhook: WebhookConfig | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> OrgConfig:
        for locale, entries in self.resources.items():
            ids = [r.id for r in entries]
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValueError(f"duplicate resource ids for {locale}: {', '.join(duplicates)}")
        return self


class ResourceDirectory:
    """National and organisation resources, looked up by locale."""

    def __init__(self, catalogue: ResourceCatalogue, org: OrgConfig | None = None) -> None:
        self.catalogue = catalogue
        self.org = org

    @property
    def version(self) -> int:
        return self.catalogue.version

    @property
    def sources_checked(self) -> str:
        return self.catalogue.sources_checked

    @property
    def organisation_name(self) -> str | None:
        return self.org.organisation.name if self.org is not None else None

    @property
    def webhook(self) -> WebhookConfig | None:
        return self.org.webhook if self.org is not None else None

    def locale_resources(self, locale: str) -> LocaleResources:
        key = check_locale(locale)
        org = self.org.resources.get(key, ()) if self.org is not None else ()
        return LocaleResources(locale=key, organisation=org, national=self.catalogue.locales[key])

    def for_locale(self, locale: str) -> list[Resource]:
        """Organisation entries first, then emergency, crisis, clinician and peer lines."""
        return self.locale_resources(locale).ordered()


def check_locale(locale: str) -> Locale:
    """``locale`` as a :data:`Locale`, or an error that says how to fix ``COACH_LOCALE``."""
    if locale not in LOCALES:
        raise UnknownLocaleError(
            f"No crisis resources for locale {locale!r}. "
            f"Set COACH_LOCALE to one of: {', '.join(LOCALES)}."
        )
    return cast(Locale, locale)


def load_catalogue() -> ResourceCatalogue:
    """The national resources shipped with the package."""
    raw = (package_files.files("guardrails") / "resources.yaml").read_text(encoding="utf-8")
    return ResourceCatalogue.model_validate(yaml.safe_load(raw))


def load_org_config(path: Path) -> OrgConfig:
    """Read and validate the organisation's file; errors name the file and the setting."""
    if not path.is_file():
        raise OrgConfigError(
            f"COACH_ORG_CONFIG points to {path}, which is not a readable file. "
            "Fix the path or unset COACH_ORG_CONFIG."
        )
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise OrgConfigError(
            f"Organisation config {path} (COACH_ORG_CONFIG) cannot be read as YAML: {exc}"
        ) from exc
    if not isinstance(data, Mapping):
        raise OrgConfigError(
            f"Organisation config {path} (COACH_ORG_CONFIG) must be a mapping with "
            "'organisation', 'resources' and optionally 'webhook'; see "
            "guardrails/org_config.example.yaml."
        )
    try:
        config = OrgConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise OrgConfigError(
            f"Organisation config {path} (COACH_ORG_CONFIG) is invalid: {problems}. "
            "Fix the file (see guardrails/org_config.example.yaml) or unset COACH_ORG_CONFIG."
        ) from exc
    marked = {
        locale: tuple(r.model_copy(update={"organisation": True}) for r in entries)
        for locale, entries in config.resources.items()
    }
    return config.model_copy(update={"resources": marked})


def load_resources(org_config: Path | None = None) -> ResourceDirectory:
    """National resources plus, when ``org_config`` is given, the organisation's own."""
    catalogue = load_catalogue()
    org = load_org_config(org_config) if org_config is not None else None
    if org is not None:
        national_ids = {r.id for entries in catalogue.locales.values() for r in entries}
        clashes = sorted(
            {r.id for entries in org.resources.values() for r in entries} & national_ids
        )
        if clashes:
            raise OrgConfigError(
                f"Organisation config {org_config} (COACH_ORG_CONFIG) reuses national "
                f"resource ids {', '.join(clashes)}; give its entries their own ids."
            )
    return ResourceDirectory(catalogue, org)
