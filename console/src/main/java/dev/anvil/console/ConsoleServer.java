package dev.anvil.console;

import dev.anvil.console.spi.JobSource;
import dev.anvil.context.ContextEngine;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.http.HttpListener;
import dev.anvil.judge.Judging;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rpc.ServerTransport;
import jakarta.servlet.MultipartConfigElement;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;

/**
 * The admin console: server-rendered pages over the engine's policies, policy diffs, decision
 * explanations, audit log, models, the trainer's jobs and the judgment queue, on a port of its own.
 * Only principals the policy in force allows {@code admin} or {@code audit} see any page; everyone
 * else gets the same bare 403. It binds to the given host only, in plaintext only on loopback
 * unless told otherwise, or over TLS from the same PEM files (re-read when rotated) as every Anvil
 * listener.
 */
public final class ConsoleServer implements AutoCloseable {
  /** Largest request body (a proposed pack's files): 16 MiB; one file at most 1 MiB. */
  static final long MAX_REQUEST_BYTES = 16L << 20;

  /** Threads serving requests. */
  static final int MAX_THREADS = 32;

  /**
   * What the console shows and how people sign in.
   *
   * @param signIn how people sign in
   * @param pack the policy pack directory the engine loads (validated on the policy page; its
   *     principals are the subjects of explanations and diffs)
   * @param proposals a directory whose sub-directories may be proposed by path on the diff page;
   *     empty: only uploads
   * @param models the model registry directory the engine switches from; empty: none
   * @param publicUrl the console's URL as browsers reach it (the OIDC redirect is under it); empty:
   *     the URL each request was addressed to
   */
  public record Options(
      SignIn signIn,
      PolicyPack pack,
      Optional<Path> proposals,
      Optional<Path> models,
      Optional<URI> publicUrl) {
    public Options {
      Objects.requireNonNull(signIn, "signIn");
      Objects.requireNonNull(pack, "pack");
      Objects.requireNonNull(proposals, "proposals");
      Objects.requireNonNull(models, "models");
      Objects.requireNonNull(publicUrl, "publicUrl");
    }
  }

  /**
   * Everything the pages read.
   *
   * @param engine the context engine (policies in force, index, model)
   * @param audit the engine's audit log: searched by the audit page, and written for the console's
   *     own sign-ins, refusals and reads
   * @param judging judgments, if the engine keeps them
   * @param jobs the trainer's jobs
   */
  public record Backend(
      ContextEngine engine, AuditLog audit, Optional<Judging> judging, JobSource jobs) {
    public Backend {
      Objects.requireNonNull(engine, "engine");
      Objects.requireNonNull(audit, "audit");
      Objects.requireNonNull(judging, "judging");
      Objects.requireNonNull(jobs, "jobs");
    }
  }

  private final HttpListener listener;
  private final Path uploads;

  private ConsoleServer(HttpListener listener, Path uploads) {
    this.listener = listener;
    this.uploads = uploads;
  }

  /**
   * Starts the console on {@code host:port} (0 picks a free port).
   *
   * @throws IllegalArgumentException for plaintext on an address other than loopback, unless the
   *     transport allows it explicitly
   * @throws UncheckedIOException if the address cannot be bound or the TLS files cannot be read
   */
  public static ConsoleServer start(
      String host,
      int port,
      ServerTransport transport,
      Backend backend,
      Options options,
      Clock clock) {
    HttpListener listener = HttpListener.create("the console", host, port, transport, MAX_THREADS);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.setMaxFormContentSize((int) MAX_REQUEST_BYTES);
    ServletHolder pages =
        new ServletHolder(new ConsoleServlet(backend, options, new Sessions(clock), clock));
    Path uploads;
    try {
      uploads = Files.createTempDirectory("anvil-console-uploads");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a directory for uploads", e);
    }
    pages
        .getRegistration()
        .setMultipartConfig(
            new MultipartConfigElement(uploads.toString(), 1L << 20, MAX_REQUEST_BYTES, 1 << 20));
    context.addServlet(pages, "/*");
    listener.start(context);
    return new ConsoleServer(listener, uploads);
  }

  /** The port the console listens on. */
  public int port() {
    return listener.port();
  }

  /** Stops taking requests, lets running ones finish (up to 5 s), then stops. */
  @Override
  public void close() {
    listener.close();
    // Large parts of a request in flight were spooled here; none is once the listener stopped.
    try (var files = Files.walk(uploads)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort: the directory is in the system's temporary directory
    }
  }
}
