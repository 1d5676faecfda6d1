from __future__ import annotations

from tests.conftest import client_for


def test_an_api_request_body_over_the_limit_gets_a_json_413(settings, member):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client_for(member).post(
        "/api/v1/units", data='{"code": "' + "x" * 5000 + '"}', content_type="application/json"
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
