from __future__ import annotations

import stat

import pytest

from wulian.core.settings import SECRET_FILE, Settings, load_or_create_secret


def test_secret_is_generated_once_with_owner_only_permissions(tmp_path):
    first = load_or_create_secret(tmp_path)
    path = tmp_path / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 32
    assert load_or_create_secret(tmp_path) == first
    assert load_or_create_secret(tmp_path / "other") != first  # no built-in default


def test_a_secret_readable_by_others_is_refused(tmp_path):
    load_or_create_secret(tmp_path)
    (tmp_path / SECRET_FILE).chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        load_or_create_secret(tmp_path)


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("WULIAN_DATABASE_URL", "postgresql+psycopg://db/wulian")
    monkeypatch.setenv("WULIAN_MAX_UPLOAD_BYTES", "1234")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://db/wulian"
    assert settings.max_upload_bytes == 1234
    monkeypatch.delenv("WULIAN_DATABASE_URL")
    assert Settings().database_url == "sqlite:///./wulian-data/wulian.db"
