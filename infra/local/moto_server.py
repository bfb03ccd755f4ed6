"""moto server, with one fix for large local runs.

moto 5.2.5 builds a standard queue's whole attribute map (which counts
every visible message) on each SendMessage, only to read the FIFO-only
ContentBasedDeduplication flag: sending n messages costs O(n^2). A
100,000-lead import queues 100,000 enrichment messages, so the check is
skipped here for standard queues (where it is always false). Everything
else is moto as pinned in requirements.txt.
"""

import inspect
import sys
import textwrap

from moto.sqs import models

_OLD = 'if queue.attributes.get("ContentBasedDeduplication") == "true":'
_NEW = 'if queue.fifo_queue and queue.attributes.get("ContentBasedDeduplication") == "true":'

_src = textwrap.dedent(inspect.getsource(models.SQSBackend.send_message))
if _OLD in _src:
    _ns: dict = {}
    exec(compile(_src.replace(_OLD, _NEW), models.__file__, "exec"), vars(models), _ns)
    models.SQSBackend.send_message = _ns["send_message"]
else:  # a different moto: run it unpatched rather than guess
    print("moto_server.py: send_message patch not applied", file=sys.stderr)

from moto.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
