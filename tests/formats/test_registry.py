"""The formats table in README.md and docs/import.md is the one the registry generates, and every
format the registry names can be loaded (parser and dumper exist)."""

from pathlib import Path

from companion.formats import registry

ROOT = Path(__file__).resolve().parents[2]


def table_in(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.index("<!-- formats-table:start -->\n") + len("<!-- formats-table:start -->\n")
    return text[start : text.index("<!-- formats-table:end -->")]


def test_readme_and_docs_tables_equal_the_generated_one():
    expected = registry.markdown_table()
    assert table_in(ROOT / "README.md") == expected
    assert table_in(ROOT / "docs" / "import.md") == expected


def test_every_registered_function_exists():
    for fmt in registry.FORMATS:
        assert fmt.parse or fmt.dump, fmt.name
        if fmt.parse:
            assert callable(fmt.parser()), fmt.name
        if fmt.dump:
            assert callable(fmt.dumper()), fmt.name
    assert registry.get("json").name == "otpc-json"
    assert "google-authenticator" in registry.export_choices()
