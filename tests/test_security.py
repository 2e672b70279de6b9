"""The security guarantees, each with the tests that prove it.

1. Passwords are stored hashed (a salted scrypt hash per account, constant-time checks).
2. A clinician's debriefs are theirs alone, by every route Chainlit exposes.
3. Educator routes refuse clinicians and anyone not signed in.
4. Secrets come only from the environment and are never shown or written.
5. De-identification runs before anything is written or sent to a chat model.

Most tests live in ``tests/test_security_*.py``; tests written earlier for one part of the
app are referenced here rather than repeated. This file checks that the index stays true:
every test it names exists, and every security test is in it.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

GUARANTEES: dict[str, dict[str, tuple[str, ...]]] = {
    "passwords are stored hashed": {
        "test_security_passwords.py": (
            "test_the_cli_stores_only_salted_scrypt_hashes",
            "test_a_changed_password_replaces_hash_and_salt",
            "test_every_check_costs_the_same_and_compares_in_constant_time",
        ),
        "test_app_auth.py": (
            "test_hashes_are_salted_and_verified",
            "test_the_file_holds_no_password_and_is_private",
            "test_wrong_or_unknown_is_refused",
        ),
    },
    "threads are scoped per clinician": {
        "test_security_threads.py": (
            "test_a_caller_who_is_not_signed_in_gets_401_everywhere",
            "test_another_clinician_cannot_read_list_rename_or_delete_a_thread",
            "test_another_clinicians_elements_cannot_be_downloaded",
            "test_the_author_downloads_their_own_summary_file",
            "test_another_clinicians_session_files_cannot_be_downloaded",
            "test_sharing_is_off_so_no_one_reads_a_chat_by_a_share_link",
            "test_another_clinicians_elements_cannot_be_changed_or_removed",
            "test_a_clinician_still_changes_and_removes_elements_of_their_own_chat",
            "test_the_socket_refuses_to_resume_another_clinicians_thread",
            "test_resuming_another_clinicians_debrief_is_refused_by_the_chat",
            "test_ownership_lookups_on_each_backend",
        ),
        "test_app_feedback.py": (
            "test_feedback_on_another_clinicians_chat_is_refused",
            "test_the_real_feedback_routes_are_checked",
            "test_the_feedback_routes_answer_404_for_garbage_ids_on_each_backend",
        ),
        "test_app_handlers.py": ("test_another_accounts_session_is_refused",),
        "test_app_datalayer.py": ("test_threads_belong_to_their_author",),
    },
    "educator endpoints refuse other roles": {
        "test_security_educator.py": (
            "test_every_educator_route_refuses_clinicians_and_strangers",
            "test_the_csv_export_goes_to_educators_only",
            "test_a_clinician_reaches_only_their_own_theme_settings",
        ),
        "test_educator_routes.py": (
            "test_clinicians_and_strangers_are_refused",
            "test_an_educator_cannot_open_a_clinicians_transcript",
        ),
    },
    "secrets come only from the environment": {
        "test_security_secrets.py": (
            "test_secrets_are_read_from_the_environment_and_never_shown",
            "test_settings_do_not_read_a_dotenv_file",
            "test_the_chat_app_does_not_read_a_dotenv_file",
            "test_coach_run_writes_no_secret_and_keeps_it_off_the_command_line",
            "test_a_refused_key_stays_out_of_logs_and_the_clinicians_messages",
            "test_the_secret_scan_finds_what_it_looks_for",
            "test_no_secret_looking_literal_is_committed",
        ),
        "test_llm_models.py": ("test_openai_falls_back_to_its_own_variable",),
        "test_app_users_cli.py": ("test_run_on_a_fresh_machine",),
    },
    "de-identification runs before anything is written": {
        "test_security_deid.py": (
            "test_the_debrief_wrote_every_store",
            "test_no_identifier_is_in_any_file_under_the_data_directory",
            "test_the_placeholders_are_what_was_stored",
            "test_the_chat_model_is_sent_no_identifier",
            "test_no_configured_secret_is_written",
            "test_the_clinician_saw_the_coach_reply",
            "test_a_clinician_turn_is_written_once_with_placeholders",
            "test_the_risk_second_opinion_is_sent_no_identifier",
        ),
        "test_app_datalayer.py": ("test_no_identifier_reaches_the_database",),
    },
}


def defined_tests(filename: str) -> set[str]:
    tree = ast.parse((TESTS / filename).read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def test_every_test_the_index_names_exists() -> None:
    missing = [
        f"{filename}::{name}"
        for files in GUARANTEES.values()
        for filename, names in files.items()
        for name in names
        if name not in defined_tests(filename)
    ]
    assert missing == []


def test_every_security_test_is_in_the_index() -> None:
    indexed = {
        (filename, name)
        for files in GUARANTEES.values()
        for filename, names in files.items()
        for name in names
    }
    files = sorted(p.name for p in TESTS.glob("test_security_*.py"))
    assert len(files) == 5
    unlisted = [
        f"{filename}::{name}"
        for filename in files
        for name in sorted(defined_tests(filename))
        if (filename, name) not in indexed
    ]
    assert unlisted == []
