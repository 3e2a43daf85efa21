"""A small IAM Access Analyzer for the emulator, which moto 5.2.5 lacks.

It serves the calls Bucket Warden makes, in the restJson1 shapes of the real
service (signing name ``access-analyzer``):

- ``PUT  /analyzer``        CreateAnalyzer; an existing name is a ConflictException
- ``GET  /analyzer``        ListAnalyzers, optionally filtered by ``?type=``
- ``GET  /analyzer/NAME``   GetAnalyzer
- ``POST /finding``         ListFindings for one analyzer; findings come from tests

Findings are added by tests through ``POST /_bucketwarden/access-analyzer/findings``
with a JSON list of finding summaries (``resource``, ``isPublic``, ``status`` ...);
missing required fields get defaults.
"""

import json
import threading
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, unquote

SERVICE = "access-analyzer"

StartResponse = Callable[..., Any]


class AccessAnalyzer:
    """In-memory analyzers and findings of one account, keyed by region."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self.analyzers: dict[tuple[str, str], dict[str, Any]] = {}
        self.findings: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def handle(self, environ: dict[str, Any], start_response: StartResponse, region: str) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        if method == "PUT" and path == "/analyzer":
            return self.create_analyzer(environ, start_response, region)
        if method == "GET" and path == "/analyzer":
            wanted = parse_qs(environ.get("QUERY_STRING", "")).get("type", [None])[0]
            with self.lock:
                analyzers = [
                    analyzer
                    for (analyzer_region, _), analyzer in self.analyzers.items()
                    if analyzer_region == region and wanted in (None, analyzer["type"])
                ]
            return send(start_response, 200, {"analyzers": analyzers})
        if method == "GET" and path.startswith("/analyzer/"):
            name = unquote(path[len("/analyzer/"):])
            with self.lock:
                analyzer = self.analyzers.get((region, name))
            if analyzer is None:
                return error(start_response, 404, "ResourceNotFoundException", f"Analyzer {name} not found")
            return send(start_response, 200, {"analyzer": analyzer})
        if method == "POST" and path == "/finding":
            return self.list_findings(environ, start_response, region)
        return error(start_response, 404, "UnknownOperationException", f"{method} {path} is not emulated")

    def create_analyzer(self, environ: dict[str, Any], start_response: StartResponse, region: str) -> Iterable[bytes]:
        body = read_json(environ)
        name = body.get("analyzerName")
        if not isinstance(name, str) or not name:
            return error(start_response, 400, "ValidationException", "analyzerName is required")
        analyzer_type = body.get("type", "ACCOUNT")
        with self.lock:
            if (region, name) in self.analyzers:
                return error(start_response, 409, "ConflictException", f"Analyzer {name} already exists")
            arn = f"arn:aws:access-analyzer:{region}:{self.account_id}:analyzer/{name}"
            self.analyzers[(region, name)] = {
                "arn": arn,
                "name": name,
                "type": analyzer_type,
                "status": "ACTIVE",
                "createdAt": now_iso(),
                "tags": body.get("tags", {}),
            }
        return send(start_response, 200, {"arn": arn})

    def list_findings(self, environ: dict[str, Any], start_response: StartResponse, region: str) -> Iterable[bytes]:
        body = read_json(environ)
        analyzer_arn = body.get("analyzerArn")
        with self.lock:
            known = any(analyzer["arn"] == analyzer_arn for analyzer in self.analyzers.values())
            findings = [finding for finding in self.findings if finding["_region"] == region]
        if not known:
            return error(start_response, 404, "ResourceNotFoundException", f"Analyzer {analyzer_arn} not found")
        wanted_type = (body.get("filter") or {}).get("resourceType", {}).get("eq")
        if wanted_type:
            findings = [finding for finding in findings if finding["resourceType"] in wanted_type]
        visible = [{key: value for key, value in finding.items() if not key.startswith("_")} for finding in findings]
        return send(start_response, 200, {"findings": visible})

    def add_findings(self, documents: list[dict[str, Any]]) -> int:
        """Store findings sent by a test; each may name its ``region`` (default us-east-1)."""
        now = now_iso()
        with self.lock:
            for document in documents:
                finding = {
                    "id": str(uuid.uuid4()),
                    "resourceType": "AWS::S3::Bucket",
                    "condition": {},
                    "createdAt": now,
                    "analyzedAt": now,
                    "updatedAt": now,
                    "status": "ACTIVE",
                    "resourceOwnerAccount": self.account_id,
                    "_region": document.pop("region", "us-east-1"),
                }
                finding.update(document)
                self.findings.append(finding)
        return len(documents)


def now_iso() -> str:
    """The current time in the ISO 8601 form Access Analyzer uses for timestamps."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_json(environ: dict[str, Any]) -> dict[str, Any]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    try:
        document = json.loads(raw or b"{}")
    except json.JSONDecodeError:
        return {}
    return document if isinstance(document, dict) else {}


def send(start_response: StartResponse, status: int, document: Any) -> Iterable[bytes]:
    body = json.dumps(document).encode()
    start_response(
        f"{status} {'OK' if status == 200 else 'Error'}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def error(start_response: StartResponse, status: int, code: str, message: str) -> Iterable[bytes]:
    body = json.dumps({"message": message}).encode()
    start_response(
        f"{status} Error",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("x-amzn-ErrorType", code),
        ],
    )
    return [body]
