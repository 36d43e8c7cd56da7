"""The README documents every setting, shows the two commands first and names every module of the tree."""

from pathlib import Path

from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_listed() -> None:
    missing = [f"PA_{name.upper()}" for name in Settings.model_fields if f"`PA_{name.upper()}`" not in README]
    assert not missing, missing


def test_every_setting_has_a_description() -> None:
    assert all(field.description for field in Settings.model_fields.values())


def test_two_commands_come_first() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make serve" in first_block and "make test" in first_block


def test_embed_section_names_the_widget_origins_setting() -> None:
    embed = README.split("Embed the widget", 1)[1].split("\n## ", 1)[0]
    assert "`PA_WIDGET_ORIGINS`" in embed and "data-company" in embed


def test_how_it_works_names_every_module_of_the_tree() -> None:
    """The diagram matches the tree: each subpackage of assistant/ and each of its modules is named."""
    section = README.split("## How it works", 1)[1].split("\n## ", 1)[0]
    package = ROOT / "assistant"
    missing = [
        path.relative_to(package).as_posix()
        for path in sorted(package.rglob("*.py"))
        if path.name != "__init__.py"
        and "migrations" not in path.parts
        and not (path.name in section and (path.parent == package or f"{path.parent.name}/" in section))
    ]
    assert not missing, f"README 'How it works' does not name {missing}"
