package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.InvalidRequestException;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.grpc.ContextClient;
import dev.anvil.context.grpc.v1.Chunk;
import dev.anvil.context.grpc.v1.ExportCorpusRequest;
import dev.anvil.context.grpc.v1.TagValues;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.rpc.ClientTransport;
import dev.anvil.trainer.synth.CorpusSource;
import dev.anvil.trainer.synth.CorpusUnavailableException;
import dev.anvil.trainer.synth.Passage;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The context engine as the trainer's {@link CorpusSource}: a server asked over gRPC with the job
 * owner's token (the trainer's own, exchanged), or the local index asked in this process as the
 * owner. Either way the engine decides, per document and inside its index, what the owner may
 * {@code train} on.
 */
final class CorpusSources {
  /** How long one page may take. */
  static final Duration PAGE_DEADLINE = Duration.ofMinutes(2);

  private CorpusSources() {}

  /**
   * The engine at {@code engine}, asked with the token {@code token} gives (read once, on the first
   * page: an exchange happens only for a job that needs it).
   */
  static CorpusSource remote(HostPort engine, ClientTransport transport, Supplier<String> token) {
    String name = "context engine " + engine.host() + ":" + engine.port();
    return new CorpusSource() {
      private String bearer;

      @Override
      public Page page(Map<String, List<String>> tags, String after, int max) {
        if (bearer == null) {
          try {
            bearer = token.get();
          } catch (RbacException e) {
            throw new CorpusUnavailableException(
                "the token exchange for the " + name + " was refused: " + e.getMessage(),
                CorpusUnavailableException.Reason.FAILED,
                e);
          }
        }
        String t = bearer;
        ExportCorpusRequest.Builder r =
            ExportCorpusRequest.newBuilder().setMaxChunks(max).setAfterDocumentId(after);
        tags.forEach((tag, v) -> r.putTags(tag, TagValues.newBuilder().addAllValues(v).build()));
        try (ContextClient client =
            ContextClient.connect(
                engine.host(), engine.port(), transport, () -> t, PAGE_DEADLINE)) {
          ContextClient.CorpusPage page = client.exportCorpus(r.build());
          List<Passage> passages = new ArrayList<>(page.chunks().size());
          page.chunks().forEach(c -> passages.add(passage(c)));
          return new Page(passages, page.policyVersion());
        } catch (StatusRuntimeException e) {
          Status s = e.getStatus();
          throw new CorpusUnavailableException(
              name + " answered " + s.getCode() + ": " + s.getDescription(),
              reason(s.getCode()),
              e);
        }
      }

      @Override
      public String name() {
        return name;
      }
    };
  }

  /** What the submitter is told: retry later, fix the spec, or look at the engine. */
  static CorpusUnavailableException.Reason reason(Status.Code code) {
    return switch (code) {
      case UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED ->
          CorpusUnavailableException.Reason.UNAVAILABLE;
      case INVALID_ARGUMENT -> CorpusUnavailableException.Reason.INVALID_REQUEST;
      default -> CorpusUnavailableException.Reason.FAILED;
    };
  }

  /** The engine over the local index, asked as {@code owner}. */
  static CorpusSource local(ContextEngine engine, Principal owner) {
    return new CorpusSource() {
      @Override
      public Page page(Map<String, List<String>> tags, String after, int max) {
        List<Passage> passages = new ArrayList<>();
        try {
          var page =
              engine.trainingCorpus(
                  owner, tags, after, max, () -> false, hit -> passages.add(passage(hit)));
          return new Page(passages, page.policyVersion());
        } catch (InvalidRequestException e) {
          throw new CorpusUnavailableException(
              "the local index refused the request: " + e.getMessage(),
              CorpusUnavailableException.Reason.INVALID_REQUEST,
              e);
        }
      }

      @Override
      public String name() {
        return "local index";
      }
    };
  }

  /** A chunk as a passage; a tag of one value is that value, as a document writes it. */
  static Passage passage(Chunk c) {
    Map<String, Object> tags = new LinkedHashMap<>();
    c.getTagsMap()
        .forEach(
            (tag, v) ->
                tags.put(
                    tag,
                    v.getValuesCount() == 1 ? v.getValues(0) : List.copyOf(v.getValuesList())));
    return new Passage(
        c.getDocumentId(), c.getVersion(), c.getChunk(), c.getTitle(), c.getText(), tags);
  }

  private static Passage passage(SearchHit h) {
    return new Passage(h.documentId(), h.version(), h.chunk(), h.title(), h.text(), h.tags());
  }
}
