"""The services of files, campaigns and bulk operations, built once per worker."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from psycopg_pool import ConnectionPool

from acs.adapters.event_store import EventStore
from acs.adapters.file_catalog import FileCatalog
from acs.application.campaign_driver import JobDriver
from acs.application.campaigns import BulkCommands, CampaignCommands
from acs.application.downloads import DownloadLinks, FileCommands
from acs.projections import fleet_filter


class Fleet(msgspec.Struct, kw_only=True):
    """Operators' files, their download links, campaigns, bulk operations and their driver."""

    catalog: FileCatalog
    files: FileCommands
    links: DownloadLinks
    campaigns: CampaignCommands
    bulk: BulkCommands
    driver: JobDriver | None = None


def build_fleet(store: EventStore, pool: ConnectionPool, keys: Sequence[str]) -> Fleet:
    """Wire the fleet services on a worker's event store and pool (keys newest first)."""
    catalog = FileCatalog(pool)

    def select(filter_: dict[str, str], devices: list[str], limit: int) -> list[str]:
        return fleet_filter.matching(pool, filter_, devices, limit)

    return Fleet(
        catalog=catalog,
        files=FileCommands(catalog, pool),
        links=DownloadLinks(*keys),
        campaigns=CampaignCommands(store, catalog),
        bulk=BulkCommands(store, catalog, select),
    )
