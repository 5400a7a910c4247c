"""Fixtures of the distributed tests: the servers (PostgreSQL, RabbitMQ, SeaweedFS) come from
libs/common/tests/conftest.py, which owns them; this file reuses them and adds a `Cluster`
of real processes (`reelforge worker NAME`, `reelforge api`) wired to one isolated system:
its own RabbitMQ vhost and namespace, database and bucket."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from distributed_cluster import Cluster, SystemConfig

_SERVERS = Path(__file__).resolve().parents[2] / "libs" / "common" / "tests" / "conftest.py"


def _load_servers() -> object:
    """Import the server fixtures module under its own name (it is also some other
    directory's conftest, so it is not importable as a package)."""
    name = "reelforge_server_fixtures"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _SERVERS)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load the server fixtures from {_SERVERS}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_servers = _load_servers()
postgres_server = _servers.postgres_server  # type: ignore[attr-defined]
pg_database = _servers.pg_database  # type: ignore[attr-defined]
rabbitmq_server = _servers.rabbitmq_server  # type: ignore[attr-defined]
rabbitmq_url = _servers.rabbitmq_url  # type: ignore[attr-defined]
seaweedfs = _servers.seaweedfs  # type: ignore[attr-defined]
unique = _servers.unique  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def new_system(
    rabbitmq_url: str, pg_database: Callable[[], str], seaweedfs: object
) -> Callable[[str], SystemConfig]:
    """Make the settings of a fresh, isolated system: a namespace on the session's vhost,
    a new database, a new bucket."""

    def make(label: str) -> SystemConfig:
        return SystemConfig.fresh(label, rabbitmq_url, pg_database(), seaweedfs)

    return make


@pytest.fixture
def cluster_factory(tmp_path: Path) -> Iterator[Callable[[SystemConfig], Cluster]]:
    """Clusters whose processes are all stopped (and their logs kept) at the test's end."""
    made: list[Cluster] = []

    def make(config: SystemConfig) -> Cluster:
        cluster = Cluster(config, tmp_path / f"cluster-{len(made)}")
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.stop_all()
