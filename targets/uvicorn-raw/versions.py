"""Prints the versions of every runtime and library this target runs on, as one JSON object."""

import json
import platform
from importlib.metadata import version

print(json.dumps({
    "python": platform.python_version(),
    **{name: version(name) for name in ("uvicorn", "uvloop", "httptools")},
}))
