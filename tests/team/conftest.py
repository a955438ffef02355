import pytest
from pgcluster import Cluster


@pytest.fixture(scope="session")
def pg():
    """One throwaway cluster for the session; each test gets a fresh database (see `teamdb`)."""
    cluster = Cluster().start()
    yield cluster
    cluster.stop()
