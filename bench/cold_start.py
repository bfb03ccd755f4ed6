#!/usr/bin/env python3
"""Cold-start init time of Lambda function binaries, against a fake Runtime API.

Each run starts one binary with AWS_LAMBDA_RUNTIME_API pointing at a local
stdlib HTTP server and times from just before exec to the binary's first
`GET /2018-06-01/runtime/invocation/next`: everything its `main` does before it
is ready for an event. Runs go round-robin over the binaries so that load from
other processes on the machine spreads over all of them alike; the first round
is a discarded warm-up (page cache). Prints size, median init and the ratio to
the `hello` baseline, which must be among the binaries.

usage: cold_start.py BIN_DIR RUNS NAME...
"""

import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

NEXT = "/2018-06-01/runtime/invocation/next"
INIT_ERROR = "/2018-06-01/runtime/init/error"
RUN_TIMEOUT_S = 10.0

# What every function's main reads before it asks for an event. Provider
# settings are included so that every HTTP client a function can build is
# built, as in a fully configured deployment. None of these are contacted.
FUNCTION_ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
    "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
    "RUST_LOG": "info",
    "TABLE_NAME": "bench-table",
    "DUE_SHARDS": "4",
    "ENRICH_QUEUE_URL": "http://127.0.0.1:9/queue/enrich",
    "SCORE_QUEUE_URL": "http://127.0.0.1:9/queue/score",
    "CRAFT_QUEUE_URL": "http://127.0.0.1:9/queue/craft",
    "BUS_NAME": "bench-bus",
    "ADMIN_BOOTSTRAP_TOKEN": "bench-token",
    "UNSUBSCRIBE_BASE_URL": "https://example.invalid/u",
    "LINK_SIGNING_KEY": "bench-link-key",
    "MAILGUN_WEBHOOK_SIGNING_KEY": "bench-mailgun-key",
    "SLACK_WEBHOOK_URL": "https://example.invalid/slack",
    "PEOPLE_MATCH_API_URL": "https://example.invalid/people-match",
    "PEOPLE_MATCH_API_KEY": "bench",
    "ASYNC_ENRICH_API_URL": "https://example.invalid/async-enrich",
    "ASYNC_ENRICH_API_KEY": "bench",
    "AI_WRITER_API_KEY": "bench",
    "AI_WRITER_URL": "https://example.invalid/writer",
    "PEOPLE_SEARCH_API_URL": "https://example.invalid/people-search",
    "PEOPLE_SEARCH_API_KEY": "bench",
    "PROSPECT_DATASET_URL": "https://example.invalid/dataset/items",
}


class Arrivals:
    """What the fake Runtime API saw during the current run."""

    def __init__(self):
        self.lock = threading.Lock()
        self.event = threading.Event()
        self.at = None
        self.init_error = None

    def reset(self):
        with self.lock:
            self.event.clear()
            self.at = None
            self.init_error = None

    def next_seen(self, at):
        with self.lock:
            if self.at is None:
                self.at = at
        self.event.set()

    def failed(self, body):
        with self.lock:
            self.init_error = body
        self.event.set()


def serve(arrivals):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            at = time.perf_counter()
            if self.path == NEXT:
                arrivals.next_seen(at)
                # Lambda long-polls here; the run is over, so the binary is
                # killed while this request waits.
                time.sleep(RUN_TIMEOUT_S)
            self.send_error(404)

        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode(errors="replace")
            if self.path == INIT_ERROR:
                arrivals.failed(body)
            self.send_response(202)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # a killed binary leaves a broken connection behind

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_once(path, env, arrivals, log):
    arrivals.reset()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [path], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
    )
    try:
        arrivals.event.wait(RUN_TIMEOUT_S)
        exited = proc.poll()
    finally:
        proc.kill()
        proc.wait()
    if arrivals.init_error is not None:
        raise RuntimeError(f"init error reported: {arrivals.init_error}")
    if arrivals.at is None:
        why = f"exited with {exited}" if exited is not None else "timed out"
        raise RuntimeError(f"never asked for an event ({why})")
    return (arrivals.at - start) * 1000.0


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    bin_dir, runs, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    if "hello" not in names:
        sys.exit("cold_start.py: the hello baseline must be among the binaries")
    arrivals = Arrivals()
    server = serve(arrivals)
    port = server.server_address[1]
    times = {name: [] for name in names}
    logs = {}
    try:
        for name in names:
            logs[name] = tempfile.TemporaryFile()
        for round_ in range(runs + 1):
            for name in names:
                env = {
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    **FUNCTION_ENV,
                    "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
                    "AWS_LAMBDA_FUNCTION_NAME": name,
                }
                logs[name].seek(0)
                logs[name].truncate()
                try:
                    ms = run_once(os.path.join(bin_dir, name), env, arrivals, logs[name])
                except RuntimeError as e:
                    logs[name].seek(0)
                    tail = logs[name].read().decode(errors="replace")[-2000:]
                    sys.exit(f"cold_start.py: {name}: {e}\n{tail}")
                if round_ > 0:
                    times[name].append(ms)
    finally:
        server.shutdown()
        server.server_close()
        for log in logs.values():
            log.close()

    hello = statistics.median(times["hello"])
    print(f"{runs} runs each, median from exec to the first GET {NEXT}")
    print()
    print(f"| {'function':<18} | {'size (MB)':>9} | {'init (ms)':>9} | {'x hello':>7} |")
    print(f"|{'-' * 20}|{'-' * 10}:|{'-' * 10}:|{'-' * 8}:|")
    for name in names:
        size = os.path.getsize(os.path.join(bin_dir, name)) / 1_000_000
        median = statistics.median(times[name])
        print(f"| {name:<18} | {size:>9.1f} | {median:>9.2f} | {median / hello:>7.2f} |")


if __name__ == "__main__":
    main()
