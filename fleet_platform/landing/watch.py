"""What the landing sensor remembers between ticks: the file versions it has launched.

The cursor maps each launched key to its version, for the partitions the routine listing
still watches; a key leaves the cursor when its partition leaves the window. A version
not in the cursor is new — a new key, or an overwritten key with a new etag — and is
launched once; the updated cursor is saved with the tick, so a restart resumes from it.
Stored compressed (zlib + base64): a week of 9,000 buses is about 3,000 entries.
"""

import base64
import hashlib
import json
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from fleet_platform.landing.discovery import partition_date
from fleet_platform.landing.store import LandedObject


@dataclass(frozen=True)
class LandingCursor:
    launched: dict[str, str]  # key → version

    @classmethod
    def load(cls, text: str | None) -> "LandingCursor":
        if not text:
            return cls({})
        return cls(json.loads(zlib.decompress(base64.b64decode(text))))

    def dump(self) -> str:
        packed = json.dumps(self.launched, separators=(",", ":"), sort_keys=True).encode()
        return base64.b64encode(zlib.compress(packed, 9)).decode()


@dataclass(frozen=True)
class WatchResult:
    new_by_partition: dict[date, list[LandedObject]]
    cursor: LandingCursor


def watch(listed: list[LandedObject], cursor: LandingCursor, today: date) -> WatchResult:
    """New file versions per partition, and the cursor after launching them.

    ``listed`` is every object of the watched partitions; entries of keys no longer listed
    (their partition left the window) are dropped from the cursor.
    """
    new: dict[date, list[LandedObject]] = defaultdict(list)
    kept: dict[str, str] = {}
    for obj in listed:
        if cursor.launched.get(obj.key) != obj.version:
            new[partition_date(obj, today)].append(obj)
        kept[obj.key] = obj.version
    return WatchResult(dict(sorted(new.items())), LandingCursor(kept))


def run_key(partition: date, objects: list[LandedObject]) -> str:
    """A run key unique to a partition and the exact file versions it launches, so the
    same launch is never made twice even if a tick is retried before its cursor is saved."""
    versions = "".join(f"{o.key}\0{o.version}\n" for o in sorted(objects)).encode()
    return f"landing-{partition.isoformat()}-{hashlib.sha256(versions).hexdigest()[:24]}"
