"""Checks the fake's answers against GitHub's official OpenAPI description.

The description comes from the npm package ``@octokit/openapi`` (pinned in
``tests/contracts/package.json``); `load_contract` reads it once per process.
Schemas are checked with ``openapi_schema_validator``'s OpenAPI 3.0 validator (which
understands ``nullable`` and checks ``date-time`` formats), resolving ``$ref``s
against the whole description, and only for the operations the fake serves.

A response whose status the operation does not declare is an error for 2xx (e.g.
answering 201 where GitHub answers 200); an undeclared error status is checked
against GitHub's generic ``basic-error`` shape.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import _keywords
from jsonschema.validators import extend
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from .fixtures import contracts_path
from .server import SERVED_OPERATIONS, Recorded

__all__ = [
    "ContractViolation",
    "OpenAPIContract",
    "load_contract",
]

SPEC_PACKAGE = "@octokit/openapi"
SPEC_FILE = "generated/api.github.com.json"
_SPEC_URI = "urn:github-rest-openapi"


class ContractViolation(AssertionError):
    """A response that does not match GitHub's OpenAPI description."""


def _nullable_enum(validator: Any, enums: Any, instance: Any, schema: dict[str, Any]) -> Any:
    """``enum`` that lets ``null`` through when the schema is ``nullable``.

    GitHub writes e.g. ``state_reason: {nullable: true, enum: [...]}`` without ``null``
    in the enum and answers ``null``; OpenAPI 3.0.3 read strictly would reject that.
    """
    if instance is None and schema.get("nullable") is True:
        return
    yield from _keywords.enum(validator, enums, instance, schema)


_ReadValidator = extend(OAS30ReadValidator, validators={"enum": _nullable_enum})
_WriteValidator = extend(OAS30WriteValidator, validators={"enum": _nullable_enum})

# Operations whose documented body is ``{"labels": [...]}`` but which GitHub (and PyGithub,
# which sends this form) also accept as a bare array of names, as their descriptions say.
_BARE_LABEL_ARRAY = frozenset(
    {
        ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
        ("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    }
)


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass
class OpenAPIContract:
    """GitHub's REST description plus validators for the responses the fake serves."""

    spec: dict[str, Any]
    validated: set[tuple[str, str]] = field(default_factory=set)
    _registry: Registry = field(init=False, repr=False)
    _validators: dict[str, Any] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        resource = Resource.from_contents(self.spec, default_specification=DRAFT4)
        self._registry = Registry().with_resource(_SPEC_URI, resource)

    @property
    def version(self) -> str:
        """The ``info.version`` of the loaded description."""
        return str(self.spec["info"]["version"])

    def operation(self, method: str, template: str) -> dict[str, Any]:
        """The OpenAPI operation object of ``method`` ``template``."""
        try:
            return self.spec["paths"][template][method.lower()]
        except KeyError:
            raise ContractViolation(f"GitHub has no operation {method} {template}") from None

    def operation_id(self, method: str, template: str) -> str:
        """E.g. ``issues/list-for-repo``."""
        return str(self.operation(method, template)["operationId"])

    def _deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def response_pointer(self, method: str, template: str, status: int) -> str | None:
        """JSON pointer to the response schema, or None when the answer has no body.

        Raises ContractViolation for an undeclared 2xx status; an undeclared error status
        points at ``basic-error``.
        """
        responses = self.operation(method, template)["responses"]
        declared = responses.get(str(status))
        if declared is None:
            if 200 <= status < 300:
                raise ContractViolation(f"{method} {template} answered {status}; GitHub declares {sorted(responses)}")
            return "#/components/schemas/basic-error"
        response = self._deref(declared)
        content = response.get("content", {}).get("application/json")
        if content is None:
            return None
        if "$ref" in declared:
            name = declared["$ref"].rsplit("/", 1)[-1]
            return "#/" + _pointer("components", "responses", name, "content", "application/json", "schema")
        return "#/" + _pointer(
            "paths",
            template,
            method.lower(),
            "responses",
            str(status),
            "content",
            "application/json",
            "schema",
        )

    def _validator(self, pointer: str, *, write: bool = False) -> Any:
        key = f"{'w' if write else 'r'}{pointer}"
        validator = self._validators.get(key)
        if validator is None:
            cls = _WriteValidator if write else _ReadValidator
            validator = cls(
                {"$ref": f"{_SPEC_URI}{pointer}"},
                registry=self._registry,
                format_checker=OAS30ReadValidator.FORMAT_CHECKER,
            )
            self._validators[key] = validator
        return validator

    def _check(self, pointer: str, instance: Any, what: str, *, write: bool = False) -> None:
        errors = sorted(
            self._validator(pointer, write=write).iter_errors(instance),
            key=lambda e: list(e.absolute_path),
        )
        if errors:
            lines = [f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}" for e in errors[:20]]
            raise ContractViolation(f"{what} violates {pointer}:\n" + "\n".join(lines))

    def validate_response(self, method: str, template: str, status: int, body: Any) -> None:
        """Check one answer of ``method template`` against GitHub's description."""
        pointer = self.response_pointer(method, template, status)
        what = f"{method} {template} -> {status}"
        if pointer is None:
            if body is not None:
                raise ContractViolation(f"{what} must have no body, got {json.dumps(body)[:200]}")
        else:
            self._check(pointer, body, what)
        self.validated.add((method.upper(), template))

    def validate_request(self, method: str, template: str, body: Any) -> None:
        """Check a request body against the operation's documented ``requestBody``.

        A bare array of label names is accepted for add/set labels (see `_BARE_LABEL_ARRAY`).
        """
        operation = self.operation(method, template)
        what = f"request body of {method} {template}"
        request = operation.get("requestBody")
        if request is None:
            if body is not None:
                raise ContractViolation(f"{what}: GitHub documents no body, got {body!r:.200}")
            return
        request = self._deref(request)
        if body is None:
            if request.get("required"):
                raise ContractViolation(f"{what} is required")
            return
        if (method.upper(), template) in _BARE_LABEL_ARRAY and isinstance(body, list):
            bad = [
                x
                for x in body
                if not isinstance(x, str | dict) or (isinstance(x, dict) and not isinstance(x.get("name"), str))
            ]
            if bad:
                raise ContractViolation(f"{what}: not label names: {bad!r:.200}")
            return
        pointer = "#/" + _pointer(
            "paths",
            template,
            method.lower(),
            "requestBody",
            "content",
            "application/json",
            "schema",
        )
        self._check(pointer, body, what, write=True)

    def validate_schema(self, name: str, instance: Any) -> None:
        """Check ``instance`` against ``#/components/schemas/{name}``."""
        self._check(f"#/components/schemas/{name}", instance, f"instance of {name}")

    def validate_recorded(self, records: Iterable[Recorded]) -> int:
        """Validate every routed answer in ``records`` (a fake's ``requests``); returns count.

        Answers with no route (unknown paths) are skipped, as are 304s; error statuses
        GitHub does not declare for the operation (401, rate limits, 5xx) are checked
        against ``basic-error``. The body of every request the fake accepted (2xx) must
        also be valid for GitHub: the fake may not be more lenient than the description.
        """
        n = 0
        for record in records:
            if record.route is None or record.status == 304:
                continue
            self.validate_response(record.method, record.route, record.status, record.response_json)
            if 200 <= record.status < 300 and record.method != "GET":
                self.validate_request(record.method, record.route, record.body_json)
            n += 1
        return n

    def unvalidated(self) -> list[tuple[str, str]]:
        """Served operations that no validated answer has covered yet."""
        return [(m, t) for m, t, _ in SERVED_OPERATIONS if (m, t) not in self.validated]


@functools.cache
def _load(path: Path) -> OpenAPIContract:
    with path.open(encoding="utf-8") as fh:
        return OpenAPIContract(json.load(fh))


def load_contract() -> OpenAPIContract:
    """GitHub's api.github.com description, parsed once per process.

    Skips the calling test (naming the npm command) when the package is not installed.
    """
    return _load(contracts_path(SPEC_PACKAGE, SPEC_FILE))
