package dev.anvil.context;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.grpc.ContextClient;
import dev.anvil.context.grpc.v1.IngestResult;
import dev.anvil.context.grpc.v1.TagValues;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestJvm;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.TestSeed;
import io.grpc.StatusRuntimeException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the engine process with SIGKILL in the middle of ingest batches, restarts it, and checks
 * that every acknowledged document survived, no document is half-indexed, the audit log's hash
 * chain holds across the kills, and re-sending everything converges to each document exactly once.
 */
@ExtendWith(TestSeed.class)
@Tag("heavy")
class EngineKillTest {
  @TempDir Path data;

  private Process start() throws Exception {
    Process p =
        new ProcessBuilder(
                TestJvm.command(
                    EngineProcessMain.class, data.toString(), TestPacks.example().dir().toString()))
            .redirectError(data.resolve("engine.err").toFile())
            .start();
    return p;
  }

  private static int port(Process p) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.startsWith("PORT ")) {
        return Integer.parseInt(line.substring(5).strip());
      }
    }
    throw new IllegalStateException("engine exited before listening, exit " + p.waitFor());
  }

  private static dev.anvil.context.grpc.v1.Document doc(int i) {
    return dev.anvil.context.grpc.v1.Document.newBuilder()
        .setId("doc-" + i)
        .setVersion(1)
        .setTitle("Note " + i)
        .setBody("Kill test note number k" + i + "x about kernels and clusters.")
        .putTags("classification", TagValues.newBuilder().addValues("internal").build())
        .putTags("department", TagValues.newBuilder().addValues("engineering").build())
        .build();
  }

  @Test
  void aKilledEngineRestartsConsistentWithItsAuditLogIntact() throws Exception {
    long seed = TestSeed.RUN;
    Random r = new Random(seed);
    String token =
        DevTokenIssuer.openOrCreate(data.resolve("dev-key.json"), Clock.systemUTC())
            .mint(
                PrincipalDirectory.load(TestPacks.example().principalsFile())
                    .find("alice")
                    .orElseThrow(),
                "kill-test",
                Duration.ofHours(1));
    Set<String> acknowledged = new HashSet<>();
    int next = 0;
    for (int round = 0; round < 3; round++) {
      Process engine = start();
      int port = port(engine);
      try (ContextClient client =
          ContextClient.connect("127.0.0.1", port, () -> token, Duration.ofSeconds(60))) {
        for (int batch = 0; batch < 2; batch++) {
          List<dev.anvil.context.grpc.v1.Document> docs = new ArrayList<>();
          for (int i = 0; i < 16; i++) {
            docs.add(doc(next++));
          }
          for (IngestResult res : client.ingest(docs).get(60, TimeUnit.SECONDS)) {
            assertThat(res.hasIndexed()).isTrue();
            acknowledged.add(res.getDocumentId());
          }
        }
        // One more batch in flight, killed at a random moment.
        List<dev.anvil.context.grpc.v1.Document> inFlight = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
          inFlight.add(doc(next++));
        }
        CompletableFuture<List<IngestResult>> pending = client.ingest(inFlight);
        Thread.sleep(r.nextInt(400));
        engine.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL
        try {
          pending.get(30, TimeUnit.SECONDS).forEach(res -> acknowledged.add(res.getDocumentId()));
        } catch (java.util.concurrent.ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(StatusRuntimeException.class);
        }
      }
    }

    Process engine = start();
    int port = port(engine);
    try (ContextClient client =
        ContextClient.connect("127.0.0.1", port, () -> token, Duration.ofSeconds(60))) {
      for (String id : acknowledged) {
        assertThat(client.get(id).getChunksCount())
            .as("seed %d: acknowledged %s survived, once", seed, id)
            .isEqualTo(1);
      }
      // Re-send everything: what survived is ignored, the rest is indexed; each document once.
      List<dev.anvil.context.grpc.v1.Document> all = new ArrayList<>();
      for (int i = 0; i < next; i++) {
        all.add(doc(i));
      }
      List<IngestResult> results = client.ingest(all).get(120, TimeUnit.SECONDS);
      assertThat(results).hasSize(next).allMatch(res -> res.hasIndexed() || res.hasIgnored());
      for (int i = 0; i < next; i++) {
        assertThat(client.get("doc-" + i).getChunksCount()).isEqualTo(1);
      }
    } finally {
      engine.destroy();
      engine.waitFor(30, TimeUnit.SECONDS);
    }
    List<String> audit = Files.readAllLines(data.resolve("audit.jsonl"));
    // Killed and restarted, the log's hash chain still holds end to end.
    assertThat(dev.anvil.context.audit.AuditChain.verify(data.resolve("audit.jsonl")))
        .isInstanceOf(dev.anvil.context.audit.AuditChain.Intact.class);
    assertThat(audit.stream().filter(l -> l.contains("\"action\":\"ingest\"")).count())
        .isGreaterThanOrEqualTo(6);
  }
}
