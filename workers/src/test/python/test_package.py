"""The trainer package declares what it imports: pyproject.toml is its one list of dependencies."""
import ast
import os
import sys
import tomllib

PKG = os.path.join(os.path.dirname(__file__), "..", "..", "main", "python")
# import name -> distribution name where they differ
DIST = {"yaml": "pyyaml"}


def _third_party_imports():
    names = set()
    local = {"trainyard_trainer"}
    for file in os.listdir(os.path.join(PKG, "trainyard_trainer")):
        if not file.endswith(".py"):
            continue
        tree = ast.parse(open(os.path.join(PKG, "trainyard_trainer", file)).read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    stdlib = set(sys.stdlib_module_names)
    return {n for n in names if n not in stdlib and n not in local}


def _declared():
    with open(os.path.join(PKG, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    return {s.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip().lower() for s in specs}


def test_every_third_party_import_of_the_trainer_is_a_declared_dependency():
    imports = _third_party_imports()
    assert imports, "the trainer imports torch at least"
    missing = {n for n in imports if DIST.get(n, n).lower() not in _declared()}
    assert not missing, f"imported but not in pyproject.toml: {sorted(missing)}"
