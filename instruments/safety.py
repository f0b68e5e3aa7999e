"""Every exit path leaves the lab safe: load inputs and source outputs off.

A :class:`SafeStateGuard` holds the "turn it off" action of every instrument with an output.
It runs them all (each one even if another fails or hangs until its own timeout) when the run
ends normally, when a test fails or errors, on Ctrl-C (KeyboardInterrupt unwinds pytest, whose
teardown calls :meth:`SafeStateGuard.all_off`), on SIGTERM (turned into the same unwinding by
:meth:`install_signal_handlers`), and at interpreter exit as a last resort (``atexit``).

Why SIGTERM raises instead of switching off inside the handler: the handler runs in the main
thread between two bytecodes, possibly in the middle of a query holding the instrument's
lock; writing "INPUT OFF" there would interleave with the half-read reply. Unwinding first
releases the lock, then the teardown switches everything off in order.
"""

from __future__ import annotations

import atexit
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

log = logging.getLogger("harness.safety")


class SafeStateGuard:
    def __init__(self) -> None:
        self._actions: dict[str, Callable[[], None]] = {}
        self._lock = threading.Lock()
        self.history: list[tuple[str, str, str]] = []  # (reason, name, "off" | error text)
        self._installed = False
        self._previous: dict[int, object] = {}

    def register(self, name: str, action: Callable[[], None]) -> None:
        with self._lock:
            self._actions[name] = action

    def unregister(self, name: str) -> None:
        with self._lock:
            self._actions.pop(name, None)

    def all_off(self, reason: str) -> list[str]:
        """Run every registered action (most recently registered first); returns the failures
        as "name: error" lines, after trying all of them.

        A Ctrl-C / SIGTERM (KeyboardInterrupt) or SystemExit that arrives during one action
        (typically while waiting on a hung instrument) does not stop the others, but it is
        re-raised once they have all been tried: swallowing it would turn the operator's
        "stop now" into a teardown error and let the run go on to energize the next test."""
        with self._lock:
            actions = list(self._actions.items())[::-1]
        failures = []
        interrupt: BaseException | None = None
        for name, action in actions:
            try:
                action()
            except BaseException as exc:  # a crashed instrument must not keep the others on
                text = f"{type(exc).__name__}: {exc}"
                failures.append(f"{name}: {text}")
                self.history.append((reason, name, text))
                log.error("could not put %s in its safe state (%s): %s", name, reason, text)
                if not isinstance(exc, Exception) and interrupt is None:
                    interrupt = exc
            else:
                self.history.append((reason, name, "off"))
        if interrupt is not None:
            raise interrupt
        return failures

    def install_signal_handlers(self) -> None:
        """SIGTERM unwinds like Ctrl-C (so teardown runs); atexit switches off what is left.
        Only possible from the main thread; elsewhere atexit alone is installed."""
        if self._installed:
            return
        self._installed = True
        atexit.register(self.all_off, "interpreter exit")
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, _terminate)

    def uninstall_signal_handlers(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()
        atexit.unregister(self.all_off)
        self._installed = False


def _terminate(signum: int, frame: FrameType | None) -> None:
    # Re-arm the default so a second SIGTERM (an impatient supervisor) still ends the process.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")
