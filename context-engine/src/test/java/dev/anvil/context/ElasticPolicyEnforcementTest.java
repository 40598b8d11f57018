package dev.anvil.context;

import dev.anvil.context.index.elastic.TestCluster;
import dev.anvil.context.serving.ModelRegistry;
import dev.anvil.rbac.PolicyStore;
import io.opentelemetry.api.OpenTelemetry;
import org.junit.jupiter.api.Tag;

/**
 * The leak tests ({@link PolicyEnforcementTest}) against a real Elasticsearch node: every returned
 * chunk permitted, every permitted one found by its keywords and by its vector, visible counts and
 * facets only over what the user may see, the filter never admitting a chunk {@code decide} denies.
 */
@Tag("heavy")
class ElasticPolicyEnforcementTest extends PolicyEnforcementTest {
  @Override
  int hybridQueriesPerPrincipal() {
    return 30; // three requests each (BM25 with its count, facets, kNN) over HTTP
  }

  /** The cluster product under test (a subclass runs the same tests on another). */
  TestCluster cluster() {
    return TestCluster.ELASTICSEARCH;
  }

  @Override
  ContextEngine open(PolicyStore store) {
    return ContextEngine.open(
        indexDir,
        cluster().freshBackend(),
        store,
        SharedEmbedder.get(),
        d -> {
          throw new AssertionError("no model switch here");
        },
        ModelRegistry.none(),
        OpenTelemetry.noop());
  }
}
