package dev.anvil.rbac;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line that runs a main class in a new JVM with this test JVM's class path and the
 * flags Anvil runs with, for tests that kill processes or run the CLI as a user would.
 */
public final class TestJvm {
  private TestJvm() {}

  public static List<String> command(Class<?> main, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("--add-modules");
    cmd.add("jdk.incubator.vector");
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return cmd;
  }
}
