"""Request log and fault switch, served under the /_bucketwarden/ control endpoints.

All bodies are JSON. Requests to these endpoints are not recorded in the request log.

- ``GET  /_bucketwarden/requests``        every recorded request, oldest first
- ``POST /_bucketwarden/requests/reset``  clear the request log
- ``GET  /_bucketwarden/faults``          the active faults
- ``POST /_bucketwarden/faults``          add a fault (see ``parse_fault``)
- ``POST /_bucketwarden/faults/reset``    remove every fault
"""

import io
import json
import logging
import re
import threading
import uuid
from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

CONTROL_PREFIX = "/_bucketwarden/"
S3_CONTROL_PATH_PREFIX = "/v20180820/"

# The SigV4 credential scope: Credential=<key id>/<yyyymmdd>/<region>/<service>/aws4_request
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request")

LOG = logging.getLogger("bucketwarden.emulator")

StartResponse = Callable[..., Any]


def read_query_protocol_action(environ: dict[str, Any]) -> str | None:
    """Return the ``Action`` parameter of a form-encoded body (the query protocol of SNS and STS).

    The body is put back into ``wsgi.input`` so that moto can read it again.
    """
    content_type = environ.get("CONTENT_TYPE", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length <= 0:
        return None

    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    actions = parse_qs(body.decode("utf-8", errors="replace")).get("Action")
    return actions[0] if actions else None


def describe_request(environ: dict[str, Any]) -> dict[str, Any]:
    """Build the request log entry for one WSGI request.

    ``service`` and ``region`` come from the SigV4 credential scope of the
    Authorization header and are null for unsigned requests. ``action`` is the
    operation name from ``X-Amz-Target`` (JSON protocols) or from the ``Action``
    body parameter (query protocol), and null for REST protocols such as S3.
    ``bucket`` is the first path segment of a path-style S3 request.
    """
    path = environ.get("PATH_INFO", "")
    target = environ.get("HTTP_X_AMZ_TARGET")
    scope = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = scope.group(2) if scope else None

    if target:
        action = target.rsplit(".", 1)[-1]
    else:
        action = read_query_protocol_action(environ)

    bucket = None
    if service == "s3" and not path.startswith(S3_CONTROL_PATH_PREFIX):
        bucket = path.lstrip("/").split("/", 1)[0] or None

    return {
        "method": environ.get("REQUEST_METHOD", ""),
        "path": path,
        "query": environ.get("QUERY_STRING", ""),
        "host": environ.get("HTTP_HOST"),
        "target": target,
        "service": service,
        "region": scope.group(1) if scope else None,
        "action": action,
        "bucket": bucket,
        "status": None,
    }


class RequestLog:
    """Thread-safe, in-memory list of request log entries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def append(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._entries]

    def clear(self) -> int:
        """Remove every entry and return how many there were."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count


@dataclass
class Fault:
    """An error response that replaces moto's response for matching requests.

    Every criterion that is set must hold. ``times`` is the number of matching
    requests still to fail, or None to fail every one.
    """

    id: str
    status: int
    code: str
    message: str
    service: str | None
    method: str | None
    bucket: str | None
    path_contains: str | None
    query_contains: str | None
    action: str | None
    times: int | None

    def matches(self, request: dict[str, Any]) -> bool:
        if self.service is not None and request["service"] != self.service:
            return False
        if self.method is not None and request["method"].upper() != self.method.upper():
            return False
        if self.bucket is not None and request["bucket"] != self.bucket:
            return False
        if self.path_contains is not None and self.path_contains not in request["path"]:
            return False
        if self.query_contains is not None and self.query_contains not in request["query"]:
            return False
        if self.action is not None and request["action"] != self.action:
            return False
        return True


OPTIONAL_TEXT_FIELDS = ("method", "bucket", "path_contains", "query_contains", "action")


def parse_fault(document: Any) -> Fault:
    """Validate a fault request body and build the fault.

    Required fields:

    - ``status``: an HTTP status from 400 to 599
    - ``code``: the AWS error code

    Optional fields:

    - ``message``: the error message, empty by default
    - ``service``: the SigV4 service name, ``"s3"`` by default, or null for every service
    - ``method``, ``bucket``, ``path_contains``, ``action``
    - ``query_contains``: a substring of the raw query string
    - ``times``: how many matching requests fail, or null for all of them

    Raises ValueError with a message that names the invalid field.
    """
    if not isinstance(document, dict):
        raise ValueError("the fault must be a JSON object")
    known = {"status", "code", "message", "service", "times", *OPTIONAL_TEXT_FIELDS}
    unknown = sorted(set(document) - known)
    if unknown:
        raise ValueError(f"unknown fault fields {unknown}; expected some of {sorted(known)}")

    status = document.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
        raise ValueError(f"invalid status {status!r}: expected an integer from 400 to 599")
    code = document.get("code")
    if not isinstance(code, str) or not code:
        raise ValueError(f"invalid code {code!r}: expected a non-empty AWS error code")
    message = document.get("message", "")
    if not isinstance(message, str):
        raise ValueError(f"invalid message {message!r}: expected a string")
    service = document.get("service", "s3")
    if service is not None and not isinstance(service, str):
        raise ValueError(f"invalid service {service!r}: expected a string or null")
    for field in OPTIONAL_TEXT_FIELDS:
        value = document.get(field)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"invalid {field} {value!r}: expected a string or null")
    times = document.get("times")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise ValueError(f"invalid times {times!r}: expected null or a positive integer")

    return Fault(
        id=uuid.uuid4().hex,
        status=status,
        code=code,
        message=message,
        service=service,
        times=times,
        **{field: document.get(field) for field in OPTIONAL_TEXT_FIELDS},
    )


class FaultSwitch:
    """Thread-safe list of active faults, checked in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, request: dict[str, Any]) -> Fault | None:
        """Return the first fault matching ``request`` and count one use of it."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(request):
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                return fault
            return None

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(fault) for fault in self._faults]

    def clear(self) -> int:
        """Remove every fault and return how many there were."""
        with self._lock:
            count = len(self._faults)
            self._faults.clear()
            return count


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


def send_fault(
    fault: Fault, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    """Send the fault's error in the wire format of the request's protocol.

    S3 and S3 Control (service ``s3``) get the S3 XML ``<Error>`` document.
    Form-encoded query-protocol requests (SNS, STS) get ``<ErrorResponse>``.
    Everything else gets the JSON error body with ``__type``, which the JSON
    and REST-JSON protocols (KMS, CloudTrail, SQS, GuardDuty) read.
    """
    request_id = uuid.uuid4().hex.upper()[:16]
    headers = [("x-amz-request-id", request_id), ("x-amzn-RequestId", request_id)]
    code = escape(fault.code)
    message = escape(fault.message)
    scope = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = scope.group(2) if scope else None

    if service == "s3":
        content_type = "application/xml"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        )
    elif environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        content_type = "text/xml"
        error_type = "Sender" if fault.status < 500 else "Receiver"
        body = (
            "<ErrorResponse><Error>"
            f"<Type>{error_type}</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    else:
        content_type = "application/x-amz-json-1.1"
        headers.append(("x-amzn-ErrorType", fault.code))
        body = json.dumps({"__type": fault.code, "message": fault.message})

    payload = b"" if environ.get("REQUEST_METHOD") == "HEAD" else body.encode("utf-8")
    headers.append(("Content-Type", content_type))
    headers.append(("Content-Length", str(len(payload))))
    start_response(status_line(fault.status), headers)
    return [payload]


def send_json(start_response: StartResponse, status: int, document: Any) -> Iterable[bytes]:
    payload = json.dumps(document).encode("utf-8")
    start_response(
        status_line(status),
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def read_json_body(environ: dict[str, Any]) -> Any:
    """Parse the request body as JSON. Raises ValueError when it is not valid JSON."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError as error:
        raise ValueError("invalid Content-Length") from error
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    return json.loads(body.decode("utf-8"))


def handle_control(
    environ: dict[str, Any],
    start_response: StartResponse,
    log: RequestLog,
    faults: FaultSwitch,
) -> Iterable[bytes]:
    """Serve one request to a /_bucketwarden/ control endpoint."""
    method = environ.get("REQUEST_METHOD", "")
    path = environ.get("PATH_INFO", "").rstrip("/")

    if (method, path) == ("GET", "/_bucketwarden/requests"):
        return send_json(start_response, 200, log.snapshot())
    if (method, path) == ("POST", "/_bucketwarden/requests/reset"):
        return send_json(start_response, 200, {"cleared": log.clear()})
    if (method, path) == ("GET", "/_bucketwarden/faults"):
        return send_json(start_response, 200, faults.snapshot())
    if (method, path) == ("POST", "/_bucketwarden/faults/reset"):
        return send_json(start_response, 200, {"cleared": faults.clear()})
    if (method, path) == ("POST", "/_bucketwarden/faults"):
        try:
            fault = parse_fault(read_json_body(environ))
        except ValueError as error:
            LOG.warning("rejected fault: %s", error)
            return send_json(start_response, 400, {"error": str(error)})
        faults.add(fault)
        LOG.info("added fault %s", asdict(fault))
        return send_json(start_response, 200, asdict(fault))

    LOG.warning("control endpoint not found: %s %s", method, path)
    error = f"control endpoint not found: {method} {path}; see controls.py"
    return send_json(start_response, 404, {"error": error})
