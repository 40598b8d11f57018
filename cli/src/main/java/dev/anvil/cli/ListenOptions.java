package dev.anvil.cli;

import dev.anvil.rbac.input.RbacException;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.rpc.ServerTransport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
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

  @Option(
      names = "--tls-cert",
      paramLabel = "PEM",
      description =
          "TLS certificate chain (re-read when it changes, e.g. rotated by cert-manager).")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Its private key (PKCS#8).")
  Path tlsKey;

  @Option(
      names = "--tls-client-ca",
      paramLabel = "PEM",
      description = "CA bundle of client certificates (mTLS); with --tls-client-auth.")
  Path tlsClientCa;

  @Option(
      names = "--tls-client-auth",
      defaultValue = "optional",
      description =
          "With --tls-client-ca: 'require' a client certificate, or check one if 'optional'"
              + " (default: ${DEFAULT-VALUE}).")
  String tlsClientAuth;

  @Option(
      names = "--health-port",
      paramLabel = "PORT",
      description =
          "Also answer gRPC health checks, and nothing else, in plaintext on this port (for"
              + " probes that cannot speak TLS, e.g. Kubernetes' grpc probes).")
  Integer healthPort;

  @Option(
      names = "--insecure-plaintext",
      description =
          "Serve plaintext on an address other than loopback (only where something else encrypts"
              + " the traffic, e.g. a service mesh).")
  boolean insecurePlaintext;

  /** Opens the health-check port on {@code server}, if one was asked for. */
  GrpcServer withHealthPort(GrpcServer server) {
    return healthPort == null ? server : server.serveHealthOn(host, healthPort);
  }

  /** The port asked for, else {@code serverDefault}. */
  int port(int serverDefault) {
    return port != null ? port : serverDefault;
  }

  /** TLS when a certificate is given; plaintext otherwise (refused off loopback unless asked). */
  ServerTransport transport() {
    if (tlsCert == null && tlsKey == null) {
      if (tlsClientCa != null) {
        throw new RbacException("--tls-client-ca needs --tls-cert and --tls-key");
      }
      if (!insecurePlaintext && !HostPort.loopback(host)) {
        throw new RbacException(
            "refusing to serve plaintext on "
                + host
                + ": bearer tokens and documents would cross the network in clear; give"
                + " --tls-cert and --tls-key, or --insecure-plaintext if something else encrypts"
                + " the traffic");
      }
      return new ServerTransport.Plaintext(insecurePlaintext);
    }
    if (tlsCert == null || tlsKey == null) {
      throw new RbacException("TLS needs both --tls-cert and --tls-key");
    }
    if (insecurePlaintext) {
      throw new RbacException("--insecure-plaintext and --tls-cert exclude each other");
    }
    boolean require =
        switch (tlsClientAuth) {
          case "require" -> true;
          case "optional" -> false;
          default ->
              throw new RbacException(
                  "--tls-client-auth: expected 'require' or 'optional', was '"
                      + tlsClientAuth
                      + "'");
        };
    return new ServerTransport.Tls(
        tlsCert, tlsKey, Optional.ofNullable(tlsClientCa), require, Duration.ofMinutes(1));
  }

  /** How the server is reached, for its start line. */
  String describe() {
    return switch (transport()) {
      case ServerTransport.Plaintext p -> "plaintext";
      case ServerTransport.Tls t ->
          "TLS" + (t.requireClientCertificate() ? ", client certificates required" : "");
    };
  }
}
