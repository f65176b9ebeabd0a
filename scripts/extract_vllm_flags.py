#!/usr/bin/env python3
"""Extract the `vllm serve` flag table of one vLLM release, statically, from its wheel.

Usage::

    python scripts/extract_vllm_flags.py                      # pinned release, pip download
    python scripts/extract_vllm_flags.py --version 0.33.0
    python scripts/extract_vllm_flags.py --wheel /path/vllm-0.33.0-....whl
    python scripts/extract_vllm_flags.py --wheel W --check    # exit 1 if the committed file differs

Writes ``server/vllm_wizard/vllm/flags_<version>.json``.

Nothing from vLLM is imported or executed. The wheel's ``.py`` files are parsed with ``ast``
and a small abstract interpreter walks the code that builds the ``vllm serve`` parser:
``make_arg_parser`` (``vllm/entrypoints/common/cli_args.py`` in 0.33.0), which calls
``FrontendArgs.add_cli_args`` and ``AsyncEngineArgs.add_cli_args`` ->
``EngineArgs.add_cli_args`` (``vllm/engine/arg_utils.py``). The interpreter follows
assignments, ``add_argument_group``/``add_argument`` calls, the edits made to the kwargs
dicts (``["type"] = ...``, ``del``, ``.remove(...)``, ``{**kwargs, "default": None}``), the
``for key, value in kwargs.items()`` loop of the frontend, ``super()`` calls and imports.

``get_kwargs(ConfigClass)`` (vLLM's ``_compute_kwargs``) is *emulated*: the rules below
mirror vLLM 0.33.0's code (dataclass field type -> argparse ``type``/``choices``/``nargs``/
``action``; attribute docstrings -> help; field defaults -> default). The parts of that code
that are data (the set of human-readable int fields, the field using
``human_readable_int_or_auto``) are read from the source, and the script stops with an error
when the function it emulates is missing, so a release that reorganises it is noticed.

Boolean flags: vLLM's ``FlexibleArgumentParser`` registers its ``EnableDisableAction`` in
place of ``argparse.BooleanOptionalAction``; the script reads that registration and the
action's ``_inverse_prefixes`` from the source, so a flag ``--enable-x`` records the argparse
negative form ``--no-enable-x`` and the inverse spelling ``--disable-x``.

Values the static reading cannot resolve (defaults computed at run time, choices that depend
on the platform, environment variables) are recorded as ``null`` with an explanation in the
flag's ``notes``. Nothing is guessed.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import copy
import difflib
import hashlib
import inspect
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_VLLM_DIR = REPO_ROOT / "server" / "vllm_wizard" / "vllm"
FORMAT_VERSION = 1

# Where the serve parser is built, newest layout first.
SERVE_PARSER_MODULES = (
    "vllm.entrypoints.common.cli_args",
    "vllm.entrypoints.openai.cli_args",
)
ARG_UTILS = "vllm.engine.arg_utils"
ARGPARSE_UTILS_CANDIDATES = ("vllm.utils.argparse_utils", "vllm.utils")
QUANTIZATION_MODULE = "vllm.model_executor.layers.quantization"

RUNTIME = "runtime"
TYPING = "typing"


class ExtractionError(RuntimeError):
    """The source does not look like what this script knows how to read."""


# --------------------------------------------------------------------------------------
# Source access
# --------------------------------------------------------------------------------------


class SourceTree:
    """The ``.py`` files of a vLLM release: from a wheel (zip) or a directory holding ``vllm/``."""

    def __init__(
        self,
        reader: Callable[[str], str | None],
        label: str,
        close: Callable[[], None] | None = None,
    ) -> None:
        self._reader = reader
        self.label = label
        self._close = close
        self._modules: dict[str, Module | None] = {}

    def __enter__(self) -> SourceTree:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._close is not None:
            self._close()

    @classmethod
    def from_wheel(cls, wheel: Path) -> SourceTree:
        archive = zipfile.ZipFile(wheel)
        names = set(archive.namelist())

        def read(relpath: str) -> str | None:
            if relpath not in names:
                return None
            return archive.read(relpath).decode("utf-8")

        return cls(read, wheel.name, archive.close)

    @classmethod
    def from_dir(cls, root: Path) -> SourceTree:
        def read(relpath: str) -> str | None:
            path = root / relpath
            return path.read_text(encoding="utf-8") if path.is_file() else None

        return cls(read, str(root))

    def read(self, relpath: str) -> str | None:
        return self._reader(relpath)

    def module(self, name: str) -> Module | None:
        if name not in self._modules:
            self._modules[name] = self._load(name)
        return self._modules[name]

    def _load(self, name: str) -> Module | None:
        base = name.replace(".", "/")
        for relpath, is_package in ((f"{base}.py", False), (f"{base}/__init__.py", True)):
            text = self.read(relpath)
            if text is not None:
                return Module(self, name, ast.parse(text, filename=relpath), is_package, relpath)
        return None

    def is_internal(self, name: str) -> bool:
        return name.split(".")[0] == "vllm" and self.module(name) is not None


# --------------------------------------------------------------------------------------
# Values produced by the evaluator
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unknown:
    """A value the static reading cannot determine; `why` says what it was."""

    why: str


@dataclass(frozen=True)
class External:
    """A name from outside vLLM (stdlib, typing, torch, ...), by qualified name."""

    qualname: str


@dataclass(frozen=True)
class ModuleRef:
    name: str


@dataclass(frozen=True)
class ClassRef:
    module: str
    name: str


@dataclass(frozen=True)
class FuncRef:
    module: str
    name: str


@dataclass(frozen=True)
class MethodRef:
    owner: ClassRef  # the class whose body defines the method
    bound: ClassRef | None  # `cls` for class methods
    name: str


@dataclass(frozen=True)
class SuperRef:
    after: ClassRef  # look up attributes after this class in the MRO
    bound: ClassRef


@dataclass(frozen=True)
class LambdaVal:
    text: str


@dataclass(frozen=True)
class EnumMember:
    cls: ClassRef
    name: str
    value: Any


@dataclass(frozen=True)
class TypeFn:
    """An argparse `type=` callable that the emulation of `_compute_kwargs` produces."""

    kind: str  # "optional" | "dataclass" | "parse"
    inner: Any = None
    label: str = ""


@dataclass(frozen=True)
class TypeNode:
    """A type annotation, evaluated."""

    kind: str  # lit | none | builtin | class | opaque | union | annotated | ellipsis | unknown
    name: str = ""
    args: tuple[Any, ...] = ()
    cls: ClassRef | None = None


@dataclass(frozen=True)
class AssignRef:
    module: str
    expr: ast.expr


@dataclass(frozen=True)
class ReturnSignal:
    value: Any


class ParserObj:
    """The argparse parser being built (one instance for the whole serve parser)."""

    def __init__(self, label: str) -> None:
        self.label = label


class GroupObj:
    def __init__(self, title: str) -> None:
        self.title = title


class FieldKwargs(dict[str, Any]):
    """The argparse kwargs of one field, as `get_kwargs` returns them, plus `_meta`."""

    def __init__(self, data: Mapping[str, Any] | None = None, meta: dict[str, Any] | None = None):
        super().__init__(data or {})
        self.meta: dict[str, Any] = meta if meta is not None else {}


class KwargsTable:
    """`get_kwargs(cls)`: field name -> FieldKwargs, computed on first use (a fresh copy)."""

    def __init__(self, reader: Reader, cls: ClassRef) -> None:
        self.reader = reader
        self.cls = cls
        self._cache: dict[str, FieldKwargs] = {}

    def get(self, name: str) -> FieldKwargs:
        if name not in self._cache:
            fields = self.reader.dataclass_fields(self.cls)
            if name not in fields:
                raise ExtractionError(f"{self.cls.name} has no field {name!r}")
            self._cache[name] = self.reader.compute_kwargs(self.cls, fields[name])
        return self._cache[name]

    def items(self) -> list[tuple[str, FieldKwargs]]:
        return [(name, self.get(name)) for name in self.reader.dataclass_fields(self.cls)]

    def contains(self, name: str) -> bool:
        return name in self.reader.dataclass_fields(self.cls)


@dataclass
class FieldInfo:
    name: str
    owner: ClassRef
    annotation: ast.expr
    value: ast.expr | None
    doc: str = ""


@dataclass
class FlagRecord:
    option_strings: list[str]
    kwargs: dict[str, Any]
    group: str
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# Modules and name resolution
# --------------------------------------------------------------------------------------

_BUILTIN_TYPES = {
    "int",
    "float",
    "str",
    "bool",
    "bytes",
    "dict",
    "list",
    "tuple",
    "set",
    "frozenset",
    "type",
    "object",
    "complex",
}
_TYPING_GENERIC_ALIASES = {
    "List": "list",
    "Dict": "dict",
    "Tuple": "tuple",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Type": "type",
}
_TYPING_MODULES = ("typing", "typing_extensions")


class Module:
    def __init__(
        self, tree: SourceTree, name: str, node: ast.Module, is_package: bool, relpath: str
    ) -> None:
        self.tree = tree
        self.name = name
        self.node = node
        self.is_package = is_package
        self.relpath = relpath
        self._bindings: dict[str, dict[str, Any]] = {}

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]

    def absolute(self, module: str | None, level: int) -> str:
        if level == 0:
            return module or ""
        parts = self.package.split(".")
        if level > 1:
            parts = parts[: len(parts) - (level - 1)]
        base = ".".join(parts)
        return f"{base}.{module}" if module else base

    def bindings(self, mode: str) -> dict[str, Any]:
        if mode not in self._bindings:
            out: dict[str, Any] = {}
            self._collect(self.node.body, out, mode)
            self._bindings[mode] = out
        return self._bindings[mode]

    def has_module_getattr(self) -> bool:
        return any(
            isinstance(stmt, ast.FunctionDef) and stmt.name == "__getattr__"
            for stmt in self.node.body
        )

    def _collect(self, body: list[ast.stmt], out: dict[str, Any], mode: str) -> None:
        for stmt in body:
            if isinstance(stmt, ast.If):
                test = ast.unparse(stmt.test)
                if test in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}:
                    self._collect(stmt.body if mode == TYPING else stmt.orelse, out, mode)
                elif test in {"not TYPE_CHECKING", "not typing.TYPE_CHECKING"}:
                    self._collect(stmt.orelse if mode == TYPING else stmt.body, out, mode)
                else:
                    first: dict[str, Any] = {}
                    self._collect(stmt.body, first, mode)
                    second: dict[str, Any] = {}
                    self._collect(stmt.orelse, second, mode)
                    out.update({**second, **first})
            elif isinstance(stmt, ast.Try):
                self._collect(stmt.body, out, mode)
            elif isinstance(stmt, ast.ClassDef):
                out[stmt.name] = ClassRef(self.name, stmt.name)
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                out[stmt.name] = FuncRef(self.name, stmt.name)
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        out[target.id] = AssignRef(self.name, stmt.value)
            elif isinstance(stmt, ast.AnnAssign):
                if isinstance(stmt.target, ast.Name) and stmt.value is not None:
                    out[stmt.target.id] = AssignRef(self.name, stmt.value)
            elif isinstance(stmt, ast.ImportFrom):
                source = self.absolute(stmt.module, stmt.level)
                for alias in stmt.names:
                    if alias.name == "*":
                        out.setdefault("*", []).append(source)
                    else:
                        out[alias.asname or alias.name] = ("from", source, alias.name)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        out[alias.asname] = ("import", alias.name)
                    else:
                        top = alias.name.split(".")[0]
                        out[top] = ("import", top)

    def class_node(self, name: str) -> ast.ClassDef:
        for stmt in ast.walk(self.node):
            if isinstance(stmt, ast.ClassDef) and stmt.name == name:
                return stmt
        raise ExtractionError(f"class {name} not found in {self.name}")

    def function_nodes(self, name: str) -> list[ast.FunctionDef]:
        """Every top-level definition of `name` (overloads first, the runtime one last)."""
        return [s for s in self.node.body if isinstance(s, ast.FunctionDef) and s.name == name]

    def function_node(self, name: str) -> ast.FunctionDef:
        """The definition of `name` that is bound at run time (the last one)."""
        found = self.function_nodes(name)
        if not found:
            raise ExtractionError(f"function {name} not found in {self.name}")
        return found[-1]


# --------------------------------------------------------------------------------------
# The reader: name resolution, type evaluation, value evaluation, interpretation
# --------------------------------------------------------------------------------------


@dataclass
class Frame:
    module: Module
    locals: dict[str, Any] = field(default_factory=dict)
    cls: ClassRef | None = None  # the class whose method body runs (for super())
    bound: ClassRef | None = None  # `cls` of a classmethod
    conditions: list[str] = field(default_factory=list)
    label: str = ""  # group name for flags added to the parser directly


class Reader:
    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        self.flags: list[FlagRecord] = []
        self.positionals: list[str] = []
        self._value_cache: dict[tuple[str, int], Any] = {}
        self._in_progress: set[tuple[str, int]] = set()
        self._fields_cache: dict[ClassRef, dict[str, FieldInfo]] = {}
        self._hr_int_fields, self._hr_auto_fields = self._read_compute_kwargs_data()

    # ---- modules ---------------------------------------------------------------------

    def module(self, name: str) -> Module:
        mod = self.tree.module(name)
        if mod is None:
            raise ExtractionError(f"module {name} not found in {self.tree.label}")
        return mod

    def resolve_name(self, module: Module, name: str, mode: str, depth: int = 0) -> Any:
        """What a module-level name refers to: a Ref, an AssignRef, External or Unknown."""
        if depth > 40:
            return Unknown(f"import cycle resolving {module.name}.{name}")
        bindings = module.bindings(mode)
        binding = bindings.get(name) if name != "*" else None
        if binding is None:
            for source in bindings.get("*", []):
                if self.tree.is_internal(source):
                    origin = self.module(source)
                    if name in origin.bindings(mode) and not name.startswith("_"):
                        return self.resolve_name(origin, name, mode, depth + 1)
            if module.is_package and self.tree.is_internal(f"{module.name}.{name}"):
                return ModuleRef(f"{module.name}.{name}")
            if module.has_module_getattr():
                return Unknown(f"{module.name}.{name} is computed by the module's __getattr__")
            if name in _BUILTIN_TYPES or name in {"None", "True", "False", "Ellipsis"}:
                return External(f"builtins.{name}")
            if hasattr(builtins, name):
                return External(f"builtins.{name}")
            return Unknown(f"name {name!r} is not defined statically in {module.name}")
        if isinstance(binding, tuple):
            if binding[0] == "import":
                target = binding[1]
                if self.tree.is_internal(target):
                    return ModuleRef(target)
                return External(target)
            _, source, attr = binding
            if self.tree.is_internal(source):
                return self.resolve_name(self.module(source), attr, mode, depth + 1)
            if self.tree.is_internal(f"{source}.{attr}"):
                return ModuleRef(f"{source}.{attr}")
            return External(f"{source}.{attr}")
        return binding

    def attribute(self, base: Any, attr: str, mode: str) -> Any:
        if isinstance(base, ModuleRef):
            return self.resolve_name(self.module(base.name), attr, mode)
        if isinstance(base, External):
            return External(f"{base.qualname}.{attr}")
        if isinstance(base, ClassRef):
            return self.class_attribute(base, attr, bound=base)
        if isinstance(base, SuperRef):
            mro = self.mro(base.bound)
            index = mro.index(base.after) if base.after in mro else 0
            for owner in mro[index + 1 :]:
                found = self._own_class_attribute(owner, attr, base.bound)
                if found is not None:
                    return found
            return Unknown(f"super().{attr}")
        return Unknown(f"attribute {attr!r} of {describe(base)}")

    # ---- classes ---------------------------------------------------------------------

    def class_node(self, ref: ClassRef) -> ast.ClassDef:
        return self.module(ref.module).class_node(ref.name)

    def bases(self, ref: ClassRef) -> list[Any]:
        node = self.class_node(ref)
        mod = self.module(ref.module)
        return [self.eval_ref(_strip_subscript(base), mod, RUNTIME) for base in node.bases]

    def mro(self, ref: ClassRef) -> list[ClassRef]:
        """A depth-first approximation of the MRO over vLLM classes (enough for these)."""
        out: list[ClassRef] = []

        def visit(cls: ClassRef) -> None:
            if cls in out:
                return
            out.append(cls)
            for base in self.bases(cls):
                if isinstance(base, ClassRef):
                    visit(base)

        visit(ref)
        return out

    def external_bases(self, ref: ClassRef) -> set[str]:
        names: set[str] = set()
        for cls in self.mro(ref):
            for base in self.bases(cls):
                if isinstance(base, External):
                    names.add(base.qualname)
        return names

    def is_dataclass(self, ref: ClassRef) -> bool:
        for cls in self.mro(ref):
            node = self.class_node(cls)
            mod = self.module(cls.module)
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if self.is_dataclass_decorator(self.eval_ref(target, mod, RUNTIME)):
                    return True
        return False

    def is_dataclass_decorator(self, ref: Any) -> bool:
        if isinstance(ref, External):
            return ref.qualname in {"dataclasses.dataclass", "pydantic.dataclasses.dataclass"}
        if isinstance(ref, FuncRef):
            mod = self.module(ref.module)
            for node in mod.function_nodes(ref.name):
                for deco in node.decorator_list:
                    target = deco.func if isinstance(deco, ast.Call) else deco
                    found = self.eval_ref(target, mod, RUNTIME)
                    if isinstance(found, External) and found.qualname.endswith(
                        ".dataclass_transform"
                    ):
                        return True
        return False

    def is_enum(self, ref: ClassRef) -> bool:
        return any(name.startswith("enum.") for name in self.external_bases(ref))

    def is_typeddict(self, ref: ClassRef) -> bool:
        return any(
            name in {f"{m}.TypedDict" for m in _TYPING_MODULES} for name in self.external_bases(ref)
        )

    def is_dict_subclass(self, ref: ClassRef) -> bool:
        return not self.is_typeddict(ref) and bool(
            self.external_bases(ref) & {"builtins.dict", "collections.OrderedDict", "typing.Dict"}
        )

    def enum_members(self, ref: ClassRef) -> list[str]:
        node = self.class_node(ref)
        return [
            target.id
            for stmt in node.body
            if isinstance(stmt, ast.Assign)
            for target in stmt.targets
            if isinstance(target, ast.Name) and not target.id.startswith("_")
        ]

    def _own_class_attribute(self, owner: ClassRef, attr: str, bound: ClassRef) -> Any | None:
        node = self.class_node(owner)
        mod = self.module(owner.module)
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef) and stmt.name == attr:
                return MethodRef(owner, bound, attr)
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == attr
            ):
                if stmt.value is None:
                    return Unknown(f"{owner.name}.{attr} has no class-level value")
                return self.field_default(FieldInfo(attr, owner, stmt.annotation, stmt.value))[0]
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name) and target.id == attr:
                        value = self.eval_value(stmt.value, Frame(mod))
                        if self.is_enum(owner):
                            return EnumMember(owner, attr, value)
                        return value
        return None

    def class_attribute(self, ref: ClassRef, attr: str, bound: ClassRef) -> Any:
        if attr == "__name__":
            return ref.name
        if attr == "__doc__":
            return ast.get_docstring(self.class_node(ref))
        for owner in self.mro(ref):
            found = self._own_class_attribute(owner, attr, bound)
            if found is not None:
                return found
        return Unknown(f"{ref.name}.{attr}")

    def dataclass_fields(self, ref: ClassRef) -> dict[str, FieldInfo]:
        """Fields in dataclass order (bases first), with attribute docstrings."""
        if ref in self._fields_cache:
            return self._fields_cache[ref]
        out: dict[str, FieldInfo] = {}
        docs: dict[str, str] = {}
        for cls in reversed(self.mro(ref)):
            node = self.class_node(cls)
            mod = self.module(cls.module)
            body = node.body
            for index, stmt in enumerate(body):
                if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                    continue
                name = stmt.target.id
                following = body[index + 1] if index + 1 < len(body) else None
                if (
                    isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)
                ):
                    docs[name] = inspect.cleandoc(following.value.value)
                if not self.is_dataclass(cls):
                    continue
                annotation = self.eval_ref(_strip_subscript(stmt.annotation), mod, RUNTIME)
                if isinstance(annotation, External) and annotation.qualname.rsplit(".", 1)[-1] in {
                    "ClassVar",
                    "InitVar",
                    "KW_ONLY",
                }:
                    continue
                if name in out:
                    out[name].annotation = stmt.annotation
                    out[name].value = stmt.value
                    out[name].owner = cls
                else:
                    out[name] = FieldInfo(name, cls, stmt.annotation, stmt.value)
        for name, info in out.items():
            info.doc = docs.get(name, "")
        self._fields_cache[ref] = out
        return out

    # ---- types -----------------------------------------------------------------------

    def eval_ref(self, expr: ast.expr, module: Module, mode: str) -> Any:
        """Resolve a Name/Attribute expression to what it names (without evaluating)."""
        if isinstance(expr, ast.Name):
            return self.resolve_name(module, expr.id, mode)
        if isinstance(expr, ast.Attribute):
            base = self.eval_ref(expr.value, module, mode)
            if isinstance(base, AssignRef):
                return Unknown(ast.unparse(expr))
            return self.attribute(base, expr.attr, mode)
        return Unknown(ast.unparse(expr))

    def eval_type(self, expr: ast.expr, module: Module, mode: str, depth: int = 0) -> TypeNode:
        if depth > 40:
            return TypeNode("unknown", ast.unparse(expr))
        if isinstance(expr, ast.Constant):
            if expr.value is None:
                return TypeNode("none")
            if expr.value is Ellipsis:
                return TypeNode("ellipsis")
            if isinstance(expr.value, str):
                parsed = ast.parse(expr.value, mode="eval").body
                return self.eval_type(parsed, module, mode, depth + 1)
            return TypeNode("unknown", repr(expr.value))
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            left = self.eval_type(expr.left, module, mode, depth + 1)
            right = self.eval_type(expr.right, module, mode, depth + 1)
            return TypeNode("union", args=(left, right))
        if isinstance(expr, ast.Subscript):
            return self._eval_subscript_type(expr, module, mode, depth)
        if isinstance(expr, ast.Name | ast.Attribute):
            return self.ref_to_type(self.eval_ref(expr, module, mode), mode, depth)
        return TypeNode("unknown", ast.unparse(expr))

    def ref_to_type(self, ref: Any, mode: str, depth: int = 0) -> TypeNode:
        if isinstance(ref, External):
            module, _, name = ref.qualname.rpartition(".")
            if module == "builtins":
                if name == "None":
                    return TypeNode("none")
                if name in _BUILTIN_TYPES:
                    return TypeNode("builtin", name)
            if module in _TYPING_MODULES and name in _TYPING_GENERIC_ALIASES:
                return TypeNode("builtin", _TYPING_GENERIC_ALIASES[name])
            return TypeNode("opaque", ref.qualname)
        if isinstance(ref, ClassRef):
            return TypeNode("class", ref.name, cls=ref)
        if isinstance(ref, AssignRef):
            value = ref.expr
            mod = self.module(ref.module)
            if isinstance(value, ast.Call):
                func = self.eval_ref(value.func, mod, mode)
                if isinstance(func, External) and func.qualname.endswith(".TypeVar"):
                    return TypeNode("opaque", "typing.TypeVar")
                if isinstance(func, External) and func.qualname.endswith(".NewType"):
                    return self.eval_type(value.args[1], mod, mode, depth + 1)
            return self.eval_type(value, mod, mode, depth + 1)
        return TypeNode("unknown", describe(ref))

    def _eval_subscript_type(
        self, expr: ast.Subscript, module: Module, mode: str, depth: int
    ) -> TypeNode:
        base = self.eval_ref(expr.value, module, mode)
        items = list(expr.slice.elts) if isinstance(expr.slice, ast.Tuple) else [expr.slice]
        qual = base.qualname if isinstance(base, External) else ""
        short = qual.rpartition(".")[2]
        typing_form = qual.rpartition(".")[0] in _TYPING_MODULES
        if typing_form and short == "Literal":
            values: list[Any] = []
            for item in items:
                for value in self._literal_values(item, module, mode, depth):
                    if value not in values:
                        values.append(value)
            return TypeNode("lit", args=tuple(values))
        if typing_form and short == "Optional":
            return TypeNode(
                "union", args=(self.eval_type(items[0], module, mode, depth + 1), TypeNode("none"))
            )
        if typing_form and short == "Union":
            return TypeNode(
                "union", args=tuple(self.eval_type(i, module, mode, depth + 1) for i in items)
            )
        if typing_form and short == "Annotated":
            return TypeNode("annotated", args=(self.eval_type(items[0], module, mode, depth + 1),))
        args = tuple(self.eval_type(i, module, mode, depth + 1) for i in items)
        node = self.ref_to_type(base, mode, depth + 1)
        if node.kind in {"builtin", "opaque", "class"}:
            return TypeNode(node.kind, node.name, args, node.cls)
        return TypeNode("unknown", ast.unparse(expr))

    def _literal_values(self, item: ast.expr, module: Module, mode: str, depth: int) -> list[Any]:
        if isinstance(item, ast.Constant):
            return [item.value]
        if isinstance(item, ast.UnaryOp) and isinstance(item.op, ast.USub):
            value = self.eval_value(item, Frame(module))
            return [value]
        node = self.eval_type(item, module, mode, depth + 1)
        if node.kind == "lit":
            return list(node.args)
        if node.kind == "union" and all(a.kind == "lit" for a in node.args):
            return [v for a in node.args for v in a.args]
        raise ExtractionError(f"cannot read Literal member {ast.unparse(item)} in {module.name}")

    def hints(self, node: TypeNode) -> list[TypeNode]:
        """`get_type_hints` of vLLM's arg_utils: flatten Annotated and unions."""
        if node.kind == "annotated":
            return self.hints(node.args[0])
        if node.kind == "union":
            out: list[TypeNode] = []
            for arg in node.args:
                for hint in self.hints(arg):
                    if hint not in out:
                        out.append(hint)
            return out
        return [node]

    # ---- values ----------------------------------------------------------------------

    def module_value(self, ref: AssignRef) -> Any:
        key = (ref.module, id(ref.expr))
        if key in self._value_cache:
            return self._value_cache[key]
        if key in self._in_progress:
            return Unknown(f"recursive definition in {ref.module}")
        self._in_progress.add(key)
        try:
            value = self.eval_value(ref.expr, Frame(self.module(ref.module)))
        finally:
            self._in_progress.discard(key)
        self._value_cache[key] = value
        return value

    def eval_value(self, expr: ast.expr, frame: Frame) -> Any:
        if isinstance(expr, ast.Constant):
            return expr.value
        if isinstance(expr, ast.Name):
            if expr.id in frame.locals:
                return frame.locals[expr.id]
            if expr.id in {"True", "False", "None"}:
                return {"True": True, "False": False, "None": None}[expr.id]
            return self._deref(self.resolve_name(frame.module, expr.id, RUNTIME))
        if isinstance(expr, ast.Attribute):
            base = self.eval_value(expr.value, frame)
            if isinstance(base, str | int | float | bool | list | dict | FieldKwargs):
                return BoundMethod(base, expr.attr)
            if isinstance(base, KwargsTable | ParserObj | GroupObj):
                return BoundMethod(base, expr.attr)
            if isinstance(base, Unknown):
                return Unknown(ast.unparse(expr))
            return self._deref(self.attribute(base, expr.attr, RUNTIME))
        if isinstance(expr, ast.JoinedStr):
            parts: list[str] = []
            for part in expr.values:
                if isinstance(part, ast.Constant):
                    parts.append(str(part.value))
                elif isinstance(part, ast.FormattedValue):
                    value = self.eval_value(part.value, frame)
                    if part.conversion != -1 or part.format_spec is not None:
                        return Unknown(ast.unparse(expr))
                    if not isinstance(value, str | int | float):
                        return Unknown(ast.unparse(expr))
                    parts.append(str(value))
            return "".join(parts)
        if isinstance(expr, ast.List | ast.Tuple | ast.Set):
            items: list[Any] = []
            for elt in expr.elts:
                if isinstance(elt, ast.Starred):
                    inner = self.eval_value(elt.value, frame)
                    if not isinstance(inner, list | tuple):
                        return Unknown(ast.unparse(expr))
                    items.extend(inner)
                else:
                    items.append(self.eval_value(elt, frame))
            if isinstance(expr, ast.Tuple):
                return tuple(items)
            if isinstance(expr, ast.Set):
                return SetVal(items)
            return items
        if isinstance(expr, ast.Dict):
            out: dict[Any, Any] = {}
            meta: dict[str, Any] | None = None
            for key, value in zip(expr.keys, expr.values, strict=True):
                if key is None:
                    inner = self.eval_value(value, frame)
                    if not isinstance(inner, dict):
                        return Unknown(ast.unparse(expr))
                    if isinstance(inner, FieldKwargs):
                        meta = {**(meta or {}), **inner.meta}
                    out.update(inner)
                else:
                    out[self.eval_value(key, frame)] = self.eval_value(value, frame)
            # `{**field_kwargs, "default": None}` is still that field's kwargs.
            return FieldKwargs(out, meta) if meta is not None else out
        if isinstance(expr, ast.Subscript):
            return self._eval_subscript_value(expr, frame)
        if isinstance(expr, ast.Call):
            return self.call(expr, frame)
        if isinstance(expr, ast.UnaryOp):
            operand = self.eval_value(expr.operand, frame)
            if isinstance(expr.op, ast.Not) and isinstance(operand, bool | int | str | None):
                return not operand
            if isinstance(expr.op, ast.USub) and _is_number(operand):
                return -operand
            if isinstance(expr.op, ast.UAdd) and _is_number(operand):
                return +operand
            return Unknown(ast.unparse(expr))
        if isinstance(expr, ast.BinOp):
            return self._binop(expr, frame)
        if isinstance(expr, ast.BoolOp):
            values = [self.eval_value(v, frame) for v in expr.values]
            if any(isinstance(v, Unknown) for v in values):
                return Unknown(ast.unparse(expr))
            if isinstance(expr.op, ast.And):
                return all(values)
            return any(values)
        if isinstance(expr, ast.Compare):
            return self._compare(expr, frame)
        if isinstance(expr, ast.IfExp):
            test = self.eval_value(expr.test, frame)
            if isinstance(test, Unknown):
                return Unknown(ast.unparse(expr))
            return self.eval_value(expr.body if test else expr.orelse, frame)
        if isinstance(expr, ast.Lambda):
            return LambdaVal(ast.unparse(expr))
        return Unknown(ast.unparse(expr))

    def _deref(self, ref: Any) -> Any:
        if isinstance(ref, AssignRef):
            return self.module_value(ref)
        return ref

    def _eval_subscript_value(self, expr: ast.Subscript, frame: Frame) -> Any:
        base = self.eval_value(expr.value, frame)
        if isinstance(base, External) and base.qualname.rpartition(".")[0] in _TYPING_MODULES:
            return self.eval_type(expr, frame.module, RUNTIME)
        if isinstance(expr.slice, ast.Slice):
            return Unknown(ast.unparse(expr))
        key = self.eval_value(expr.slice, frame)
        if isinstance(base, KwargsTable) and isinstance(key, str):
            return base.get(key)
        if isinstance(base, dict) and not isinstance(key, Unknown):
            if key in base:
                return base[key]
            return Unknown(f"{ast.unparse(expr)} (missing key)")
        if isinstance(base, list | tuple) and isinstance(key, int):
            return base[key]
        return Unknown(ast.unparse(expr))

    def _binop(self, expr: ast.BinOp, frame: Frame) -> Any:
        left = self.eval_value(expr.left, frame)
        right = self.eval_value(expr.right, frame)
        ok = (
            (_is_number(left) and _is_number(right))
            or (isinstance(left, str) and isinstance(right, str))
            or (isinstance(left, list) and isinstance(right, list))
            or (isinstance(left, tuple) and isinstance(right, tuple))
        )
        if not ok:
            return Unknown(ast.unparse(expr))
        ops: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
            ast.Add: lambda a, b: a + b,
            ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b,
            ast.Pow: lambda a, b: a**b,
            ast.FloorDiv: lambda a, b: a // b,
            ast.Div: lambda a, b: a / b,
            ast.LShift: lambda a, b: a << b,
        }
        op = ops.get(type(expr.op))
        if op is None:
            return Unknown(ast.unparse(expr))
        try:
            return op(left, right)
        except TypeError:
            return Unknown(ast.unparse(expr))

    def _compare(self, expr: ast.Compare, frame: Frame) -> Any:
        if len(expr.ops) != 1:
            return Unknown(ast.unparse(expr))
        left = self.eval_value(expr.left, frame)
        right = self.eval_value(expr.comparators[0], frame)
        op = expr.ops[0]
        if isinstance(op, ast.In | ast.NotIn):
            if isinstance(right, KwargsTable) and isinstance(left, str):
                found = right.contains(left)
            elif isinstance(right, dict | list | tuple | str) and not isinstance(left, Unknown):
                found = left in right
            else:
                return Unknown(ast.unparse(expr))
            return found if isinstance(op, ast.In) else not found
        constants = (str, int, float, bool, type(None))
        if isinstance(left, constants) and isinstance(right, constants):
            if isinstance(op, ast.Eq):
                return left == right
            if isinstance(op, ast.NotEq):
                return left != right
            if isinstance(op, ast.Is):
                return left is right
            if isinstance(op, ast.IsNot):
                return left is not right
        return Unknown(ast.unparse(expr))

    # ---- calls -----------------------------------------------------------------------

    def call(self, expr: ast.Call, frame: Frame) -> Any:
        func = self.eval_value(expr.func, frame)
        args: list[Any] = []
        for arg in expr.args:
            if isinstance(arg, ast.Starred):
                inner = self.eval_value(arg.value, frame)
                if isinstance(inner, list | tuple):
                    args.extend(inner)
                else:
                    args.append(Unknown(ast.unparse(arg)))
            else:
                args.append(self.eval_value(arg, frame))
        kwargs: dict[str, Any] = {}
        spread: list[Any] = []
        for kw in expr.keywords:
            value = self.eval_value(kw.value, frame)
            if kw.arg is None:
                spread.append(value)
            else:
                kwargs[kw.arg] = value
        return self.apply(func, args, kwargs, spread, expr, frame)

    def apply(
        self,
        func: Any,
        args: list[Any],
        kwargs: dict[str, Any],
        spread: list[Any],
        expr: ast.Call,
        frame: Frame,
    ) -> Any:
        text = ast.unparse(expr)
        if isinstance(func, BoundMethod):
            return self.apply_method(func, args, kwargs, spread, expr, frame)
        if isinstance(func, FuncRef):
            if func.module == ARG_UTILS and func.name == "get_kwargs":
                if len(args) != 1 or not isinstance(args[0], ClassRef):
                    raise ExtractionError(f"cannot resolve the class in {text}")
                return KwargsTable(self, args[0])
            if func.module == ARG_UTILS and func.name == "optional_type":
                return TypeFn("optional", args[0])
            if func.module == ARG_UTILS and func.name == "parse_type":
                return TypeFn("parse", args[0])
            if self._touches_parser(args, kwargs, spread):
                return self.run_function(
                    self.module(func.module).function_node(func.name),
                    self.module(func.module),
                    args,
                    kwargs,
                    frame,
                )
            return Unknown(text)
        if isinstance(func, MethodRef):
            if not self._touches_parser(args, kwargs, spread):
                return Unknown(text)
            node = self._method_node(func)
            is_static = _has_decorator(node, "staticmethod")
            is_class = _has_decorator(node, "classmethod")
            bound_args = list(args)
            if is_class:
                bound_args.insert(0, func.bound or func.owner)
            elif not is_static:
                return Unknown(f"{text} (instance method)")
            return self.run_function(
                node,
                self.module(func.owner.module),
                bound_args,
                kwargs,
                frame,
                cls=func.owner,
                bound=func.bound or func.owner,
            )
        if isinstance(func, External):
            name = func.qualname
            if name == "builtins.super":
                if frame.cls is None or frame.bound is None:
                    return Unknown(text)
                return SuperRef(frame.cls, frame.bound)
            if name in {"builtins.list", "builtins.tuple", "builtins.sorted"} and len(args) == 1:
                value = args[0]
                if isinstance(value, SetVal):
                    value = list(value.items)
                if isinstance(value, list | tuple):
                    if name == "builtins.sorted":
                        try:
                            return sorted(value)
                        except TypeError:
                            return Unknown(text)
                    return list(value) if name == "builtins.list" else tuple(value)
                return Unknown(text)
            if name.rpartition(".")[2] == "get_args" and len(args) == 1:
                value = args[0]
                if isinstance(value, TypeNode) and value.kind == "lit":
                    return tuple(value.args)
                return Unknown(text)
            return Unknown(text)
        if isinstance(func, ClassRef):
            return Unknown(f"{text} (an instance of {func.name})")
        return Unknown(text)

    def _touches_parser(self, args: list[Any], kwargs: dict[str, Any], spread: list[Any]) -> bool:
        values = [*args, *kwargs.values(), *spread]
        return any(isinstance(v, ParserObj | GroupObj | KwargsTable | FieldKwargs) for v in values)

    def _method_node(self, ref: MethodRef) -> ast.FunctionDef:
        for stmt in self.class_node(ref.owner).body:
            if isinstance(stmt, ast.FunctionDef) and stmt.name == ref.name:
                return stmt
        raise ExtractionError(f"method {ref.owner.name}.{ref.name} not found")

    def apply_method(
        self,
        method: BoundMethod,
        args: list[Any],
        kwargs: dict[str, Any],
        spread: list[Any],
        expr: ast.Call,
        frame: Frame,
    ) -> Any:
        obj, name = method.obj, method.name
        text = ast.unparse(expr)
        if isinstance(obj, ParserObj | GroupObj):
            if name == "add_argument_group":
                title = kwargs.get("title", args[0] if args else None)
                if not isinstance(title, str):
                    raise ExtractionError(f"cannot resolve the group title in {text}")
                return GroupObj(title)
            if name == "add_argument":
                self.add_argument(obj, args, kwargs, spread, expr, frame)
                return None
            return Unknown(text)
        if isinstance(obj, KwargsTable):
            if name == "items":
                return obj.items()
            return Unknown(text)
        if isinstance(obj, dict):
            if name == "pop":
                key = args[0]
                if key in obj:
                    return obj.pop(key)
                return args[1] if len(args) > 1 else Unknown(text)
            if name == "get":
                return obj.get(args[0], args[1] if len(args) > 1 else None)
            if name == "update" and args and isinstance(args[0], dict):
                obj.update(args[0])
                return None
            if name == "items":
                return list(obj.items())
            return Unknown(text)
        if isinstance(obj, list):
            if name == "remove":
                if isinstance(args[0], Unknown) or args[0] not in obj:
                    raise ExtractionError(f"cannot apply {text}")
                obj.remove(args[0])
                return None
            if name == "append":
                obj.append(args[0])
                return None
            if name == "extend" and isinstance(args[0], list | tuple):
                obj.extend(args[0])
                return None
            return Unknown(text)
        if isinstance(obj, str):
            if any(isinstance(a, Unknown) for a in args):
                return Unknown(text)
            if name in {"replace", "lower", "upper", "strip", "removeprefix", "removesuffix"}:
                return getattr(obj, name)(*args)
            if (
                name == "join"
                and len(args) == 1
                and isinstance(args[0], list | tuple)
                and all(isinstance(a, str) for a in args[0])
            ):
                return obj.join(args[0])
            return Unknown(text)
        return Unknown(text)

    # ---- interpretation of function bodies -------------------------------------------

    def run_function(
        self,
        node: ast.FunctionDef,
        module: Module,
        args: list[Any],
        kwargs: dict[str, Any],
        caller: Frame,
        cls: ClassRef | None = None,
        bound: ClassRef | None = None,
    ) -> Any:
        frame = Frame(
            module,
            cls=cls,
            bound=bound,
            conditions=list(caller.conditions),
            label=(bound.name if bound is not None else caller.label),
        )
        params = [*node.args.posonlyargs, *node.args.args]
        defaults = node.args.defaults
        first_default = len(params) - len(defaults)
        for index, param in enumerate(params):
            if index < len(args):
                frame.locals[param.arg] = args[index]
            elif param.arg in kwargs:
                frame.locals[param.arg] = kwargs[param.arg]
            elif index >= first_default:
                frame.locals[param.arg] = self.eval_value(defaults[index - first_default], frame)
            else:
                frame.locals[param.arg] = Unknown(f"parameter {param.arg}")
        for param, default in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True):
            if param.arg in kwargs:
                frame.locals[param.arg] = kwargs[param.arg]
            elif default is not None:
                frame.locals[param.arg] = self.eval_value(default, frame)
        result = self.run_block(node.body, frame)
        return result.value if isinstance(result, ReturnSignal) else None

    def run_block(self, body: list[ast.stmt], frame: Frame) -> ReturnSignal | None:
        for stmt in body:
            result = self.run_stmt(stmt, frame)
            if result is not None:
                return result
        return None

    def run_stmt(self, stmt: ast.stmt, frame: Frame) -> ReturnSignal | None:
        if isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Call):
                self.call(stmt.value, frame)
            return None
        if isinstance(stmt, ast.Assign):
            value = self.eval_value(stmt.value, frame)
            for target in stmt.targets:
                self.assign(target, value, frame)
            return None
        if isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.assign(stmt.target, self.eval_value(stmt.value, frame), frame)
            return None
        if isinstance(stmt, ast.AugAssign):
            current = self.eval_value(stmt.target, frame)
            operand = self.eval_value(stmt.value, frame)
            joined = _concat(current, operand) if isinstance(stmt.op, ast.Add) else None
            if joined is not None:
                self.assign(stmt.target, joined, frame)
            else:
                self.assign(stmt.target, Unknown(ast.unparse(stmt)), frame)
            return None
        if isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                if isinstance(target, ast.Subscript):
                    container = self.eval_value(target.value, frame)
                    key = self.eval_value(target.slice, frame)
                    if isinstance(container, dict) and key in container:
                        del container[key]
                    else:
                        raise ExtractionError(f"cannot apply {ast.unparse(stmt)}")
            return None
        if isinstance(stmt, ast.If):
            test = self.eval_value(stmt.test, frame)
            if isinstance(test, Unknown) or not _is_plain(test):
                text = ast.unparse(stmt.test)
                saved = list(frame.conditions)
                frame.conditions = [*saved, f"only if {text}"]
                result = self.run_block(stmt.body, frame)
                frame.conditions = [*saved, f"only if not ({text})"]
                result = self.run_block(stmt.orelse, frame) or result
                frame.conditions = saved
                return result
            return self.run_block(stmt.body if test else stmt.orelse, frame)
        if isinstance(stmt, ast.For):
            iterable = self.eval_value(stmt.iter, frame)
            if not isinstance(iterable, list | tuple):
                if self._mentions_parser(stmt, frame):
                    raise ExtractionError(f"cannot iterate {ast.unparse(stmt.iter)}")
                return None
            for item in iterable:
                self.assign(stmt.target, item, frame)
                result = self.run_block(stmt.body, frame)
                if result is not None:
                    return result
            return None
        if isinstance(stmt, ast.Return):
            return ReturnSignal(self.eval_value(stmt.value, frame) if stmt.value else None)
        if isinstance(stmt, ast.ImportFrom):
            source = frame.module.absolute(stmt.module, stmt.level)
            for alias in stmt.names:
                if self.tree.is_internal(source):
                    ref = self.resolve_name(self.module(source), alias.name, RUNTIME)
                else:
                    ref = External(f"{source}.{alias.name}")
                frame.locals[alias.asname or alias.name] = self._deref(ref)
            return None
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                name = alias.asname or alias.name.split(".")[0]
                imported = alias.name if alias.asname else alias.name.split(".")[0]
                frame.locals[name] = (
                    ModuleRef(imported) if self.tree.is_internal(imported) else External(imported)
                )
            return None
        if isinstance(stmt, ast.Try | ast.With):
            return self.run_block(stmt.body, frame)
        if isinstance(stmt, ast.Pass):
            return None
        if self._mentions_parser(stmt, frame):
            raise ExtractionError(f"cannot interpret: {ast.unparse(stmt)[:200]}")
        return None

    def _mentions_parser(self, stmt: ast.stmt, frame: Frame) -> bool:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name):
                value = frame.locals.get(node.id)
                if isinstance(value, ParserObj | GroupObj | KwargsTable | FieldKwargs):
                    return True
        return False

    def assign(self, target: ast.expr, value: Any, frame: Frame) -> None:
        if isinstance(target, ast.Name):
            frame.locals[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List):
            if isinstance(value, list | tuple) and len(value) == len(target.elts):
                for elt, item in zip(target.elts, value, strict=True):
                    self.assign(elt, item, frame)
            else:
                for elt in target.elts:
                    self.assign(elt, Unknown(ast.unparse(target)), frame)
        elif isinstance(target, ast.Subscript):
            container = self.eval_value(target.value, frame)
            key = self.eval_value(target.slice, frame)
            if isinstance(container, dict) and isinstance(key, str):
                container[key] = value
            elif self._mentions_parser(ast.Expr(target), frame):
                raise ExtractionError(f"cannot assign to {ast.unparse(target)}")

    # ---- add_argument ----------------------------------------------------------------

    def add_argument(
        self,
        owner: ParserObj | GroupObj,
        args: list[Any],
        kwargs: dict[str, Any],
        spread: list[Any],
        expr: ast.Call,
        frame: Frame,
    ) -> None:
        merged: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        for item in spread:
            if not isinstance(item, dict):
                raise ExtractionError(f"cannot resolve **kwargs in {ast.unparse(expr)[:200]}")
            if isinstance(item, FieldKwargs):
                meta = {**meta, **item.meta}
            merged.update(item)
        merged.update(kwargs)
        strings = [a for a in args if isinstance(a, str)]
        if len(strings) != len(args):
            raise ExtractionError(f"cannot resolve option strings in {ast.unparse(expr)[:200]}")
        if not any(s.startswith("-") for s in strings):
            self.positionals.extend(strings)
            return
        group = owner.title if isinstance(owner, GroupObj) else frame.label or "options"
        record = FlagRecord(strings, {**merged, "_meta": meta}, group)
        record.notes.extend(c for c in frame.conditions if c not in record.notes)
        self.flags.append(record)

    # ---- the emulation of vLLM's `_compute_kwargs` ------------------------------------

    def _read_compute_kwargs_data(self) -> tuple[set[str], set[str]]:
        mod = self.module(ARG_UTILS)
        try:
            func = mod.function_node("_compute_kwargs")
        except ExtractionError as exc:
            raise ExtractionError(
                "vllm/engine/arg_utils.py has no _compute_kwargs: this script emulates that "
                "function and must be updated for this release"
            ) from exc
        hr_int: set[str] = set()
        hr_auto: set[str] = set()
        for node in ast.walk(func):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "human_readable_int_args"
                and isinstance(node.value, ast.Set)
            ):
                hr_int = {
                    e.value
                    for e in node.value.elts
                    if isinstance(e, ast.Constant) and isinstance(e.value, str)
                }
            if (
                isinstance(node, ast.If)
                and isinstance(node.test, ast.Compare)
                and isinstance(node.test.left, ast.Name)
                and node.test.left.id == "name"
                and isinstance(node.test.comparators[0], ast.Constant)
                and isinstance(node.test.comparators[0].value, str)
                and any(
                    isinstance(n, ast.Name) and n.id == "human_readable_int_or_auto"
                    for s in node.body
                    for n in ast.walk(s)
                )
            ):
                hr_auto.add(str(node.test.comparators[0].value))
        if not hr_int:
            raise ExtractionError("_compute_kwargs: human_readable_int_args not found")
        return hr_int, hr_auto

    def field_default(self, info: FieldInfo) -> tuple[Any, dict[str, Any]]:
        """The default `_compute_kwargs` would see, and pydantic constraints from Field()."""
        mod = self.module(info.owner.module)
        frame = Frame(mod)
        value = info.value
        constraints: dict[str, Any] = {}
        if value is None:
            return Unknown("the dataclass field has no default"), constraints
        if isinstance(value, ast.Call):
            func = self.eval_ref(value.func, mod, RUNTIME)
            qual = func.qualname if isinstance(func, External) else ""
            if qual in {"dataclasses.field", "pydantic.Field", "pydantic.fields.Field"}:
                kws = {kw.arg: kw.value for kw in value.keywords if kw.arg}
                for key in ("ge", "gt", "le", "lt", "multiple_of"):
                    if key in kws:
                        bound = self.eval_value(kws[key], frame)
                        if _is_number(bound):
                            constraints[key] = bound
                if "default" in kws:
                    return self.eval_value(kws["default"], frame), constraints
                if value.args and qual != "dataclasses.field":
                    return self.eval_value(value.args[0], frame), constraints
                if "default_factory" in kws:
                    return self.call_factory(kws["default_factory"], frame), constraints
                return Unknown("the dataclass field has no default"), constraints
        return self.eval_value(value, frame), constraints

    def call_factory(self, expr: ast.expr, frame: Frame) -> Any:
        if isinstance(expr, ast.Lambda):
            return self.eval_value(expr.body, frame)
        factory = self.eval_value(expr, frame)
        if isinstance(factory, External):
            simple = {"builtins.list": [], "builtins.dict": {}, "builtins.set": SetVal([])}
            if factory.qualname in simple:
                return copy.deepcopy(simple[factory.qualname])
        if isinstance(factory, ClassRef):
            return Unknown(f"a default {factory.name}() instance")
        return Unknown(f"computed by {ast.unparse(expr)}()")

    def compute_kwargs(self, cls: ClassRef, info: FieldInfo) -> FieldKwargs:
        """Emulates `_compute_kwargs` of vllm/engine/arg_utils.py for one field."""
        mod = self.module(info.owner.module)
        annotation = self.eval_type(info.annotation, mod, RUNTIME)
        hints = [
            TypeNode("builtin", "dict")
            if h.kind == "class" and h.cls is not None and self.is_dict_subclass(h.cls)
            else h
            for h in self.hints(annotation)
        ]
        typing_hints = self.hints(self.eval_type(info.annotation, mod, TYPING))
        default, constraints = self.field_default(info)
        meta: dict[str, Any] = {
            "class": cls.name,
            "field": info.name,
            "annotation": ast.unparse(info.annotation),
            "constraints": constraints,
            "notes": [],
        }
        out = FieldKwargs({"default": default, "help": info.doc}, meta)
        unresolved = [h.name for h in hints if h.kind == "unknown"]
        if unresolved:
            meta["notes"].append(f"type not resolved statically: {', '.join(unresolved)}")

        def has(kind: str, name: str = "") -> bool:
            return any(_is_type(h, kind, name) for h in hints)

        def is_non_builtin(h: TypeNode) -> bool:
            return h.kind in {"class", "opaque", "lit", "unknown"}

        dataclass_hint = next(
            (h for h in hints if h.kind == "class" and h.cls and self.is_dataclass(h.cls)), None
        )
        literals = [h for h in hints if h.kind == "lit"]
        if len(literals) > 1:
            meta["notes"].append("several Literal types in the annotation; vLLM picks one")
        hint_set = {(h.kind, h.name) for h in hints}
        if dataclass_hint is not None:
            out["type"] = TypeFn("dataclass", label=dataclass_hint.name)
        elif hint_set == {("builtin", "bool"), ("builtin", "str"), ("none", "")}:
            out["type"] = External("builtins.str")
            out["nargs"] = "?"
            out["const"] = True
        elif has("builtin", "bool"):
            out["action"] = External("argparse.BooleanOptionalAction")
        elif literals:
            out.update(self._literal_kwargs(literals[0], has("builtin", "str")))
        elif has("builtin", "tuple"):
            out.update(self._collection_kwargs(hints, "tuple"))
        elif has("builtin", "list"):
            out.update(self._collection_kwargs(hints, "list"))
        elif has("builtin", "set"):
            out.update(self._collection_kwargs(hints, "set"))
        elif has("builtin", "int"):
            if info.name in self._hr_auto_fields:
                out["type"] = FuncRef("vllm.utils.argparse_utils", "human_readable_int_or_auto")
            elif info.name in self._hr_int_fields:
                out["type"] = FuncRef("vllm.utils.argparse_utils", "human_readable_int")
            else:
                out["type"] = External("builtins.int")
        elif has("builtin", "float"):
            out["type"] = External("builtins.float")
        elif has("builtin", "dict") and (
            has("builtin", "str") or any(is_non_builtin(h) for h in hints)
        ):
            out["type"] = FuncRef(ARG_UTILS, "union_dict_and_str")
        elif has("builtin", "dict"):
            out["type"] = TypeFn("parse", External("json.loads"))
        elif has("builtin", "str") or any(is_non_builtin(h) for h in hints):
            out["type"] = External("builtins.str")
            enum_hint = next(
                (h for h in hints if h.kind == "class" and h.cls and self.is_enum(h.cls)), None
            )
            if enum_hint is not None and enum_hint.cls is not None:
                members = ", ".join(self.enum_members(enum_hint.cls))
                meta["notes"].append(
                    f"takes a member of {enum_hint.name} ({members}); argparse does not check it"
                )
        else:
            raise ExtractionError(
                f"{cls.name}.{info.name}: unsupported type {ast.unparse(info.annotation)}"
            )
        if isinstance(out.get("type"), TypeNode) and out["type"].kind == "lit":
            out.update(self._literal_kwargs(out["type"], False))
        if any(h.kind == "none" for h in hints) and not has("builtin", "bool"):
            out["type"] = TypeFn("optional", out.get("type"))
            if out.get("choices"):
                out["choices"].append(None)
        if "choices" not in out:
            known = next((h for h in typing_hints if h.kind == "lit"), None)
            if known is not None:
                meta["known_values"] = list(known.args)
        return out

    def _literal_kwargs(self, lit: TypeNode, with_str: bool) -> dict[str, Any]:
        options = list(lit.args)
        kinds = {type(o) for o in options}
        if len(kinds) != 1:
            raise ExtractionError(f"Literal with mixed types: {options}")
        pytype = {str: "str", int: "int", float: "float", bool: "bool"}[kinds.pop()]
        result: dict[str, Any] = {"type": External(f"builtins.{pytype}")}
        result["metavar" if with_str else "choices"] = sorted(options)
        return result

    def _collection_kwargs(self, hints: list[TypeNode], kind: str) -> dict[str, Any]:
        hint = next(h for h in hints if _is_type(h, "builtin", kind))
        if not hint.args:
            raise ExtractionError(f"bare {kind} annotation: vLLM would fail on it")
        elem = hint.args[0]
        if elem.kind == "union":
            elem = TypeNode("builtin", "str")
        nargs: Any = "+"
        if kind == "tuple" and not any(a.kind == "ellipsis" for a in hint.args):
            nargs = len(hint.args)
        return {"type": self._elem_type(elem), "nargs": nargs}

    def _elem_type(self, elem: TypeNode) -> Any:
        if elem.kind == "lit":
            return elem
        if elem.kind == "builtin":
            return External(f"builtins.{elem.name}")
        if elem.kind == "class" and elem.cls is not None:
            return elem.cls
        return External(elem.name or "unknown")


@dataclass(frozen=True)
class BoundMethod:
    obj: Any
    name: str


@dataclass
class SetVal:
    items: list[Any]


def _concat(left: Any, right: Any) -> Any:
    """`left + right` for two strings or two lists, else None."""
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if isinstance(left, list) and isinstance(right, list):
        return [*left, *right]
    return None


def _strip_subscript(expr: ast.expr) -> ast.expr:
    return expr.value if isinstance(expr, ast.Subscript) else expr


def _has_decorator(node: ast.FunctionDef, name: str) -> bool:
    return any(isinstance(d, ast.Name) and d.id == name for d in node.decorator_list)


def _is_type(hint: TypeNode, kind: str, name: str = "") -> bool:
    return hint.kind == kind and (not name or hint.name == name)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_plain(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | list | tuple | dict | type(None))


def describe(value: Any) -> str:
    if isinstance(value, Unknown):
        return value.why
    if isinstance(value, External):
        return value.qualname
    if isinstance(value, ClassRef | FuncRef):
        return f"{value.module}.{value.name}"
    if isinstance(value, LambdaVal):
        return value.text
    return repr(value)


# --------------------------------------------------------------------------------------
# From records to the JSON table
# --------------------------------------------------------------------------------------

_DEPRECATED_RE = re.compile(r"\b(?:is|are|now) deprecated\b|^deprecated\b", re.IGNORECASE)
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "approx.", "cf.", "Eg.", "E.g.", "I.e.")


def first_sentence(text: str) -> str:
    """The first sentence of a help text or docstring, on one line."""
    paragraph = text.strip().split("\n\n", 1)[0]
    line = " ".join(paragraph.split())
    for match in re.finditer(r"[.!?](?=\s|$)", line):
        end = match.end()
        if any(line[:end].endswith(abbr) for abbr in _ABBREVIATIONS):
            continue
        return line[:end]
    return line


class Finisher:
    """Turns FlagRecords into the JSON rows."""

    def __init__(self, reader: Reader, inverse_prefixes: dict[str, str] | None) -> None:
        self.reader = reader
        self.inverse_prefixes = inverse_prefixes

    def rows(self) -> list[dict[str, Any]]:
        seen: dict[str, str] = {}
        rows: list[dict[str, Any]] = []
        for record in self.reader.flags:
            row = self.row(record)
            for spelling in [row["name"], *row["aliases"], *_negatives(row)]:
                if spelling in seen:
                    raise ExtractionError(f"{spelling} is registered twice ({seen[spelling]})")
                seen[spelling] = row["name"]
            rows.append(row)
        rows.sort(key=lambda r: r["name"])
        return rows

    def row(self, record: FlagRecord) -> dict[str, Any]:
        kwargs = dict(record.kwargs)
        meta: dict[str, Any] = kwargs.pop("_meta", {}) or {}
        notes: list[str] = list(record.notes) + list(meta.get("notes", []))
        strings = record.option_strings
        longs = [s for s in strings if s.startswith("--")]
        name = longs[0] if longs else strings[0]
        aliases = [s for s in strings if s != name]
        dest = kwargs.get("dest") or name.lstrip("-").replace("-", "_")
        if not isinstance(dest, str):
            raise ExtractionError(f"{name}: cannot resolve dest")

        action_value = kwargs.get("action", "store")
        action, is_bool = self.action_name(action_value, name, notes)
        nargs = kwargs.get("nargs")
        if isinstance(nargs, Unknown):
            notes.append(f"nargs not resolved statically: {nargs.why}")
            nargs = None
        type_name, nullable, human_readable = self.type_name(
            kwargs.get("type"), is_bool, name, notes
        )

        choices_value = kwargs.get("choices")
        choices: list[Any] | None
        if choices_value is None:
            choices = None
        elif isinstance(choices_value, list | tuple):
            choices = [c for c in choices_value if c is not None]
            if len(choices) != len(choices_value):
                nullable = True
            if any(not _json_scalar(c) for c in choices):
                notes.append("choices not resolved statically")
                choices = None
        else:
            notes.append(f"choices not resolved statically: {describe(choices_value)}")
            choices = None

        default = self.default(kwargs, is_bool, action, notes)
        if human_readable == "auto":
            notes.append(
                "accepts human-readable integers (k/m/g/t = 10^3.., K/M/G/T = 2^10..) "
                "and -1 or 'auto' (fit to memory)"
            )
        elif human_readable:
            notes.append("accepts human-readable integers (k/m/g/t = 10^3.., K/M/G/T = 2^10..)")

        negative: str | None = None
        negative_aliases: list[str] = []
        if action == "boolean_optional":
            negative = f"--no-{name[2:]}"
            forms = [f"--no-{s[2:]}" for s in aliases if s.startswith("--")]
            for option in longs:
                for prefix, inverse in (self.inverse_prefixes or {}).items():
                    if option.startswith(prefix):
                        forms.append(inverse + option.removeprefix(prefix))
            negative_aliases = sorted(set(forms) - {negative})

        help_value = kwargs.get("help", "")
        if isinstance(help_value, Unknown) or not isinstance(help_value, str):
            notes.append("help text not resolved statically")
            help_value = ""
        help_text = first_sentence(help_value.replace("%%", "%"))
        deprecated = kwargs.get("deprecated") is True or bool(_DEPRECATED_RE.search(help_text))

        known = meta.get("known_values")
        if choices is not None or action in {"boolean_optional", "store_true", "store_false"}:
            known = None
        if isinstance(known, list):
            known = [k for k in known if _json_scalar(k)]

        multiple = (nargs in {"+", "*"}) or (isinstance(nargs, int) and nargs > 1)
        repeatable = action in {"append", "extend"}
        const = kwargs.get("const")
        if not _json_scalar(const):
            notes.append("const not resolved statically")
            const = None

        return {
            "name": name,
            "dest": dest,
            "aliases": sorted(aliases),
            "group": record.group,
            "type": type_name,
            "action": action,
            "choices": choices,
            "known_values": known,
            "default": default,
            "nullable": nullable,
            "nargs": nargs,
            "const": const,
            "multiple": multiple or repeatable,
            "repeatable": repeatable,
            "negative": negative,
            "negative_aliases": negative_aliases,
            "human_readable": bool(human_readable),
            "constraints": dict(sorted((meta.get("constraints") or {}).items())),
            "deprecated": deprecated,
            "help": help_text,
            "source": (f"{meta['class']}.{meta['field']}" if meta.get("class") else None),
            "notes": _dedupe(notes),
        }

    def action_name(self, value: Any, name: str, notes: list[str]) -> tuple[str, bool]:
        if isinstance(value, str):
            return value, value in {"store_true", "store_false"}
        if isinstance(value, External):
            if value.qualname.endswith("BooleanOptionalAction"):
                return "boolean_optional", True
            notes.append(f"action {value.qualname}")
            return "custom", False
        if isinstance(value, ClassRef):
            bases = self.reader.external_bases(value)
            if any(b.endswith("BooleanOptionalAction") for b in bases):
                return "boolean_optional", True
            notes.append(f"custom action {value.name}")
            return "custom", False
        raise ExtractionError(f"{name}: cannot resolve action {describe(value)}")

    def type_name(
        self, value: Any, is_bool: bool, name: str, notes: list[str]
    ) -> tuple[str, bool, bool | str]:
        """(type, nullable, human_readable) for an argparse `type=`."""
        if is_bool:
            return "bool", False, False
        nullable = False
        while isinstance(value, TypeFn) and value.kind in {"optional", "parse"}:
            if value.kind == "optional":
                nullable = True
            value = value.inner
        if value is None:
            return "str", nullable, False
        if isinstance(value, TypeFn) and value.kind == "dataclass":
            notes.append(
                f"JSON for {value.label}; keys may also be given as --{name[2:]}.KEY VALUE"
            )
            return "json", nullable, False
        if isinstance(value, External):
            simple = {
                "builtins.int": "int",
                "builtins.float": "float",
                "builtins.str": "str",
                "builtins.bool": "bool",
                "json.loads": "json",
            }
            if value.qualname in simple:
                return simple[value.qualname], nullable, False
        if isinstance(value, FuncRef):
            if value.name == "human_readable_int":
                return "int", nullable, True
            if value.name == "human_readable_int_or_auto":
                return "int", nullable, "auto"
            if value.name == "union_dict_and_str":
                return "json_or_str", nullable, False
            returns = self._return_type(value)
            notes.append(f"parsed by {value.name}()")
            return returns, nullable, False
        if isinstance(value, LambdaVal):
            notes.append(f"parsed by {value.text}")
            return "str", nullable, False
        if isinstance(value, ClassRef):
            notes.append(f"parsed by {value.name}")
            return "str", nullable, False
        notes.append(f"type not resolved statically: {describe(value)}")
        return "str", nullable, False

    def _return_type(self, ref: FuncRef) -> str:
        node = self.reader.module(ref.module).function_node(ref.name)
        if isinstance(node.returns, ast.Name) and node.returns.id in {"int", "float", "str"}:
            return node.returns.id
        return "str"

    def default(self, kwargs: dict[str, Any], is_bool: bool, action: str, notes: list[str]) -> Any:
        if "default" not in kwargs:
            if action == "store_true":
                return False
            if action == "store_false":
                return True
            return None
        value = kwargs["default"]
        if isinstance(value, EnumMember) and _json_scalar(value.value):
            notes.append(f"default is {value.cls.name}.{value.name}, recorded by its value")
        if isinstance(value, External) and value.qualname == "argparse.SUPPRESS":
            notes.append("default argparse.SUPPRESS: left unset unless given")
            return None
        converted, why = to_json(value)
        if why:
            notes.append(f"default not resolved statically: {why}")
        return converted


def _negatives(row: Mapping[str, Any]) -> list[str]:
    out = [row["negative"]] if row["negative"] else []
    return out + list(row["negative_aliases"])


def _json_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _dedupe(items: list[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def to_json(value: Any) -> tuple[Any, str]:
    """A JSON-able copy of a default, or (None, why) when it is not a plain value."""
    if isinstance(value, Unknown):
        return None, value.why
    if isinstance(value, EnumMember):
        if _json_scalar(value.value):
            return value.value, ""
        return None, f"{value.cls.name}.{value.name}"
    if _json_scalar(value):
        if isinstance(value, float) and value != value:  # NaN
            return None, "NaN"
        return value, ""
    if isinstance(value, SetVal):
        value = sorted(value.items, key=repr)
    if isinstance(value, list | tuple):
        items = []
        for item in value:
            converted, why = to_json(item)
            if why:
                return None, why
            items.append(converted)
        return items, ""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                return None, f"non-string key {key!r}"
            converted, why = to_json(item)
            if why:
                return None, why
            out[key] = converted
        return out, ""
    return None, describe(value)


# --------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------


def find_serve_parser(tree: SourceTree) -> Module:
    for name in SERVE_PARSER_MODULES:
        module = tree.module(name)
        if module is not None and any(
            isinstance(s, ast.FunctionDef) and s.name == "make_arg_parser" for s in module.node.body
        ):
            return module
    raise ExtractionError(f"make_arg_parser not found in any of {SERVE_PARSER_MODULES}")


def read_inverse_prefixes(reader: Reader) -> dict[str, str] | None:
    """The `--enable-`/`--disable-` pairs of vLLM's replacement for BooleanOptionalAction."""
    for name in ARGPARSE_UTILS_CANDIDATES:
        module = reader.tree.module(name)
        if module is None:
            continue
        for cls_node in module.node.body:
            if not isinstance(cls_node, ast.ClassDef):
                continue
            if cls_node.name != "FlexibleArgumentParser":
                continue
            for node in ast.walk(cls_node):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "register"
                    and len(node.args) == 3
                    and ast.unparse(node.args[0]) == "'action'"
                    and ast.unparse(node.args[1]).endswith("BooleanOptionalAction")
                    and isinstance(node.args[2], ast.Name)
                ):
                    action = ClassRef(module.name, node.args[2].id)
                    value = reader.class_attribute(action, "_inverse_prefixes", action)
                    if isinstance(value, dict) and all(
                        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
                    ):
                        return dict(value)
                    return {}
    return None


def read_deprecation_messages(reader: Reader) -> dict[str, str]:
    """Flags named before "deprecated" in arg_utils' module-level *DEPRECATION_MESSAGE strings."""
    module = reader.module(ARG_UTILS)
    out: dict[str, str] = {}
    for name, binding in module.bindings(RUNTIME).items():
        if not (name.endswith("DEPRECATION_MESSAGE") and isinstance(binding, AssignRef)):
            continue
        text = reader.module_value(binding)
        if not isinstance(text, str) or "deprecated" not in text:
            continue
        head = text.split("deprecated", 1)[0]
        for flag in re.findall(r"(?<![\w-])--[a-z0-9][a-z0-9-]*", head):
            out.setdefault(flag, first_sentence(text))
    return out


def literal_alias(reader: Reader, module: str, name: str) -> list[Any]:
    mod = reader.module(module)
    node = reader.ref_to_type(reader.resolve_name(mod, name, TYPING), TYPING)
    if node.kind != "lit":
        raise ExtractionError(f"{module}.{name} is not a Literal")
    return list(node.args)


def module_list(reader: Reader, module: str, name: str) -> list[Any]:
    value = reader._deref(reader.resolve_name(reader.module(module), name, RUNTIME))
    if not isinstance(value, list):
        raise ExtractionError(f"{module}.{name} is not a list literal")
    return value


def read_version(tree: SourceTree) -> str:
    text = tree.read("vllm/_version.py")
    if text is not None:
        for node in ast.parse(text).body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
            ):
                value = node.value
                while isinstance(value, ast.NamedExpr):
                    value = value.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    return value.value
        match = re.search(r"__version__\s*=\s*(?:version\s*=\s*)?['\"]([^'\"]+)['\"]", text)
        if match:
            return match.group(1)
    raise ExtractionError("vllm/_version.py: no __version__")


def extract(tree: SourceTree, version: str, source: Mapping[str, Any]) -> dict[str, Any]:
    """The flag table of the release in `tree`, as a JSON-able dict."""
    reader = Reader(tree)
    serve = find_serve_parser(tree)
    parser = ParserObj("serve")
    frame = Frame(serve, label="serve")
    reader.run_function(serve.function_node("make_arg_parser"), serve, [parser], {}, frame)
    inverse = read_inverse_prefixes(reader)
    rows = Finisher(reader, inverse).rows()
    deprecations = read_deprecation_messages(reader)
    for row in rows:
        message = deprecations.get(row["name"])
        if message is not None and not row["deprecated"]:
            row["deprecated"] = True
            row["notes"].append(f"deprecated: {message}")
    notes = [
        f"Read statically from {serve.relpath} (make_arg_parser) and "
        f"{ARG_UTILS.replace('.', '/')}.py; vLLM was not imported.",
        "FlexibleArgumentParser turns --flag_name into --flag-name, so snake_case spellings "
        "of long options are accepted too.",
        "-O<level> / -O <0-3> is rewritten to --optimization-level by FlexibleArgumentParser.",
        "JSON-valued flags (type json) also take dotted keys: --compilation-config.mode 3.",
        "choices: enforced by argparse; known_values: the values the source lists where "
        "argparse does not enforce them (plugins may add more; some are checked after parsing).",
        "nullable: the strings 'None' and '' parse to null.",
        "Platform plugins may add arguments at run time "
        "(current_platform.pre_register_and_update(parser)).",
    ]
    if inverse is not None:
        notes.append(
            "Booleans: argparse's negative form is `negative` (--no-X); vLLM's EnableDisableAction "
            "also accepts the inverse spelling in `negative_aliases` (--enable-X <-> --disable-X), "
            "which its --help shows instead of --no-X."
        )
    if reader.positionals:
        notes.append(f"Positional arguments: {', '.join(reader.positionals)}.")
    return {
        "format_version": FORMAT_VERSION,
        "vllm_version": version,
        "source": dict(source),
        "generated_by": "scripts/extract_vllm_flags.py",
        "notes": notes,
        "positionals": list(reader.positionals),
        "quantization_methods": literal_alias(reader, QUANTIZATION_MODULE, "QuantizationMethods"),
        "deprecated_quantization_methods": module_list(
            reader, QUANTIZATION_MODULE, "DEPRECATED_QUANTIZATION_METHODS"
        ),
        "kv_cache_dtypes": literal_alias(reader, "vllm.config.cache", "CacheDType"),
        "model_dtypes": literal_alias(reader, "vllm.config.model", "ModelDType"),
        "flags": rows,
    }


def render(table: Mapping[str, Any]) -> str:
    return json.dumps(table, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def extract_wheel(wheel: Path) -> dict[str, Any]:
    with SourceTree.from_wheel(wheel) as tree:
        version = read_version(tree)
        return extract(tree, version, {"wheel": wheel.name, "sha256": sha256(wheel)})


def download_wheel(version: str, dest: Path) -> Path:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        f"vllm=={version}",
        "--no-deps",
        "--only-binary=:all:",
        "--platform",
        "manylinux_2_28_x86_64",
        "--dest",
        str(dest),
    ]
    subprocess.run(command, check=True)
    wheels = sorted(dest.glob(f"vllm-{version}-*.whl"))
    if not wheels:
        raise ExtractionError(f"pip download left no vllm-{version} wheel in {dest}")
    return wheels[0]


def pinned_version() -> str:
    sys.path.insert(0, str(REPO_ROOT / "server"))
    from vllm_wizard.vllm import PINNED_VLLM_VERSION

    return PINNED_VLLM_VERSION


def output_path(version: str, out_dir: Path = PACKAGE_VLLM_DIR) -> Path:
    return out_dir / f"flags_{version}.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", help="vLLM release (default: the pinned one)")
    parser.add_argument("--wheel", type=Path, help="use this wheel instead of pip download")
    parser.add_argument(
        "--out-dir", type=Path, default=PACKAGE_VLLM_DIR, help="where flags_<version>.json goes"
    )
    parser.add_argument(
        "--check", action="store_true", help="compare with the existing file; exit 1 if it differs"
    )
    options = parser.parse_args(argv)
    version = options.version or (None if options.wheel else pinned_version())
    try:
        if options.wheel is not None:
            table = extract_wheel(options.wheel)
            if version is not None and table["vllm_version"] != version:
                raise ExtractionError(
                    f"{options.wheel.name} is vLLM {table['vllm_version']}, not {version}"
                )
        else:
            assert version is not None
            with tempfile.TemporaryDirectory() as tmp:
                table = extract_wheel(download_wheel(version, Path(tmp)))
    except ExtractionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = render(table)
    target = output_path(table["vllm_version"], options.out_dir)
    if options.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            diff = difflib.unified_diff(
                current.splitlines(), text.splitlines(), str(target), "regenerated", lineterm=""
            )
            print("\n".join(list(diff)[:200]))
            return 1
        print(f"{target} is up to date ({len(table['flags'])} flags)")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({len(table['flags'])} flags)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
