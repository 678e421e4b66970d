"""Which code a stored build depends on: every module of kg that the build imports, found by walking
the imports (kg.builds.build_modules), so that a new rules module is never left out of the digest."""
from __future__ import annotations

import shutil
from pathlib import Path

import kg
from kg.builds import _imports, build_modules, code_digest

KG = Path(kg.__file__).resolve().parent


def test_every_module_of_the_rules_and_the_derive_package_is_covered():
    covered = set(build_modules())
    for path in [KG / "rules.py", KG / "build.py", KG / "tables.py", *sorted((KG / "derive").glob("*.py"))]:
        assert path in covered, path
    # what only the commands use is not part of a build
    assert KG / "serve.py" not in covered and KG / "cli.py" not in covered


def test_a_new_module_under_derive_is_covered_and_changes_the_digest(tmp_path):
    copy = tmp_path / "kg"
    shutil.copytree(KG, copy, ignore=shutil.ignore_patterns("__pycache__", "web", "_model"))
    before = code_digest(package_dir=copy)
    (copy / "derive" / "extra_rule.py").write_text("LIMIT = 1\n", encoding="utf-8")
    assert code_digest(package_dir=copy) == before  # not imported by the build: not part of it
    init = copy / "derive" / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "\nfrom .extra_rule import LIMIT  # noqa: E402\n",
                    encoding="utf-8")
    assert copy / "derive" / "extra_rule.py" in build_modules(package_dir=copy)
    with_extra = code_digest(package_dir=copy)
    assert with_extra != before
    (copy / "derive" / "extra_rule.py").write_text("LIMIT = 2\n", encoding="utf-8")
    assert code_digest(package_dir=copy) != with_extra  # a changed rule: the stored build is not reused


def test_a_lazy_import_inside_a_function_is_covered(tmp_path):
    copy = tmp_path / "kg"
    shutil.copytree(KG, copy, ignore=shutil.ignore_patterns("__pycache__", "web", "_model"))
    (copy / "later.py").write_text("X = 1\n", encoding="utf-8")
    build = copy / "build.py"
    late = "\n\ndef _late() -> None:\n    from . import later  # noqa: F401\n"
    build.write_text(build.read_text(encoding="utf-8") + late, encoding="utf-8")
    assert copy / "later.py" in build_modules(package_dir=copy)


def _parsed_imports(path: Path, name: str) -> set[str]:
    """The modules a source imports, by Python's own parser: what kg.builds reads from the text must hold them."""
    import ast

    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                module = f"{base}.{module}" if module else base
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def test_the_imports_read_from_the_text_are_those_python_parses():
    for path in sorted(KG.rglob("*.py")):
        relative = path.relative_to(KG.parent).with_suffix("")
        name = ".".join(relative.parts[:-1] if path.name == "__init__.py" else relative.parts)
        assert _parsed_imports(path, name) <= _imports(path, name), path


def test_imports_in_brackets_after_a_backslash_and_with_comments_are_read(tmp_path):
    source = tmp_path / "kg" / "views" / "mod.py"
    source.parent.mkdir(parents=True)
    source.write_text('"""Doc."""\nfrom .. import (rules,  # the rules\n    tables as t)\n'
                      "import json, kg.geo as geo\nfrom .lines import \\\n    HeldLines\n"
                      "def f():\n    from ..derive.listings import rank  # noqa\n", encoding="utf-8")
    found = _imports(source, "kg.views.mod")
    assert {"kg.rules", "kg.tables", "json", "kg.geo", "kg.views.lines.HeldLines", "kg.derive.listings"} <= found
    assert "kg.views.lines" in found and "kg.derive" in found  # the packages that hold them
