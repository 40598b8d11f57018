package dev.anvil.context.index.elastic;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A real single-node Elasticsearch for the tests, from the distribution zip Maven resolved ({@code
 * org.elasticsearch.distribution.integ-test-zip:elasticsearch}, path in the system property {@code
 * anvil.elasticsearch.zip}), unpacked under {@code target/} ({@code anvil.elasticsearch.dir}) and
 * run on the test's own JDK (21+): HTTP and transport bound to 127.0.0.1 only, security off
 * (loopback only), a 512 MiB heap (the system property {@code anvil.elasticsearch.heap}, e.g.
 * {@code 2g}, for a benchmark). Started once per JVM ({@link #shared()}) and stopped when it exits.
 *
 * <p>Elasticsearch refuses to run as root, and has no switch to allow it; as root the node runs as
 * the unprivileged user 65534 ({@code setpriv}), in a directory it owns.
 */
public final class ElasticNode {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
  private static final int UNPRIVILEGED = 65534;
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static ElasticNode shared;

  private final Process process;
  private final URI url;
  private final Path run;

  private ElasticNode(Process process, URI url, Path run) {
    this.process = process;
    this.url = url;
    this.run = run;
  }

  /** The node of this test JVM, started on first use. */
  public static synchronized ElasticNode shared() {
    if (shared == null) {
      shared = start();
      ElasticNode node = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "elasticsearch-stop"));
    }
    return shared;
  }

  /** The node's HTTP endpoint. */
  public URI url() {
    return url;
  }

  /** A configuration for the node with an index prefix no other caller of this JVM gets. */
  public ElasticConfig freshConfig() {
    return ElasticConfig.of(url).withIndexPrefix("t" + PREFIXES.incrementAndGet() + "-");
  }

  private static ElasticNode start() {
    String zip = System.getProperty("anvil.elasticsearch.zip");
    if (zip == null || !Files.isRegularFile(Path.of(zip))) {
      throw new IllegalStateException(
          "anvil.elasticsearch.zip names no file ("
              + zip
              + "): run the tests through Maven, which resolves the Elasticsearch zip");
    }
    try {
      // Under the module's target/ (the working directory of its tests), unless told otherwise.
      Path target =
          Path.of(System.getProperty("anvil.elasticsearch.dir", "target")).toAbsolutePath();
      Path home = unpack(Path.of(zip), target.resolve("elasticsearch"));
      Path run = Files.createTempDirectory(target, "es-run-");
      Path config = run.resolve("config");
      copyTree(home.resolve("config"), config);
      Files.createDirectories(run.resolve("data"));
      Files.createDirectories(run.resolve("logs"));
      Files.createDirectories(run.resolve("tmp"));
      boolean root = "root".equals(System.getProperty("user.name"));
      if (root) {
        exec("chown", "-R", UNPRIVILEGED + ":" + UNPRIVILEGED, run.toString());
      }
      int http = freePort();
      int transport = freePort();
      List<String> cmd = new ArrayList<>();
      if (root) {
        cmd.addAll(
            List.of(
                "setpriv", "--reuid=" + UNPRIVILEGED, "--regid=" + UNPRIVILEGED, "--clear-groups"));
      }
      cmd.add(home.resolve("bin/elasticsearch").toString());
      for (String s :
          List.of(
              "discovery.type=single-node",
              "network.host=127.0.0.1",
              "http.port=" + http,
              "transport.port=" + transport,
              "xpack.security.enabled=false",
              "action.auto_create_index=false",
              "cluster.routing.allocation.disk.threshold_enabled=false",
              "cluster.name=anvil-test",
              "node.name=anvil-test",
              "path.data=" + run.resolve("data"),
              "path.logs=" + run.resolve("logs"))) {
        cmd.add("-E" + s);
      }
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.redirectOutput(run.resolve("console.log").toFile());
      Map<String, String> env = pb.environment();
      env.put("ES_JAVA_HOME", System.getProperty("java.home"));
      String heap = System.getProperty("anvil.elasticsearch.heap", "512m");
      if (!heap.matches("[0-9]+[mg]")) {
        throw new IllegalArgumentException(
            "anvil.elasticsearch.heap: expected a size such as 512m or 2g, was '" + heap + "'");
      }
      env.put("ES_JAVA_OPTS", "-Xms" + heap + " -Xmx" + heap);
      env.put("ES_PATH_CONF", config.toString());
      env.put("ES_TMPDIR", run.resolve("tmp").toString());
      Process p = pb.start();
      URI url = URI.create("http://127.0.0.1:" + http);
      ElasticNode node = new ElasticNode(p, url, run);
      node.awaitReady();
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException("starting Elasticsearch failed", e);
    }
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    try (HttpClient http = HttpClient.newHttpClient()) {
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "Elasticsearch exited with " + process.exitValue() + ":\n" + tail());
        }
        try {
          HttpResponse<String> r =
              http.send(
                  HttpRequest.newBuilder(url.resolve("/_cluster/health?wait_for_status=yellow"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            return;
          }
        } catch (IOException e) {
          // not listening yet
        }
        Thread.sleep(250);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stop();
    throw new IllegalStateException(
        "Elasticsearch did not answer within " + START_TIMEOUT + ":\n" + tail());
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(run.resolve("console.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no console log: " + e.getMessage() + ")";
    }
  }

  /** Stops the node and every process it started, and deletes its data. */
  void stop() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (var paths = Files.walk(run)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort: the directory is under target/, which the next clean removes
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Unpacks the zip once into {@code dir} (its single top directory is the home). */
  private static Path unpack(Path zip, Path dir) throws IOException {
    Path done = dir.resolve(".unpacked-" + zip.getFileName());
    if (!Files.exists(done)) {
      try (InputStream in = Files.newInputStream(zip);
          ZipInputStream z = new ZipInputStream(in)) {
        for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
          Path out = dir.resolve(e.getName()).normalize();
          if (!out.startsWith(dir)) {
            throw new IOException("zip entry outside the target: " + e.getName());
          }
          if (e.isDirectory()) {
            Files.createDirectories(out);
          } else {
            Files.createDirectories(out.getParent());
            Files.copy(z, out, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
      Files.writeString(done, "");
    }
    try (var homes = Files.list(dir)) {
      Path home =
          homes
              .filter(
                  p ->
                      Files.isDirectory(p)
                          && p.getFileName().toString().startsWith("elasticsearch-"))
              .findFirst()
              .orElseThrow(() -> new IOException("no elasticsearch-* directory in " + dir));
      try (var bins = Files.list(home.resolve("bin"))) {
        bins.forEach(b -> b.toFile().setExecutable(true, false));
      }
      return home;
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path out = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(out);
        } else {
          Files.copy(p, out, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private static void exec(String... cmd) throws IOException {
    try {
      Process p = new ProcessBuilder(cmd).inheritIO().start();
      if (p.waitFor() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed with " + p.exitValue());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
