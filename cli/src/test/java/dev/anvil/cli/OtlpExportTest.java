package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.anvil.rbac.TestJvm;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's telemetry recipe: with {@code OTEL_EXPORTER_OTLP_ENDPOINT} set, {@code anvil demo}
 * sends its traces and metrics over OTLP/HTTP to that endpoint (here a receiver on 127.0.0.1); with
 * nothing set, it sends nothing.
 */
@Tag("heavy")
class OtlpExportTest {
  @TempDir Path data;

  private final Map<String, ByteArrayOutputStream> received = new ConcurrentHashMap<>();

  private int demo(Map<String, String> env) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(TestJvm.command(Main.class, "demo"))
            .directory(Path.of("..").toFile()) // the repository: examples/ is there
            .redirectErrorStream(true)
            .redirectOutput(data.resolve("demo.log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("OTEL_"));
    pb.environment().putAll(env);
    pb.environment().put("ANVIL_DATA", data.toString());
    Process p = pb.start();
    assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
    return p.exitValue();
  }

  @Test
  void tracesAndMetricsGoToTheConfiguredCollectorAndNowhereByDefault() throws Exception {
    HttpServer collector =
        HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    collector.createContext(
        "/",
        ex -> {
          received
              .computeIfAbsent(ex.getRequestURI().getPath(), k -> new ByteArrayOutputStream())
              .writeBytes(ex.getRequestBody().readAllBytes());
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    collector.start();
    try {
      assertThat(demo(Map.of())).isZero();
      assertThat(received).isEmpty();

      String endpoint = "http://127.0.0.1:" + collector.getAddress().getPort();
      assertThat(
              demo(
                  Map.of(
                      "OTEL_EXPORTER_OTLP_ENDPOINT",
                      endpoint,
                      "OTEL_METRIC_EXPORT_INTERVAL",
                      "500")))
          .isZero();
    } finally {
      collector.stop(0);
    }
    assertThat(received).containsKeys("/v1/traces", "/v1/metrics");
    String traces = received.get("/v1/traces").toString(StandardCharsets.ISO_8859_1);
    assertThat(traces)
        .contains("anvil.search", "anvil.policy.compile", "anvil.search.knn", "anvil-demo");
    assertThat(traces).doesNotContain("What is planned for 2027"); // no query text in spans
  }
}
