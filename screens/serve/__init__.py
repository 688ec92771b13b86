"""`tui-factu serve`: the app in a browser (textual-serve), behind the app's own login.

Nothing of the app runs for an anonymous browser: the page, the websocket and the downloads
need a session opened by the app's login (users.authenticate, with its lock and its events);
a websocket whose Origin is not this server's is refused, and a request whose Host is not this
server's too (DNS rebinding), so another web page open in the same browser cannot drive the app; the session cookie is HttpOnly and SameSite=Strict. Each session
then runs `tui-factu` for the user who logged in (its login screen asks once more: the web
login opens the door, the app's login says who acts). No request leaves for another host (no
web font).
"""
import asyncio
import html
import secrets
import shlex
import time
from pathlib import Path

from aiohttp import web
from textual_serve.server import Server

from tui_factu.errors import FactuError

COOKIE = "tf_session"
SESSION_SECONDS = 12 * 3600
HERE = Path(__file__).parent

LOGIN_PAGE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>tui-factu — connexion</title>
<style>body{{background:#0c181f;color:#eee;font-family:"DejaVu Sans",sans-serif;display:flex;height:95vh;
align-items:center;justify-content:center}}form{{background:#12232d;padding:2em;min-width:20em}}
label,input,button{{display:block;width:100%;margin:.4em 0}}input{{padding:.4em}}.err{{color:#f77}}</style>
</head><body><form method="post" action="/login"><h1>tui-factu</h1><p class="err">{message}</p>
<label for="u">Utilisateur</label><input id="u" name="user" value="{user}" autofocus autocomplete="username">
<label for="p">Mot de passe</label><input id="p" name="password" type="password" autocomplete="current-password">
<button type="submit">Se connecter</button></form></body></html>"""


class GuardedServer(Server):
    def __init__(self, executable: str, database: str, host: str, port: int):
        super().__init__("", host=host, port=port, title="tui-factu", templates_path=str(HERE))
        self.executable, self.database = executable, database
        self.sessions: dict[str, tuple[str, float]] = {}
        names = ("127.0.0.1", "localhost", "[::1]") if host in ("127.0.0.1", "localhost", "::1") else (host,)
        self.hosts = {f"{name}:{port}" for name in names}

    def initialize_logging(self) -> None:
        import logging
        logging.basicConfig(level="INFO", format="%(message)s")   # no locals in any traceback

    async def on_startup(self, app) -> None:
        print(f"tui-factu servi sur {self.public_url} (Ctrl+C pour arrêter)", flush=True)

    # ---- who is there -------------------------------------------------------------------------
    def user_of(self, request: web.Request) -> str | None:
        token = request.cookies.get(COOKIE, "")
        found = self.sessions.get(token)
        if not found or found[1] < time.monotonic():
            self.sessions.pop(token, None)
            return None
        return found[0]

    def same_origin(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        return origin is None and request.method == "GET" and request.path != "/ws" or \
            origin in (f"http://{request.host}", f"https://{request.host}")

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        app.router.add_get("/login", self.login_page)
        app.router.add_post("/login", self.login)
        app.router.add_get("/logout", self.logout)
        return app

    @web.middleware
    async def guard(self, request: web.Request, handler):
        if request.host not in self.hosts:           # a page of another name pointed at this address
            raise web.HTTPMisdirectedRequest(text="hôte refusé")
        if request.path.startswith("/static/") or request.path == "/login":
            if request.method == "POST" and not self.same_origin(request):
                raise web.HTTPForbidden(text="origine refusée")
            return await handler(request)
        if not self.same_origin(request):
            raise web.HTTPForbidden(text="origine refusée")
        if self.user_of(request) is None:
            if request.path == "/":
                raise web.HTTPFound("/login")
            raise web.HTTPUnauthorized(text="connexion requise")
        return await handler(request)

    async def login_page(self, request: web.Request, message: str = "", user: str = "") -> web.Response:
        return web.Response(text=LOGIN_PAGE.format(message=html.escape(message), user=html.escape(user)),
                            content_type="text/html", headers={"Cache-Control": "no-store"})

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        name, password = str(form.get("user", ""))[:40], str(form.get("password", ""))
        try:
            await asyncio.get_running_loop().run_in_executor(None, _authenticate, name, password)
        except FactuError as e:
            return await self.login_page(request, str(e), name)
        token = secrets.token_urlsafe(32)
        self.sessions[token] = (name, time.monotonic() + SESSION_SECONDS)
        response = web.HTTPFound("/")
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/", max_age=SESSION_SECONDS)
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        self.sessions.pop(request.cookies.get(COOKIE, ""), None)
        response = web.HTTPFound("/login")
        response.del_cookie(COOKIE, path="/")
        raise response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """As textual-serve's, with the app run for the user of this session (its login screen
        then suggests that user)."""
        from textual_serve.app_service import AppService
        from textual_serve.server import to_int
        user = self.user_of(request) or ""
        command = f"{shlex.quote(self.executable)} --db {shlex.quote(self.database)} --user {shlex.quote(user)}"
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service = None
        try:
            await websocket.prepare(request)
            service = AppService(command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                                 close=websocket.close, download_manager=self.download_manager, debug=False)
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        finally:
            if service is not None:
                await service.stop()
        return websocket


def _authenticate(name: str, password: str) -> None:
    from tui_factu import users
    users.authenticate(name, password, act=False)


def serve(executable: str, database: str, host: str, port: int) -> None:
    GuardedServer(executable, database, host, port).serve()
