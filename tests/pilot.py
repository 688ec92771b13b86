"""Driving the terminal application as a person does (Textual's Pilot at 80×24) and reading it
as a person reads it (the screenshot's text, the notifications), through Textual's public API
only. Shared by every screen test; the fixtures (app, admin_app, notes kept) are in
tests/screens/conftest.py."""
import asyncio
import html
import re


async def login(pilot, app, password="secret"):
    await pilot.press(*password, "enter")
    await settle(pilot, app)


async def settle(pilot, app):
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def text(app) -> str:
    """The screen as a person reads it, dialogs over what they cover: one line of text per
    terminal row, read from Textual's SVG screenshot (each run of text sits at its column)."""
    rows: dict[int, list[str]] = {}
    for x, width, row, text in re.findall(r'<text [^>]*x="([\d.]+)"[^>]*textLength="([\d.]+)"'
                                         r'[^>]*clip-path="url\(#[\w-]+-line-(\d+)\)"[^>]*>([^<]*)</text>',
                                         app.export_screenshot()):
        text = html.unescape(text).replace("\xa0", " ").rstrip("\n")     # spaces come as &#160;
        if not text:                                                        # a row's end of line
            continue
        column = round(float(x) / (float(width) / len(text)))
        line = rows.setdefault(int(row), [])
        line.extend(" " * (column - len(line)))
        line[column:column + len(text)] = text
    return "\n".join("".join(rows.get(i, [])) for i in range(max(rows, default=-1) + 1))


async def editor(pilot, app, doc_id=None, kind="quote", customer=None):
    """Opens the editor on a document (or a new one) and waits until it is loaded."""
    from screens.editor import EditorScreen
    app.push_screen(EditorScreen(doc_id, kind, customer))
    await settle(pilot, app)
    return app.screen


def notes(app) -> str:
    """Every notification shown so far (toasts wrap, so their text is read here)."""
    return " | ".join(getattr(app, "notes", []))


async def until(pilot, condition, timeout: float = 10.0):
    """Waits until condition() holds (a screen that shows up, a thread the test holds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition never met"
        await pilot.pause(0.01)


def is_screen(app, name: str) -> bool:
    return type(app.screen).__name__ == name


async def palette(pilot, app, typed: str, first: str):
    """Ctrl+P, `typed`, then Enter once the palette's first hit for it reads `first`."""
    from textual.command import CommandList, CommandPalette
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*typed)

    def found() -> bool:
        hits = app.screen.query_one(CommandList)
        return hits.highlighted is not None and str(hits.get_option_at_index(hits.highlighted).prompt) == first
    await until(pilot, found)
    await pilot.press("enter")


def run(coro):
    return asyncio.run(coro)
