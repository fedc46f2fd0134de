"""Every `>>>` example in the package's docstrings runs and prints what it says (doctest), with `tf`, `np` and
eelbert_tf's public names in scope, as a user writing `from eelbert_tf import *` has them."""

import doctest
import importlib
import pathlib

import numpy as np
import pytest
import tensorflow as tf

import eelbert_tf

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODULES = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                 for package in ("eelbert_tf", "eelbert_lite") for p in (ROOT / package).rglob("*.py")
                 if ">>> " in p.read_text())


def test_the_package_has_docstring_examples():
    assert len(MODULES) >= 5, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, globs={"tf": tf, "np": np,
                                                           **{n: getattr(eelbert_tf, n) for n in eelbert_tf.__all__},
                                                           **vars(module)}) if t.examples]
    assert tests, f"{name}: no example found"
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed (see the output)"
