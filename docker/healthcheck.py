"""Container health check: exits 0 when the process answers /healthz on HEALTH_PORT.

The image has no curl; the interpreter it already ships is enough.
"""

import os
import sys
import urllib.request

port = os.environ.get("HEALTH_PORT", "8000")
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError:
    sys.exit(1)
