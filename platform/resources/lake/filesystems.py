"""One way to open the lake's filesystem from its URL: `file://` folders and `s3://` buckets.

This is the lake's only S3 client: pyarrow's `S3FileSystem`, for the lake resource and its
IO manager, Redshift's staging files and the simulator alike. Chosen over dagster-aws'
`S3Resource` (a boto3 client) because Parquet is read and written through it natively,
streaming, with no copy through boto3, and the same calls serve a local `file://` lake.
boto3 remains only for AWS services that are not storage (Athena, Glue).
"""

from __future__ import annotations

from urllib.parse import urlparse

from pyarrow import fs


def open_filesystem(url: str, s3_endpoint_url: str | None = None) -> tuple[fs.FileSystem, str]:
    """Return an Arrow filesystem and the base path inside it for a lake URL.

    `s3_endpoint_url` points S3 URLs at an S3-compatible server; credentials come from the
    standard AWS environment variables or instance profile, never from the URL.
    """
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        endpoint = urlparse(s3_endpoint_url) if s3_endpoint_url else None
        filesystem = fs.S3FileSystem(
            endpoint_override=endpoint.netloc if endpoint else None,
            scheme=endpoint.scheme if endpoint else "https",
            allow_bucket_creation=False,
        )
        return filesystem, f"{parsed.netloc}{parsed.path}".rstrip("/")
    if parsed.scheme in ("file", ""):
        path = parsed.path or url
        # A relative path is almost always an unresolved setting; it would write into the cwd.
        if not path.startswith("/"):
            raise ValueError(f"a local lake needs an absolute path or file:// URL, not {url!r}")
        return fs.LocalFileSystem(), path.rstrip("/")
    raise ValueError(
        f"unsupported lake URL scheme {parsed.scheme!r} in {url!r}: use file:// or s3://"
    )
