package dev.anvil.trainer.grpc;

import com.google.protobuf.ByteString;
import dev.anvil.rpc.ClientTransport;
import dev.anvil.rpc.GrpcClient;
import dev.anvil.trainer.grpc.v1.CancelJobRequest;
import dev.anvil.trainer.grpc.v1.GetJobRequest;
import dev.anvil.trainer.grpc.v1.GetModelRequest;
import dev.anvil.trainer.grpc.v1.ListJobsRequest;
import dev.anvil.trainer.grpc.v1.ListModelsRequest;
import dev.anvil.trainer.grpc.v1.PromoteRequest;
import dev.anvil.trainer.grpc.v1.StreamEventsRequest;
import dev.anvil.trainer.grpc.v1.SubmitRequest;
import dev.anvil.trainer.grpc.v1.TrainerServiceGrpc;
import dev.anvil.trainer.job.JobEvent;
import dev.anvil.trainer.service.JobView;
import dev.anvil.trainer.service.ModelInfo;
import dev.anvil.trainer.service.Promotion;
import dev.anvil.trainer.service.Submission;
import dev.anvil.trainer.service.Trainer;
import dev.anvil.trainer.service.TrainerException;
import dev.anvil.trainer.service.TrainerException.Kind;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A {@link Trainer} behind a trainer service: every call carries the caller's token, and the
 * service's refusals come back as the same {@link TrainerException}s a local trainer throws.
 */
public final class TrainerClient implements Trainer {
  private final GrpcClient client;

  private TrainerClient(GrpcClient client) {
    this.client = client;
  }

  /**
   * A plaintext client (loopback or inside a service mesh) of {@code host:port}; {@code deadline}
   * bounds every call but the event stream and the gate (which scores two models).
   */
  public static TrainerClient connect(
      String host, int port, Supplier<String> token, Duration deadline) {
    return new TrainerClient(GrpcClient.connect(host, port, token, deadline));
  }

  /** A client of {@code host:port} over {@code transport} (TLS, or plaintext to loopback). */
  public static TrainerClient connect(
      String host, int port, ClientTransport transport, Supplier<String> token, Duration deadline) {
    return new TrainerClient(
        GrpcClient.connect(
            host,
            port,
            transport,
            token,
            deadline,
            io.opentelemetry.api.GlobalOpenTelemetry.get()));
  }

  private TrainerServiceGrpc.TrainerServiceBlockingStub stub() {
    return client.untimed(TrainerServiceGrpc::newBlockingStub);
  }

  private TrainerServiceGrpc.TrainerServiceBlockingStub timed() {
    return client.stub(TrainerServiceGrpc::newBlockingStub);
  }

  @Override
  public JobView submit(Submission s) {
    if (s.specDir().isPresent()) {
      throw new TrainerException(
          Kind.INVALID, s.where() + ": a trainer service takes a spec with its files attached");
    }
    SubmitRequest.Builder b = SubmitRequest.newBuilder().setSpec(s.spec()).setSpecName(s.where());
    s.files().forEach((name, bytes) -> b.putFiles(name, ByteString.copyFrom(bytes)));
    return call(() -> TrainerProtos.job(timed().submit(b.build())));
  }

  @Override
  public JobView job(String id) {
    return call(
        () -> TrainerProtos.job(timed().get(GetJobRequest.newBuilder().setJobId(id).build())));
  }

  @Override
  public List<JobView> jobs() {
    return call(
        () ->
            timed().list(ListJobsRequest.getDefaultInstance()).getJobsList().stream()
                .map(TrainerProtos::job)
                .toList());
  }

  @Override
  public JobView cancel(String id) {
    return call(
        () ->
            TrainerProtos.job(timed().cancel(CancelJobRequest.newBuilder().setJobId(id).build())));
  }

  @Override
  public List<JobEvent> events(String id, long from) {
    return call(
        () -> {
          List<JobEvent> out = new ArrayList<>();
          timed()
              .streamEvents(request(id, from, false))
              .forEachRemaining(e -> out.add(TrainerProtos.event(e)));
          return out;
        });
  }

  @Override
  public JobView follow(String id, long from, Consumer<JobEvent> sink) {
    return call(
        () -> {
          String jobId = job(id).id();
          stub()
              .streamEvents(request(jobId, from, true))
              .forEachRemaining(e -> sink.accept(TrainerProtos.event(e)));
          return job(jobId);
        });
  }

  @Override
  public List<ModelInfo> models() {
    return call(
        () ->
            timed().listModels(ListModelsRequest.getDefaultInstance()).getModelsList().stream()
                .map(TrainerProtos::model)
                .toList());
  }

  @Override
  public ModelInfo model(String id) {
    return call(
        () ->
            TrainerProtos.model(
                timed().getModel(GetModelRequest.newBuilder().setModelId(id).build())));
  }

  @Override
  public Promotion promote(String modelId, String servingModelId) {
    return call(
        () ->
            TrainerProtos.promotion(
                stub()
                    .promote(
                        PromoteRequest.newBuilder()
                            .setModelId(modelId)
                            .setServingModelId(servingModelId)
                            .build())));
  }

  private static StreamEventsRequest request(String id, long from, boolean follow) {
    return StreamEventsRequest.newBuilder()
        .setJobId(id)
        .setFromSequence(from)
        .setFollow(follow)
        .build();
  }

  /**
   * The service's refusals as the exceptions a local trainer throws; other failures as they are.
   */
  private static <T> T call(Supplier<T> call) {
    try {
      return call.get();
    } catch (StatusRuntimeException e) {
      String message = e.getStatus().getDescription();
      Kind kind =
          switch (e.getStatus().getCode()) {
            case NOT_FOUND -> Kind.NOT_FOUND;
            case PERMISSION_DENIED -> Kind.DENIED;
            case INVALID_ARGUMENT -> Kind.INVALID;
            case FAILED_PRECONDITION -> Kind.CONFLICT;
            case RESOURCE_EXHAUSTED -> Kind.EXHAUSTED;
            default -> null;
          };
      if (kind == null) {
        throw e;
      }
      throw new TrainerException(kind, message);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
