package dev.anvil.context.grpc;

import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.grpc.v1.Chunk;
import dev.anvil.context.grpc.v1.IngestResult;
import dev.anvil.context.grpc.v1.TagValues;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Conversions between the protobuf messages and the engine's records. */
public final class ProtoMapping {
  private ProtoMapping() {}

  static SearchRequest request(dev.anvil.context.grpc.v1.SearchRequest r) {
    Map<String, List<String>> narrow = new LinkedHashMap<>();
    r.getFilterMap().forEach((tag, values) -> narrow.put(tag, List.copyOf(values.getValuesList())));
    SearchRequest.Mode mode =
        switch (r.getMode()) {
          case HYBRID -> SearchRequest.Mode.HYBRID;
          case BM25 -> SearchRequest.Mode.BM25;
          case DENSE -> SearchRequest.Mode.DENSE;
          case UNRECOGNIZED ->
              throw GrpcErrors.invalid("mode", "unknown value " + r.getModeValue());
        };
    return new SearchRequest(
        r.getQuery(),
        r.getTopK() == 0 ? 10 : r.getTopK(),
        r.getTokenBudget(),
        narrow,
        mode,
        r.getFacetsList());
  }

  /** A search hit as the wire message. */
  public static Chunk chunk(SearchHit h) {
    Chunk.Builder b =
        Chunk.newBuilder()
            .setDocumentId(h.documentId())
            .setVersion(h.version())
            .setChunk(h.chunk())
            .setTitle(h.title())
            .setText(h.text())
            .setSource(h.source())
            .setScore(h.score())
            .addAllPolicies(h.policies())
            .setTokens(h.tokens());
    h.tags().forEach((tag, v) -> b.putTags(tag, values(v)));
    return b.build();
  }

  static Document document(dev.anvil.context.grpc.v1.Document d) {
    Map<String, Object> tags = new LinkedHashMap<>();
    d.getTagsMap()
        .forEach(
            (tag, v) ->
                tags.put(
                    tag,
                    v.getValuesCount() == 1 ? v.getValues(0) : List.copyOf(v.getValuesList())));
    return new Document(d.getId(), d.getVersion(), d.getTitle(), d.getBody(), d.getSource(), tags);
  }

  /** A document as the wire message: what a client such as {@code anvil ingest --server} sends. */
  public static dev.anvil.context.grpc.v1.Document message(Document d) {
    dev.anvil.context.grpc.v1.Document.Builder b =
        dev.anvil.context.grpc.v1.Document.newBuilder()
            .setId(d.id())
            .setVersion(d.version())
            .setTitle(d.title())
            .setBody(d.body())
            .setSource(d.source());
    d.tags().forEach((tag, v) -> b.putTags(tag, values(v)));
    return b.build();
  }

  /**
   * A result from the wire as the engine's outcome, for clients that report it as the local engine
   * would.
   *
   * @throws IllegalArgumentException if the result carries no outcome (a newer server's kind)
   */
  public static IngestOutcome outcome(IngestResult r) {
    String id = r.getDocumentId();
    return switch (r.getOutcomeCase()) {
      case INDEXED ->
          new IngestOutcome.Indexed(id, r.getIndexed().getVersion(), r.getIndexed().getChunks());
      case IGNORED ->
          new IngestOutcome.Ignored(
              id, r.getIgnored().getVersion(), r.getIgnored().getIndexedVersion());
      case REJECTED ->
          new IngestOutcome.Rejected(id, r.getRejected().getField(), r.getRejected().getReason());
      case DENIED -> new IngestOutcome.Denied(id, r.getDenied().getPolicy());
      case DELETED -> new IngestOutcome.Deleted(id);
      case CONFLICT -> new IngestOutcome.Conflict(id);
      case OUTCOME_NOT_SET ->
          throw new IllegalArgumentException("ingest result for " + id + " carries no outcome");
    };
  }

  static IngestResult result(IngestOutcome o) {
    IngestResult.Builder b = IngestResult.newBuilder().setDocumentId(o.id());
    switch (o) {
      case IngestOutcome.Indexed i ->
          b.setIndexed(
              IngestResult.Indexed.newBuilder().setVersion(i.version()).setChunks(i.chunks()));
      case IngestOutcome.Ignored i ->
          b.setIgnored(
              IngestResult.Ignored.newBuilder()
                  .setVersion(i.version())
                  .setIndexedVersion(i.indexedVersion()));
      case IngestOutcome.Rejected r ->
          b.setRejected(
              IngestResult.Rejected.newBuilder().setField(r.field()).setReason(r.reason()));
      case IngestOutcome.Denied d ->
          b.setDenied(IngestResult.Denied.newBuilder().setPolicy(d.policy()));
      case IngestOutcome.Deleted d -> b.setDeleted(IngestResult.Deleted.getDefaultInstance());
      case IngestOutcome.Conflict c -> b.setConflict(IngestResult.Conflict.getDefaultInstance());
    }
    return b.build();
  }

  static TagValues values(Object v) {
    return v instanceof List<?> l
        ? TagValues.newBuilder().addAllValues(l.stream().map(Object::toString).toList()).build()
        : TagValues.newBuilder().addValues(v.toString()).build();
  }
}
