from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture
def hdi_text() -> str:
    return (HERE / "hdi.yaml").read_text("utf-8")
