"""The stores under test: the lake (a local folder and a prefix on the S3-compatible server)
and the stack's warehouse, each test in a schema of its own."""

import uuid
from pathlib import Path

import pytest

from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.warehouse.resource import WarehouseResource


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> LakeResource:
    if request.param == "local":
        return LakeResource(url=tmp_path.as_uri())
    endpoint = request.getfixturevalue("s3_endpoint")
    return LakeResource(url=f"s3://lake/{uuid.uuid4().hex}", s3_endpoint_url=endpoint)


@pytest.fixture
def warehouse(stack_env: dict[str, str]) -> WarehouseResource:
    return WarehouseResource(url=stack_env["PLATFORM_WAREHOUSE_URL"])


@pytest.fixture
def schema() -> str:
    """A schema of the test's own, so tests never see each other's tables."""
    return f"t_{uuid.uuid4().hex[:10]}"
