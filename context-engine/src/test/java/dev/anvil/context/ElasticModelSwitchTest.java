package dev.anvil.context;

import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.index.elastic.ElasticConfig;
import dev.anvil.context.index.elastic.ElasticNode;
import dev.anvil.context.serving.ModelRegistry;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.TestPacks;
import io.opentelemetry.api.OpenTelemetry;
import org.junit.jupiter.api.Tag;

/**
 * The model switch ({@link ModelSwitchTest}) with the chunks in a real Elasticsearch node: the
 * re-embedding fills an index of its own in the cluster, searches never mix models, writes during
 * it reach both indexes, an unfinished one leaves the serving model alone and starts over.
 */
@Tag("heavy")
class ElasticModelSwitchTest extends ModelSwitchTest {
  private final ElasticConfig config = ElasticNode.shared().freshConfig();

  @Override
  ContextEngine open() {
    return ContextEngine.open(
        dir.resolve("index"),
        new IndexBackend.Elasticsearch(config),
        PolicyStore.open(TestPacks.example()),
        SharedEmbedder.get(),
        d -> new Reversed(d, gate),
        ModelRegistry.none(),
        OpenTelemetry.noop());
  }
}
