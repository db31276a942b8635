"""The core test suite again, on Redis Cluster: every test of these modules, unchanged, with
``queue`` / ``redis_queue`` / ``redis_client`` on the loopback cluster (see this folder's
conftest). Each test's fresh prefix lands on whichever master its hash tag picks, so the run
spreads over the three masters."""

from tests.integration.core.test_async_handlers import *  # noqa: F403
from tests.integration.core.test_cancel import *  # noqa: F403
from tests.integration.core.test_claim import *  # noqa: F403
from tests.integration.core.test_complete import *  # noqa: F403
from tests.integration.core.test_dependencies import *  # noqa: F403
from tests.integration.core.test_fail import *  # noqa: F403
from tests.integration.core.test_heartbeat import *  # noqa: F403
from tests.integration.core.test_invariants import *  # noqa: F403
from tests.integration.core.test_metrics import *  # noqa: F403
from tests.integration.core.test_periodic import *  # noqa: F403
from tests.integration.core.test_progress_log import *  # noqa: F403
from tests.integration.core.test_promote import *  # noqa: F403
from tests.integration.core.test_ratelimit import *  # noqa: F403
from tests.integration.core.test_read import *  # noqa: F403
from tests.integration.core.test_remove import *  # noqa: F403
from tests.integration.core.test_save import *  # noqa: F403
from tests.integration.core.test_search import *  # noqa: F403
from tests.integration.core.test_set_priority import *  # noqa: F403
from tests.integration.core.test_set_state import *  # noqa: F403
from tests.integration.core.test_unique import *  # noqa: F403
from tests.integration.core.test_worker import *  # noqa: F403
from tests.integration.core.test_worker_control import *  # noqa: F403
from tests.integration.core.test_worker_timing import *  # noqa: F403
from tests.integration.core.test_workers_registry import *  # noqa: F403

# a runkueworker subprocess is configured from the environment for the shared Redis, not here
del test_runkueworker_runs_an_async_kue_job  # noqa: F821


def test_these_tests_run_on_the_cluster(queue, cluster_setup):
    """The guard: the overridden fixture really is the cluster, not the shared Redis."""
    from redis.cluster import RedisCluster

    assert isinstance(queue.client, RedisCluster)
    node = queue.client.get_node_from_key(queue.keys.base)
    assert node.port in {n.port for n in cluster_setup.nodes}
