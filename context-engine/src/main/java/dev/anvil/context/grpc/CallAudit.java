package dev.anvil.context.grpc;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.audit.AuditEvent;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.identity.Identity;
import dev.anvil.rpc.GrpcServer;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;

/**
 * What the engine's service records of each call in the audit log: who (subject, user, agent, the
 * client certificate under mTLS), what, on which documents, under which policy and model, and how
 * it ended. Writes are recorded by the engine itself, through {@link #writes}. The MCP endpoint
 * records its tool calls here too, in the same words (action, status code names), with where they
 * came from in the record's detail. Thread-safe.
 */
public final class CallAudit {
  private final ContextEngine engine;
  private final AuditLog log;
  private final Clock clock;

  /** Records the calls answered by {@code engine} in {@code log}, timed by {@code clock}. */
  public CallAudit(ContextEngine engine, AuditLog log, Clock clock) {
    this.engine = engine;
    this.log = log;
    this.clock = clock;
  }

  /** Records the engine's writes for this caller, with its user and agent. */
  WriteAudit writes(Identity who) {
    return log.recorder(
        who.principal().subject(),
        who.username(),
        who.agent().orElse(""),
        engine::modelId,
        clientCertificate());
  }

  /** Audits a refused or failed call with the ids it named, then answers it with its status. */
  void fail(
      StreamObserver<?> out,
      Identity who,
      String action,
      String digest,
      List<String> ids,
      RuntimeException e) {
    StatusRuntimeException status = GrpcErrors.toStatus(e);
    record(
        who,
        action,
        digest,
        ids,
        engine.policies().current().version(),
        status.getStatus().getCode().name());
    out.onError(status);
  }

  /** Records a call answered by the model serving now. */
  void record(
      Identity who,
      String action,
      String digest,
      List<String> ids,
      String policyVersion,
      String status) {
    record(who, action, digest, ids, policyVersion, engine.modelId(), status);
  }

  /** Records a call answered by {@code modelId}. */
  void record(
      Identity who,
      String action,
      String digest,
      List<String> ids,
      String policyVersion,
      String modelId,
      String status) {
    record(who, action, digest, ids, policyVersion, modelId, status, clientCertificate());
  }

  /**
   * Records a call answered by {@code modelId}, with {@code detail} (e.g. the transport it came
   * by), and returns once the record is on disk.
   *
   * @param status the status code name, as gRPC names it ({@code OK}, {@code NOT_FOUND}, ...)
   * @throws java.io.UncheckedIOException if the record cannot be made durable (the call must fail)
   */
  public void record(
      Identity who,
      String action,
      String digest,
      List<String> ids,
      String policyVersion,
      String modelId,
      String status,
      String detail) {
    log.append(
        new AuditEvent(
            clock.instant(),
            who.principal().subject(),
            who.username(),
            who.agent().orElse(""),
            action,
            digest,
            ids,
            policyVersion,
            modelId,
            status,
            detail));
  }

  /** A query as the audit keeps it: its SHA-256, never its text. */
  public static String digest(String query) {
    try {
      return "sha256:"
          + HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-256")
                      .digest(query.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  /** The caller's client certificate (mTLS) as the audit records it, or empty. */
  private static String clientCertificate() {
    String subject = GrpcServer.CLIENT_CERTIFICATE.get();
    return subject == null ? "" : "client_cert=" + subject;
  }
}
