package dev.anvil.trainer.grpc;

import dev.anvil.rbac.Principal;
import dev.anvil.rpc.AuthInterceptor;
import dev.anvil.rpc.ConcurrencyLimit;
import dev.anvil.trainer.grpc.v1.CancelJobRequest;
import dev.anvil.trainer.grpc.v1.GetJobRequest;
import dev.anvil.trainer.grpc.v1.GetModelRequest;
import dev.anvil.trainer.grpc.v1.Job;
import dev.anvil.trainer.grpc.v1.JobEvent;
import dev.anvil.trainer.grpc.v1.ListJobsRequest;
import dev.anvil.trainer.grpc.v1.ListJobsResponse;
import dev.anvil.trainer.grpc.v1.ListModelsRequest;
import dev.anvil.trainer.grpc.v1.ListModelsResponse;
import dev.anvil.trainer.grpc.v1.Model;
import dev.anvil.trainer.grpc.v1.PromoteRequest;
import dev.anvil.trainer.grpc.v1.PromoteResponse;
import dev.anvil.trainer.grpc.v1.StreamEventsRequest;
import dev.anvil.trainer.grpc.v1.SubmitRequest;
import dev.anvil.trainer.grpc.v1.TrainerServiceGrpc;
import dev.anvil.trainer.job.JobSpecException;
import dev.anvil.trainer.service.JobQuota;
import dev.anvil.trainer.service.LocalTrainer;
import dev.anvil.trainer.service.Submission;
import dev.anvil.trainer.service.TrainerException;
import dev.anvil.trainer.service.TrainerLimits;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code anvil.trainer.v1.TrainerService}: each call is served by a {@link LocalTrainer} acting
 * for the verified caller, so the service decides exactly as {@code anvil train} does locally; and
 * each call is held to the service's {@link TrainerLimits} first (the caller's rate, a submission's
 * sizes, the jobs queued or running, the submissions, promotions and event streams at once).
 */
public final class TrainerGrpcService extends TrainerServiceGrpc.TrainerServiceImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerGrpcService.class);

  private final Function<Principal, LocalTrainer> trainers;
  private final Admission admission;
  private final JobQuota quota;

  /**
   * The service within {@link TrainerLimits#DEFAULTS}.
   *
   * @param trainers the trainer for a caller (over one store, policies and registry)
   */
  public TrainerGrpcService(Function<Principal, LocalTrainer> trainers) {
    this(trainers, TrainerLimits.DEFAULTS);
  }

  /**
   * The service, holding each request and caller to {@code limits}.
   *
   * @param trainers the trainer for a caller (over one store, policies and registry)
   */
  public TrainerGrpcService(Function<Principal, LocalTrainer> trainers, TrainerLimits limits) {
    this(trainers, limits, System::nanoTime);
  }

  /** With the clock of the callers' rates ({@link System#nanoTime} but in tests). */
  TrainerGrpcService(
      Function<Principal, LocalTrainer> trainers, TrainerLimits limits, LongSupplier nanos) {
    this.trainers = trainers;
    this.admission = new Admission(limits, nanos);
    this.quota = limits.jobQuota();
  }

  /** The verified caller of this call. */
  private static Principal caller() {
    return AuthInterceptor.IDENTITY.get().principal();
  }

  /** The trainer acting for the verified caller of this call, once the caller's rate allows. */
  private LocalTrainer trainer() {
    Principal who = caller();
    admission.rate(who.subject());
    return trainers.apply(who);
  }

  @Override
  public void submit(SubmitRequest request, StreamObserver<Job> out) {
    unary(
        out,
        () -> {
          Principal who = caller();
          admission.rate(who.subject());
          admission.check(request);
          if (request.getSpec().isBlank()) {
            throw invalid("spec", "expected the job spec (YAML), was empty");
          }
          String where = request.getSpecName().isBlank() ? "spec" : request.getSpecName();
          try (ConcurrencyLimit.Slot slot = admission.submit()) {
            return TrainerProtos.job(
                trainers
                    .apply(who)
                    .submit(
                        new Submission(
                            where,
                            request.getSpec(),
                            Optional.empty(),
                            TrainerProtos.files(request.getFilesMap())),
                        quota));
          }
        });
  }

  @Override
  public void get(GetJobRequest request, StreamObserver<Job> out) {
    unary(out, () -> TrainerProtos.job(trainer().job(jobId(request.getJobId()))));
  }

  @Override
  public void list(ListJobsRequest request, StreamObserver<ListJobsResponse> out) {
    unary(
        out,
        () ->
            ListJobsResponse.newBuilder()
                .addAllJobs(trainer().jobs().stream().map(TrainerProtos::job).toList())
                .build());
  }

  @Override
  public void cancel(CancelJobRequest request, StreamObserver<Job> out) {
    unary(out, () -> TrainerProtos.job(trainer().cancel(jobId(request.getJobId()))));
  }

  @Override
  public void streamEvents(StreamEventsRequest request, StreamObserver<JobEvent> out) {
    ServerCallStreamObserver<JobEvent> stream = (ServerCallStreamObserver<JobEvent>) out;
    Principal who = caller();
    try {
      admission.rate(who.subject());
      if (request.getFromSequence() < 0) {
        throw invalid("from_sequence", "expected 0 or more");
      }
      try (ConcurrencyLimit.Slot slot = admission.stream(who.subject())) {
        stream(trainers.apply(who), request, stream);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.onError(Status.CANCELLED.withDescription("the trainer is stopping").asRuntimeException());
    } catch (RuntimeException e) {
      out.onError(status(e));
    }
  }

  /** A job's events to the stream, as asked; with follow, until the job is over. */
  private static void stream(
      LocalTrainer trainer, StreamEventsRequest request, ServerCallStreamObserver<JobEvent> stream)
      throws InterruptedException {
    String id = trainer.job(jobId(request.getJobId())).id();
    if (request.getFollow()) {
      trainer.follow(
          id,
          request.getFromSequence(),
          e -> stream.onNext(TrainerProtos.event(id, e)),
          stream::isCancelled);
    } else {
      trainer.events(id, request.getFromSequence()).stream()
          .map(e -> TrainerProtos.event(id, e))
          .forEach(stream::onNext);
    }
    if (!stream.isCancelled()) {
      stream.onCompleted();
    }
  }

  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> out) {
    unary(
        out,
        () ->
            ListModelsResponse.newBuilder()
                .addAllModels(trainer().models().stream().map(TrainerProtos::model).toList())
                .build());
  }

  @Override
  public void getModel(GetModelRequest request, StreamObserver<Model> out) {
    unary(
        out,
        () -> {
          LocalTrainer trainer = trainer();
          if (request.getModelId().isBlank()) {
            throw invalid("model_id", "expected a model id, was empty");
          }
          return TrainerProtos.model(trainer.model(request.getModelId()));
        });
  }

  @Override
  public void promote(PromoteRequest request, StreamObserver<PromoteResponse> out) {
    unary(
        out,
        () -> {
          Principal who = caller();
          admission.rate(who.subject());
          if (request.getModelId().isBlank()) {
            throw invalid("model_id", "expected a model id, was empty");
          }
          // The gate scores two models on two sets: few at once, the rest refused, not queued.
          try (ConcurrencyLimit.Slot slot = admission.promotion()) {
            return TrainerProtos.promotion(
                trainers.apply(who).promote(request.getModelId(), request.getServingModelId()));
          }
        });
  }

  private static String jobId(String id) {
    if (id.isBlank()) {
      throw invalid("job_id", "expected a job id, was empty");
    }
    return id;
  }

  private static <T> void unary(StreamObserver<T> out, Supplier<T> call) {
    T result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      out.onError(status(e));
      return;
    }
    out.onNext(result);
    out.onCompleted();
  }

  private static StatusRuntimeException invalid(String field, String message) {
    return Status.INVALID_ARGUMENT.withDescription(field + ": " + message).asRuntimeException();
  }

  /** The one place where the trainer's exceptions become gRPC statuses. */
  static StatusRuntimeException status(RuntimeException e) {
    return switch (e) {
      case StatusRuntimeException s -> s;
      case TrainerException t ->
          (switch (t.kind()) {
                case NOT_FOUND -> Status.NOT_FOUND;
                case DENIED -> Status.PERMISSION_DENIED;
                case INVALID -> Status.INVALID_ARGUMENT;
                case CONFLICT -> Status.FAILED_PRECONDITION;
                case EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
              })
              .withDescription(t.getMessage())
              .asRuntimeException();
      case JobSpecException j ->
          Status.INVALID_ARGUMENT.withDescription(j.getMessage()).asRuntimeException();
      default -> {
        LOG.error("internal error", e);
        yield Status.INTERNAL
            .withDescription("internal error: " + e.getClass().getSimpleName())
            .asRuntimeException();
      }
    };
  }
}
