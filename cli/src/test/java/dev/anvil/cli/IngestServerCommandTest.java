package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code anvil ingest --server}: documents through a running engine's Ingest stream, as the
 * principal of the token, decided by the engine's policies like a local ingest.
 */
@Tag("heavy")
class IngestServerCommandTest {
  @TempDir Path data;

  @BeforeEach
  void dataDir() {
    System.setProperty("anvil.data", data.toString()); // the in-process commands' dev issuer
  }

  @AfterEach
  void clear() {
    System.clearProperty("anvil.data");
  }

  @Test
  void ingestsThroughTheServerAsThePrincipalOfTheToken() throws Exception {
    try (AnvilProcess serve = AnvilProcess.start(data, "serve", "--dev", "--port", "0")) {
      String port =
          serve.await(
              Pattern.compile("serving \\d+ chunks on 127\\.0\\.0\\.1:(\\d+)"),
              "anvil serve to listen");
      String server = "127.0.0.1:" + port;
      String pack = PolicyCommandTest.examplePack().toString();
      List<String> corpus =
          Files.readAllLines(Path.of("../examples/demo-corpus/acme.jsonl")).stream()
              .filter(l -> l.contains("\"id\": \"eng-roadmap-2027\""))
              .toList();
      Path roadmap = data.resolve("roadmap.jsonl");
      Files.write(roadmap, corpus);

      assertThat(search(pack, server)).doesNotContain("eng-roadmap-2027");

      PolicyCommandTest.Run connector =
          PolicyCommandTest.anvil(
              "ingest",
              roadmap.toString(),
              "--as",
              "kafka-connector",
              "--pack",
              pack,
              "--server",
              server);
      assertThat(connector.exit()).as(connector.err()).isZero();
      assertThat(connector.out()).contains("1 documents: 1 indexed, 0 not");
      assertThat(search(pack, server)).contains("eng-roadmap-2027");

      // The same version again is ignored, as a local ingest would.
      PolicyCommandTest.Run again =
          PolicyCommandTest.anvil(
              "ingest",
              roadmap.toString(),
              "--as",
              "kafka-connector",
              "--pack",
              pack,
              "--server",
              server);
      assertThat(again.exit()).isZero();
      assertThat(again.out())
          .contains("ignored  eng-roadmap-2027 v1: version 1 is already indexed");

      PolicyCommandTest.Run both =
          PolicyCommandTest.anvil(
              "ingest",
              roadmap.toString(),
              "--as",
              "kafka-connector",
              "--pack",
              pack,
              "--server",
              server,
              "--kafka",
              "127.0.0.1:9");
      assertThat(both.exit()).isNotZero();
      assertThat(both.err()).contains("choose one: --kafka", "--server");
    }
  }

  private static String search(String pack, String server) {
    PolicyCommandTest.Run r =
        PolicyCommandTest.anvil(
            "search", "platform roadmap 2027", "--as", "alice", "--pack", pack, "--server", server);
    assertThat(r.exit()).as(r.err()).isZero();
    return r.out();
  }
}
