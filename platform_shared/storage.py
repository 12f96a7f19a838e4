"""Storage roots given as URLs: a local folder or ``s3://bucket/prefix``.

Delta tables (delta-rs through polars) and landing stores take a root from here and
join table or key names onto it. Credentials are never part of a URL: on S3 they come
from the standard AWS environment, read when a table is opened and never logged.
"""

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_AWS_ENV_FOR_DELTA = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
)


@dataclass(frozen=True)
class StorageRoot:
    """A root location; ``path`` is a local absolute path or ``bucket/prefix`` on S3."""

    scheme: str  # "file" | "s3"
    path: str

    @classmethod
    def from_url(cls, url: str | Path) -> "StorageRoot":
        text = str(url).strip()
        if text.startswith("s3://"):
            bucket_and_prefix = text.removeprefix("s3://").strip("/")
            bucket = bucket_and_prefix.split("/", 1)[0]
            if len(bucket) < 3:
                raise ValueError(f"{text!r}: an S3 bucket name needs at least 3 characters")
            return cls("s3", bucket_and_prefix)
        if "://" in text and not text.startswith("file://"):
            raise ValueError(f"{text!r}: expected a local folder or s3://bucket/prefix")
        return cls("file", str(Path(text.removeprefix("file://")).expanduser().resolve()))

    @property
    def is_s3(self) -> bool:
        return self.scheme == "s3"

    @property
    def bucket(self) -> str:
        return self.path.split("/", 1)[0] if self.is_s3 else ""

    @property
    def prefix(self) -> str:
        """Key prefix inside the bucket, without trailing slash (S3 only)."""
        return self.path.split("/", 1)[1] if self.is_s3 and "/" in self.path else ""

    @property
    def url(self) -> str:
        return f"s3://{self.path}" if self.is_s3 else self.path

    def join(self, *parts: str) -> str:
        """URL of a location below the root; refuses parts that would climb out of it."""
        relative = PurePosixPath(*parts)
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"{relative}: not a relative location below {self.url}")
        if self.is_s3:
            return f"s3://{self.path}/{relative}"
        return str(Path(self.path, *relative.parts))

    def storage_options(self) -> dict[str, str] | None:
        """delta-rs ``storage_options`` taken from the AWS environment (S3 only)."""
        if not self.is_s3:
            return None
        options = {name: os.environ[name] for name in _AWS_ENV_FOR_DELTA if os.environ.get(name)}
        options.setdefault("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "eu-west-1"))
        endpoint = options.get("AWS_ENDPOINT_URL_S3") or options.get("AWS_ENDPOINT_URL", "")
        if endpoint.startswith("http://"):
            options["AWS_ALLOW_HTTP"] = "true"
        return options

    def __str__(self) -> str:
        return self.url
