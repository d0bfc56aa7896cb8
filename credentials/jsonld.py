"""JSON-LD for Open Badges 3.0: the bundled contexts, a document loader that serves only them, and
the RDF dataset of a document (the input of RDFC-1.0, ``credentials.rdfc``).

Contexts are never fetched at run time: ``credentials/contexts/`` holds the copies listed in its
``manifest.json`` (where each comes from is written there), and any other URL is refused with the
URL named, so a foreign credential with an unknown context is "not valid", never a request.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
#: The @context of every OpenBadgeCredential we issue, in the order the spec gives.
CREDENTIAL_CONTEXT = [VC_V2, OB_V3, OB_EXTENSIONS]

# Limits on the JSON itself, checked before any JSON-LD processing (a hostile document must not burn
# the worker); the RDF limits are in credentials.rdfc.
MAX_JSON_VALUES = 5000
MAX_JSON_DEPTH = 32


class JsonLdError(ValueError):
    """A document that cannot be turned into RDF here; the message says why, for a person."""


class UnknownContext(JsonLdError):
    pass


@cache
def bundled_contexts() -> dict[str, Any]:
    """URL -> parsed context document, for every context in the manifest."""
    manifest = json.loads((CONTEXTS_DIR / "manifest.json").read_text())
    return {entry["url"]: json.loads((CONTEXTS_DIR / entry["file"]).read_text())
            for entry in manifest["contexts"]}


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """pyld's loader: a bundled context, or a refusal naming the URL. Never a network request."""
    from pyld import jsonld as pyld  # about 5 MB: loaded where JSON-LD is read, not in every web worker

    document = bundled_contexts().get(url)
    if document is None:
        raise pyld.JsonLdError(f"The context {url} is not one of the bundled contexts; it is never fetched.",
                               "jsonld.LoadDocumentError", {"url": url}, code="loading document failed")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document}


def _check_size(document: Any) -> None:
    """Refuse a document with more than MAX_JSON_VALUES values or nested deeper than MAX_JSON_DEPTH, a level
    at a time (one ``extend`` per container: this runs for every credential the worker signs)."""
    level, depth, count = [document], 1, 0
    while level:
        count += len(level)
        if count > MAX_JSON_VALUES:
            raise JsonLdError(f"The document has more than {MAX_JSON_VALUES} values; it is too large to check.")
        if depth > MAX_JSON_DEPTH:
            raise JsonLdError(f"The document is nested more than {MAX_JSON_DEPTH} levels deep.")
        below: list[Any] = []
        for value in level:
            if isinstance(value, dict):
                below.extend(value.values())
            elif isinstance(value, list):
                below.extend(value)
        level, depth = below, depth + 1


def _unknown_context_url(exc: BaseException) -> str | None:
    while exc is not None:
        details = getattr(exc, "details", None)
        if isinstance(details, dict) and "url" in details and getattr(exc, "type", "") == "jsonld.LoadDocumentError":
            return str(details["url"])
        exc = exc.__cause__ or getattr(exc, "cause", None)  # type: ignore[assignment]
    return None


def to_dataset(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The RDF quads of ``document`` (pyld's quad dicts; a named graph's quads carry ``name``)."""
    if not isinstance(document, dict):
        raise JsonLdError("A JSON-LD document must be a JSON object.")
    _check_size(document)
    from pyld import jsonld as pyld  # about 5 MB: loaded where JSON-LD is read, not in every web worker

    try:
        dataset = pyld.to_rdf(document, {"documentLoader": document_loader, "produceGeneralizedRdf": False,
                                         "base": ""})
    except pyld.JsonLdError as exc:
        url = _unknown_context_url(exc)
        if url is not None:
            raise UnknownContext(f"Unknown context {url}: only the bundled contexts are used.") from exc
        raise JsonLdError(f"The document is not valid JSON-LD ({exc.__class__.__name__}: "
                          f"{str(exc).splitlines()[0][:200]}).") from exc
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        raise JsonLdError(f"The document is not valid JSON-LD ({exc.__class__.__name__}).") from exc
    quads: list[dict[str, Any]] = []
    for graph_name, triples in dataset.items():
        for triple in triples:
            if graph_name != "@default":
                triple = {**triple, "name": {"type": "blank node" if graph_name.startswith("_:") else "IRI",
                                             "value": graph_name}}
            quads.append(triple)
    return quads
