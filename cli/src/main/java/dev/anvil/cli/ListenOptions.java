package dev.anvil.cli;

import picocli.CommandLine.Option;

/**
 * Where a server listens, and how often it re-reads the policy pack: the options every {@code
 * serve} command shares ({@code ANVIL_HOST}, {@code ANVIL_PORT}, {@code ANVIL_POLICY_RELOAD} in a
 * container). The default port is each server's own.
 */
final class ListenOptions {
  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--port",
      description =
          "Port (default: 7070 for the context engine, 7071 for the trainer; 0 picks a free one).")
  Integer port;

  @Option(
      names = "--policy-reload",
      paramLabel = "SECONDS",
      defaultValue = "10",
      description = {
        "Seconds between checks of the policy pack for edits (0: never; default: ${DEFAULT-VALUE}).",
        "A broken pack is refused and logged; the policies in force stay."
      })
  int policyReload;

  /** The port asked for, else {@code serverDefault}. */
  int port(int serverDefault) {
    return port != null ? port : serverDefault;
  }
}
