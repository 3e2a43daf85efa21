"""Local AWS emulator for Bucket Warden's integration tests.

Runs moto's server (moto 5.2.5, pinned in mk/emulator.mk) in this process on a
loopback address, with the extensions of ``moto_patches`` and the
request log and fault switch of ``controls``. Usage:

    .venv/bin/python tests/emulator/bucketwarden_emulator.py --port 4566

When the server is listening it prints one line to stdout that starts with
``bucketwarden-emulator ready``. Logs go to stderr.
"""

import argparse
import ipaddress
import logging
import os
import signal
import sys
import threading
import time
from typing import Any, Iterable

from access_analyzer import SERVICE as ACCESS_ANALYZER_SERVICE
from access_analyzer import AccessAnalyzer
from controls import (
    CONTROL_PREFIX,
    FaultSwitch,
    RequestLog,
    describe_request,
    handle_control,
    read_json_body,
    send_fault,
    send_json,
)

ACCESS_ANALYZER_FINDINGS_PATH = CONTROL_PREFIX + "access-analyzer/findings"

# The account of the sample events in events/*.json.
DEFAULT_ACCOUNT_ID = "111122223333"

LOG = logging.getLogger("bucketwarden.emulator")


def is_loopback(host: str) -> bool:
    """Return whether ``host`` is ``localhost`` or a loopback IP address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to bind (default: 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port to bind")
    parser.add_argument(
        "--account-id",
        default=DEFAULT_ACCOUNT_ID,
        help=(
            "AWS account id that every request acts as "
            f"(default: {DEFAULT_ACCOUNT_ID}, the account of events/*.json)"
        ),
    )
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="exit when the process that started the emulator exits",
    )
    args = parser.parse_args(argv)

    if not is_loopback(args.host):
        parser.error(
            f"invalid --host {args.host!r}: "
            "only loopback addresses (127.0.0.0/8, ::1, localhost) are allowed"
        )
    if not 1 <= args.port <= 65535:
        parser.error(f"invalid --port {args.port}: expected 1 to 65535")
    if not (args.account_id.isdigit() and len(args.account_id) == 12):
        parser.error(f"invalid --account-id {args.account_id!r}: expected 12 digits")
    return args


class BucketWardenApp:
    """WSGI app that records each AWS request, applies faults, and passes the rest to moto."""

    def __init__(self, moto_app: Any, account_id: str) -> None:
        self.moto_app = moto_app
        self.log = RequestLog()
        self.faults = FaultSwitch()
        self.access_analyzer = AccessAnalyzer(account_id)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") == ACCESS_ANALYZER_FINDINGS_PATH:
            return self.add_access_analyzer_findings(environ, start_response)
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return handle_control(environ, start_response, self.log, self.faults)

        entry = describe_request(environ)
        self.log.append(entry)

        def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            entry["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        fault = self.faults.take(entry)
        if fault is not None:
            LOG.info(
                "fault %s returns %s %s for %s %s?%s",
                fault.id,
                fault.status,
                fault.code,
                entry["method"],
                entry["path"],
                entry["query"],
            )
            return send_fault(fault, environ, recording_start_response)
        if entry["service"] == ACCESS_ANALYZER_SERVICE:
            return self.access_analyzer.handle(environ, recording_start_response, entry["region"] or "us-east-1")
        return self.moto_app(environ, recording_start_response)

    def add_access_analyzer_findings(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Store the JSON list of findings in the body, for tests of the access-analyzer control."""
        documents = read_json_body(environ)
        if not isinstance(documents, list) or not all(isinstance(item, dict) for item in documents):
            return send_json(start_response, 400, {"error": "expected a JSON list of finding objects"})
        return send_json(start_response, 200, {"added": self.access_analyzer.add_findings(documents)})


def exit_when_parent_exits() -> None:
    """Start a daemon thread that ends this process once its parent has gone.

    A test runner killed with SIGKILL cannot stop its emulator, and the orphan
    would keep its port. When the parent exits, the kernel gives this process a
    new parent, so a changed ``getppid()`` means the runner is gone.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        LOG.info("parent process %d exited; stopping", parent)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )

    # Moto reads these from the environment, so they are set before moto is imported.
    os.environ["MOTO_ACCOUNT_ID"] = args.account_id
    os.environ["MOTO_PORT"] = str(args.port)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

    import moto
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    import moto_patches

    moto_patches.apply_all()
    app = BucketWardenApp(DomainDispatcherApplication(create_backend_app), args.account_id)
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler
    )

    def stop(signum: int, _frame: Any) -> None:
        LOG.info("received signal %d; stopping", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.exit_with_parent:
        exit_when_parent_exits()

    host = f"[{args.host}]" if ":" in args.host else args.host
    endpoint = f"http://{host}:{server.port}"
    LOG.info("moto %s listening on %s as account %s", moto.__version__, endpoint, args.account_id)
    print(f"bucketwarden-emulator ready {endpoint}", flush=True)
    server.serve_forever()
    LOG.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
