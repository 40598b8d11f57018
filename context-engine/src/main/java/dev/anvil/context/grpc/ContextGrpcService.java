package dev.anvil.context.grpc;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.api.Limits;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.audit.AuditEvent;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.grpc.v1.Chunk;
import dev.anvil.context.grpc.v1.ContextServiceGrpc;
import dev.anvil.context.grpc.v1.DeleteRequest;
import dev.anvil.context.grpc.v1.DeleteResponse;
import dev.anvil.context.grpc.v1.ExportCorpusRequest;
import dev.anvil.context.grpc.v1.GetModelRequest;
import dev.anvil.context.grpc.v1.GetRequest;
import dev.anvil.context.grpc.v1.GetResponse;
import dev.anvil.context.grpc.v1.IngestRequest;
import dev.anvil.context.grpc.v1.IngestResult;
import dev.anvil.context.grpc.v1.ModelStatus;
import dev.anvil.context.grpc.v1.RollbackModelRequest;
import dev.anvil.context.grpc.v1.SwitchModelRequest;
import dev.anvil.identity.Identity;
import dev.anvil.rpc.AuthInterceptor;
import dev.anvil.rpc.GrpcServer;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;

/**
 * The {@code anvil.context.v1.ContextService}: each call runs as the verified caller, writes one
 * audit event, and answers only after that event is flushed.
 */
public final class ContextGrpcService extends ContextServiceGrpc.ContextServiceImplBase {
  /** Documents ingested and committed together from one stream. */
  static final int INGEST_BATCH = 16;

  private final ContextEngine engine;
  private final AuditLog audit;
  private final Clock clock;
  private final Limits limits;
  private final Admission admission;
  private final IngestPacing pacing;

  public ContextGrpcService(ContextEngine engine, AuditLog audit, Clock clock) {
    this(engine, audit, clock, Limits.DEFAULTS);
  }

  /** The service, holding each request and caller to {@code limits}. */
  public ContextGrpcService(ContextEngine engine, AuditLog audit, Clock clock, Limits limits) {
    this.engine = engine;
    this.audit = audit;
    this.clock = clock;
    this.limits = limits;
    this.admission = new Admission(limits, System::nanoTime);
    this.pacing = new IngestPacing(limits, System::nanoTime);
  }

  @Override
  public void search(
      dev.anvil.context.grpc.v1.SearchRequest request,
      StreamObserver<dev.anvil.context.grpc.v1.SearchResponse> out) {
    Identity who = AuthInterceptor.IDENTITY.get();
    String digest = digest(request.getQuery());
    try {
      // The caller's rate, the request's sizes, then a search slot (or a refusal naming a limit).
      admission.rate(who.principal().subject());
      dev.anvil.context.api.SearchRequest asked = ProtoMapping.request(request);
      limits.check(asked);
      SearchResponse res;
      try (Admission.Slot slot = admission.search()) {
        // The call's context is cancelled when its deadline passes or its client goes away; the
        // engine asks it inside Lucene's loops, so a call no one waits for stops using CPU.
        res = engine.search(who.principal(), asked, Context.current()::isCancelled);
      }
      // The model that answered, which a switch a moment later does not change.
      audit(who, "search", digest, res.documentIds(), res.policyVersion(), res.modelId(), "OK");
      out.onNext(
          dev.anvil.context.grpc.v1.SearchResponse.newBuilder()
              .addAllChunks(res.hits().stream().map(ProtoMapping::chunk).toList())
              .setVisibleMatches(res.visibleMatches())
              .setVisibleMatchesExact(res.visibleMatchesExact())
              .setPolicyVersion(res.policyVersion())
              .setModelId(res.modelId())
              .putAllFacets(facets(res))
              .build());
      out.onCompleted();
    } catch (RuntimeException e) {
      fail(out, who, "search", digest, List.of(), e);
    }
  }

  @Override
  public void get(GetRequest request, StreamObserver<GetResponse> out) {
    Identity who = AuthInterceptor.IDENTITY.get();
    try {
      admission.rate(who.principal().subject());
      if (request.getDocumentId().isBlank()) {
        throw GrpcErrors.invalid("document_id", "expected an id, was empty");
      }
      List<SearchHit> chunks = engine.get(who.principal(), request.getDocumentId());
      String version = engine.policies().current().version();
      if (chunks.isEmpty()) {
        throw Status.NOT_FOUND
            .withDescription("no document '" + request.getDocumentId() + "' that you may read")
            .asRuntimeException();
      }
      audit(who, "get", "", List.of(request.getDocumentId()), version, "OK");
      out.onNext(
          GetResponse.newBuilder()
              .addAllChunks(chunks.stream().map(ProtoMapping::chunk).toList())
              .setPolicyVersion(version)
              .build());
      out.onCompleted();
    } catch (RuntimeException e) {
      fail(out, who, "get", "", List.of(request.getDocumentId()), e);
    }
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<DeleteResponse> out) {
    Identity who = AuthInterceptor.IDENTITY.get();
    try {
      admission.rate(who.principal().subject());
      if (request.getDocumentId().isBlank()) {
        throw GrpcErrors.invalid("document_id", "expected an id, was empty");
      }
      String id = request.getDocumentId();
      // The engine records the outcome (before deleting), so a refusal is answered, not failed.
      switch (engine.delete(who.principal(), id, writes(who))) {
        case dev.anvil.context.api.DeleteOutcome.Deleted d -> {
          out.onNext(
              DeleteResponse.newBuilder()
                  .setDeleted(true)
                  .setPolicyVersion(d.policyVersion())
                  .build());
          out.onCompleted();
        }
        case dev.anvil.context.api.DeleteOutcome.NotFound n ->
            out.onError(
                Status.NOT_FOUND
                    .withDescription("no document '" + id + "' that you may read")
                    .asRuntimeException());
        case dev.anvil.context.api.DeleteOutcome.Denied d ->
            out.onError(
                Status.PERMISSION_DENIED
                    .withDescription("delete of '" + id + "' denied by " + d.policy())
                    .asRuntimeException());
      }
    } catch (RuntimeException e) {
      fail(out, who, "delete", "", List.of(request.getDocumentId()), e);
    }
  }

  @Override
  public StreamObserver<IngestRequest> ingest(StreamObserver<IngestResult> out) {
    Identity who = AuthInterceptor.IDENTITY.get();
    // Read one document at a time, each when the caller's rate allows (IngestPacing).
    ServerCallStreamObserver<IngestResult> call = (ServerCallStreamObserver<IngestResult>) out;
    call.disableAutoRequest();
    call.request(1);
    return new StreamObserver<>() {
      private final List<Document> batch = new ArrayList<>();
      private int held; // what the batch holds of the server-wide buffer
      private boolean failed;

      @Override
      public void onNext(IngestRequest request) {
        if (failed) {
          return;
        }
        long bytes = request.getSerializedSize();
        try {
          held += pacing.hold(bytes);
        } catch (RuntimeException e) {
          failed = true;
          release();
          fail(out, who, "ingest", "", List.of(request.getDocument().getId()), e);
          return;
        }
        batch.add(ProtoMapping.document(request.getDocument()));
        if (batch.size() >= INGEST_BATCH) {
          flush();
        }
        if (!failed) {
          long wait = pacing.delayAfter(who.principal().subject(), bytes);
          if (wait == 0) {
            call.request(1);
          } else {
            pacing.later(wait, () -> requestNext(call));
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        failed = true; // the client went away: what was flushed is committed, the rest is dropped
        release();
      }

      @Override
      public void onCompleted() {
        if (!failed) {
          flush();
          if (!failed) {
            out.onCompleted();
          }
        }
      }

      private void flush() {
        if (batch.isEmpty()) {
          return;
        }
        try {
          if (Context.current().isCancelled()) {
            throw Status.CANCELLED.withDescription("the call was cancelled").asRuntimeException();
          }
          admission.rate(who.principal().subject());
          try (Admission.Slot slot = admission.ingest()) {
            // Recorded by the engine: each write before it is made, each refusal after.
            List<IngestOutcome> outcomes =
                engine.ingest(who.principal(), List.copyOf(batch), writes(who));
            outcomes.forEach(o -> out.onNext(ProtoMapping.result(o)));
          }
        } catch (RuntimeException e) {
          failed = true;
          fail(out, who, "ingest", "", batch.stream().map(Document::id).toList(), e);
        } finally {
          release();
        }
      }

      private void release() {
        batch.clear();
        pacing.release(held);
        held = 0;
      }
    };
  }

  /** Asks a paced stream for its next document, unless it has ended meanwhile. */
  private static void requestNext(ServerCallStreamObserver<IngestResult> call) {
    try {
      if (!call.isCancelled()) {
        call.request(1);
      }
    } catch (RuntimeException e) {
      // the call ended between the check and the request: nothing more to read
    }
  }

  @Override
  public void exportCorpus(ExportCorpusRequest request, StreamObserver<Chunk> out) {
    Identity who = AuthInterceptor.IDENTITY.get();
    ServerCallStreamObserver<Chunk> call = (ServerCallStreamObserver<Chunk>) out;
    List<String> ids = new ArrayList<>(); // each document sent, once: what the audit names
    try {
      admission.rate(who.principal().subject());
      Map<String, List<String>> tags = new LinkedHashMap<>();
      request.getTagsMap().forEach((tag, v) -> tags.put(tag, List.copyOf(v.getValuesList())));
      limits.checkFilter(tags);
      int max =
          request.getMaxChunks() == 0 ? ContextEngine.MAX_CORPUS_CHUNKS : request.getMaxChunks();
      try (Admission.Slot slot = admission.search()) {
        engine.trainingCorpus(
            who.principal(),
            tags,
            request.getAfterDocumentId(),
            max,
            Context.current()::isCancelled,
            hit -> {
              awaitReady(call); // a slow reader holds the export back, not the server's memory
              out.onNext(ProtoMapping.chunk(hit));
              if (ids.isEmpty() || !ids.getLast().equals(hit.documentId())) {
                ids.add(hit.documentId());
              }
            });
      }
      audit(who, "export_corpus", "", ids, engine.policies().current().version(), "OK");
      out.onCompleted();
    } catch (RuntimeException e) {
      fail(out, who, "export_corpus", "", ids, e);
    }
  }

  /**
   * Waits until the client can take another message, or the call ended. Polled: the transport's
   * ready callback runs on this call's executor, which this method occupies.
   */
  private static void awaitReady(ServerCallStreamObserver<?> call) {
    while (!call.isReady() && !call.isCancelled()) {
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
  }

  @Override
  public void getModel(GetModelRequest request, StreamObserver<ModelStatus> out) {
    out.onNext(status());
    out.onCompleted();
  }

  @Override
  public void switchModel(SwitchModelRequest request, StreamObserver<ModelStatus> out) {
    Identity who = AuthInterceptor.IDENTITY.get();
    String id = request.getModelId();
    String action = request.getOverrideGate() ? "switch_model_override_gate" : "switch_model";
    try {
      if (id.isBlank()) {
        throw GrpcErrors.invalid("model_id", "expected a model of the registry (anvil model list)");
      }
      if (!(request.getChunksPerSecond() >= 0)) {
        throw GrpcErrors.invalid("chunks_per_second", "expected a number >= 0");
      }
      engine.switchTo(
          who.principal(),
          id,
          request.getChunksPerSecond(),
          request.getOverrideGate(),
          writes(who)); // recorded before the re-embedding starts
      out.onNext(status());
      out.onCompleted();
    } catch (RuntimeException e) {
      fail(out, who, action, "", List.of(id), GrpcErrors.refusedModel(e));
    }
  }

  @Override
  public void rollbackModel(RollbackModelRequest request, StreamObserver<ModelStatus> out) {
    Identity who = AuthInterceptor.IDENTITY.get();
    try {
      engine.rollback(who.principal(), writes(who)); // recorded before the switch back
      out.onNext(status());
      out.onCompleted();
    } catch (RuntimeException e) {
      fail(out, who, "rollback_model", "", List.of(), GrpcErrors.refusedModel(e));
    }
  }

  private ModelStatus status() {
    ModelStatus.Builder b =
        ModelStatus.newBuilder()
            .setModelId(engine.modelId())
            .setRegistryModelId(engine.registryId().orElse(""))
            .setModelDigest(engine.modelDigest().orElse(""))
            .setPreviousModelId(engine.previousModelId().orElse(""));
    engine
        .reembedding()
        .ifPresent(
            r -> {
              ModelStatus.Reembedding.Builder rb =
                  ModelStatus.Reembedding.newBuilder()
                      .setModelId(r.modelId())
                      .setDone(r.done())
                      .setTotal(r.total());
              if (!r.finished().isDone()) {
                rb.setState("running");
              } else if (r.finished().isCompletedExceptionally()) {
                Throwable cause = r.finished().exceptionNow();
                rb.setState(cause instanceof CancellationException ? "cancelled" : "failed")
                    .setError(String.valueOf(cause.getMessage()));
              } else {
                rb.setState("switched");
              }
              b.setReembedding(rb);
            });
    return b.build();
  }

  private static java.util.Map<String, dev.anvil.context.grpc.v1.FacetCounts> facets(
      SearchResponse res) {
    java.util.Map<String, dev.anvil.context.grpc.v1.FacetCounts> out =
        new java.util.LinkedHashMap<>();
    res.facets()
        .forEach(
            (tag, counts) ->
                out.put(
                    tag,
                    dev.anvil.context.grpc.v1.FacetCounts.newBuilder()
                        .putAllCounts(counts)
                        .build()));
    return out;
  }

  /** Records the engine's writes for this caller, with its user and agent. */
  private WriteAudit writes(Identity who) {
    return audit.recorder(
        who.principal().subject(),
        who.username(),
        who.agent().orElse(""),
        engine::modelId,
        clientCertificate());
  }

  /** The caller's client certificate (mTLS) as the audit records it, or empty. */
  private static String clientCertificate() {
    String subject = GrpcServer.CLIENT_CERTIFICATE.get();
    return subject == null ? "" : "client_cert=" + subject;
  }

  /** Audits a refused or failed call with the ids it named, then answers it with its status. */
  private void fail(
      StreamObserver<?> out,
      Identity who,
      String action,
      String digest,
      List<String> ids,
      RuntimeException e) {
    io.grpc.StatusRuntimeException status = GrpcErrors.toStatus(e);
    audit(
        who,
        action,
        digest,
        ids,
        engine.policies().current().version(),
        status.getStatus().getCode().name());
    out.onError(status);
  }

  private void audit(
      Identity who,
      String action,
      String digest,
      List<String> ids,
      String policyVersion,
      String status) {
    audit(who, action, digest, ids, policyVersion, engine.modelId(), status);
  }

  private void audit(
      Identity who,
      String action,
      String digest,
      List<String> ids,
      String policyVersion,
      String modelId,
      String status) {
    audit.append(
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
            clientCertificate()));
  }

  private static String digest(String query) {
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
}
