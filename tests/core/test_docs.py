from pathlib import Path

from offboarding.conf import DEFAULTS

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integration.md"


def test_integration_guide_lists_every_setting():
    guide = GUIDE.read_text()
    missing = [key for key in DEFAULTS if f"`{key}`" not in guide]
    assert missing == []
