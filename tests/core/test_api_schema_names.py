"""Every API schema has a name of its own: django-ninja names an OpenAPI component after its class, so
two apps' `MeasureOut` were one component and one app's answers were checked against the other's shape."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict

from ninja import Schema

import spiral


def test_no_two_api_schemas_share_a_name() -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for module_info in pkgutil.walk_packages(spiral.__path__, "spiral."):
        if not module_info.name.endswith((".api", ".schemas")):
            continue
        module = importlib.import_module(module_info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, Schema) and obj.__module__ == module.__name__:
                seen[name].add(module.__name__)
    clashes = {name: sorted(mods) for name, mods in seen.items() if len(mods) > 1}
    assert clashes == {}
