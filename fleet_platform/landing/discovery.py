"""Which landed files belong to a daily partition.

A file belongs to the partition of its date folder when that folder is a valid landing
date; a file whose key gives no valid date (``bad_key``) belongs to the partition of the
UTC day it was received. Listing stays narrow: the date folders of the partition, plus a
delimiter walk of the places where bad keys can hide (unknown top-level folders, files
directly under a source, source sub-folders that are not valid dates).
"""

from collections.abc import Iterator
from datetime import date, timedelta

from fleet_platform.landing.store import LandedObject, LandingBackend
from fleet_platform.rules.keys import REFERENCE_KEY, is_marker, valid_date_folder
from fleet_platform.rules.reasons import Source

REFERENCE_FOLDER = REFERENCE_KEY.split("/", 1)[0] + "/"


def partition_date(obj: LandedObject, today: date) -> date:
    """The daily partition a landed object belongs to."""
    parts = obj.key.split("/")
    if len(parts) >= 2 and parts[0] in Source.__members__.values():
        day = valid_date_folder(parts[1], today)
        if day is not None:
            return day
    return obj.last_modified.date()


def _bad_key_candidates(store: LandingBackend, today: date) -> Iterator[LandedObject]:
    top = store.list_level("")
    yield from top.objects
    for folder in top.folders:
        name = folder.rstrip("/")
        if folder == REFERENCE_FOLDER:
            continue
        if name not in Source.__members__.values():
            yield from store.list(folder)
            continue
        level = store.list_level(folder)
        yield from level.objects
        for date_folder in level.folders:
            if valid_date_folder(date_folder.rstrip("/").split("/")[-1], today) is None:
                yield from store.list(date_folder)


def files_of_partition(store: LandingBackend, day: date, today: date) -> list[LandedObject]:
    """Every non-marker object of a partition, in processing order (key, version)."""
    found: list[LandedObject] = []
    for source in Source:
        found.extend(store.list(f"{source.value}/{day.isoformat()}/"))
    found.extend(
        obj for obj in _bad_key_candidates(store, today) if partition_date(obj, today) == day
    )
    return sorted(obj for obj in found if not is_marker(obj.key))


def landed_partition_dates(store: LandingBackend, today: date) -> list[date]:
    """Every partition that has landed files: valid date folders of the three sources and
    the receipt dates of files with bad keys."""
    days = {
        day
        for source in Source
        for folder in store.list_level(f"{source.value}/").folders
        if (day := valid_date_folder(folder.rstrip("/").split("/")[-1], today)) is not None
    }
    days.update(
        partition_date(obj, today)
        for obj in _bad_key_candidates(store, today)
        if not is_marker(obj.key)
    )
    return sorted(days)


def files_in_window(store: LandingBackend, first: date, today: date) -> list[LandedObject]:
    """Every non-marker object of the partitions ``first`` to tomorrow, listing only the
    date folders that can still receive files (plus the bad-key places)."""
    found: list[LandedObject] = []
    for source in Source:
        for day in _days(first, today):
            found.extend(store.list(f"{source.value}/{day.isoformat()}/"))
    found.extend(
        obj for obj in _bad_key_candidates(store, today) if partition_date(obj, today) >= first
    )
    return sorted(obj for obj in found if not is_marker(obj.key))


def _days(first: date, today: date) -> list[date]:
    last = today + timedelta(days=1)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
