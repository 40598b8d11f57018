package dev.anvil.context;

import dev.anvil.context.index.elastic.TestCluster;
import org.junit.jupiter.api.Tag;

/** The leak tests ({@link PolicyEnforcementTest}) against a real OpenSearch node. */
@Tag("heavy")
class OpenSearchPolicyEnforcementTest extends ElasticPolicyEnforcementTest {
  @Override
  TestCluster cluster() {
    return TestCluster.OPENSEARCH;
  }
}
