package dev.anvil.cli;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Anvil's configuration table: every long option {@code --some-thing} of every command may also be
 * given as the environment variable {@code ANVIL_SOME_THING} (a flag as {@code true}/{@code
 * false}). The command line wins over the environment, the environment over the built-in default.
 *
 * <p>This is how containers are configured (the Helm chart sets only variables of this table, and
 * its tests check that against {@link #table}), so the chart and the application cannot drift.
 */
public final class Configuration implements CommandLine.IDefaultValueProvider {
  private final Map<String, String> env;

  Configuration(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  /**
   * The environment variable of an option, e.g. {@code --kafka-group} → {@code ANVIL_KAFKA_GROUP}.
   */
  static String variable(OptionSpec option) {
    return "ANVIL_"
        + option
            .longestName()
            .replaceFirst("^-+", "")
            .replace('-', '_')
            .toUpperCase(java.util.Locale.ROOT);
  }

  private static boolean configurable(ArgSpec arg) {
    return arg instanceof OptionSpec o && !o.usageHelp() && !o.versionHelp();
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!configurable(arg)) {
      return null;
    }
    String value = env.get(variable((OptionSpec) arg));
    return value == null || value.isBlank() ? null : value; // null: the option's own default
  }

  /**
   * The variables a command reads, each with its option's description, e.g. {@code table("serve")}
   * or {@code table("train", "worker")}.
   *
   * @throws IllegalArgumentException if there is no such command
   */
  public static SortedMap<String, String> table(String... command) {
    CommandLine cli = new CommandLine(new Main());
    for (String name : command) {
      cli = cli.getSubcommands().get(name);
      if (cli == null) {
        throw new IllegalArgumentException("no command 'anvil " + String.join(" ", command) + "'");
      }
    }
    SortedMap<String, String> table = new TreeMap<>();
    for (OptionSpec o : cli.getCommandSpec().options()) {
      if (configurable(o)) {
        table.put(variable(o), String.join(" ", List.of(o.description())));
      }
    }
    return table;
  }
}
