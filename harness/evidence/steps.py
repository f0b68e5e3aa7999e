"""Allure steps and attachments that are right under asyncio.

``allure.step`` parents a new step on the reporter's *last started* item, which is wrong as
soon as two tasks run steps concurrently (a responder task and the test body, say), and it
cannot decorate ``async def``. Here the parent is carried in a ContextVar: every task inherits
the step it was started under, and a step outliving its test is simply not recorded.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator
from contextvars import ContextVar, Token
from typing import Any, TypeVar

from allure_commons import plugin_manager
from allure_commons.model2 import Parameter, Status, StatusDetails, TestStepResult
from allure_commons.utils import now, uuid4

_parent: ContextVar[str | None] = ContextVar("harness_allure_parent", default=None)
F = TypeVar("F", bound=Callable[..., Any])


def _reporter() -> Any:
    for plugin in plugin_manager.get_plugins():
        reporter = getattr(plugin, "allure_logger", None)
        if reporter is not None:
            return reporter
    return None


def bind_test(test_uuid: str | None) -> Token[str | None]:
    """Make ``test_uuid`` the parent of steps started in this context (set by the plugin)."""
    return _parent.set(test_uuid)


def unbind(token: Token[str | None]) -> None:
    _parent.reset(token)


def current_parent() -> str | None:
    return _parent.get()


@contextlib.contextmanager
def step(title: str, **params: Any) -> Iterator[None]:
    """A step in the current test's Allure result, nested under the enclosing step."""
    reporter = _reporter()
    parent = _parent.get()
    if reporter is None or parent is None or reporter.get_item(parent) is None:
        yield
        return
    uuid = uuid4()
    result = TestStepResult(
        name=title,
        start=now(),
        parameters=[Parameter(name=k, value=str(v)) for k, v in params.items()],
    )
    reporter.start_step(parent, uuid, result)
    token = _parent.set(uuid)
    status, details = Status.PASSED, None
    try:
        yield
    except AssertionError as exc:
        status, details = Status.FAILED, StatusDetails(message=str(exc))
        raise
    except BaseException as exc:
        status, details = Status.BROKEN, StatusDetails(message=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        _parent.reset(token)
        if reporter.get_item(uuid) is not None:
            reporter.stop_step(uuid, stop=now(), status=status, statusDetails=details)


def as_step(title: str) -> Callable[[F], F]:
    """Decorator form of :func:`step` for sync and async functions."""

    def decorate(fn: F) -> F:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with step(title.format(*args, **kwargs)):
                    return await fn(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with step(title.format(*args, **kwargs)):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def attach(body: str | bytes, name: str, mime: str, extension: str, parent: str | None = None) -> bool:
    """Attach data to the current step or test (or ``parent``); False when Allure is off."""
    reporter = _reporter()
    parent = parent or _parent.get()
    if reporter is None or parent is None or reporter.get_item(parent) is None:
        return False
    reporter.attach_data(uuid4(), body, name=name, attachment_type=mime,
                         extension=extension, parent_uuid=parent)
    return True


def allure_test_uuid(item: Any) -> str | None:
    """The uuid of the Allure result allure-pytest keeps for ``item`` (a pytest item)."""
    from allure_commons import plugin_manager

    for plugin in plugin_manager.get_plugins():
        cache = getattr(plugin, "_cache", None)
        if cache is not None and hasattr(plugin, "allure_logger"):
            return cache.get(item.nodeid)
    return None
