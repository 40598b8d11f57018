package dev.anvil.context.ingest;

import dev.anvil.context.api.Change;
import dev.anvil.context.api.DeleteOutcome;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.api.InvalidDocumentException;
import dev.anvil.context.api.InvalidRequestException;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.index.ChunkRecord;
import dev.anvil.context.search.Narrowing;
import dev.anvil.context.serving.SearchesFirst;
import dev.anvil.context.serving.ServingIndexes;
import dev.anvil.context.serving.Slot;
import dev.anvil.context.telemetry.Telemetry;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.InvalidTagsException;
import io.opentelemetry.api.trace.Span;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every write to the indexes: validates a document (fields, tags against the schema), decides it
 * with the policy in force, cuts it into chunks, embeds them with each slot's model, and writes
 * them to both slots; deletes by id or by tag query, each decided per document.
 *
 * <p>Writes hold the serving indexes' write lock, so a model switch never falls between the two
 * slots' copies of one change. Thread-safe.
 */
public final class IngestPipeline {
  /** Most tokens repeated from the end of one chunk at the start of the next. */
  static final int CHUNK_OVERLAP_TOKENS = 24;

  /** Tokens of a chunk reserved for the title, which is embedded with every chunk. */
  static final int TITLE_TOKENS = 24;

  private final PolicyStore policies;
  private final ServingIndexes indexes;
  private final Embedder base;
  private final Chunker chunker;
  private final SearchesFirst first;
  private final Telemetry telemetry;

  /**
   * @param base the model whose tokenizer cuts chunks (every model switched to must share it)
   * @param first what makes ingest's embedding wait for running searches
   */
  public IngestPipeline(
      PolicyStore policies,
      ServingIndexes indexes,
      Embedder base,
      SearchesFirst first,
      Telemetry telemetry) {
    this.policies = policies;
    this.indexes = indexes;
    this.base = base;
    this.first = first;
    this.chunker = chunker(base);
    this.telemetry = telemetry;
  }

  /** How an engine opened with {@code base} cuts chunks, as recorded with its indexes. */
  public static String chunking(Embedder base) {
    return chunker(base).settings() + " title=" + TITLE_TOKENS;
  }

  private static Chunker chunker(Embedder base) {
    int budget = Math.max(16, base.maxTokens() - 2 - TITLE_TOKENS); // 2: [CLS] and [SEP]
    return new Chunker(base::countTokens, budget, Math.min(CHUNK_OVERLAP_TOKENS, budget / 4));
  }

  /** Accepted upserts not yet written, embedded together. */
  private record Accepted(int slot, Document doc, DocTags tags) {}

  /**
   * Applies changes with the same outcomes as one by one, in order; visible to searches at once,
   * durable at the next commit. Each group of writes is recorded with {@code audit} before it is
   * made, and the refusals after; if a record fails, the writes after it are not made.
   */
  public List<IngestOutcome> apply(List<Change> changes, WriteAudit audit) {
    return indexes.underWriteLock(() -> applyLocked(changes, audit));
  }

  private List<IngestOutcome> applyLocked(List<Change> changes, WriteAudit audit) {
    PolicySet set = policies.current();
    Span.current().setAttribute(Telemetry.DOCUMENTS, changes.size());
    Span.current().setAttribute(Telemetry.POLICY_VERSION, set.version());
    IngestOutcome[] outcomes = new IngestOutcome[changes.size()];
    List<Accepted> pending = new ArrayList<>();
    // Ids pending or written since the last refresh: a later change of one of them must see the
    // earlier one, so the pending ones are written and the searcher refreshed first.
    Set<String> unseen = new HashSet<>();
    boolean wrote = false;
    for (int i = 0; i < changes.size(); i++) {
      Change change = changes.get(i);
      if (unseen.contains(change.id())) {
        wrote |= write(pending, outcomes, set, audit);
        pending.clear();
        indexes.refresh();
        unseen.clear();
      }
      switch (change) {
        case Change.Upsert u -> {
          outcomes[i] = admit(set, u.principal(), u.document(), i, pending);
          if (outcomes[i] == null) {
            unseen.add(u.id());
          }
        }
        case Change.Delete d -> {
          outcomes[i] = remove(set, d, audit);
          wrote |= outcomes[i] instanceof IngestOutcome.Deleted;
          unseen.add(d.id());
        }
      }
    }
    wrote |= write(pending, outcomes, set, audit);
    if (wrote) {
      indexes.refresh(); // the next change or request sees these
    }
    List<IngestOutcome> result = List.of(outcomes);
    auditRefusals(result, set.version(), audit);
    for (Class<?> kind : IngestOutcome.class.getPermittedSubclasses()) {
      telemetry.ingested(
          kind.getSimpleName().toLowerCase(Locale.ROOT),
          result.stream().filter(kind::isInstance).count());
    }
    return result;
  }

  /** The refused changes of a batch, recorded by kind of refusal. */
  private static void auditRefusals(
      List<IngestOutcome> outcomes, String version, WriteAudit audit) {
    Map<String, List<String>> refused = new java.util.TreeMap<>();
    for (IngestOutcome o : outcomes) {
      String status =
          switch (o) {
            case IngestOutcome.Denied d -> "PERMISSION_DENIED";
            case IngestOutcome.Rejected r -> "INVALID_ARGUMENT";
            case IngestOutcome.Conflict c -> "ALREADY_EXISTS";
            default -> null;
          };
      if (status != null) {
        refused.computeIfAbsent(status, k -> new ArrayList<>()).add(o.id());
      }
    }
    refused.forEach((status, ids) -> audit.record("ingest", ids, version, status));
  }

  /**
   * Chunks, embeds (in one batch per slot) and writes accepted upserts, once {@code audit} has
   * recorded them; true if any were.
   */
  private boolean write(
      List<Accepted> accepted, IngestOutcome[] outcomes, PolicySet set, WriteAudit audit) {
    if (accepted.isEmpty()) {
      return false;
    }
    audit.record("ingest", accepted.stream().map(a -> a.doc().id()).toList(), set.version(), "OK");
    List<List<String>> chunks = new ArrayList<>();
    List<int[]> tokens = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (Accepted a : accepted) {
      List<String> c = chunker.chunk(a.doc().body());
      chunks.add(c);
      tokens.add(c.stream().mapToInt(base::countTokens).toArray());
      for (String chunk : c) {
        texts.add(ChunkRecord.embeddedText(a.doc().title(), chunk));
      }
      outcomes[a.slot()] = new IngestOutcome.Indexed(a.doc().id(), a.doc().version(), c.size());
    }
    Span.current().setAttribute(Telemetry.CHUNKS, texts.size());
    List<Slot> slots = indexes.slots();
    for (Slot slot : slots) { // each index with vectors of its own model
      float[][] vectors =
          telemetry.span("anvil.embed", () -> first.embedDocuments(slot.embedder(), texts));
      // What a kept rollback costs shows: its chunks are counted apart from the serving ones.
      telemetry.embedded(
          slot == slots.getFirst()
              ? "serving"
              : indexes.previousModelId().isPresent() ? "rollback" : "building",
          texts.size());
      int v = 0;
      for (int i = 0; i < accepted.size(); i++) {
        int n = chunks.get(i).size();
        slot.index()
            .upsert(
                accepted.get(i).doc(),
                accepted.get(i).tags(),
                chunks.get(i),
                tokens.get(i),
                Arrays.copyOfRange(vectors, v, v + n));
        v += n;
      }
    }
    return true;
  }

  /**
   * Returns a refusal, or null after adding the document to {@code pending}. Every write rule of an
   * upsert is here: a valid document the writer may ingest; and over an id already indexed, a
   * replacement, which is deleting the indexed version and ingesting the new one, so the writer
   * must also be able to read the indexed version (a writer learns nothing of a document it may not
   * read: that one is a {@link IngestOutcome.Conflict}, whatever it holds and whatever version was
   * sent) and to delete it.
   */
  private IngestOutcome admit(
      PolicySet set, Principal principal, Document doc, int slot, List<Accepted> pending) {
    try {
      doc.check();
    } catch (InvalidDocumentException e) {
      return new IngestOutcome.Rejected(doc.id(), e.field(), e.getMessage());
    }
    DocTags valid;
    try {
      valid = set.schema().validate(doc.tags());
    } catch (InvalidTagsException e) {
      String field = "tags." + e.problems().getFirst().tag();
      return new IngestOutcome.Rejected(doc.id(), field, e.getMessage());
    }
    Optional<String> idProblem = set.schema().idProblem(doc.id(), valid);
    if (idProblem.isPresent()) {
      return new IngestOutcome.Rejected(doc.id(), "id", idProblem.get());
    }
    if (set.decide(principal, Action.INGEST, valid) instanceof Decision.Deny d) {
      return new IngestOutcome.Denied(doc.id(), d.policy());
    }
    Optional<ChunkRecord> indexed = indexes.serving().index().firstChunk(doc.id(), set.schema());
    if (indexed.isPresent()) {
      Optional<DocTags> old = readable(set, principal, indexed.get());
      if (old.isEmpty()) {
        return new IngestOutcome.Conflict(doc.id());
      }
      if (set.decide(principal, Action.DELETE, old.get()) instanceof Decision.Deny d) {
        return new IngestOutcome.Denied(doc.id(), d.policy());
      }
      if (indexed.get().version() >= doc.version()) {
        return new IngestOutcome.Ignored(doc.id(), doc.version(), indexed.get().version());
      }
    }
    pending.add(new Accepted(slot, doc, valid));
    return null;
  }

  /**
   * The indexed document's tags, if {@code principal} may read it; empty when it may not, or when
   * the tags no longer fit the schema (no one can be shown to read it then).
   */
  private static Optional<DocTags> readable(PolicySet set, Principal principal, ChunkRecord c) {
    try {
      DocTags tags = set.schema().validate(c.rawTags());
      return set.decide(principal, Action.READ, tags).permitted()
          ? Optional.of(tags)
          : Optional.empty();
    } catch (InvalidTagsException e) {
      return Optional.empty();
    }
  }

  /**
   * Deletes a document for a stream: absent is fine, and a document the writer may not read is
   * absent to it (nothing is deleted, nothing is said); one it may read but not delete is refused.
   */
  private IngestOutcome remove(PolicySet set, Change.Delete d, WriteAudit audit) {
    Optional<ChunkRecord> doc = indexes.serving().index().firstChunk(d.id(), set.schema());
    Optional<DocTags> tags = doc.flatMap(c -> readable(set, d.principal(), c));
    if (tags.isEmpty()) {
      audit.record("delete", List.of(d.id()), set.version(), "NOT_FOUND"); // the log may know
      return new IngestOutcome.Deleted(d.id());
    }
    if (set.decide(d.principal(), Action.DELETE, tags.get()) instanceof Decision.Deny deny) {
      return new IngestOutcome.Denied(d.id(), deny.policy());
    }
    audit.record("delete", List.of(d.id()), set.version(), "OK");
    for (Slot slot : indexes.slots()) {
      slot.index().delete(d.id());
    }
    return new IngestOutcome.Deleted(d.id());
  }

  /**
   * Deletes a document as {@code principal}, who needs the {@code delete} permission on it; one the
   * principal may not read is not found, whether it exists or not. Recorded with {@code audit}
   * before it is made.
   */
  public DeleteOutcome delete(Principal principal, String id, WriteAudit audit) {
    PolicySet set = policies.current();
    Optional<DocTags> tags =
        indexes
            .serving()
            .index()
            .firstChunk(id, set.schema())
            .flatMap(c -> readable(set, principal, c));
    if (tags.isEmpty()) {
      audit.record("delete", List.of(id), set.version(), "NOT_FOUND");
      return new DeleteOutcome.NotFound(set.version());
    }
    if (set.decide(principal, Action.DELETE, tags.get()) instanceof Decision.Deny d) {
      audit.record("delete", List.of(id), set.version(), "PERMISSION_DENIED");
      return new DeleteOutcome.Denied(d.policy(), set.version());
    }
    audit.record("delete", List.of(id), set.version(), "OK");
    indexes.underWriteLock(
        () -> {
          for (Slot slot : indexes.slots()) {
            slot.index().delete(id);
            slot.index().commit();
          }
          return null;
        });
    return new DeleteOutcome.Deleted(set.version());
  }

  /**
   * Deletes every document that matches a tag query and that {@code principal} may delete (the
   * compiled {@code delete} filter is part of the query), once {@code audit} has recorded their
   * ids; returns how many were deleted.
   */
  public long deleteWhere(Principal principal, Map<String, List<String>> tags, WriteAudit audit) {
    if (tags.isEmpty()) {
      throw new InvalidRequestException(
          "filter", "expected at least one tag; an empty query would match everything");
    }
    PolicySet set = policies.current();
    Filter allowed =
        Filter.and(
            set.compile(principal, Action.DELETE).filter(), Narrowing.filter(set.schema(), tags));
    return indexes.underWriteLock(
        () -> {
          List<String> ids = indexes.serving().index().idsMatching(allowed);
          audit.record("delete", ids, set.version(), "OK");
          for (Slot slot : indexes.slots()) {
            slot.index().deleteMatching(allowed);
            slot.index().commit();
          }
          return (long) ids.size();
        });
  }
}
