package dev.anvil.judge;

import dev.anvil.judge.internal.Events;
import dev.anvil.judge.internal.FeedbackRows;
import dev.anvil.judge.internal.Ids;
import dev.anvil.judge.internal.JudgmentRows;
import dev.anvil.judge.internal.JudgmentRows.Adjudication;
import dev.anvil.judge.internal.Outbox;
import dev.anvil.judge.internal.QueueOrder;
import dev.anvil.judge.internal.TaskRows;
import dev.anvil.judge.internal.TaskState;
import dev.anvil.judge.spi.Corpus;
import dev.anvil.judge.spi.CorpusChunk;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import dev.anvil.store.Migration;
import dev.anvil.store.Migrations;
import dev.anvil.store.Store;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Judgments: the one entry point of every surface (gRPC, the CLI). Every method takes the verified
 * principal that acts; nothing about who acts is read from a request.
 *
 * <p>A label is decided when it is submitted: the chunk is read as the annotator ({@code read}, by
 * the corpus) and {@code judge} is decided on its tags by the policy in force. A chunk the
 * annotator may not read answers exactly as an absent item does ({@link NotFoundException}). The
 * labels of one item are decided one at a time (its row locked), so no item gets more than its
 * overlap of annotators.
 *
 * <p>Thread-safe.
 */
public final class Judging {
  /** The judgments' tables, as the store migrates them. */
  public static final Migrations MIGRATIONS =
      Migrations.of(
          "judgments",
          Migration.resource(
              1,
              "tasks, items, judgments, adjudications, outbox",
              TaskRows.class,
              "V1__judgments.sql"));

  /** Most items one queue call returns. */
  public static final int MAX_QUEUE = 100;

  private final Store store;
  private final Corpus corpus;
  private final Clock clock;
  private final boolean publish;

  private Judging(Store store, Corpus corpus, Clock clock, boolean publish) {
    this.store = store;
    this.corpus = corpus;
    this.clock = clock;
    this.publish = publish;
  }

  /**
   * Judgments in {@code store} (migrated now) over {@code corpus}.
   *
   * @param publish whether events go to the outbox, for a {@link
   *     dev.anvil.judge.kafka.OutboxPublisher} to send (only when Kafka is configured: else the
   *     outbox would only grow)
   */
  public static Judging open(Store store, Corpus corpus, Clock clock, boolean publish) {
    store.migrate(MIGRATIONS);
    return new Judging(
        Objects.requireNonNull(store, "store"),
        Objects.requireNonNull(corpus, "corpus"),
        Objects.requireNonNull(clock, "clock"),
        publish);
  }

  /** The corpus the judged chunks are read from (for {@link SnapshotExport}). */
  Corpus corpus() {
    return corpus;
  }

  /** The policies in force. */
  public PolicySet policies() {
    return corpus.policies().current();
  }

  /**
   * Creates a task: ranks each query as {@code creator} (so a task holds only what its creator may
   * read) and values every result (see {@link ItemValue}). Needs {@code submit}.
   *
   * @throws DeniedException without {@code submit}
   * @throws ConflictException if the id is taken
   */
  public Task createTask(Principal creator, TaskSpec spec) {
    PolicySet set = policies();
    if (set.decide(creator, Action.SUBMIT) instanceof Decision.Deny d) {
      throw new DeniedException("creating a judging task needs submit: denied by " + d.policy());
    }
    TaskPool pool = TaskPool.rank(corpus, creator, spec, set.version(), now());
    Task task = pool.task();
    tx(
        c -> {
          if (TaskRows.task(c, task.id()).isPresent()) {
            throw new ConflictException("task id '" + task.id() + "' is taken");
          }
          try {
            TaskRows.insert(c, task, pool.items());
          } catch (SQLException e) {
            if (Store.isUniqueViolation(e)) { // another creator took the id meanwhile
              throw new ConflictException("task id '" + task.id() + "' is taken");
            }
            throw e;
          }
          return null;
        });
    return tx(c -> TaskRows.task(c, task.id()).orElseThrow());
  }

  /** A task by id. */
  public Task task(String taskId) {
    return tx(c -> TaskRows.task(c, taskId)).orElseThrow(() -> NotFoundException.task(taskId));
  }

  /**
   * The items {@code annotator} should judge next, at most {@code max} (1 to {@value #MAX_QUEUE}):
   * open items it has not submitted nor discarded, that it may read and judge, the most valuable
   * first and spread over groups of alike chunks.
   */
  public List<Item> queue(Principal annotator, String taskId, int max) {
    checkMax(max);
    TaskState state = state(taskId);
    List<Item> open = new ArrayList<>();
    for (Item item : state.items()) {
      Optional<Judgment> mine = state.of(item.id(), annotator.subject());
      boolean done = mine.isPresent() && mine.get().status() != Status.DRAFT;
      if (!done
          && state.state(item.id()) == ItemState.OPEN
          && state.submitted(item.id()).size() < state.task().overlap()
          && Access.mayJudgeStored(policies(), annotator, item)) {
        open.add(item);
      }
    }
    return Access.liveOnly(corpus, annotator, QueueOrder.select(open, open.size()), max);
  }

  /**
   * The disputed items of a task that {@code adjudicator} may settle: it holds the task's
   * adjudicator role, and may read and judge each.
   *
   * @throws DeniedException without the role
   */
  public List<Item> disputes(Principal adjudicator, String taskId, int max) {
    checkMax(max);
    TaskState state = state(taskId);
    Access.requireRole(adjudicator, state.task());
    List<Item> disputed = new ArrayList<>();
    for (Item item : state.items()) {
      if (state.state(item.id()) == ItemState.DISPUTED
          && Access.mayJudgeStored(policies(), adjudicator, item)) {
        disputed.add(item);
      }
    }
    return Access.liveOnly(corpus, adjudicator, QueueOrder.select(disputed, disputed.size()), max);
  }

  /**
   * An item as {@code who} may see it now.
   *
   * @throws NotFoundException if it does not exist or its chunk is hidden from {@code who}
   * @throws DeniedException if {@code who} may read it but not judge it
   */
  public ItemView item(Principal who, String itemId) {
    LabelRequest.checkItemId(itemId);
    Item item =
        tx(c -> TaskRows.item(c, itemId, false)).orElseThrow(() -> NotFoundException.item(itemId));
    Access.Live live = Access.judgeable(corpus, who, item);
    return tx(
        c -> {
          List<Judgment> all = JudgmentRows.ofItem(c, itemId);
          int overlap = TaskRows.task(c, item.taskId()).orElseThrow().overlap();
          boolean adjudicated = JudgmentRows.adjudication(c, itemId).isPresent();
          return new ItemView(
              item,
              live.chunk().title(),
              live.chunk().text(),
              live.sha256(),
              all.stream().filter(j -> j.annotator().subject().equals(who.subject())).findFirst(),
              TaskState.submitted(all).size(),
              TaskState.state(overlap, all, adjudicated));
        });
  }

  /**
   * Labels an item as {@code annotator}: a draft, or a submission counted for agreement. Labelling
   * again changes the annotator's judgment, until the item is final.
   *
   * @throws NotFoundException if the item does not exist or its chunk is hidden
   * @throws DeniedException if the annotator may read the chunk but not judge it
   * @throws ConflictException if the chunk changed since it was shown, the item is final, or it has
   *     its overlap of other annotators' submissions
   */
  public Judgment label(Principal annotator, LabelRequest request, Source source) {
    Objects.requireNonNull(source, "source");
    Access.checkSubject(annotator);
    Item stored =
        tx(c -> TaskRows.item(c, request.itemId(), false))
            .orElseThrow(() -> NotFoundException.item(request.itemId()));
    Access.Live live = Access.judgeable(corpus, annotator, stored);
    Access.checkSeen(request.seenSha256(), live);
    Instant now = now();
    return tx(
        c -> {
          Item item = TaskRows.item(c, request.itemId(), true).orElseThrow();
          int overlap = TaskRows.task(c, item.taskId()).orElseThrow().overlap();
          List<Judgment> all = JudgmentRows.ofItem(c, item.id());
          boolean adjudicated = JudgmentRows.adjudication(c, item.id()).isPresent();
          if (TaskState.state(overlap, all, adjudicated) == ItemState.FINAL) {
            throw new ConflictException(
                "item '" + item.id() + "' is final: its labels no longer change");
          }
          Optional<Judgment> mine =
              all.stream()
                  .filter(j -> j.annotator().subject().equals(annotator.subject()))
                  .findFirst();
          long others =
              TaskState.submitted(all).stream()
                  .filter(j -> !j.annotator().subject().equals(annotator.subject()))
                  .count();
          if (request.status() == Status.SUBMITTED && others >= overlap) {
            throw new ConflictException(
                "item '" + item.id() + "' has its " + overlap + " annotators already");
          }
          Judgment j =
              JudgmentRows.of(
                  mine.map(Judgment::id).orElseGet(() -> Ids.random("jd-")),
                  item,
                  live.chunk().version(),
                  live.sha256(),
                  request.label(),
                  Annotator.of(annotator),
                  source,
                  request.status(),
                  request.rationale(),
                  live.chunk().tags(),
                  live.permit().policyVersion(),
                  mine.map(Judgment::createdAt).orElse(now),
                  now);
          JudgmentRows.save(c, j, mine.isPresent());
          emit(c, Events.labelled(j));
          return j;
        });
  }

  /** Overlap of the feedback task: how many people's feedback one query and chunk collects. */
  public static final int FEEDBACK_OVERLAP = 10;

  /**
   * Feedback on a chunk {@code who} received for a query, outside any task: read as {@code who}
   * now, decided ({@code read} and {@code judge}) by the policy in force, and recorded through the
   * same labelling as a task's item ({@link #label}), as a submitted judgment of {@code source}.
   * Giving feedback on the same query and chunk again changes it. Items of feedback belong to the
   * reserved task {@value dev.anvil.judge.internal.FeedbackRows#TASK_ID} (overlap {@value
   * #FEEDBACK_OVERLAP}).
   *
   * @throws NotFoundException if the chunk does not exist or {@code who} may not read it (the same
   *     words for both)
   * @throws DeniedException if {@code who} may read it but not judge it
   * @throws ConflictException if the chunk's feedback is final (its overlap of equal labels)
   */
  public Judgment feedback(Principal who, Feedback feedback, Source source) {
    Objects.requireNonNull(feedback, "feedback");
    Objects.requireNonNull(source, "source");
    Access.checkSubject(who);
    String key = CorpusChunk.key(feedback.documentId(), feedback.chunk());
    Supplier<NotFoundException> hidden =
        () -> new NotFoundException("no chunk '" + TaskSpec.clip(key) + "' that you may read");
    CorpusChunk chunk =
        corpus.chunk(who, feedback.documentId(), feedback.chunk()).orElseThrow(hidden);
    PolicySet set = policies();
    Decision d;
    try {
      d = set.decide(who, Action.JUDGE, set.schema().validate(chunk.tags()));
    } catch (dev.anvil.rbac.schema.InvalidTagsException e) {
      throw hidden.get(); // the engine serves no chunk with invalid tags
    }
    if (d instanceof Decision.Deny deny) {
      throw new DeniedException(
          "feedback on '" + TaskSpec.clip(key) + "' is denied by policy " + deny.policy());
    }
    Task task =
        new Task(
            FeedbackRows.TASK_ID,
            "feedback",
            List.of(),
            FEEDBACK_OVERLAP,
            TaskSpec.DEFAULT_ADJUDICATOR,
            "anvil",
            "",
            set.version(),
            0,
            now());
    String itemId;
    try {
      itemId = feedbackItem(task, feedback, chunk);
    } catch (ConflictException e) { // another caller created the same rows meanwhile: theirs
      itemId = feedbackItem(task, feedback, chunk);
    }
    return label(
        who,
        new LabelRequest(itemId, feedback.label(), Status.SUBMITTED, feedback.rationale(), ""),
        source);
  }

  private String feedbackItem(Task task, Feedback f, CorpusChunk chunk) {
    return tx(
        c -> {
          try {
            FeedbackRows.ensureTask(c, task);
            int queryNo = FeedbackRows.queryNo(c, task.id(), f.query());
            Optional<String> id =
                FeedbackRows.itemId(c, task.id(), queryNo, f.documentId(), f.chunk());
            if (id.isPresent()) {
              return id.get();
            }
            String fresh = Ids.random("it-");
            FeedbackRows.insertItem(
                c,
                fresh,
                task,
                queryNo,
                f.documentId(),
                f.chunk(),
                chunk.version(),
                sha256(chunk.text()),
                chunk.tags());
            return fresh;
          } catch (SQLException e) {
            if (Store.isUniqueViolation(e)) {
              throw new ConflictException("feedback rows created meanwhile");
            }
            throw e;
          }
        });
  }

  /**
   * Withdraws {@code annotator}'s own judgment of an item (kept, no longer counted).
   *
   * @throws NotFoundException if the item is absent or hidden, or the annotator has no judgment of
   *     it
   * @throws ConflictException if the item is final
   */
  public Judgment discard(Principal annotator, String itemId) {
    LabelRequest.checkItemId(itemId);
    Item stored =
        tx(c -> TaskRows.item(c, itemId, false)).orElseThrow(() -> NotFoundException.item(itemId));
    Access.judgeable(corpus, annotator, stored);
    return tx(
        c -> {
          Item item = TaskRows.item(c, itemId, true).orElseThrow();
          int overlap = TaskRows.task(c, item.taskId()).orElseThrow().overlap();
          List<Judgment> all = JudgmentRows.ofItem(c, itemId);
          if (TaskState.state(overlap, all, JudgmentRows.adjudication(c, itemId).isPresent())
              == ItemState.FINAL) {
            throw new ConflictException(
                "item '" + itemId + "' is final: its labels no longer change");
          }
          Judgment mine =
              all.stream()
                  .filter(j -> j.annotator().subject().equals(annotator.subject()))
                  .findFirst()
                  .orElseThrow(
                      () ->
                          new NotFoundException("no judgment of yours for item '" + itemId + "'"));
          Judgment d =
              JudgmentRows.of(
                  mine.id(),
                  item,
                  mine.documentVersion(),
                  mine.textSha256(),
                  mine.label(),
                  Annotator.of(annotator),
                  mine.source(),
                  Status.DISCARDED,
                  mine.rationale(),
                  mine.tags(),
                  mine.policyVersion(),
                  mine.createdAt(),
                  now());
          JudgmentRows.save(c, d, true);
          emit(c, Events.labelled(d));
          return d;
        });
  }

  /**
   * Settles a disputed item as {@code adjudicator} (the task's adjudicator role, and read and judge
   * on the chunk); the label becomes final.
   *
   * @throws ConflictException if the item is not disputed (open, or final already)
   */
  public FinalLabel adjudicate(Principal adjudicator, AdjudicateRequest request) {
    Access.checkSubject(adjudicator);
    Item stored =
        tx(c -> TaskRows.item(c, request.itemId(), false))
            .orElseThrow(() -> NotFoundException.item(request.itemId()));
    Access.Live live = Access.judgeable(corpus, adjudicator, stored);
    Task task = task(stored.taskId());
    Access.requireRole(adjudicator, task);
    Access.checkSeen(request.seenSha256(), live);
    Instant now = now();
    return tx(
        c -> {
          Item item = TaskRows.item(c, request.itemId(), true).orElseThrow();
          List<Judgment> all = JudgmentRows.ofItem(c, item.id());
          ItemState st =
              TaskState.state(
                  task.overlap(), all, JudgmentRows.adjudication(c, item.id()).isPresent());
          if (st != ItemState.DISPUTED) {
            throw new ConflictException(
                "item '"
                    + item.id()
                    + "' is not disputed ("
                    + st.name().toLowerCase(java.util.Locale.ROOT)
                    + ")");
          }
          Adjudication a =
              new Adjudication(
                  item.id(),
                  request.label(),
                  Annotator.of(adjudicator),
                  request.rationale(),
                  live.sha256(),
                  live.permit().policyVersion(),
                  now);
          JudgmentRows.insert(c, a);
          FinalLabel f =
              TaskState.finalLabel(item, task.overlap(), all, Optional.of(a)).orElseThrow();
          emit(c, Events.adjudicated(f, adjudicator.subject(), a.policyVersion(), now));
          return f;
        });
  }

  /**
   * A task's agreement, for its creator, its adjudicators and administrators.
   *
   * @throws DeniedException for anyone else
   */
  public AgreementReport agreement(Principal who, String taskId) {
    TaskState state = state(taskId);
    Access.requireOverseer(policies(), who, state.task());
    return state.agreement();
  }

  /**
   * The final labels of a task (agreed or adjudicated) on chunks {@code who} may read: what the
   * next step turns into data sets, deciding {@code train} on each label's tags.
   */
  public List<FinalLabel> finalLabels(Principal who, String taskId) {
    TaskState state = state(taskId);
    PolicySet set = policies();
    List<FinalLabel> out = new ArrayList<>();
    for (Item item : state.items()) {
      state
          .finalLabel(item)
          .filter(f -> Access.permitted(set, who, Action.READ, f.tags()))
          .ifPresent(out::add);
    }
    return out;
  }

  private TaskState state(String taskId) {
    return tx(
        c ->
            TaskState.load(
                c, TaskRows.task(c, taskId).orElseThrow(() -> NotFoundException.task(taskId))));
  }

  private void emit(Connection c, dev.anvil.judge.spi.JudgmentEvents.Event e) throws SQLException {
    if (publish) {
      Outbox.append(c, e);
    }
  }

  private <T> T tx(Store.Work<T> work) {
    return store.transaction(work);
  }

  /** Now, to the microsecond: what both databases keep, so what is returned is what is stored. */
  Instant now() {
    return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
  }

  private static void checkMax(int max) {
    if (max < 1 || max > MAX_QUEUE) {
      throw new InvalidJudgmentException("max", "expected 1 to " + MAX_QUEUE + ", was " + max);
    }
  }

  /** SHA-256 (hex) of a chunk's text in UTF-8: what a judgment names as the text judged. */
  public static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
