package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.LoopbackSockets;
import dev.anvil.rbac.TestJvm;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code OTEL_METRICS_EXPORTER=prometheus}: {@code anvil serve} offers a scrape endpoint with the
 * engine's, the gRPC server's and the JVM's metrics, on 127.0.0.1 unless told otherwise.
 */
@Tag("heavy")
class PrometheusEndpointTest {
  @TempDir Path data;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void serveExposesItsMetricsForScrapingOnLoopback() throws Exception {
    int port = freePort();
    ProcessBuilder pb =
        new ProcessBuilder(TestJvm.command(Main.class, "serve", "--dev", "--port", "0"))
            .directory(Path.of("..").toFile()) // the repository: examples/ is there
            .redirectErrorStream(true)
            .redirectOutput(data.resolve("serve.log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("OTEL_") || k.startsWith("ANVIL_"));
    pb.environment().put("ANVIL_DATA", data.toString());
    pb.environment().put("OTEL_METRICS_EXPORTER", "prometheus");
    pb.environment().put("OTEL_TRACES_EXPORTER", "none");
    pb.environment().put("OTEL_EXPORTER_PROMETHEUS_PORT", Integer.toString(port));
    Process serve = pb.start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest scrape =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build();
      String body = "";
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (!body.contains("anvil_index_chunks") && System.nanoTime() < deadline) {
        assertThat(serve.isAlive())
            .as("serve ended: %s", Files.readString(data.resolve("serve.log")))
            .isTrue();
        try {
          body = http.send(scrape, HttpResponse.BodyHandlers.ofString()).body();
        } catch (java.io.IOException e) {
          Thread.sleep(200); // not listening yet
        }
      }
      assertThat(body)
          .contains("anvil_index_chunks", "anvil_index_segments", "jvm_memory_used")
          .contains("service_name=\"anvil-serve\"");
      assertThat(LoopbackSockets.onPort(port))
          .isNotEmpty()
          .allSatisfy(l -> assertThat(l.loopbackOnly()).as(l.toString()).isTrue());
    } finally {
      serve.destroy();
      assertThat(serve.waitFor(1, TimeUnit.MINUTES)).isTrue();
    }
  }
}
