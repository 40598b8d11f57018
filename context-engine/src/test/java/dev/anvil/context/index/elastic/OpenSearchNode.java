package dev.anvil.context.index.elastic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * The real single-node OpenSearch of the tests, with vector search, assembled from Maven Central
 * artifacts only (paths in system properties Maven sets): the minimal distribution ({@code
 * org.opensearch.distribution.integ-test-zip:opensearch}, {@code anvil.opensearch.zip}), which has
 * no k-NN; the k-NN plugin ({@code org.opensearch.plugin:opensearch-knn}, a plugin zip, {@code
 * anvil.opensearch.knn.zip}); and the {@code lang-painless} module the plugin extends, which Maven
 * Central has only as jars ({@code org.opensearch.plugin:lang-painless} and its dependencies,
 * copied into the directory {@code anvil.opensearch.painless}): the module is those jars with the
 * descriptor and security policy the distribution's build would have written. The {@code lucene}
 * engine of {@code knn_vector} needs none of the plugin's native libraries, which the zip lacks.
 *
 * <p>OpenSearch 2 installs a security manager, which JDK 24 and later no longer have, so the node
 * runs on a JDK 17 ({@code anvil.opensearch.java}, Debian's {@code openjdk-17-jre-headless} by
 * default), not on the test's own. Started once per test JVM ({@link #shared()}), as {@link
 * ClusterNode} says, and stopped when it exits.
 */
public final class OpenSearchNode {
  private static ClusterNode shared;

  private OpenSearchNode() {}

  /** The node of this test JVM, started on first use. */
  public static synchronized ClusterNode shared() {
    if (shared == null) {
      shared = start();
    }
    return shared;
  }

  private static ClusterNode start() {
    Path zip = ClusterNode.requiredFile("anvil.opensearch.zip");
    Path knn = ClusterNode.requiredFile("anvil.opensearch.knn.zip");
    String painless = System.getProperty("anvil.opensearch.painless", "");
    String java = System.getProperty("anvil.opensearch.java", "");
    if (!Files.isExecutable(Path.of(java, "bin", "java"))) {
      throw new IllegalStateException(
          "anvil.opensearch.java names no JDK ("
              + java
              + "): OpenSearch 2 needs a JDK 11 to 21 (it installs a security manager, which JDK 24"
              + " removed); install openjdk-17-jre-headless (scripts/system-deps.sh does)");
    }
    try {
      Path home =
          ClusterNode.unpackHome(
              zip, Path.of("target", "opensearch").toAbsolutePath(), "opensearch-");
      String version = home.getFileName().toString().substring("opensearch-".length());
      installPainless(Path.of(painless), home.resolve("modules/lang-painless"), version);
      ClusterNode.unpack(knn, home.resolve("plugins/opensearch-knn"));
      return ClusterNode.start(
          new ClusterNode.Launch(
              "OpenSearch",
              home,
              "bin/opensearch",
              List.of(),
              run ->
                  Map.of(
                      "OPENSEARCH_JAVA_HOME",
                      java,
                      "OPENSEARCH_JAVA_OPTS",
                      "-Xms512m -Xmx512m",
                      "OPENSEARCH_PATH_CONF",
                      run.resolve("config").toString(),
                      "OPENSEARCH_TMPDIR",
                      run.resolve("tmp").toString())),
          OpenSearchNode::logsInRunDirectory);
    } catch (IOException e) {
      throw new UncheckedIOException("starting OpenSearch failed", e);
    }
  }

  /**
   * The module {@code lang-painless} from its jars: the distribution's build would add the
   * descriptor and the policy (painless compiles scripts into classes of its own loader).
   */
  private static void installPainless(Path jars, Path module, String version) throws IOException {
    if (!Files.isRegularFile(jars.resolve("lang-painless-" + version + ".jar"))) {
      throw new IllegalStateException(
          "anvil.opensearch.painless holds no lang-painless-"
              + version
              + ".jar ("
              + jars
              + "): run the tests through Maven, which copies the module's jars there");
    }
    Files.createDirectories(module);
    try (var list = Files.list(jars)) {
      for (Path jar : list.filter(p -> p.toString().endsWith(".jar")).toList()) {
        Files.copy(jar, module.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.writeString(
        module.resolve("plugin-descriptor.properties"),
        String.join(
            "\n",
            "description=An easy, safe and fast scripting language for OpenSearch",
            "version=" + version,
            "name=lang-painless",
            "classname=org.opensearch.painless.PainlessPlugin",
            "java.version=11",
            "opensearch.version=" + version,
            "custom.foldername=",
            "extended.plugins=",
            "has.native.controller=false",
            ""));
    Files.writeString(
        module.resolve("plugin-security.policy"),
        """
        grant {
          permission java.lang.RuntimePermission "createClassLoader";
          permission java.lang.RuntimePermission "getClassLoader";
        };
        """);
  }

  /**
   * The distribution's {@code jvm.options} writes the GC log, heap dumps and crash files relative
   * to the home, which the unprivileged node may not write: into the run directory instead.
   */
  private static void logsInRunDirectory(Path config, Path run) {
    Path options = config.resolve("jvm.options");
    try {
      String logs = run.resolve("logs").toString();
      Files.writeString(
          options,
          Files.readString(options)
              .replace("file=logs/", "file=" + logs + "/")
              .replace("ErrorFile=logs/", "ErrorFile=" + logs + "/")
              .replace("HeapDumpPath=data", "HeapDumpPath=" + run.resolve("data")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rewrite " + options, e);
    }
  }
}
