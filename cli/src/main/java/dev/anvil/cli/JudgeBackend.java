package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.ContextClient;
import dev.anvil.context.grpc.JudgmentProtos;
import dev.anvil.context.grpc.v1.AdjudicateRequest;
import dev.anvil.context.grpc.v1.Agreement;
import dev.anvil.context.grpc.v1.CreateTaskRequest;
import dev.anvil.context.grpc.v1.FinalLabel;
import dev.anvil.context.grpc.v1.GetAgreementRequest;
import dev.anvil.context.grpc.v1.GetItemRequest;
import dev.anvil.context.grpc.v1.GetQueueRequest;
import dev.anvil.context.grpc.v1.Item;
import dev.anvil.context.grpc.v1.ItemView;
import dev.anvil.context.grpc.v1.Judgment;
import dev.anvil.context.grpc.v1.LabelRequest;
import dev.anvil.context.judging.EngineCorpus;
import dev.anvil.judge.Judging;
import dev.anvil.judge.SnapshotExport;
import dev.anvil.judge.Source;
import dev.anvil.judge.Status;
import dev.anvil.judge.TaskSpec;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.store.Store;
import java.time.Clock;
import java.util.List;

/**
 * Where {@code anvil judge} sends its requests: a server's JudgmentService, or (without {@code
 * --server}) the local index and store, as the named principal. Both speak judgments.proto, so the
 * output is the same.
 */
interface JudgeBackend extends AutoCloseable {
  dev.anvil.context.grpc.v1.Task createTask(CreateTaskRequest r);

  List<Item> queue(GetQueueRequest r);

  List<Item> disputes(GetQueueRequest r);

  ItemView item(String itemId);

  Judgment label(LabelRequest r);

  FinalLabel adjudicate(AdjudicateRequest r);

  Agreement agreement(String taskId);

  /**
   * A snapshot of a task's final labels (local only: the server has no export call yet).
   *
   * @throws RbacException over {@code --server}
   */
  default SnapshotExport.Result snapshot(String taskId) {
    throw new RbacException(
        "anvil judge snapshot reads the store itself: run it without --server, with the server's"
            + " --data-dir or --store-url");
  }

  @Override
  void close();

  /** A server's JudgmentService. */
  static JudgeBackend remote(ContextClient c) {
    return new JudgeBackend() {
      @Override
      public dev.anvil.context.grpc.v1.Task createTask(CreateTaskRequest r) {
        return c.judgments().createTask(r);
      }

      @Override
      public List<Item> queue(GetQueueRequest r) {
        return c.judgments().getQueue(r).getItemsList();
      }

      @Override
      public List<Item> disputes(GetQueueRequest r) {
        return c.judgments().getDisputes(r).getItemsList();
      }

      @Override
      public ItemView item(String itemId) {
        return c.judgments().getItem(GetItemRequest.newBuilder().setItemId(itemId).build());
      }

      @Override
      public Judgment label(LabelRequest r) {
        return c.judgments().label(r);
      }

      @Override
      public FinalLabel adjudicate(AdjudicateRequest r) {
        return c.judgments().adjudicate(r);
      }

      @Override
      public Agreement agreement(String taskId) {
        return c.judgments()
            .getAgreement(GetAgreementRequest.newBuilder().setTaskId(taskId).build());
      }

      @Override
      public void close() {
        c.close();
      }
    };
  }

  /** The local index and store, acting as {@code who}. */
  static JudgeBackend local(
      Principal who, OnnxEmbedder embedder, ContextEngine engine, Store store) {
    Judging j = Judging.open(store, new EngineCorpus(engine), Clock.systemUTC(), false);
    return new JudgeBackend() {
      @Override
      public dev.anvil.context.grpc.v1.Task createTask(CreateTaskRequest r) {
        return JudgmentProtos.task(
            j.createTask(
                who,
                new TaskSpec(
                    r.getId(),
                    r.getName(),
                    r.getQueriesList(),
                    r.getOverlap(),
                    r.getDepth(),
                    r.getAdjudicatorRole())));
      }

      @Override
      public List<Item> queue(GetQueueRequest r) {
        return j.queue(who, r.getTaskId(), r.getMax()).stream().map(JudgmentProtos::item).toList();
      }

      @Override
      public List<Item> disputes(GetQueueRequest r) {
        return j.disputes(who, r.getTaskId(), r.getMax()).stream()
            .map(JudgmentProtos::item)
            .toList();
      }

      @Override
      public ItemView item(String itemId) {
        return JudgmentProtos.view(j.item(who, itemId));
      }

      @Override
      public Judgment label(LabelRequest r) {
        return JudgmentProtos.judgment(
            j.label(
                who,
                new dev.anvil.judge.LabelRequest(
                    r.getItemId(),
                    r.getLabel(),
                    r.getDraft() ? Status.DRAFT : Status.SUBMITTED,
                    r.getRationale(),
                    r.getSeenSha256()),
                Source.EXPERT));
      }

      @Override
      public FinalLabel adjudicate(AdjudicateRequest r) {
        return JudgmentProtos.finalLabel(
            j.adjudicate(
                who,
                new dev.anvil.judge.AdjudicateRequest(
                    r.getItemId(), r.getLabel(), r.getRationale(), r.getSeenSha256())));
      }

      @Override
      public Agreement agreement(String taskId) {
        return JudgmentProtos.agreement(j.agreement(who, taskId));
      }

      @Override
      public SnapshotExport.Result snapshot(String taskId) {
        return SnapshotExport.export(j, who, taskId, store.toString());
      }

      @Override
      public void close() {
        store.close();
        engine.close();
        embedder.close();
      }
    };
  }
}
