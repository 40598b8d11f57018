package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.TestJvm;
import dev.anvil.rbac.TestUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A long-running {@code anvil} command (a server) in a JVM of its own, as a user starts it: in the
 * repository (where {@code examples/} is), with {@code ANVIL_DATA} set, no inherited {@code ANVIL_}
 * or {@code OTEL_} settings, and its output in a log. Closing it stops it and waits for its end.
 */
final class AnvilProcess implements AutoCloseable {
  private final Process process;
  private final Path log;

  private AnvilProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code anvil ARGS} with the OpenTelemetry SDK off, unless {@code env} says otherwise.
   *
   * @param data the command's {@code ANVIL_DATA}; its log is written there
   * @param env more environment variables
   */
  static AnvilProcess start(Path data, Map<String, String> env, String... args) throws IOException {
    Path log = data.resolve(args[0] + "-" + System.nanoTime() + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(TestJvm.command(Main.class, args))
            .directory(Path.of("..").toFile()) // the repository: examples/ is there
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("OTEL_") || k.startsWith("ANVIL_"));
    pb.environment().put("ANVIL_DATA", data.toString());
    if (env.keySet().stream().noneMatch(k -> k.startsWith("OTEL_"))) {
      pb.environment().put("OTEL_SDK_DISABLED", "true");
    }
    pb.environment().putAll(env);
    return new AnvilProcess(pb.start(), log);
  }

  /** Starts {@code anvil ARGS} with no more settings. */
  static AnvilProcess start(Path data, String... args) throws IOException {
    return start(data, Map.of(), args);
  }

  /**
   * Waits up to two minutes for a line of the log that {@code ready} finds, and returns its first
   * group (say, the port it listens on); fails, showing the log, if the command ends first.
   */
  String await(Pattern ready, String what) throws InterruptedException {
    String found =
        TestUtils.waitFor(
            () -> {
              Matcher m = ready.matcher(log());
              return m.find() ? m.group(1) : null;
            },
            g -> g != null || !process.isAlive(),
            Duration.ofMinutes(2),
            what);
    assertThat(found).as("%s; the log:%n%s", what, log()).isNotNull();
    return found;
  }

  /** Whether the command still runs. */
  boolean isAlive() {
    return process.isAlive();
  }

  /** What the command wrote so far. */
  String log() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    assertThat(process.waitFor(1, TimeUnit.MINUTES)).as("the command ended").isTrue();
  }
}
