package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.ContextClient;
import dev.anvil.context.grpc.v1.AdjudicateRequest;
import dev.anvil.context.grpc.v1.Agreement;
import dev.anvil.context.grpc.v1.CreateTaskRequest;
import dev.anvil.context.grpc.v1.FinalLabel;
import dev.anvil.context.grpc.v1.GetQueueRequest;
import dev.anvil.context.grpc.v1.Item;
import dev.anvil.context.grpc.v1.ItemView;
import dev.anvil.context.grpc.v1.Judgment;
import dev.anvil.context.grpc.v1.LabelRequest;
import dev.anvil.context.grpc.v1.PairAgreement;
import dev.anvil.rbac.input.RbacException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code anvil judge}: experts judge what the engine returns (docs/judgments.md), against a server
 * ({@code --server}) or the local index and store, always as the named principal.
 */
@Command(
    name = "judge",
    description =
        "Judge search results: tasks, your queue, labels, disputes, agreement, snapshots.",
    mixinStandardHelpOptions = true,
    subcommands = {
      JudgeCommand.CreateTask.class,
      JudgeCommand.Queue.class,
      JudgeCommand.Show.class,
      JudgeCommand.Label.class,
      JudgeCommand.Disputes.class,
      JudgeCommand.Adjudicate.class,
      JudgeCommand.AgreementCommand.class,
      JudgeSnapshotCommand.class
    })
final class JudgeCommand {

  /** Who asks, and where: a server, or the local index and store. */
  static final class Target {
    @Mixin PolicyCommand.PackOption pack;
    @Mixin EngineOptions engine;
    @Mixin PolicyCommand.PrincipalOptions principal;
    @Mixin ClientTlsOptions tls;
    @Mixin StoreOptions store;

    @Option(
        names = "--server",
        paramLabel = "HOST:PORT",
        description = "Ask a running anvil serve instead of the local index and store.")
    String server;

    <T> T run(Function<JudgeBackend, T> call) {
      try (JudgeBackend b = open()) {
        return call.apply(b);
      }
    }

    private JudgeBackend open() {
      if (server != null) {
        HostPort hp = HostPort.parse("--server", server);
        String token = principal.bearer(pack.pack());
        return JudgeBackend.remote(
            ContextClient.connect(
                hp.host(), hp.port(), tls.transport(hp), () -> token, Duration.ofSeconds(60)));
      }
      var who = principal.resolve(pack.pack());
      OnnxEmbedder embedder = engine.embedder();
      ContextEngine opened = null;
      try {
        opened = engine.open(pack, embedder);
        return JudgeBackend.local(who, embedder, opened, store.open());
      } catch (RuntimeException e) {
        if (opened != null) {
          opened.close();
        }
        embedder.close();
        throw e;
      }
    }

    PrintWriter out() {
      return pack.out();
    }
  }

  @Command(
      name = "task",
      description = "Create a task: rank each query as you (submit needed) and queue the results.",
      mixinStandardHelpOptions = true)
  static final class CreateTask implements Callable<Integer> {
    @Mixin Target target;

    @Parameters(paramLabel = "ID", description = "The task's id (a-z, 0-9, '-').")
    String id;

    @Option(names = "--query", paramLabel = "TEXT", description = "A query (repeatable).")
    List<String> queries = new ArrayList<>();

    @Option(
        names = "--queries",
        paramLabel = "FILE",
        description = "A file of queries, one a line.")
    Path file;

    @Option(
        names = "--overlap",
        defaultValue = "3",
        description = "Annotators per item (default: ${DEFAULT-VALUE}).")
    int overlap;

    @Option(
        names = "--depth",
        defaultValue = "10",
        description = "Results per retriever (default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(
        names = "--adjudicator-role",
        defaultValue = "adjudicator",
        description = "The role that settles disagreements (default: ${DEFAULT-VALUE}).")
    String adjudicatorRole;

    @Override
    public Integer call() {
      List<String> all = new ArrayList<>(queries);
      if (file != null) {
        try {
          Files.readAllLines(file).stream()
              .map(String::strip)
              .filter(l -> !l.isEmpty())
              .forEach(all::add);
        } catch (IOException e) {
          throw new RbacException("--queries: cannot read " + file + ": " + e);
        }
      }
      var t =
          target.run(
              b ->
                  b.createTask(
                      CreateTaskRequest.newBuilder()
                          .setId(id)
                          .addAllQueries(all)
                          .setOverlap(overlap)
                          .setDepth(depth)
                          .setAdjudicatorRole(adjudicatorRole)
                          .build()));
      target
          .out()
          .printf(
              "task %s: %d items from %d queries (overlap %d, adjudicator role '%s', model %s, policy %s)%n",
              t.getId(),
              t.getItems(),
              t.getQueriesCount(),
              t.getOverlap(),
              t.getAdjudicatorRole(),
              t.getModelId(),
              t.getPolicyVersion());
      return 0;
    }
  }

  @Command(
      name = "queue",
      description = "Your next items to judge, most valuable first.",
      mixinStandardHelpOptions = true)
  static final class Queue implements Callable<Integer> {
    @Mixin Target target;

    @Parameters(paramLabel = "TASK")
    String task;

    @Option(
        names = "--max",
        defaultValue = "10",
        description = "At most this many (default: ${DEFAULT-VALUE}).")
    int max;

    @Override
    public Integer call() {
      items(target.out(), target.run(b -> b.queue(request(task, max))));
      return 0;
    }
  }

  @Command(
      name = "disputes",
      description = "Items whose labels disagree (adjudicators).",
      mixinStandardHelpOptions = true)
  static final class Disputes implements Callable<Integer> {
    @Mixin Target target;

    @Parameters(paramLabel = "TASK")
    String task;

    @Option(
        names = "--max",
        defaultValue = "10",
        description = "At most this many (default: ${DEFAULT-VALUE}).")
    int max;

    @Override
    public Integer call() {
      items(target.out(), target.run(b -> b.disputes(request(task, max))));
      return 0;
    }
  }

  @Command(
      name = "show",
      description = "An item with its chunk's text, as you may read it.",
      mixinStandardHelpOptions = true)
  static final class Show implements Callable<Integer> {
    @Mixin Target target;

    @Parameters(paramLabel = "ITEM")
    String item;

    @Override
    public Integer call() {
      ItemView v = target.run(b -> b.item(item));
      PrintWriter out = target.out();
      Item i = v.getItem();
      out.printf(
          "item:     %s (task %s, %s, %d submitted)%n",
          i.getId(), i.getTaskId(), v.getState(), v.getSubmitted());
      out.printf("query:    %s%n", i.getQuery());
      out.printf(
          "document: %s#%d version %d, rank %d %s%n",
          i.getDocumentId(), i.getChunk(), i.getDocumentVersion(), i.getRank(), i.getRanksMap());
      out.printf("title:    %s%n", v.getTitle());
      out.printf("text:     %s%n", v.getText());
      out.printf("sha256:   %s%n", v.getTextSha256());
      if (v.hasMine()) {
        out.printf(
            "yours:    %d (%s) %s%n",
            v.getMine().getLabel(), v.getMine().getStatus(), v.getMine().getRationale());
      }
      return 0;
    }
  }

  @Command(
      name = "label",
      description = "Label an item: 0 irrelevant, 1 related, 2 relevant, 3 perfectly relevant.",
      mixinStandardHelpOptions = true)
  static final class Label implements Callable<Integer> {
    @Mixin Target target;

    @Parameters(index = "0", paramLabel = "ITEM")
    String item;

    @Parameters(index = "1", paramLabel = "LABEL")
    int label;

    @Option(
        names = "--rationale",
        paramLabel = "TEXT",
        description = "Why (at most 2000 characters).")
    String rationale = "";

    @Option(names = "--draft", description = "Save without submitting.")
    boolean draft;

    @Option(
        names = "--seen",
        paramLabel = "SHA256",
        description = "The sha256 'show' printed: refused if the chunk changed since.")
    String seen = "";

    @Override
    public Integer call() {
      Judgment j =
          target.run(
              b ->
                  b.label(
                      LabelRequest.newBuilder()
                          .setItemId(item)
                          .setLabel(label)
                          .setDraft(draft)
                          .setRationale(rationale)
                          .setSeenSha256(seen)
                          .build()));
      target
          .out()
          .printf(
              "labelled %s %d (%s) as %s: %s#%d version %d, sha256 %s, policy %s%n",
              j.getItemId(),
              j.getLabel(),
              j.getStatus(),
              j.getAnnotator(),
              j.getDocumentId(),
              j.getChunk(),
              j.getDocumentVersion(),
              j.getTextSha256(),
              j.getPolicyVersion());
      return 0;
    }
  }

  @Command(
      name = "adjudicate",
      description = "Settle a disputed item; its label becomes final.",
      mixinStandardHelpOptions = true)
  static final class Adjudicate implements Callable<Integer> {
    @Mixin Target target;

    @Parameters(index = "0", paramLabel = "ITEM")
    String item;

    @Parameters(index = "1", paramLabel = "LABEL")
    int label;

    @Option(names = "--rationale", paramLabel = "TEXT", description = "Why.")
    String rationale = "";

    @Override
    public Integer call() {
      FinalLabel f =
          target.run(
              b ->
                  b.adjudicate(
                      AdjudicateRequest.newBuilder()
                          .setItemId(item)
                          .setLabel(label)
                          .setRationale(rationale)
                          .build()));
      target
          .out()
          .printf(
              "final %s %d (%s) by %s%n",
              f.getItemId(), f.getLabel(), f.getBasis(), String.join(", ", f.getAnnotatorsList()));
      return 0;
    }
  }

  @Command(
      name = "agreement",
      description = "Cohen's kappa per annotator pair, Fleiss' kappa for the task.",
      mixinStandardHelpOptions = true)
  static final class AgreementCommand implements Callable<Integer> {
    @Mixin Target target;

    @Parameters(paramLabel = "TASK")
    String task;

    @Override
    public Integer call() {
      Agreement a = target.run(b -> b.agreement(task));
      PrintWriter out = target.out();
      out.printf(
          "task %s: %d items, %d complete (overlap %d), %d agreed, %d disputed, %d adjudicated; Fleiss' kappa %s%n",
          a.getTaskId(),
          a.getItems(),
          a.getComplete(),
          a.getOverlap(),
          a.getAgreed(),
          a.getDisputed(),
          a.getAdjudicated(),
          a.hasFleiss() ? kappa(a.getFleiss()) : "undefined");
      for (PairAgreement p : a.getPairsList()) {
        out.printf(
            "  %s and %s: %d items, Cohen's kappa %s%n",
            p.getA(), p.getB(), p.getItems(), p.hasCohen() ? kappa(p.getCohen()) : "undefined");
      }
      return 0;
    }
  }

  private static String kappa(double k) {
    return String.format(Locale.ROOT, "%.3f", k);
  }

  private static GetQueueRequest request(String task, int max) {
    return GetQueueRequest.newBuilder().setTaskId(task).setMax(max).build();
  }

  private static void items(PrintWriter out, List<Item> items) {
    if (items.isEmpty()) {
      out.println("   (nothing for you to judge)");
    }
    for (Item i : items) {
      out.printf(
          Locale.ROOT,
          "%s  value %.2f  %s#%d  rank %d %s  %s%n",
          i.getId(),
          i.getValue(),
          i.getDocumentId(),
          i.getChunk(),
          i.getRank(),
          i.getRanksMap(),
          Output.abbreviate(i.getQuery(), 60));
    }
  }
}
