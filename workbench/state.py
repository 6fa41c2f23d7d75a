"""Qt-free panel state: typed fields declared once, change callbacks, versions and migrations.

In the spirit of glue's ``State`` with callback properties and Orange's ``Setting`` with
``migrate_settings``.  A panel's settings are one :class:`PanelState` subclass whose fields
declare their type, default, range or choices, label and tooltip once::

    class AttackState(PanelState):
        PLUGIN = "adversarial"
        VERSION = 2
        MIGRATIONS = {1: lambda d: {**d, "eps": d.pop("epsilon", 1.0)}}   # 1 -> 2

        n = Int(150, lo=1, hi=100_000, label="test images")
        eps = Float(1.0, lo=0.0, hi=1000.0, decimals=4, step=0.05)
        kind = Choice("pixels", choices=("pixels", "dct", "orthonormal"))
        seed = Seed()

Everything else is derived from the declarations: :meth:`PanelState.to_dict` (the panel's
session state), :meth:`PanelState.validate` (checks a saved dict before anything changes,
upgrading older versions step by step and refusing newer ones), :meth:`PanelState.update`
(applies many values at once, callbacks fired after all are set), and the widget ranges
that :mod:`workbench.gui.binding` gives the widgets bound to the fields.

Assigning a field validates the value (``StateError``, a ``ValueError``, names the panel, the
field and what is allowed) and calls the field's callbacks with ``(new, old)``; callbacks
registered with :meth:`PanelState.add_global_callback` receive ``(name, new, old)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

from workbench.errors import InputError

Callback = Callable[[Any, Any], None]
GlobalCallback = Callable[[str, Any, Any], None]
Migration = Callable[[dict[str, Any]], dict[str, Any]]


class StateError(InputError):
    """A state value or document that cannot be accepted; the message says what and why."""


_MISSING = object()


class Field:
    """A typed state field (a descriptor on a :class:`PanelState` subclass).

    ``default``: the value a fresh state has; ``label``: the text a form shows beside the
    widget; ``tooltip``: the widget's tooltip; ``session``: whether the field is saved in
    sessions (view-only fields such as a hover position are not).
    """

    kind = "any"

    def __init__(self, default: Any, *, label: str = "", tooltip: str = "", session: bool = True) -> None:
        self.default = default
        self.label = label
        self.tooltip = tooltip
        self.session = session
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        if not self.label:
            self.label = name.replace("_", " ")

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return obj._values[self.name]

    def __set__(self, obj: PanelState, value: Any) -> None:
        # the rules across fields hold for a single assignment too (a widget's edit, a panel's
        # ``state.x = v``): a state never holds a combination its own validate() refuses, so
        # every state a panel is in can be saved and opened again
        coerced = self.coerce(value, obj._where(self.name))
        obj._check_values({**obj._values, self.name: coerced})
        obj._set(self.name, coerced)

    def coerce(self, value: Any, where: str) -> Any:
        """The value as stored, or :class:`StateError` naming ``where`` and what is allowed."""
        return value

    def to_json(self, value: Any) -> Any:
        return value

    def describe(self) -> str:
        """What values are allowed, for messages and tooltips."""
        return "any value"


class Bool(Field):
    kind = "bool"

    def __init__(self, default: bool = False, **kw: Any) -> None:
        super().__init__(bool(default), **kw)

    def coerce(self, value: Any, where: str) -> bool:
        if isinstance(value, bool):
            return value
        raise StateError(f"{where} must be true or false, got {value!r}")

    def describe(self) -> str:
        return "true or false"


class Int(Field):
    """An integer in ``[lo, hi]`` (inclusive); bools are refused."""

    kind = "int"

    def __init__(self, default: int = 0, *, lo: int = -(2**31), hi: int = 2**31 - 1, step: int = 1, **kw: Any) -> None:
        if not lo <= default <= hi:
            raise ValueError(f"Int default {default} outside [{lo}, {hi}]")
        super().__init__(int(default), **kw)
        self.lo, self.hi, self.step = int(lo), int(hi), int(step)

    def coerce(self, value: Any, where: str) -> int:
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise StateError(f"{where} must be an integer in [{self.lo}, {self.hi}], got {value!r}")
        if not self.lo <= value <= self.hi:
            raise StateError(f"{where} must be an integer in [{self.lo}, {self.hi}], got {value}")
        return int(value)

    def describe(self) -> str:
        return f"an integer in [{self.lo}, {self.hi}]"


class Seed(Int):
    """A random seed: an integer in ``[0, 2**31 - 1]`` (what a QSpinBox can show)."""

    def __init__(self, default: int = 0, **kw: Any) -> None:
        kw.setdefault("tooltip", "random seed: the same seed reproduces the same result")
        super().__init__(default, lo=0, hi=2**31 - 1, **kw)


class Float(Field):
    """A finite float in ``[lo, hi]`` (``allow_inf`` also accepts +inf, stored as the string
    ``"inf"`` in JSON since JSON has no infinity)."""

    kind = "float"

    def __init__(
        self,
        default: float = 0.0,
        *,
        lo: float = -math.inf,
        hi: float = math.inf,
        decimals: int = 4,
        step: float = 0.1,
        allow_inf: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(float(default), **kw)
        self.lo, self.hi, self.decimals, self.step, self.allow_inf = float(lo), float(hi), decimals, step, allow_inf
        self.coerce(self.default, f"default of {type(self).__name__}")

    def coerce(self, value: Any, where: str) -> float:
        if isinstance(value, str) and self.allow_inf and value.strip().lower() in ("inf", "infinity"):
            value = math.inf
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise StateError(f"{where} must be {self.describe()}, got {value!r}")
        v = float(value)
        if math.isnan(v) or (math.isinf(v) and not (self.allow_inf and v > 0)):
            raise StateError(f"{where} must be {self.describe()}, got {value!r}")
        if not self.lo <= v <= self.hi and not (math.isinf(v) and self.allow_inf):
            raise StateError(f"{where} must be {self.describe()}, got {value!r}")
        return v

    def to_json(self, value: float) -> Any:
        return "inf" if math.isinf(value) else value

    def describe(self) -> str:
        lo = "" if math.isinf(self.lo) else f" >= {self.lo:g}"
        hi = "" if math.isinf(self.hi) else f" <= {self.hi:g}"
        rng = " and".join(s for s in (lo, hi) if s)
        return f"a number{rng}" + (" (or inf)" if self.allow_inf else "")


class Choice(Field):
    """One of a list of strings.  ``choices`` may be a callable returning the list (e.g. the
    names of a model zoo, which grows when a plugin registers models); a ``display`` map
    gives human-readable item texts."""

    kind = "choice"

    def __init__(
        self,
        default: str,
        *,
        choices: Sequence[str] | Callable[[], Sequence[str]],
        display: dict[str, str] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(default, **kw)
        self._choices = choices
        self.display = dict(display or {})

    def choices(self) -> tuple[str, ...]:
        items = self._choices() if callable(self._choices) else self._choices
        return tuple(items)

    def coerce(self, value: Any, where: str) -> str:
        allowed = self.choices()
        if not isinstance(value, str) or value not in allowed:
            shown = ", ".join(allowed[:12]) + (", …" if len(allowed) > 12 else "")
            raise StateError(f"{where} must be one of {shown}; got {value!r}")
        return value

    def describe(self) -> str:
        return "one of " + ", ".join(self.choices())


class Str(Field):
    """A string of at most ``max_len`` characters; ``parse`` (optional) checks it and raises
    ``ValueError`` with a message (e.g. a comma-separated list of numbers)."""

    kind = "str"

    def __init__(
        self,
        default: str = "",
        *,
        max_len: int = 100_000,
        parse: Callable[[str], Any] | None = None,
        placeholder: str = "",
        **kw: Any,
    ) -> None:
        super().__init__(str(default), **kw)
        self.max_len = max_len
        self.parse = parse
        self.placeholder = placeholder

    def coerce(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise StateError(f"{where} must be text, got {value!r}")
        if len(value) > self.max_len:
            raise StateError(f"{where} is {len(value)} characters long; at most {self.max_len} are allowed")
        if self.parse is not None and value.strip():
            try:
                self.parse(value)
            except ValueError as exc:
                raise StateError(f"{where}: {exc}") from None
        return value

    def describe(self) -> str:
        return "text"


class PanelState:
    """Base of every panel's Qt-free state.  Subclasses declare :class:`Field` attributes and
    set ``PLUGIN`` (the panel id, used in messages), ``VERSION`` and ``MIGRATIONS``.

    ``MIGRATIONS[v]`` upgrades a state dict of version ``v`` to version ``v + 1``; a dict of an
    older version is upgraded step by step, one of a newer version is refused.
    Override :meth:`check` for rules involving several fields (raise ``ValueError``).
    """

    PLUGIN: ClassVar[str] = "panel"
    VERSION: ClassVar[int] = 1
    MIGRATIONS: ClassVar[dict[int, Migration]] = {}

    def __init__(self, **values: Any) -> None:
        self._values: dict[str, Any] = {f.name: f.default for f in self.fields()}
        self._callbacks: dict[str, list[Callback]] = {}
        self._global: list[GlobalCallback] = []
        self._hold = 0
        self._pending: dict[str, Any] = {}
        if values:
            self.update(values)

    # ---- declarations -------------------------------------------------------------------
    @classmethod
    def _field_map(cls) -> dict[str, Field]:
        cached = cls.__dict__.get("_fields_cache")
        if cached is None:
            cached = {}
            for klass in reversed(cls.__mro__):
                for name, attr in vars(klass).items():
                    if isinstance(attr, Field):
                        cached[name] = attr
            cls._fields_cache = cached  # type: ignore[attr-defined]
        return cached

    @classmethod
    def fields(cls) -> list[Field]:
        """The declared fields, in declaration order (base classes first)."""
        return list(cls._field_map().values())

    @classmethod
    def field(cls, name: str) -> Field:
        try:
            return cls._field_map()[name]
        except KeyError:
            raise KeyError(f"{cls.PLUGIN}: no state field {name!r}") from None

    # ---- values -------------------------------------------------------------------------
    def _where(self, name: str) -> str:
        return f"{self.PLUGIN}: {self.field(name).label} ({name})"

    def _set(self, name: str, value: Any) -> None:
        value = self.field(name).coerce(value, self._where(name))
        old = self._values[name]
        if value == old and type(value) is type(old):
            return
        self._values[name] = value
        if self._hold:
            self._pending.setdefault(name, old)
        else:
            self._notify(name, value, old)

    def _notify(self, name: str, new: Any, old: Any) -> None:
        for cb in list(self._callbacks.get(name, ())):
            cb(new, old)
        for gcb in list(self._global):
            gcb(name, new, old)

    def get(self, name: str) -> Any:
        return self._values[name]

    def values(self) -> dict[str, Any]:
        """Every field's current value (a copy)."""
        return dict(self._values)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self._values.items())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._values.items())})"

    def update(self, values: dict[str, Any]) -> None:
        """Set several fields at once, all validated first (nothing changes on an error),
        callbacks fired after every value is in place."""
        coerced = {}
        for name, value in values.items():
            if name not in self._values:
                raise StateError(f"{self.PLUGIN}: unknown setting {name!r}")
            coerced[name] = self.field(name).coerce(value, self._where(name))
        trial = {**self._values, **coerced}
        self._check_values(trial)
        with self.hold_callbacks():
            for name, value in coerced.items():
                self._set(name, value)

    def hold_callbacks(self) -> _Hold:
        """Context manager: changes inside it fire their callbacks once, when it exits."""
        return _Hold(self)

    def _release(self) -> None:
        pending, self._pending = self._pending, {}
        for name, old in pending.items():
            new = self._values[name]
            if new != old:
                self._notify(name, new, old)

    # ---- callbacks ----------------------------------------------------------------------
    def add_callback(self, name: str, callback: Callback) -> None:
        """Call ``callback(new, old)`` whenever field ``name`` changes."""
        self.field(name)
        self._callbacks.setdefault(name, []).append(callback)

    def remove_callback(self, name: str, callback: Callback) -> None:
        cbs = self._callbacks.get(name, [])
        if callback in cbs:
            cbs.remove(callback)

    def add_global_callback(self, callback: GlobalCallback) -> None:
        """Call ``callback(name, new, old)`` whenever any field changes."""
        self._global.append(callback)

    def remove_global_callback(self, callback: GlobalCallback) -> None:
        if callback in self._global:
            self._global.remove(callback)

    # ---- documents ----------------------------------------------------------------------
    def check(self, values: dict[str, Any]) -> None:
        """Rules across fields; raise ``ValueError`` with a message.  Default: none."""

    def _check_values(self, values: dict[str, Any]) -> None:
        try:
            self.check(values)
        except StateError:
            raise
        except ValueError as exc:
            raise StateError(f"{self.PLUGIN}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """The session form: ``{"version": VERSION, field: json value, ...}``."""
        out: dict[str, Any] = {"version": self.VERSION}
        for f in self.fields():
            if f.session:
                out[f.name] = f.to_json(self._values[f.name])
        return out

    @classmethod
    def migrate(cls, doc: dict[str, Any]) -> dict[str, Any]:
        """Upgrade ``doc`` to :attr:`VERSION` (step by step through :attr:`MIGRATIONS`)."""
        if not isinstance(doc, dict):
            raise StateError(f"{cls.PLUGIN}: panel state must be a JSON object, got {type(doc).__name__}")
        doc = dict(doc)
        version = doc.pop("version", cls.VERSION)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise StateError(f"{cls.PLUGIN}: state version must be a positive integer, got {version!r}")
        if version > cls.VERSION:
            raise StateError(
                f"{cls.PLUGIN}: the panel state was saved by a newer workbench (state version "
                f"{version}; this one reads up to {cls.VERSION}). Update the workbench to open it."
            )
        while version < cls.VERSION:
            step = cls.MIGRATIONS.get(version)
            if step is None:
                raise StateError(
                    f"{cls.PLUGIN}: state version {version} is too old to be upgraded "
                    f"(no migration from {version} to {version + 1})"
                )
            doc = dict(step(dict(doc)))
            doc.pop("version", None)
            version += 1
        return doc

    def validate(self, doc: dict[str, Any], *, strict: bool = False) -> dict[str, Any]:
        """The field values that ``doc`` (a saved :meth:`to_dict`, possibly older) stands for,
        coerced and checked; raises :class:`StateError` before anything changes.  Unknown keys
        are refused when ``strict``, else ignored (a panel may keep extra keys of its own)."""
        doc = self.migrate(doc)
        names = {f.name for f in self.fields() if f.session}
        if strict:
            unknown = sorted(set(doc) - names)
            if unknown:
                raise StateError(f"{self.PLUGIN}: unknown settings {', '.join(unknown)}")
        values = {}
        for f in self.fields():
            if f.session and f.name in doc:
                values[f.name] = f.coerce(doc[f.name], self._where(f.name))
        self._check_values({**self._values, **values})
        return values

    def restore(self, doc: dict[str, Any]) -> None:
        """Validate ``doc`` and apply it (all or nothing)."""
        self.update(self.validate(doc))

    def reset(self) -> None:
        """Every field back to its default."""
        self.update({f.name: f.default for f in self.fields()})


class _Hold:
    def __init__(self, state: PanelState) -> None:
        self.state = state

    def __enter__(self) -> PanelState:
        self.state._hold += 1
        return self.state

    def __exit__(self, *exc: Any) -> None:
        self.state._hold -= 1
        if self.state._hold == 0:
            self.state._release()
