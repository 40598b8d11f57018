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
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A real single-node cluster for the tests, Elasticsearch ({@link ElasticNode}) or OpenSearch
 * ({@link OpenSearchNode}), from a distribution zip Maven resolved, unpacked under {@code target/}:
 * HTTP and transport bound to 127.0.0.1 only, security off (loopback only), a 512 MiB heap. What
 * the two products share (unpacking, a run directory, ports, waiting for a yellow cluster,
 * stopping) is here; each fixture says how its product is launched.
 *
 * <p>Neither product runs as root, and neither has a switch to allow it; as root the node runs as
 * the unprivileged user 65534 ({@code setpriv}), in a directory it owns.
 */
public final class ClusterNode {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
  private static final int UNPRIVILEGED = 65534;
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  private final String product;
  private final Process process;
  private final URI url;
  private final Path run;

  private ClusterNode(String product, Process process, URI url, Path run) {
    this.product = product;
    this.process = process;
    this.url = url;
    this.run = run;
  }

  /**
   * How one product is started.
   *
   * @param product its name, for messages
   * @param home the unpacked distribution
   * @param launcher its start script, relative to {@code home}
   * @param settings {@code -E} settings beyond the shared ones (network, ports, paths, names)
   * @param env the environment of the start script, given the run directory
   */
  record Launch(
      String product,
      Path home,
      String launcher,
      List<String> settings,
      Function<Path, Map<String, String>> env) {}

  /** The node's HTTP endpoint. */
  public URI url() {
    return url;
  }

  /** A configuration for the node with an index prefix no other caller of this JVM gets. */
  public ElasticConfig freshConfig() {
    return ElasticConfig.of(url).withIndexPrefix("t" + PREFIXES.incrementAndGet() + "-");
  }

  /**
   * Starts a node and waits until its cluster is yellow; stops it when the JVM exits.
   *
   * @param prepare what the product needs done to its copied configuration directory (given it and
   *     the run directory) before the node starts
   */
  static ClusterNode start(Launch launch, BiConsumer<Path, Path> prepare) {
    try {
      Path run =
          Files.createTempDirectory(target(), launch.product().toLowerCase(Locale.ROOT) + "-run-");
      Path config = run.resolve("config");
      copyTree(launch.home().resolve("config"), config);
      prepare.accept(config, run);
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
      cmd.add(launch.home().resolve(launch.launcher()).toString());
      List<String> settings =
          new ArrayList<>(
              List.of(
                  "discovery.type=single-node",
                  "network.host=127.0.0.1",
                  "http.port=" + http,
                  "transport.port=" + transport,
                  "action.auto_create_index=false",
                  "cluster.routing.allocation.disk.threshold_enabled=false",
                  "cluster.name=anvil-test",
                  "node.name=anvil-test",
                  "path.data=" + run.resolve("data"),
                  "path.logs=" + run.resolve("logs")));
      settings.addAll(launch.settings());
      settings.forEach(s -> cmd.add("-E" + s));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.redirectOutput(run.resolve("console.log").toFile());
      pb.environment().putAll(launch.env().apply(run));
      Process p = pb.start();
      ClusterNode node =
          new ClusterNode(launch.product(), p, URI.create("http://127.0.0.1:" + http), run);
      node.awaitReady();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(node::stop, launch.product().toLowerCase(Locale.ROOT) + "-stop"));
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException("starting " + launch.product() + " failed", e);
    }
  }

  /**
   * Where nodes are unpacked and run: the module's {@code target/} (the working directory of its
   * tests), unless the system property {@code anvil.node.dir} names another (a benchmark's).
   */
  static Path target() {
    return Path.of(System.getProperty("anvil.node.dir", "target")).toAbsolutePath();
  }

  /** The zip a system property names, or an error saying how to get it. */
  static Path requiredFile(String property) {
    String path = System.getProperty(property);
    if (path == null || !Files.isRegularFile(Path.of(path))) {
      throw new IllegalStateException(
          property
              + " names no file ("
              + path
              + "): run the tests through Maven, which resolves the distributions");
    }
    return Path.of(path);
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    try (HttpClient http = HttpClient.newHttpClient()) {
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              product + " exited with " + process.exitValue() + ":\n" + tail());
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
        product + " did not answer within " + START_TIMEOUT + ":\n" + tail());
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
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
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

  /**
   * Unpacks the zip once into {@code dir}; returns its single top directory, whose name starts with
   * {@code homePrefix}, with its {@code bin/} scripts made executable.
   */
  static Path unpackHome(Path zip, Path dir, String homePrefix) throws IOException {
    unpack(zip, dir);
    try (var homes = Files.list(dir)) {
      Path home =
          homes
              .filter(
                  p -> Files.isDirectory(p) && p.getFileName().toString().startsWith(homePrefix))
              .findFirst()
              .orElseThrow(() -> new IOException("no " + homePrefix + "* directory in " + dir));
      try (var bins = Files.list(home.resolve("bin"))) {
        bins.forEach(b -> b.toFile().setExecutable(true, false));
      }
      return home;
    }
  }

  /** Unpacks {@code zip} into {@code dir}, once (a marker file remembers it). */
  static void unpack(Path zip, Path dir) throws IOException {
    Path done = dir.resolve(".unpacked-" + zip.getFileName());
    if (Files.exists(done)) {
      return;
    }
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

  static void copyTree(Path from, Path to) throws IOException {
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
