"""The lake under test: a local folder and a prefix on the S3-compatible server."""

import uuid
from pathlib import Path

import pytest

from data_platform.resources.lake.resource import LakeResource


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> LakeResource:
    if request.param == "local":
        return LakeResource(url=tmp_path.as_uri())
    endpoint = request.getfixturevalue("s3_endpoint")
    return LakeResource(url=f"s3://lake/{uuid.uuid4().hex}", s3_endpoint_url=endpoint)
