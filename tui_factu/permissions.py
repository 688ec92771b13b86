"""Who may do what: one table of actions and the roles allowed them. Services call `require`
(a refusal names the user, the role and what they may not do); screens ask `allowed` to hide
what is refused.

The acting user is the one the front end authenticated (CLI peer/--user, TUI login); a name
that is no active app user may do nothing (session.py refuses even to read for nobody).
A base always has an administrator: `init` creates the first one, and the last active one can
be neither demoted nor disabled (users.py).
"""
from decimal import Decimal

from .db import prepared, prepared_models
from .session import current_user
from .errors import FactuError
from .models import Setting, User

ROLES = ("admin", "manager", "sales", "warehouse", "accountant")
ROLE_LABELS = {"admin": "administrateur", "manager": "responsable", "sales": "vendeur",
               "warehouse": "magasinier", "accountant": "comptable"}

TABLE = {
    "document.edit": ({"admin", "manager", "sales", "warehouse"}, "préparer des documents"),
    "document.validate": ({"admin", "manager", "sales", "warehouse"}, "valider des documents"),
    "document.credit": ({"admin", "manager", "sales"}, "faire des avoirs"),
    "discount.large": ({"admin", "manager"}, "accorder une remise au-delà du plafond"),
    "sell.below_floor": ({"admin", "manager"}, "vendre à perte ou sous la marge plancher"),
    "costs.see": ({"admin", "manager", "accountant"}, "voir les coûts et les marges"),
    "payment.collect": ({"admin", "manager", "sales", "accountant"}, "encaisser"),
    "payment.cancel": ({"admin", "manager", "accountant"}, "annuler un règlement"),
    "payment.writeoff": ({"admin", "manager"}, "passer en pertes un petit reste dû"),
    "bank.statements": ({"admin", "manager", "accountant"}, "importer et rapprocher les relevés bancaires"),
    "period.close": ({"admin", "manager", "accountant"}, "clôturer une période"),
    "catalog.edit": ({"admin", "manager", "sales"}, "modifier clients et produits"),
    "catalog.price_cut": ({"admin", "manager"}, "baisser un prix du catalogue"),
    "archive": ({"admin", "manager", "accountant"}, "archiver et exporter la comptabilité"),
    "targets.edit": ({"admin", "manager"}, "fixer les objectifs de vente"),
    "rates.edit": ({"admin", "manager", "accountant"}, "saisir les cours des devises"),
    "date.future": ({"admin", "manager"}, "dater une pièce dans les jours à venir"),
    "einvoice.send": ({"admin", "manager", "accountant"}, "transmettre les factures à la plateforme agréée"),
    "backup": ({"admin"}, "sauvegarder et restaurer la base"),
    "settings.change": ({"admin"}, "modifier les paramètres"),
    "users.manage": ({"admin"}, "gérer les utilisateurs"),
}
# The warehouse prepares and validates delivery notes only.
KINDS_BY_ROLE = {"warehouse": {"delivery"}}
DISCOUNT_KEY = "discount.max_percent"
DEFAULT_MAX_DISCOUNT = Decimal(15)


class PermissionDenied(FactuError):
    """Exit code 2 on the command line, a notification on screen."""


def _user(name: str | None = None) -> User | None:
    # read each time (a user disabled or demoted loses the right at once), through a
    # compiled query: validation asks several times
    rows = prepared_models("permissions.user", User, lambda n: User.select().where(User.name == n),
                           name or current_user() or "")
    return rows[0] if rows else None


def role_allows(role: str, action: str, kind: str | None = None) -> bool:
    """The table itself, without the database (screens ask it on every footer refresh)."""
    roles, _ = TABLE[action]
    if role not in roles:
        return False
    scope = KINDS_BY_ROLE.get(role)
    return not (scope and kind and action.startswith("document.") and kind not in scope)


def allowed(action: str, kind: str | None = None, user: str | None = None) -> bool:
    u = _user(user)
    if u is None or not u.active:
        return False
    return role_allows(u.role, action, kind)


def require(action: str, kind: str | None = None) -> None:
    if not allowed(action, kind):
        u = _user()
        from .documents.kinds import KIND_LABELS
        what = TABLE[action][1] + (f" ({KIND_LABELS.get(kind, kind).lower()})" if kind else "")
        if u is None:
            raise PermissionDenied(f"droits insuffisants : « {current_user()} » n'est pas un utilisateur de "
                                   f"l'application et ne peut pas {what}", "utilisateur", current_user())
        state = "désactivé" if not u.active else f"rôle {ROLE_LABELS.get(u.role, u.role)}"
        raise PermissionDenied(f"droits insuffisants : {u.name} ({state}) ne peut pas {what}",
                               "utilisateur", u.name)


def max_discount() -> Decimal:
    rows = prepared("settings.value", lambda k: Setting.select(Setting.value).where(Setting.key == k), DISCOUNT_KEY)
    try:
        return Decimal(rows[0][0]) if rows else DEFAULT_MAX_DISCOUNT
    except ArithmeticError:
        return DEFAULT_MAX_DISCOUNT
