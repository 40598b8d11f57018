package dev.anvil.trainer.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.TestUtils;
import dev.anvil.rpc.GrpcClient;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.trainer.grpc.v1.CancelJobRequest;
import dev.anvil.trainer.grpc.v1.Job;
import dev.anvil.trainer.grpc.v1.JobEvent;
import dev.anvil.trainer.grpc.v1.ListJobsRequest;
import dev.anvil.trainer.grpc.v1.PromoteRequest;
import dev.anvil.trainer.grpc.v1.StreamEventsRequest;
import dev.anvil.trainer.grpc.v1.SubmitRequest;
import dev.anvil.trainer.grpc.v1.TrainerServiceGrpc;
import dev.anvil.trainer.grpc.v1.TrainerServiceGrpc.TrainerServiceBlockingStub;
import dev.anvil.trainer.job.JobStore;
import dev.anvil.trainer.job.OpenJobStores;
import dev.anvil.trainer.service.LocalTrainer;
import dev.anvil.trainer.service.TrainerException;
import dev.anvil.trainer.service.TrainerLimits;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every limit of the trainer's service exceeded once, over a real socket with real tokens: sizes
 * are INVALID_ARGUMENT naming the field, rates, jobs, streams and concurrency RESOURCE_EXHAUSTED,
 * each naming the limit and its value. No job is ever run: queued jobs wait for a worker that is
 * not there, and a slow call is one whose trainer the test holds back.
 */
class TrainerServiceLimitsTest {
  @RegisterExtension final OpenJobStores stores = new OpenJobStores();

  static final String SPEC =
      """
      name: tiny
      task: embedding
      base_model:
        packaged: all-minilm-l6-v2
      data:
        train: pairs.jsonl
      """;
  static final byte[] PAIRS =
      "{\"query\": \"q\", \"positive\": \"p\"}\n".getBytes(StandardCharsets.UTF_8);

  /** Small limits, each reached by a test; the rate is never reached unless the clock says so. */
  static final TrainerLimits LIMITS =
      new TrainerLimits(
          2000, // specBytes
          2, // uploadFiles
          10_000, // uploadBytes
          1, // concurrentSubmits
          2, // jobsPerOwner
          3, // queuedJobs
          2, // concurrentStreams
          1, // streamsPerCaller
          1, // concurrentPromotions
          1, // requestsPerSecond
          1000); // burst

  /** A second ML engineer, so that two owners submit. */
  static final Principal MAX =
      new Principal(
          "max",
          Set.of("employee", "ml-engineer"),
          Set.of("engineering"),
          Principal.single(Map.of("clearance", "confidential", "location", "us")));

  @TempDir Path dir;
  final PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
  final AtomicLong nanos = new AtomicLong();
  final List<GrpcClient> clients = new ArrayList<>();
  // Not the common pool: on a small machine it has one thread, which one held call would take.
  final ExecutorService calls = Executors.newCachedThreadPool();
  DevTokenIssuer issuer;
  JobStore store;
  GrpcServer server;

  /** The trainer of this subject is held back until {@link #release}: its call is slow. */
  volatile String holdFor = "";

  final CountDownLatch release = new CountDownLatch(1);
  final AtomicInteger held = new AtomicInteger();

  @BeforeEach
  void start() {
    issuer = DevTokenIssuer.openOrCreate(dir.resolve("dev-key.json"), Clock.systemUTC());
    store = stores.open(dir.resolve("jobs"));
    server = serve(LIMITS);
  }

  GrpcServer serve(TrainerLimits limits) {
    PolicyStore policies = PolicyStore.open(TestPacks.example());
    Path models = dir.resolve("models");
    TrainerGrpcService service =
        new TrainerGrpcService(
            who -> {
              if (who.subject().equals(holdFor)) {
                held.incrementAndGet();
                try {
                  release.await(1, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
              return new LocalTrainer(store, policies, models, Optional.empty(), who);
            },
            limits,
            nanos::get);
    return GrpcServer.start(
        "127.0.0.1", 0, issuer.verifier(), OpenTelemetry.noop(), List.of(service));
  }

  @AfterEach
  void stop() {
    release.countDown();
    calls.shutdownNow();
    clients.forEach(GrpcClient::close);
    server.close();
  }

  GrpcClient client(Principal who) {
    String token = issuer.mint(who, "test", Duration.ofMinutes(5));
    GrpcClient c =
        GrpcClient.connect(
            "127.0.0.1", server.port(), () -> token, Duration.ofSeconds(30), OpenTelemetry.noop());
    clients.add(c);
    return c;
  }

  GrpcClient client(String name) {
    return client(people.find(name).orElseThrow());
  }

  static TrainerServiceBlockingStub stub(GrpcClient c) {
    return c.stub(TrainerServiceGrpc::newBlockingStub);
  }

  static SubmitRequest.Builder submission() {
    return SubmitRequest.newBuilder()
        .setSpec(SPEC)
        .setSpecName("job.yaml")
        .putFiles("pairs.jsonl", ByteString.copyFrom(PAIRS));
  }

  static Job submit(GrpcClient c) {
    return stub(c).submit(submission().build());
  }

  static void assertRefused(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(code))
        .hasMessageContaining(message);
  }

  @Test
  void everySizeLimitOfASubmissionIsInvalidArgumentNamingTheFieldAndNothingIsQueued() {
    TrainerServiceBlockingStub mia = stub(client("mia"));
    String longSpec = SPEC + "#".repeat(2000 - SPEC.length()) + "\n";
    assertRefused(
        () -> mia.submit(submission().setSpec(longSpec).build()),
        Status.Code.INVALID_ARGUMENT,
        "spec: at most 2000 bytes (limit max-spec-bytes), was 2001");
    assertRefused(
        () ->
            mia.submit(
                submission()
                    .putFiles("eval.jsonl", ByteString.copyFrom(PAIRS))
                    .putFiles("more.jsonl", ByteString.copyFrom(PAIRS))
                    .build()),
        Status.Code.INVALID_ARGUMENT,
        "files: at most 2 files (limit max-upload-files), was 3");
    assertRefused(
        () ->
            mia.submit(
                submission()
                    .putFiles("eval.jsonl", ByteString.copyFrom(new byte[10_001 - PAIRS.length]))
                    .build()),
        Status.Code.INVALID_ARGUMENT,
        "files: at most 10000 bytes all together (limit max-upload-bytes), was 10001");
    assertRefused(
        () -> mia.submit(submission().setSpecName("j".repeat(1025)).build()),
        Status.Code.INVALID_ARGUMENT,
        "spec_name: at most 1024 characters, was 1025");
    assertRefused(
        () ->
            mia.submit(
                submission().putFiles("d/".repeat(600) + "x", ByteString.copyFrom(PAIRS)).build()),
        Status.Code.INVALID_ARGUMENT,
        "files: a path of at most 1024 characters, was 1201");
    assertThat(store.list()).isEmpty();

    // At the limits exactly, the job is queued.
    String fullSpec = SPEC + "#".repeat(2000 - SPEC.length() - 1) + "\n";
    Job job =
        mia.submit(
            submission()
                .setSpec(fullSpec)
                .putFiles("eval.jsonl", ByteString.copyFrom(new byte[10_000 - PAIRS.length]))
                .build());
    assertThat(job.getState()).isEqualTo("queued");
  }

  @Test
  void anOwnerHasAtMostItsJobsQueuedOrRunningAndTheTrainerAtMostItsQueue() {
    GrpcClient mia = client("mia");
    GrpcClient max = client(MAX);
    Job first = submit(mia);
    submit(mia);
    assertRefused(
        () -> submit(mia),
        Status.Code.RESOURCE_EXHAUSTED,
        "mia has 2 jobs queued or running, the most one owner may have (limit"
            + " max-jobs-per-owner: 2)");
    // The Java client reads it as a refusal a retry may get past.
    try (TrainerClient trainer =
        TrainerClient.connect(
            "127.0.0.1",
            server.port(),
            () -> issuer.mint(people.find("mia").orElseThrow(), "test", Duration.ofMinutes(5)),
            Duration.ofSeconds(30))) {
      assertThatThrownBy(
              () ->
                  trainer.submit(
                      new dev.anvil.trainer.service.Submission(
                          "job.yaml", SPEC, Optional.empty(), Map.of("pairs.jsonl", PAIRS))))
          .isInstanceOfSatisfying(
              TrainerException.class,
              e -> assertThat(e.kind()).isEqualTo(TrainerException.Kind.EXHAUSTED))
          .hasMessageContaining("max-jobs-per-owner: 2");
    }

    submit(max); // another owner: 3 jobs in all
    assertRefused(
        () -> submit(max),
        Status.Code.RESOURCE_EXHAUSTED,
        "the trainer has 3 jobs queued or running, the most it takes (limit max-queued-jobs: 3)");
    assertThat(store.list()).hasSize(3);

    // A job over gives its place back.
    stub(mia).cancel(CancelJobRequest.newBuilder().setJobId(first.getId()).build());
    assertThat(submit(max).getState()).isEqualTo("queued");
  }

  @Test
  void submissionsAndPromotionsInProgressAreLimitedAndMoreAreRefusedAtOnce() throws Exception {
    GrpcClient mia = client("mia");
    GrpcClient max = client(MAX);
    holdFor = "mia";
    CompletableFuture<Job> slow = CompletableFuture.supplyAsync(() -> submit(mia), calls);
    TestUtils.waitForCondition(
        () -> held.get() == 1, Duration.ofSeconds(30), "a submission in progress");
    assertRefused(
        () -> submit(max),
        Status.Code.RESOURCE_EXHAUSTED,
        "more than 1 submissions at once (limit max-concurrent-submits)");

    holdFor = "olivia";
    PromoteRequest promote = PromoteRequest.newBuilder().setModelId("some-model").build();
    GrpcClient olivia = client("olivia");
    CompletableFuture<?> promoting =
        CompletableFuture.runAsync(
            () -> assertRefused(() -> stub(olivia).promote(promote), Status.Code.NOT_FOUND, ""),
            calls);
    TestUtils.waitForCondition(
        () -> held.get() == 2, Duration.ofSeconds(30), "a promotion in progress");
    assertRefused(
        () -> stub(client("oscar")).promote(promote),
        Status.Code.RESOURCE_EXHAUSTED,
        "more than 1 promotions at once (limit max-concurrent-promotions)");

    release.countDown();
    assertThat(slow.get(30, TimeUnit.SECONDS).getState()).isEqualTo("queued");
    promoting.get(30, TimeUnit.SECONDS);
    assertThat(submit(max).getState()).isEqualTo("queued"); // the slot is free again
  }

  /** A followed stream of a queued job stays open: it holds its slot until it is cancelled. */
  Context.CancellableContext follow(GrpcClient c, String jobId, CountDownLatch opened) {
    Context.CancellableContext call = Context.current().withCancellation();
    call.run(
        () ->
            c.untimed(TrainerServiceGrpc::newStub)
                .streamEvents(
                    StreamEventsRequest.newBuilder().setJobId(jobId).setFollow(true).build(),
                    new StreamObserver<JobEvent>() {
                      @Override
                      public void onNext(JobEvent e) {
                        opened.countDown();
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {}
                    }));
    return call;
  }

  @Test
  void eventStreamsAreLimitedPerCallerAndServerWide() throws Exception {
    GrpcClient mia = client("mia");
    GrpcClient sam = client("sam"); // an admin: sees every job
    String job = submit(mia).getId();
    CountDownLatch opened = new CountDownLatch(2);
    Context.CancellableContext mias = follow(mia, job, opened);
    Context.CancellableContext sams = follow(sam, job, opened);
    assertThat(opened.await(30, TimeUnit.SECONDS)).isTrue();

    StreamEventsRequest history = StreamEventsRequest.newBuilder().setJobId(job).build();
    assertRefused(
        () -> stub(mia).streamEvents(history).forEachRemaining(e -> {}),
        Status.Code.RESOURCE_EXHAUSTED,
        "more than 1 event streams at once from mia (limit max-streams-per-caller)");
    assertRefused(
        () -> stub(client("olivia")).streamEvents(history).forEachRemaining(e -> {}),
        Status.Code.RESOURCE_EXHAUSTED,
        "more than 2 event streams at once (limit max-concurrent-streams)");

    // A stream that ends gives its slots back (once the server sees it cancelled).
    mias.cancel(null);
    assertThat(historyOnceFree(mia, history).getFirst().getState().getState()).isEqualTo("queued");
    sams.cancel(null);
    historyOnceFree(sam, history); // and sam's server-side loop has ended
  }

  /** The job's history, once the caller's stream slot is free again. */
  static List<JobEvent> historyOnceFree(GrpcClient c, StreamEventsRequest history)
      throws InterruptedException {
    return TestUtils.waitFor(
        () -> {
          try {
            List<JobEvent> out = new ArrayList<>();
            stub(c).streamEvents(history).forEachRemaining(out::add);
            return out;
          } catch (StatusRuntimeException e) {
            return List.<JobEvent>of();
          }
        },
        l -> !l.isEmpty(),
        Duration.ofSeconds(30),
        "a stream slot back");
  }

  @Test
  void eachCallerHasARateOnTheClock() {
    server.close();
    server = serve(new TrainerLimits(2000, 2, 10_000, 1, 2, 3, 2, 1, 1, 2, 3));
    GrpcClient miasClient = client("mia");
    TrainerServiceBlockingStub mia = stub(miasClient);
    TrainerServiceBlockingStub sam = stub(client("sam"));
    ListJobsRequest list = ListJobsRequest.getDefaultInstance();
    for (int i = 0; i < 3; i++) {
      mia.list(list); // the burst
    }
    assertRefused(
        () -> mia.list(list),
        Status.Code.RESOURCE_EXHAUSTED,
        "more than 2.0 requests per second (burst 3) from mia (limit max-requests-per-second)");
    // Every call counts, submissions and streams too.
    assertRefused(() -> submit(miasClient), Status.Code.RESOURCE_EXHAUSTED, "from mia");
    assertRefused(
        () ->
            mia.streamEvents(StreamEventsRequest.newBuilder().setJobId("x").build())
                .forEachRemaining(e -> {}),
        Status.Code.RESOURCE_EXHAUSTED,
        "from mia");
    sam.list(list); // another caller is not held back

    nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(500)); // one request back
    mia.list(list);
    assertRefused(() -> mia.list(list), Status.Code.RESOURCE_EXHAUSTED, "from mia");
  }
}
