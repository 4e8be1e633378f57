"""Extension points: where one app asks every other installed app for a contribution.

An app that owns a point declares it once, next to the code that uses it::

    NAVIGATION = ExtensionPoint("navigation.links_for", owner="accounts", item=NavLink)

and any of the project's apps contributes by having that module with that function
(``<app>/navigation.py`` with ``links_for(user)``). The owner never names the
contributing apps: contributions are found over ``django.apps.apps.get_app_configs()``,
in ``INSTALLED_APPS`` order, so the order is the same on every request. Only the
project's own apps (top-level packages next to ``manage.py``) are asked: Django's and
third-party apps have modules with the same names (``urls``) and never contribute. The owner's
own module of that name is where the point lives, not a contribution; the owner adds
its own part itself, before or after the others.

One error policy for every point: a contributing app whose module fails to import,
whose module lacks the function, whose function raises, or which returns a bad value
(not a list, or an item the point does not accept) fails loudly in development and tests
(the exception propagates), and in production (``settings.PRODUCTION``) is logged as an
error and left out, so one app's bug never answers a 500 for the whole page. An app
without the module simply contributes nothing. A ``strict`` point propagates every failure, in
production too: it is for contributions whose loss would be worse than a failed request (the
retention job must not mark a case anonymised while an app kept its personal data).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings

logger = logging.getLogger(__name__)

# Every declared point by name (the owner module declares it at import time).
POINTS: dict[str, ExtensionPoint] = {}


def project_apps() -> list[AppConfig]:
    """The installed apps that are this project's own packages, in ``INSTALLED_APPS`` order."""
    return [config for config in apps.get_app_configs() if _in_project(config.path)]


@cache
def _in_project(path: str) -> bool:
    return Path(path).resolve().parent == Path(settings.BASE_DIR).resolve()


class BadContribution(TypeError):
    """A contribution returned something its extension point does not accept."""


@dataclass(frozen=True)
class Contribution:
    app: str  # the contributing app's label
    function: Callable[..., Any]


@dataclass(frozen=True)
class ExtensionPoint:
    name: str  # "<module>.<function>" looked up in every project app
    owner: str  # label of the app that owns (defines and uses) the point
    # What each returned item must be: a type, or a predicate; None means the point takes
    # no value back (an action such as seeding demo data) and the return value is ignored.
    item: type | Callable[[Any], bool] | None = None
    strict: bool = False  # failures propagate in production too (see the module's docstring)

    def __post_init__(self) -> None:
        POINTS[self.name] = self

    @property
    def module(self) -> str:
        return self.name.rpartition(".")[0]

    @property
    def function(self) -> str:
        return self.name.rpartition(".")[2]

    def contributions(self) -> list[Contribution]:
        """Every project app's function for this point (the owner's aside), in ``INSTALLED_APPS`` order."""
        found: list[Contribution] = []
        for config in project_apps():
            if config.label == self.owner:
                continue
            path = f"{config.name}.{self.module}"
            try:
                module = import_module(path)
            except Exception as exc:
                if isinstance(exc, ModuleNotFoundError) and exc.name == path:
                    continue  # the app does not contribute to this point
                _failed(self, config.label, exc)
                continue
            function = getattr(module, self.function, None)
            if not callable(function):
                _failed(self, config.label, BadContribution(f"{path} has no function {self.function}()"))
                continue
            found.append(Contribution(config.label, function))
        return found

    def call(self, *args: Any, **kwargs: Any) -> list[tuple[str, Any]]:
        """(app label, what it returned) for each contribution that did not fail."""
        results: list[tuple[str, Any]] = []
        for contribution in self.contributions():
            try:
                value = contribution.function(*args, **kwargs)
                if self.item is not None:
                    value = self._checked(contribution.app, value)
            except Exception as exc:
                _failed(self, contribution.app, exc)
                continue
            results.append((contribution.app, value))
        return results

    def collect(self, *args: Any, **kwargs: Any) -> list[Any]:
        """Every contribution's items, one list, apps in ``INSTALLED_APPS`` order."""
        return [item for _app, items in self.call(*args, **kwargs) for item in items]

    def _checked(self, app: str, value: Any) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise BadContribution(f"{app}.{self.name}() returned {type(value).__name__}, not a list")
        accepts = self.item if not isinstance(self.item, type) else (lambda i, t=self.item: isinstance(i, t))
        for item in value:
            if not accepts(item):
                # The item's type only: its value may hold a customer's data, and this goes to the log.
                raise BadContribution(f"{app}.{self.name}() returned a {type(item).__name__} the point does not take")
        return list(value)


def _failed(point: ExtensionPoint, app: str, error: Exception) -> None:
    """The one error policy: outside production the error propagates; in production it is logged
    and the caller leaves the app's contribution out."""
    if point.strict or not settings.PRODUCTION:
        raise error
    logger.error("extension point %s: app %s left out", point.name, app, exc_info=error)
