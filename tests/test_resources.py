"""Crisis and support resources: shipped numbers, sources, ordering and org config."""

from __future__ import annotations

from importlib import resources as package_files
from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError

from coach.settings import Locale as SettingsLocale
from guardrails.resources import (
    LOCALES,
    OrgConfigError,
    Resource,
    UnknownLocaleError,
    load_org_config,
    load_resources,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_ORG = REPO / "guardrails" / "org_config.example.yaml"

ORG_YAML = """\
organisation:
  name: St Example's Hospital
resources:
  UK:
    - id: org-peer
      name: Staff peer support
      contact: 020 7946 0000
      how: call
      hours: Mon-Fri 8am-6pm
      for_clinicians: true
      description: Trained colleagues who listen after a hard case.
      kind: peer
    - id: org-eap
      name: Employee assistance programme
      contact: https://eap.example.org/
      how: web
      hours: 24/7
      for_clinicians: true
      description: Free counselling for staff.
      kind: clinician
webhook:
  url: https://oncall.example.org/hook
  secret_env: PEER_HOOK_SECRET
  timeout_seconds: 3
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_locales_match_the_settings_literal() -> None:
    assert set(LOCALES) == set(get_args(SettingsLocale))


def test_catalogue_is_versioned_and_dated() -> None:
    directory = load_resources()
    assert directory.version >= 1
    assert directory.sources_checked == "2026-11"
    raw = (package_files.files("guardrails") / "resources.yaml").read_text(encoding="utf-8")
    assert "RE-VERIFY" in raw  # the re-verification note ships with the data


@pytest.mark.parametrize(
    ("locale", "number"), [("US", "911"), ("UK", "999"), ("IE", "112"), ("AU", "000")]
)
def test_each_locale_has_its_emergency_number_first(locale: str, number: str) -> None:
    entries = load_resources().for_locale(locale)
    assert entries[0].kind == "emergency"
    assert entries[0].contact == number
    assert entries[0].hours == "24/7"


def test_ireland_mentions_both_emergency_numbers() -> None:
    emergency = load_resources().for_locale("IE")[0]
    assert "112" in emergency.name and "999" in emergency.name


@pytest.mark.parametrize(
    ("locale", "contact", "how", "domain"),
    [
        ("US", "988", "call", "988lifeline.org"),
        ("US", "1-888-409-0141", "call", "physiciansupportline.com"),
        ("US", "HOME to 741741", "text", "crisistextline.org"),
        ("UK", "0300 0303 300", "call", "practitionerhealth.nhs.uk"),
        ("UK", "116 123", "call", "samaritans.org"),
        ("UK", "SHOUT to 85258", "text", "giveusashout.org"),
        ("UK", "111", "call", "nhs.uk"),
        ("IE", "116 123", "call", "samaritans.org"),
        ("IE", "HELLO to 50808", "text", "50808.ie"),
        ("AU", "13 11 14", "call", "lifeline.org.au"),
        ("AU", "1300 374 377", "call", "drs4drs.com.au"),
        ("AU", "1300 22 4636", "call", "beyondblue.org.au"),
        ("AU", "1800 667 877", "call", "nmsupport.org.au"),
    ],
)
def test_required_lines_are_present_with_their_source(
    locale: str, contact: str, how: str, domain: str
) -> None:
    matches = [r for r in load_resources().for_locale(locale) if r.contact == contact]
    assert len(matches) == 1, f"{contact} missing for {locale}"
    entry = matches[0]
    assert entry.how == how
    assert entry.source is not None and domain in entry.source


def test_988_says_call_or_text_and_111_says_option_2() -> None:
    us = {r.contact: r for r in load_resources().for_locale("US")}
    assert "text 988" in us["988"].description.lower()
    uk = {r.contact: r for r in load_resources().for_locale("UK")}
    assert "option 2" in uk["111"].description


@pytest.mark.parametrize("locale", LOCALES)
def test_every_national_entry_cites_an_https_source(locale: str) -> None:
    for entry in load_resources().for_locale(locale):
        assert entry.source is not None and entry.source.startswith("https://"), entry.id
        assert not entry.organisation
        assert "\n" not in entry.description


@pytest.mark.parametrize("locale", LOCALES)
def test_national_order_is_emergency_then_crisis_then_clinician_lines(locale: str) -> None:
    rank = {"emergency": 0, "crisis": 1, "clinician": 2, "peer": 2}
    kinds = [rank[r.kind] for r in load_resources().for_locale(locale)]
    assert kinds == sorted(kinds)
    assert 1 in kinds


def test_ids_are_unique_across_the_catalogue() -> None:
    directory = load_resources()
    ids = [r.id for locale in LOCALES for r in directory.for_locale(locale)]
    assert len(ids) == len(set(ids))


def test_unknown_locale_names_the_setting() -> None:
    with pytest.raises(UnknownLocaleError, match="COACH_LOCALE") as err:
        load_resources().for_locale("FR")
    assert "US, UK, IE, AU" in str(err.value)


def test_org_entries_come_first_and_are_marked(tmp_path: Path) -> None:
    directory = load_resources(_write(tmp_path, ORG_YAML))
    uk = directory.for_locale("UK")
    assert [r.id for r in uk[:2]] == ["org-peer", "org-eap"]
    assert all(r.organisation for r in uk[:2])
    assert uk[2].kind == "emergency" and uk[2].contact == "999"
    assert not any(r.organisation for r in uk[2:])
    assert uk[0].source is None  # optional for organisation entries
    # Other locales are untouched.
    assert not any(r.organisation for r in directory.for_locale("US"))
    assert directory.organisation_name == "St Example's Hospital"
    assert directory.webhook is not None
    assert directory.webhook.secret_env == "PEER_HOOK_SECRET"
    assert directory.webhook.timeout_seconds == 3


def test_without_org_config_there_is_no_webhook() -> None:
    directory = load_resources(None)
    assert directory.webhook is None and directory.organisation_name is None


def test_the_shipped_example_org_config_is_valid() -> None:
    config = load_org_config(EXAMPLE_ORG)
    assert config.webhook is not None
    kinds = {r.kind for r in config.resources["UK"]}
    assert {"peer", "clinician"} <= kinds
    assert all(r.organisation for r in config.resources["UK"])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("organisation: [unclosed", "cannot be read as YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ("resources: {}\n", "organisation"),
        (ORG_YAML.replace("how: call", "how: fax"), "resources.UK.0.how"),
        (ORG_YAML.replace("  UK:\n", "  FR:\n"), "resources.FR"),
        (ORG_YAML.replace("secret_env: PEER_HOOK_SECRET", "secret_env: not an env"), "secret_env"),
        (ORG_YAML + "unexpected: 1\n", "unexpected"),
        (ORG_YAML.replace("id: org-eap", "id: org-peer"), "duplicate"),
    ],
)
def test_malformed_org_file_names_the_file_and_setting(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(OrgConfigError) as err:
        load_resources(path)
    message = str(err.value)
    assert str(path) in message
    assert "COACH_ORG_CONFIG" in message
    assert fragment in message


def test_missing_org_file_names_the_setting(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(OrgConfigError, match="COACH_ORG_CONFIG") as err:
        load_resources(missing)
    assert str(missing) in str(err.value)


def test_org_entries_cannot_reuse_national_ids(tmp_path: Path) -> None:
    path = _write(tmp_path, ORG_YAML.replace("id: org-peer", "id: uk-samaritans"))
    with pytest.raises(OrgConfigError, match="uk-samaritans"):
        load_resources(path)


def _resource(**changes: object) -> Resource:
    fields: dict[str, object] = {
        "id": "x-line",
        "name": "X",
        "contact": "0800 000 000",
        "how": "call",
        "hours": "24/7",
        "for_clinicians": False,
        "description": "A line.",
        "source": "https://example.org/x",
        "kind": "crisis",
    }
    fields.update(changes)
    return Resource.model_validate(fields)


@pytest.mark.parametrize(
    "changes",
    [
        {"source": "http://example.org/x"},  # not https
        {"source": "example.org"},
        {"how": "call", "contact": "Samaritans"},
        {"how": "text", "contact": "text me"},
        {"how": "web", "contact": "www.example.org"},
        {"description": "two\nlines"},
        {"kind": "hotline"},
        {"text": "anything"},  # unknown field
    ],
)
def test_resource_validation_rejects_bad_entries(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _resource(**changes)


def test_resource_links() -> None:
    assert _resource(contact="1-888-409-0141").href == "tel:18884090141"
    assert _resource(how="text", contact="SHOUT to 85258").href == "sms:85258?body=SHOUT"
    assert _resource(how="text", contact="988").href == "sms:988"
    web = _resource(how="web", contact="https://example.org/eap")
    assert web.href == "https://example.org/eap"
