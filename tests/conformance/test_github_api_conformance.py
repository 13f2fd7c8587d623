"""Every call tformance makes to GitHub, checked against what GitHub publishes (``FIXTURES_DIR``).

Runs when GitHub's reference data is beside the repository (CI has it; see github_app/tests/fixtures.py) and
skips with one line when it is not (a fresh clone):

- every GraphQL document the product sends validates against GitHub's public schema and reads no deprecated
  field (``databaseId`` on pull requests and reviews is 32-bit and deprecated: ids come from ``fullDatabaseId``);
- the emulator's own schema (github_app/emulator/schema.graphql, the subset it validates and executes against)
  says the same as GitHub's for every type, field and argument it lists;
- every REST call the product makes is in the table of docs/github-api.md, and that table agrees with the code
  and with GitHub's API examples.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from github_app.tests.fixtures import shared_fixtures_dir

FIXTURES_DIR = shared_fixtures_dir()  # a one-line skip on a fresh clone, a failure where the corpus is required
SCHEMA_FILE = FIXTURES_DIR / "graphql" / "schema.graphql"

from graphql import (  # noqa: E402 - only once the reference data is known to be there
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_schema,
    parse,
    validate,
    visit,
)

import github_app  # noqa: E402
import github_app.api.installation as installation_api  # noqa: E402
from github_app.emulator.graphql import schema as emulator_schema  # noqa: E402


@cache
def github_schema() -> GraphQLSchema:
    # GitHub's file defines two fields twice and deprecates fields its interfaces keep: graphql-core's checks of a
    # schema refuse both, GitHub serves it anyway. Its documents are validated against it just the same.
    return build_schema(SCHEMA_FILE.read_text(), assume_valid=True, assume_valid_sdl=True)


def product_documents() -> dict[str, str]:
    """The GraphQL documents in github_app/api/installation.py: the only ones the product sends (see the next test)."""
    return {
        name: value
        for name, value in vars(installation_api).items()
        if name.endswith("_QUERY") and isinstance(value, str)
    }


def test_the_product_sends_graphql_only_the_documents_of_the_installation_api():
    """`InstallationAPI.graphql` is the one sender; its callers pass the documents of github_app/api/installation.py."""
    root = Path(github_app.__file__).parent
    senders = [
        (path.relative_to(root.parent), line.strip())
        for path in sorted(root.rglob("*.py"))
        if "tests" not in path.parts and "emulator" not in path.parts
        for line in path.read_text().splitlines()
        if ".graphql(" in line
    ]
    assert senders, "no GraphQL call site found: the scan is broken"
    for where, line in senders:
        assert "query, variables" in line or any(name in line for name in product_documents()), (where, line)


@pytest.mark.parametrize("name", sorted(product_documents()))
def test_every_graphql_document_validates_against_githubs_schema_without_deprecated_fields(name):
    schema, document = github_schema(), parse(product_documents()[name])
    assert [error.message for error in validate(schema, document)] == []

    deprecated: list[str] = []
    type_info = TypeInfo(schema)

    class Deprecations(Visitor):
        def enter_field(self, node, *_):
            field, parent = type_info.get_field_def(), type_info.get_parent_type()
            if field is not None and field.deprecation_reason:
                deprecated.append(f"{parent.name}.{node.name.value}: {field.deprecation_reason}")

        def enter_argument(self, node, *_):
            argument = type_info.get_argument()
            if argument is not None and argument.deprecation_reason:
                deprecated.append(f"argument {node.name.value}: {argument.deprecation_reason}")

    visit(document, TypeInfoVisitor(type_info, Deprecations()))
    assert deprecated == []


def _named_types(schema: GraphQLSchema) -> dict:
    return {name: t for name, t in schema.type_map.items() if not name.startswith("__")}


def _field_differences(name: str, ours, theirs) -> list[str]:
    problems = []
    for field_name, field in ours.fields.items():
        real = theirs.fields.get(field_name)
        if real is None:
            problems.append(f"{name}.{field_name} is not on GitHub")
            continue
        if str(field.type) != str(real.type):
            problems.append(f"{name}.{field_name}: ours {field.type}, GitHub's {real.type}")
        if bool(getattr(field, "deprecation_reason", None)) != bool(getattr(real, "deprecation_reason", None)):
            problems.append(f"{name}.{field_name}: deprecated on one side only")
        for arg_name, arg in getattr(field, "args", {}).items():
            real_arg = real.args.get(arg_name)
            if real_arg is None or str(arg.type) != str(real_arg.type):
                problems.append(
                    f"{name}.{field_name}({arg_name}): ours {arg.type}, GitHub's {real_arg and real_arg.type}"
                )
    return problems


def test_the_emulators_schema_says_what_githubs_says_for_everything_it_lists():
    ours, theirs = _named_types(emulator_schema()), _named_types(github_schema())
    problems: list[str] = []
    for name, our_type in ours.items():
        real = theirs.get(name)
        if real is None or type(real) is not type(our_type):
            problems.append(f"{name}: not a {type(our_type).__name__} on GitHub")
            continue
        if isinstance(our_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            problems += _field_differences(name, our_type, real)
        if isinstance(our_type, GraphQLObjectType | GraphQLInterfaceType):
            missing = {i.name for i in our_type.interfaces} - {i.name for i in real.interfaces}
            problems += [f"{name} does not implement {i} on GitHub" for i in sorted(missing)]
        if isinstance(our_type, GraphQLUnionType):
            missing = {t.name for t in our_type.types} - {t.name for t in real.types}
            problems += [f"{t} is not a member of {name} on GitHub" for t in sorted(missing)]
        if isinstance(our_type, GraphQLEnumType):
            problems += [f"{name}.{v} is not on GitHub" for v in sorted(set(our_type.values) - set(real.values))]
    assert problems == []


def test_the_product_documents_also_validate_against_the_emulators_schema():
    """So the emulator refuses exactly what GitHub would refuse for what tformance sends."""
    for name, document in product_documents().items():
        assert [e.message for e in validate(emulator_schema(), parse(document))] == [], name


# --- REST: the table of docs/github-api.md against the code and GitHub's examples -----------------------------

REPO_ROOT = Path(__file__).resolve().parents[2]
API_DOC = REPO_ROOT / "docs" / "github-api.md"
VERBS = {"get": "GET", "get_object": "GET", "paginate": "GET", "post": "POST", "delete": "DELETE"}


def _markdown_rows(text: str, first_header: str) -> list[list[str]]:
    """The body rows of the markdown table whose header row starts with `| first_header |`."""
    rows, inside = [], False
    for line in text.splitlines():
        if line.startswith(f"| {first_header} |"):
            inside = True
            continue
        if inside and line.startswith(("|---", "| ---")):
            continue
        if inside and line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif inside:
            break
    return rows


def _shape(path: str) -> str:
    """`/app/installations/{installation_id}` and an f-string's `/app/installations/{}` compare equal."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def documented_calls() -> dict[tuple[str, str], dict[str, str]]:
    rows = _markdown_rows(API_DOC.read_text(), "method")
    assert rows, f"no table in {API_DOC}"
    keys = ("method", "path", "credential", "fields", "used_by", "example")
    return {(row[0], _shape(row[1])): dict(zip(keys, row, strict=True)) for row in rows}


def _literal(node: ast.expr | None, assigned: dict[str, ast.expr]) -> str | None:
    if isinstance(node, ast.Name) and node.id in assigned:
        return _literal(assigned[node.id], {})
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _is_client(node: ast.expr) -> bool:
    """`self.client.<verb>(…)` or `client.<verb>(…)`: the calls that leave for GitHub."""
    return (isinstance(node, ast.Attribute) and node.attr == "client") or (
        isinstance(node, ast.Name) and node.id == "client"
    )


def code_calls() -> tuple[set[tuple[str, str]], set[str]]:
    """(method, path shape) of every REST call in github_app's own code, and the call sites whose path is not a
    literal (pass-throughs)."""
    calls: set[tuple[str, str]] = set()
    unresolved: set[str] = set()
    library = REPO_ROOT / "github_app"
    for path in sorted(library.rglob("*.py")):
        if {"tests", "emulator"} & set(path.relative_to(library).parts):
            continue
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef):
                continue
            assigned = {
                target.id: node.value
                for node in ast.walk(function)
                if isinstance(node, ast.Assign)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            for node in ast.walk(function):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                verb, receiver = node.func.attr, node.func.value
                if not _is_client(receiver) or verb not in {*VERBS, "send"}:
                    continue
                if verb == "send":
                    method, target = _literal(node.args[0], {}), node.args[1] if len(node.args) > 1 else None
                else:
                    method, target = VERBS[verb], node.args[0] if node.args else None
                literal = _literal(target, assigned)
                if method is None or literal is None:
                    unresolved.add(f"{path.relative_to(REPO_ROOT)}:{function.name}")
                else:
                    calls.add((method, _shape(literal)))
    return calls, unresolved


def test_the_table_lists_exactly_the_rest_calls_in_the_code():
    calls, unresolved = code_calls()
    assert len(calls) >= 8, "the scan of github_app found too few calls: it is broken"
    documented = set(documented_calls())
    assert sorted(calls - documented) == [], "calls missing from docs/github-api.md"
    assert sorted(documented - calls) == [], "rows of docs/github-api.md that the code no longer makes"
    assert unresolved == {"github_app/api/installation.py:get"}  # InstallationAPI.get, the documented pass-through


def test_no_product_code_sends_a_path_of_its_own():
    """The product calls GitHub only through github_app's named methods, so the table above is complete."""
    sends_a_path = re.compile(r"\.(get|get_object|post|put|patch|delete|send|request)\(\s*f?[\"'](GET|POST|/)")
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{n}"
        for path in sorted((REPO_ROOT / "apps").rglob("*.py"))
        if "tests" not in path.parts and "management" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if sends_a_path.search(line) and "github" in line.lower()
    ]
    assert offenders == []


def github_examples() -> dict[tuple[str, str], str]:
    """(method, path shape) → example file, from api/INDEX.md beside GitHub's examples."""
    rows = _markdown_rows((FIXTURES_DIR / "api" / "INDEX.md").read_text(), "file")
    return {(row[1], _shape(row[2])): row[0] for row in rows}


def _has(value: Any, path: list[str]) -> bool:
    """Whether `value` has the field path (`[]` steps into list items; any item may have it)."""
    if not path:
        return True
    step, rest = path[0], path[1:]
    if step == "[]":
        return isinstance(value, list) and bool(value) and any(_has(item, rest) for item in value)
    if step.endswith("[]"):
        return isinstance(value, dict) and _has(value.get(step[:-2]), ["[]", *rest])
    return isinstance(value, dict) and step in value and _has(value[step], rest)


def _field_paths(cell: str) -> list[list[str]]:
    paths = []
    for field in re.findall(r"`([^`]+)`", cell):
        steps = []
        for part in field.split("."):
            steps += ["[]", part[2:]] if part.startswith("[].") else (["[]"] if part == "[]" else [part])
        paths.append([s for s in steps if s])
    return paths


@pytest.mark.parametrize("call", sorted(documented_calls()), ids=lambda call: f"{call[0]} {call[1]}")
def test_every_documented_call_and_field_is_in_githubs_example(call):
    row, examples = documented_calls()[call], github_examples()
    if row["example"] == "—":
        assert call not in examples, f"GitHub has an example for {call}: name it ({examples.get(call)})"
        return
    assert examples.get(call) == row["example"], f"{call}: GitHub's example is {examples.get(call)}"
    example = json.loads((FIXTURES_DIR / "api" / row["example"]).read_text())
    missing = [".".join(p) for p in _field_paths(row["fields"]) if not _has(example, p)]
    assert missing == [], f"fields read that GitHub's example of {call} does not have"
