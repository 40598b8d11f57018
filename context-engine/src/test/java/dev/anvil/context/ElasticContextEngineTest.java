package dev.anvil.context;

import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.index.elastic.ClusterDialect;
import dev.anvil.context.index.elastic.ElasticConfig;
import dev.anvil.context.index.elastic.ElasticIndex;
import dev.anvil.context.index.elastic.ElasticNode;
import dev.anvil.context.serving.ModelRegistry;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.TestPacks;
import io.opentelemetry.api.OpenTelemetry;
import java.util.Map;
import org.junit.jupiter.api.Tag;

/**
 * The engine's own ingest, version, stream, delete, chunking, budget and refusal tests ({@link
 * ContextEngineTest}), each against a fresh index in a real Elasticsearch node.
 */
@Tag("heavy")
class ElasticContextEngineTest extends ContextEngineTest {
  private final ElasticConfig config = ElasticNode.shared().freshConfig();

  @Override
  ContextEngine open(Embedder embedder) {
    return ContextEngine.open(
        dir,
        new IndexBackend.Cluster(ClusterDialect.ELASTICSEARCH, config),
        PolicyStore.open(TestPacks.example()),
        embedder,
        d -> {
          throw new AssertionError("no model switch here");
        },
        ModelRegistry.none(),
        OpenTelemetry.noop());
  }

  @Override
  Map<String, String> durableCheckpoint() {
    Embedder e = SharedEmbedder.get();
    try (ElasticIndex index =
        ElasticIndex.open(
            config,
            ".",
            e.modelId(),
            e.dimension(),
            ContextEngine.chunking(e),
            PolicyStore.open(TestPacks.example()).current().schema())) {
      return index.checkpoint();
    }
  }
}
