"""docs/recipes.md and its plots are what `./trainyard recipes --render` makes of the committed results files,
and each results file was made by the bundled template as it is now (infra/scripts/recipes.py)."""

import copy
import glob
import hashlib
import importlib.util
import json
import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
_spec = importlib.util.spec_from_file_location("recipes", os.path.join(ROOT, "infra", "scripts", "recipes.py"))
recipes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(recipes)

RESULTS = sorted(glob.glob(os.path.join(ROOT, "docs", "recipes", "*.json")))


def test_every_registered_recipe_has_a_bundled_template_and_its_fast_params_are_template_params():
    for name, entry in recipes.registry().items():
        with open(os.path.join(recipes.TEMPLATES, name + ".yaml"), encoding="utf-8") as f:
            text = f.read()
        for param in entry.get("fast", {}):
            assert f"\n  {param}: " in text, f"{name}: fast param {param} is not a param of {name}.yaml"
        recipes.entry_refs(entry)  # every reference parses


@pytest.mark.parametrize("path", RESULTS, ids=lambda p: os.path.basename(str(p)))
def test_a_results_file_records_the_content_hash_of_the_bundled_template(path):
    with open(path, encoding="utf-8") as f:
        results = json.load(f)
    name = results["recipe"]
    assert os.path.basename(path) == name + ".json"
    assert results["variant"] == "full"
    with open(os.path.join(recipes.TEMPLATES, name + ".yaml"), "rb") as f:
        assert results["template"]["sha256"] == hashlib.sha256(f.read()).hexdigest(), (
            f"{name}.yaml changed since its results were recorded: ./trainyard recipes --full {name}")
    assert results["run"]["status"] == "SUCCEEDED"
    assert all(a for outputs in results["artifacts"].values() for a in outputs.values())


def test_the_page_and_the_plots_are_what_render_makes_of_the_results_files():
    for path, text in recipes.rendered(recipes.registry()).items():
        with open(path, encoding="utf-8") as f:
            assert f.read() == text, f"{os.path.relpath(path, ROOT)}: run ./trainyard recipes --render"


def test_a_claim_that_does_not_hold_is_reported_as_not_reproduced_with_its_numbers():
    entry = {"claim": {"text": "lower", "checks": [{"value": "a:loss", "lower_than": ["b:loss"]}]}}
    results = {"series": {"a:loss": [[0, 2.0], [10, 1.5]], "b:loss": [[0, 2.0], [10, 1.25]]}}
    ok, lines = recipes.judge(entry, results)
    assert not ok
    assert lines == ["`a:loss` = 1.5000 not < `b:loss` = 1.2500"]
    flipped = copy.deepcopy(results)
    flipped["series"]["b:loss"][-1][1] = 1.75
    assert recipes.judge(entry, flipped) == (True, ["`a:loss` = 1.5000 < `b:loss` = 1.7500"])


def test_rise_is_the_highest_point_of_a_curve_above_its_first():
    results = {"series": {"cpt:eval_loss": [[0, 1.0], [5, 1.75], [10, 1.25]]}}
    assert recipes.value_of(results, "cpt:eval_loss@rise") == 0.75
    assert recipes.value_of(results, "cpt:eval_loss@first") == 1.0
    assert recipes.value_of(results, "cpt:eval_loss") == 1.25


def test_a_within_check_holds_only_inside_its_tolerance():
    entry = {"claim": {"text": "holds", "checks": [{"value": "k4:accuracy", "within": 0.05, "of": "full:accuracy"}]}}
    results = {"series": {"k4:accuracy": [[0, 0.875]], "full:accuracy": [[0, 0.9]]}}
    assert recipes.judge(entry, results) == (True, ["`k4:accuracy` = 0.8750 within 0.05 of `full:accuracy` = 0.9000"])
    results["series"]["k4:accuracy"] = [[0, 0.75]]
    assert recipes.judge(entry, results)[0] is False
