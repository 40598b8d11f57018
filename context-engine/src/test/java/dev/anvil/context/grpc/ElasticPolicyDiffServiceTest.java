package dev.anvil.context.grpc;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.index.elastic.ClusterDialect;
import dev.anvil.context.index.elastic.ElasticNode;
import dev.anvil.context.serving.ModelRegistry;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.TestPacks;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

/**
 * The PolicyDiff RPC ({@link PolicyDiffServiceTest}, every case) on an engine whose chunks live in
 * a real Elasticsearch node, a fresh index per test: the same reports counted in the cluster, the
 * same refusal of a non-admin before the proposal is read, the same limits.
 */
@Tag("heavy")
class ElasticPolicyDiffServiceTest extends PolicyDiffServiceTest {
  @Override
  ContextEngine open(Path dir) {
    return ContextEngine.open(
        dir,
        new IndexBackend.Cluster(ClusterDialect.ELASTICSEARCH, ElasticNode.shared().freshConfig()),
        PolicyStore.open(TestPacks.example()),
        HashEmbedder.of("hash", 32),
        d -> {
          throw new AssertionError("no model switch here");
        },
        ModelRegistry.none(),
        OpenTelemetry.noop());
  }
}
