package dev.anvil.context;

import dev.anvil.context.serving.Reembedding;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Path;

/**
 * A process that re-embeds an index (to {@link ModelSwitchTest.Reversed}) slowly and prints {@code
 * DONE n} as it goes, for a test to kill it mid-way.
 */
public final class ReembedProcessMain {
  private ReembedProcessMain() {}

  public static void main(String[] args) throws Exception {
    Path index = Path.of(args[0]);
    ContextEngine engine =
        ContextEngine.open(
            index,
            PolicyStore.open(new PolicyPack(Path.of(args[1]))),
            SharedEmbedder.get(),
            ModelSwitchTest.Reversed::new,
            OpenTelemetry.noop());
    Reembedding r = engine.reembed(index.resolveSibling("tuned"), 20);
    while (true) {
      System.out.println("DONE " + r.done());
      System.out.flush();
      Thread.sleep(50);
    }
  }
}
