package dev.anvil.context.grpc;

import dev.anvil.context.grpc.v1.AdjudicateRequest;
import dev.anvil.context.grpc.v1.Agreement;
import dev.anvil.context.grpc.v1.CreateTaskRequest;
import dev.anvil.context.grpc.v1.DiscardRequest;
import dev.anvil.context.grpc.v1.FinalLabel;
import dev.anvil.context.grpc.v1.GetAgreementRequest;
import dev.anvil.context.grpc.v1.GetItemRequest;
import dev.anvil.context.grpc.v1.GetQueueRequest;
import dev.anvil.context.grpc.v1.ItemView;
import dev.anvil.context.grpc.v1.Judgment;
import dev.anvil.context.grpc.v1.JudgmentServiceGrpc;
import dev.anvil.context.grpc.v1.LabelRequest;
import dev.anvil.context.grpc.v1.Queue;
import dev.anvil.context.grpc.v1.Task;
import dev.anvil.identity.Identity;
import dev.anvil.judge.Item;
import dev.anvil.judge.Judging;
import dev.anvil.judge.Source;
import dev.anvil.judge.Status;
import dev.anvil.judge.TaskSpec;
import dev.anvil.rbac.Principal;
import dev.anvil.rpc.AuthInterceptor;
import dev.anvil.rpc.ConcurrencyLimit;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.function.Function;

/**
 * The {@code anvil.context.v1.JudgmentService}: each call authenticated by the same interceptor,
 * held to the same per-caller rate, and audited in the same log as the engine's own calls (action
 * {@code judge_*}, the item's document on success). Who acts is the verified caller; a person's
 * label is always of source {@code expert}.
 */
public final class JudgmentGrpcService extends JudgmentServiceGrpc.JudgmentServiceImplBase {
  private static final int DEFAULT_QUEUE = 10;

  private final Judging judging;
  private final CallAudit calls;
  private final Admission admission;

  JudgmentGrpcService(Judging judging, CallAudit calls, Admission admission) {
    this.judging = judging;
    this.calls = calls;
    this.admission = admission;
  }

  /** Runs one call as the verified caller: rate, work, audit; a failure audited and answered. */
  private <T> void call(
      String action,
      StreamObserver<T> out,
      Function<Principal, T> work,
      Function<T, List<String>> documents,
      Function<T, String> digest) {
    Identity who = AuthInterceptor.IDENTITY.get();
    try {
      admission.rate(who.principal().subject());
      T result = work.apply(who.principal());
      calls.record(
          who,
          action,
          digest.apply(result),
          documents.apply(result),
          judging.policies().version(),
          "OK");
      out.onNext(result);
      out.onCompleted();
    } catch (RuntimeException e) {
      calls.fail(out, who, action, "", List.of(), e);
    }
  }

  @Override
  public void createTask(CreateTaskRequest r, StreamObserver<Task> out) {
    call(
        "judge_create_task",
        out,
        p -> {
          TaskSpec spec =
              new TaskSpec(
                  r.getId(),
                  r.getName(),
                  r.getQueriesList(),
                  r.getOverlap() == 0 ? TaskSpec.DEFAULT_OVERLAP : r.getOverlap(),
                  r.getDepth() == 0 ? TaskSpec.DEFAULT_DEPTH : r.getDepth(),
                  r.getAdjudicatorRole());
          // Ranking every query is a search each: it takes a search slot like one.
          try (ConcurrencyLimit.Slot slot = admission.search()) {
            return JudgmentProtos.task(judging.createTask(p, spec));
          }
        },
        t -> List.of(),
        t -> "");
  }

  @Override
  public void getQueue(GetQueueRequest r, StreamObserver<Queue> out) {
    call(
        "judge_queue",
        out,
        p -> queue(judging.queue(p, r.getTaskId(), max(r))),
        JudgmentGrpcService::documents,
        q -> "");
  }

  @Override
  public void getDisputes(GetQueueRequest r, StreamObserver<Queue> out) {
    call(
        "judge_disputes",
        out,
        p -> queue(judging.disputes(p, r.getTaskId(), max(r))),
        JudgmentGrpcService::documents,
        q -> "");
  }

  @Override
  public void getItem(GetItemRequest r, StreamObserver<ItemView> out) {
    call(
        "judge_get_item",
        out,
        p -> JudgmentProtos.view(judging.item(p, r.getItemId())),
        v -> List.of(v.getItem().getDocumentId()),
        v -> CallAudit.digest(v.getItem().getQuery()));
  }

  @Override
  public void label(LabelRequest r, StreamObserver<Judgment> out) {
    call(
        "judge_label",
        out,
        p ->
            JudgmentProtos.judgment(
                judging.label(
                    p,
                    new dev.anvil.judge.LabelRequest(
                        r.getItemId(),
                        r.getLabel(),
                        r.getDraft() ? Status.DRAFT : Status.SUBMITTED,
                        r.getRationale(),
                        r.getSeenSha256()),
                    Source.EXPERT)),
        j -> List.of(j.getDocumentId()),
        j -> CallAudit.digest(j.getQuery()));
  }

  @Override
  public void discard(DiscardRequest r, StreamObserver<Judgment> out) {
    call(
        "judge_discard",
        out,
        p -> JudgmentProtos.judgment(judging.discard(p, r.getItemId())),
        j -> List.of(j.getDocumentId()),
        j -> CallAudit.digest(j.getQuery()));
  }

  @Override
  public void adjudicate(AdjudicateRequest r, StreamObserver<FinalLabel> out) {
    call(
        "judge_adjudicate",
        out,
        p ->
            JudgmentProtos.finalLabel(
                judging.adjudicate(
                    p,
                    new dev.anvil.judge.AdjudicateRequest(
                        r.getItemId(), r.getLabel(), r.getRationale(), r.getSeenSha256()))),
        f -> List.of(f.getDocumentId()),
        f -> CallAudit.digest(f.getQuery()));
  }

  @Override
  public void getAgreement(GetAgreementRequest r, StreamObserver<Agreement> out) {
    call(
        "judge_agreement",
        out,
        p -> JudgmentProtos.agreement(judging.agreement(p, r.getTaskId())),
        a -> List.of(),
        a -> "");
  }

  private static int max(GetQueueRequest r) {
    return r.getMax() == 0 ? DEFAULT_QUEUE : r.getMax();
  }

  private static Queue queue(List<Item> items) {
    return Queue.newBuilder()
        .addAllItems(items.stream().map(JudgmentProtos::item).toList())
        .build();
  }

  /** The documents a queue names, for the audit. */
  private static List<String> documents(Queue q) {
    return q.getItemsList().stream()
        .map(dev.anvil.context.grpc.v1.Item::getDocumentId)
        .distinct()
        .toList();
  }
}
