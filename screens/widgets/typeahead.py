"""Keys typed ahead reach what they were typed for, in order (the App's base, before App).

Textual hands a key to the widget focused *when the app reads it*, and a key runs its binding
only once it has bubbled back up to the app. Keys read together — a scanner, a lagging SSH
link, a burst typed while a form opens — were routed before the keys ahead of them had acted:
in `Enter 6 Ctrl+S` the 6 went to the field under the line form Enter was opening and Ctrl+S
saved the document before the form was there; a number typed right after Ctrl+E was lost.

Here the app lets one key go at a time: a key that arrives while the one before is still on
its way (some message queue of the app or of the screen on top is not empty, a screen is not
mounted yet, a focus change is pending) is held, and held keys go, in order, each once the app
is quiet again. A key typed alone finds the app quiet and goes at once: the cost is one walk
over the top screen's widgets per key; only a burst waits, a few event-loop turns per key."""
import asyncio
from collections import deque

from textual import events

# A key the app never gets quiet for (an animation that never ends) still goes after this
# (a machine loaded by other work takes seconds to open a screen).
MAX_WAIT = 5.0


def _idle(node) -> bool:
    """No message waiting, and no callback Textual runs once the queue is empty (call_next:
    a dialog's result reaches the screen that opened it this way, before it writes)."""
    return not node.message_queue_size and not getattr(node, "_next_callbacks", None)


class KeysInOrder:
    _held: deque | None = None
    _passing: events.Key | None = None
    _draining: asyncio.Task | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            if event is self._passing:
                self._passing = None
            elif self._held or not self._quiet():
                if self._held is None:
                    self._held = deque()
                self._held.append(event)
                if self._draining is None:
                    self._draining = asyncio.create_task(self._drain())
                return
        await super().on_event(event)

    def _quiet(self) -> bool:
        """Nothing left of the keys already let go: nothing waiting in the app or in the screen
        on top, which is mounted with every widget, and no callback waiting for its refresh
        (a focus set on mount, a dialog opened after the first paint). Textual has no public
        word for the callbacks: they are read by name (Textual is pinned to a tested range)."""
        if not _idle(self):
            return False
        try:
            screen = self.screen
        except Exception:               # no screen yet (start-up) or any more (exit)
            return True
        if getattr(screen, "_callbacks", None):
            return False
        return all(node.is_mounted and _idle(node) for node in screen.walk_children(with_self=True))

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._held:
                deadline, turns = loop.time() + MAX_WAIT, 0
                while not self._quiet() and loop.time() < deadline:
                    await asyncio.sleep(0 if turns < 100 else 0.002)
                    turns += 1
                if not self.is_running:
                    return
                self._passing = self._held.popleft()
                self.post_message(self._passing)
                await asyncio.sleep(0)
        finally:
            self._draining = None
