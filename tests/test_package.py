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


def test_library_does_not_load_langchain_until_asked() -> None:
    """LangChain is for the integrations: importing the library, its CLI and its factory loads none of it."""
    import subprocess
    import sys

    loaded = "any(m == 'langchain' or m.startswith(('langchain.', 'langchain_')) for m in sys.modules)"
    code = f"import sys, assistant, assistant.cli, assistant.factory, assistant.testing.fakes; sys.exit(1 if {loaded} else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
    code = f"import sys, assistant.integrations.langchain; sys.exit(0 if {loaded} else 1)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0, "the check sees LangChain when it is loaded"
