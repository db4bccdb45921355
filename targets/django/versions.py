"""Prints the versions of every runtime and framework this target runs on, as one JSON object."""

import json
import platform
from importlib.metadata import version

print(json.dumps({
    "python": platform.python_version(),
    **{name: version(name) for name in ("django", "uvicorn", "uvloop", "httptools")},
}))
