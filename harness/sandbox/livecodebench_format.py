"""LiveCodeBench's problem format (`livecodebench/code_generation_lite` rows) and its execution conventions."""

from __future__ import annotations

import base64
import io
import json
import pickle
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

# LiveCodeBench prepends this to every program it runs (testing_util.import_string), so solutions may use
# `List`, `sqrt`, `defaultdict`… without importing them; its evaluation process also raises the int-to-str
# digit limit to 50000 (compute_code_generation_metrics). Scores compare with published ones only with both.
PREAMBLE = (
    "from string import *\nfrom re import *\nfrom datetime import *\nfrom collections import *\nfrom heapq import *\n"
    "from bisect import *\nfrom copy import *\nfrom math import *\nfrom random import *\nfrom statistics import *\n"
    "from itertools import *\nfrom functools import *\nfrom operator import *\nfrom io import *\nfrom sys import *\n"
    "from json import *\nfrom builtins import *\nfrom typing import *\nimport string\nimport re\nimport datetime\n"
    "import collections\nimport heapq\nimport bisect\nimport copy\nimport math\nimport random\nimport statistics\n"
    "import itertools\nimport functools\nimport operator\nimport io\nimport sys\nimport json\n"
    "sys.setrecursionlimit(50000)\n"
    "if hasattr(sys, 'set_int_max_str_digits'):\n    sys.set_int_max_str_digits(50000)\n"
)


class _NoObjects(pickle.Unpickler):
    def find_class(self, module, name):  # strings, numbers, lists, dicts only: nothing that runs code
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def decode_private_tests(blob: str) -> list[dict]:
    """LiveCodeBench ships private tests as JSON or as base64(zlib(pickle(JSON string))); the pickle is read
    with an unpickler that refuses every class and callable (a crafted dataset cannot run code here)."""
    try:
        return json.loads(blob)
    except ValueError:
        raw = zlib.decompress(base64.b64decode(blob.encode("utf-8")))
        return json.loads(_NoObjects(io.BytesIO(raw)).load())


def encode_private_tests(tests: list[dict]) -> str:
    """The inverse, for fixtures and sample sets written in LiveCodeBench's schema."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode("utf-8")


@dataclass(frozen=True)
class LcbProblem:
    question_id: str
    fn_name: str | None  # set: functional (LeetCode) problem; None: stdin problem — LiveCodeBench's own test
    tests: list[dict]  # public then private, each {"input": str, "output": str, "testtype": …}

    @classmethod
    def from_row(cls, row: Mapping) -> LcbProblem:
        public = row["public_test_cases"]
        public = json.loads(public) if isinstance(public, str) else list(public)
        private = row.get("private_test_cases") or "[]"
        private = decode_private_tests(private) if isinstance(private, str) else list(private)
        meta = row.get("metadata") or "{}"
        meta = json.loads(meta) if isinstance(meta, str) else dict(meta)
        return cls(str(row.get("question_id", "")), meta.get("func_name"), public + private)
