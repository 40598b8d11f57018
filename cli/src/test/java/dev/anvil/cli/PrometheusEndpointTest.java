package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.LoopbackSockets;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
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
    try (AnvilProcess serve =
        AnvilProcess.start(
            data,
            Map.of(
                "OTEL_METRICS_EXPORTER", "prometheus",
                "OTEL_TRACES_EXPORTER", "none",
                "OTEL_EXPORTER_PROMETHEUS_PORT", Integer.toString(port)),
            "serve",
            "--dev",
            "--port",
            "0")) {
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest scrape =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build();
      String body = "";
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (!body.contains("anvil_index_chunks") && System.nanoTime() < deadline) {
        assertThat(serve.isAlive()).as("serve ended: %s", serve.log()).isTrue();
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
    }
  }
}
