import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Rig  # noqa: E402


@pytest.fixture
def rig():
    r = Rig()
    yield r
    r.close()
