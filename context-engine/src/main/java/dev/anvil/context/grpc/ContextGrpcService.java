package dev.anvil.context.grpc;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.admin.PolicyReview;
import dev.anvil.context.api.CorpusPage;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.InvalidRequestException;
import dev.anvil.context.api.Limits;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.grpc.v1.ContextServiceGrpc;
import dev.anvil.context.grpc.v1.CorpusEnd;
import dev.anvil.context.grpc.v1.CorpusPart;
import dev.anvil.context.grpc.v1.DeleteRequest;
import dev.anvil.context.grpc.v1.DeleteResponse;
import dev.anvil.context.grpc.v1.DropRollbackRequest;
import dev.anvil.context.grpc.v1.ExportCorpusRequest;
import dev.anvil.context.grpc.v1.GetModelRequest;
import dev.anvil.context.grpc.v1.GetRequest;
import dev.anvil.context.grpc.v1.GetResponse;
import dev.anvil.context.grpc.v1.IngestRequest;
import dev.anvil.context.grpc.v1.IngestResult;
import dev.anvil.context.grpc.v1.ModelStatus;
import dev.anvil.context.grpc.v1.PolicyDiffRequest;
import dev.anvil.context.grpc.v1.PolicyDiffResponse;
import dev.anvil.context.grpc.v1.RollbackModelRequest;
import dev.anvil.context.grpc.v1.SwitchModelRequest;
import dev.anvil.identity.Identity;
import dev.anvil.rbac.diff.DiffReport;
import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rpc.AuthInterceptor;
import dev.anvil.rpc.ConcurrencyLimit;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;

/**
 * The {@code anvil.context.v1.ContextService}: each call runs as the verified caller, writes one
 * audit event, and answers only after that event is flushed.
 */
public final class ContextGrpcService extends ContextServiceGrpc.ContextServiceImplBase {

  private final ContextEngine engine;
  private final CallAudit calls;
  private final Limits limits;
  private final Admission admission;
  private final IngestPacing pacing;

  public ContextGrpcService(ContextEngine engine, AuditLog audit, Clock clock) {
    this(engine, audit, clock, Limits.DEFAULTS);
  }

  /** The service, holding each request and caller to {@code limits}. */
  public ContextGrpcService(ContextEngine engine, AuditLog audit, Clock clock, Limits limits) {
    this(engine, audit, clock, limits, new Admission(limits));
  }

  /**
   * The service, holding each request to {@code limits} and each caller to {@code admission}
   * (shared with the server's other transports).
   */
  public ContextGrpcService(
      ContextEngine engine, AuditLog audit, Clock clock, Limits limits, Admission admission) {
    this(engine, new CallAudit(engine, audit, clock), limits, admission);
  }

  /** The service sharing its audit and admission (callers' rates) with the engine's others. */
  ContextGrpcService(ContextEngine engine, CallAudit calls, Limits limits, Admission admission) {
    this.engine = engine;
    this.calls = calls;
    this.limits = limits;
    this.admission = admission;
    this.pacing = new IngestPacing(limits, System::nanoTime);
  }

  @Override
  public void search(
      dev.anvil.context.grpc.v1.SearchRequest request,
      StreamObserver<dev.anvil.context.grpc.v1.SearchResponse> out) {
    Identity who = AuthInterceptor.IDENTITY.get();
    String digest = CallAudit.digest(request.getQuery());
    try {
      // The caller's rate, the request's sizes, then a search slot (or a refusal naming a limit).
      admission.rate(who.principal().subject());
      dev.anvil.context.api.SearchRequest asked = ProtoMapping.request(request);
      limits.check(asked);
      SearchResponse res;
      try (ConcurrencyLimit.Slot slot = admission.search()) {
        // The call's context is cancelled when its deadline passes or its client goes away; the
        // engine asks it inside Lucene's loops, so a call no one waits for stops using CPU.
        res = engine.search(who.principal(), asked, Context.current()::isCancelled);
      }
      // The model that answered, which a switch a moment later does not change.
      calls.record(
          who, "search", digest, res.documentIds(), res.policyVersion(), res.modelId(), "OK");
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
      calls.fail(out, who, "search", digest, List.of(), e);
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
      calls.record(who, "get", "", List.of(request.getDocumentId()), version, "OK");
      out.onNext(
          GetResponse.newBuilder()
              .addAllChunks(chunks.stream().map(ProtoMapping::chunk).toList())
              .setPolicyVersion(version)
              .build());
      out.onCompleted();
    } catch (RuntimeException e) {
      calls.fail(out, who, "get", "", List.of(request.getDocumentId()), e);
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
      switch (engine.delete(who.principal(), id, calls.writes(who))) {
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
      calls.fail(out, who, "delete", "", List.of(request.getDocumentId()), e);
    }
  }

  @Override
  public StreamObserver<IngestRequest> ingest(StreamObserver<IngestResult> out) {
    return new IngestStream(
        AuthInterceptor.IDENTITY.get(),
        (ServerCallStreamObserver<IngestResult>) out,
        engine,
        admission,
        pacing,
        calls);
  }

  @Override
  public void exportCorpus(ExportCorpusRequest request, StreamObserver<CorpusPart> out) {
    Identity who = AuthInterceptor.IDENTITY.get();
    ServerCallStreamObserver<CorpusPart> call = (ServerCallStreamObserver<CorpusPart>) out;
    List<String> ids = new ArrayList<>(); // each document sent, once: what the audit names
    try {
      admission.rate(who.principal().subject());
      Map<String, List<String>> tags = new LinkedHashMap<>();
      request.getTagsMap().forEach((tag, v) -> tags.put(tag, List.copyOf(v.getValuesList())));
      limits.checkFilter(tags);
      int max =
          request.getMaxChunks() == 0 ? ContextEngine.MAX_CORPUS_CHUNKS : request.getMaxChunks();
      if (request.getAfterDocumentId().length() > Document.MAX_ID_LENGTH) {
        throw GrpcErrors.invalid(
            "after_document_id",
            "expected a document id of at most "
                + Document.MAX_ID_LENGTH
                + " characters, was "
                + request.getAfterDocumentId().length());
      }
      CorpusPage page;
      try (ConcurrencyLimit.Slot slot = admission.search()) {
        page =
            engine.trainingCorpus(
                who.principal(),
                tags,
                request.getAfterDocumentId(),
                max,
                Context.current()::isCancelled,
                hit -> {
                  awaitReady(call); // a slow reader holds the export back, not the server's memory
                  out.onNext(CorpusPart.newBuilder().setChunk(ProtoMapping.chunk(hit)).build());
                  if (ids.isEmpty() || !ids.getLast().equals(hit.documentId())) {
                    ids.add(hit.documentId());
                  }
                });
      }
      calls.record(who, "export_corpus", "", ids, page.policyVersion(), "OK");
      out.onNext(
          CorpusPart.newBuilder()
              .setEnd(
                  CorpusEnd.newBuilder()
                      .setPolicyVersion(page.policyVersion())
                      .setChunks(page.chunks()))
              .build());
      out.onCompleted();
    } catch (RuntimeException e) {
      calls.fail(out, who, "export_corpus", "", ids, e);
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
          calls.writes(who)); // recorded before the re-embedding starts
      out.onNext(status());
      out.onCompleted();
    } catch (RuntimeException e) {
      calls.fail(out, who, action, "", List.of(id), GrpcErrors.refusedModel(e));
    }
  }

  @Override
  public void rollbackModel(RollbackModelRequest request, StreamObserver<ModelStatus> out) {
    Identity who = AuthInterceptor.IDENTITY.get();
    try {
      engine.rollback(who.principal(), calls.writes(who)); // recorded before the switch back
      out.onNext(status());
      out.onCompleted();
    } catch (RuntimeException e) {
      calls.fail(out, who, "rollback_model", "", List.of(), GrpcErrors.refusedModel(e));
    }
  }

  @Override
  public void dropRollback(DropRollbackRequest request, StreamObserver<ModelStatus> out) {
    Identity who = AuthInterceptor.IDENTITY.get();
    try {
      engine.dropRollback(who.principal(), calls.writes(who)); // recorded before the drop
      out.onNext(status());
      out.onCompleted();
    } catch (RuntimeException e) {
      calls.fail(out, who, "drop_rollback", "", List.of(), GrpcErrors.refusedModel(e));
    }
  }

  @Override
  public void policyDiff(PolicyDiffRequest request, StreamObserver<PolicyDiffResponse> out) {
    Identity who = AuthInterceptor.IDENTITY.get();
    String version = engine.policies().current().version();
    try {
      admission.rate(who.principal().subject());
      // Who may review is decided first: a caller who may not learns nothing of the proposal.
      PolicyReview.Session review = engine.policyReview().open(who.principal());
      version = review.inForceVersion();
      PolicyDiffMessages.Proposal proposal;
      try {
        proposal = PolicyDiffMessages.proposal(request);
      } catch (PolicyLoadException e) {
        calls.record(who, "policy_diff", "", List.of(), version, "OK");
        out.onNext(
            PolicyDiffResponse.newBuilder().setRefused(PolicyDiffMessages.refused(e)).build());
        out.onCompleted();
        return;
      }
      DiffReport report;
      try (ConcurrencyLimit.Slot slot = admission.search()) {
        report =
            review.diff(
                proposal.proposed(),
                proposal.subjects(),
                proposal.options(),
                Context.current()::isCancelled);
      } catch (dev.anvil.rbac.diff.FilterTooLargeException e) {
        // Refused before the index was asked: the proposal compiles to more than one query holds.
        throw new InvalidRequestException("policies", e.getMessage());
      }
      // The audit names the proposal by version, and every document id the reply reveals.
      calls.record(who, "policy_diff", report.proposedVersion(), sampled(report), version, "OK");
      out.onNext(
          PolicyDiffResponse.newBuilder().setReport(PolicyDiffMessages.report(report)).build());
      out.onCompleted();
    } catch (RuntimeException e) {
      calls.fail(out, who, "policy_diff", "", List.of(), e);
    }
  }

  private static List<String> sampled(DiffReport report) {
    java.util.SortedSet<String> ids = new java.util.TreeSet<>();
    for (var s : report.subjects()) {
      for (var b : List.of(s.exposed(), s.hidden())) {
        ids.addAll(b.samples());
        b.byTag().forEach(t -> t.buckets().forEach(x -> ids.addAll(x.samples())));
      }
    }
    return List.copyOf(ids);
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
}
