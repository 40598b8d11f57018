package dev.anvil.context;

import dev.anvil.context.api.Document;
import dev.anvil.context.embed.Embedder;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The corpus the engine's service tests (gRPC, MCP, the console) start from: three documents a
 * different set of people may read. {@code eng-1} is internal engineering, {@code hr-1}
 * confidential compensation (human resources), {@code pub-1} public; all three mention the kernel.
 */
public final class ThreeDocuments {
  private ThreeDocuments() {}

  /** The three documents, version 1 each. */
  public static List<Document> documents() {
    return List.of(
        document(
            "eng-1",
            "Kernel upgrade runbook",
            "Upgrade the kernel on the build cluster one node at a time.",
            Map.of("classification", "internal", "department", List.of("engineering"))),
        document(
            "hr-1",
            "2027 salary bands",
            "Salary bands and bonus targets for every level, kernel team included.",
            Map.of(
                "classification",
                "confidential",
                "department",
                List.of("hr"),
                "topics",
                List.of("compensation"))),
        document(
            "pub-1",
            "Press release",
            "Acme ships a faster kernel for its appliances.",
            Map.of("classification", "public", "department", List.of("sales"))));
  }

  /** A document of version 1 with its id as its source. */
  public static Document document(String id, String title, String body, Map<String, Object> tags) {
    return new Document(id, 1, title, body, "test://" + id, tags);
  }

  /** The example pack's principals. */
  public static PrincipalDirectory people() {
    return PrincipalDirectory.load(TestPacks.example().principalsFile());
  }

  /**
   * An engine over the example pack in {@code index} holding the three documents and {@code more},
   * written by the example's connector.
   */
  public static ContextEngine engine(Path index, Embedder embedder, Document... more) {
    ContextEngine engine =
        ContextEngine.open(index, PolicyStore.open(TestPacks.example()), embedder);
    List<Document> all = new ArrayList<>(documents());
    all.addAll(List.of(more));
    engine.ingest(people().find("kafka-connector").orElseThrow(), all);
    return engine;
  }
}
