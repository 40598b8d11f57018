package dev.anvil.context.grpc;

import com.google.common.util.concurrent.ListenableFuture;
import dev.anvil.context.grpc.v1.Chunk;
import dev.anvil.context.grpc.v1.ContextServiceGrpc;
import dev.anvil.context.grpc.v1.CorpusPart;
import dev.anvil.context.grpc.v1.DeleteRequest;
import dev.anvil.context.grpc.v1.DeleteResponse;
import dev.anvil.context.grpc.v1.Document;
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
import dev.anvil.context.grpc.v1.SearchRequest;
import dev.anvil.context.grpc.v1.SearchResponse;
import dev.anvil.context.grpc.v1.SwitchModelRequest;
import dev.anvil.rpc.ClientTransport;
import dev.anvil.rpc.GrpcClient;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A client of the context engine for agents and the CLI: blocking calls, futures, and document
 * streaming. Every call carries the user's token and a deadline.
 *
 * <p>Thread-safe; close it to release the channel.
 */
public final class ContextClient implements AutoCloseable {
  private final GrpcClient client;

  private ContextClient(GrpcClient client) {
    this.client = client;
  }

  /** A plaintext client (loopback or inside a service mesh) of {@code host:port}. */
  public static ContextClient connect(
      String host, int port, Supplier<String> token, Duration deadline) {
    return new ContextClient(GrpcClient.connect(host, port, token, deadline));
  }

  /** A client of {@code host:port} over {@code transport} (TLS, or plaintext to loopback). */
  public static ContextClient connect(
      String host, int port, ClientTransport transport, Supplier<String> token, Duration deadline) {
    return new ContextClient(
        GrpcClient.connect(
            host,
            port,
            transport,
            token,
            deadline,
            io.opentelemetry.api.GlobalOpenTelemetry.get()));
  }

  /**
   * The server's {@code JudgmentService}, on this client's channel, token and deadline: throws
   * {@link io.grpc.StatusRuntimeException} with the status on failure.
   */
  public dev.anvil.context.grpc.v1.JudgmentServiceGrpc.JudgmentServiceBlockingStub judgments() {
    return client.stub(dev.anvil.context.grpc.v1.JudgmentServiceGrpc::newBlockingStub);
  }

  private ContextServiceGrpc.ContextServiceBlockingStub blocking() {
    return client.stub(ContextServiceGrpc::newBlockingStub);
  }

  private ContextServiceGrpc.ContextServiceFutureStub future() {
    return client.stub(ContextServiceGrpc::newFutureStub);
  }

  /** Searches; throws {@link io.grpc.StatusRuntimeException} with the status on failure. */
  public SearchResponse search(SearchRequest request) {
    return blocking().search(request);
  }

  /** Searches asynchronously. */
  public ListenableFuture<SearchResponse> searchAsync(SearchRequest request) {
    return future().search(request);
  }

  public GetResponse get(String documentId) {
    return blocking().get(GetRequest.newBuilder().setDocumentId(documentId).build());
  }

  public DeleteResponse delete(String documentId) {
    return blocking().delete(DeleteRequest.newBuilder().setDocumentId(documentId).build());
  }

  /** The engine's embedding model and its latest re-embedding. */
  public ModelStatus model() {
    return blocking().getModel(GetModelRequest.getDefaultInstance());
  }

  /**
   * Starts re-embedding with registry model {@code modelId}; the engine switches once it is
   * complete. {@code overrideGate}: without a passing gate verdict (needs {@code override_gate}).
   */
  public ModelStatus switchModel(String modelId, double chunksPerSecond, boolean overrideGate) {
    return blocking()
        .switchModel(
            SwitchModelRequest.newBuilder()
                .setModelId(modelId)
                .setChunksPerSecond(chunksPerSecond)
                .setOverrideGate(overrideGate)
                .build());
  }

  /** Serves the previous model again. */
  public ModelStatus rollbackModel() {
    return blocking().rollbackModel(RollbackModelRequest.getDefaultInstance());
  }

  /** Stops keeping the previous model for a rollback (its index is deleted). */
  public ModelStatus dropRollback() {
    return blocking().dropRollback(DropRollbackRequest.getDefaultInstance());
  }

  /**
   * What a proposed policy pack would change against the policies in force, over the engine's
   * index: a report, or the pack's problems if it does not load. Only for admins.
   */
  public PolicyDiffResponse policyDiff(PolicyDiffRequest request) {
    return blocking().policyDiff(request);
  }

  /**
   * A training corpus, one page: the chunks matching {@code request}'s tags that the caller may
   * train on, and the policy version that decided them.
   *
   * @throws io.grpc.StatusRuntimeException with the server's status if it refuses, or {@code
   *     DATA_LOSS} if the stream ended before the page did
   */
  public CorpusPage exportCorpus(ExportCorpusRequest request) {
    List<Chunk> chunks = new ArrayList<>();
    var parts = blocking().exportCorpus(request);
    while (parts.hasNext()) {
      CorpusPart part = parts.next();
      if (part.hasEnd()) {
        if (part.getEnd().getChunks() != chunks.size()) {
          break;
        }
        return new CorpusPage(chunks, part.getEnd().getPolicyVersion());
      }
      chunks.add(part.getChunk());
    }
    throw io.grpc.Status.DATA_LOSS
        .withDescription("the corpus page ended after " + chunks.size() + " chunks, before its end")
        .asRuntimeException();
  }

  /**
   * One page of a training corpus.
   *
   * @param chunks in document id then chunk order
   * @param policyVersion the version of the policies that decided them
   */
  public record CorpusPage(List<Chunk> chunks, String policyVersion) {
    public CorpusPage {
      chunks = List.copyOf(chunks);
    }
  }

  /** Streams documents and collects one result per document (completes when all are durable). */
  public CompletableFuture<List<IngestResult>> ingest(List<Document> documents) {
    CompletableFuture<List<IngestResult>> done = new CompletableFuture<>();
    List<IngestResult> results = new ArrayList<>();
    StreamObserver<IngestRequest> requests =
        client
            .stub(ContextServiceGrpc::newStub)
            .ingest(
                new StreamObserver<>() {
                  @Override
                  public void onNext(IngestResult r) {
                    results.add(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {
                    done.complete(List.copyOf(results));
                  }
                });
    for (Document d : documents) {
      requests.onNext(IngestRequest.newBuilder().setDocument(d).build());
    }
    requests.onCompleted();
    return done;
  }

  @Override
  public void close() {
    client.close();
  }
}
