"""The public surface of the package, pinned so changes to it are deliberate."""

import assistant


def test_public_names_are_pinned() -> None:
    assert assistant.__all__ == [
        "Assistant",
        "AssistantError",
        "Citation",
        "Company",
        "CorpusError",
        "Document",
        "IndexNotBuiltError",
        "InvalidMessageError",
        "Reply",
        "Settings",
        "StaleIndexError",
        "StorageUnavailableError",
        "Ticket",
        "UnknownCompanyError",
        "build_assistant",
    ]
    for name in assistant.__all__:
        assert getattr(assistant, name) is not None


def test_library_does_not_import_the_http_layer() -> None:
    import subprocess
    import sys

    code = (
        "import sys, assistant, assistant.cli; sys.exit(1 if any(m == 'api' "
        "or m.startswith(('api.', 'fastapi')) for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
