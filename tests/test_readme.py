"""The README documents every setting and shows the two commands first."""

from pathlib import Path

from assistant.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


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
